"""Stated figures from a planner's own layer: ``--area-field`` (a column of stated areas) as registry rows."""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ..errors import SchemaError
from ..schema import (
    AREA_FIELD_UNITS,
    AREA_UNITS_M2,
    MAX_STATED_AREA_M2,
)
from ._derive import _AREA_FORMS, _HELP_VALUE, LOADED_COLUMNS, _derive, _per_value, _unit_id
from ._values import _UNIT_LOOKUP, _series, _text, _unit_key, parse_values

__all__ = [
    "area_field_figures",
    "rounding_decimals",
]


log = logging.getLogger(__name__)

#: Ids named in a message about many features (the rest are counted).
_SHOWN_IDS = 5


_UNIT_CODE = {k: v[0] for k, v in _UNIT_LOOKUP.items()}


def _field_unit(field: str) -> tuple[str, str] | None:
    """(unit code, form as written) from a field name: 面积亩 -> mu, TBMJ -> m2, area_ha -> ha."""
    upper = unicodedata.normalize("NFKC", field).strip().upper()
    if upper in AREA_FIELD_UNITS:
        return AREA_FIELD_UNITS[upper], AREA_FIELD_UNITS[upper]
    key = _unit_key(field)
    tokens = set(re.findall(r"[a-z0-9]+", key))
    forms = {_unit_key(w): w for w in reversed(_AREA_FORMS)}  # key -> first written form with it
    hits = {k for k in forms if (k in tokens if k.isascii() else k in key)}
    hits = {k for k in hits if not any(k != o and k in o for o in hits)}  # 万亩 over 亩
    if len({_UNIT_LOOKUP[k] for k in hits}) != 1:
        return None  # no unit word, or two that disagree (面积亩公顷)
    k = min(hits)
    return _UNIT_CODE[k], forms[k]


def _fixed_text(nums: NDArray[np.float64], decimals: int) -> pd.Series:
    """Positive numbers written with ``decimals`` decimals (``245.98``, ``12.50``), vectorized."""
    scaled = np.rint(nums * 10.0**decimals)
    if decimals > 15 or (len(nums) and scaled.max() >= 2.0**53):  # beyond exact integers: numpy's own formatting
        return pd.Series(np.char.mod(f"%.{decimals}f", nums)).astype(str)
    ints = pc.cast(pa.array(scaled.astype(np.int64)), pa.large_string())
    if decimals == 0:
        return _series(ints, pd.RangeIndex(len(nums)))
    padded = pc.utf8_lpad(ints, decimals + 1, "0")
    text = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(padded, 0, -decimals), pc.utf8_slice_codeunits(padded, -decimals, 2**31 - 1), _text(".")
    )
    return _series(text, pd.RangeIndex(len(nums)))


def _ids_text(ids: pd.Series, mask: Any) -> str:
    bad = ids[np.asarray(mask, dtype=bool)]
    shown = ", ".join(bad.head(_SHOWN_IDS).astype(str))
    more = len(bad) - _SHOWN_IDS
    return f"{shown}{f' and {more} more' if more > 0 else ''} ({len(bad)} feature(s))"


