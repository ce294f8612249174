"""Compact encodings of a parcel layer for its status map (:mod:`zonemap.maps._parcels`): rings and values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..methods import AREA_METHODS
from ..parcels import ParcelResult
from ._encoding import polyline_encode

if TYPE_CHECKING:
    from ..sandiao import Flat

__all__ = ["PARCEL_GRID_DEG", "area_resolution", "encode_parcel_geometry", "encode_parcel_values"]

#: Grid the vertices are rounded to (degrees): each is drawn within half of it (0.14 m) of its place.
PARCEL_GRID_DEG = 2.5e-6


#: Characters of one-per-parcel codes: 35.. ('#'...), as :mod:`zonemap.maps._encoding` writes them.
_CODE_BASE = 35


_MAX_CHAR_CODES = 57


_AREA_COLUMNS = ("area_m2", "area_sandiao_m2", "area_gk_m2")


def area_resolution(precision_m2: NDArray[np.float64]) -> float:
    """The unit areas are written in: 0.01 m², or the finer power of ten the stated areas were rounded to."""
    finite = precision_m2[np.isfinite(precision_m2) & (precision_m2 > 0)]
    if not finite.size:
        return 0.01
    unit = 2.0 * float(finite.min())  # precision is half a unit of the last digit
    return float(min(0.01, 10.0 ** np.floor(np.log10(unit) + 1e-9)))


def _ring_bounds(flat: Flat) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """First vertex and distinct vertex count (closing vertex dropped) of every ring."""
    ends = np.append(flat.starts[1:], flat.lon.size)
    return flat.starts.astype(np.intp), np.maximum(ends - flat.starts - 1, 0).astype(np.intp)


def _reversed(flat: Flat, starts: NDArray[np.intp], counts: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Rings to reverse so that shells run counter-clockwise and holes clockwise (lon east, lat north)."""
    ring = np.repeat(np.arange(starts.size), counts)
    first = starts[ring]
    k = np.arange(ring.size) - (np.cumsum(counts) - counts)[ring]
    here = first + k
    nxt = np.where(k + 1 == counts[ring], first, here + 1)
    x0, y0 = flat.lon[first], flat.lat[first]
    x, y = flat.lon[here] - x0, flat.lat[here] - y0
    xn, yn = flat.lon[nxt] - x0, flat.lat[nxt] - y0
    signed = np.bincount(ring, weights=x * yn - xn * y, minlength=starts.size)
    return np.asarray(np.where(flat.is_hole, signed > 0, signed < 0), dtype=bool)


