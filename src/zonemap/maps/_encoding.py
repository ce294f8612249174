"""Compact, script-safe encoding of map layers (private to :mod:`zonemap.maps`).

Geometry is written as one polyline-encoded string per layer (Google's algorithm at
``10**-decimals`` degrees: each coordinate is a zig-zag delta from the previous one, five
bits per character), plus counts that split it back into features, parts and rings.
Polygon rings drop their closing vertex (Leaflet closes them). Properties are written
column by column; repetitive text columns as a value list plus codes.

The JSON is made safe to embed in a ``<script type="application/json">`` element: ``<``,
``>`` and ``&`` are written as ``\\u003c`` etc., so no data text can close the element.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

__all__ = [
    "DEFAULT_DECIMALS",
    "encode_geometries",
    "encode_label_anchors",
    "encode_properties",
    "label_anchors",
    "polyline_encode",
    "script_json",
]

#: Decimal places of degrees kept (1e-6 degree is ~0.1 m).
DEFAULT_DECIMALS = 6

# Codes of small dictionaries are written as characters 35..91 ('#'..'['), skipping '"' and '\\'.
_CODE_BASE = 35
_MAX_CHAR_CODES = 57

# shapely type ids: 0 Point, 1 LineString, 2 LinearRing, 3 Polygon, 5 MultiLineString, 6 MultiPolygon
_POINT = {0}
_POLYGONAL = {3, 6}
_LINEAR = {1, 2, 5}


def polyline_encode(values: np.ndarray) -> str:
    """Encode integer deltas with the polyline algorithm (vectorized).

    Parameters
    ----------
    values
        Signed integers (already deltas), any length.

    Returns
    -------
    str
        ASCII characters in the range 63..126.
    """
    v = np.asarray(values, dtype=np.int64)
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    chunks = np.ones(len(z), dtype=np.int64)
    for j in range(1, 13):
        chunks += z >= np.uint64(1) << np.uint64(5 * j)
    start = np.cumsum(chunks) - chunks
    out = np.empty(int(chunks.sum()), dtype=np.uint8)
    for j in range(int(chunks.max(initial=0))):
        sel = chunks > j
        bits = ((z[sel] >> np.uint64(5 * j)) & np.uint64(31)).astype(np.uint8)
        bits |= np.where(chunks[sel] > j + 1, 0x20, 0).astype(np.uint8)
        out[start[sel] + j] = bits + 63
    return out.tobytes().decode("ascii")


def _counts(index: np.ndarray, n: int) -> list[int] | None:
    """Items per owner; ``None`` when every owner has exactly one (the common case)."""
    counts = np.bincount(index, minlength=n)
    return None if bool((counts == 1).all()) else counts.tolist()


def _coords(leaves: np.ndarray, drop_closing: bool) -> tuple[np.ndarray, np.ndarray]:
    coords, owner = shapely.get_coordinates(leaves, return_index=True)
    per_leaf = np.bincount(owner, minlength=len(leaves))
    if drop_closing:
        keep = np.ones(len(coords), dtype=bool)
        keep[np.cumsum(per_leaf)[per_leaf > 0] - 1] = False
        coords, per_leaf = coords[keep], np.maximum(per_leaf - 1, 0)
    return coords, per_leaf


def encode_geometries(geoms: np.ndarray, decimals: int = DEFAULT_DECIMALS) -> dict[str, Any]:
    """Encode WGS84 geometries of one type family into a compact dict.

    Parameters
    ----------
    geoms
        Shapely geometries, all polygonal, all linear or all points.
    decimals
        Decimal places of degrees kept.

    Returns
    -------
    dict
        ``type`` (polygon/line/point), ``scale`` (10**decimals), ``coords`` (polyline
        string, lat before lon), ``nv`` (vertices per ring or line part), and ``parts``
        (parts per feature) and ``rings`` (rings per part) where not all one.
    """
    geoms = np.asarray(geoms, dtype=object)
    names = set(shapely.get_type_id(geoms).tolist())
    out: dict[str, Any] = {"scale": 10**decimals}
    if names <= _POINT:
        out["type"] = "point"
        coords, nv = shapely.get_coordinates(geoms), None
    else:
        parts, part_owner = shapely.get_parts(geoms, return_index=True)
        out["parts"] = _counts(part_owner, len(geoms))
        if names <= _POLYGONAL:
            out["type"] = "polygon"
            rings, ring_owner = shapely.get_rings(parts, return_index=True)
            out["rings"] = _counts(ring_owner, len(parts))
            coords, nv = _coords(rings, drop_closing=True)
        elif names <= _LINEAR:
            out["type"] = "line"
            coords, nv = _coords(parts, drop_closing=False)
        else:
            raise ValueError(f"cannot mix geometry type ids {sorted(names)} in one layer")
    ints = np.round(coords[:, ::-1] * 10.0**decimals).astype(np.int64).ravel()
    deltas = np.concatenate([ints[:2], ints[2:] - ints[:-2]]) if len(ints) else ints
    out["coords"] = polyline_encode(deltas)
    out["nv"] = None if nv is None else nv.tolist()
    return out


def _segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring segment of the polygons: start points, end points, and the owning feature."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[:-1] == ring[1:]  # consecutive vertices of one ring: a segment (rings are closed)
    return coords[:-1][same], coords[1:][same], part_owner[ring_part[ring[:-1][same]]]


def _half_chords(segments: tuple[np.ndarray, np.ndarray, np.ndarray], anchors: np.ndarray, axis: int) -> np.ndarray:
    """Distance from each anchor to its polygon's edge along ``axis`` (0: east-west, 1: north-south).

    The line through the anchor parallel to the axis crosses the polygon's ring segments; the
    nearest crossing on each side bounds the run holding the anchor, and the smaller side is
    returned. Computed over all segments at once (numpy), not by overlaying each polygon.
    """
    n, (a, b, owner) = len(anchors), segments
    along, across = axis, 1 - axis
    at = anchors[owner]
    level = at[:, across]
    cross = (a[:, across] > level) != (b[:, across] > level)  # half-open: a vertex on the line counts once
    a, b, at, level, owner = a[cross], b[cross], at[cross], level[cross], owner[cross]
    t = (level - a[:, across]) / (b[:, across] - a[:, across])
    offset = a[:, along] + t * (b[:, along] - a[:, along]) - at[:, along]
    before, after = np.full(n, np.inf), np.full(n, np.inf)
    np.minimum.at(before, owner[offset < 0], -offset[offset < 0])
    np.minimum.at(after, owner[offset >= 0], offset[offset >= 0])
    room = np.minimum(before, after)
    return np.where(np.isfinite(room), room, 0.0)


def label_anchors(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a polygon's name is written, and how much room it has there.

    Parameters
    ----------
    geoms
        Polygonal shapely geometries (lon/lat degrees).

    Returns
    -------
    anchors : numpy.ndarray
        A point inside each polygon (``shapely.point_on_surface``: the middle of the widest
        east-west run across the polygon at mid-height).
    room : numpy.ndarray
        ``(n, 2)`` half-extents in degrees: east-west (longitude) and north-south (latitude)
        distance from the anchor to the nearest edge along each axis. A label fits when its
        half-width and half-height on screen are within them.
    """
    geoms = np.asarray(geoms, dtype=object)
    anchors = shapely.point_on_surface(geoms)
    segments, xy = _segments(geoms), shapely.get_coordinates(anchors)
    room = np.column_stack([_half_chords(segments, xy, 0), _half_chords(segments, xy, 1)])
    return anchors, room


