"""Tests for zonemap.sandiao: the 三调 procedure area and Gauss–Krüger plane areas.

The procedure is evaluated independently here, one segment at a time in plain Python, from
formula (2) of 国土调查办发〔2008〕32号 as printed (``math.sin``/``math.cos`` of the half-angle
multiples, constants from the printed e² series, ΔL against the zone's central meridian), with
pyproj's EPSG:4490 -> EPSG:45xx transformation point by point and the document's rounding.
GeographicLib (``pyproj.Geod``) gives the area of the polygon with Gauss–Krüger-straight edges
densified to 1 m; pyproj projection plus ``shapely.area`` gives the plane areas.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
import shapely.affinity
from pyproj import Geod, Transformer
from shapely.geometry import MultiPolygon, Polygon

from zonemap.areas import ellipsoidal_area
from zonemap.errors import CRSError, SchemaError
from zonemap.sandiao import gk3_epsg, gk3_zone, gk_plane_area, sandiao_area, sandiao_constants

A_AXIS = 6378137.0
FLAT = 1 / 298.257222101
B_AXIS = A_AXIS * (1 - FLAT)
GEOD = Geod(ellps="GRS80")
FENGGANG = (114.13, 22.75)
DONGCHENG = (113.77, 23.03)


# ---------------------------------------------------------------- the independent evaluation


def printed_constants() -> tuple[float, float, float, float, float]:
    """A..E exactly as printed in section 二 of the document."""
    e2 = (A_AXIS**2 - B_AXIS**2) / A_AXIS**2
    return (
        1 + (3 / 6) * e2 + (30 / 80) * e2**2 + (35 / 112) * e2**3 + (630 / 2304) * e2**4,
        (1 / 6) * e2 + (15 / 80) * e2**2 + (21 / 112) * e2**3 + (420 / 2304) * e2**4,
        (3 / 80) * e2**2 + (7 / 112) * e2**3 + (180 / 2304) * e2**4,
        (1 / 112) * e2**3 + (45 / 2304) * e2**4,
        (5 / 2304) * e2**4,
    )


def trapezoid(l1: float, b1: float, l2: float, b2: float, l0: float) -> float:
    """Formula (2): S = 2b²ΔL[A sin(ΔB/2)cos Bm − B sin(3ΔB/2)cos 3Bm + ...], ΔL = mean L − L0 (radians)."""
    ka, kb, kc, kd, ke = printed_constants()
    db, bm, dl = b2 - b1, (b1 + b2) / 2, (l1 + l2) / 2 - l0
    return (
        2
        * B_AXIS**2
        * dl
        * (
            ka * math.sin(db / 2) * math.cos(bm)
            - kb * math.sin(3 * db / 2) * math.cos(3 * bm)
            + kc * math.sin(5 * db / 2) * math.cos(5 * bm)
            - kd * math.sin(7 * db / 2) * math.cos(7 * bm)
            + ke * math.sin(9 * db / 2) * math.cos(9 * bm)
        )
    )


def to_rad_sec(deg: float) -> float:
    """B or L in seconds kept to 6 decimals (section 五), back to radians."""
    return round(deg * 3600, 6) / 3600 * math.pi / 180


def reference_ring(coords: list[tuple[float, float]], zone: int) -> float:
    """Signed 三调 area of one closed ring: segment by segment, split in the plane above 70 m."""
    epsg = 4534 + zone - 25
    fwd = Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)
    l0 = math.radians(3 * zone)
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(coords):
        x1, y1 = fwd.transform(lon1, lat1)
        x2, y2 = fwd.transform(lon2, lat2)
        d = math.hypot(x2 - x1, y2 - y1)
        n_points = int(d // 70) if d > 70 else 0  # interpolated points: segment length / 70, whole
        points = [(lon1, lat1)]
        for j in range(1, n_points + 1):
            x = round(x1 + (x2 - x1) * j / (n_points + 1), 6)
            y = round(y1 + (y2 - y1) * j / (n_points + 1), 6)
            points.append(fwd.transform(x, y, direction="INVERSE"))
        points.append((lon2, lat2))
        for (pl1, pb1), (pl2, pb2) in itertools.pairwise(points):
            total += trapezoid(to_rad_sec(pl1), to_rad_sec(pb1), to_rad_sec(pl2), to_rad_sec(pb2), l0)
    return total


def reference_area(geom: Polygon | MultiPolygon, zone: int | None = None) -> float:
    """三调 area of a polygon or multipolygon: |shells| − |holes|, zone from its bounding box centre."""
    if zone is None:
        xmin, _, xmax, _ = geom.bounds
        zone = math.floor((xmin + xmax) / 2 / 3 + 0.5)
    parts = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    area = 0.0
    for part in parts:
        area += abs(reference_ring(list(part.exterior.coords), zone))
        for hole in part.interiors:
            area -= abs(reference_ring(list(hole.coords), zone))
    return area


def gk_straight_geodesic_area(geom: Polygon, epsg: int) -> float:
    """GeographicLib area of ``geom`` with its edges straight in the GK plane, densified to 1 m."""
    fwd = Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)
    plane = shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    dense = shapely.segmentize(plane, 1.0)
    total = 0.0
    for ring, sign in [(dense.exterior, 1)] + [(h, -1) for h in dense.interiors]:
        xy = np.asarray(ring.coords)
        lon, lat = fwd.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
        total += sign * abs(GEOD.polygon_area_perimeter(lon, lat)[0])
    return total


def projected_area(geom: Polygon | MultiPolygon, epsg: int) -> float:
    fwd = Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)
    return shapely.area(shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))))


# ---------------------------------------------------------------- polygons


def blob(lon: float, lat: float, radius_m: float, n: int, seed: int) -> Polygon:
    """An irregular star-shaped polygon of ``n`` vertices around (lon, lat)."""
    rng = np.random.default_rng(seed)
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = radius_m * rng.uniform(0.6, 1.0, n)
    x = lon + rad * np.cos(ang) / (111_320 * math.cos(math.radians(lat)))
    y = lat + rad * np.sin(ang) / 110_700
    return Polygon(np.column_stack([x, y]))


def square_km(lon: float, lat: float, side_km: float) -> Polygon:
    dx = side_km * 1000 / (111_320 * math.cos(math.radians(lat)))
    dy = side_km * 1000 / 110_700
    return Polygon([(lon, lat), (lon + dx, lat), (lon + dx, lat + dy), (lon, lat + dy)])


def with_hole(outer: Polygon, scale: float = 0.4) -> Polygon:
    c = outer.centroid
    inner = shapely.affinity.scale(outer, scale, scale, origin=c)
    return Polygon(outer.exterior.coords, [inner.exterior.coords[::-1]])


def layer() -> list[Polygon | MultiPolygon]:
    """0.01 km² to 100 km²; holes; multipolygons; zone 38 (Dongguan) and zone 37 (CM 111°E)."""
    return [
        blob(*FENGGANG, 60, 12, 1),  # ~0.01 km², short edges only
        blob(*DONGCHENG, 300, 9, 2),  # ~0.2 km², edges over 70 m
        blob(113.9, 22.9, 900, 40, 3),
        with_hole(blob(114.05, 22.82, 500, 25, 4)),
        MultiPolygon([blob(113.8, 23.0, 200, 15, 5), blob(113.83, 23.01, 150, 7, 6)]),
        square_km(113.6, 22.6, 10.0),  # 100 km², 10 km edges split into 142 pieces each
        square_km(114.2, 22.7, 3.0),
        blob(111.3, 21.9, 400, 20, 7),  # zone 37 (湛江/茂名)
        with_hole(square_km(110.8, 22.1, 2.0)),  # zone 37
    ]


# ---------------------------------------------------------------- tests


def test_constants_are_the_printed_series() -> None:
    assert sandiao_constants() == pytest.approx(printed_constants(), rel=1e-15, abs=0)


def test_trapezoid_series_is_the_ellipsoidal_quadrangle() -> None:
    # formula (2) for a whole 1°x1° cell equals the closed-form area of an ellipsoidal quadrangle:
    # b²ΔL [sinB/(2(1-e²sin²B)) + atanh(e sinB)/(2e)] from B1 to B2 (to the e^10 truncation)
    e2 = FLAT * (2 - FLAT)
    e = math.sqrt(e2)

    def zone_integral(b: float) -> float:
        s = math.sin(b)
        return s / (2 * (1 - e2 * s * s)) + math.atanh(e * s) / (2 * e)

    b1, b2, dl = math.radians(22.0), math.radians(23.0), math.radians(1.0)
    exact = B_AXIS**2 * dl * (zone_integral(b2) - zone_integral(b1))
    assert trapezoid(dl, b1, dl, b2, 0.0) == pytest.approx(exact, rel=1e-12)


def test_zones_and_epsg() -> None:
    assert list(gk3_zone([113.5, 114.0, 114.49, 111.3, 112.51])) == [38, 38, 38, 37, 38]
    assert list(gk3_epsg([38, 37, 25, 45])) == [4547, 4546, 4534, 4554]
    with pytest.raises(CRSError, match="zone 3 "):
        gk3_epsg(3)


def test_sandiao_agrees_with_the_independent_evaluation() -> None:
    geoms = layer()
    got = sandiao_area(np.array(geoms, dtype=object))
    ref = np.array([reference_area(g) for g in geoms])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=0)
    areas_km2 = got / 1e6
    assert areas_km2.min() < 0.015 and areas_km2.max() > 99  # 0.01 km² to 100 km² covered


def test_forced_zone_is_the_same_procedure_in_that_zone() -> None:
    geoms = [blob(111.3, 21.9, 400, 20, 7), blob(*DONGCHENG, 300, 9, 2)]
    got = sandiao_area(geoms, zone=38)
    ref = np.array([reference_area(g, zone=38) for g in geoms])
    np.testing.assert_allclose(got, ref, rtol=1e-9)
    # 3° from the central meridian the split points move; the area barely does
    own = sandiao_area(geoms[:1])[0]
    assert got[0] != own and abs(got[0] / own - 1) < 1e-7


def test_sandiao_close_to_geographiclib_on_gk_straight_edges() -> None:
    # the procedure approximates the ellipsoidal area of the polygon drawn straight in the plane
    geoms = [
        blob(113.9, 22.9, 900, 40, 3),
        square_km(113.6, 22.6, 10.0),
        square_km(114.2, 22.7, 3.0),
        blob(*DONGCHENG, 300, 9, 2),
        with_hole(blob(114.05, 22.82, 500, 25, 4)),
    ]
    got = sandiao_area(geoms)
    ref = np.array([gk_straight_geodesic_area(g, 4547) for g in geoms])
    rel = np.abs(got / ref - 1)
    assert rel.max() < 3e-8, rel  # measured: 1e-10 .. 1.2e-8 relative
    # ...and it is not the geodesic area of the drawn polygon: straight-in-the-plane 10 km edges
    # enclose a different area than geodesic ones (measured 2.1e-7 on the 100 km² square)
    geodesic = ellipsoidal_area(geoms)
    assert abs(got[1] / geodesic[1] - 1) > 1e-7


def test_holes_orientation_missing_empty_and_rounding() -> None:
    outer = blob(*FENGGANG, 400, 20, 11)
    holed = with_hole(outer)
    reversed_ring = Polygon(outer.exterior.coords[::-1])
    got = sandiao_area([outer, holed, reversed_ring, None, Polygon()])
    ref_hole = reference_area(holed)
    assert got[1] == pytest.approx(ref_hole, rel=1e-9)
    assert got[0] == pytest.approx(got[2], rel=1e-12)
    assert got[1] < got[0]
    assert np.isnan(got[3]) and got[4] == 0.0
    rounded = sandiao_area([outer], decimals=2)[0]
    assert rounded == round(got[0], 2)


def test_bad_input() -> None:
    with pytest.raises(SchemaError, match="not a polygon"):
        sandiao_area([shapely.Point(114, 22.8)])
    with pytest.raises(CRSError, match="zone 3 "):
        sandiao_area([blob(10.0, 45.0, 100, 8, 1)])  # Europe: no CGCS2000 zone
    with pytest.raises(CRSError, match="not a projected"):
        gk_plane_area([blob(*FENGGANG, 100, 8, 1)], epsg=4326)
    with pytest.raises(CRSError, match="unknown EPSG"):
        gk_plane_area([blob(*FENGGANG, 100, 8, 1)], epsg=999999)


def test_gk_plane_area_is_the_projected_shoelace() -> None:
    geoms = layer()
    epsg = [4534 + math.floor((g.bounds[0] + g.bounds[2]) / 6 + 0.5) - 25 for g in geoms]
    ref = np.array([projected_area(g, c) for g, c in zip(geoms, epsg, strict=True)])
    np.testing.assert_allclose(gk_plane_area(geoms, exact=True), ref, rtol=1e-12)
    # small rings go through ∫k² dA about the centroid: within 1e-8 of the shoelace
    np.testing.assert_allclose(gk_plane_area(geoms), ref, rtol=1e-8)
    many = [blob(113.7 + 0.005 * i, 22.9, 30 + 10 * i, 5 + i % 30, i) for i in range(60)]
    ref_many = np.array([projected_area(g, 4547) for g in many])
    np.testing.assert_allclose(gk_plane_area(many), ref_many, rtol=1e-8, atol=1e-3)


def test_gk_plane_area_given_epsg() -> None:
    geoms = [blob(*FENGGANG, 300, 9, 2), with_hole(blob(*DONGCHENG, 500, 25, 4))]
    for epsg in (4547, 4526, 32650, 3857, 2383):  # GK, GK with zone prefix, UTM 50N, Web Mercator, Xian-80 GK
        ref = np.array([projected_area(g, epsg) for g in geoms])
        np.testing.assert_allclose(gk_plane_area(geoms, epsg=epsg), ref, rtol=1e-8)
    np.testing.assert_allclose(gk_plane_area(geoms, epsg=4526), gk_plane_area(geoms, epsg=4547), rtol=1e-14)


def test_gk_plane_is_4_to_13_ppm_larger_at_fenggang_and_dongcheng() -> None:
    geoms = [blob(*FENGGANG, 400, 30, 21), blob(*DONGCHENG, 400, 30, 22)]
    ratio = gk_plane_area(geoms) / ellipsoidal_area(geoms) - 1
    # k² ≈ 1 + x²/R² with x the distance from 114°E and R² = MN: written out here
    e2 = FLAT * (2 - FLAT)
    expected = []
    for lon, lat in (FENGGANG, DONGCHENG):
        w = math.sqrt(1 - e2 * math.sin(math.radians(lat)) ** 2)
        n, m = A_AXIS / w, A_AXIS * (1 - e2) / w**3
        x = math.radians(lon - 114) * n * math.cos(math.radians(lat))
        expected.append(x * x / (m * n))
    np.testing.assert_allclose(ratio, expected, rtol=0.02)
    assert 4e-6 < ratio[0] < 5e-6  # Fenggang, 0.13° east of the central meridian: 4.3 ppm
    assert 1.3e-5 < ratio[1] < 1.4e-5  # Dongcheng, 0.23° west: 13.5 ppm
