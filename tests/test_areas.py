"""Ellipsoidal areas against GeographicLib (pyproj.Geod) and hand arithmetic."""

from __future__ import annotations

from fractions import Fraction

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box

from zonemap import areas
from zonemap.areas import (
    AREA_COLUMNS,
    add_area_columns,
    area_perimeter,
    convert_area,
    ellipsoidal_area,
    ellipsoidal_perimeter,
    m2_to_ha,
    m2_to_km2,
    m2_to_mu,
)
from zonemap.errors import SchemaError
from zonemap.io import load_reference_towns
from zonemap.schema import MU_M2

GEOD = Geod(ellps="GRS80")
LON0, LAT0 = 114.15, 22.68  # Fenggang
REL_TOL = 1e-6


def reference(geom: Polygon | MultiPolygon) -> tuple[float, float]:
    """Area and perimeter from GeographicLib, ring by ring (abs of signed areas, holes subtracted)."""
    area = perim = 0.0
    for part in getattr(geom, "geoms", [geom]):
        for i, ring in enumerate([part.exterior, *part.interiors]):
            lon, lat = ring.xy
            a, p = GEOD.polygon_area_perimeter(lon, lat)
            area += abs(a) if i == 0 else -abs(a)
            perim += p
    return area, perim


def geodesic_square(lon: float, lat: float, side_m: float, n_per_side: int = 1) -> Polygon:
    """A square of geodesic edges of ``side_m`` built with GeographicLib, CCW."""
    pts = [(lon, lat)]
    for az in (90.0, 0.0, 270.0, 180.0):
        for _ in range(n_per_side):
            lon, lat, _ = GEOD.fwd(lon, lat, az, side_m / n_per_side)
            pts.append((lon, lat))
    return Polygon(pts[:-1])


