"""Tests for zonemap.parcels: the parcel-by-parcel reconciliation engine (issue 10).

The planted layer: a few hundred parcels around Dongcheng (0.25° west of 114°E, where the
Gauss–Krüger plane area is ~13 ppm above the geodesic one) whose TBMJ the test computes itself as
the GK plane area (pyproj to EPSG:4526, then a shoelace written here), rounded to 0.01 m² as 三调
layers store it; three made wrong by 1–3 %, two with TBMJ empty, one empty geometry, and ids that
look like a spreadsheet formula and an HTML script. It is written as a GBK Shapefile in EPSG:4526,
a GeoPackage and a GeoParquet (WKB and geoarrow encodings) in CGCS2000 lon/lat.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Polygon

from zonemap.errors import CRSError, SchemaError
from zonemap.parcels import (
    PARCEL_COLUMNS,
    merge_summaries,
    read_parcels,
    reconcile_parcels,
    run_parcels,
    summary_of,
    write_parcel_table,
)
from zonemap.textsafe import restore_csv_series

GEOD = Geod(ellps="GRS80")
N = 300
PLANTED = {7: 1.02, 50: 0.97, 211: 1.013}  # row -> factor on the true plane area
EMPTY_TBMJ = (12, 140)
EMPTY_GEOMETRY = 99
FORMULA_ID, SCRIPT_ID = 3, 4


def _polygons(n: int, seed: int = 5) -> list[Polygon]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        nv = int(rng.integers(5, 40))
        ang = np.sort(rng.uniform(0, 2 * np.pi, nv))
        radius = math.sqrt(rng.uniform(2e3, 8e4) / (math.pi * 0.65))
        rad = radius * rng.uniform(0.6, 1.0, nv)
        cx, cy = 113.75 + rng.uniform(-0.04, 0.04), 23.03 + rng.uniform(-0.04, 0.04)
        x = cx + rad * np.cos(ang) / (111_320 * math.cos(math.radians(cy)))
        y = cy + rad * np.sin(ang) / 110_700
        out.append(Polygon(np.column_stack([x, y])))
    return out


def gk_shoelace(geom: Polygon) -> float:
    """Plane area in EPSG:4526 (GK zone 38, CM 114°E): project every vertex, shoelace about the first."""
    xy = np.asarray(geom.exterior.coords)
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4526", always_xy=True).transform(xy[:, 0], xy[:, 1])
    x, y = np.asarray(x) - x[0], np.asarray(y) - y[0]
    return abs(float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))) / 2


@pytest.fixture(scope="module")
def planted() -> gpd.GeoDataFrame:
    geoms = _polygons(N)
    tbmj = np.array([round(gk_shoelace(g), 2) for g in geoms])
    for row, factor in PLANTED.items():
        tbmj[row] = round(gk_shoelace(geoms[row]) * factor, 2)
    ids = [f"塘厦-{i:04d}" for i in range(N)]
    ids[FORMULA_ID] = "=cmd|' /C calc'!A0"
    ids[SCRIPT_ID] = "<script>alert(1)</script>"
    values: list[float | None] = tbmj.tolist()
    for row in EMPTY_TBMJ:
        values[row] = None
    geoms[EMPTY_GEOMETRY] = Polygon()
    kcxs = np.round(np.linspace(0.0, 0.2, N), 4)
    kcmj = np.round(tbmj * kcxs, 2)
    kcmj[20] += 1.0  # an arithmetic error in the 三调 fields
    tbdlmj = np.round(tbmj - kcmj, 2)
    return gpd.GeoDataFrame(
        {"地块编号": ids, "TBMJ": values, "KCXS": kcxs, "KCMJ": kcmj, "TBDLMJ": tbdlmj},
        geometry=geoms,
        crs="EPSG:4490",
    )


@pytest.fixture(scope="module")
def files(planted: gpd.GeoDataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("parcels")
    out = {"shp": d / "dltb.shp", "gpkg": d / "dltb.gpkg", "parquet": d / "dltb.parquet"}
    planted.to_crs("EPSG:4526").to_file(out["shp"], encoding="GBK", engine="pyogrio")
    planted.to_file(out["gpkg"], driver="GPKG", engine="pyogrio")
    planted.to_parquet(out["parquet"])
    out["geoarrow"] = d / "dltb_geoarrow.parquet"
    planted.to_parquet(out["geoarrow"], geometry_encoding="geoarrow")
    return out


def _expected_status(row: int) -> str:
    if row == EMPTY_GEOMETRY:
        return "no_geometry"
    if row in EMPTY_TBMJ:
        return "no_data"
    return "disagrees" if row in PLANTED else "agrees"


@pytest.mark.parametrize("kind", ["shp", "gpkg", "parquet", "geoarrow"])
def test_planted_statuses_areas_and_methods(kind: str, files: dict[str, Path], planted: gpd.GeoDataFrame) -> None:
    opts = {"encoding": "GBK"} if kind == "shp" else {}
    layer = read_parcels(files[kind], area_field="TBMJ", area_decimals=2, **opts)
    result = reconcile_parcels(layer)
    t = result.table
    assert list(t.columns[: len(PARCEL_COLUMNS)]) == list(PARCEL_COLUMNS)
    assert t["id"].tolist() == planted["地块编号"].tolist()
    assert t["status"].astype(str).tolist() == [_expected_status(i) for i in range(N)]
    assert result.reference == "gk_plane"
    assert result.counts == {"agrees": N - 6, "undetermined": 0, "disagrees": 3, "no_geometry": 1, "no_data": 2}
    ok = np.array([_expected_status(i) == "agrees" for i in range(N)])
    # geodesic area against GeographicLib, GK plane area against the projected shoelace
    geoms = planted.geometry.to_numpy()
    geod = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) if not g.is_empty else 0.0 for g in geoms])
    present = ~shapely.is_empty(geoms)
    # zonemap.ellipsoid's kernel is within ~1e-9 of GeographicLib on most parcels (median), up to 5.3e-8
    # (1.3e-4 m²) on small few-vertex ones: far inside the 0.005 m² of a TBMJ, and asserted as such
    rel = np.abs(t["area_m2"].to_numpy()[present] / geod[present] - 1)
    assert np.median(rel) < 3e-9 and rel.max() < 1e-7
    gk = np.array([gk_shoelace(g) if not g.is_empty else np.nan for g in geoms])
    # the GK plane area is ∫ k² dA over the geodesic polygon (zonemap.sandiao): it inherits that kernel's error
    rel_gk = np.abs(t["area_gk_m2"].to_numpy()[present] / gk[present] - 1)
    assert np.median(rel_gk) < 3e-9 and rel_gk.max() < 1e-7
    # GK is k² ≈ 1 + (Δλ cos φ)² above the geodesic area (11-22 ppm here), the 三调 procedure within 1e-6 of it
    centre = shapely.centroid(geoms[present])
    k2 = 1 + (np.radians(shapely.get_x(centre) - 114.0) * np.cos(np.radians(shapely.get_y(centre)))) ** 2
    ratio = t["area_gk_m2"].to_numpy()[present] / geod[present]
    np.testing.assert_allclose(ratio - 1, k2 - 1, rtol=0.03)
    np.testing.assert_allclose(t["area_sandiao_m2"].to_numpy()[present], geod[present], rtol=2e-6)
    # diff_m2 by hand: the GK plane area minus TBMJ
    stated = planted["TBMJ"].to_numpy(dtype=float)
    comparable = present & np.isfinite(stated)
    diff = t["diff_m2"].to_numpy()[comparable]
    np.testing.assert_array_equal(diff, (t["area_gk_m2"] - t["stated_m2"]).to_numpy()[comparable])
    assert np.all(np.abs(diff - (gk - stated)[comparable]) <= 1e-7 * gk[comparable])
    np.testing.assert_allclose(t["diff_pct"].to_numpy()[comparable], 100 * diff / stated[comparable], rtol=1e-12)
    for row, factor in PLANTED.items():
        assert t["diff_pct"][row] == pytest.approx(100 * (1 / factor - 1), abs=1e-3)
    # agreeing: within half a cent of m² plus the kernels' stated accuracy 2e-8·area (methods.KERNEL_REL_ACCURACY)
    assert np.all(np.abs(t["diff_m2"].to_numpy()[ok]) <= 0.005 * (1 + 1e-9) + 2e-8 * t["area_gk_m2"].to_numpy()[ok])
    method = t["method"].astype(str).to_numpy()
    assert all("gk_plane" in m.split("|") for m in method[ok])
    assert all(m == "none" for m in method[list(PLANTED)])
    assert set(method[[*EMPTY_TBMJ, EMPTY_GEOMETRY]]) == {"no_data"}
    assert "Gauss–Krüger plane area of EPSG:4547" in result.diagnosis
    # the 三调 arithmetic error planted in KCMJ of row 20 (and TBDLMJ = TBMJ - KCMJ follows the wrong KCMJ)
    checks = result.field_checks
    assert checks["id"].tolist() == [planted["地块编号"][20]]
    assert checks["check"].tolist() == ["KCMJ = TBMJ * KCXS"]


def test_accuracy_gives_undetermined_with_the_deciding_accuracy(files: dict[str, Path]) -> None:
    layer = read_parcels(files["gpkg"], area_field="TBMJ", area_decimals=2)
    result = reconcile_parcels(layer, accuracy_m=10.0)
    t = result.table
    status = t["status"].astype(str).to_numpy()
    # at 10 m every planted 1-3 % error is inside perimeter x 10 m: undetermined, not disagrees
    assert set(status[list(PLANTED)]) == {"undetermined"}
    geoms = layer.geometry
    for row in PLANTED:
        perimeter = GEOD.geometry_area_perimeter(geoms[row])[1]
        d, h = abs(t["diff_m2"][row]), 0.005
        assert t["decisive_accuracy_m"][row] == pytest.approx((d - h) / perimeter, rel=1e-3)
        assert t["inner_m2"][row] < t["area_gk_m2"][row] < t["outer_m2"][row]
        # outward buffer of a star-shaped (non-convex) polygon: at most P·d + πd², at least most of P·d
        grown = t["outer_m2"][row] - t["area_gk_m2"][row]
        assert 0.8 * 10 * perimeter < grown <= (10 * perimeter + math.pi * 100) * 1.001
    assert np.isnan(t["decisive_accuracy_m"][status == "agrees"]).all()


def test_csv_has_bom_round_trips_and_neutralises_formulas(files: dict[str, Path], tmp_path: Path) -> None:
    result = reconcile_parcels(read_parcels(files["parquet"], area_field="TBMJ", area_decimals=2))
    path = write_parcel_table(result, tmp_path / "p.csv", "csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(back.columns) == list(result.table.columns)
    assert back["id"][FORMULA_ID] == "'" + result.table["id"][FORMULA_ID]
    assert restore_csv_series(back["id"]).tolist() == result.table["id"].tolist()
    for col in ("stated_m2", "area_m2", "area_sandiao_m2", "area_gk_m2", "diff_m2", "diff_pct"):
        np.testing.assert_array_equal(back[col].to_numpy(dtype=float), result.table[col].to_numpy(dtype=float))
    assert back["status"].tolist() == result.table["status"].astype(str).tolist()
    gbk = write_parcel_table(result, tmp_path / "p_gbk.csv", "csv", encoding="gbk")
    assert "塘厦-0000" in gbk.read_bytes().decode("gbk")


@pytest.mark.parametrize("fmt", ["parquet", "gpkg"])
def test_geoparquet_and_geopackage_read_back_equal(fmt: str, files: dict[str, Path], tmp_path: Path) -> None:
    layer = read_parcels(files["shp"], area_field="TBMJ", area_decimals=2, encoding="GBK")
    result = reconcile_parcels(layer)
    path = write_parcel_table(result, tmp_path / f"p.{fmt}", fmt)
    back = gpd.read_parquet(path) if fmt == "parquet" else gpd.read_file(path)
    assert back.crs.is_geographic
    t = result.table
    assert back["id"].tolist() == t["id"].tolist()
    assert back["status"].tolist() == t["status"].astype(str).tolist()
    assert back["method"].tolist() == t["method"].astype(str).tolist()
    for col in ("stated_m2", "area_m2", "area_gk_m2", "diff_m2"):
        np.testing.assert_array_equal(back[col].to_numpy(dtype=float), t[col].to_numpy(dtype=float))
    geoms = back.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    assert present.sum() == N - 1
    assert shapely.equals_exact(geoms[present], layer.geometry[present], tolerance=1e-12).all()


def test_summary_svg_worst_order_and_inert_text(files: dict[str, Path], tmp_path: Path) -> None:
    result = run_parcels(files["gpkg"], tmp_path, formats=("csv",), area_field="TBMJ", area_decimals=2)
    svg = (tmp_path / "parcels_summary_histogram.svg").read_text()
    assert svg.startswith("<svg") and "<rect" in svg
    data = json.loads((tmp_path / "parcels_summary.json").read_text())
    worst = [abs(r["diff_m2"]) for r in data["worst"]]
    assert len(worst) == 50 and worst == sorted(worst, reverse=True)
    table = result.table
    assert worst[0] == pytest.approx(np.nanmax(np.abs(table["diff_m2"].to_numpy())))
    assert data["counts"]["disagrees"] == 3 and sum(h["count"] for h in data["histogram"]) == N - 3
    page = (tmp_path / "parcels_summary.html").read_text()
    assert "<svg" in page and "<script>" not in page
    md = (tmp_path / "parcels_summary.md").read_text()
    assert "parcels_summary_histogram.svg" in md and "<script>" not in md
    # the script id is among the worst 50 only if its difference is large: check it is escaped wherever it is
    assert "&lt;script&gt;" in page or "script" not in page.split("<h2>The 50")[1]


def test_ids_stay_inert_in_every_report(files: dict[str, Path], tmp_path: Path, planted: gpd.GeoDataFrame) -> None:
    frame = planted.copy()
    frame.loc[FORMULA_ID, "TBMJ"] = frame.loc[FORMULA_ID, "TBMJ"] * 2  # now among the worst
    frame.loc[SCRIPT_ID, "TBMJ"] = frame.loc[SCRIPT_ID, "TBMJ"] * 2
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path)
    run_parcels(path, tmp_path / "out", formats=("csv",), area_field="TBMJ", area_decimals=2)
    page = (tmp_path / "out" / "parcels_summary.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    md = (tmp_path / "out" / "parcels_summary.md").read_text()
    assert "&lt;script&gt;" in md and "<script>" not in md
    csv = (tmp_path / "out" / "parcels.csv").read_text(encoding="utf-8-sig")
    assert "\"'=cmd|" in csv and '"=cmd' not in csv


def test_bad_input_names_file_feature_and_fix(
    files: dict[str, Path], planted: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    with pytest.raises(SchemaError, match=r"no attribute 'TBM'.*TBMJ"):
        read_parcels(files["gpkg"], area_field="TBM", area_decimals=2)
    with pytest.raises(SchemaError, match="--area-decimals"):
        read_parcels(files["gpkg"], area_field="TBMJ")
    text = planted.assign(TBMJ=planted["TBMJ"].astype(object))
    text.loc[30, "TBMJ"] = "约1200"
    text["TBMJ"] = text["TBMJ"].map(lambda v: None if v is None or v != v else str(v))
    bad = tmp_path / "text.parquet"
    text.to_parquet(bad)
    with pytest.raises(SchemaError, match=r"'约1200'.*塘厦-0030"):
        read_parcels(bad, area_field="TBMJ")
    mixed = planted.copy()
    mixed.loc[40, "geometry"] = shapely.Point(113.7, 23.0)
    mpath = tmp_path / "mixed.parquet"
    mixed.to_parquet(mpath)
    with pytest.raises(SchemaError, match=r"feature #40 \(id 塘厦-0040\) is a Point"):
        read_parcels(mpath, area_field="TBMJ", area_decimals=2)
    with pytest.raises(CRSError):
        read_parcels(files["gpkg"], area_field="TBMJ", area_decimals=2, crs="EPSG:99999")
    nocrs = tmp_path / "nocrs.gpkg"
    planted.set_crs(None, allow_override=True).to_file(nocrs, driver="GPKG", engine="pyogrio")
    with pytest.raises(CRSError, match="--crs"):
        read_parcels(nocrs, area_field="TBMJ", area_decimals=2)


def test_text_values_keep_their_written_digits(planted: gpd.GeoDataFrame, tmp_path: Path) -> None:
    text = planted.copy()
    text["TBMJ"] = [None if v != v else f"{v:.2f}" for v in planted["TBMJ"].to_numpy(dtype=float)]
    text.loc[0, "TBMJ"] = f"{float(planted['TBMJ'][0]):.1f}"  # written to 0.1: precision 0.05
    path = tmp_path / "text.parquet"
    text.to_parquet(path)
    layer = read_parcels(path, area_field="tbmj")
    assert layer.precision_m2[0] == pytest.approx(0.05) and layer.precision_m2[1] == pytest.approx(0.005)
    assert np.isnan(layer.stated_m2[EMPTY_TBMJ[0]])
    statuses = reconcile_parcels(layer).table["status"].astype(str).tolist()
    assert statuses[1:] == [_expected_status(i) for i in range(1, N)]


def test_progress_hook_and_timings(files: dict[str, Path], tmp_path: Path) -> None:
    calls: list[tuple[str, float]] = []
    result = run_parcels(
        files["parquet"],
        tmp_path,
        formats=("csv", "parquet"),
        summary=("json",),
        area_field="TBMJ",
        area_decimals=2,
        progress=lambda stage, share: calls.append((stage, share)),
    )
    stages = [c[0] for c in calls]
    assert stages[0] == "read" and stages[-1] == "done"
    assert {"areas", "status", "write"} <= set(stages)
    shares = [c[1] for c in calls]
    assert shares == sorted(shares)
    assert {"read", "areas", "status", "write_csv", "write_parquet"} <= set(result.timings)


def test_merged_partition_summaries_equal_the_whole(
    files: dict[str, Path], planted: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    whole = summary_of(reconcile_parcels(read_parcels(files["parquet"], area_field="TBMJ", area_decimals=2)))
    parts = []
    for i, rows in enumerate((slice(0, 120), slice(120, N))):
        path = tmp_path / f"part{i}.parquet"
        planted.iloc[rows].to_parquet(path)
        layer = read_parcels(path, area_field="TBMJ", area_decimals=2)
        parts.append(summary_of(reconcile_parcels(layer, reference="gk_plane")))
    merged = merge_summaries(parts, source=tmp_path)
    assert merged.counts == whole.counts and merged.method_counts == whole.method_counts
    assert merged.reference == whole.reference == "gk_plane"
    assert merged.diagnosis == whole.diagnosis
    assert merged.histogram["count"].tolist() == whole.histogram["count"].tolist()
    pd.testing.assert_frame_equal(merged.worst, whole.worst)
    assert merged.field_checks_failing == whole.field_checks_failing == 1
    assert merged.partitions == 2 and merged.headline == whole.headline


@pytest.mark.parametrize("kind", ["shp", "gpkg", "parquet", "geoarrow"])
def test_batched_read_gives_the_whole_reads_results(
    kind: str, files: dict[str, Path], planted: gpd.GeoDataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keep_rings=False reads in batches (37 rows here: 9 of them) and keeps only the areas: same table."""
    import zonemap.parcels._batches as batches

    opts = {"encoding": "GBK"} if kind == "shp" else {}
    whole = reconcile_parcels(read_parcels(files[kind], area_field="TBMJ", area_decimals=2, **opts))
    monkeypatch.setattr(batches, "BATCH_ROWS", 37)
    layer = read_parcels(files[kind], area_field="TBMJ", area_decimals=2, keep_rings=False, **opts)
    assert layer.flat.lon.size == 0 and layer.areas is not None and len(layer.areas) == N
    assert layer.wkb is not None and layer.wkb.num_chunks >= (9 if kind != "shp" else 1)
    streamed = reconcile_parcels(layer)
    pd.testing.assert_frame_equal(streamed.table, whole.table)
    assert streamed.diagnosis == whole.diagnosis and streamed.counts == whole.counts
    pd.testing.assert_frame_equal(streamed.field_checks, whole.field_checks)
    # the geometries kept batch by batch are the file's, byte for byte
    one = read_parcels(files[kind], area_field="TBMJ", area_decimals=2, **opts).wkb
    assert one is not None and layer.wkb.combine_chunks().equals(one.combine_chunks())


