"""Base maps: xyzservices definitions, Tianditu with/without a key, AMap tiles moved from GCJ-02 onto WGS84.

The alignment test serves AMap tiles from this file: each tile is drawn with a red blob at
the GCJ-02 position (Python's zonemap._chinacoords, Web Mercator pixels written out below) of
known WGS84 points; in Chromium the blob's centroid must sit within 1 px of where Leaflet puts
the WGS84 point.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import xyzservices.providers as xyz

from zonemap._chinacoords import gcj02_to_wgs84, wgs84_to_gcj02
from zonemap.errors import ConfigError
from zonemap.maps import render_map
from zonemap.maps._basemaps import GCJ_CELL_PX, basemap_names, tianditu_note
from zonemap.maps._elements import _base_map

KEY = "0123456789abcdef0123456789abcdef"
FENGGANG = (114.10, 22.70, 114.20, 22.78)  # lon/lat box around 凤岗镇
EARTH_R = 6378137.0  # the sphere of Web Mercator (EPSG:3857)


def mercator_px(lon, lat, z):
    """Global Web Mercator pixel of lon/lat at zoom z (256-px tiles): the published formula."""
    scale = 256.0 * 2.0**z
    x = (np.asarray(lon) + 180.0) / 360.0 * scale
    y = (1.0 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / np.pi) / 2.0 * scale
    return x, y


def mercator_lonlat(x, y, z):
    scale = 256.0 * 2.0**z
    lon = np.asarray(x) / scale * 360.0 - 180.0
    lat = np.degrees(2 * np.arctan(np.exp(np.pi * (1 - 2 * np.asarray(y) / scale))) - np.pi / 2)
    return lon, lat


def needed_shift(x, y, z):
    """Pixels a GCJ-02 tile pixel (x, y) must move so the place it shows lands on its WGS84 position."""
    wlon, wlat = gcj02_to_wgs84(*mercator_lonlat(x, y, z))
    wx, wy = mercator_px(wlon, wlat, z)
    return wx - x, wy - y


def html_of(tianditu_key=None):
    return _base_map(FENGGANG, tianditu_key=tianditu_key).get_root().render()


def test_base_layers_from_xyzservices_and_tianditu_only_with_a_key():
    page = html_of()
    for name in ("OpenStreetMap.Mapnik", "Esri.WorldImagery"):
        assert f'"{xyz.query_name(name)["url"].replace("{variant}", "World_Imagery")}"' in page
    assert '"https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"' in page
    assert "tianditu" not in page
    assert page.count("new L.GridLayer.GcjTiles(") == 2
    assert "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=7" in page
    assert "https://webst0{s}.is.autonavi.com/appmaptile?style=6" in page
    keyed = html_of(KEY)
    for layer in ("vec", "cva", "img", "cia"):
        assert f"tianditu.gov.cn/{layer}_w/wmts?" in keyed
        assert f"LAYER={layer}&STYLE=default&TILEMATRIXSET=w&" in keyed
    assert keyed.count(f"tk={KEY}") == 4
    assert len(basemap_names(KEY)) == len(basemap_names(None)) + 2
    assert "ZONEMAP_TIANDITU_KEY" in tianditu_note(None) and "--tianditu-key" in tianditu_note(None)
    assert tianditu_note(KEY) is None


@pytest.mark.parametrize("bad", ["abc", KEY + "0", '0123456789abcdef0123456789abcde"', "g" * 32])
def test_a_malformed_tianditu_key_is_refused(bad):
    with pytest.raises(ConfigError, match="32 hexadecimal"):
        html_of(bad)


@pytest.mark.parametrize(
    ("box", "bound_px"),
    # Dongguan, and China's interior (cells crossing the edge of the GCJ-02 rectangle excluded)
    [((113.5, 22.5, 114.3, 23.2), 1.0), ((75.0, 5.0, 134.0, 53.0), 1.0)],
    ids=["dongguan", "china"],
)
def test_shift_varies_less_than_a_pixel_across_a_cell_at_every_zoom(box, bound_px):
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(box[0], box[2], 800), rng.uniform(box[1], box[3], 800)
    grid = np.linspace(0.0, GCJ_CELL_PX, 7)
    for z in range(3, 21):
        x, y = mercator_px(lon, lat, z)
        cx, cy = np.floor(x / GCJ_CELL_PX) * GCJ_CELL_PX, np.floor(y / GCJ_CELL_PX) * GCJ_CELL_PX
        shifts = np.array([needed_shift(cx + u, cy + v, z) for u in grid for v in grid])  # (81, 2, n)
        span = np.hypot(np.ptp(shifts[:, 0], axis=0), np.ptp(shifts[:, 1], axis=0))
        assert span.max() < bound_px, f"zoom {z}: the shift varies by {span.max():.3f} px across a cell"
        # the cell is moved by the shift at its centre: every pixel of it lands within half of that
        centre = np.array(needed_shift(cx + GCJ_CELL_PX / 2, cy + GCJ_CELL_PX / 2, z))
        assert np.hypot(*(shifts - centre).transpose(1, 0, 2)).max() < bound_px / 2 + 0.05


# --- in the browser ------------------------------------------------------------------------------


def png(rgb: np.ndarray) -> bytes:
    """A PNG of an (h, w, 3) uint8 array (the format's chunks written out: signature, IHDR, IDAT, IEND)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


SIGMA = 1.3


def gcj_tile(x: int, y: int, z: int, points: np.ndarray) -> bytes:
    """A light tile with a grid every 64 px and a red Gaussian blob at each point's GCJ-02 pixel."""
    img = np.full((256, 256, 3), 236, dtype=np.float64)
    img[::64, :, :] = 205
    img[:, ::64, :] = 205
    glon, glat = wgs84_to_gcj02(points[:, 0], points[:, 1])
    gx, gy = mercator_px(glon, glat, z)
    jj, ii = np.meshgrid(np.arange(256) + 0.5, np.arange(256) + 0.5)  # pixel centres (col, row)
    for px, py in zip(gx - x * 256, gy - y * 256, strict=True):
        if -8 < px < 264 and -8 < py < 264:
            w = np.exp(-((jj - px) ** 2 + (ii - py) ** 2) / (2 * SIGMA**2))
            img[..., 1] -= 220 * w
            img[..., 2] -= 220 * w
    return png(np.clip(img, 0, 255).astype(np.uint8))


def red_centroid(shot: np.ndarray, cx: float, cy: float, r: int = 9) -> tuple[float, float]:
    """Centroid of redness (R - G) in a window around (cx, cy), in CSS pixels (pixel i spans [i, i+1))."""
    x0, y0 = int(cx) - r, int(cy) - r
    win = shot[y0 : y0 + 2 * r + 1, x0 : x0 + 2 * r + 1, :3].astype(float)
    redness = np.clip(win[..., 0] - win[..., 1] - 8, 0, None)
    assert redness.sum() > 50, f"no mark near ({cx:.1f}, {cy:.1f})"
    rows, cols = np.indices(redness.shape)
    return (
        x0 + float((redness * (cols + 0.5)).sum() / redness.sum()),
        y0 + float((redness * (rows + 0.5)).sum() / redness.sum()),
    )


def serve_amap(page, points: np.ndarray, hits: list[str]) -> None:
    def tile(route):
        q = parse_qs(urlsplit(route.request.url).query)
        hits.append(route.request.url)
        body = gcj_tile(int(q["x"][0]), int(q["y"][0]), int(q["z"][0]), points)
        route.fulfill(status=200, content_type="image/png", body=body)

    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.route(re.compile(r"^https://webrd0[1-4]\.is\.autonavi\.com/appmaptile\?"), tile)


def open_amap(browser, tmp_path, points, viewport=(1000, 700)):
    path = tmp_path / "base.html"
    path.write_text(render_map(_base_map(FENGGANG), offline=True), encoding="utf-8")
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=1)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    hits: list[str] = []
    serve_amap(page, points, hits)
    page.goto(path.as_uri())
    page.wait_for_function("Object.values(window).some(v => v instanceof L.Map)")
    page.evaluate(
        """() => { window.zmMap = Object.values(window).find(v => v instanceof L.Map);
        window.zmAmap = Object.values(window).find(v => v instanceof L.GridLayer.GcjTiles && v._url.includes('webrd'));
        zmMap.eachLayer(l => { if (l instanceof L.TileLayer) zmMap.removeLayer(l); }); }"""
    )
    return page, problems, hits


