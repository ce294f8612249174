"""Reconcile polygons with stated area figures ("图数一致"): statuses, part-whole and topology checks.

Inputs
------
A polygon layer (GeoDataFrame in lon/lat) with an id column and, where known, the
columns ``accuracy_m`` (how far any edge may be off, metres), ``geometry_source``,
``name_zh``/``name_en``, ``kind`` (``zone`` marks zones) and ``parent`` (the id of the
zone a parcel belongs to). Any planner's layer with an id column works; missing
columns are treated as unknown (accuracy 0, source ``"unknown"``).

A figures table in the registry format, as returned by :func:`zonemap.figures.load_figures`
from a UTF-8 CSV with the columns ``figure_id, town, subject, quantity, value, unit,
qualifier, source, quote, part_of, notes``: one row per stated number, ``subject`` = the
id of the feature it describes, ``quantity`` = ``area`` (the feature's own area) or a
part of it without a polygon of its own (``new_industrial_land``, ``vacant_land``...,
with ``part_of`` = the figure_id of the whole), ``value`` as written ("6.7"),
``unit`` in ``m2, mu, ha, km2``, ``qualifier`` one of 约, 以上, 超, 不少于, 不超过, 以内 or
empty, ``source`` and ``quote`` naming where the number is printed.

Arithmetic (per area figure)
----------------------------
Measured area A and perimeter P of the subject on the ellipsoid, stated S (m²),
d = A − S. Precision band h = half a unit of the last written digit; 约 widens it by
``config.about_rel_tol × S``. The geometry's own uncertainty is bounded exactly: the true
area lies between A_in and A_out, the ellipsoidal areas of the polygon buffered inward and
outward by its ``accuracy_m`` (:func:`zonemap.areas.buffered_areas`). Status:

- ``agrees`` if |d| <= h (for 以上/超/不少于 if A >= S − h; for 不超过/以内 if A <= S + h);
- ``disagrees`` if no area the geometry allows reaches the stated band
  (A_out < S − h or A_in > S + h, on the side the qualifier bounds);
- ``undetermined`` otherwise: only the geometry's coarseness covers the difference. The
  row gives ``decisive_accuracy_m`` = (|d| − h) / P, the accuracy the drawing would need for
  the difference to count as a real discrepancy.

The implied mean boundary offset d / P says how far the drawn edge would have to move.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from ..areas import area_perimeter, buffered_areas
from ..config import Config
from ..errors import SchemaError
from ..project import LAYOUT, Project, as_project
from ..schema import AREA_QUANTITIES, FIGURE_STATUSES, FigureStatus
from ._checks import CHECK_COLUMNS, _check, _containment_checks, _outline_checks, _overlap_checks
from ._classify import AGREES, DISAGREES, UNDETERMINED, classify
from ._partwhole import PART_EXCEEDS, PART_WITHIN, part_whole_checks

__all__ = [
    "AGREES",
    "DISAGREES",
    "FAILING_STATUSES",
    "FIGURE_RESULT_COLUMNS",
    "NO_GEOMETRY",
    "PART_EXCEEDS",
    "PART_WITHIN",
    "UNDETERMINED",
    "Reconciliation",
    "reconcile",
    "reconcile_project",
    "reconcile_towns",
]

log = logging.getLogger(__name__)

NO_GEOMETRY = str(FigureStatus.NO_GEOMETRY)
#: Statuses that count as a failure (``--strict``).
FAILING_STATUSES = frozenset(s.word for s in FIGURE_STATUSES.values() if s.fails_strict)

FIGURE_RESULT_COLUMNS = (
    "town",
    "figure_id",
    "subject",
    "subject_name",
    "quantity",
    "qualifier",
    "bound",
    "stated_value",
    "unit",
    "decimals",
    "stated_m2",
    "measured_m2",
    "measured_in_unit",
    "diff_in_unit",
    "diff_m2",
    "diff_pct",
    "band_m2",
    "geometry_uncertainty_m2",
    "area_inner_m2",
    "area_outer_m2",
    "perimeter_m",
    "implied_offset_m",
    "decisive_accuracy_m",
    "status",
    "part_of",
    "source",
    "quote",
    "notes",
    "geometry_source",
    "accuracy_m",
)


@dataclass(frozen=True)
class Reconciliation:
    """The result: one row per area figure, one row per check."""

    figures: pd.DataFrame
    checks: pd.DataFrame

    @property
    def n_disagreeing(self) -> int:
        """Figures whose status is a failure."""
        return int(self.figures["status"].isin(FAILING_STATUSES).sum())

    @property
    def n_failed_checks(self) -> int:
        """Checks that did not pass."""
        return int((~self.checks["passed"].astype(bool)).sum())

    @property
    def n_failed(self) -> int:
        """Disagreeing figures plus failed checks."""
        return self.n_disagreeing + self.n_failed_checks


def _column(layer: pd.DataFrame, name: str, default: Any) -> pd.Series:
    if name in layer.columns:
        return layer[name].where(layer[name].notna(), default)
    return pd.Series(default, index=layer.index)


def _measure(layer: gpd.GeoDataFrame, id_column: str) -> pd.DataFrame:
    """Per feature: area, perimeter, accuracy, provenance, name, kind, parent, town."""
    if id_column not in layer.columns:
        raise SchemaError(f"layer has no {id_column!r} column (fix: name the id column with id_column=...)")
    ids = layer[id_column].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise SchemaError(f"feature id {dup.iloc[0]!r} occurs more than once (fix: give each feature its own id)")
    types = shapely.get_type_id(layer.geometry.to_numpy())
    bad = np.flatnonzero(~np.isin(types, (-1, 3, 6)))  # missing, Polygon, MultiPolygon
    if bad.size:
        i = int(bad[0])
        raise SchemaError(
            f"feature #{i} (id {ids.iloc[i]!r}) is a {layer.geometry.iloc[i].geom_type}, not a polygon "
            f"({bad.size} such) (fix: reconcile polygons only: zones and parcels, not places or lines)"
        )
    area, perim = area_perimeter(layer.geometry)
    name = _column(layer, "name_zh", "").astype(str)
    name_en = _column(layer, "name_en", "").astype(str)
    return pd.DataFrame(
        {
            "area_m2": area,
            "perimeter_m": perim,
            "accuracy_m": _column(layer, "accuracy_m", 0.0).astype(float).to_numpy(),
            "geometry_source": _column(layer, "geometry_source", "unknown").astype(str).to_numpy(),
            "subject_name": np.where(name_en != "", name + " / " + name_en, name).astype(str),
            "kind": _column(layer, "kind", "").astype(str).to_numpy(),
            "parent": _column(layer, "parent", "").astype(str).to_numpy(),
            "town": _column(layer, "town", "").astype(str).to_numpy(),
            "geometry": layer.geometry.to_numpy(),
        },
        index=pd.Index(ids.to_numpy(), name="id"),
    )


def _figure_rows(figures: pd.DataFrame, feats: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The per-figure comparison table (before part-whole statuses)."""
    f = figures[figures["quantity"].isin(AREA_QUANTITIES)].reset_index(drop=True)
    own = (f["quantity"] == "area").to_numpy()
    m = feats.reindex(f["subject"])
    # an empty or collapsed polygon (zero perimeter) draws nothing: no area to compare, no offset d / P
    has_geom = (m["perimeter_m"].to_numpy(dtype=float) > 0) & own
    stated = f["stated_m2"].to_numpy(dtype=float)
    area = np.where(has_geom, m["area_m2"].to_numpy(dtype=float), np.nan)
    perim = np.where(has_geom, m["perimeter_m"].to_numpy(dtype=float), np.nan)
    acc = m["accuracy_m"].to_numpy(dtype=float)
    if "accuracy_m" in f.columns:  # a figure's own accuracy (an area attribute computed from this geometry: 0)
        own_acc = pd.to_numeric(f["accuracy_m"], errors="coerce").to_numpy(dtype=float)
        acc = np.where(np.isnan(own_acc), acc, own_acc)
    unit_m2 = f["unit_m2"].to_numpy(dtype=float)
    bound = f["bound"].to_numpy(dtype=object)
    band = f["precision_m2"].to_numpy(dtype=float) + np.where(bound == "about", config.about_rel_tol * stated, 0.0)
    d = area - stated
    inner, outer = _geometry_bounds(m["geometry"].to_numpy(), np.nan_to_num(acc), area, has_geom, f["subject"])
    status = np.where(has_geom, classify(area, stated, band, inner, outer, bound), NO_GEOMETRY)
    # the side of the geometry band that faces the stated value
    unc = np.where(stated > area, outer - area, area - inner)
    with np.errstate(invalid="ignore", divide="ignore"):
        decisive = np.where(status == UNDETERMINED, (np.abs(d) - band) / perim, np.nan)
        out = pd.DataFrame(
            {
                "town": f["town"],
                "figure_id": f["figure_id"],
                "subject": f["subject"],
                "subject_name": m["subject_name"].fillna("").to_numpy(),
                "quantity": f["quantity"],
                "qualifier": f["qualifier"],
                "bound": bound,
                "stated_value": f["value"],
                "unit": f["unit"],
                "decimals": f["decimals"],
                "stated_m2": stated,
                "measured_m2": area,
                "measured_in_unit": area / unit_m2,
                "diff_in_unit": d / unit_m2,
                "diff_m2": d,
                "diff_pct": 100.0 * d / stated,
                "band_m2": band,
                "geometry_uncertainty_m2": unc,
                "area_inner_m2": inner,
                "area_outer_m2": outer,
                "perimeter_m": perim,
                "implied_offset_m": d / perim,
                "decisive_accuracy_m": decisive,
                "status": status,
                "part_of": f["part_of"],
                "source": f["source"],
                "quote": f["quote"],
                "notes": f["notes"],
                "geometry_source": m["geometry_source"].fillna("").to_numpy(),
                "accuracy_m": acc,
            }
        )
    return out


