"""Stated values of a parcel layer read from Arrow: numbers, numeric text and the written digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ..errors import SchemaError

__all__ = ["ids_text", "numbers", "text_precision"]

_SHOWN = 5


def ids_text(ids: NDArray[np.object_], mask: NDArray[np.bool_]) -> str:
    bad = ids[mask]
    more = bad.size - _SHOWN
    return ", ".join(map(str, bad[:_SHOWN])) + (f" and {more} more" if more > 0 else "") + f" ({bad.size} feature(s))"


def numbers(path: Path, table: pa.Table, col: str, ids: NDArray[np.object_]) -> NDArray[np.float64]:
    """A numeric (or numeric-text) column as floats, NaN where empty; text that is no number is refused."""
    arr = table.column(col)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_decimal(arr.type):
        return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise SchemaError(f"{path}: field {col!r} is {arr.type}, not a number (fix: name the numeric area field)")
    text = pc.utf8_trim_whitespace(arr)
    blank = pc.fill_null(pc.equal(text, ""), True)
    nums = np.full(len(arr), np.nan)
    ok = ~np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
    try:
        nums[ok] = np.asarray(text.filter(pa.array(ok)).to_numpy(zero_copy_only=False), dtype=object).astype(float)
    except ValueError:
        vals = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        bad = np.array([_not_number(v) for v in vals]) & ok
        raise SchemaError(
            f"{path}: field {col!r} holds {vals[bad][0]!r}, not a number, for {ids_text(ids, bad)} "
            f"(fix: {col} must hold plain numbers; clear or correct those values)"
        ) from None
    return nums


def _not_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return True
    return False


def text_precision(column: pa.ChunkedArray, unit_m2: float) -> NDArray[np.float64]:
    """Half a unit of the last written digit of each text value (``"245.98"``: 0.005), in m²."""
    text = pc.utf8_trim_whitespace(column)
    dot = np.asarray(pc.fill_null(pc.find_substring(text, "."), -1).to_numpy(zero_copy_only=False))
    length = np.asarray(pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False))
    decimals = np.where(dot >= 0, length - dot - 1, 0)
    out = 0.5 * 10.0 ** -decimals.astype(float) * unit_m2
    out[length == 0] = np.nan
    return np.asarray(out, dtype=np.float64)
