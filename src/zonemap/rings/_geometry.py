"""Ring and band geometry in a local metric projection (private to :mod:`zonemap.rings`).

Annuli are buffered around the centre in a transverse Mercator projection centred on the
centre itself (scale error ~1e-7 at 3 km), with enough segments that the polygon's radius
is within ``tolerance_m`` of the true radius. Distance bands are buffers of a boundary
polygon in a projection centred on the area of interest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely

from ..crs import local_metric_crs, to_lonlat, to_metric

__all__ = ["DEFAULT_TOLERANCE_M", "accuracy_circles", "annuli", "boundary_bands", "quad_segs_for"]

#: Largest gap allowed between a circle and the polygon drawn for it (metres).
DEFAULT_TOLERANCE_M = 0.25


def quad_segs_for(radius_m: float, tolerance_m: float = DEFAULT_TOLERANCE_M) -> int:
    """Segments per quarter circle so that chords stay within ``tolerance_m`` of the arc.

    A chord spanning the angle ``t`` sags ``r (1 - cos(t/2))`` below the arc.

    Parameters
    ----------
    radius_m
        Circle radius.
    tolerance_m
        Largest sag allowed.

    Returns
    -------
    int
        At least 8.
    """
    if radius_m <= tolerance_m:
        return 8
    half_angle = math.acos(1.0 - tolerance_m / radius_m)
    return max(8, math.ceil(math.pi / (4.0 * half_angle)))


def annuli(
    centre: shapely.Point, radii_m: Sequence[tuple[float, float]], tolerance_m: float = DEFAULT_TOLERANCE_M
) -> np.ndarray:
    """Rings between inner and outer radii around a lon/lat point, as lon/lat polygons.

    Parameters
    ----------
    centre
        The centre (WGS84 lon/lat).
    radii_m
        ``(inner, outer)`` radius pairs in metres; an inner radius of 0 gives a disc.
    tolerance_m
        Largest radial error of the polygon edges.

    Returns
    -------
    numpy.ndarray of shapely.Polygon
        One polygon per pair, WGS84.
    """
    crs = local_metric_crs([centre])
    origin = to_metric(np.array([centre], dtype=object), crs)[0]
    inner = np.array([r[0] for r in radii_m], dtype=float)
    outer = np.array([r[1] for r in radii_m], dtype=float)
    discs = [shapely.buffer(origin, r, quad_segs=quad_segs_for(r, tolerance_m)) for r in outer]
    holes = [shapely.buffer(origin, r, quad_segs=quad_segs_for(r, tolerance_m)) if r > 0 else None for r in inner]
    rings = [d if h is None else shapely.difference(d, h) for d, h in zip(discs, holes, strict=True)]
    return to_lonlat(np.array(rings, dtype=object), crs)


def accuracy_circles(points: np.ndarray, radii_m: np.ndarray, tolerance_m: float = 5.0) -> np.ndarray:
    """Circles of true metric radius around lon/lat points: how far each point may be off.

    Parameters
    ----------
    points
        Points (WGS84 lon/lat).
    radii_m
        One radius per point (e.g. its ``accuracy_m``).
    tolerance_m
        Largest radial error of the polygon edges (a display circle needs no more).

    Returns
    -------
    numpy.ndarray of shapely.Polygon
        One circle per point, WGS84.
    """
    pts = np.asarray(points, dtype=object)
    radii = np.asarray(radii_m, dtype=float)
    if not pts.size:
        return pts
    crs = local_metric_crs(pts)
    quad_segs = quad_segs_for(float(radii.max()), tolerance_m)
    return to_lonlat(shapely.buffer(to_metric(pts, crs), radii, quad_segs=quad_segs), crs)


def boundary_bands(
    boundary: shapely.Geometry,
    radii_m: Sequence[tuple[float, float]],
    region: shapely.Geometry,
    clip: shapely.Geometry | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> np.ndarray:
    """Bands at given distances outside a polygon, as lon/lat polygons.

    Parameters
    ----------
    boundary
        The polygon measured from (WGS84), e.g. the Shenzhen city outline.
    radii_m
        ``(inner, outer)`` distance pairs in metres.
    region
        Geometry whose centre the metric projection is centred on (WGS84).
    clip
        Optional polygon the bands are clipped to (WGS84), e.g. Dongguan.
    tolerance_m
        Largest error of the rounded buffer corners.

    Returns
    -------
    numpy.ndarray of shapely.Geometry
        One (multi)polygon per pair; empty where a band misses ``clip``.
    """
    crs = local_metric_crs([region])
    poly = to_metric(np.array([boundary], dtype=object), crs)[0]
    widths = sorted({r for pair in radii_m for r in pair})
    grown = {r: poly if r == 0 else shapely.buffer(poly, r, quad_segs=quad_segs_for(r, tolerance_m)) for r in widths}
    bands = np.array([shapely.difference(grown[b], grown[a]) for a, b in radii_m], dtype=object)
    bands = shapely.difference(bands, poly)
    out = to_lonlat(bands, crs)
    if clip is not None:
        out = shapely.intersection(out, clip)
    return shapely.make_valid(out)
