"""Registry rows from parsed values: each figure in m² (or m) with the precision its digits state."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ..schema import (
    AREA_QUANTITIES,
    AREA_UNITS_M2,
    FIGURE_COLUMNS,
    LENGTH_QUANTITIES,
    LENGTH_UNITS_M,
    QUALIFIERS,
    UNIT_FORMS,
)
from ._values import _MULT_EXP, _UNIT_LOOKUP, _series, _text, _unit_key

__all__ = ["LOADED_COLUMNS"]


#: Columns of a loaded registry (:func:`load_figures`, :func:`area_field_figures`), in order.
LOADED_COLUMNS = (
    *FIGURE_COLUMNS,
    "value_as_written",
    "unit_as_written",
    "bound",
    "decimals",
    "value_num",
    "unit_m2",
    "stated_m2",
    "precision_m2",
    "unit_m",
    "stated_m",
    "precision_m",
)


_HELP_VALUE = 'write the number as in the source: "245.98", "1.2万", "12,000", "约6.7", "6.7以上"'


_AREA_FORMS = [w for w, f in UNIT_FORMS.items() if f.code in AREA_UNITS_M2]


def _per_value(column: pd.Series, *fns: Any) -> list[NDArray[Any]]:
    """Each ``fn`` of each cell, computed once per distinct value (units, quantities, qualifiers)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    return [
        np.asarray([fn(u) for u in uniques], dtype=object)[codes] if len(uniques) else np.zeros(0, dtype=object)
        for fn in fns
    ]


def _unit_of(written: Any) -> tuple[str, int]:
    return _UNIT_LOOKUP.get(_unit_key(str(written)), ("", 0))


def _unit_id(written: Any) -> str:
    """What a written unit means, as one comparable text (``万平方米`` -> ``m2 x10^4``)."""
    code, exp = _unit_of(written)
    return f"{code} x10^{exp}"


def _unit_written(df: pd.DataFrame, parsed: pd.DataFrame) -> pd.Series:
    """The unit column, or where it is empty the unit written in the value (``245.98亩``)."""
    if "unit" not in parsed.columns:
        return df["unit"]
    return df["unit"].mask(df["unit"] == "", parsed["unit"])


def _derive(df: pd.DataFrame, parsed: pd.DataFrame) -> pd.DataFrame:
    """Numbers of a registry table from its parsed values and units (no checks)."""
    exp_word = {e: w for w, e in _MULT_EXP.items()}
    unit_written = _unit_written(df, parsed)
    code, unit_exp_o, unit_word_o, area_factor, length_factor = _per_value(
        unit_written,
        lambda u: _unit_of(u)[0],
        lambda u: _unit_of(u)[1],
        lambda u: exp_word.get(_unit_of(u)[1], ""),
        lambda u: float(AREA_UNITS_M2.get(_unit_of(u)[0], np.nan)),
        lambda u: float(LENGTH_UNITS_M.get(_unit_of(u)[0], np.nan)),
    )
    unit_exp = unit_exp_o.astype(np.int64)
    exp = parsed["exponent"].to_numpy(dtype=np.int64) + unit_exp
    negative = parsed["negative"].to_numpy(dtype=bool)
    usable = parsed["ok"].to_numpy(dtype=bool) & (code != "")
    digits = pa.array(parsed["digits"], type=pa.large_string(), from_pandas=True)
    sign = pa.array(np.where(negative, "-", ""), type=pa.large_string()) if negative.any() else _text("")
    literal = digits
    if negative.any() or exp.any():  # the common plain case ("245.98") is parsed as it is
        exp_text = pc.cast(pa.array(exp), pa.large_string())
        literal = pc.binary_join_element_wise(sign, digits, _text("e"), exp_text, _text(""))
    literal = pc.if_else(pa.array(usable), literal, _text("nan"))
    value_num = pc.cast(literal, pa.float64()).to_numpy(zero_copy_only=False)
    decimals = parsed["decimals"].to_numpy(dtype=np.int64)
    half_step = 0.5 * 10.0 ** (exp - decimals).astype(float)
    is_area, is_length = (
        a.astype(bool)
        for a in _per_value(df["quantity"], lambda q: q in AREA_QUANTITIES, lambda q: q in LENGTH_QUANTITIES)
    )
    unit_m2 = np.where(is_area, area_factor.astype(float), np.nan)
    unit_m = np.where(is_length, length_factor.astype(float), np.nan)
    unit_word = pa.array(unit_word_o, pa.large_string())
    mult_word = pc.if_else(
        pa.array(unit_exp > 0), unit_word, pa.array(parsed["multiplier_word"], type=pa.large_string(), from_pandas=True)
    )
    written = pa.array(df["value"], type=pa.large_string(), from_pandas=True)
    if negative.any() or pc.any(pc.not_equal(mult_word, "")).as_py():
        digits = pc.binary_join_element_wise(sign, digits, mult_word, _text(""))
    value = pc.if_else(pa.array(usable), digits, written)
    qualifier = df["qualifier"].mask(df["qualifier"] == "", parsed["qualifier"])
    out = df.copy()
    out["value_as_written"] = df["value"]
    out["unit_as_written"] = unit_written
    out["value"] = _series(value, df.index)
    out["unit"] = pd.Series(np.where(code != "", code, unit_written.to_numpy(dtype=object)), index=df.index, dtype=str)
    out["qualifier"] = qualifier
    (bound,) = _per_value(qualifier, lambda q: QUALIFIERS[q].bound if q in QUALIFIERS else "")
    out["bound"] = pd.Series(bound, index=df.index, dtype=str)
    out["decimals"] = decimals
    out["value_num"] = value_num
    out["unit_m2"] = unit_m2
    out["stated_m2"] = value_num * unit_m2
    out["precision_m2"] = half_step * unit_m2
    out["unit_m"] = unit_m
    out["stated_m"] = value_num * unit_m
    out["precision_m"] = half_step * unit_m
    out["_unit_exp"] = unit_exp
    return out
