"""Map pages: compact encoding, escaping, offline inlining, and rendering in headless Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from _handmade import PROBE, town_frames, write_geodata
from click.testing import CliRunner

from zonemap.cli import main
from zonemap.maps import build_map, collect_layers, render_map, write_index, write_map
from zonemap.maps._basemaps import basemap_names
from zonemap.maps._encoding import encode_geometries, encode_properties, script_json
from zonemap.towns import dongguan_towns


def polyline_decode(text: str) -> list[int]:
    """Reference decoder of Google's polyline algorithm (independent of zonemap)."""
    values, i = [], 0
    while i < len(text):
        result, shift = 0, 0
        while True:
            b = ord(text[i]) - 63
            i += 1
            result |= (b & 0x1F) << shift
            shift += 5
            if b < 0x20:
                break
        values.append(~(result >> 1) if result & 1 else result >> 1)
    return values


def _page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="zonemap-data">(.*?)</script>', page, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


def test_polyline_encoding_round_trips_coordinates():
    hole = shapely.box(114.0002, 22.6002, 114.0004, 22.6004)
    geoms = np.array(
        [
            shapely.box(114.0, 22.6, 114.001, 22.601).difference(hole),
            shapely.MultiPolygon([shapely.box(113.9, 22.5, 113.91, 22.51), shapely.box(113.95, 22.55, 113.96, 22.56)]),
        ]
    )
    enc = encode_geometries(geoms, decimals=6)
    assert enc["type"] == "polygon" and enc["parts"] == [1, 2] and enc["rings"] == [2, 1, 1]
    ints = np.cumsum(np.array(polyline_decode(enc["coords"])).reshape(-1, 2), axis=0)
    rings = [r for g in geoms for p in getattr(g, "geoms", [g]) for r in (p.exterior, *p.interiors)]
    expected = np.concatenate([np.asarray(r.coords)[:-1, ::-1] for r in rings])  # lat, lon; no closing vertex
    assert enc["nv"] == [len(r.coords) - 1 for r in rings]
    assert np.array_equal(ints, np.round(expected * 1e6).astype(np.int64))


def test_properties_are_columnar_and_dictionary_encoded():
    import pandas as pd

    kinds = ["zone", "park"] * 5
    frame = pd.DataFrame(
        {
            "kind": kinds,
            "id": [f"z{i}" for i in range(10)],
            "a": [1.5] * 9 + [np.nan],
            "town": "fenggang",
            "many": [f"v{i % 60}" for i in range(10)],
        }
    )
    props = encode_properties(frame)
    assert props["kind"]["v"] == ["zone", "park"]
    assert [props["kind"]["v"][ord(ch) - 35] for ch in props["kind"]["s"]] == kinds
    assert props["town"] == {"k": "fenggang"}
    assert props["id"][3] == "z3" and props["a"][9] is None
    cards = encode_properties(pd.DataFrame({"figures": [[{"stated": "1 km2"}], None, None]}))
    assert cards["figures"] == [[{"stated": "1 km2"}], None, None]
    big = pd.DataFrame({"many": [f"v{i % 60}" for i in range(200)]})
    enc = encode_properties(big)["many"]
    assert [enc["v"][c] for c in enc["c"]] == list(big["many"])  # more than 57 values: integer codes


def test_properties_are_json_ready_whatever_the_column_dtype():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "f": [1.5, np.inf, np.nan],
            "obj": pd.Series([np.int64(7), -np.inf, "x"], dtype=object),
            "Int": pd.array([1, None, 3], dtype="Int64"),
            "b": [True, False, True],
        }
    )
    props = encode_properties(frame)
    assert props == {"f": [1.5, None, None], "obj": [7, None, "x"], "Int": [1, None, 3], "b": [True, False, True]}
    assert [type(v) for v in props["obj"]] == [int, type(None), str]
    json.dumps(props, allow_nan=False)  # no NaN/Infinity, no numpy scalars


