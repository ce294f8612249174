"""Polygon rings flattened once into vertex arrays, shared by every area kernel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from ..areas import flat_rings, geometry_array

__all__ = ["Flat", "flatten", "per_geometry"]

_Arr = NDArray[np.float64]


@dataclass(frozen=True)
class Flat:
    """The rings of a polygon array flattened once, shared by the kernels (:func:`flatten`)."""

    #: Vertex longitudes and latitudes (degrees, contiguous), rings one after another, each closed.
    lon: _Arr
    lat: _Arr
    #: First vertex of each ring; the geometry each ring belongs to; whether it is a hole.
    starts: NDArray[np.intp]
    ring_geom: NDArray[np.intp]
    is_hole: NDArray[np.bool_]
    #: Per edge i -> i + 1 (length nv - 1): True where it joins two rings (no edge).
    junk: NDArray[np.bool_]
    #: The geometries themselves.
    geoms: NDArray[np.object_]


def flatten(geoms_lonlat: Any) -> Flat:
    """Flatten polygons to rings (see :func:`zonemap.areas.area_perimeter` for the accepted input)."""
    arr = geometry_array(geoms_lonlat)
    coords, starts, ring_geom, is_hole = flat_rings(arr)
    nv = coords.shape[0]
    junk = np.zeros(max(nv - 1, 0), dtype=bool)
    if starts.size > 1:
        junk[starts[1:] - 1] = True
    return Flat(
        np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1]), starts, ring_geom, is_hole, junk, arr
    )


def per_geometry(flat: Flat, signed: _Arr) -> _Arr:
    """Per-geometry areas from signed ring areas: |shells| − |holes|; NaN for missing geometries."""
    ring_area = np.where(flat.is_hole, -np.abs(signed), np.abs(signed))
    area = np.asarray(np.bincount(flat.ring_geom, weights=ring_area, minlength=flat.geoms.size), dtype=np.float64)
    area[shapely.is_missing(flat.geoms)] = np.nan
    return area
