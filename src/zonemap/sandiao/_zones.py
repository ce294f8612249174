"""CGCS2000 3-degree Gauss–Krüger zones: numbers, EPSG codes, and the zone of each geometry of a flat ring array."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import CRSError
from ._flat import Flat

__all__ = ["GK3_EPSG_FIRST", "GK3_ZONES", "geometry_centres", "geometry_zones", "gk3_epsg", "gk3_zone"]

_Arr = NDArray[np.float64]

#: CGCS2000 3-degree Gauss–Krüger zones with an EPSG code (zone 25, CM 75°E ... zone 45, CM 135°E).
GK3_ZONES = range(25, 46)

#: EPSG code of zone 25 without zone prefix (CGCS2000 / 3-degree Gauss-Kruger CM 75E); zone z is +(z - 25).
GK3_EPSG_FIRST = 4534


def gk3_zone(lon_deg: Any) -> NDArray[np.int64]:
    """3-degree zone number(s) of longitudes: the zone whose central meridian 3°·zone is nearest."""
    return np.floor(np.asarray(lon_deg, dtype=float) / 3.0 + 0.5).astype(np.int64)


def gk3_epsg(zone: Any) -> NDArray[np.int64]:
    """EPSG code(s) of CGCS2000 3-degree GK zones without zone prefix (zone 38 -> 4547).

    Raises
    ------
    CRSError
        A zone outside 25–45 (75°E–135°E), which has no such EPSG code.
    """
    z = np.asarray(zone, dtype=np.int64)
    bad = (z < GK3_ZONES.start) | (z >= GK3_ZONES.stop)
    if np.any(bad):
        raise CRSError(
            f"3-degree zone {int(z[bad].flat[0])} has no CGCS2000 Gauss-Kruger EPSG code "
            f"(zones {GK3_ZONES.start}-{GK3_ZONES.stop - 1}, central meridians 75E-135E) "
            "(fix: check that the data is longitude/latitude in China, or pass the projection explicitly)"
        )
    return z - GK3_ZONES.start + GK3_EPSG_FIRST


def _geometry_range(flat: Flat, coord: _Arr) -> tuple[_Arr, _Arr]:
    """Per-geometry min and max of a vertex coordinate (inf, -inf for geometries without rings)."""
    n = flat.geoms.size
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    if flat.starts.size:
        rlo, rhi = np.minimum.reduceat(coord, flat.starts), np.maximum.reduceat(coord, flat.starts)
        rg = flat.ring_geom
        if rg.size < 2 or bool(np.all(rg[1:] > rg[:-1])):  # one ring per geometry (parcel layers): no ufunc.at
            lo[rg], hi[rg] = rlo, rhi
        else:
            np.minimum.at(lo, rg, rlo)
            np.maximum.at(hi, rg, rhi)
    return lo, hi


def geometry_centres(flat: Flat) -> tuple[_Arr, _Arr]:
    """Centre of each geometry's longitude and latitude ranges (degrees; NaN for geometries without rings)."""
    centres = []
    for coord in (flat.lon, flat.lat):
        lo, hi = _geometry_range(flat, coord)
        with np.errstate(invalid="ignore"):  # empty and missing geometries: inf - inf
            centres.append((lo + hi) / 2)
    return centres[0], centres[1]


def geometry_zones(flat: Flat, zone: int | None, lon_centre: _Arr | None = None) -> NDArray[np.int64]:
    """Zone of every geometry: given, or the one nearest the centre of its longitude range.

    ``lon_centre`` is that centre when already computed (:func:`geometry_centres`).
    """
    n = flat.geoms.size
    if zone is not None:
        gk3_epsg(zone)
        return np.full(n, int(zone), dtype=np.int64)
    if lon_centre is None:
        lo, hi = _geometry_range(flat, flat.lon)
        with np.errstate(invalid="ignore"):  # empty and missing geometries: inf - inf
            lon_centre = (lo + hi) / 2
    z = gk3_zone(np.where(np.isfinite(lon_centre), lon_centre, 114.0))
    gk3_epsg(z)
    return z