def view(page, lon, lat, z):
    page.evaluate(
        """([lon, lat, z]) => new Promise(done => {
          zmMap.setView([lat, lon], z, {animate: false});
          if (!zmMap.hasLayer(zmAmap)) zmMap.addLayer(zmAmap);
          const finish = () => setTimeout(done, 450);  // after the tiles' fade-in
          if (zmAmap.isLoading()) zmAmap.once('load', finish); else finish(); })""",
        [lon, lat, z],
    )


@pytest.mark.browser
def test_js_gcj02_matches_python_to_a_centimetre(tmp_path, browser):
    page, problems, _ = open_amap(browser, tmp_path, np.empty((0, 2)))
    lon, lat = np.meshgrid(np.linspace(74.0, 134.9, 41), np.linspace(4.0, 53.4, 37))
    lon, lat = np.append(lon.ravel(), [114.15, 0.0, 140.0]), np.append(lat.ravel(), [22.74, 10.0, 40.0])
    js = np.array(page.evaluate("pts => pts.map(p => zonemapGcj.toGcj(p[0], p[1]))", np.c_[lon, lat].tolist()))
    py = np.c_[wgs84_to_gcj02(lon, lat)]
    metres = np.hypot((js[:, 0] - py[:, 0]) * np.cos(np.radians(lat)), js[:, 1] - py[:, 1]) * 111_320.0
    assert metres.max() < 0.01
    assert np.abs(py - np.c_[lon, lat]).max() > 0.004  # the offset really is there (hundreds of metres)
    back = np.array(page.evaluate("pts => pts.map(p => zonemapGcj.toWgs(p[0], p[1]))", py.tolist()))
    ref = np.c_[gcj02_to_wgs84(py[:, 0], py[:, 1])]
    assert (
        np.hypot((back[:, 0] - ref[:, 0]) * np.cos(np.radians(lat)), back[:, 1] - ref[:, 1]) * 111_320.0
    ).max() < 0.01
    assert not problems, problems


