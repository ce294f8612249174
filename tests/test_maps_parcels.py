"""Tests for the parcel status map: ``zonemap map FILE --area-field F`` (issue 10 point 5).

The layer is test_parcels' planted one (its generator and its GK-plane TBMJ: three parcels wrong by
1–3 %, two without TBMJ, one empty geometry), with one id made an HTML tag. The page's data is decoded
here with the reference polyline decoder of test_maps and the encoding the module documents, and
compared with the input geometry and the planted statuses; the browser tests open the page, count
what the canvas drew, click a parcel and read its card.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import MultiPolygon, Polygon
from test_maps import polyline_decode  # the reference decoder, independent of zonemap
from test_parcels import (  # the planted layer and its expected statuses
    EMPTY_GEOMETRY,
    EMPTY_TBMJ,
    PLANTED,
    SCRIPT_ID,
    N,
    _expected_status,
    planted,  # noqa: F401  (the fixture)
)
from test_postgis import N as PG_N  # a PostGIS server and its planted tables
from test_postgis import layer, pg_dsn  # noqa: F401  (fixtures)

from zonemap.cli import main
from zonemap.maps import PARCEL_GRID_DEG, PARCEL_MAX_ZOOM, PARCEL_STATUS_COLOURS
from zonemap.parcels import PARCEL_STATUSES, read_parcels, reconcile_parcels
from zonemap.schema import FIGURE_STATUSES

PROBE = "<img src=x onerror=alert(1)>"
HALF_STEP = PARCEL_GRID_DEG / 2 * (1 + 1e-9)


@pytest.fixture(scope="module")
def layer_file(planted: gpd.GeoDataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    frame = planted.copy()
    frame.loc[SCRIPT_ID, "地块编号"] = PROBE
    path = tmp_path_factory.mktemp("parcelmap") / "dltb.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def _map(path: Path, out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(
        main, ["map", str(path), "--area-field", "TBMJ", "--area-decimals", "2", "--out", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    page = out / f"{path.stem}.html"
    assert f"wrote {page}" in result.output
    return page


@pytest.fixture(scope="module")
def page_path(layer_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _map(layer_file, tmp_path_factory.mktemp("out"))


def _data(page: str, element: str = "zonemap-parcels") -> dict:
    m = re.search(rf'<script type="application/json" id="{element}">(.*?)</script>', page, re.S)
    assert m, f"the page embeds #{element}"
    return json.loads(m.group(1))


def _codes(text: str) -> list[int]:
    return [ord(c) - 35 for c in text]


def _sums(text: str) -> np.ndarray:
    return np.cumsum(polyline_decode(text))


def _rings(geom: dict, n: int) -> list[list[np.ndarray]]:
    """Per parcel, its rings as (k, 2) lon/lat arrays, from the documented encoding."""
    values = np.asarray(polyline_decode(geom["coords"]), dtype=np.int64).reshape(-1, 2)
    latlon = np.cumsum(values, axis=0) / geom["scale"]
    nv = _sums(geom["nv"])
    per = polyline_decode(geom["rings"]) if geom["rings"] else [1] * n
    ends = np.cumsum(nv)
    rings = [latlon[e - k : e, ::-1] for e, k in zip(ends, nv, strict=True)]
    firsts = np.cumsum([0, *per])
    return [rings[firsts[i] : firsts[i + 1]] for i in range(n)]


def _signed(ring: np.ndarray) -> float:
    x, y = ring[:, 0] - ring[0, 0], ring[:, 1] - ring[0, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) / 2)


def test_page_counts_statuses_and_ids_as_planted(page_path: Path, planted: gpd.GeoDataFrame) -> None:  # noqa: F811
    page = page_path.read_text(encoding="utf-8")
    data = _data(page)
    expected = [_expected_status(i) for i in range(N)]
    counts = {s["word"]: s["n"] for s in data["statuses"]}
    assert counts == {s: expected.count(s) for s in PARCEL_STATUSES}
    assert counts == {"agrees": N - 6, "undetermined": 0, "disagrees": 3, "no_geometry": 1, "no_data": 2}
    # the colours are the schema's, the parcels without a stated area as featureless ones elsewhere
    assert {s["word"]: s["colour"] for s in data["statuses"]} == PARCEL_STATUS_COLOURS
    assert all(PARCEL_STATUS_COLOURS[w] == FIGURE_STATUSES[w].colour for w in FIGURE_STATUSES if w in counts)
    # one status per drawn parcel (every one but the empty geometry), in layer order
    drawn = [i for i in range(N) if i != EMPTY_GEOMETRY]
    words = [data["statuses"][c]["word"] for c in _codes(data["values"]["status"])]
    assert words == [expected[i] for i in drawn]
    ids = data["values"]["ids"]["list"]  # mixed ids: written as a list
    assert ids == [planted["地块编号"][i] if i != SCRIPT_ID else PROBE for i in drawn]
    # the legend: counts, the headline and the diagnosis sentence
    legend = " ".join(it["label"] for sec in _data(page, "zonemap-data")["legend"] for it in sec["items"])
    assert "不一致 disagrees: 3" in legend and f"一致 agrees: {N - 6:,}" in legend
    assert "无数字 no stated figure: 2" in legend and "无图形 no geometry: 1 (not drawn)" in legend
    assert f"{N:,} parcels: {N - 6:,} agree, 3 disagree" in legend
    assert "Gauss–Krüger plane area of EPSG:4547" in legend
    assert f"{PARCEL_GRID_DEG:.7f}°" in legend and f"zoom {PARCEL_MAX_ZOOM}" in legend
    # the id is data: never markup in the page (escaped inside the JSON)
    assert PROBE not in page and "\\u003cimg src=x onerror=alert(1)\\u003e" in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"https?:", page)  # offline: Leaflet inlined


def test_geometry_decodes_within_the_stated_precision(page_path: Path, planted: gpd.GeoDataFrame) -> None:  # noqa: F811
    data = _data(page_path.read_text(encoding="utf-8"))
    assert data["geom"]["scale"] == round(1 / PARCEL_GRID_DEG)
    drawn = [i for i in range(N) if i != EMPTY_GEOMETRY]
    decoded = _rings(data["geom"], len(drawn))
    for i, rings in zip(drawn, decoded, strict=True):
        (ring,) = rings
        source = np.asarray(planted.geometry[i].exterior.coords)[:-1]  # no closing vertex on the page
        if _signed(source) < 0:  # the page orients every shell counter-clockwise
            source = source[::-1]
        assert ring.shape == source.shape
        assert np.abs(ring - source).max() <= HALF_STEP, i
        assert _signed(ring) > 0
    assert data["bounds"] == pytest.approx(list(planted.geometry.total_bounds), abs=1e-12)


def test_areas_and_differences_decode_to_the_table(layer_file: Path, page_path: Path) -> None:
    data = _data(page_path.read_text(encoding="utf-8"))
    values = data["values"]
    table = reconcile_parcels(read_parcels(layer_file, area_field="TBMJ", area_decimals=2)).table
    t = table.drop(index=EMPTY_GEOMETRY).reset_index(drop=True)
    res, ref = values["res"], values["ref"]
    assert res == 0.01 and values["decimals"] == 2 and ref == "area_gk_m2" and values["decisive_cm"] is None

    def column(c: dict, base: np.ndarray) -> np.ndarray:
        out = base + np.asarray(polyline_decode(c["q"]), dtype=float)
        out[_sums(c["nan"]).astype(int)] = np.nan
        return out

    a = column(values["areas"][ref], np.zeros(len(t)))
    stated = column(values["stated"], a)
    diff = column(values["diff"], a - stated)
    for col in ("area_m2", "area_sandiao_m2", "area_gk_m2"):
        got = a if col == ref else column(values["areas"][col], a)
        np.testing.assert_array_equal(got, np.round(t[col].to_numpy() / res))
    np.testing.assert_array_equal(stated, np.round(t["stated_m2"].to_numpy() / res))
    np.testing.assert_array_equal(diff, np.round(t["diff_m2"].to_numpy() / res))
    assert np.isnan(stated[[r - (r > EMPTY_GEOMETRY) for r in EMPTY_TBMJ]]).all()
    methods = [values["methods"][c] for c in _codes(values["method"])]
    assert methods == t["method"].astype(str).tolist()


def test_holes_and_parts_are_oriented_for_one_nonzero_fill(tmp_path: Path) -> None:
    shell = [(113.75, 23.03), (113.76, 23.03), (113.76, 23.04), (113.75, 23.04)]
    hole = [(113.752, 23.032), (113.754, 23.032), (113.754, 23.034), (113.752, 23.034)]  # counter-clockwise
    cw = Polygon(shell[::-1], [hole])  # shell clockwise, hole counter-clockwise: both backwards
    parts = MultiPolygon([Polygon(shell).buffer(0), shapely.affinity.translate(Polygon(shell), 0.02)])
    frame = gpd.GeoDataFrame(
        {"BSM": ["DK0001", "DK0002", "DK0003"], "TBMJ": [1.0e6, 2.0e6, 1.0e5]},
        geometry=[cw, parts, shapely.affinity.translate(Polygon(shell), 0.05).buffer(0)],
        crs="EPSG:4490",
    )
    path = tmp_path / "holes&<i>.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    page = _map(path, tmp_path / "out").read_text(encoding="utf-8")
    assert "<title>holes&amp;&lt;i&gt; 地块对账" in page and "<i>" not in page  # the file name is text too
    data = _data(page)
    # ids of one prefix and zero-padded numbers are written as those
    assert data["values"]["ids"] == {"prefix": "DK000", "width": 1, "num": data["values"]["ids"]["num"]}
    assert [f"DK000{n}" for n in _sums(data["values"]["ids"]["num"])] == ["DK0001", "DK0002", "DK0003"]
    rings = _rings(data["geom"], 3)
    assert [len(r) for r in rings] == [2, 2, 1]
    assert _signed(rings[0][0]) > 0 > _signed(rings[0][1])  # shell counter-clockwise, hole clockwise
    assert all(_signed(r) > 0 for r in (*rings[1], rings[2][0]))
    for got, geom in zip(rings, frame.geometry, strict=True):
        for ring, src in zip(got, shapely.get_rings(shapely.get_parts(geom)), strict=False):
            want = np.asarray(src.coords)[:-1]
            near = [np.abs(np.roll(c, -k, axis=0) - ring).max() for c in (want, want[::-1]) for k in range(len(want))]
            assert min(near) <= HALF_STEP


def test_accuracy_option_gives_undetermined_on_the_map(layer_file: Path, tmp_path: Path) -> None:
    page = _map(layer_file, tmp_path, "--accuracy-m", "10", "--town", "塘厦").read_text(encoding="utf-8")
    assert "<title>塘厦镇 dltb 地块对账" in page  # the town as zonemap knows it, on the legend too
    assert _data(page, "zonemap-data")["legend"][0]["title"] == "塘厦镇 dltb: 面积对账 TBMJ vs measured"
    data = _data(page)
    counts = {s["word"]: s["n"] for s in data["statuses"]}
    # at 10 m every planted 1-3 % error lies within the buffered outlines (test_parcels shows it)
    assert counts == {"agrees": N - 6, "undetermined": len(PLANTED), "disagrees": 0, "no_geometry": 1, "no_data": 2}
    # each undetermined parcel's card says the accuracy that would decide it (cm, floored), as the table has it
    table = reconcile_parcels(read_parcels(layer_file, area_field="TBMJ", area_decimals=2), accuracy_m=10.0).table
    decisive = data["values"]["decisive_cm"]
    at = _sums(decisive["at"])
    assert at.tolist() == [r - (r > EMPTY_GEOMETRY) for r in sorted(PLANTED)]  # positions among the drawn
    want = np.floor(table["decisive_accuracy_m"].to_numpy()[sorted(PLANTED)] * 100 + 1e-9)
    assert polyline_decode(decisive["q"]) == want.astype(int).tolist()


def test_figure_mode_and_towns_keep_the_town_map(tmp_path: Path) -> None:
    from _handmade import write_geodata

    config = write_geodata(tmp_path / "geo")
    result = CliRunner().invoke(main, ["map", "fenggang", "--geodata", str(config.geodata_dir), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "fenggang.html").read_text(encoding="utf-8")
    assert 'id="zonemap-data"' in page and 'id="zonemap-parcels"' not in page


def test_postgis_source_outside_parcel_mode_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["map", "postgresql://localhost/x", "--table", "dltb", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "mapped parcel by parcel (fix: add --area-field" in result.output


# --------------------------------------------------------------------------- in the browser


def _open(browser, path: Path, width: int = 1400, height: int = 900):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "net::ERR_FAILED" not in m.text else None,
    )
    page.route(re.compile(r"^https?://"), lambda route: route.abort())  # no internet: tiles aborted
    page.goto(path.as_uri())
    page.wait_for_function("window.zonemapParcels && window.zonemapParcels.painted !== undefined", timeout=30_000)
    return page, problems


_MAP = "Object.values(window).find(v => v instanceof L.Map)"


@pytest.mark.browser
def test_browser_draws_every_parcel_and_the_card_keeps_ids_as_text(
    browser,  # type: ignore[no-untyped-def]
    page_path: Path,
    planted: gpd.GeoDataFrame,  # noqa: F811
) -> None:
    page, problems = _open(browser, page_path)
    drawn = page.evaluate("zonemapParcels.lastDraw.parcels")
    assert drawn == N - 1  # the fitted first view shows every parcel with a geometry
    assert page.evaluate("zonemapParcels.draws") == 1  # drawn once, after the first fit
    legend = page.locator(".zonemap-legend").inner_text()
    assert "不一致 disagrees: 3" in legend and f"{N:,} parcels" in legend
    # zoom onto the parcel whose id is a tag, click a point inside it, read the card
    inside = planted.geometry[SCRIPT_ID].point_on_surface()
    xy = page.evaluate(
        f"""ll => {{ const m = {_MAP}; m.setView(ll, 17, {{animate: false}});
        const p = m.latLngToContainerPoint(ll), r = m.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }}""",
        {"lat": inside.y, "lng": inside.x},
    )
    assert page.evaluate("zonemapParcels.lastDraw.zoom") == 17
    page.mouse.click(*xy)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    text = popup.inner_text()
    assert PROBE in text  # shown as text...
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], .leaflet-popup img').length") == 0  # ...not built
    tbmj = planted["TBMJ"][SCRIPT_ID]
    assert f"{tbmj:,.2f} m²" in text and "agrees" in text and "gk_plane" in text
    assert "area_gk_m2 ← diff" in text and "diff_pct" in text
    assert not problems, problems
    page.close()


@pytest.mark.browser
def test_browser_phone_folds_the_legend_and_still_draws(browser, page_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, problems = _open(browser, page_path, 390, 844)
    assert page.evaluate("zonemapParcels.lastDraw.parcels") == N - 1
    assert page.locator(".zonemap-legend.zm-collapsed").count() == 1  # folded on a phone, a button opens it
    page.locator(".zonemap-legend .zm-toggle").click()
    assert "一致 agrees" in page.locator(".zonemap-legend").inner_text()
    assert not problems, problems
    page.close()


@pytest.mark.slow
def test_postgis_table_maps_as_its_geopackage(pg_dsn: str, layer: dict[str, object], tmp_path: Path) -> None:  # noqa: F811
    """A PostGIS source ('PG:... tables=...') gives the page the same layer in a GeoPackage gives."""
    gpkg = _data(_map(Path(str(layer["gpkg"])), tmp_path / "gpkg").read_text(encoding="utf-8"))
    out = tmp_path / "pg"
    args = ["map", f"PG:{pg_dsn} tables=zmtest.parcels_4526", "--area-field", "TBMJ", "--out", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    pg = _data((out / "parcels_4526.html").read_text(encoding="utf-8"))  # named after the table
    assert pg["statuses"] == gpkg["statuses"] and sum(s["n"] for s in pg["statuses"]) == PG_N
    assert pg["geom"] == gpkg["geom"] and pg["values"] == gpkg["values"]
