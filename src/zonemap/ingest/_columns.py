"""Finding attribute columns and reading their text: names matched loosely, numbers kept as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SchemaError

__all__ = ["find_column", "text_values"]


def find_column(
    attrs: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], path: Path, option: str
) -> str | None:
    """The column ``wanted`` (which must exist), else the first of ``candidates`` present (case-insensitive).

    Raises
    ------
    SchemaError
        When ``wanted`` is not a column, naming the columns there are.
    """
    if wanted is not None:
        if wanted not in attrs.columns:
            there = ", ".join(map(str, attrs.columns)) or "(the file has no attribute columns)"
            raise SchemaError(f"{path}: no column {wanted!r} (fix: {option} one of: {there})")
        return wanted
    lower = {str(c).strip().lower(): c for c in attrs.columns}
    return next((lower[c] for c in candidates if c in lower), None)


def _numeric_text(values: np.ndarray) -> np.ndarray:
    """Numbers as text: integral values without ``.0`` (1.0 -> "1"), others as Python writes them."""
    out = np.full(values.shape, "", dtype=object)
    finite = np.isfinite(values)
    integral = finite & (np.floor(values) == values) & (np.abs(values) < 2**53)
    out[integral] = values[integral].astype(np.int64).astype(str)
    rest = finite & ~integral
    out[rest] = [repr(float(v)) for v in values[rest]]  # non-integral ids are rare; each needs repr's digits
    return out


def text_values(values: pd.Series) -> pd.Series:
    """Cell values as stripped text, ``""`` for missing; integral numbers without ``.0``.

    Typed columns (numbers, booleans, text) are converted column-wise; only object columns
    mixing types are converted value by value.
    """
    index = values.index
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(str).where(values.notna(), "")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.Series(_numeric_text(values.to_numpy(dtype=float, na_value=np.nan)), index=index, dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "empty"):
        return values.astype(object).where(values.notna(), "").astype(str).str.strip()
    if kind in ("floating", "integer", "mixed-integer-float", "decimal"):
        return pd.Series(
            _numeric_text(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)), index=index, dtype=object
        )
    return values.map(_one_text)


def _one_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()