@pytest.mark.browser
@pytest.mark.parametrize("z", [11, 13, 15, 18])
def test_wgs84_point_lands_on_the_gcj02_tile_mark(tmp_path, browser, z):
    from PIL import Image

    centre = (114.152, 22.742)
    step = 137.3 * 2.0 ** (-z) * 360 / 256  # degrees of longitude in 137.3 px: marks well apart, off the cell grid
    u, v = np.meshgrid(np.arange(-3, 4), np.arange(-2, 3))
    points = np.c_[centre[0] + u.ravel() * step, centre[1] + v.ravel() * step * 0.9 + step * 0.13]
    page, problems, hits = open_amap(browser, tmp_path, points)
    view(page, *centre, z)
    # unrounded container point (latLngToContainerPoint rounds to whole pixels)
    expected = page.evaluate(
        """pts => pts.map(p => zmMap.project([p[1], p[0]], zmMap.getZoom())
        .subtract(zmMap.getPixelOrigin()).add(zmMap._getMapPanePos()))""",
        points.tolist(),
    )
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))
    Image.fromarray(shot).save(tmp_path / f"amap_z{z}.png")
    assert hits and all(f"z={z}" in h for h in hits)
    # the uncorrected position (GCJ-02 drawn as if WGS84) is far off at these zooms: the test can fail
    glon, glat = wgs84_to_gcj02(points[:, 0], points[:, 1])
    gx, _ = mercator_px(glon, glat, z)
    wx, _ = mercator_px(points[:, 0], points[:, 1], z)
    assert np.abs(gx - wx).min() > 5
    errors = [np.hypot(*np.subtract(red_centroid(shot, e["x"], e["y"]), (e["x"], e["y"]))) for e in expected]
    assert max(errors) < 1.0, (z, np.round(errors, 2))
    assert not problems, problems
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_amap_chosen_in_the_layer_control_of_a_town_page(tmp_path, browser, config, size):
    from zonemap.maps import collect_layers

    path = tmp_path / "fenggang.html"
    path.write_text(render_map(collect_layers(config, "fenggang"), offline=True), encoding="utf-8")
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    hits: list[str] = []
    serve_amap(page, np.array([[114.152, 22.742]]), hits)
    page.goto(path.as_uri())
    page.wait_for_function("window.zonemapRendered !== undefined")
    control = page.locator(".leaflet-control-layers")
    if not page.locator(".leaflet-control-layers-base").is_visible():  # collapsed on a phone
        control.locator("button, a, .zm-toggle").first.click()
    page.locator(".leaflet-control-layers-base label", has_text="高德地图 AMap").locator("input").check()
    page.wait_for_function(
        "Object.values(window).find(v => v instanceof L.Map).hasLayer("
        "Object.values(window).find(v => v instanceof L.GridLayer.GcjTiles && v._url.includes('webrd')))"
    )
    page.wait_for_timeout(800)
    assert hits, "no AMap tile was asked for"
    assert all("webrd0" in h for h in hits)
    page.screenshot(path=tmp_path / f"fenggang_amap_{size[0]}x{size[1]}.png")
    assert not problems, problems
    page.close()


