"""Small geodesic test shapes, measured independently with GeographicLib (pyproj.Geod)."""

from __future__ import annotations

from pyproj import Geod
from shapely.geometry import Polygon

GEOD = Geod(ellps="GRS80")
#: A point in Fenggang where hand-built test shapes start.
LON0, LAT0 = 114.15, 22.68


def square(lon: float, lat: float, side_m: float) -> Polygon:
    """A geodesic "square": east, north, west by ``side_m`` from (lon, lat)."""
    pts = [(lon, lat)]
    for az in (90.0, 0.0, 270.0):
        lon, lat, _ = GEOD.fwd(lon, lat, az, side_m)
        pts.append((lon, lat))
    return Polygon(pts)


def geo_area(geom: Polygon) -> tuple[float, float]:
    """GeographicLib area (absolute) and perimeter: the independent measure."""
    a, p = GEOD.geometry_area_perimeter(geom)
    return abs(a), p
