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