@pytest.mark.browser
def test_tianditu_imagery_asks_for_img_and_cia_tiles_with_the_key(tmp_path, browser):
    path = tmp_path / "tdt.html"
    path.write_text(render_map(_base_map(FENGGANG, tianditu_key=KEY), offline=True), encoding="utf-8")
    page = browser.new_page(viewport={"width": 800, "height": 600})
    asked: list[str] = []
    page.route(re.compile(r"^https?://"), lambda route: (asked.append(route.request.url), route.abort()))
    page.goto(path.as_uri())
    page.wait_for_function("Object.values(window).some(v => v instanceof L.Map)")
    asked.clear()
    page.evaluate(
        """() => { const m = Object.values(window).find(v => v instanceof L.Map);
        const groups = Object.values(window).filter(v => v instanceof L.LayerGroup && !(v instanceof L.FeatureGroup));
        m.eachLayer(l => { if (l instanceof L.TileLayer) m.removeLayer(l); });
        m.addLayer(groups.find(g => g.getLayers().some(t => t._url.includes('img_w')))); }"""
    )
    page.wait_for_timeout(500)
    tdt = [urlsplit(u) for u in asked if ".tianditu.gov.cn/" in u]
    assert {u.path for u in tdt} == {"/img_w/wmts", "/cia_w/wmts"}
    assert all(parse_qs(u.query)["tk"] == [KEY] for u in tdt)
    assert all(re.fullmatch(r"t[0-7]\.tianditu\.gov\.cn", u.hostname) for u in tdt)
    page.close()


def test_cli_key_adds_tianditu_and_without_it_the_legend_says_how(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from zonemap.cli import main

    key = "0123456789abcdef0123456789abcdef"
    res = CliRunner().invoke(main, ["map", "fenggang", "--tianditu-key", key, "--out", str(tmp_path / "k")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "k" / "fenggang.html").read_text(encoding="utf-8")
    assert "_w/wmts" in page and f"tk={key}" in page
    res = CliRunner(env={"ZONEMAP_TIANDITU_KEY": ""}).invoke(main, ["map", "fenggang", "--out", str(tmp_path / "n")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "n" / "fenggang.html").read_text(encoding="utf-8")
    assert "_w/wmts" not in page and "tk=" not in page
    found = re.search(r'<script type="application/json" id="zonemap-data">(.*?)</script>', page, re.S)
    assert found
    legend = json.loads(found.group(1))["legend"]
    notes = [it["label"] for sec in legend for it in sec["items"] if it["shape"] == "note"]
    assert tianditu_note(None) in notes
    res = CliRunner().invoke(main, ["map", "fenggang", "--tianditu-key", "not-a-key", "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "32" in res.output
