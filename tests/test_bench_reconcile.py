"""The reconciliation benchmark's synthetic layer is what it says: TBMJ is the Gauss–Krüger plane area.

benchmarks/bench_reconcile.py states each parcel's TBMJ as its plane area in EPSG:4526 (CGCS2000, 3-degree zone
38) rounded to 0.01 m², with 1 % of them off by 1–3 %. Checked here independently: every ring projected vertex by
vertex with a pyproj Transformer to EPSG:4547 (the same Gauss–Krüger projection, central meridian 114°E, without
the zone number in the false easting) and its area summed by the shoelace formula written out below.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_reconcile

N = 200


def shoelace(xs: list[float], ys: list[float]) -> float:
    """Area of a closed ring (first vertex repeated last): ½ |Σ x_i y_{i+1} − x_{i+1} y_i|.

    Taken about the ring's centroid of vertices (the sum does not change under a translation): on raw GK
    coordinates (~2.5e6 m) the products are ~1e12 m² and cancel to ~1e-4 m², too coarse for 0.01 m² rounding.
    """
    cx, cy = sum(xs[:-1]) / (len(xs) - 1), sum(ys[:-1]) / (len(ys) - 1)
    total = 0.0
    for i in range(len(xs) - 1):
        total += (xs[i] - cx) * (ys[i + 1] - cy) - (xs[i + 1] - cx) * (ys[i] - cy)
    return abs(total) / 2


@pytest.fixture(scope="module")
def layer():
    return bench_reconcile.make_parcels(N, seed=3)


def test_stated_areas_are_gk_plane_areas_except_the_planted(layer) -> None:
    frame, planted = layer
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    plane = []
    for polygon in frame.geometry:
        lon, lat = zip(*polygon.exterior.coords, strict=True)
        x, y = to_gk.transform(lon, lat)
        plane.append(shoelace(list(x), list(y)))
    plane_m2 = np.array(plane)
    stated = frame["TBMJ"].to_numpy()
    wrong = np.zeros(N, dtype=bool)
    wrong[planted] = True
    # rounding to 0.01 m² leaves at most 0.005 m²; 1e-6 m² covers the two projections' float noise
    assert np.all(np.abs(stated[~wrong] - plane_m2[~wrong]) <= 0.005 + 1e-6)
    rel = np.abs(stated[wrong] / plane_m2[wrong] - 1)
    assert planted.size == 2 and np.all((rel >= 0.01 - 1e-6) & (rel <= 0.03 + 1e-6))
    assert np.array_equal(np.round(stated, 2), stated)


def test_layer_shape(layer) -> None:
    frame, _ = layer
    assert list(frame["id"][:2]) == ["DK000001", "DK000002"] and frame["id"].is_unique
    assert frame.crs.to_epsg() == 4490
    geoms = frame.geometry.array
    assert shapely.is_valid(geoms).all() and (shapely.get_type_id(geoms) == 3).all()
    # ~33 coordinates per parcel (closing one included), 0.1–10 ha, inside the Dongguan box
    per = shapely.get_num_coordinates(geoms)
    assert per.min() >= 28 and per.max() <= 38 and 31 <= per.mean() <= 35
    stated = frame["TBMJ"].to_numpy()
    assert stated.min() > 0.05e4 and stated.max() < 11e4
    x0, y0, x1, y1 = frame.total_bounds
    assert x0 > 113.59 and x1 < 114.31 and y0 > 22.59 and y1 < 23.11


def test_written_files_hold_the_same_layer(tmp_path: Path) -> None:
    import geopandas as gpd

    files = bench_reconcile.layer_files(50, 1, tmp_path)
    frame, planted = bench_reconcile.make_parcels(50, seed=1)
    assert files["planted_ids"] == list(frame["id"].to_numpy()[planted])
    for read in (gpd.read_file(files["gpkg"]), gpd.read_parquet(files["parquet"])):
        assert list(read["id"]) == list(frame["id"])
        assert np.array_equal(read["TBMJ"].to_numpy(), frame["TBMJ"].to_numpy())
        assert shapely.equals_exact(read.geometry.array, frame.geometry.array, tolerance=0).all()
    # a second call reuses the cached files
    before = Path(files["gpkg"]).stat().st_mtime_ns
    assert bench_reconcile.layer_files(50, 1, tmp_path)["gpkg"] == files["gpkg"]
    assert Path(files["gpkg"]).stat().st_mtime_ns == before


def test_postgis_table_borrows_the_parquet_row_or_says_dash() -> None:
    pg = {
        "n": 200,
        "kind": "postgis",
        "mib": 0.2,
        "load_s": 0.05,
        "zonemap_s": 0.8,
        "zonemap_rss": 150.0,
        "postgis_s": 0.04,
        "pg_vs_zm": 9.5e-8,
        "pg_vs_zm_m2": 1.1e-4,
        "pg_in_kernel": True,
        "disagree": 2,
        "planted": 2,
        "planted_found": 2,
    }
    alone = bench_reconcile.markdown([pg]).splitlines()
    assert len(alone) == 3 and alone[0].startswith("| N parcels | table (MiB)")  # no file table without file rows
    assert alone[2] == (
        "| 200 | 0 | 0.05 | 0.80 | 150 | 0.04 | 0.05× | — | — | — | 1.1e-04 (9.5e-08) | — | 2 / 2 (2) |"
    )
    parquet = {"n": 200, "kind": "parquet", "zonemap_s": 0.9, "duckdb_s": 1.25, "geopandas_s": 0.6}
    both = bench_reconcile.markdown_postgis([{**pg, "status_vs_file": 0, "area_vs_file": 0.0}], [parquet, pg])
    assert "| 0.90 | 1.25 | 0.60 |" in both and "| 0 (areas 0.0e+00) |" in both
    (said,) = bench_reconcile.verdicts([{**pg, "pg_in_kernel": False, "disagree": 3}])
    assert said.startswith("- 200 from PostGIS:") and said.count("NOT met") == 2


@pytest.mark.slow
def test_postgis_kind_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    """A 200-parcel run of the postgis kind beside GeoParquet: finite numbers, checks that hold, the server stopped.

    The ST_Area(geography) areas psql wrote are checked here against pyproj's GeographicLib on the layer's rings.
    """
    import json

    import pandas as pd
    from pyproj import Geod

    missing = bench_reconcile.postgis_missing()
    if missing:  # CI installs postgresql + postgis in .ci/run
        pytest.fail(missing)
    servers: list[dict[str, str]] = []
    real = bench_reconcile.postgis_server

    @bench_reconcile.contextlib.contextmanager
    def recording():  # type: ignore[no-untyped-def]
        with real() as server:
            servers.append(server)
            yield server

    monkeypatch.setattr(bench_reconcile, "postgis_server", recording)
    work = tmp_path / "work"
    argv = ["--n", "200", "--repeat", "1", "--inputs", "postgis", "parquet", "--work", str(work), "--ref", "installed"]
    argv += ["--pg-chunk", "64"]  # four COPYs: the first creates the table, the rest go through the side table
    assert bench_reconcile.main([*argv, "--zonemap-args", "--area-decimals 2 --format csv"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    assert [r["kind"] for r in rows] == ["parquet", "postgis"]  # run in that order whatever --inputs says
    row = rows[1]
    numbers = ["mib", "load_s", "zonemap_s", "zonemap_rss", "postgis_s", "pg_vs_zm", "pg_vs_zm_m2", "area_vs_file"]
    assert all(np.isfinite(row[k]) and row[k] >= 0 for k in numbers)
    assert row["mib"] > 0 and row["load_s"] > 0 and row["zonemap_s"] > 0 and row["postgis_s"] > 0
    assert row["rows"] == N and row["pg_in_kernel"] and row["pg_vs_zm_m2"] < 5e-4
    assert row["disagree"] == row["planted"] == row["planted_found"] == 2
    assert row["status_vs_file"] == 0 and row["area_vs_file"] == 0.0
    assert "| N parcels | table (MiB) | load: COPY + key + ANALYZE (s)" in captured.out
    assert "from PostGIS: ST_Area(geography)" in captured.out and "NOT met" not in captured.out
    # the server was started once and is gone
    assert len(servers) == 1 and not Path(servers[0]["dir"]).exists()
    # psql's ST_Area(geography) against GeographicLib (pyproj.Geod, GRS80 = CGCS2000's ellipsoid), parcel by parcel
    layer = bench_reconcile.layer_files(N, 0, work)
    import geopandas as gpd

    frame = gpd.read_parquet(layer["parquet"])
    geod = Geod(ellps="GRS80")
    expected = pd.Series([abs(geod.geometry_area_perimeter(g)[0]) for g in frame.geometry], index=frame["id"])
    got = pd.read_csv(work / f"run_{N}_postgis" / "postgis.csv", dtype={"id": str}).set_index("id")["area_m2"]
    assert sorted(got.index) == sorted(expected.index)
    assert np.max(np.abs(got.reindex(expected.index) / expected - 1)) < 1e-7
