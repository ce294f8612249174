"""The stated-figure registry: every number a source text states, as data, in the forms planners write.

A registry is a table with the columns of :data:`zonemap.schema.FIGURE_COLUMNS`: a CSV
(UTF-8, UTF-8 with BOM, or GBK/GB18030, detected) or an XLSX workbook (the sheet named
``figures``, else the first sheet). Values and units are read as planners write them:

- units in any written form of :data:`zonemap.schema.UNIT_FORMS` (``亩``, ``公顷``, ``平方米``,
  ``㎡``, ``平方公里``, ``km²``, ``万平方米``, ``万亩``, ``m2``, ``mu``, ``ha``, ``km2``; lengths
  ``米`` / ``m``, ``公里`` / ``千米`` / ``km``), case and width ignored;
- values with 万 / 亿 (:data:`zonemap.schema.VALUE_MULTIPLIERS`), thousands separators
  (``12,000``, ``12，000``), full-width digits, a qualifier inside the value (``约6.7``,
  ``6.7以上``, ``200余``, ``10多万``; the words of :data:`zonemap.schema.QUALIFIERS`), and the
  unit too when the unit column is empty (``245.98亩``).

**Precision rule**: a figure is taken to mean ± half a unit of its last written digit, *in the
unit as written*: ``1.2万平方米`` is 1.2 ± 0.05 万 m² = 12 000 ± 500 m²; ``12,000`` m² is
± 0.5 m²; ``245.98亩`` is ± 0.005 亩. A number cell of an XLSX is written with the decimals of
its number format (``0.00`` -> 2) when the stored number has no more digits than the format
shows; otherwise (format ``General``, or digits the format hides) with the shortest decimal
that reads back as the stored number (``245.98``, ``12000``).

Loaded tables (:func:`load_figures`, :func:`area_field_figures`) have the columns
:data:`LOADED_COLUMNS`: ``unit`` is the ascii unit code the rest of zonemap reads, ``value``
the digits written (separators and qualifier taken out, a 万 / 亿 of the unit moved onto them:
``1.2万``), ``value_as_written`` / ``unit_as_written`` the cells exactly as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ..errors import Problem, SchemaError
from ..schema import (
    AREA_QUANTITIES,
    AREA_UNITS_M2,
    FIGURE_COLUMNS,
    FIGURE_REQUIRED,
    LENGTH_QUANTITIES,
    LENGTH_UNITS_M,
    MAX_STATED_AREA_M2,
    MAX_STATED_LENGTH_M,
    QUALIFIERS,
    UNIT_FORMS,
    ZERO_QUANTITIES,
)
from ._closest import _closest, _cycles, _NearIds
from ._derive import _AREA_FORMS, _HELP_VALUE, LOADED_COLUMNS, _derive, _per_value, _unit_id, _unit_written
from ._read import read_figures_table
from ._values import _arrow_text, parse_values

__all__ = [
    "check_figures",
    "load_figures",
]

log = logging.getLogger(__name__)


#: Missing subjects given closest-id suggestions.
_SUGGESTED_SUBJECTS = 20


_LENGTH_FORMS = [w for w, f in UNIT_FORMS.items() if f.code in LENGTH_UNITS_M]


# --------------------------------------------------------------------------- reading files


# --------------------------------------------------------------------------- deriving numbers


def _isin(column: pd.Series, values: Collection[Any]) -> NDArray[np.bool_]:
    """``column.isin(values)`` for text, vectorized in Arrow (pandas builds one scalar per value)."""
    if isinstance(values, pa.Array):
        value_set = values
    elif isinstance(values, pd.Series):
        value_set = _arrow_text(values)
    else:
        value_set = pa.array([str(v) for v in values], type=pa.large_string())
    return pc.is_in(_arrow_text(column), value_set=value_set).to_numpy(zero_copy_only=False)


def _where(df: pd.DataFrame) -> list[str]:
    rows = df.index if df.index.name == "row" else pd.RangeIndex(2, len(df) + 2)
    return [f"row {r} (figure {f or '?'})" for r, f in zip(rows.tolist(), df["figure_id"].tolist(), strict=True)]


def _id_array(ids: Collection[Any]) -> pa.Array:
    """Feature ids as an Arrow string array (ids that are not ``str`` as their ``str``)."""
    try:
        return pa.array(list(ids), type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([str(i) for i in ids], type=pa.large_string())


def _problems(
    df: pd.DataFrame,
    d: pd.DataFrame,
    parsed: pd.DataFrame,
    path: str,
    feature_ids: Collection[str] | None,
    towns: Collection[str] | None,
    ids_from: str | None,
) -> list[Problem]:
    where = _where(df)
    found: list[tuple[int, Problem]] = []

    def bad(mask: Any, message: Any, hint: str) -> None:
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)).tolist():
            text = message(i) if callable(message) else message
            found.append((i, Problem(path, where[i], text, hint)))

    val, unit, qty = df["value"].to_numpy(dtype=object), df["unit"].to_numpy(dtype=object), df["quantity"]
    for col in FIGURE_REQUIRED:
        cells = _unit_written(df, parsed) if col == "unit" else df[col]
        bad(cells == "", f"empty {col}", f"fill in {col}")
    in_unit = parsed["unit"]
    (unit_ids,) = _per_value(df["unit"], _unit_id)
    (value_unit_ids,) = _per_value(in_unit, _unit_id)
    bad(
        (df["unit"] != "").to_numpy() & (in_unit != "").to_numpy() & (unit_ids != value_unit_ids),
        lambda i: f"unit {in_unit.iat[i]!r} in the value and {df['unit'].iat[i]!r} in column unit disagree",
        "keep the one the source uses, in one place",
    )
    has_value = (df["value"] != "").to_numpy()
    ok = parsed["ok"].to_numpy()
    bad(
        has_value & ~ok & ~parsed["two_qualifiers"].to_numpy(),
        lambda i: f"value {val[i]!r} is not a number as a source writes it",
        _HELP_VALUE,
    )
    bad(
        parsed["two_qualifiers"],
        lambda i: f"value {val[i]!r} has more than one qualifier word",
        "keep the one the source uses",
    )
    known_unit = _isin(d["unit"], [*AREA_UNITS_M2, *LENGTH_UNITS_M])
    is_area, is_length = _isin(qty, AREA_QUANTITIES), _isin(qty, LENGTH_QUANTITIES)
    bad(
        is_area & (df["unit"] != "") & ~_isin(d["unit"], AREA_UNITS_M2),
        lambda i: f"unknown area unit {unit[i]!r}",
        f"use one of {', '.join(_AREA_FORMS)}",
    )
    bad(
        is_length & (df["unit"] != "") & ~_isin(d["unit"], LENGTH_UNITS_M),
        lambda i: f"unknown length unit {unit[i]!r}",
        f"use one of {', '.join(_LENGTH_FORMS)}",
    )
    bad(
        ~is_area & ~is_length & (qty != ""),
        lambda i: f"unknown quantity {qty.iat[i]!r}",
        f"use one of {', '.join(sorted(AREA_QUANTITIES | LENGTH_QUANTITIES))}",
    )
    bad(
        ok & (parsed["exponent"].to_numpy() > 0) & (d["_unit_exp"].to_numpy() > 0),
        lambda i: f"value {val[i]!r} and unit {unit[i]!r} both carry a multiplier (万 / 亿)",
        'write the multiplier once: "1.2" with 万平方米, or "1.2万" with 平方米',
    )
    qual_col = df["qualifier"]
    bad(
        ~_isin(qual_col, QUALIFIERS),
        lambda i: f"unknown qualifier {qual_col.iat[i]!r}",
        f"use one of {', '.join(repr(q) for q in QUALIFIERS)}",
    )
    in_value = parsed["qualifier"]
    bad(
        (qual_col != "") & (in_value != "") & (qual_col != in_value),
        lambda i: f"qualifier {in_value.iat[i]!r} in the value and {qual_col.iat[i]!r} in column qualifier disagree",
        "keep the one the source uses, in one place",
    )
    num = d["value_num"].to_numpy(dtype=float)
    usable = ok & known_unit
    neg = usable & parsed["negative"].to_numpy()
    bad(neg, lambda i: f"value {val[i]!r} is negative", "a stated area or length is positive: drop the minus sign")
    zero_ok = _isin(qty, ZERO_QUANTITIES)
    bad(
        usable & (num == 0) & ~zero_ok,
        lambda i: f"value {val[i]!r} is zero",
        "a stated area or length is more than zero: check the digits, or drop the row",
    )
    bad(
        usable & ~neg & ~np.isfinite(num),
        lambda i: f"value {val[i]!r} is too large to be a number",
        "check the digits (a typo?)",
    )
    stated_m2, stated_m = d["stated_m2"].to_numpy(dtype=float), d["stated_m"].to_numpy(dtype=float)
    bad(
        np.isfinite(stated_m2) & (stated_m2 > MAX_STATED_AREA_M2),
        lambda i: (
            f"value {val[i]!r} {unit[i]} is {stated_m2[i] / 1e6:.3g} km², more than any area a figure can "
            f"state (limit {MAX_STATED_AREA_M2 / 1e6:.0f} km²)"
        ),
        "check the digits and the unit (亩, 公顷, 平方公里)",
    )
    bad(
        np.isfinite(stated_m) & (stated_m > MAX_STATED_LENGTH_M),
        lambda i: (
            f"value {val[i]!r} {unit[i]} is {stated_m[i] / 1e3:.3g} km, more than any length a figure can "
            f"state (limit {MAX_STATED_LENGTH_M / 1e3:.0f} km)"
        ),
        "check the digits and the unit (米, 公里)",
    )
    if towns is not None:
        known_towns = sorted(set(towns))
        town = df["town"]
        bad(
            (town != "") & ~_isin(town, known_towns),
            lambda i: f"unknown town {town.iat[i]!r}" + _closest(town.iat[i], known_towns),
            f"use a town id of the project: {', '.join(known_towns) or '(none declared)'}",
        )
    ids, parents = df["figure_id"], df["part_of"]
    bad(
        (parents != "") & ~_isin(parents, ids) & (parents != ids),
        lambda i: f"part_of {parents.iat[i]!r} is not a figure_id",
        "name the figure_id of the whole, or leave part_of empty",
    )
    for cycle in _cycles(ids, parents):
        chain = " -> ".join([*(ids.iat[i] for i in cycle), ids.iat[cycle[0]]])
        rows = ", ".join(where[i].split(" (")[0] for i in cycle)
        message = f"part_of cycle {chain} ({rows}): no figure is the whole"
        found.append(
            (
                cycle[0],
                Problem(
                    path,
                    where[cycle[0]],
                    message,
                    "a figure is part of a larger one: empty part_of on the outermost figure",
                ),
            )
        )
    if feature_ids is not None:
        subj = df["subject"]
        id_array = _id_array(feature_ids)
        missing = (subj != "") & ~_isin(subj, id_array)
        if missing.any():
            near = _NearIds(id_array)
            first_missing = set(subj[missing].drop_duplicates().head(_SUGGESTED_SUBJECTS))
            of = f" of {ids_from}" if ids_from else ""
            bad(
                missing,
                lambda i: (
                    f"subject {subj.iat[i]!r} is not a feature id{of}"
                    + (near.closest(subj.iat[i]) if subj.iat[i] in first_missing else "")
                ),
                "use the id of a feature in the layer, exactly as written there",
            )
    for fid in ids[ids.duplicated() & (ids != "")].unique():
        found.append(
            (len(df), Problem(path, f"figure {fid}", "figure_id used more than once", "give each figure its own id"))
        )
    return [p for _, p in sorted(found, key=lambda t: t[0])]


def check_figures(
    df: pd.DataFrame,
    path: Path | str,
    feature_ids: Collection[str] | None = None,
    *,
    towns: Collection[str] | None = None,
    ids_from: str | None = None,
) -> list[Problem]:
    """Check a registry table; return every problem found.

    Parameters
    ----------
    df
        Table from :func:`read_figures_table`.
    path
        Its file, for messages.
    feature_ids
        Ids of the features figures may refer to; subjects are not checked when ``None``.
        A missing subject is named with the closest ids.
    towns
        The project's town ids; the ``town`` column is not checked when ``None``.
    ids_from
        What the feature ids come from (``"parcels.shp"``), for messages.

    Returns
    -------
    list of Problem
        Empty when the table is valid: every value reads as a positive, finite,
        plausible number (at most :data:`zonemap.schema.MAX_STATED_AREA_M2` /
        ``MAX_STATED_LENGTH_M``) in a known unit, no ``part_of`` cycle, no unknown subject.
    """
    table = df.copy()
    for col in FIGURE_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    table[list(FIGURE_COLUMNS)] = table[list(FIGURE_COLUMNS)].fillna("").astype(str)
    parsed = parse_values(table["value"])
    return _problems(table, _derive(table, parsed), parsed, str(path), feature_ids, towns, ids_from)


def load_figures(
    path: Path | str,
    feature_ids: Collection[str] | None = None,
    *,
    towns: Collection[str] | None = None,
    default_town: str | None = None,
    ids_from: str | None = None,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load and check a figures table (CSV or XLSX).

    Parameters
    ----------
    path
        The table.
    feature_ids
        When given, every ``subject`` must be one of these ids.
    towns
        When given, every ``town`` must be one of these ids.
    default_town
        Fills empty (or absent) ``town`` cells: a table given for one town's file.
    ids_from
        What ``feature_ids`` come from, for messages.
    table
        The table as :func:`read_figures_table` already read it (the file is then not read again).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LOADED_COLUMNS`, one row per figure in file order: ``value`` (the
        digits written, e.g. ``1.2万``), ``value_as_written`` / ``unit_as_written`` (the
        cells as they were), ``unit`` (ascii code), ``value_num`` (float, in ``unit``),
        ``decimals`` (as written), ``bound`` (about/exact/at_least/at_most), ``unit_m2`` /
        ``stated_m2`` / ``precision_m2`` for area figures and ``unit_m`` / ``stated_m`` /
        ``precision_m`` for lengths (NaN where they do not apply). ``precision_*`` is half a
        unit of the last written digit in the unit as written.

    Raises
    ------
    SchemaError
        Listing every problem found.
    """
    df = read_figures_table(path, default_town=default_town) if table is None else table
    parsed = parse_values(df["value"])
    derived = _derive(df, parsed)
    problems = _problems(df, derived, parsed, str(path), feature_ids, towns, ids_from)
    if problems:
        raise SchemaError(f"{path}: {len(problems)} problem(s) in the figures table", problems)
    extra = [c for c in df.columns if c not in LOADED_COLUMNS]
    return derived[[*LOADED_COLUMNS, *extra]].reset_index(drop=True)


# --------------------------------------------------------------------------- a layer's own attribute
