"""Every feature's area by each candidate method of :mod:`zonemap.methods` (the kernels' side)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .ellipsoid import A as _A
from .ellipsoid import F as _F
from .ellipsoid import ring_sums
from .sandiao import (
    Flat,
    geometry_centres,
    geometry_zones,
    sandiao_signed,
    sphere_signed,
    tm_signed,
    web_mercator_signed,
)

__all__ = ["SPHERE_MEAN_RADIUS_M", "MethodAreas", "method_areas"]

_Arr = NDArray[np.float64]

#: Mean radius R₁ = (2a + b)/3 of GRS80 (m), the sphere of the ``sphere`` candidate.
SPHERE_MEAN_RADIUS_M = (2 * _A + _A * (1 - _F)) / 3
_WGS84_F = 1 / 298.257223563


@dataclass(frozen=True, eq=False)
class MethodAreas:
    """Every feature's area by each candidate method, and the zones they were taken in.

    Attributes
    ----------
    areas
        Per method of :data:`AREA_METHODS` (its name): one area per feature (m²; NaN without a geometry).
    gk_zone, utm_zone, south
        Per feature: the 3-degree Gauss–Krüger zone, the UTM zone and whether it is south of the equator.
    """

    areas: dict[str, _Arr]
    gk_zone: NDArray[np.int64]
    utm_zone: NDArray[np.int64]
    south: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.gk_zone.size)

    @classmethod
    def concat(cls, parts: list[MethodAreas]) -> MethodAreas:
        """The areas of consecutive batches of features (one or more) as one."""
        return cls(
            {m: np.concatenate([p.areas[m] for p in parts]) for m in parts[0].areas},
            np.concatenate([p.gk_zone for p in parts]),
            np.concatenate([p.utm_zone for p in parts]),
            np.concatenate([p.south for p in parts]),
        )


def method_areas(flat: Flat, missing: NDArray[np.bool_], workers: int | None = None) -> MethodAreas:
    """The area of every feature of ``flat`` by each candidate method (see :func:`diagnose_methods`).

    Parameters
    ----------
    flat
        The rings (:func:`zonemap.sandiao.flatten`); only ``flat.geoms.size`` (the number of
        features) is read of its geometries, so a reader that decodes coordinates itself may leave
        them ``None``.
    missing
        True for each feature without a geometry (its areas are NaN).
    workers
        Threads for each kernel (default: up to the cores available); 1 when batches run side by side.

    Returns
    -------
    MethodAreas
    """
    lon_c, lat_c = geometry_centres(flat)
    gzone = geometry_zones(flat, None, lon_c)
    uzone, south = _utm_zone(lon_c, lat_c)
    rg = flat.ring_geom
    geodesic = (
        ring_sums(flat.lon, flat.lat, flat.starts, workers=workers, perimeter=False)[0]
        if flat.starts.size
        else np.zeros(0)
    )
    moments: dict[str, NDArray[np.float64]] = {}  # ring moments, shared by the two transverse Mercator planes
    signed = {
        "sandiao": sandiao_signed(flat, gzone[rg], workers),
        "geodesic": geodesic,
        "gk_plane": tm_signed(flat, 3.0 * gzone[rg], geodesic_signed=geodesic, cache=moments),
        "utm": tm_signed(
            flat, 6.0 * uzone[rg] - 183.0, k0=0.9996, a=_A, f=_WGS84_F, geodesic_signed=geodesic, cache=moments
        ),
        "web_mercator": web_mercator_signed(flat, workers),
        "sphere": sphere_signed(flat, SPHERE_MEAN_RADIUS_M, workers),
    }
    return MethodAreas({name: _per_geometry(flat, v, missing) for name, v in signed.items()}, gzone, uzone, south)


def _utm_zone(lon_centre: _Arr, lat_centre: _Arr) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """UTM zone and hemisphere of each geometry from the centre of its lon/lat range (114°E, 23°N if none)."""
    lon = np.where(np.isfinite(lon_centre), lon_centre, 114.0)
    lat = np.where(np.isfinite(lat_centre), lat_centre, 23.0)
    zone = np.clip(np.floor((lon + 180.0) / 6.0).astype(np.int64) + 1, 1, 60)
    return zone, lat < 0


def _per_geometry(flat: Flat, signed: _Arr, missing: NDArray[np.bool_]) -> _Arr:
    ring_area = np.where(flat.is_hole, -np.abs(signed), np.abs(signed))
    area = np.asarray(np.bincount(flat.ring_geom, weights=ring_area, minlength=flat.geoms.size), dtype=np.float64)
    area[missing] = np.nan
    return area
