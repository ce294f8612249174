"""The people's tables (rounded, escaped), the headline, Markdown and JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from ..reconcile import (
    AGREES,
    DISAGREES,
    NO_GEOMETRY,
    PART_EXCEEDS,
    PART_WITHIN,
    UNDETERMINED,
    Reconciliation,
)
from ..schema import AREA_UNITS_M2, FIGURE_STATUSES, unit_text
from ..textsafe import md_escape, md_escape_series, safe_text, unsafe_pattern

__all__ = [
    "FORMATS",
    "TITLE",
    "display_checks",
    "display_figures",
    "status_label",
    "summary",
    "to_json",
    "to_markdown",
]


#: Report formats :func:`~zonemap.report.write_reports` knows.
FORMATS = ("md", "html", "csv", "json", "xlsx")


_FIGURE_HEADERS = (
    "figure",
    "subject",
    "stated",
    "measured",
    "difference",
    "band ±",
    "geometry ±",
    "offset",
    "status",
    "source",
    "geometry",
    "notes",
)


_CHECK_HEADERS = ("check", "subject", "value", "limit", "passed", "detail")


TITLE = "Area reconciliation (图数一致): measured polygons against stated figures"


def status_label(status: str) -> str:
    """A status for people, in both languages: ``"agrees"`` -> ``"一致 agrees"`` (unknown: unchanged)."""
    known = FIGURE_STATUSES.get(status)
    return known.label if known else status


def _texts(col: pd.Series) -> np.ndarray:
    """A column as an object array of ``str`` (missing values as ``""``)."""
    values = col.to_numpy(dtype=object)
    out = np.array([str(v) for v in values.tolist()], dtype=object)  # numpy str arrays would drop trailing NULs
    out[pd.isna(values)] = ""
    return out


def _numbers(values: Any, digits: Any, sign: bool = False, unit: Any = None) -> np.ndarray:
    """Numbers formatted for people, column-wise.

    Thousands separators, ``digits`` places (per row or one for all), ``–`` when missing or not
    finite, then `` <unit>`` (per row or one for all).
    """
    x = np.asarray(values, dtype=float)
    d = np.broadcast_to(np.asarray(digits, dtype=int), x.shape)
    out = np.full(x.shape, "–", dtype=object)
    ok = np.isfinite(x)
    for k in np.unique(d[ok]):
        pick = ok & (d == k)
        spec = f"{'+' if sign else ''},.{max(int(k), 0)}f"
        out[pick] = [format(v, spec) for v in x[pick].tolist()]
    if unit is not None:
        units = np.broadcast_to(np.asarray(unit, dtype=object), x.shape)
        out[ok] = out[ok] + " " + units[ok]
    return out


def _for_people(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as one line of text with control and bidi characters shown as escapes."""
    pattern = unsafe_pattern(allow_newlines=False)
    out = {}
    for col in df.columns:
        text = pd.Series(df[col].to_numpy(dtype=object), index=df.index, dtype=object)
        hit = text.str.contains(pattern, regex=True, na=False).to_numpy(dtype=bool)
        if hit.any():
            text[hit] = [safe_text(v, one_line=True) for v in text[hit]]
        out[col] = text
    return pd.DataFrame(out, index=df.index)


def display_figures(result: Reconciliation) -> pd.DataFrame:
    """The figures table as text for people, built column-wise.

    Rounded, status in both languages, control characters shown as escapes; the data stays
    unrounded in ``result``.
    """
    f = result.figures
    if f.empty:
        return pd.DataFrame(columns=list(_FIGURE_HEADERS))
    d = f["decimals"].to_numpy(dtype=float).astype(int) + 2
    unit_codes = _texts(f["unit"])
    units = np.array([unit_text(u) for u in unit_codes], dtype=object)
    unit_m2 = np.array([float(AREA_UNITS_M2[u]) for u in unit_codes])
    pct = f["diff_pct"].to_numpy(dtype=float)
    pct_text = np.where(np.isnan(pct), "", " (" + _numbers(pct, 1, sign=True).astype(str) + "%)")
    offset = f["implied_offset_m"].to_numpy(dtype=float)
    statuses = _texts(f["status"])
    table = pd.DataFrame(
        {
            "figure": _texts(f["figure_id"]),
            "subject": pd.Series(_texts(f["subject"]) + " " + _texts(f["subject_name"]), dtype=object).str.strip(),
            "stated": _texts(f["qualifier"]) + _texts(f["stated_value"]) + " " + units,
            "measured": _numbers(f["measured_in_unit"], d, unit=units),
            "difference": _numbers(f["diff_in_unit"], d, sign=True, unit=units) + pct_text,
            "band ±": _numbers(f["band_m2"].to_numpy(dtype=float) / unit_m2, d, unit=units),
            "geometry ±": _numbers(f["geometry_uncertainty_m2"].to_numpy(dtype=float) / unit_m2, d, unit=units),
            "offset": _numbers(offset, np.where(np.abs(offset) >= 10, 0, 1), sign=True, unit="m"),
            "status": np.array([status_label(w) for w in statuses], dtype=object),
            "source": _texts(f["source"]) + ": “" + _texts(f["quote"]) + "”",
            "geometry": _texts(f["geometry_source"]) + " (±" + _numbers(f["accuracy_m"], 0) + " m)",
            "notes": _texts(f["notes"]),
        },
        columns=list(_FIGURE_HEADERS),
    )
    return _for_people(table.reset_index(drop=True))