def encode_label_anchors(geoms: np.ndarray, decimals: int = DEFAULT_DECIMALS) -> dict[str, Any]:
    """Label anchors of polygons for the page script.

    Parameters
    ----------
    geoms
        Polygonal shapely geometries (lon/lat degrees).
    decimals
        Decimal places of degrees kept.

    Returns
    -------
    dict
        ``at``: the anchors encoded as by :func:`encode_geometries` (points); ``room``: the
        half-extents (see :func:`label_anchors`) in ``10**-decimals`` degrees, latitude room then
        longitude room per feature, polyline-encoded as deltas exactly like ``at``'s coordinates
        (so the page decodes both the same way).
    """
    anchors, room = label_anchors(geoms)
    # floor: never more room than there is (the 1e-6 absorbs binary noise such as 0.002 * 1e6 = 1999.99...)
    ints = np.floor(room[:, ::-1] * 10.0**decimals + 1e-6).astype(np.int64).ravel()
    deltas = np.concatenate([ints[:2], ints[2:] - ints[:-2]]) if len(ints) else ints
    return {"at": encode_geometries(anchors, decimals), "room": polyline_encode(deltas)}


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _values(series: pd.Series) -> list[Any]:
    """The column as JSON-ready Python values: ``None`` for missing and non-finite numbers."""
    values = series.astype(object).where(series.notna(), None).to_numpy(copy=True)
    if series.dtype.kind == "f":
        values[np.isinf(series.to_numpy(dtype=float, na_value=np.nan))] = None
        return list(values.tolist())
    out = values.tolist()
    if set(map(type, out)) <= _SCALARS - {float}:
        return list(out)
    return [_clean(v) for v in out]  # numpy scalars or infinities in an object column


def _column(series: pd.Series) -> Any:
    values = _values(series)
    n = len(values)
    if not set(map(type, values)) <= _SCALARS:
        return values  # list- or dict-valued (e.g. figure cards): written as is
    uniques = list(dict.fromkeys(values))
    if n > 1 and len(uniques) == 1:
        return {"k": uniques[0]}
    if n > 8 and len(uniques) <= n // 2 and all(isinstance(u, str | None) for u in uniques):
        code = {u: i for i, u in enumerate(uniques)}
        codes = np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=n)
        if len(uniques) <= _MAX_CHAR_CODES:  # one character per feature
            return {"v": uniques, "s": (codes + _CODE_BASE).astype(np.uint8).tobytes().decode("ascii")}
        return {"v": uniques, "c": codes.tolist()}
    return values


def encode_properties(frame: pd.DataFrame) -> dict[str, Any]:
    """Encode feature properties column by column.

    Parameters
    ----------
    frame
        One row per feature; every column is written.

    Returns
    -------
    dict
        Column name to a list of values; ``{"k": value}`` for a constant column;
        ``{"v": uniques, "s": codes}`` (one character per feature, code ``ord(ch) - 35``)
        or ``{"v": uniques, "c": [codes]}`` for repetitive text. Missing values are ``null``.
    """
    return {str(col): _column(frame[col]) for col in frame.columns}


def script_json(obj: Any) -> str:
    """JSON text safe to place inside a ``<script>`` element.

    Parameters
    ----------
    obj
        JSON-serialisable data.

    Returns
    -------
    str
        Compact JSON with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text
