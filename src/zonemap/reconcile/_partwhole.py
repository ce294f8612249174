"""Part-whole rules for the reconciliation (private; used by :mod:`zonemap.reconcile`).

A part never exceeds its whole: a figure with ``part_of`` (e.g. 1946 mu of new
industrial land in the 2780-mu park) is compared, at the generous ends of both bands,
with the whole's stated value and, where the whole has a polygon, with its measured
area plus geometry uncertainty. The parcels of a zone never exceed the zone, summed
both as stated figures and as measured areas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..schema import FigureStatus, unit_text

__all__ = ["PART_EXCEEDS", "PART_WITHIN", "part_whole_checks"]

Check = Callable[[str, str, str, float, float, str, bool, str], dict[str, Any]]
PART_WITHIN, PART_EXCEEDS = str(FigureStatus.PART_WITHIN), str(FigureStatus.PART_EXCEEDS)


def _label(row: pd.Series, figure_id: str | None = None) -> str:
    return f"{row['qualifier']}{row['stated_value']} {unit_text(row['unit'])} ({figure_id or row['figure_id']})"


def _figure_parts(table: pd.DataFrame, check: Check) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """Checks of figures that name a whole; and, per part figure, whether all passed."""
    rows: list[dict[str, Any]] = []
    ok: dict[str, bool] = {}
    by_id = table.set_index("figure_id")
    for _, part in table[table["part_of"].isin(by_id.index)].iterrows():
        whole = by_id.loc[part["part_of"]]
        low = part["stated_m2"] - part["band_m2"]
        high = whole["stated_m2"] + whole["band_m2"]
        detail = f"{_label(part)} within {_label(whole, part['part_of'])}"
        rows.append(
            check(
                part["town"],
                "part_within_whole_stated",
                part["figure_id"],
                low,
                high,
                "m2",
                low <= high,
                detail + " as stated",
            )
        )
        passed = low <= high
        if np.isfinite(whole["measured_m2"]):
            limit = whole["measured_m2"] + whole["geometry_uncertainty_m2"]
            rows.append(
                check(
                    part["town"],
                    "part_within_whole_measured",
                    part["figure_id"],
                    low,
                    limit,
                    "m2",
                    low <= limit,
                    f"{_label(part)} within the measured area of {whole['subject']}",
                )
            )
            passed = passed and low <= limit
        ok[part["figure_id"]] = bool(passed)
    return rows, ok


def _zone_parts(table: pd.DataFrame, feats: pd.DataFrame, check: Check) -> list[dict[str, Any]]:
    """The parcels of each zone, stated and measured, never exceed the zone."""
    rows: list[dict[str, Any]] = []
    children = feats[(feats["parent"] != "") & feats["parent"].isin(feats.index)]
    own = table[table["quantity"] == "area"]
    for zone, kids in children.groupby("parent", sort=True):
        town = str(feats.at[zone, "town"])
        measured = float(kids["area_m2"].sum())
        limit = float(feats["area_m2"].loc[zone])
        rows.append(
            check(
                town,
                "parcels_measured_within_zone",
                str(zone),
                measured,
                limit,
                "m2",
                measured <= limit * (1 + 1e-9),
                f"{len(kids)} parcel(s) {', '.join(kids.index)} measured against zone {zone}",
            )
        )
        kid_figs = own[own["subject"].isin(kids.index)]
        zone_figs = own[own["subject"] == zone]
        if len(kid_figs) and len(zone_figs):
            z = zone_figs.iloc[0]
            low = float((kid_figs["stated_m2"] - kid_figs["band_m2"]).sum())
            high = float(z["stated_m2"] + z["band_m2"])
            rows.append(
                check(
                    town,
                    "parcels_stated_within_zone",
                    str(zone),
                    low,
                    high,
                    "m2",
                    low <= high,
                    f"stated {', '.join(map(_label, (r for _, r in kid_figs.iterrows())))} within {_label(z)}",
                )
            )
    return rows


def part_whole_checks(
    table: pd.DataFrame, feats: pd.DataFrame, check: Check
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Run the part-whole rules and give part figures without a polygon their status.

    Parameters
    ----------
    table
        Per-figure comparison rows (stated_m2, band_m2, measured_m2, ...).
    feats
        Measured features indexed by id (area_m2, parent, town).
    check
        Builds one check row.

    Returns
    -------
    tuple
        The table with ``part_within_whole`` / ``part_exceeds_whole`` statuses for figures
        that have no polygon of their own, and the check rows.
    """
    rows, ok = _figure_parts(table, check)
    rows += _zone_parts(table, feats, check)
    out = table.copy()
    is_part = (out["quantity"] != "area") & out["figure_id"].isin(list(ok))
    out.loc[is_part, "status"] = [PART_WITHIN if ok[f] else PART_EXCEEDS for f in out.loc[is_part, "figure_id"]]
    return out, rows
