"""Polygon coordinates straight from a WKB column (Arrow), without building a shapely object per feature.

A parcel layer is almost always single-ring 2-D polygons. Their little-endian WKB is a fixed
13-byte header (byte order 1, type 3, one ring, the point count) followed by the ring's x, y
doubles, so the coordinates of a whole column are its bytes with the headers cut out. A feature
is read that way only when its header says exactly that and its length is exactly
``13 + 16·npoints``; every other one (multipolygons, holes, big-endian, Z/M, EWKB with an SRID,
anything malformed) goes through :func:`shapely.from_wkb` and :func:`zonemap.areas.flat_rings`,
so the fast path changes speed, never results.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from numpy.typing import NDArray

from ..areas import flat_rings
from ..errors import SchemaError

__all__ = ["NotPolygonError", "WkbRings", "geoarrow_rings", "wkb_rings"]

log = logging.getLogger(__name__)

_HEADER = 13  # byte order (1) + type (4) + ring count (4) + point count (4)
_CHUNK = 1 << 16  # features per pass: bounds the temporaries (~35 MB of bytes at 33 vertices)
_POLYGON, _MULTIPOLYGON = 3, 6


class NotPolygonError(SchemaError):
    """A feature of a WKB column is not polygonal: its row (``index``), its type and how many such."""

    def __init__(self, index: int, kind: str, count: int) -> None:
        super().__init__(f"feature #{index} is a {kind}, not a polygon ({count} such)")
        self.index, self.kind, self.count = index, kind, count


class WkbRings:
    """The rings of a WKB column: flat lon/lat (or x/y) arrays, ring starts, owners and holes.

    Attributes
    ----------
    x, y
        Vertex coordinates, rings one after another, each closed.
    starts, ring_geom, is_hole
        First vertex of each ring, the feature it belongs to, whether it is a hole.
    missing, empty
        Per feature: null WKB; a polygon with no ring.
    """

    def __init__(
        self,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        starts: NDArray[np.intp],
        ring_geom: NDArray[np.intp],
        is_hole: NDArray[np.bool_],
        missing: NDArray[np.bool_],
        empty: NDArray[np.bool_],
    ) -> None:
        self.x, self.y, self.starts, self.ring_geom, self.is_hole = x, y, starts, ring_geom, is_hole
        self.missing, self.empty = missing, empty


def _u32(data: NDArray[np.uint8], at: NDArray[np.int64]) -> NDArray[np.int64]:
    """Little-endian uint32 at byte positions ``at``."""
    out = data[at].astype(np.int64)
    for k in (1, 2, 3):
        out |= data[at + k].astype(np.int64) << (8 * k)
    return out


def _binary_parts(arr: pa.Array) -> tuple[NDArray[np.int64], NDArray[np.uint8], NDArray[np.bool_]]:
    """Offsets (n + 1), data bytes and null mask of a (large) binary Arrow array, zero-copy."""
    if pa.types.is_binary(arr.type):
        otype: Any = np.int32
    elif pa.types.is_large_binary(arr.type):
        otype = np.int64
    else:
        raise SchemaError(f"geometry column of type {arr.type} is not WKB (fix: write the layer with WKB geometry)")
    n = len(arr)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=otype)[arr.offset : arr.offset + n + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, dtype=np.uint8)
    nulls = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else np.zeros(n, dtype=bool)
    return offsets, data, np.asarray(nulls, dtype=bool)


def _simple(
    offsets: NDArray[np.int64], data: NDArray[np.uint8], nulls: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.int64]]:
    """Which features of a chunk are simple polygons, which are empty polygons, and the point counts."""
    start, length = offsets[:-1], np.diff(offsets)
    n = start.size
    ok = ~nulls & (length >= 9)
    if not ok.any():
        return ok, np.zeros(n, bool), np.zeros(n, np.int64)
    head = np.where(ok, start, int(start[ok][0]))
    ok &= data[head] == 1
    ok &= _u32(data, head + 1) == _POLYGON
    rings = _u32(data, head + 5)
    empty = ok & (rings == 0) & (length == 9)
    ok &= (rings == 1) & (length >= _HEADER)
    npts = np.where(ok, _u32(data, np.where(ok, head + 9, head)), 0)
    ok &= length == _HEADER + 16 * npts
    return ok, empty, np.where(ok, npts, 0)


def _coords(part: pa.Array, ok: NDArray[np.bool_]) -> NDArray[np.float64]:
    """The x, y doubles of the simple features of ``part``: the WKB with its 13-byte headers sliced off (Arrow)."""
    body = pc.binary_slice(part.filter(pa.array(ok)), _HEADER, 2**31 - 1)
    bufs = body.buffers()
    otype = np.int64 if pa.types.is_large_binary(body.type) else np.int32
    off = np.frombuffer(bufs[1], dtype=otype)[body.offset : body.offset + len(body) + 1]
    first, last = int(off[0]), int(off[-1])
    if last == first:
        return np.zeros(0)
    return np.frombuffer(bufs[2], dtype="<f8", count=(last - first) // 8, offset=first)


def wkb_rings(column: pa.Array | pa.ChunkedArray) -> WkbRings:
    """Rings of every feature of a WKB column; see the module docstring for the fast path.

    Parameters
    ----------
    column
        Binary or large-binary Arrow array of WKB (nulls allowed).

    Returns
    -------
    WkbRings
        Simple features' rings first (in feature order), then the others'.

    Raises
    ------
    SchemaError
        A geometry that is not a polygon or multipolygon (the first one's position and type).
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = [chunk.slice(s, _CHUNK) for chunk in chunks for s in range(0, len(chunk), _CHUNK)]
    found = [(_simple(*_binary_parts(part)), part) for part in parts]
    n = sum(len(p) for p in parts)
    ok = np.concatenate([f[0][0] for f in found]) if found else np.zeros(n, bool)
    empty = np.concatenate([f[0][1] for f in found]) if found else np.zeros(n, bool)
    npts = np.concatenate([f[0][2] for f in found]) if found else np.zeros(n, np.int64)
    missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    total = int(npts.sum())
    x, y = np.empty(total), np.empty(total)
    at = 0
    for (flags, _, _n), part in found:
        if flags.any():
            xy = _coords(part, flags)
            x[at : at + xy.size // 2] = xy[0::2]
            y[at : at + xy.size // 2] = xy[1::2]
            at += xy.size // 2
    fast_geom = np.flatnonzero(ok).astype(np.intp)
    counts = npts[fast_geom]
    starts = (np.cumsum(counts) - counts).astype(np.intp)
    slow = np.flatnonzero(~ok & ~missing & ~empty)
    if slow.size:
        log.info("WKB: %d of %d features read through shapely (not single-ring 2-D polygons)", slow.size, ok.size)
        col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        try:
            geoms = shapely.from_wkb(np.asarray(col.take(pa.array(slow)).to_numpy(zero_copy_only=False), dtype=object))
        except shapely.errors.GEOSException as exc:
            raise SchemaError(f"unreadable WKB geometry: {exc} (fix: repair the layer in QGIS or GDAL)") from None
        types = shapely.get_type_id(geoms)
        bad = np.flatnonzero((types != _POLYGON) & (types != _MULTIPOLYGON))
        if bad.size:
            i = int(bad[0])
            kind = "missing geometry" if geoms[i] is None else geoms[i].geom_type
            raise NotPolygonError(int(slow[i]), kind, int(bad.size))
        coords, sstarts, sgeom, shole = flat_rings(geoms)
        empty[slow[shapely.is_empty(geoms)]] = True
        x = np.concatenate([x, coords[:, 0]])
        y = np.concatenate([y, coords[:, 1]])
        starts = np.concatenate([starts, sstarts + counts.sum()]).astype(np.intp)
        ring_geom = np.concatenate([fast_geom, slow[sgeom]]).astype(np.intp)
        is_hole = np.concatenate([np.zeros(fast_geom.size, bool), shole])
    else:
        ring_geom, is_hole = fast_geom, np.zeros(fast_geom.size, bool)
    return WkbRings(x, y, starts, ring_geom, is_hole, missing, empty | ok & (npts == 0))


def geoarrow_rings(column: pa.Array | pa.ChunkedArray) -> tuple[WkbRings, pa.Array]:
    """Rings of a GeoParquet ``polygon`` (geoarrow) column, and the same geometries as WKB.

    The column is ``list<list<point>>`` (rings of points, a point a ``struct<x, y>`` or an
    interleaved ``fixed_size_list<double>[2]``): its offsets are the rings, nothing is parsed.
    """
    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(col)
    geom_off = np.asarray(col.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    rings = col.values
    ring_off = np.asarray(rings.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    pts = rings.values
    if pa.types.is_struct(pts.type):
        xs = np.asarray(pts.field("x").to_numpy(zero_copy_only=False), dtype=np.float64)
        ys = np.asarray(pts.field("y").to_numpy(zero_copy_only=False), dtype=np.float64)
    else:  # interleaved x, y (z, m) doubles
        dim = pts.type.list_size
        flat = np.asarray(pts.values.to_numpy(zero_copy_only=False), dtype=np.float64)
        xs, ys = flat[0::dim], flat[1::dim]
    missing = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    nring = np.diff(geom_off)
    ring_idx = np.arange(int(geom_off[0]), int(geom_off[-1]))
    ring_geom = np.repeat(np.arange(n), nring).astype(np.intp)
    is_hole = ring_idx != np.repeat(geom_off[:-1], nring)
    keep = ring_off[ring_idx + 1] > ring_off[ring_idx]
    ring_idx, ring_geom, is_hole = ring_idx[keep], ring_geom[keep], is_hole[keep]
    counts = ring_off[ring_idx + 1] - ring_off[ring_idx]
    take = np.repeat(ring_off[ring_idx] - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
    starts = (np.cumsum(counts) - counts).astype(np.intp)
    empty = ~missing & (np.bincount(ring_geom, minlength=n) == 0)
    out = WkbRings(xs[take], ys[take], starts, ring_geom, is_hole, missing, empty)
    geoms = shapely.from_ragged_array(shapely.GeometryType.POLYGON, np.column_stack([xs, ys]), (ring_off, geom_off))
    geoms[missing] = None
    return out, pa.array(shapely.to_wkb(geoms), type=pa.binary())
