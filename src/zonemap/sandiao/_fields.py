"""Checks of stored 三调 area fields.

A layer's own area columns against each other, at the decimals they were stored with.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..errors import SchemaError
from ..schema import ID_COLUMNS

__all__ = ["FIELD_CHECK_COLUMNS", "SANDIAO_FIELDS", "sandiao_field_checks"]

log = logging.getLogger(__name__)


_Arr = NDArray[np.float64]


#: The 三调 attribute fields :func:`sandiao_field_checks` reads (case-insensitive): 图斑面积, 扣除系数,
#: 扣除面积, 图斑地类面积 (the area fields among them are in :data:`zonemap.schema.AREA_FIELD_UNITS`).
SANDIAO_FIELDS = ("TBMJ", "KCXS", "KCMJ", "TBDLMJ")


#: Columns of :func:`sandiao_field_checks`' result.
FIELD_CHECK_COLUMNS = ("id", "check", "expected", "found", "difference", "decimals")


_MAX_DECIMALS = {"TBMJ": 6, "KCMJ": 6, "TBDLMJ": 6, "KCXS": 8}


def _find_column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in names:
        if name.lower() in lower:
            return str(lower[name.lower()])
    return None


def _stored_decimals(values: _Arr, max_decimals: int) -> int:
    """The fewest decimals (<= ``max_decimals``) every value is a whole number of ``10**-d`` at."""
    v = values[np.isfinite(values)]
    for d in range(max_decimals + 1):
        scaled = v * 10.0**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled)) * 1e-3):
            return d
    return max_decimals


def _numeric(frame: pd.DataFrame, col: str, ids: pd.Series) -> _Arr:
    raw = frame[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna()
    if bad.any():
        bad &= raw.where(bad, "").astype(str).str.strip() != ""  # blank text is empty, not wrong
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"field {col}: feature #{i} (id {ids.iloc[i]}) holds {raw.iloc[i]!r}, not a number "
            f"({int(bad.sum())} such) (fix: {col} must be numeric)"
        )
    return num.to_numpy(dtype=float)


def sandiao_field_checks(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the 三调 area arithmetic of a layer: TBDLMJ = TBMJ − KCMJ and KCMJ = TBMJ × KCXS.

    Parameters
    ----------
    frame
        The layer's attribute table (a GeoDataFrame works); the fields are found by name,
        case-insensitively. A check runs when its three fields are present; rows where one of
        them is empty are skipped (logged).

    Returns
    -------
    pandas.DataFrame
        One row per failing feature and check: ``id`` (the layer's id column from
        :data:`zonemap.schema.ID_COLUMNS`, else the row number), ``check``, ``expected``
        (the exact result rounded to the found value's decimals), ``found``, ``difference``
        (found − exact) and ``decimals``. A value fails when it is off the exact result by
        more than half a unit of its last decimal. The decimals are inferred from the stored
        values: the fewest at which every value of the field is whole (2 for 三调 areas,
        4 for KCXS, typically), logged.

    Raises
    ------
    SchemaError
        A field holding text that is not a number (naming the feature and value).
    """
    cols = {name: _find_column(frame, [name]) for name in SANDIAO_FIELDS}
    id_col = _find_column(frame, ID_COLUMNS)
    ids = frame[id_col].reset_index(drop=True) if id_col else pd.Series(np.arange(len(frame)))
    values = {name: _numeric(frame, col, ids) for name, col in cols.items() if col is not None}
    parts = []
    checks = (
        ("TBDLMJ", ("TBMJ", "KCMJ"), "TBDLMJ = TBMJ - KCMJ", lambda v: v["TBMJ"] - v["KCMJ"]),
        ("KCMJ", ("TBMJ", "KCXS"), "KCMJ = TBMJ * KCXS", lambda v: v["TBMJ"] * v["KCXS"]),
    )
    for target, inputs, label, formula in checks:
        if target not in values or not all(i in values for i in inputs):
            continue
        found = values[target]
        exact = formula(values)
        ok_rows = np.isfinite(found) & np.isfinite(exact)
        if (~ok_rows).any():
            log.info("%s: %d rows with an empty field not checked", label, int((~ok_rows).sum()))
        dec = _stored_decimals(found, _MAX_DECIMALS[target])
        log.info(
            "%s: %s stored to %d decimals (inputs: %s)",
            label,
            cols[target],
            dec,
            ", ".join(f"{cols[i]} {_stored_decimals(values[i], _MAX_DECIMALS[i])}" for i in inputs),
        )
        with np.errstate(invalid="ignore"):
            diff = found - exact
            fail = ok_rows & (np.abs(diff) > 0.5 * 10.0**-dec * (1 + 1e-6))
        idx = np.flatnonzero(fail)
        parts.append(
            pd.DataFrame(
                {
                    "id": ids.iloc[idx].to_numpy(),
                    "check": label,
                    "expected": np.round(exact[idx], dec),
                    "found": found[idx],
                    "difference": diff[idx],
                    "decimals": dec,
                    "_row": idx,
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=object if c in ("id", "check") else float) for c in FIELD_CHECK_COLUMNS}
        )
    out = pd.concat(parts, ignore_index=True).sort_values(["_row", "check"], kind="stable")
    return out.drop(columns="_row").reset_index(drop=True)