def area_field_figures(
    layer: pd.DataFrame,
    field: str,
    *,
    id_column: str = "id",
    unit: str | None = None,
    decimals: int | None = None,
    town: str = "",
    source: str = "",
) -> pd.DataFrame:
    """A layer's own area attribute as stated figures, one per feature, in the loaded-registry format.

    Parameters
    ----------
    layer
        The features (a GeoDataFrame or any DataFrame) with ``id_column`` and ``field``.
    field
        The attribute holding each feature's stated area (``面积亩``, ``TBMJ``...).
    id_column
        The feature id column; each figure's ``subject``.
    unit
        The unit as written (``亩``, ``公顷``, ``m2``, ``万平方米``...). ``None``: from the field
        name (``亩`` / ``mu`` -> mu; ``公顷`` / ``ha`` -> ha; ``平方米`` / ``㎡`` / ``m2`` -> m2;
        ``平方公里`` / ``km2`` -> km2; the 三调 fields TBMJ, MJ, KCMJ, TBDLMJ -> m2).
    decimals
        Decimals of a numeric field as declared (a DBF ``N(18,2)`` is 2) or as the user says
        (``--area-decimals``); the precision is half a unit of that digit. Required for a
        float column unless every value is a whole number (then 0). A text column keeps
        its written digits and ignores this.
    town
        Town id of every figure.
    source
        The layer's file, the figures' ``source`` (and the file named in messages).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LOADED_COLUMNS`: ``figure_id`` ``f"{id}:{field}"``, ``subject`` the id,
        ``quantity`` ``area``, ``value`` the digits, ``quote`` ``f"{field}={value}"``.

    Raises
    ------
    SchemaError
        If the field or id column is missing, the unit or decimals cannot be known, or a
        value is empty, unreadable, not positive or implausibly large (naming the features).
    """
    where = source or "layer"
    if field not in layer.columns:
        near = difflib.get_close_matches(field, [str(c) for c in layer.columns], n=3)
        raise SchemaError(
            f"{where}: no attribute {field!r} (fix: name one of the layer's attributes"
            f"{': ' + ', '.join(near) if near else ''})"
        )
    if id_column not in layer.columns:
        raise SchemaError(f"{where}: no id column {id_column!r} (fix: name the id attribute)")
    if unit is not None:
        found = _UNIT_LOOKUP.get(_unit_key(unit))
        if found is None or found[0] not in AREA_UNITS_M2:
            raise SchemaError(f"{where}: unknown area unit {unit!r} (fix: --area-unit one of {', '.join(_AREA_FORMS)})")
        unit_written = unit
    else:
        guessed = _field_unit(field)
        if guessed is None:
            raise SchemaError(
                f"{where}: the unit of attribute {field!r} is not in its name (fix: --area-unit 亩, 公顷 or 平方米)"
            )
        unit_written = guessed[1]
    ids = layer[id_column].astype(str).reset_index(drop=True)
    col = layer[field].reset_index(drop=True)
    n = len(col)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        nums = col.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(nums)
        if decimals is None:
            if pd.api.types.is_integer_dtype(col) or np.all(nums[finite] == np.round(nums[finite])):
                decimals = 0
            else:
                raise SchemaError(
                    f"{where}: attribute {field!r} holds decimals but how many the source wrote is not "
                    "known (fix: --area-decimals N, the field's declared decimals, e.g. 2 for N(18,2))"
                )
        if decimals < 0:
            raise SchemaError(f"{where}: decimals {decimals} is negative (fix: --area-decimals 0 or more)")
        bad = ~finite | (nums <= 0)
        if bad.any():
            raise SchemaError(
                f"{where}: attribute {field!r} is empty, zero or negative for "
                f"{_ids_text(ids, bad)} (fix: fill in the stated area, or leave those features out)"
            )
        text = _fixed_text(nums, decimals)
        parsed = pd.DataFrame(
            {
                "ok": np.ones(n, dtype=bool),
                "qualifier": "",
                "digits": text,
                "decimals": np.full(n, decimals, dtype=int),
                "multiplier_word": "",
                "exponent": np.zeros(n, dtype=int),
                "negative": np.zeros(n, dtype=bool),
                "two_qualifiers": np.zeros(n, dtype=bool),
            }
        )
        written = text
    else:
        written = col.astype(object).where(col.notna(), "").astype(str).str.strip()
        parsed = parse_values(written)
        empty = (written == "").to_numpy()
        if empty.any():
            raise SchemaError(
                f"{where}: attribute {field!r} is empty for {_ids_text(ids, empty)} "
                "(fix: fill in the stated area, or leave those features out)"
            )
        unread = ~parsed["ok"].to_numpy()
        if unread.any():
            example = written[unread].iat[0]
            raise SchemaError(
                f"{where}: attribute {field!r} is not a number ({example!r}...) for "
                f"{_ids_text(ids, unread)} (fix: {_HELP_VALUE})"
            )
        (value_units,) = _per_value(parsed["unit"], _unit_id)
        other = (parsed["unit"] != "").to_numpy() & (value_units != _unit_id(unit_written))
        if other.any():
            example = written[other].iat[0]
            raise SchemaError(
                f"{where}: attribute {field!r} is in {unit_written} but {example!r} names another unit, "
                f"for {_ids_text(ids, other)} (fix: --area-unit, or one unit in the whole attribute)"
            )
    table = pd.DataFrame(
        {
            "figure_id": ids + f":{field}",
            "town": town,
            "subject": ids,
            "quantity": "area",
            "value": written,
            "unit": unit_written,
            "qualifier": "",
            "source": source,
            "quote": f"{field}=" + written,
            "part_of": "",
            "notes": "",
        }
    )
    d = _derive(table, parsed)
    num = d["value_num"].to_numpy(dtype=float)
    nonpos = parsed["negative"].to_numpy() | (num <= 0)
    if nonpos.any():
        raise SchemaError(
            f"{where}: attribute {field!r} is zero or negative for {_ids_text(ids, nonpos)} "
            "(fix: fill in the stated area, or leave those features out)"
        )
    stated = d["stated_m2"].to_numpy(dtype=float)
    absurd = ~np.isfinite(stated) | (stated > MAX_STATED_AREA_M2)
    if absurd.any():
        raise SchemaError(
            f"{where}: attribute {field!r} in {unit_written} states more than "
            f"{MAX_STATED_AREA_M2 / 1e6:.0f} km² for {_ids_text(ids, absurd)} "
            "(fix: check the values and the unit, --area-unit)"
        )
    dupes = ids.duplicated()
    if dupes.any():
        raise SchemaError(
            f"{where}: id {ids[dupes].iat[0]!r} names more than one feature "
            f"({int(dupes.sum())} repeated id(s)) (fix: give each feature its own id)"
        )
    return d[list(LOADED_COLUMNS)]


def rounding_decimals(values: pd.Series, declared: int, label: str, field_name: str) -> int:
    """The decimals a numeric field's values were really rounded to: at most the declared ones.

    GDAL writes float columns as N(24,15); a planner's 面积亩 stored that way still holds
    values rounded to 0.01. The smallest ``d <= declared`` at which every value is a whole
    number of ``10**-d`` is the precision the digits carry.

    Parameters
    ----------
    values
        The field's values (numeric; anything else keeps ``declared``).
    declared
        The decimals the file declares (a DBF's N(w,d), a database's numeric scale).
    label, field_name
        For the log line.

    Returns
    -------
    int
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if not v.size or not pd.api.types.is_numeric_dtype(values):
        return declared
    for d in range(declared + 1):
        scaled = v * 10.0**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled)) * 1e-3):
            if d < declared:
                log.info("%s: %s declares %d decimals, its values are rounded to %d", label, field_name, declared, d)
            return d
    return declared