def _geometry_bounds(
    geoms: NDArray[np.object_],
    acc: NDArray[np.float64],
    area: NDArray[np.float64],
    has_geom: NDArray[np.bool_],
    subject: pd.Series,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A_in, A_out per figure: buffered only where a subject has geometry and an accuracy (else A, A)."""
    inner, outer = area.copy(), area.copy()
    todo = np.flatnonzero(has_geom & (acc > 0))
    if todo.size:
        # a subject with several figures (at one accuracy) is buffered once
        keys = pd.MultiIndex.from_arrays([subject.to_numpy()[todo], acc[todo]])
        back, _ = pd.factorize(keys)
        first = todo[np.unique(back, return_index=True)[1]]
        i, o = buffered_areas(geoms[first], acc[first])
        inner[todo], outer[todo] = i[back], o[back]
    return inner, outer


def reconcile(
    layers_gdf: gpd.GeoDataFrame, figures_df: pd.DataFrame, config: Config, outline: Any = None, id_column: str = "id"
) -> Reconciliation:
    """Compare a polygon layer with stated area figures and run the part-whole and topology checks.

    Parameters
    ----------
    layers_gdf
        Polygons (zones and parcels together) in lon/lat, with ``id_column``.
    figures_df
        Registry from :func:`zonemap.figures.load_figures` (non-area rows are ignored).
    config
        Supplies ``about_rel_tol``.
    outline
        Town outlines (GeoDataFrame with a ``town`` column) or one polygon; zones are
        checked to lie inside it. ``None`` skips the check.
    id_column
        The layer's id column; figure subjects refer to it.

    Returns
    -------
    Reconciliation
        ``figures`` (columns :data:`FIGURE_RESULT_COLUMNS`) and ``checks``
        (:data:`CHECK_COLUMNS`). Nothing is rounded.

    Raises
    ------
    SchemaError
        If the figures table is not in the loaded registry format or ids are missing/duplicated.
    """
    missing = {"stated_m2", "precision_m2", "unit_m2", "bound", "decimals"} - set(figures_df.columns)
    if missing:
        raise SchemaError(
            f"figures table lacks {', '.join(sorted(missing))} "
            "(fix: read the registry with zonemap.figures.load_figures)"
        )
    feats = _measure(layers_gdf, id_column)
    table = _figure_rows(figures_df, feats, config)
    table, part_rows = part_whole_checks(table, feats, _check)
    blocks = [
        pd.DataFrame(part_rows, columns=list(CHECK_COLUMNS)),
        _containment_checks(feats),
        pd.DataFrame(_overlap_checks(feats), columns=list(CHECK_COLUMNS)),
        _outline_checks(feats, outline, config.reference_accuracy_m),
    ]
    filled = [b for b in blocks if b is not None and len(b)]
    check_df = pd.concat(filled, ignore_index=True) if filled else pd.DataFrame(columns=list(CHECK_COLUMNS))
    check_df["passed"] = check_df["passed"].astype(bool)
    return Reconciliation(table[list(FIGURE_RESULT_COLUMNS)], check_df)


def reconcile_project(project: Project, towns: Iterable[str] = ()) -> Reconciliation:
    """Reconcile a loaded project's layers with its stated figures, town by town.

    Parameters
    ----------
    project
        From :func:`zonemap.project.load_project` or :func:`zonemap.project.load_files`.
    towns
        Town ids or names; every town with layers when empty.

    Returns
    -------
    Reconciliation
        All towns' rows together; zones are checked against the reference outlines when
        the project has them.
    """
    ids = project.resolve_towns(towns)
    parts = [
        reconcile(project.data(t).polygons, project.figures_of(t), project.config, outline=project.reference)
        for t in ids
    ]
    if not parts:
        raise SchemaError(f"{project.label}: no town to reconcile (fix: add layers; layout: {LAYOUT})")
    return Reconciliation(
        pd.concat([p.figures for p in parts], ignore_index=True),
        pd.concat([p.checks for p in parts], ignore_index=True),
    )


def reconcile_towns(source: Config | Project, towns: Iterable[str] = ()) -> Reconciliation:
    """Reconcile some towns of a project (a :class:`~zonemap.project.Project`, or a config to load one).

    See :func:`reconcile_project`.
    """
    return reconcile_project(as_project(source), towns)
