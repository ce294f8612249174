"""Geometries to matplotlib artists without a Python loop over features.

Polygons of one colour become one compound :class:`matplotlib.path.Path` (rings oriented so
that holes stay empty under the non-zero fill rule), lines of one colour one open path, points
one scatter: drawing cost grows with vertices, not with Python objects, so a layer of 1e6
parcels draws as a handful of artists. They are added with ``add_artist`` (the map's limits are
set beforehand): ``add_patch`` would walk every segment in Python to update the data limits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

__all__ = ["colour_groups", "draw_lines", "draw_points", "draw_polygons", "line_path", "polygon_path"]


def polygon_path(geoms: NDArray[np.object_]) -> Any:
    """One compound path of (multi)polygons, holes wound against their exteriors.

    Parameters
    ----------
    geoms
        Shapely polygons or multipolygons (other types and empties are ignored).

    Returns
    -------
    matplotlib.path.Path
    """
    from matplotlib.path import Path as MplPath

    geoms = np.asarray(geoms, dtype=object)
    keep = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)
    # exteriors and holes wound opposite ways (orient_polygons: shapely >= 2.1; normalize: the reverse, as good)
    orient = getattr(shapely, "orient_polygons", shapely.normalize)
    polys = orient(geoms[keep])
    if not len(polys):
        return MplPath(np.zeros((0, 2)))
    rings = shapely.get_rings(shapely.get_parts(polys))
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    start = np.r_[True, ring_index[1:] != ring_index[:-1]]
    end = np.r_[start[1:], True]
    codes[start] = MplPath.MOVETO
    codes[end] = MplPath.CLOSEPOLY  # shapely rings repeat their first vertex last
    return MplPath(coords, codes)


def line_path(geoms: NDArray[np.object_]) -> Any:
    """One open path of (multi)linestrings and polygon boundaries.

    Parameters
    ----------
    geoms
        Shapely geometries (points and empties are ignored).

    Returns
    -------
    matplotlib.path.Path
    """
    from matplotlib.path import Path as MplPath

    geoms = np.asarray(geoms, dtype=object)
    geoms = np.where(np.isin(shapely.get_type_id(geoms), (3, 6)), shapely.boundary(geoms), geoms)
    parts = shapely.get_parts(geoms[~shapely.is_empty(geoms)])
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]
    coords, index = shapely.get_coordinates(parts, return_index=True)
    if not len(coords):
        return MplPath(np.zeros((0, 2)))
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    codes[np.r_[True, index[1:] != index[:-1]]] = MplPath.MOVETO
    return MplPath(coords, codes)


def colour_groups(keys: pd.Series, colours: dict[str, str], default: str) -> dict[str, NDArray[np.bool_]]:
    """Masks of the features drawn in each colour.

    Parameters
    ----------
    keys
        The styling column (e.g. ``kind`` or ``figure_status``).
    colours
        Key to colour.
    default
        Colour of keys not in ``colours``.

    Returns
    -------
    dict
        Colour to a boolean mask over ``keys``.
    """
    mapped = keys.astype(object).map(colours).fillna(default).to_numpy(dtype=object)
    return {str(c): mapped == c for c in pd.unique(mapped)}


def draw_polygons(
    ax: Any,
    geoms: NDArray[np.object_],
    fill: NDArray[np.object_] | None,
    edge: NDArray[np.object_],
    *,
    alpha: float,
    linewidth: float,
    zorder: float,
    linestyle: str = "-",
) -> None:
    """Draw polygons filled by ``fill`` and outlined by ``edge`` (colour per feature).

    Parameters
    ----------
    ax
        Target axes.
    geoms
        Polygons in the axes' coordinates.
    fill, edge
        Colour of each feature's fill (``None``: no fill) and outline.
    alpha
        Fill opacity.
    linewidth
        Outline width in points.
    zorder
        Drawing order.
    linestyle
        Outline dash style.
    """
    from matplotlib.patches import PathPatch

    if fill is not None:
        for colour in pd.unique(fill):
            ax.add_artist(
                PathPatch(
                    polygon_path(geoms[fill == colour]), facecolor=colour, edgecolor="none", alpha=alpha, zorder=zorder
                )
            )
    for colour in pd.unique(edge):
        ax.add_artist(
            PathPatch(
                line_path(geoms[edge == colour]),
                facecolor="none",
                edgecolor=colour,
                linewidth=linewidth,
                linestyle=linestyle,
                zorder=zorder + 0.1,
                joinstyle="round",
                capstyle="round",
            )
        )


def draw_lines(
    ax: Any,
    geoms: NDArray[np.object_],
    colour: NDArray[np.object_],
    *,
    linewidth: float,
    zorder: float,
    linestyle: str | tuple[float, tuple[float, ...]] = "-",
) -> None:
    """Draw linework, one path per colour."""
    from matplotlib.patches import PathPatch

    for c in pd.unique(colour):
        ax.add_artist(
            PathPatch(
                line_path(geoms[colour == c]),
                facecolor="none",
                edgecolor=c,
                linewidth=linewidth,
                linestyle=linestyle,
                zorder=zorder,
                capstyle="round",
                joinstyle="round",
            )
        )


def draw_points(
    ax: Any, geoms: NDArray[np.object_], colour: NDArray[np.object_], *, size: float, zorder: float
) -> None:
    """Draw point features as filled circles with a white rim (one scatter)."""
    pts = shapely.get_coordinates(shapely.centroid(geoms[~shapely.is_empty(geoms)]))
    colour = colour[~shapely.is_empty(geoms)]
    if len(pts):
        ax.scatter(pts[:, 0], pts[:, 1], s=size, c=list(colour), edgecolors="white", linewidths=1.2, zorder=zorder)
