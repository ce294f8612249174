"""What a parcel reconciliation says about the layer, small enough to merge across partitions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ._reconcile import PARCEL_COLUMNS, PARCEL_STATUSES, ParcelResult, _reference, headline, tally_diagnosis

__all__ = ["WORST_SHOWN", "ParcelSummary", "diff_histogram", "merge_summaries", "summary_of", "worst_parcels"]

#: How many of the worst parcels the summary lists.
WORST_SHOWN = 50

#: Decades of |diff_pct| the histogram tells apart: 1e-6 % ... 100 %, then "more".
_DECADES = tuple(range(-6, 3))


def diff_histogram(diff_pct: Any) -> pd.DataFrame:
    """Signed, log-scaled bins of the relative differences.

    Parameters
    ----------
    diff_pct
        ``diff_pct`` of the parcels (NaN skipped).

    Returns
    -------
    pandas.DataFrame
        ``low_pct, high_pct, count`` from the most negative bin to the most positive: the decades of
        |diff_pct| (``[1e-6, 1e-5) %`` ... ``[10, 100) %``, then ``>= 100 %``) on either side of a
        middle bin ``|diff_pct| < 1e-6 %`` (an exact match, or a difference at the 1e-8 level).
    """
    v = np.asarray(diff_pct, dtype=float)
    v = v[np.isfinite(v)]
    edges = np.array([10.0**k for k in _DECADES])
    mag = np.digitize(np.abs(v), edges)  # 0: below 1e-6 %, len(edges): >= 100 %
    k = len(edges)
    pos = np.where(mag == 0, k, np.where(v > 0, k + mag, k - mag))
    counts = np.bincount(pos, minlength=2 * k + 1)
    bounds = [0.0, *edges.tolist(), math.inf]
    low = [-bounds[k - i + 1] for i in range(k)] + [-bounds[1]] + [bounds[i] for i in range(1, k + 1)]
    high = [-bounds[k - i] for i in range(k)] + [bounds[1]] + [bounds[i + 1] for i in range(1, k + 1)]
    return pd.DataFrame({"low_pct": low, "high_pct": high, "count": counts})


def worst_parcels(result: ParcelResult, n: int = WORST_SHOWN) -> pd.DataFrame:
    """The ``n`` parcels with the largest |diff_m2|, largest first (ties by row)."""
    return _worst(result.table, n)


def _worst(table: pd.DataFrame, n: int) -> pd.DataFrame:
    d = np.abs(table["diff_m2"].to_numpy(dtype=float))
    finite = np.flatnonzero(np.isfinite(d))
    if finite.size > n:
        finite = finite[np.argpartition(-d[finite], n - 1)[:n]]
    order = finite[np.lexsort((finite, -d[finite]))]
    out = table.iloc[order][list(PARCEL_COLUMNS)].reset_index(drop=True)
    return out.astype({"status": str, "method": str})


@dataclass(frozen=True, eq=False)
class ParcelSummary:
    """What the layer summary says, without the per-parcel table (small; partitions' summaries merge).

    Attributes
    ----------
    source, area_field
        The layer and its stated-area field.
    counts, method_counts
        Parcels per status and per matching method.
    reference, diagnosis, accuracy_m
        As in :class:`ParcelResult`.
    histogram
        :func:`diff_histogram` of the parcels.
    worst
        The parcels with the largest |diff_m2| (largest first).
    field_checks, field_checks_failing
        Failing 三调 field checks (up to 1,000 rows) and how many fail.
    method_tally
        Parcels per distinct method, precision and zone (the diagnosis is made of it).
    timings, partitions
        Seconds per stage; how many partitions were merged.
    """

    source: Path
    area_field: str
    counts: dict[str, int]
    method_counts: dict[str, int]
    reference: str
    diagnosis: str
    accuracy_m: float
    histogram: pd.DataFrame
    worst: pd.DataFrame
    field_checks: pd.DataFrame
    field_checks_failing: int
    method_tally: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    partitions: int = 1

    @property
    def parcels(self) -> int:
        """How many parcels."""
        return sum(self.counts.values())

    @property
    def headline(self) -> str:
        """See :func:`zonemap.parcels.ParcelResult.headline`."""
        return headline(self.counts, self.accuracy_m, self.reference)


_CHECK_ROWS = 1000


def summary_of(result: ParcelResult, *, worst: int = WORST_SHOWN) -> ParcelSummary:
    """The :class:`ParcelSummary` of a reconciliation."""
    return ParcelSummary(
        source=result.layer.path,
        area_field=result.layer.area_field,
        counts=dict(result.counts),
        method_counts=dict(result.method_counts),
        reference=result.reference,
        diagnosis=result.diagnosis,
        accuracy_m=result.accuracy_m,
        histogram=diff_histogram(result.table["diff_pct"]),
        worst=_worst(result.table, worst),
        field_checks=result.field_checks.head(_CHECK_ROWS),
        field_checks_failing=len(result.field_checks),
        method_tally=result.method_tally,
        timings=dict(result.timings),
    )


def merge_summaries(
    summaries: Sequence[ParcelSummary], *, source: Path, timings: dict[str, float] | None = None
) -> ParcelSummary:
    """One summary of several partitions of a layer: counts and histograms summed, worst re-ranked.

    The dominant method (``reference``) and the diagnosis sentence are those of the whole layer,
    from the summed tallies. A partition whose own reference differs was compared against another
    method: reconcile it again with ``reference=`` the merged one before trusting merged counts.
    """
    if not summaries:
        raise ConfigError("no partitions to merge (fix: give a dataset with at least one part)")
    first = summaries[0]
    counts = {s: sum(x.counts.get(s, 0) for x in summaries) for s in PARCEL_STATUSES}
    methods = {m: sum(x.method_counts.get(m, 0) for x in summaries) for m in first.method_counts}
    hist = first.histogram.copy()
    hist["count"] = np.sum([x.histogram["count"].to_numpy() for x in summaries], axis=0)
    n_worst = max(len(x.worst) for x in summaries)
    worst = _worst(pd.concat([x.worst for x in summaries], ignore_index=True), n_worst)
    checks = pd.concat([x.field_checks for x in summaries], ignore_index=True).head(_CHECK_ROWS)
    tally = pd.concat([x.method_tally for x in summaries], ignore_index=True)
    return ParcelSummary(
        source=Path(source),
        area_field=first.area_field,
        counts=counts,
        method_counts=methods,
        reference=_reference(methods),
        diagnosis=tally_diagnosis(tally, first.area_field),
        accuracy_m=first.accuracy_m,
        histogram=hist,
        worst=worst,
        field_checks=checks,
        field_checks_failing=sum(x.field_checks_failing for x in summaries),
        method_tally=tally,
        timings=dict(timings or {}),
        partitions=sum(x.partitions for x in summaries),
    )
