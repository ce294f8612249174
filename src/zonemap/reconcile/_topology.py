"""Containment and overlap measures with ellipsoidal areas (private; used by :mod:`zonemap.reconcile`)."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from ..areas import ellipsoidal_area
from ..crs import local_metric_crs, to_metric

__all__ = ["GRID_CELLS", "fully_inside", "outside_reach_m", "overlap_pairs", "share_outside_pct"]

#: Spacing (m) at which the outside parts are densified before measuring their reach.
REACH_STEP_M = 25.0


#: Cells per side of the boundary grid laid over each whole.
GRID_CELLS = 256


def _boundary_grid(whole: shapely.Geometry) -> tuple[NDArray[np.float64], float, float, NDArray[np.int64]]:
    """Summed-area table of grid cells touched by the bounding box of any boundary segment."""
    xmin, ymin, xmax, ymax = shapely.bounds(whole)
    origin = np.array([xmin, ymin])
    dx = max(xmax - xmin, 1e-12) / GRID_CELLS * (1 + 1e-9)
    dy = max(ymax - ymin, 1e-12) / GRID_CELLS * (1 + 1e-9)
    rings = shapely.get_rings(shapely.get_parts(whole))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    cx = np.clip(np.floor((np.minimum(a[:, 0], b[:, 0]) - xmin) / dx), 0, GRID_CELLS - 1).astype(np.int64)
    cy = np.clip(np.floor((np.minimum(a[:, 1], b[:, 1]) - ymin) / dy), 0, GRID_CELLS - 1).astype(np.int64)
    ex = np.clip(np.floor((np.maximum(a[:, 0], b[:, 0]) - xmin) / dx), 0, GRID_CELLS - 1).astype(np.int64) + 1
    ey = np.clip(np.floor((np.maximum(a[:, 1], b[:, 1]) - ymin) / dy), 0, GRID_CELLS - 1).astype(np.int64) + 1
    diff = np.zeros((GRID_CELLS + 1, GRID_CELLS + 1), dtype=np.int64)  # 2-D difference array of the boxes
    np.add.at(diff, (cy, cx), 1)
    np.add.at(diff, (cy, ex), -1)
    np.add.at(diff, (ey, cx), -1)
    np.add.at(diff, (ey, ex), 1)
    marked = (diff.cumsum(0).cumsum(1)[:GRID_CELLS, :GRID_CELLS] > 0).astype(np.int64)
    table = np.zeros((GRID_CELLS + 1, GRID_CELLS + 1), dtype=np.int64)
    table[1:, 1:] = marked.cumsum(0).cumsum(1)
    return origin, dx, dy, table


def _clear_of_boundary(whole: shapely.Geometry, bounds: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True where a bounding box lies within the whole's grid and touches no boundary cell.

    Such a box holds no point of the whole's boundary, so it is wholly inside or wholly
    outside the whole: one point of it decides.
    """
    origin, dx, dy, table = _boundary_grid(whole)
    lo = np.floor((bounds[:, :2] - origin) / (dx, dy))
    hi = np.floor((bounds[:, 2:] - origin) / (dx, dy))
    in_grid = (lo.min(axis=1) >= 0) & (hi.max(axis=1) < GRID_CELLS)
    lo = np.clip(lo, 0, GRID_CELLS - 1).astype(np.int64)
    hi = np.clip(hi, 0, GRID_CELLS - 1).astype(np.int64) + 1
    hits = table[hi[:, 1], hi[:, 0]] - table[lo[:, 1], hi[:, 0]] - table[hi[:, 1], lo[:, 0]] + table[lo[:, 1], lo[:, 0]]
    return in_grid & (hits == 0)


def fully_inside(parts: NDArray[np.object_], wholes: NDArray[np.object_], owner: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Whether each part lies inside its whole ``wholes[owner[i]]``.

    A grid over each whole marks the cells its boundary may touch; parts whose bounding
    box avoids them are decided by one point-in-polygon test of a box corner, and only
    the rest get a prepared ``contains`` test. The loop runs over the wholes (a few
    zones), never over the parts.
    """
    out = np.zeros(parts.size, dtype=bool)
    bounds = shapely.bounds(parts)
    for k, whole in enumerate(wholes):
        sel = np.flatnonzero(owner == k)
        if not sel.size or whole is None or shapely.is_empty(whole):
            continue
        shapely.prepare(whole)
        clear = _clear_of_boundary(whole, bounds[sel])
        quick = sel[clear]
        out[quick] = shapely.contains_xy(whole, bounds[quick, 0], bounds[quick, 1])
        rest = sel[~clear]
        out[rest] = shapely.contains(whole, parts[rest])
    return out


def share_outside_pct(
    parts: NDArray[np.object_],
    wholes: NDArray[np.object_],
    owner: NDArray[np.intp],
    part_area_m2: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Percentage of each part's area lying outside its whole.

    Parts fully inside their whole (see :func:`fully_inside`) cost no overlay; only the
    others get an intersection, measured on the ellipsoid.

    Parameters
    ----------
    parts
        Polygons (lon/lat).
    wholes
        The distinct wholes (zones, town outlines).
    owner
        For each part, the index of its whole in ``wholes``.
    part_area_m2
        The parts' ellipsoidal areas, when already known.

    Returns
    -------
    numpy.ndarray
        ``100 × (area(part) − area(part ∩ whole)) / area(part)``; 0 for empty parts.
    """
    parts = np.asarray(parts, dtype=object)
    wholes = np.asarray(wholes, dtype=object)
    owner = np.asarray(owner, dtype=np.intp)
    area = ellipsoidal_area(parts) if part_area_m2 is None else np.asarray(part_area_m2, dtype=float)
    out = np.zeros(parts.size)
    todo = np.flatnonzero(~fully_inside(parts, wholes, owner))
    if todo.size:
        inside = _area_any(shapely.intersection(parts[todo], wholes[owner[todo]]))
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


def outside_reach_m(
    parts: NDArray[np.object_], wholes: NDArray[np.object_], owner: NDArray[np.intp], which: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """How far each selected part reaches beyond its whole, in metres.

    The reach is the largest distance from the whole of any point of ``part − whole``
    (its vertices, densified every :data:`REACH_STEP_M`), measured in a transverse Mercator
    projection centred on the parts. A sketch whose reach stays within its stated accuracy
    is consistent with lying inside; a larger reach is a real excursion.

    Parameters
    ----------
    parts
        Polygons (lon/lat).
    wholes
        The distinct wholes.
    owner
        For each part, the index of its whole in ``wholes``.
    which
        Parts to measure (e.g. those with a share outside); the others get 0.

    Returns
    -------
    numpy.ndarray
        Reach in metres, 0 for parts not selected or fully inside.
    """
    parts = np.asarray(parts, dtype=object)
    owner = np.asarray(owner, dtype=np.intp)
    out = np.zeros(parts.size)
    sel = np.flatnonzero(which)
    if not sel.size:
        return out
    whole_of = np.asarray(wholes, dtype=object)[owner[sel]]
    crs = local_metric_crs(parts[sel])
    outside = shapely.segmentize(to_metric(shapely.difference(parts[sel], whole_of), crs), REACH_STEP_M)
    coords, idx = shapely.get_coordinates(outside, return_index=True)
    if not idx.size:
        return out
    dist = shapely.distance(shapely.points(coords), to_metric(whole_of, crs)[idx])
    reach = np.zeros(sel.size)
    np.maximum.at(reach, idx, dist)
    out[sel] = reach
    return out
