"""The stated-figure registry: every number a source text states, as data.

The registry is a UTF-8 CSV (``geodata/figures.csv``) with the columns of
:data:`zonemap.schema.FIGURE_COLUMNS`. ``value`` keeps the digits exactly as written
("6.7", "245.98", "2780"); the stated precision is derived from them: a figure written
with ``d`` decimals is taken to mean ± half a unit of its last digit.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataFileError, MissingFileError, Problem, SchemaError
from .schema import (
    AREA_QUANTITIES,
    AREA_UNITS_M2,
    FIGURE_COLUMNS,
    FIGURE_REQUIRED,
    LENGTH_QUANTITIES,
    LENGTH_UNITS_M,
    QUALIFIERS,
    TOWNS,
)

__all__ = ["check_figures", "decimals_as_written", "load_figures", "read_figures_table"]

_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def decimals_as_written(text: str) -> int:
    """Count the digits after the decimal point as written.

    Parameters
    ----------
    text
        A number as written in the source, e.g. ``"245.98"``.

    Returns
    -------
    int
        ``2`` for ``"245.98"``, ``0`` for ``"2780"``.
    """
    _, _, frac = text.partition(".")
    return len(frac)


def read_figures_table(path: Path | str) -> pd.DataFrame:
    """Read a registry CSV as text, without interpreting any value.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Every column as ``str``; missing optional columns added empty.

    Raises
    ------
    MissingFileError, DataFileError
        If the file is absent, not UTF-8 or not CSV.
    """
    p = Path(path)
    if not p.is_file():
        raise MissingFileError(f"{p}: figures table not found (fix: check the path)")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataFileError(
            f"{p}: not UTF-8 (fix: save the table as UTF-8 CSV)"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(f"{p}: not a readable CSV: {exc} (fix: repair the file)") from None
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in FIGURE_REQUIRED if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{p}: missing column(s) {', '.join(missing)} "
            f"(fix: the header must name {', '.join(FIGURE_COLUMNS)})"
        )
    for col in FIGURE_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    return df.apply(lambda s: s.str.strip())


def _row_problems(row: pd.Series, where: str, path: str) -> list[Problem]:
    out: list[Problem] = []

    def bad(msg: str, hint: str) -> None:
        out.append(Problem(path, where, msg, hint))

    for col in FIGURE_REQUIRED:
        if not row[col]:
            bad(f"empty {col}", f"fill in {col}")
    if row["value"] and not _NUMBER.match(row["value"]):
        bad(f"value {row['value']!r} is not a plain number", 'write digits as in the source, e.g. "245.98"')
    quantity, unit = row["quantity"], row["unit"]
    if quantity in AREA_QUANTITIES:
        if unit not in AREA_UNITS_M2:
            bad(f"unknown area unit {unit!r}", f"use one of {', '.join(AREA_UNITS_M2)}")
    elif quantity in LENGTH_QUANTITIES:
        if unit not in LENGTH_UNITS_M:
            bad(f"unknown length unit {unit!r}", f"use one of {', '.join(LENGTH_UNITS_M)}")
    elif quantity:
        known = ", ".join(sorted(AREA_QUANTITIES | LENGTH_QUANTITIES))
        bad(f"unknown quantity {quantity!r}", f"use one of {known}")
    if row["qualifier"] not in QUALIFIERS:
        words = ", ".join(repr(q) for q in QUALIFIERS)
        bad(f"unknown qualifier {row['qualifier']!r}", f"use one of {words}")
    if row["town"] and row["town"] not in TOWNS:
        bad(f"unknown town {row['town']!r}", f"use one of {', '.join(TOWNS)}")
    return out


def check_figures(
    df: pd.DataFrame, path: Path | str, feature_ids: set[str] | None = None
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

    Returns
    -------
    list of Problem
        Empty when the table is valid.
    """
    p = str(path)
    problems: list[Problem] = []
    ids = df["figure_id"]
    known = set(ids)
    for i, (_, row) in enumerate(df.iterrows()):
        where = f"row {i + 2} (figure {row['figure_id'] or '?'})"  # +2: header, 1-based
        problems += _row_problems(row, where, p)
        if row["part_of"] and row["part_of"] not in known:
            problems.append(
                Problem(p, where, f"part_of {row['part_of']!r} is not a figure_id",
                        "name the figure_id of the whole, or leave part_of empty")
            )
        if feature_ids is not None and row["subject"] and row["subject"] not in feature_ids:
            problems.append(
                Problem(p, where, f"subject {row['subject']!r} is not a feature id",
                        "use the id of a feature in the town's geodata")
            )
    for fid in ids[ids.duplicated() & (ids != "")].unique():
        problems.append(Problem(p, f"figure {fid}", "figure_id used more than once",
                                "give each figure its own id"))
    return problems


def load_figures(path: Path | str, feature_ids: set[str] | None = None) -> pd.DataFrame:
    """Load and check the stated-figure registry.

    Parameters
    ----------
    path
        The registry CSV.
    feature_ids
        When given, every ``subject`` must be one of these ids.

    Returns
    -------
    pandas.DataFrame
        The registry's columns (``value`` kept as written) plus ``value_num`` (float, in
        the figure's unit), ``decimals``, ``bound`` (about/exact/at_least/at_most),
        ``unit_m2`` / ``stated_m2`` / ``precision_m2`` for area figures and ``unit_m`` /
        ``stated_m`` / ``precision_m`` for lengths (NaN where they do not apply).
        ``precision_*`` is half a unit of the last written digit.

    Raises
    ------
    SchemaError
        Listing every problem found.
    """
    df = read_figures_table(path)
    problems = check_figures(df, path, feature_ids)
    if problems:
        raise SchemaError(f"{path}: {len(problems)} problem(s) in the figures table", problems)
    out = df.copy()
    try:
        exact = [Decimal(v) for v in out["value"]]
    except InvalidOperation:  # pragma: no cover - rejected by check_figures
        raise SchemaError(f"{path}: non-numeric value") from None
    out["value_num"] = np.array([float(v) for v in exact])
    out["decimals"] = out["value"].map(decimals_as_written).astype(int)
    half_step = 0.5 * 10.0 ** (-out["decimals"].to_numpy(dtype=float))
    out["bound"] = out["qualifier"].map(lambda q: QUALIFIERS[q].bound)
    is_area = out["quantity"].isin(AREA_QUANTITIES).to_numpy()
    area_factor = out["unit"].map(lambda u: float(AREA_UNITS_M2.get(u, np.nan))).to_numpy()
    length_factor = out["unit"].map(lambda u: float(LENGTH_UNITS_M.get(u, np.nan))).to_numpy()
    out["unit_m2"] = np.where(is_area, area_factor, np.nan)
    out["unit_m"] = np.where(is_area, np.nan, length_factor)
    out["stated_m2"] = out["value_num"] * out["unit_m2"]
    out["precision_m2"] = half_step * out["unit_m2"]
    out["stated_m"] = out["value_num"] * out["unit_m"]
    out["precision_m"] = half_step * out["unit_m"]
    return out
