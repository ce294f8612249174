"""Proximity measures for polygons: distance to a boundary, nearest district, band shares.

Private to :mod:`zonemap.rings`. Everything is vectorized over features with shapely 2
arrays; distances are found in a local metric projection and then measured again on the
ellipsoid (GRS80 geodesic between the two nearest points).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from pyproj import CRS, Geod

from ..crs import GRS80_ELLPS, to_lonlat, to_metric

__all__ = ["band_shares", "boundary_distance", "boundary_side", "nearest"]

_GEOD = Geod(ellps=GRS80_ELLPS)


def _geodesic_length(lines_lonlat: np.ndarray) -> np.ndarray:
    """Geodesic distance between the two ends of each 2-point line (NaN for missing lines)."""
    start, end = shapely.get_point(lines_lonlat, 0), shapely.get_point(lines_lonlat, -1)
    x1, y1, x2, y2 = (np.asarray(f(p), dtype=float) for p in (start, end) for f in (shapely.get_x, shapely.get_y))
    ok = np.isfinite(x1) & np.isfinite(x2)
    out = np.full(len(lines_lonlat), np.nan)
    if ok.any():
        _, _, dist = _GEOD.inv(x1[ok], y1[ok], x2[ok], y2[ok])
        out[ok] = dist
    return out


def boundary_distance(geoms: np.ndarray, area: shapely.Geometry, crs: CRS) -> np.ndarray:
    """Shortest distance (m) from each geometry to the boundary line of ``area``.

    The nearest points are found in ``crs`` and their distance measured as a GRS80 geodesic.

    Parameters
    ----------
    geoms
        WGS84 geometries.
    area
        WGS84 polygon (e.g. the Shenzhen city outline).
    crs
        Local metric projection covering both.

    Returns
    -------
    numpy.ndarray
        Metres; 0 where a geometry crosses the boundary.
    """
    geoms_m = to_metric(geoms, crs)
    line = shapely.boundary(to_metric(np.array([area], dtype=object), crs)[0])
    segments, _ = _segments(np.array([line], dtype=object))
    out = np.full(len(geoms), np.nan)
    ok = ~shapely.is_missing(geoms_m) & ~shapely.is_empty(geoms_m)
    if not segments.size or not ok.any():
        return out
    sub = np.flatnonzero(ok)
    gi, si = _nearest_pairs(geoms_m[sub], segments, np.zeros(segments.size, dtype=np.intp))
    shortest = shapely.shortest_line(geoms_m[sub][gi], segments[si])
    out[sub[gi]] = _geodesic_length(to_lonlat(shortest, crs))
    return out


def _segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every 2-point segment of the geometries' boundaries (lines are their own) and its geometry's index."""
    lines = np.where(shapely.get_dimensions(geoms) == 2, shapely.boundary(geoms), geoms)
    parts, owner = shapely.get_parts(lines, return_index=True)
    xy, line_of = shapely.get_coordinates(parts, return_index=True)
    starts = np.flatnonzero(line_of[1:] == line_of[:-1])
    return shapely.linestrings(np.stack([xy[starts], xy[starts + 1]], axis=1)), owner[line_of[starts]]


def _nearest_pairs(geoms: np.ndarray, parts: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each geometry, the index of its nearest part; among equally near ones, that of the lowest owner."""
    gi, pi = shapely.STRtree(parts).query_nearest(geoms, all_matches=True)
    order = np.lexsort((pi, owner[pi], gi))
    gi, pi = gi[order], pi[order]
    first = np.r_[True, gi[1:] != gi[:-1]] if gi.size else np.zeros(0, dtype=bool)
    return gi[first], pi[first]


def boundary_side(geoms: np.ndarray, area: shapely.Geometry) -> np.ndarray:
    """``"inside"``, ``"outside"`` or ``"crosses"`` for each geometry relative to ``area``."""
    shapely.prepare(area)
    within = shapely.within(geoms, area)
    overlaps = shapely.intersects(geoms, area) & ~shapely.touches(geoms, area)
    return np.where(within, "inside", np.where(overlaps, "crosses", "outside"))


def nearest(geoms: np.ndarray, targets: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Index of, and geodesic distance (m) to, the nearest target of each geometry.

    Parameters
    ----------
    geoms, targets
        WGS84 geometries.
    crs
        Local metric projection covering both.

    Returns
    -------
    index : numpy.ndarray
        Position in ``targets`` (-1 when there are no targets).
    distance : numpy.ndarray
        Metres (0 when they intersect).
    """
    if len(targets) == 0 or len(geoms) == 0:
        return np.full(len(geoms), -1), np.full(len(geoms), np.nan)
    geoms_m, targets_m = to_metric(geoms, crs), to_metric(targets, crs)
    n = len(geoms_m)
    idx, dist = np.full(n, -1), np.full(n, np.nan)
    # a target the geometry meets: distance 0, the lowest such target (as an argmin over distances gives)
    gi, ti = shapely.STRtree(targets_m).query(geoms_m, predicate="intersects")
    order = np.lexsort((ti, gi))
    gi, ti = gi[order], ti[order]
    first = np.r_[True, gi[1:] != gi[:-1]] if gi.size else np.zeros(0, dtype=bool)
    idx[gi[first]], dist[gi[first]] = ti[first], 0.0
    # the others: the nearest boundary segment of any target (a tree query, not a geometry x target matrix)
    rest = np.flatnonzero((idx < 0) & ~shapely.is_missing(geoms_m) & ~shapely.is_empty(geoms_m))
    segments, owner = _segments(targets_m)
    if rest.size and segments.size:
        ri, si = _nearest_pairs(geoms_m[rest], segments, owner)
        idx[rest[ri]] = owner[si]
        dist[rest[ri]] = _geodesic_length(to_lonlat(shapely.shortest_line(geoms_m[rest[ri]], segments[si]), crs))
    return idx, dist


def band_shares(geoms: np.ndarray, bands: np.ndarray, area_m2: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Share of each geometry's area inside each band.

    Parameters
    ----------
    geoms
        WGS84 polygons, shape ``(n,)``.
    bands
        WGS84 band polygons, shape ``(k,)``.
    area_m2
        Vectorized ellipsoidal area of WGS84 geometries.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, k)``, fractions in [0, 1] (NaN for a geometry with no area).
    """
    shares = np.zeros((len(geoms), len(bands)))
    if len(geoms) == 0 or len(bands) == 0:
        return shares
    tree = shapely.STRtree(bands)
    gi, bi = tree.query(geoms, predicate="intersects")
    whole = np.asarray(area_m2(geoms), dtype=float)
    if len(gi):
        parts = np.asarray(area_m2(shapely.intersection(geoms[gi], bands[bi])), dtype=float)
        shares[gi, bi] = parts
    with np.errstate(invalid="ignore", divide="ignore"):
        out = shares / whole[:, None]
    out[~(whole > 0)] = np.nan
    return np.clip(out, 0.0, 1.0)
