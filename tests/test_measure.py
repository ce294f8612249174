"""The measure tool: clicked in Chromium on a Fenggang map, checked against pyproj.Geod (GeographicLib in C)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from zonemap.maps import build_map, collect_layers, render_map
from zonemap.maps._measure import MEASURE_ENV, add_measure_tool, geodesic_js, measure_note

GEOD = Geod(ellps="WGS84")
MU_M2 = 10000 / 15  # 1 亩

# a quadrilateral over Fenggang's zones (lon, lat), clicked in this order
POLYGON = [(114.128, 22.731), (114.171, 22.728), (114.176, 22.761), (114.134, 22.768)]


def needs_library():
    if geodesic_js() is None:
        pytest.fail(f"geographiclib-geodesic is missing: run `npm ci` at the repository root ({measure_note()})")


def test_without_the_library_the_tool_is_absent_and_the_note_says_how(tmp_path, monkeypatch, config):
    monkeypatch.setenv(MEASURE_ENV, str(tmp_path / "missing.js"))
    m = build_map(collect_layers(config, "fenggang"))
    assert add_measure_tool(m) is False
    assert "zonemapMeasure" not in render_map(m)
    assert "npm ci" in measure_note() and MEASURE_ENV in measure_note()


def test_the_library_is_inlined_and_cannot_close_its_script(tmp_path, monkeypatch, config):
    needs_library()
    lib = tmp_path / "geo.js"
    lib.write_text(geodesic_js() + "\n// </script><img src=x>\n", encoding="utf-8")
    monkeypatch.setenv(MEASURE_ENV, str(lib))
    m = build_map(collect_layers(config, "fenggang"))
    assert add_measure_tool(m) is True
    page = render_map(m)
    assert "geodesic.Geodesic=" in page.replace(" ", "") or "geodesic.Geodesic =" in page
    assert "<img src=x>" in page and "</script><img" not in page  # the text stays inside the script


def page_with_tool(config, tmp_path) -> Path:
    needs_library()
    m = build_map(collect_layers(config, "fenggang"))
    assert add_measure_tool(m)
    path = tmp_path / "fenggang.html"
    path.write_text(render_map(m, offline=True), encoding="utf-8")
    return path


def open_page(browser, path, zoom=14, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.goto(path.as_uri())
    page.wait_for_function("window.zonemapMeasure && window.zonemapMeasure.control && window.zonemapRendered")
    page.wait_for_timeout(300)  # the page fits its view to the town in a frame after it has rendered
    page.evaluate("() => { window.zmMap = Object.values(window).find(v => v instanceof L.Map); }")
    page.evaluate("z => zmMap.setView([22.748, 114.152], z, {animate: false})", zoom)
    return ctx, page, problems


def screen_points(page, lonlat):
    return page.evaluate("pts => pts.map(p => zmMap.latLngToContainerPoint([p[1], p[0]]))", [list(p) for p in lonlat])


def reference(points_latlng):
    lat, lon = np.asarray(points_latlng).T
    path = sum(GEOD.inv(lon[i], lat[i], lon[i + 1], lat[i + 1])[2] for i in range(len(lon) - 1))
    area, perimeter = GEOD.polygon_area_perimeter(lon, lat)
    return path, abs(area), perimeter


def number(text: str, unit: str) -> float:
    return float(re.search(rf"([\d,]+(?:\.\d+)?) {unit}", text).group(1).replace(",", ""))


@pytest.mark.browser
def test_measured_polygon_matches_geographiclib_in_python(tmp_path, browser, config):
    ctx, page, problems = open_page(browser, page_with_tool(config, tmp_path), viewport={"width": 1400, "height": 900})
    page.locator(".zm-measure-toggle").click()
    box = page.locator(".leaflet-container").bounding_box()
    for p in screen_points(page, POLYGON):
        page.mouse.click(box["x"] + p["x"], box["y"] + p["y"])
    state = page.evaluate("zonemapMeasure.state")
    assert len(state["points"]) == 4
    # the recorded vertices are where the mouse clicked: within a pixel (~10 m at zoom 14) of the polygon
    got = np.asarray(state["points"])
    assert np.abs(got[:, ::-1] - np.asarray(POLYGON)).max() < 1.5 * 360 / 256 / 2**14
    path, area, perimeter = reference(state["points"])
    assert state["distance_m"] == pytest.approx(path, rel=1e-6)
    assert state["area_m2"] == pytest.approx(area, rel=1e-6)
    assert state["perimeter_m"] == pytest.approx(perimeter, rel=1e-6)
    assert 10e6 < area < 25e6  # ~4.5 km x 4 km: the test polygon is what it says
    text = page.locator(".zm-measure-out").inner_text()
    assert number(text, "km") == pytest.approx(path / 1000, abs=5e-4)
    assert number(text, "m²") == pytest.approx(area, abs=0.5)
    assert number(text, "公顷") == pytest.approx(area / 10_000, abs=5e-3)
    assert number(text, "亩") == pytest.approx(area / MU_M2, abs=5e-3)
    assert not page.locator(".leaflet-popup").count()  # clicks on zones measure, they open no popup
    page.screenshot(path=tmp_path / "measure_1400x900.png")
    page.locator(".zm-measure-undo").click()
    assert len(page.evaluate("zonemapMeasure.state.points")) == 3
    page.locator(".zm-measure-clear").click()
    assert page.evaluate("zonemapMeasure.state") == {"points": [], "distance_m": 0, "perimeter_m": 0, "area_m2": 0}
    assert "Distance" not in page.locator(".zm-measure-out").inner_text()
    assert not problems, problems
    ctx.close()


@pytest.mark.browser
def test_measure_by_touch_on_a_phone(tmp_path, browser, config):
    ctx, page, problems = open_page(
        browser,
        page_with_tool(config, tmp_path),
        zoom=13,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page.locator(".zm-measure-toggle").tap()
    box = page.locator(".leaflet-container").bounding_box()
    pts = screen_points(page, POLYGON[:3])
    for p in pts:
        assert 0 < p["x"] < 390 and 0 < p["y"] < 844
        page.touchscreen.tap(box["x"] + p["x"], box["y"] + p["y"])
        page.wait_for_timeout(400)  # taps further apart than a double tap
    state = page.evaluate("zonemapMeasure.state")
    assert len(state["points"]) == 3
    _, area, _ = reference(state["points"])
    assert state["area_m2"] == pytest.approx(area, rel=1e-6)
    panel = page.locator(".zm-measure-panel").bounding_box()
    assert panel["x"] + panel["width"] <= 390  # the readout stays on the phone's screen
    assert "亩" in page.locator(".zm-measure-out").inner_text()
    page.screenshot(path=tmp_path / "measure_390x844.png")
    page.locator(".zm-measure-clear").tap()
    assert page.evaluate("zonemapMeasure.state.points.length") == 0
    assert not problems, problems
    ctx.close()
