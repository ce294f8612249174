"""Parcel-by-parcel reconciliation: three areas, the matching methods, a status per parcel."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..areas import buffered_areas, ellipsoidal_perimeter
from ..errors import ConfigError
from ..methods import (
    AREA_METHODS,
    KERNEL_ABS_ACCURACY_M2,
    KERNEL_REL_ACCURACY,
    diagnose_areas,
    diagnose_flat,
    sandiao_field_checks,
    summarize_methods,
)
from ..reconcile import CLASSIFIED, classify_codes
from ..schema import FigureStatus
from ._layer import ParcelLayer, Progress

__all__ = [
    "NO_DATA",
    "PARCEL_COLUMNS",
    "PARCEL_STATUSES",
    "REFERENCE_METHODS",
    "ParcelResult",
    "headline",
    "method_tally",
    "reconcile_parcels",
    "tally_diagnosis",
]

log = logging.getLogger(__name__)

#: The status of a parcel with a geometry but no stated value: the word the method diagnosis uses
#: for it (:func:`zonemap.methods.diagnose_methods`), not a figure status of :mod:`zonemap.schema`.
NO_DATA = "no_data"

#: Per-parcel statuses, in report order (the first three numbered as :func:`zonemap.reconcile.classify_codes` does).
PARCEL_STATUSES = (*CLASSIFIED, str(FigureStatus.NO_GEOMETRY), NO_DATA)

# status codes into PARCEL_STATUSES
_UNDETERMINED_CODE = PARCEL_STATUSES.index(str(FigureStatus.UNDETERMINED))
_NO_GEOMETRY_CODE = PARCEL_STATUSES.index(str(FigureStatus.NO_GEOMETRY))
_NO_DATA_CODE = PARCEL_STATUSES.index(NO_DATA)

#: The columns of the per-parcel table, in order (extras follow them).
PARCEL_COLUMNS = (
    "id",
    "stated_m2",
    "area_m2",
    "area_sandiao_m2",
    "area_gk_m2",
    "diff_m2",
    "diff_pct",
    "status",
    "method",
)

#: Methods ``diff_m2`` may be taken against: the three areas of the table, in order of preference on a tie.
REFERENCE_METHODS = ("sandiao", "geodesic", "gk_plane")


@dataclass(frozen=True, eq=False)
class ParcelResult:
    """The outcome of :func:`reconcile_parcels`.

    Attributes
    ----------
    layer
        The layer reconciled.
    table
        One row per parcel: :data:`PARCEL_COLUMNS`, then ``precision_m2`` (and, with an accuracy,
        ``inner_m2``, ``outer_m2``, ``decisive_accuracy_m``).
    reference
        The method ``diff_m2`` is taken against (a key of :data:`zonemap.methods.AREA_METHODS`).
    diagnosis
        Which method made the stated areas, for the layer (:func:`zonemap.methods.summarize_methods`).
    field_checks
        Failing 三调 field checks (:func:`zonemap.methods.sandiao_field_checks`); empty when the
        fields are absent or all hold.
    counts
        Parcels per status, every status of :data:`PARCEL_STATUSES`.
    accuracy_m
        The positional accuracy the statuses allow for.
    method_counts
        Parcels each method matches.
    timings
        Seconds per stage.
    """

    layer: ParcelLayer
    table: pd.DataFrame
    reference: str
    diagnosis: str
    field_checks: pd.DataFrame
    counts: dict[str, int]
    accuracy_m: float
    method_counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: Parcels per distinct (method, precision_m2, gk_epsg, utm_epsg): what the diagnosis sentence is made of.
    method_tally: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def headline(self) -> str:
        """One line on what can and cannot be said: ``"1,000 parcels: 990 agree, 10 disagree, ..."``."""
        return headline(self.counts, self.accuracy_m, self.reference)


def headline(counts: dict[str, int], accuracy_m: float, reference: str) -> str:
    """The headline of a reconciliation from its counts per status (agree and disagree always shown)."""
    words = [
        (str(FigureStatus.AGREES), "agree"),
        (str(FigureStatus.DISAGREES), "disagree"),
        (str(FigureStatus.UNDETERMINED), f"undetermined at {accuracy_m:g} m accuracy"),
        (str(FigureStatus.NO_GEOMETRY), "without geometry"),
        (NO_DATA, "without a stated area"),
    ]
    always = (str(FigureStatus.AGREES), str(FigureStatus.DISAGREES))
    parts = [f"{counts.get(s, 0):,} {w}" for s, w in words if counts.get(s) or s in always]
    n = sum(counts.values())
    return f"{n:,} parcels: " + ", ".join(parts) + f" (differences against the {_LABEL[reference]} area)"


_LABEL = {"sandiao": "三调 procedure", "geodesic": "geodesic", "gk_plane": "Gauss–Krüger plane"}


def _reference(method_counts: dict[str, int]) -> str:
    """The table method the most parcels match (ties: 三调, geodesic, GK plane); geodesic when none matches."""
    best = max(method_counts[m] for m in REFERENCE_METHODS)
    if best == 0:
        return "geodesic"
    return next(m for m in REFERENCE_METHODS if method_counts[m] == best)


def _method_counts(codes: pd.Series) -> dict[str, int]:
    cat = pd.Categorical(codes)
    per = pd.Series(np.bincount(cat.codes[cat.codes >= 0], minlength=len(cat.categories)), index=cat.categories)
    return {m: int(sum(v for k, v in per.items() if m in str(k).split("|"))) for m in AREA_METHODS}


def reconcile_parcels(
    layer: ParcelLayer, *, accuracy_m: float = 0.0, reference: str | None = None, progress: Progress | None = None
) -> ParcelResult:
    """Compare every parcel's geometry with its stated area.

    Parameters
    ----------
    layer
        From :func:`read_parcels`.
    accuracy_m
        Positional accuracy of the boundaries (m). 0: the comparison is arithmetic (a parcel agrees
        when ``|area − stated| <= precision + 2e-8·area``, else disagrees). Above 0, the polygon is
        buffered inward and outward by it (:func:`zonemap.areas.buffered_areas`): a parcel whose
        stated area lies outside the precision band but inside the buffered range is
        ``undetermined``, and ``decisive_accuracy_m`` says the accuracy that would decide it
        ((|d| − h) / perimeter).
    reference
        The method ``diff_m2`` is taken against (one of :data:`REFERENCE_METHODS`); by default the
        layer's dominant one (see Notes). A partitioned run passes the whole layer's.
    progress
        Called as ``progress(stage, share)``.

    Returns
    -------
    ParcelResult

    Notes
    -----
    **What ``diff_m2`` is against.** The stated areas were computed by some method; a 三调 layer's
    TBMJ by the 三调 procedure, many GIS layers' by the Gauss–Krüger plane, which is 4–13 ppm above
    the geodesic area at Dongguan (0.4–1.3 m² on 10 ha: far beyond a 0.005 m² precision band). Taking
    every difference against the geodesic area would then call a whole, correct layer "disagrees".
    So ``diff_m2 = area − stated`` is taken against the area of the layer's **dominant method**: of the
    three areas in the table (三调 procedure, geodesic, GK plane), the one that reproduces the most
    parcels' stated values (:attr:`ParcelResult.reference`; ties in that order; geodesic when none
    matches). A parcel that matches another method than that shows it in ``method``; the layer
    sentence (:attr:`ParcelResult.diagnosis`) names the dominant method among all six candidates
    (UTM, Web Mercator and the sphere too: a layer made on Web Mercator is 18 % off, and disagrees).
    """
    if reference is not None and reference not in REFERENCE_METHODS:
        raise ConfigError(f"unknown reference method {reference!r} (fix: one of {', '.join(REFERENCE_METHODS)})")
    if not np.isfinite(accuracy_m) or accuracy_m < 0:
        raise ConfigError(f"accuracy {accuracy_m} m is not a distance (fix: --accuracy-m 0 or more)")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if progress:
        progress("areas", 0.3)
    no_geom = layer.missing | layer.empty
    precision0 = np.nan_to_num(layer.precision_m2)
    if layer.areas is not None:  # computed batch by batch while reading
        diag = diagnose_areas(layer.areas, layer.stated_m2, precision0)
    else:
        diag = diagnose_flat(layer.flat, layer.stated_m2, precision0, no_geom)
    timings["areas"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if progress:
        progress("status", 0.6)
    method = diag["method"]  # categorical; "no_data" where the geometry is missing or empty (``no_geom``)
    method_counts = _method_counts(method)
    ref = reference or _reference(method_counts)
    area_ref = diag[AREA_METHODS[ref][0]].to_numpy(dtype=float)
    stated = layer.stated_m2
    precision = layer.precision_m2
    with np.errstate(invalid="ignore", divide="ignore"):
        band = precision * (1 + 1e-9) + KERNEL_ABS_ACCURACY_M2 + KERNEL_REL_ACCURACY * np.abs(area_ref)
        d = area_ref - stated
        pct = 100.0 * d / stated
    inner, outer = area_ref, area_ref
    extras: dict[str, Any] = {"precision_m2": precision}
    comparable = ~no_geom & np.isfinite(stated)
    if accuracy_m > 0:
        inner, outer, decisive = _bounds(layer, diag, area_ref, d, band, comparable, accuracy_m)
        extras.update(inner_m2=inner, outer_m2=outer)
    # codes into PARCEL_STATUSES: classify_codes' 0-2 where comparable, else no geometry or no stated value
    code = np.where(no_geom, np.int8(_NO_GEOMETRY_CODE), np.int8(_NO_DATA_CODE))
    code[comparable] = classify_codes(
        area_ref[comparable], stated[comparable], band[comparable], inner[comparable], outer[comparable]
    )
    if accuracy_m > 0:
        extras["decisive_accuracy_m"] = np.where(code == _UNDETERMINED_CODE, decisive, np.nan)
    table = pd.DataFrame(
        {
            "id": layer.ids,
            "stated_m2": stated,
            "area_m2": diag["area_m2"].to_numpy(),
            "area_sandiao_m2": diag["area_sandiao_m2"].to_numpy(),
            "area_gk_m2": diag["area_gk_m2"].to_numpy(),
            "diff_m2": np.where(comparable, d, np.nan),
            "diff_pct": np.where(comparable, pct, np.nan),
            "status": pd.Categorical.from_codes(code, categories=list(PARCEL_STATUSES)),
            "method": method.array,
            **extras,
        }
    )
    counts = dict(
        zip(
            PARCEL_STATUSES,
            np.bincount(table["status"].cat.codes, minlength=len(PARCEL_STATUSES)).tolist(),
            strict=True,
        )
    )
    diagnosis = summarize_methods(diag, field=layer.area_field, noun="parcels")
    tally = method_tally(diag)
    checks = _field_checks(layer)
    timings["status"] = time.perf_counter() - t0
    log.info("%s: %s; %s", layer.path, ", ".join(f"{k} {v}" for k, v in counts.items()), diagnosis)
    return ParcelResult(layer, table, ref, diagnosis, checks, counts, float(accuracy_m), method_counts, timings, tally)


_TALLY_COLUMNS = ("method", "precision_m2", "gk_epsg", "utm_epsg")


def method_tally(diag: pd.DataFrame) -> pd.DataFrame:
    """Parcels per distinct ``method, precision_m2, gk_epsg, utm_epsg`` of a diagnosis table (column ``parcels``)."""
    keys = [pd.factorize(diag[c], use_na_sentinel=False) for c in _TALLY_COLUMNS]
    code = np.zeros(len(diag), dtype=np.int64)
    for codes, uniques in keys:
        code = code * (len(uniques) + 1) + codes
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    out = diag.iloc[first][list(_TALLY_COLUMNS)].reset_index(drop=True)
    out["parcels"] = counts
    return out


def tally_diagnosis(tally: pd.DataFrame, area_field: str) -> str:
    """:func:`zonemap.methods.summarize_methods` of the parcels a :func:`method_tally` counts (merged partitions)."""
    sums = tally.groupby(list(_TALLY_COLUMNS), dropna=False, sort=False)["parcels"].sum().reset_index()
    rows = sums.loc[np.repeat(sums.index.to_numpy(), sums["parcels"].to_numpy())]
    return summarize_methods(rows.reset_index(drop=True), field=area_field, noun="parcels")


def _field_checks(layer: ParcelLayer) -> pd.DataFrame:
    frame = pd.DataFrame({"id": layer.ids, **layer.sandiao})
    return sandiao_field_checks(frame)


def _bounds(
    layer: ParcelLayer,
    diag: pd.DataFrame,
    area_ref: NDArray[np.float64],
    d: NDArray[np.float64],
    band: NDArray[np.float64],
    comparable: NDArray[np.bool_],
    accuracy_m: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Inner and outer areas at ``accuracy_m`` (scaled to the reference method), and (|d| − h) / P."""
    inner, outer = area_ref.copy(), area_ref.copy()
    decisive = np.full(area_ref.size, np.nan)
    # only parcels outside their precision band can be undetermined: buffer those alone
    todo = np.flatnonzero(comparable & ~(np.abs(d) <= band))
    if todo.size:
        geoms = layer.geometry[todo]
        geo_in, geo_out = buffered_areas(geoms, accuracy_m)
        geodesic = diag["area_m2"].to_numpy(dtype=float)[todo]
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(geodesic > 0, area_ref[todo] / geodesic, 1.0)
            inner[todo], outer[todo] = geo_in * scale, geo_out * scale
            decisive[todo] = (np.abs(d[todo]) - band[todo]) / ellipsoidal_perimeter(geoms)
    return inner, outer, decisive