def _vertex_order(flat: Flat, rings: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices into ``flat`` of the drawn vertices of ``rings`` in order (each oriented), and their counts."""
    starts, counts = _ring_bounds(flat)
    flip = _reversed(flat, starts, counts)[rings]
    s, c = starts[rings], counts[rings]
    ring = np.repeat(np.arange(rings.size), c)
    k = np.arange(ring.size) - (np.cumsum(c) - c)[ring]
    return np.where(flip[ring], s[ring] + c[ring] - 1 - k, s[ring] + k), c


def _deltas(values: NDArray[np.int64]) -> str:
    """A sequence of integers as polyline-encoded differences (small for slowly varying values)."""
    v = np.asarray(values, dtype=np.int64)
    return polyline_encode(np.diff(v, prepend=np.int64(0)))


def encode_parcel_geometry(flat: Flat, drawn: NDArray[np.intp]) -> dict[str, Any]:
    """The rings of the ``drawn`` parcels (indices into the layer, ascending) as polyline strings.

    Returns
    -------
    dict
        ``scale`` (1 / :data:`PARCEL_GRID_DEG`), ``coords`` (lat, lon of every drawn vertex, deltas),
        ``nv`` (vertices per ring, deltas) and ``rings`` (rings per parcel; ``None`` when all one).
    """
    order = np.argsort(flat.ring_geom, kind="stable")
    rings = order[np.isin(flat.ring_geom[order], drawn)]
    idx, counts = _vertex_order(flat, rings)
    scale = round(1.0 / PARCEL_GRID_DEG)
    ints = np.round(np.column_stack([flat.lat[idx], flat.lon[idx]]) * scale).astype(np.int64)
    steps = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()  # lat, lon: each from its last
    per_parcel = np.bincount(np.searchsorted(drawn, flat.ring_geom[rings]), minlength=drawn.size)
    return {
        "scale": scale,
        "coords": polyline_encode(steps),
        "nv": _deltas(counts),
        "rings": None if bool((per_parcel == 1).all()) else polyline_encode(per_parcel),
    }


def _compact_ids(ids: NDArray[np.object_]) -> dict[str, Any]:
    """``{"prefix", "width", "num"}`` when every id is one prefix and a (zero-padded) number; else ``{"list"}``."""
    text = [str(v) for v in ids]
    if not text:
        return {"list": []}
    first, last = min(text), max(text)  # the common prefix of all is that of the first and last in order
    same = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    prefix = first[:same]
    tails = [t[len(prefix) :] for t in text]
    if all(t.isascii() and t.isdigit() for t in tails) and max(map(len, tails)) <= 15:
        nums = np.array([int(t) for t in tails], dtype=np.int64)
        width = len(tails[0]) if len(set(map(len, tails))) == 1 else 0
        if all(str(n).zfill(width) == t for n, t in zip(nums.tolist(), tails, strict=True)):
            return {"prefix": prefix, "width": width, "num": _deltas(nums)}
    return {"list": text}


def _codes(values: NDArray[np.int64]) -> Any:
    """Small non-negative codes, one character each (``ord(ch) - 35``) when they fit, else polyline-encoded."""
    if values.size and int(values.max()) >= _MAX_CHAR_CODES:
        return {"c": polyline_encode(values)}
    return (values.astype(np.int64) + _CODE_BASE).astype(np.uint8).tobytes().decode("ascii")


def _offsets(values: NDArray[np.float64], base: NDArray[np.int64], res: float) -> dict[str, Any]:
    """``round(values / res) - base`` (polyline) and the positions of missing values (deltas; 0 written there)."""
    missing = ~np.isfinite(values)
    q = np.where(missing, 0, np.round(np.where(missing, 0.0, values) / res).astype(np.int64) - base)
    return {"q": polyline_encode(q), "nan": _deltas(np.flatnonzero(missing))}


def encode_parcel_values(result: ParcelResult, drawn: NDArray[np.intp], res: float) -> dict[str, Any]:
    """Ids, statuses, methods, areas, stated areas and differences of the ``drawn`` parcels, compactly.

    Areas are integers in units of ``res``: ``ref`` (the reference method's area, that ``diff_m2`` is
    taken against) as is; every other area, the stated area and ``ref − stated`` as offsets from it,
    and the difference as its offset from ``ref − stated`` (so each is the table's value rounded to
    ``res``, not a sum of rounded values).
    """
    t = result.table.iloc[drawn]
    ref_col = AREA_METHODS[result.reference][0]
    ref_area = t[ref_col].to_numpy(dtype=float)
    a = np.round(np.nan_to_num(ref_area) / res).astype(np.int64)
    stated = t["stated_m2"].to_numpy(dtype=float)
    s_q = np.where(np.isfinite(stated), np.round(np.nan_to_num(stated) / res).astype(np.int64), a)
    methods, method_codes = np.unique(t["method"].astype(str).to_numpy(), return_inverse=True)
    return {
        "n": int(drawn.size),
        "res": res,
        "decimals": max(0, round(float(-np.log10(res)))),
        "ref": ref_col,
        "ids": _compact_ids(t["id"].to_numpy(dtype=object)),
        "status": _codes(t["status"].cat.codes.to_numpy(dtype=np.int64)),
        "methods": methods.tolist(),
        "method": _codes(method_codes.astype(np.int64)),
        "areas": {
            ref_col: {"q": polyline_encode(a), "nan": _deltas(np.flatnonzero(~np.isfinite(ref_area)))},
            **{c: _offsets(t[c].to_numpy(dtype=float), a, res) for c in _AREA_COLUMNS if c != ref_col},
        },
        "stated": _offsets(stated, a, res),
        "diff": _offsets(t["diff_m2"].to_numpy(dtype=float), a - s_q, res),
        "decisive_cm": _decisive(t),
    }


def _decisive(t: pd.DataFrame) -> dict[str, str] | None:
    """The accuracy that would decide each undetermined parcel, in cm (floored: no more than there is).

    ``{"at": positions (deltas), "q": values}``; ``None`` without an accuracy (no column).
    """
    if "decisive_accuracy_m" not in t.columns:
        return None
    values = t["decisive_accuracy_m"].to_numpy(dtype=float)
    at = np.flatnonzero(np.isfinite(values))
    return {"at": _deltas(at), "q": polyline_encode(np.floor(values[at] * 100 + 1e-9).astype(np.int64))}