def test_script_json_cannot_close_the_script_element():
    text = script_json({"name": "</script><script>alert(1)</script>", "amp": "a&b"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script>"


def test_page_never_contains_data_text_as_html(tmp_path):
    config = write_geodata(tmp_path)
    page = render_map(collect_layers(config, "fenggang"))
    assert PROBE not in page and "<img" not in page
    data = _page_data(page)
    assert PROBE in data["layers"]["zones"]["props"]["name_zh"]
    assert len(data["layers"]["zones"]["props"]["id"]) == 2 and len(data["layers"]["parcels"]["props"]["id"]) == 2
    legend_titles = [s["title"] for s in data["legend"]]
    assert "测试圈层 Test rings" in legend_titles and "距深圳距离带 Border bands" in legend_titles


def test_build_map_takes_a_notebook_layer_and_renders_like_render_map(tmp_path):
    import folium
    import geopandas as gpd

    layers = collect_layers(write_geodata(tmp_path), "fenggang")
    m = build_map(layers)
    assert isinstance(m, folium.Map)
    square = shapely.box(114.20, 22.70, 114.21, 22.71)
    mine = gpd.GeoDataFrame({"name": ["my layer feature"]}, geometry=[square], crs="EPSG:4326")
    # what GeoDataFrame.explore(m=m) does (it also needs mapclassify, not a dependency here)
    folium.GeoJson(mine, name="my own layer", tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    page = render_map(m)
    # zonemap's data and script are there, and so is the added layer with its corner coordinates
    assert _page_data(page) == _page_data(render_map(layers))
    assert "my own layer" in page and "114.21" in page and "my layer feature" in page
    assert page.count('id="zonemap-data"') == 1


def test_template_syntax_in_data_stays_literal(tmp_path):
    name = "{{ 7*7 }} {% if true %}x{% endif %}"
    page = render_map(collect_layers(write_geodata(tmp_path, probe_name=name), "fenggang"))
    assert name in _page_data(page)["layers"]["zones"]["props"]["name_zh"]


def test_ring_set_names_in_the_layer_control_are_escaped(tmp_path):
    from _handmade import RINGS

    rings = json.loads(json.dumps(RINGS))
    rings["ring_sets"][0]["name_en"] = PROBE
    page = render_map(collect_layers(write_geodata(tmp_path, rings=rings), "fenggang"))
    assert "<img" not in page
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page  # escaped for Leaflet's innerHTML


def test_offline_page_links_nothing_external(tmp_path):
    config = write_geodata(tmp_path)
    online = render_map(collect_layers(config, "fenggang"))
    assert re.search(r'<script src="https://cdn\.jsdelivr\.net/npm/leaflet@', online)
    path = write_map(config, "fenggang", tmp_path / "out", offline=True)
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"https?:", page)
    assert "L.control.fullscreen" in page and "leaflet-control-layers" in page  # Leaflet inlined
    assert len(page) < len(online) + 400_000


def test_write_index_links_maps_and_reports(tmp_path):
    out = tmp_path / "maps"
    report = out / "report<x>.html"
    index = write_index(out, [out / "fenggang.html", out / "dongcheng.html"], [report], towns=dongguan_towns())
    text = index.read_text(encoding="utf-8")
    assert 'href="fenggang.html"' in text and "凤岗镇 Fenggang Town" in text
    assert "report&lt;x&gt;.html" in text and "<x>" not in text


def test_cli_map_writes_the_page(tmp_path):
    config = write_geodata(tmp_path / "geo")
    result = CliRunner().invoke(
        main, ["map", "fenggang", "--geodata", str(config.geodata_dir), "--out", str(tmp_path / "out"), "--offline"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "fenggang.html").is_file()


def _open(page_path: Path, browser):
    """Open a page with all network requests aborted; collect errors and dialogs."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}") if m.type == "error" and "net::ERR_FAILED" not in m.text else None
        ),
    )
    page.route(re.compile(r"^https?://"), lambda route: route.abort())  # no internet: tiles aborted
    page.goto(page_path.as_uri())
    page.wait_for_function("window.zonemapRendered !== undefined", timeout=30_000)
    return page, problems


def _drawn(page, key: str) -> int:
    """Shapes of a layer actually on the Leaflet map (counted via the map object)."""
    return page.evaluate(
        """key => { const m = Object.values(window).find(v => v instanceof L.Map); let n = 0;
        m.eachLayer(l => { if (l._zmKey === key && l._map && (l._pxBounds || l._point))
          n += l._zmBulk ? l._zmBulk.length : 1; }); return n; }""",
        key,
    )


@pytest.mark.browser
@pytest.mark.parametrize("bulk_threshold", [5000, 0], ids=["layer-per-feature", "bulk"])
def test_browser_renders_probe_as_text(tmp_path, browser, bulk_threshold):
    from _handmade import RINGS

    rings = json.loads(json.dumps(RINGS))
    rings["ring_sets"][0]["name_en"] = PROBE
    config = write_geodata(tmp_path / "geo", rings=rings)
    path = tmp_path / "fenggang.html"
    path.write_text(
        render_map(collect_layers(config, "fenggang"), offline=True, bulk_threshold=bulk_threshold), encoding="utf-8"
    )
    page, problems = _open(path, browser)
    frames = town_frames()
    assert _drawn(page, "zones") == len(frames["zones"])
    assert _drawn(page, "parcels") == len(frames["parcels"])
    assert page.locator(".zonemap-legend .zm-legend-row").count() >= 4
    assert PROBE in page.locator(".leaflet-control-layers-overlays").inner_text()
    assert PROBE in page.locator(".zonemap-legend").inner_text()
    probe = frames["zones"].set_index("id").geometry["fg-zone-probe"].centroid
    latlng = {"lat": probe.y, "lng": probe.x}
    # hover: Leaflet's mouse events carry the layer hit and the position; fire them on the zones layer
    text = page.evaluate(
        """ll => { const g = zonemap.layers.zones; const hit = g.getLayers().find(l => l.getBounds().contains(ll));
        g.fire('mousemove', {latlng: L.latLng(ll), layer: hit, target: hit}, false);
        hit.fire('mouseover', {latlng: L.latLng(ll)}, true);
        return Array.from(document.querySelectorAll('.leaflet-tooltip')).map(t => t.textContent).join(' | '); }""",
        latlng,
    )
    assert PROBE in text
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], .leaflet-tooltip img').length") == 0
    page.evaluate(
        """ll => { const g = zonemap.layers.zones; const hit = g.getLayers().find(l => l.getBounds().contains(ll));
        hit.fire('click', {latlng: L.latLng(ll), originalEvent: new MouseEvent('click')}, true); }""",
        latlng,
    )
    assert PROBE in page.locator(".leaflet-popup-content").inner_text()
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert not problems, problems
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("town", ["fenggang", "dongcheng"])
def test_browser_renders_bundled_maps(tmp_path, browser, config, town):
    from zonemap.io import load_town

    path = write_map(config, town, tmp_path, offline=True)
    page, problems = _open(path, browser)
    data = load_town(config, town)
    assert _drawn(page, "zones") == len(data.zones)
    assert _drawn(page, "parcels") == len(data.parcels)
    assert _drawn(page, "places") == len(data.places)
    assert page.locator(".zonemap-legend").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    # OSM, CARTO, Esri and the two GCJ-02-corrected AMap layers; 天地图 only with a key
    base = page.locator(".leaflet-control-layers-base label").all_inner_texts()
    assert [t.strip() for t in base] == basemap_names(None) and len(base) == 5
    assert _drawn(page, "accuracy") == 0  # positional-uncertainty circles start hidden
    page.locator(".leaflet-control-layers-overlays label", has_text="Position accuracy").locator("input").check()
    assert _drawn(page, "accuracy") == len(data.places)
    assert not problems, problems
    page.close()


def test_figure_cards_carry_reconciliation_status_and_quote(tmp_path):
    from zonemap.reconcile import reconcile_towns
    from zonemap.report import figures_for_maps

    config = write_geodata(tmp_path)
    recon = figures_for_maps(reconcile_towns(config, ["fenggang"]))
    status = recon.set_index("figure_id").loc["fg-fig-a-area", "status"]
    layers = collect_layers(config, "fenggang", reconciliation=recon)
    zones = layers.zones.set_index("id")
    card = zones.loc["fg-zone-a", "figures"][0]
    assert card["status"] == status and card["quote"] == "甲区面积约1.1平方公里"
    assert "1.1" in card["stated"] and "km2" in card["stated"]
    assert zones.loc["fg-zone-a", "figure_status"] == status
    assert zones.loc["fg-zone-probe", "figure_status"] == "none" and zones.loc["fg-zone-probe", "figures"] is None
    data = _page_data(render_map(layers))
    assert data["layers"]["zones"]["props"]["figures"][0][0]["quote"] == "甲区面积约1.1平方公里"


def test_build_writes_both_maps_and_an_index_linking_the_reports(tmp_path, config):
    from zonemap.build import build

    result = build(config.evolve(output_dir=tmp_path))
    names = {p.name for p in result.outputs}
    assert {"fenggang.html", "dongcheng.html", "index.html"} <= names
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    reports = [p.name for p in result.outputs if p.name.startswith("reconciliation")]
    assert reports and all(f'href="{name}"' in index for name in [*reports, "fenggang.html", "dongcheng.html"])
    data = _page_data((tmp_path / "fenggang.html").read_text(encoding="utf-8"))
    cards = [c for c in data["layers"]["zones"]["props"]["figures"] if c]
    assert any(card["quote"] for cs in cards for card in cs)  # stated figures with their quotes


def test_a_town_without_features_opens_on_dongguan(tmp_path):
    """The handmade geodata has no Dongcheng features: the view must still be a valid lon/lat window."""
    page = render_map(collect_layers(write_geodata(tmp_path), "dongcheng"))
    m = re.search(r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", page)
    assert m, "the page fits the map to a window"
    south, west, north, east = map(float, m.groups())
    # Dongguan lies within 113.5-114.3 E, 22.6-23.2 N
    assert 22.5 < south < north < 23.3 and 113.4 < west < east < 114.4


def test_inlined_assets_cannot_close_their_element():
    from zonemap.maps._html import inline_assets

    js, css = "https://cdn.example/a.js", "https://cdn.example/a.css"
    page = f'<head><script src="{js}"></script><link rel="stylesheet" href="{css}"/></head><body></body>'
    out = inline_assets(page, {js: 'var s = "</SCRIPT><b>x</b>";', css: "/* </style><b>y</b> */ a{}"})
    assert out.lower().count("</script>") == 1 and out.lower().count("</style>") == 1
    assert "<b>" in out  # the text is kept, only the closing tags are broken up
    assert 'var s = "<\\/SCRIPT><b>x</b>";' in out and "/* <\\/style><b>y</b> */" in out