def random_polygons(n: int, seed: int = 7) -> list[Polygon]:
    """Star-shaped polygons around Dongguan, 5-60 vertices, 0.1-50 ha."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(5, 61))
        r = np.sqrt(rng.uniform(1e3, 5e5) / np.pi)
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = r * rng.uniform(0.5, 1.0, k)
        cx, cy = 113.6 + rng.uniform(0, 0.7), 22.6 + rng.uniform(0, 0.5)
        out.append(Polygon(zip(cx + rad * np.cos(ang) / 102_700, cy + rad * np.sin(ang) / 110_750, strict=True)))
    return out


def assert_matches_geographiclib(geoms: list[Polygon | MultiPolygon]) -> None:
    area, perim = area_perimeter(geoms)
    ref = np.array([reference(g) for g in geoms])
    np.testing.assert_allclose(area, ref[:, 0], rtol=REL_TOL, atol=0)
    np.testing.assert_allclose(perim, ref[:, 1], rtol=REL_TOL, atol=0)
    np.testing.assert_allclose(ellipsoidal_area(geoms), ref[:, 0], rtol=REL_TOL, atol=0)  # the no-perimeter path


def test_multipolygon_with_hole() -> None:
    outer = geodesic_square(LON0, LAT0, 2000.0, 4)
    hole = geodesic_square(LON0 + 0.005, LAT0 + 0.005, 500.0)
    part2 = geodesic_square(LON0 + 0.05, LAT0, 300.0)
    multi = MultiPolygon([Polygon(outer.exterior.coords, [hole.exterior.coords]), part2])
    assert_matches_geographiclib([multi])
    # hand arithmetic: the parts add and the hole subtracts
    whole, solid_hole, second = ellipsoidal_area([outer, hole, part2])
    assert ellipsoidal_area([multi])[0] == pytest.approx(whole - solid_hole + second, rel=1e-12)


def test_either_ring_orientation_gives_the_same_area() -> None:
    ccw = Polygon(geodesic_square(LON0, LAT0, 800.0).exterior.coords)
    cw = Polygon(list(ccw.exterior.coords)[::-1])
    assert shapely.is_ccw(ccw.exterior) and not shapely.is_ccw(cw.exterior)
    hole_ccw = Polygon(ccw.exterior.coords, [geodesic_square(LON0 + 0.002, LAT0 + 0.002, 100.0).exterior.coords])
    hole_cw = shapely.orient_polygons(hole_ccw, exterior_cw=True)
    a = ellipsoidal_area([ccw, cw, hole_ccw, hole_cw])
    assert a[0] == pytest.approx(a[1], rel=1e-11)
    assert a[2] == pytest.approx(a[3], rel=1e-11)
    assert_matches_geographiclib([cw, hole_cw])


def test_small_parcel_of_one_hectare() -> None:
    parcel = geodesic_square(LON0, LAT0, 100.0)  # 0.01 km²
    area = ellipsoidal_area([parcel])[0]
    assert area == pytest.approx(1e4, rel=1e-4)  # a geodesic square of 100 m sides, by hand
    assert_matches_geographiclib([parcel])


def test_100_km2_polygons_with_long_edges() -> None:
    square_4 = geodesic_square(LON0, LAT0, 10_000.0)  # four 10 km edges
    square_5km = geodesic_square(LON0, LAT0, 10_000.0, 2)  # eight 5 km edges
    lon1, lat1, _ = GEOD.fwd(LON0, LAT0, 90.0, 14_000.0)
    lon2, lat2, _ = GEOD.fwd(LON0, LAT0, 0.0, 14_000.0)
    triangle = Polygon([(LON0, LAT0), (lon1, lat1), (lon2, lat2)])  # ~98 km², one 20 km edge
    assert_matches_geographiclib([square_4, square_5km, triangle])
    assert ellipsoidal_area([square_4])[0] == pytest.approx(1e8, rel=1e-3)


@pytest.mark.reference
def test_fenggang_outline_from_reference_layer(reference_dir, config) -> None:
    towns = load_reference_towns(config.evolve(reference_dir=reference_dir))
    assert towns is not None
    outline = towns.loc[towns["town"] == "fenggang", "geometry"].iloc[0]
    assert_matches_geographiclib([outline])
    assert ellipsoidal_area([outline])[0] / 1e6 == pytest.approx(82.49, abs=0.01)  # reference README


def test_random_polygons_around_dongguan() -> None:
    geoms = random_polygons(300)
    assert_matches_geographiclib(geoms)


def test_threaded_scan_of_large_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(areas, "_THREADED_FROM", 0)  # the path taken from 50,000 geometries on
    outer = geodesic_square(LON0, LAT0, 2000.0, 4)
    holed = Polygon(outer.exterior.coords, [geodesic_square(LON0 + 0.005, LAT0 + 0.005, 500.0).exterior.coords])
    assert_matches_geographiclib(random_polygons(50))
    assert_matches_geographiclib([*random_polygons(20, seed=2), holed])


def test_gauss_krueger_cross_check_and_planar_shortcuts() -> None:
    geoms = gpd.GeoSeries([geodesic_square(LON0, LAT0, 3000.0, 3), *random_polygons(20)], crs="EPSG:4326")
    area = ellipsoidal_area(geoms)
    gk = geoms.to_crs("EPSG:4547").area.to_numpy()  # CGCS2000 3-degree GK zone at 114°E
    np.testing.assert_allclose(gk, area, rtol=5e-5)
    mercator = geoms.to_crs("EPSG:3857").area.to_numpy() / area
    assert np.all((mercator > 1.16) & (mercator < 1.20))  # the +18% of the docs
    utm = geoms.iloc[:1].to_crs("EPSG:32650").area.to_numpy() / area[:1]
    assert utm[0] == pytest.approx(1.0013, abs=2e-4)  # the +0.13% of the docs, at Fenggang


def test_unit_conversions() -> None:
    assert float(MU_M2) == pytest.approx(666.6666666666666, rel=1e-15)
    assert m2_to_mu(10000 / 15) == pytest.approx(1.0, rel=1e-15)
    assert m2_to_mu(float(2780 * MU_M2)) == pytest.approx(2780.0, rel=1e-15)
    assert m2_to_mu(1e4) == pytest.approx(15.0, rel=1e-15)  # 1 ha = 15 mu exactly
    assert m2_to_ha(25_000.0) == pytest.approx(2.5)
    assert m2_to_km2(6.7e6) == pytest.approx(6.7)
    assert convert_area(1e6, "mu") == pytest.approx(float(Fraction(1_000_000) / MU_M2))
    np.testing.assert_allclose(convert_area(np.array([1.0, 2.0]), "m2"), [1.0, 2.0])
    with pytest.raises(SchemaError, match="unknown area unit"):
        convert_area(1.0, "acre")


def test_add_area_columns_keeps_input_and_reprojects() -> None:
    square = geodesic_square(LON0, LAT0, 500.0)
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[square], crs="EPSG:4326")
    out = add_area_columns(gdf)
    assert list(gdf.columns) == ["id", "geometry"]
    assert set(AREA_COLUMNS) <= set(out.columns)
    ref_area, ref_perim = reference(square)
    assert out["area_m2"].iloc[0] == pytest.approx(ref_area, rel=REL_TOL)
    assert out["area_mu"].iloc[0] == pytest.approx(ref_area * 15 / 10000, rel=REL_TOL)
    assert out["area_km2"].iloc[0] == pytest.approx(ref_area / 1e6, rel=REL_TOL)
    assert out["perimeter_m"].iloc[0] == pytest.approx(ref_perim, rel=REL_TOL)
    projected = add_area_columns(gdf.to_crs("EPSG:4547"))
    assert projected["area_m2"].iloc[0] == pytest.approx(ref_area, rel=1e-6)


def test_empty_missing_and_non_polygon_geometries() -> None:
    area, perim = area_perimeter([Polygon(), None, box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.01)])
    assert area[0] == 0 and perim[0] == 0
    assert np.isnan(area[1]) and np.isnan(perim[1])
    assert area[2] > 0 and ellipsoidal_perimeter([box(0, 0, 1, 1)])[0] > 0
    with pytest.raises(SchemaError, match="not a polygon"):
        ellipsoidal_area([shapely.Point(LON0, LAT0)])


def test_buffered_areas_bound_a_square_exactly() -> None:
    from _geo import LAT0, LON0, geo_area, square

    from zonemap.areas import buffered_areas

    sq = square(LON0, LAT0, 1000.0)
    area, perimeter = geo_area(sq)
    side = perimeter / 4
    inner, outer = buffered_areas([sq, sq, sq], [10.0, 0.0, 600.0])
    # (s - 2δ)² inside; s² + 4sδ + (a 64-gon's share of) πδ² outside; δ = 0 gives the area; 2δ > s: nothing left
    n = 64
    disc = 10.0**2 * n * np.sin(2 * np.pi / n) / 2
    assert inner[0] == pytest.approx(area - 4 * side * 10 + 4 * 10.0**2, rel=2e-6)
    assert outer[0] == pytest.approx(area + 4 * side * 10 + disc, rel=2e-6)
    assert inner[1] == outer[1] == pytest.approx(area, rel=1e-6)
    assert inner[2] == 0.0
