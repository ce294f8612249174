"""The checks table: zones and parcels inside their parent and the town outline, overlaps between them."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ._topology import outside_reach_m, overlap_pairs, share_outside_pct

__all__ = ["CHECK_COLUMNS", "CONTAINMENT_TOL_PCT"]


#: Share of a part (percent of its area) that may lie outside its zone or town with no further question;
#: beyond it, the part still passes when its reach outside stays within the combined accuracy.
CONTAINMENT_TOL_PCT = 0.01


CHECK_COLUMNS = ("town", "check", "subject", "value", "limit", "unit", "passed", "detail", "reach_m", "allowance_m")


def _check(
    town: str, check: str, subject: str, value: float, limit: float, unit: str, passed: bool, detail: str
) -> dict[str, Any]:
    return {
        "town": town,
        "check": check,
        "subject": subject,
        "value": float(value),
        "limit": float(limit),
        "unit": unit,
        "passed": bool(passed),
        "detail": detail,
    }


def _inside_rows(
    check: str,
    sub: pd.DataFrame,
    wholes: NDArray[np.object_],
    owner: NDArray[np.intp],
    whole_ids: list[str],
    whole_acc_m: NDArray[np.float64],
) -> pd.DataFrame:
    """Rows of an "inside" check: share outside, and how far the outside part reaches.

    A part passes when at most :data:`CONTAINMENT_TOL_PCT` of it lies outside, or when its
    reach beyond the whole stays within the two geometries' accuracies added together
    (a sketch drawn 400 m across a boundary it may miss by 1500 m is not evidence of an
    excursion). Built column-wise: one row per part, so this runs for every parcel.
    """
    parts = sub["geometry"].to_numpy()
    area = sub["area_m2"].to_numpy(dtype=float)
    share = share_outside_pct(parts, wholes, owner, area)
    far = share > CONTAINMENT_TOL_PCT
    reach = outside_reach_m(parts, wholes, owner, far)
    allow = sub["accuracy_m"].to_numpy(dtype=float) + whole_acc_m
    ids = sub.index.astype(str).tolist()
    detail = [
        f"{s:.3g}% ({s * a / 100:,.0f} m²) of {pid} lies outside {w}"
        + (
            f", reaching {r:,.0f} m beyond it: {'within' if r <= al else 'beyond'} the combined accuracy of {al:,.0f} m"
            if f
            else ""
        )
        for s, a, pid, w, r, al, f in zip(
            share.tolist(), area.tolist(), ids, whole_ids, reach.tolist(), allow.tolist(), far.tolist(), strict=True
        )
    ]
    return pd.DataFrame(
        {
            "town": sub["town"].to_numpy(),
            "check": check,
            "subject": ids,
            "value": share,
            "limit": CONTAINMENT_TOL_PCT,
            "unit": "%",
            "passed": ~far | (reach <= allow),
            "detail": detail,
            "reach_m": reach,
            "allowance_m": allow,
        },
        columns=list(CHECK_COLUMNS),
    )


def _containment_checks(feats: pd.DataFrame) -> pd.DataFrame | None:
    """Each parcel inside its parent zone (share outside, reach against accuracy)."""
    parcels = feats[feats["parent"].isin(feats.index) & (feats["parent"] != "")]
    if parcels.empty:
        return None
    owner, zone_ids = pd.factorize(parcels["parent"])
    wholes = feats.loc[zone_ids, "geometry"].to_numpy()
    zone_acc = feats.loc[zone_ids, "accuracy_m"].to_numpy(dtype=float)[owner]
    names = [f"its zone {z}" for z in parcels["parent"].tolist()]
    return _inside_rows("parcel_inside_zone", parcels, wholes, owner, names, zone_acc)


def _zone_mask(feats: pd.DataFrame) -> NDArray[np.bool_]:
    """Zones: features of kind ``zone``, else (a planner's layer) features named as someone's parent."""
    is_zone = (feats["kind"] == "zone").to_numpy()
    return is_zone if is_zone.any() else np.asarray(feats.index.isin(feats["parent"]))


def _overlap_checks(feats: pd.DataFrame) -> list[dict[str, Any]]:
    """Zones do not overlap each other: one row per overlapping pair, or one passing row."""
    zones = feats[_zone_mask(feats)]
    if len(zones) < 2:
        return []
    i, j, area = overlap_pairs(zones["geometry"].to_numpy())
    if not i.size:
        return [
            _check(
                str(zones["town"].iloc[0]),
                "zones_do_not_overlap",
                ", ".join(zones.index),
                0.0,
                0.0,
                "m2",
                True,
                f"no two of {len(zones)} zones overlap",
            )
        ]
    ids = zones.index.to_numpy()
    return [
        _check(
            str(zones["town"].iloc[a]),
            "zones_do_not_overlap",
            f"{ids[a]} / {ids[b]}",
            ov,
            0.0,
            "m2",
            False,
            f"{ids[a]} and {ids[b]} overlap by {ov:,.0f} m²",
        )
        for a, b, ov in zip(i, j, area, strict=True)
    ]


def _outline_checks(feats: pd.DataFrame, outline: Any, outline_acc_m: float) -> pd.DataFrame | None:
    """Zones inside their town outline (a GeoDataFrame with ``town``, or one geometry for all)."""
    zones = feats[_zone_mask(feats)]
    if outline is None or zones.empty:
        return None
    if isinstance(outline, gpd.GeoDataFrame):
        by_town = outline.dropna(subset=["town"]).drop_duplicates("town").set_index("town").geometry
        zones = zones[zones["town"].isin(by_town.index)]
        owner, towns = pd.factorize(zones["town"])
        wholes = by_town.reindex(towns).to_numpy()
    else:
        owner, wholes = np.zeros(len(zones), dtype=np.intp), np.array([outline], dtype=object)
    if zones.empty:
        return None
    names = [f"the {t or 'given'} outline" for t in zones["town"].tolist()]
    return _inside_rows("zone_inside_town_outline", zones, wholes, owner, names, np.full(len(zones), outline_acc_m))
