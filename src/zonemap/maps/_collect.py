"""What a town map shows, gathered from a project: layers with proximity columns and stated-figure cards."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..config import Config
from ..io import TownData
from ..project import Project, as_project
from ..schema import FIGURE_STATUSES, LAYERS
from ._layers import STATUS_LABELS

__all__ = ["MapLayers", "collect_layers", "figure_cards"]


@dataclass(frozen=True)
class MapLayers(TownData):
    """Everything drawn on a town map (all EPSG:4326): the town's layers plus context.

    The polygon layers may carry the proximity columns (``area_m2``, ``sz_distance_m``,
    ``share_<band>``...), ``figures`` (a list of stated-figure cards per feature) and
    ``figure_status``.
    """

    rings: gpd.GeoDataFrame | None = None
    shenzhen: gpd.GeoDataFrame | None = None
    outline: gpd.GeoDataFrame | None = None
    town_name_zh: str = ""
    town_name_en: str = ""


def _status_rank(status: str) -> int:
    """Worst first for the outline colour; only statuses comparing a polygon's own area count."""
    return FIGURE_STATUSES[status].rank if status in FIGURE_STATUSES and FIGURE_STATUSES[status].rank else -1


def figure_cards(reconciliation: pd.DataFrame | None) -> dict[str, list[dict[str, str]]]:
    """Stated-figure cards per subject feature id, from a reconciliation table.

    Parameters
    ----------
    reconciliation
        One row per figure with ``subject``, ``value``, ``unit``, ``qualifier``,
        ``quantity``, ``quote`` and ``status`` (optionally ``measured`` text).

    Returns
    -------
    dict
        Feature id to a list of ``{"stated", "quote", "status", "status_label", "measured"}``
        (plain text; the page shows it with ``textContent``).
    """
    if reconciliation is None or not len(reconciliation):
        return {}
    rec = reconciliation.astype(object).where(reconciliation.notna(), "")

    def text(name: str) -> pd.Series:
        return rec[name].astype(str) if name in rec.columns else pd.Series("", index=rec.index)

    status = text("status").replace("", "none")
    stated = text("quantity") + ": " + text("qualifier") + text("value") + " " + text("unit")
    table = pd.DataFrame(
        {
            "stated": stated.str.strip(),
            "quote": text("quote"),
            "status": status,
            "status_label": status.map(lambda s: STATUS_LABELS.get(s, s)),
            "measured": text("measured"),
        }
    )
    records = table.to_dict("records")
    cards: dict[str, list[dict[str, str]]] = {}
    for subject, card in zip(text("subject"), records, strict=True):
        cards.setdefault(subject, []).append(card)
    return cards


def _with_figures(frame: gpd.GeoDataFrame, cards: Mapping[str, list[dict[str, str]]]) -> gpd.GeoDataFrame:
    out = frame.copy()
    ids = out["id"].astype(str)
    out["figures"] = ids.map(cards).where(ids.isin(cards.keys()), None).to_numpy(dtype=object)
    # the worst status comparing the feature's own area (rank > 0) colours it; none else
    pairs = pd.DataFrame(
        [(i, _status_rank(c["status"]), c["status"]) for i, group in cards.items() for c in group],
        columns=["id", "rank", "status"],
    )
    worst = pairs[pairs["rank"] > 0].sort_values("rank", kind="stable").drop_duplicates("id", keep="last")
    out["figure_status"] = ids.map(worst.set_index("id")["status"]).astype(object).fillna("none").to_numpy(dtype=object)
    return out


def _with_proximity(frame: gpd.GeoDataFrame, table: pd.DataFrame, layer: str) -> gpd.GeoDataFrame:
    rows = table[table["layer"] == layer].drop(columns=["layer", "town", "name_zh", "name_en", "kind"], errors="ignore")
    if "sz_district_zh" in rows.columns:
        rows = rows.assign(sz_district=rows["sz_district_zh"].fillna("") + " " + rows["sz_district_en"].fillna(""))
    merged = frame.merge(rows, on="id", how="left")
    return gpd.GeoDataFrame(merged, geometry=frame.geometry.name, crs=frame.crs)


def collect_layers(
    source: Config | Project,
    town: str,
    reconciliation: pd.DataFrame | None = None,
    area_m2: Callable[[np.ndarray], np.ndarray] | None = None,
) -> MapLayers:
    """Everything a town map shows: layers, rings, Shenzhen, outline, proximity, figures.

    Parameters
    ----------
    source
        The loaded project (or a config to load it from); the town outline is drawn when
        reference layers are configured.
    town
        Town id.
    reconciliation
        The reconciliation table (see :func:`figure_cards`); figures are not shown when ``None``.
    area_m2
        Vectorized ellipsoidal area (default :func:`zonemap.areas.ellipsoidal_area`).

    Returns
    -------
    MapLayers
        Ready for :func:`render_map`.
    """
    from ..rings import build_rings, proximity

    project = as_project(source)
    data = project.data(town)
    info = project.town(town)
    rings = build_rings(project, town)
    table = proximity(data.polygons, rings, project.shenzhen, area_m2)
    cards = figure_cards(reconciliation)
    frames = {name: data.layer(name) for name in LAYERS}
    for name in (n for n, layer in LAYERS.items() if layer.polygonal):
        frames[name] = _with_figures(_with_proximity(frames[name], table, name), cards)
    rows = project.outline(town)
    outline = (
        None
        if rows is None
        else rows.assign(
            name_zh=info.name_zh,
            name_en=info.name_en,
            kind="outline",
            geometry_source="reference layer (read at run time)",
        )
    )
    return MapLayers(town, frames, rings, project.shenzhen, outline, info.name_zh, info.name_en)
