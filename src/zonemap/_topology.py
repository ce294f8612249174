"""Containment and overlap measures with ellipsoidal areas (private; used by :mod:`zonemap.reconcile`)."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from .areas import ellipsoidal_area

__all__ = ["overlap_pairs", "share_outside_pct"]


def share_outside_pct(parts: NDArray[np.object_], wholes: NDArray[np.object_],
                      part_area_m2: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Percentage of each part's area lying outside its whole (element by element).

    Parts fully inside their whole (a prepared ``contains`` test) cost no overlay; only
    the others get an intersection, measured on the ellipsoid.

    Parameters
    ----------
    parts, wholes
        Aligned arrays of polygons (lon/lat).
    part_area_m2
        The parts' ellipsoidal areas, when already known.

    Returns
    -------
    numpy.ndarray
        ``100 × (area(part) − area(part ∩ whole)) / area(part)``; 0 for empty parts.
    """
    parts = np.asarray(parts, dtype=object)
    wholes = np.asarray(wholes, dtype=object)
    area = ellipsoidal_area(parts) if part_area_m2 is None else np.asarray(part_area_m2, dtype=float)
    shapely.prepare(wholes)
    out = np.zeros(parts.size)
    todo = np.flatnonzero(~shapely.contains(wholes, parts))
    if todo.size:
        inter = shapely.intersection(parts[todo], wholes[todo])
        inside = _area_any(inter)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(area[todo] > 0, 100.0 * (area[todo] - inside) / area[todo], 0.0)
        out[todo] = np.clip(share, 0.0, 100.0)
    return out


def _area_any(geoms: NDArray[np.object_]) -> NDArray[np.float64]:
    """Ellipsoidal area of overlay results, whose polygonal part may sit in a collection."""
    geoms = np.asarray(geoms, dtype=object)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    out = np.zeros(geoms.size)
    if polygonal.any():
        out[polygonal] = ellipsoidal_area(geoms[polygonal])
    rest = np.flatnonzero(~polygonal & ~shapely.is_empty(geoms))
    if rest.size:
        pieces, owner = shapely.get_parts(geoms[rest], return_index=True)
        keep = np.isin(shapely.get_type_id(pieces), (3, 6))
        out[rest] = np.bincount(owner[keep], weights=ellipsoidal_area(pieces[keep]), minlength=rest.size)
    return out


def overlap_pairs(geoms: NDArray[np.object_]) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Pairs of polygons whose interiors overlap, and the overlap area (m²).

    Parameters
    ----------
    geoms
        Polygons (lon/lat).

    Returns
    -------
    tuple of numpy.ndarray
        Indices ``i < j`` of each overlapping pair and its ellipsoidal overlap area;
        pairs that only touch are left out.
    """
    geoms = np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    area = _area_any(shapely.intersection(geoms[i], geoms[j])) if i.size else np.zeros(0)
    real = area > 0
    return i[real].astype(np.intp), j[real].astype(np.intp), area[real]