def display_checks(result: Reconciliation) -> pd.DataFrame:
    """The checks table as text for people (rounded), built column-wise."""
    c = result.checks
    if c.empty:
        return pd.DataFrame(columns=list(_CHECK_HEADERS))
    unit_codes = _texts(c["unit"])
    units = np.array([unit_text(u) for u in unit_codes], dtype=object)
    digits = np.where(unit_codes == "%", 3, 0)
    table = pd.DataFrame(
        {
            "check": _texts(c["check"]),
            "subject": _texts(c["subject"]),
            "value": _numbers(c["value"], digits) + " " + units,
            "limit": _numbers(c["limit"], digits) + " " + units,
            "passed": np.where(c["passed"].to_numpy(dtype=bool), "yes", "NO").astype(object),
            "detail": _texts(c["detail"]),
        },
        columns=list(_CHECK_HEADERS),
    )
    return _for_people(table.reset_index(drop=True))


def summary(result: Reconciliation) -> str:
    """The headline: what can and cannot be said, then the checks.

    ``"9 figure(s): 0 agree, 0 disagree, 6 undetermined at the drawings' accuracy (would need edges
    within 55–563 m), 3 of 3 part-whole rule(s) hold; 0 of 14 check(s) failed"``: agreeing and
    disagreeing figures first, then those the geometry is too coarse to decide, with the range of
    accuracies that would decide them (``decisive_accuracy_m``).
    """
    figs = result.figures
    status = figs["status"].astype(str)
    counts = status.value_counts()
    n = {w: int(counts.get(w, 0)) for w in (AGREES, DISAGREES, UNDETERMINED, NO_GEOMETRY, PART_WITHIN, PART_EXCEEDS)}
    parts = [f"{n[AGREES]} agree ({status_label(AGREES)})", f"{n[DISAGREES]} disagree ({status_label(DISAGREES)})"]
    if n[UNDETERMINED]:
        need = figs.loc[status == UNDETERMINED, "decisive_accuracy_m"].astype(float)
        lo, hi = need.min(), need.max()
        span = f"{lo:,.0f} m" if f"{lo:,.0f}" == f"{hi:,.0f}" else f"{lo:,.0f}–{hi:,.0f} m"
        need_text = f" (would need edges within {span})" if need.notna().any() else ""
        parts.append(f"{n[UNDETERMINED]} undetermined at the drawings' accuracy{need_text}")
    if n[NO_GEOMETRY]:
        parts.append(f"{n[NO_GEOMETRY]} without geometry")
    rules = n[PART_WITHIN] + n[PART_EXCEEDS]
    if rules:
        parts.append(f"{n[PART_WITHIN]} of {rules} part-whole rule(s) hold")
    return (
        f"{len(figs)} figure(s): {', '.join(parts)}; {result.n_failed_checks} of {len(result.checks)} check(s) failed"
    )


def _md_table(df: pd.DataFrame) -> list[str]:
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    if df.empty:
        return lines
    cells = [md_escape_series(df[c]).to_numpy(dtype=object) for c in df.columns]
    rows = cells[0].copy()
    for col in cells[1:]:
        rows = rows + " | " + col
    return lines + ("| " + rows + " |").tolist()


def to_markdown(result: Reconciliation) -> str:
    """Markdown report: summary, figures (with source, quote, geometry provenance), checks."""
    lines = [
        f"# {TITLE}",
        "",
        md_escape(summary(result), cell=False),
        "",
        "Band: stated precision (half a unit of the last written digit, widened for 约); geometry ±: "
        "perimeter × accuracy_m; offset: how far the drawn boundary would have to move on average.",
        "",
        "## Figures",
        "",
        *_md_table(display_figures(result)),
        "",
        "## Checks",
        "",
        *_md_table(display_checks(result)),
        "",
    ]
    return "\n".join(lines)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in rec.items()}
        for rec in df.astype(object).to_dict("records")
    ]


def to_json(result: Reconciliation) -> str:
    """JSON with ``summary``, ``figures`` and ``checks`` at full precision (NaN as null)."""
    doc = {
        "summary": {
            "figures": len(result.figures),
            "disagreeing": result.n_disagreeing,
            "checks": len(result.checks),
            "failed_checks": result.n_failed_checks,
        },
        "figures": _records(result.figures),
        "checks": _records(result.checks),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
