"""Map pages leave the map visible, frame the town, name features without overlap, open popups on tap.

Measured in headless Chromium at a desktop size (1400x900) and a phone size (390x844, touch):
the share of the map under controls (the union of every ``.leaflet-control`` box, rasterised
here in Python), every feature inside the first view, label boxes pairwise disjoint.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _handmade import write_geodata
from shapely.ops import polylabel
from test_maps import polyline_decode

from zonemap.maps import collect_layers, render_map, write_map
from zonemap.maps._encoding import encode_label_anchors, label_anchors

DESKTOP = {"viewport": {"width": 1400, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
SIZES = {"1400x900": (DESKTOP, 15.0), "390x844": (PHONE, 20.0)}
FEATURE_LAYERS = ("zones", "parcels", "places", "lines")


def _shown(frame) -> set[str]:
    """The names a map writes: the Chinese name without a bracketed gloss (全角 or ASCII brackets)."""
    return {re.split(r"[（(]", name)[0].strip() or name for name in frame["name_zh"]}


def test_label_anchor_and_room_by_hand():
    # a 4 x 2 box: anchor at the centre, 2 units of room east-west, 1 north-south
    box = shapely.box(0, 0, 4, 2)
    ell = shapely.Polygon([(0, 0), (10, 0), (10, 1), (1, 1), (1, 10), (0, 10)])
    two = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 9, 6)])
    holed = shapely.box(0, 0, 6, 6).difference(shapely.box(2, 2, 4, 4))
    anchors, room = label_anchors(np.array([box, ell, two, holed]))
    xy = shapely.get_coordinates(anchors)
    assert shapely.contains(np.array([box, ell, two, holed]), anchors).all()
    assert xy[0].tolist() == [2.0, 1.0] and room[0].tolist() == [2.0, 1.0]
    # the L's anchor is in the leg (x in 0..1): half the leg's width east-west, and north-south the
    # nearer of the leg's top (10) and the foot's bottom (0)
    x, y = xy[1]
    assert 0 < x < 1 and room[1, 0] == pytest.approx(min(x, 1 - x)) and room[1, 1] == pytest.approx(min(y, 10 - y))
    # the bigger part of a multipolygon carries the name: box 5..9 x 5..6
    assert xy[2].tolist() == [7.0, 5.5] and room[2].tolist() == [2.0, 0.5]
    # a ring around a hole: the run holding the anchor stops at the hole
    x, y = xy[3]
    assert not shapely.box(2, 2, 4, 4).contains(shapely.Point(x, y))
    run = [(0, 2), (4, 6)] if 2 <= y <= 4 else [(0, 6)]
    lo, hi = next((a, b) for a, b in run if a <= x <= b)
    assert room[3, 0] == pytest.approx(min(x - lo, hi - x))


def test_label_anchors_encode_as_polyline_pairs():
    geoms = np.array([shapely.box(114.0, 22.6, 114.004, 22.602), shapely.box(113.9, 22.5, 113.91, 22.53)])
    enc = encode_label_anchors(geoms, decimals=6)
    at = np.cumsum(np.array(polyline_decode(enc["at"]["coords"])).reshape(-1, 2), axis=0)
    room = np.cumsum(np.array(polyline_decode(enc["room"])).reshape(-1, 2), axis=0)
    # lat, lon of the box centres in microdegrees; room = half the sides (lat first), floored
    assert at.tolist() == [[22_601_000, 114_002_000], [22_515_000, 113_905_000]]
    assert room.tolist() == [[1000, 2000], [15000, 5000]]


def _open(browser, path: Path, options: dict):
    context = browser.new_context(**options)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.route(re.compile(r"^https?://"), lambda route: route.abort())  # no internet: tiles aborted
    page.goto(path.as_uri())
    page.wait_for_function("window.zonemapRendered !== undefined && window.zonemap.fitted !== undefined")
    page.wait_for_function("window.zonemap.timings.labels !== undefined")
    return context, page, problems


_BOXES = """() => { const r = e => { const b = e.getBoundingClientRect();
  return [b.left, b.top, b.right, b.bottom]; };
  return {map: r(document.querySelector('.leaflet-container')),
    controls: Array.from(document.querySelectorAll('.leaflet-control')).map(r),
    labels: Array.from(document.querySelectorAll('.zm-label')).filter(e => e.offsetParent !== null)
      .map(e => ({box: r(e), text: e.textContent, key: e.dataset.key}))}; }"""


def _covered_pct(map_box, boxes) -> float:
    """Share of the map under the union of boxes, on a 1-px raster."""
    x0, y0, x1, y1 = map_box
    mask = np.zeros((round(y1 - y0), round(x1 - x0)), dtype=bool)
    for left, top, right, bottom in boxes:
        a, b = max(0, int(np.floor(left - x0))), min(mask.shape[1], int(np.ceil(right - x0)))
        c, d = max(0, int(np.floor(top - y0))), min(mask.shape[0], int(np.ceil(bottom - y0)))
        mask[c:d, a:b] = True
    return 100.0 * mask.mean()


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _view(page) -> list[float]:
    return page.evaluate(
        "() => { const b = Object.values(window).find(v => v instanceof L.Map).getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )


def _assert_labels_apart(boxes):
    labels = [lab["box"] for lab in boxes["labels"]]
    pairs = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels)) if _overlap(labels[i], labels[j])]
    assert not pairs, [(boxes["labels"][i]["text"], boxes["labels"][j]["text"]) for i, j in pairs]
    hidden = [lab["text"] for lab in boxes["labels"] for c in boxes["controls"] if _overlap(lab["box"], c)]
    assert not hidden, f"names under a control: {hidden}"
    x0, y0, x1, y1 = boxes["map"]
    assert all(x0 <= b[0] and b[2] <= x1 and y0 <= b[1] and b[3] <= y1 for b in labels)


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("town", ["fenggang", "dongcheng"])
def test_bundled_maps_leave_the_map_visible_framed_and_named(tmp_path, browser, reference_config, town, size):
    options, limit = SIZES[size]
    layers = collect_layers(reference_config, town)
    path = write_map(reference_config, town, tmp_path, offline=True)
    context, page, problems = _open(browser, path, options)
    page.screenshot(path=str(tmp_path / f"{town}_{size}.png"))
    boxes = page.evaluate(_BOXES)
    pct = _covered_pct(boxes["map"], boxes["controls"])
    assert pct <= limit, f"controls cover {pct:.1f} % of the map at {size}"
    narrow = options["viewport"]["width"] < 768
    toggles = page.locator(".zm-toggle")
    assert toggles.count() == 2  # the layer control and the legend
    assert {toggles.nth(i).get_attribute("aria-expanded") for i in range(2)} == {"false" if narrow else "true"}
    # the outline and every feature inside the first view (bounds computed here with shapely)
    west, south, east, north = _view(page)
    frames = [layers.outline, *(layers.layer(name) for name in FEATURE_LAYERS)]
    for frame in (f for f in frames if f is not None and len(f)):
        xmin, ymin, xmax, ymax = shapely.bounds(np.asarray(frame.geometry.values, dtype=object)).T
        assert (xmin >= west).all() and (xmax <= east).all() and (ymin >= south).all() and (ymax <= north).all()
    _assert_labels_apart(boxes)
    named = {lab["text"] for lab in boxes["labels"]}
    if not narrow:
        # every place is named at the default zoom (Dongcheng: 13, six of them on one spot)
        assert _shown(layers.layer("places")) <= named
    assert named & _shown(layers.layer("zones")) or (town == "fenggang" and narrow)
    assert not problems, problems
    context.close()


@pytest.mark.browser
def test_fenggang_zone_names_at_the_default_zoom_and_one_closer(tmp_path, browser, reference_config):
    layers = collect_layers(reference_config, "fenggang")
    path = write_map(reference_config, "fenggang", tmp_path, offline=True)
    context, page, _ = _open(browser, path, DESKTOP)
    zones = _shown(layers.layer("zones"))
    first = {lab["text"] for lab in page.evaluate(_BOXES)["labels"]}
    assert len(first & zones) >= 2
    page.evaluate("() => Object.values(window).find(v => v instanceof L.Map).zoomIn(1, {animate: false})")
    page.wait_for_timeout(300)
    boxes = page.evaluate(_BOXES)
    _assert_labels_apart(boxes)
    assert zones <= {lab["text"] for lab in boxes["labels"]}  # every zone named one zoom closer
    page.screenshot(path=str(tmp_path / "fenggang_zoomed.png"))
    context.close()


@pytest.mark.browser
def test_controls_fold_by_button_keyboard_and_tap(tmp_path, browser, reference_config):
    path = write_map(reference_config, "fenggang", tmp_path, offline=True)
    context, page, problems = _open(browser, path, PHONE)
    layers_btn, legend_btn = (
        page.locator(".leaflet-control-layers .zm-toggle"),
        page.locator(".zonemap-legend .zm-toggle"),
    )
    assert not page.locator(".zm-legend-body").is_visible()
    legend_btn.tap()
    assert legend_btn.get_attribute("aria-expanded") == "true" and page.locator(".zm-legend-body").is_visible()
    layers_btn.tap()  # one open at a time on a phone
    assert layers_btn.get_attribute("aria-expanded") == "true" and legend_btn.get_attribute("aria-expanded") == "false"
    assert page.locator(".leaflet-control-layers-list").is_visible()
    page.keyboard.press("Escape")
    assert layers_btn.get_attribute("aria-expanded") == "false"
    legend_btn.focus()
    page.keyboard.press("Enter")
    assert legend_btn.get_attribute("aria-expanded") == "true"
    page.keyboard.press(" ")
    assert legend_btn.get_attribute("aria-expanded") == "false"
    assert not problems, problems
    context.close()


def _tap_point(page, lat: float, lng: float) -> dict:
    return page.evaluate(
        """([lat, lng]) => { const m = Object.values(window).find(v => v instanceof L.Map);
        const p = m.latLngToContainerPoint([lat, lng]), b = m.getContainer().getBoundingClientRect();
        return {x: b.left + p.x, y: b.top + p.y}; }""",
        [lat, lng],
    )


@pytest.mark.browser
@pytest.mark.parametrize("bulk_threshold", [5000, 0], ids=["layer-per-feature", "bulk"])
def test_tapping_a_feature_on_a_phone_opens_its_popup(tmp_path, browser, reference_config, bulk_threshold):
    layers = collect_layers(reference_config, "fenggang")
    path = tmp_path / "fenggang.html"
    path.write_text(render_map(layers, offline=True, bulk_threshold=bulk_threshold), encoding="utf-8")
    context, page, problems = _open(browser, path, PHONE)
    parcels = layers.layer("parcels")
    spot = polylabel(parcels.geometry.iloc[0], tolerance=1e-6)  # the parcel's most inland point
    xy = _tap_point(page, spot.y, spot.x)
    page.touchscreen.tap(xy["x"], xy["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert parcels["name_zh"].iloc[0] in text and parcels["name_en"].iloc[0] in text  # English stays in the popup
    assert not problems, problems
    context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_names_scale_to_the_bulk_path(tmp_path, browser):
    """6,400 parcels drawn in bulk: names only in view, capped, no overlaps, quick, after pan and zoom."""
    layers = collect_layers(write_geodata(tmp_path / "geo"), "fenggang")
    x, y = np.meshgrid(114.10 + 0.0008 * np.arange(80), 22.68 + 0.0008 * np.arange(80))
    cells = shapely.box(x.ravel(), y.ravel(), x.ravel() + 0.0007, y.ravel() + 0.0007)
    n = len(cells)
    grid = gpd.GeoDataFrame(
        {"id": [f"p{i}" for i in range(n)], "name_zh": [f"地块{i}" for i in range(n)], "name_en": "", "kind": "parcel"},
        geometry=cells,
        crs="EPSG:4326",
    )
    layers = dataclasses.replace(layers, frames={**layers.frames, "parcels": grid})
    path = tmp_path / "bulk.html"
    path.write_text(render_map(layers, offline=True), encoding="utf-8")
    context, page, problems = _open(browser, path, DESKTOP)
    assert page.evaluate("zonemap.getData().layers.parcels.bulk")
    for step in ("first view", "close up", "pan"):
        if step == "close up":  # zoom 17: a 0.0007 degree cell is ~65 px wide, room for a name
            page.evaluate(
                "() => Object.values(window).find(v => v instanceof L.Map)"
                ".setView([22.712, 114.132], 17, {animate: false})"
            )
        elif step == "pan":
            page.evaluate(
                "() => Object.values(window).find(v => v instanceof L.Map).panBy([300, 200], {animate: false})"
            )
        page.wait_for_timeout(250)
        boxes, timing = page.evaluate(_BOXES), page.evaluate("zonemap.timings.labels")
        _assert_labels_apart(boxes)
        assert timing["placed"] <= 300 and timing["tries"] <= 4000 and timing["ms"] < 250, (step, timing)
        west, south, east, north = _view(page)
        drawn = [int(lab["text"][2:]) for lab in boxes["labels"] if lab["key"] == "parcels"]
        # every named parcel lies in view (its anchor is its centre)
        cx, cy = x.ravel()[drawn] + 0.00035, y.ravel()[drawn] + 0.00035
        assert ((cx >= west) & (cx <= east) & (cy >= south) & (cy <= north)).all(), step
    assert drawn, "parcels are named once they are big enough on screen"
    page.screenshot(path=str(tmp_path / "bulk.png"))
    assert not problems, problems
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_without_an_outline_the_first_view_holds_every_feature(tmp_path, browser, config, size):
    """No reference layers (a file map): the data's own bounds are framed, the last parcel included."""
    options, _ = SIZES[size]
    layers = collect_layers(config, "fenggang")
    assert layers.outline is None
    path = write_map(config, "fenggang", tmp_path, offline=True)
    context, page, problems = _open(browser, path, options)
    west, south, east, north = _view(page)
    boxes = page.evaluate(_BOXES)
    for name in FEATURE_LAYERS:
        frame = layers.layer(name)
        xmin, ymin, xmax, ymax = shapely.bounds(np.asarray(frame.geometry.values, dtype=object)).T
        assert (xmin >= west).all() and (xmax <= east).all() and (ymin >= south).all() and (ymax <= north).all(), name
        # and clear of the controls: each feature's box, projected, meets no control
        corners = page.evaluate(
            """bs => { const m = Object.values(window).find(v => v instanceof L.Map);
            const o = m.getContainer().getBoundingClientRect();
            return bs.map(([w, s, e, n]) => {
              const a = m.latLngToContainerPoint([n, w]), b = m.latLngToContainerPoint([s, e]);
              return [o.left + a.x, o.top + a.y, o.left + b.x, o.top + b.y]; }); }""",
            np.column_stack([xmin, ymin, xmax, ymax]).tolist(),
        )
        assert not [(c, k) for c in corners for k in boxes["controls"] if _overlap(c, k)], name
    page.screenshot(path=str(tmp_path / f"fenggang_no_outline_{size}.png"))
    assert not problems, problems
    context.close()