def test_batched_read_of_parts_holes_and_a_bad_feature_late(
    planted: gpd.GeoDataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zonemap.parcels._batches as batches

    frame = planted.copy()
    shell = frame.geometry[100]
    hole = shapely.affinity.scale(shell, 0.3, 0.3)
    frame.loc[100, "geometry"] = shapely.MultiPolygon([Polygon(shell.exterior, [hole.exterior]), frame.geometry[101]])
    path = tmp_path / "parts.parquet"
    frame.to_parquet(path)
    monkeypatch.setattr(batches, "BATCH_ROWS", 16)
    layer = read_parcels(path, area_field="TBMJ", area_decimals=2, keep_rings=False)
    assert layer.multi_ring
    area = reconcile_parcels(layer).table["area_m2"].to_numpy()

    def ring_area(ring: shapely.LinearRing) -> float:  # GeographicLib, whatever the orientation
        xy = np.asarray(ring.coords)
        return abs(GEOD.polygon_area_perimeter(xy[:, 0], xy[:, 1])[0])

    expected = ring_area(shell.exterior) - ring_area(hole.exterior) + ring_area(planted.geometry[101].exterior)
    assert area[100] == pytest.approx(expected, rel=1e-8)
    np.testing.assert_array_equal(
        np.delete(area, 100),
        np.delete(
            reconcile_parcels(read_parcels(path, area_field="TBMJ", area_decimals=2)).table["area_m2"].to_numpy(), 100
        ),
    )
    frame.loc[250, "geometry"] = shapely.Point(113.7, 23.0)
    frame.to_parquet(path)
    with pytest.raises(SchemaError, match=r"feature #250 \(id 塘厦-0250\) is a Point"):
        read_parcels(path, area_field="TBMJ", area_decimals=2, keep_rings=False)


def test_csv_written_in_two_halves_is_the_same_file(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zonemap.parcels._write as write

    result = reconcile_parcels(read_parcels(files["parquet"], area_field="TBMJ", area_decimals=2))
    one = write_parcel_table(result, tmp_path / "one.csv", "csv").read_bytes()
    monkeypatch.setattr(write, "_SPLIT_ROWS", 50)
    two = write_parcel_table(result, tmp_path / "two.csv", "csv").read_bytes()
    assert two == one and one.count(b"\n") == N + 1


@pytest.mark.parametrize("kind", ["parquet", "gpkg"])
def test_batched_read_moves_the_progress_bar(
    kind: str, files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zonemap.parcels._batches as batches

    monkeypatch.setattr(batches, "BATCH_ROWS", 37)
    calls: list[tuple[str, float]] = []
    run_parcels(
        files[kind],
        tmp_path,
        summary=(),
        area_field="TBMJ",
        area_decimals=2,
        progress=lambda s, v: calls.append((s, v)),
    )
    reads = [v for s, v in calls if s == "read"]
    # one call a batch of 37 rows: 0.3 x rows read / 300, then 0.3 when the layer is read
    assert reads[1:-1] == pytest.approx([0.3 * min(37 * k, N) / N for k in range(1, 10)])
    assert [v for _, v in calls] == sorted(v for _, v in calls)
