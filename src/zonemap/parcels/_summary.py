"""The layer summary of a parcel reconciliation: HTML, Markdown, JSON, with a histogram picture (SVG)."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..errors import ConfigError
from ..io import write_text
from ..schema import FIGURE_STATUSES
from ..textsafe import md_escape, safe_text
from ._digest import WORST_SHOWN, ParcelSummary, diff_histogram, merge_summaries, summary_of, worst_parcels
from ._reconcile import PARCEL_STATUSES, ParcelResult

__all__ = [
    "SUMMARY_FORMATS",
    "WORST_SHOWN",
    "ParcelSummary",
    "diff_histogram",
    "histogram_svg",
    "merge_summaries",
    "summary_of",
    "worst_parcels",
    "write_parcel_summary",
]

#: Formats of :func:`write_parcel_summary`.
SUMMARY_FORMATS = ("html", "md", "json")

_NO_DATA_LABEL = "no stated area"


def _label(status: str) -> str:
    s = FIGURE_STATUSES.get(status)
    return s.label if s is not None else _NO_DATA_LABEL


def _colour(status: str) -> str:
    s = FIGURE_STATUSES.get(status)
    return s.colour if s is not None else "#9e9e9e"


def _pct(x: float) -> str:
    if math.isinf(x):
        return "∞"
    return f"{x:.0e}".replace("e-0", "e-").replace("e+0", "e") if x and abs(x) < 1 else f"{x:g}"


def histogram_svg(hist: pd.DataFrame, width: int = 720, height: int = 260) -> str:
    """An SVG bar chart of :func:`diff_histogram` (counts on a log scale, bin labels below)."""
    counts = hist["count"].to_numpy(dtype=float)
    n = len(counts)
    left, bottom, top = 50, 70, 20
    bar_w = (width - left - 10) / n
    top_count = max(counts.max(initial=0.0), 1.0)
    scale = (height - bottom - top) / math.log10(top_count + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        'aria-label="histogram of diff_pct">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for i, (c, lo, hi) in enumerate(zip(counts, hist["low_pct"], hist["high_pct"], strict=True)):
        h = math.log10(c + 1) * scale
        x = left + i * bar_w
        fill = "#1a9850" if i == n // 2 else ("#4575b4" if i < n // 2 else "#d73027")
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{height - bottom - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
            f'fill="{fill}"><title>{html.escape(_pct(lo))} to {html.escape(_pct(hi))} %: {int(c):,}</title></rect>'
        )
        if c:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom - h - 3:.1f}" font-size="9" '
                f'text-anchor="middle">{int(c):,}</text>'
            )
        label = "0" if i == n // 2 else (_pct(hi) if i < n // 2 else _pct(lo))
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 12:.1f}" font-size="9" text-anchor="end" '
            f'transform="rotate(-45 {x + bar_w / 2:.1f} {height - bottom + 12:.1f})">{html.escape(label)}</text>'
        )
    parts.append(
        f'<text x="{left}" y="{height - 6}" font-size="11">diff_pct (%, signed, log-scaled bins of |diff|): '
        "blue area below stated, red above; bar heights log(count + 1)</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _fmt(values: NDArray[Any], digits: int) -> list[str]:
    return ["" if not np.isfinite(v) else f"{v:,.{digits}f}" for v in values]


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"id": frame["id"].astype(str)})
    for col in ("stated_m2", "area_m2", "area_sandiao_m2", "area_gk_m2", "diff_m2"):
        out[col] = _fmt(frame[col].to_numpy(dtype=float), 2)
    out["diff_pct"] = _fmt(frame["diff_pct"].to_numpy(dtype=float), 4)
    out["status"] = [_label(str(s)) for s in frame["status"]]
    out["method"] = frame["method"].astype(str)
    return out


def _summary_data(sm: ParcelSummary) -> dict[str, Any]:
    return {
        "file": str(sm.source),
        "area_field": sm.area_field,
        "parcels": sm.parcels,
        "partitions": sm.partitions,
        "headline": sm.headline,
        "counts": sm.counts,
        "reference_method": sm.reference,
        "diagnosis": sm.diagnosis,
        "method_counts": sm.method_counts,
        "accuracy_m": sm.accuracy_m,
        "field_checks": {"failing": sm.field_checks_failing, "rows": sm.field_checks},
        "histogram": sm.histogram,
        "worst": sm.worst.head(WORST_SHOWN),
    }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
        for row in df.astype(object).to_dict(orient="records")
    ]


def _json(data: dict[str, Any]) -> str:
    out = dict(data)
    out["field_checks"] = {"failing": data["field_checks"]["failing"], "rows": _records(data["field_checks"]["rows"])}
    out["histogram"] = _records(data["histogram"].replace([np.inf, -np.inf], np.nan))
    out["worst"] = _records(data["worst"])
    return json.dumps(out, ensure_ascii=False, indent=1, default=str)


def _md_rows(df: pd.DataFrame) -> list[str]:
    lines = ["| " + " | ".join(md_escape(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(md_escape(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return lines


def _counts_frame(sm: ParcelSummary) -> pd.DataFrame:
    return pd.DataFrame(
        {"status": [_label(s) for s in PARCEL_STATUSES], "parcels": [f"{sm.counts[s]:,}" for s in PARCEL_STATUSES]}
    )


def _checks_frame(sm: ParcelSummary) -> pd.DataFrame:
    return sm.field_checks.head(WORST_SHOWN).astype(str)


def _markdown(sm: ParcelSummary, svg_name: str) -> str:
    lines = [f"# Parcel reconciliation: {md_escape(sm.source.name, cell=False)}", ""]
    lines += [md_escape(sm.headline, cell=False), "", md_escape(sm.diagnosis, cell=False), ""]
    lines += ["## Parcels per status", "", *_md_rows(_counts_frame(sm)), ""]
    lines += ["## 三调 field checks", ""]
    if sm.field_checks.empty:
        lines += ["No failing check (or the layer has no TBMJ/KCXS/KCMJ/TBDLMJ fields).", ""]
    else:
        lines += [
            f"{sm.field_checks_failing:,} failing; the first {WORST_SHOWN}:",
            "",
            *_md_rows(_checks_frame(sm)),
            "",
        ]
    lines += ["## Relative differences", "", f"![histogram of diff_pct]({svg_name})", ""]
    lines += [
        f"## The {WORST_SHOWN} largest differences (|diff_m2|)",
        "",
        *_md_rows(_display(sm.worst.head(WORST_SHOWN))),
        "",
    ]
    return "\n".join(lines)


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(safe_text(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(safe_text(v, one_line=True))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(sm: ParcelSummary, svg: str) -> str:
    esc = lambda t: html.escape(safe_text(t))  # noqa: E731
    counts = "".join(
        f'<li><span style="color:{_colour(s)}">■</span> {esc(_label(s))}: {sm.counts[s]:,}</li>'
        for s in PARCEL_STATUSES
    )
    checks = (
        "<p>No failing check (or the layer has no TBMJ/KCXS/KCMJ/TBDLMJ fields).</p>"
        if sm.field_checks.empty
        else f"<p>{sm.field_checks_failing:,} failing; the first {WORST_SHOWN}:</p>" + _html_table(_checks_frame(sm))
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>Parcel reconciliation: {esc(sm.source.name)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:72em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}</style></head><body>"
        f"<h1>Parcel reconciliation: {esc(sm.source.name)}</h1>"
        f"<p><strong>{esc(sm.headline)}</strong></p><p>{esc(sm.diagnosis)}</p>"
        f"<h2>Parcels per status</h2><ul>{counts}</ul><h2>三调 field checks</h2>{checks}"
        f"<h2>Relative differences</h2>{svg}"
        f"<h2>The {WORST_SHOWN} largest differences (|diff_m2|)</h2>{_html_table(_display(sm.worst.head(WORST_SHOWN)))}"
        "</body></html>\n"
    )


def write_parcel_summary(
    result: ParcelResult | ParcelSummary,
    out_dir: Path | str,
    formats: Iterable[str] = SUMMARY_FORMATS,
    *,
    stem: str = "parcels_summary",
) -> list[Path]:
    """Write the layer summary: counts per status, the method diagnosis, field checks, histogram, worst 50.

    Parameters
    ----------
    result
        From :func:`reconcile_parcels`, or a :class:`ParcelSummary` (:func:`merge_summaries`).
    out_dir
        Directory for ``<stem>.html``, ``<stem>.md``, ``<stem>.json`` and ``<stem>_histogram.svg``.
    formats
        Any of :data:`SUMMARY_FORMATS`.
    stem
        Name of the files without suffix.

    Returns
    -------
    list of Path
        The files written (the SVG first when Markdown is written: it links to it).

    Notes
    -----
    The histogram (:func:`diff_histogram`) has signed, log-scaled bins of ``diff_pct``; the HTML
    holds it inline, the Markdown links the SVG file. Data text (ids, field names) is escaped for
    each format (:func:`zonemap.textsafe.md_escape`, HTML entities after :func:`safe_text`).
    """
    fmts = list(dict.fromkeys(formats))
    bad = [f for f in fmts if f not in SUMMARY_FORMATS]
    if bad:
        raise ConfigError(f"unknown summary format {bad[0]!r} (fix: one of {', '.join(SUMMARY_FORMATS)})")
    out = Path(out_dir)
    sm = summary_of(result) if isinstance(result, ParcelResult) else result
    data = _summary_data(sm)
    svg = histogram_svg(data["histogram"])
    written: list[Path] = []
    if "md" in fmts:
        written.append(write_text(out / f"{stem}_histogram.svg", svg + "\n"))
        written.append(write_text(out / f"{stem}.md", _markdown(sm, f"{stem}_histogram.svg")))
    if "html" in fmts:
        written.append(write_text(out / f"{stem}.html", _html(sm, svg)))
    if "json" in fmts:
        written.append(write_text(out / f"{stem}.json", _json(data) + "\n"))
    return written
