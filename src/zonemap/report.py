"""Render a :class:`~zonemap.reconcile.Reconciliation` for people and for machines.

People get a rich terminal table, Markdown and HTML, with numbers rounded for reading.
Machines get CSV, JSON and XLSX with every number at full precision. Each report names
every figure's source and quote and every geometry's provenance and accuracy. Text from
the data is escaped in HTML and Markdown (a feature named ``<img src=x>`` stays text) and
never read as rich markup. Files are written atomically.
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from .errors import ZonemapError
from .io import atomic_write, write_text
from .reconcile import FAILING_STATUSES, Reconciliation
from .schema import AREA_UNITS_M2, unit_text

__all__ = [
    "FORMATS",
    "display_checks",
    "display_figures",
    "figures_for_maps",
    "parse_formats",
    "summary",
    "terminal_tables",
    "to_html",
    "to_json",
    "to_markdown",
    "write_reports",
    "write_xlsx",
]

#: Report formats :func:`write_reports` knows.
FORMATS = ("md", "html", "csv", "json", "xlsx")

_FIGURE_HEADERS = ("figure", "subject", "stated", "measured", "difference", "band ±", "geometry ±", "offset",
                   "status", "source", "geometry", "notes")
_CHECK_HEADERS = ("check", "subject", "value", "limit", "passed", "detail")
_TITLE = "Area reconciliation (图数一致): measured polygons against stated figures"
_STATUS_STYLE = {"agrees": "green", "consistent": "yellow", "disagrees": "bold red", "part_within_whole": "green",
                 "part_exceeds_whole": "bold red", "no_geometry": "dim"}


def _num(value: Any, digits: int = 0, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:{'+' if sign else ''},.{max(digits, 0)}f}"


def _in_unit(value: Any, digits: int, unit: str, sign: bool = False) -> str:
    text = _num(value, digits, sign)
    return text if text == "–" else f"{text} {unit_text(unit)}"


def parse_formats(text: str) -> list[str]:
    """Split ``"md,html"`` into formats, refusing unknown ones (empty text: none)."""
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ZonemapError(f"unknown report format(s) {', '.join(bad)} (fix: use any of {','.join(FORMATS)})")
    return formats


def _figure_row(r: pd.Series) -> dict[str, str]:
    d = int(r["decimals"]) + 2
    stated = f"{r['qualifier']}{r['stated_value']} {unit_text(r['unit'])}"
    return {
        "figure": str(r["figure_id"]),
        "subject": f"{r['subject']} {r['subject_name']}".strip(),
        "stated": stated,
        "measured": _in_unit(r["measured_in_unit"], d, r["unit"]),
        "difference": _in_unit(r["diff_in_unit"], d, r["unit"], sign=True)
        + ("" if pd.isna(r["diff_pct"]) else f" ({_num(r['diff_pct'], 1, sign=True)}%)"),
        "band ±": _in_unit(r["band_m2"] / _unit_m2(r), d, r["unit"]),
        "geometry ±": _in_unit(r["geometry_uncertainty_m2"] / _unit_m2(r), d, r["unit"]),
        "offset": _in_unit(r["implied_offset_m"], 0 if abs(r["implied_offset_m"]) >= 10 else 1, "m", sign=True),
        "status": str(r["status"]),
        "source": f"{r['source']}: “{r['quote']}”",
        "geometry": f"{r['geometry_source']} (±{_num(r['accuracy_m'], 0)} m)",
        "notes": str(r["notes"] or ""),
    }


def _unit_m2(r: pd.Series) -> float:
    return float(AREA_UNITS_M2[str(r["unit"])])


def display_figures(result: Reconciliation) -> pd.DataFrame:
    """The figures table as text for people (rounded); the data stays unrounded in ``result``."""
    rows = [_figure_row(r) for _, r in result.figures.iterrows()]
    return pd.DataFrame(rows, columns=list(_FIGURE_HEADERS))


def display_checks(result: Reconciliation) -> pd.DataFrame:
    """The checks table as text for people (rounded)."""
    rows = [
        {
            "check": str(r["check"]), "subject": str(r["subject"]),
            "value": f"{_num(r['value'], 3 if r['unit'] == '%' else 0)} {unit_text(r['unit'])}",
            "limit": f"{_num(r['limit'], 3 if r['unit'] == '%' else 0)} {unit_text(r['unit'])}",
            "passed": "yes" if r["passed"] else "NO", "detail": str(r["detail"]),
        }
        for _, r in result.checks.iterrows()
    ]
    return pd.DataFrame(rows, columns=list(_CHECK_HEADERS))


def figures_for_maps(result: Reconciliation) -> pd.DataFrame:
    """The figures with ``value`` (as written) and ``measured`` text, the columns map cards read."""
    return result.figures.assign(value=result.figures["stated_value"],
                                 measured=display_figures(result)["measured"].to_numpy())


def summary(result: Reconciliation) -> str:
    """One line: figures by status and failed checks."""
    counts = result.figures["status"].value_counts()
    by_status = ", ".join(f"{n} {s}" for s, n in counts.items())
    return (f"{len(result.figures)} area figure(s): {by_status}; "
            f"{result.n_failed_checks} of {len(result.checks)} check(s) failed")


def terminal_tables(result: Reconciliation) -> list[Table]:
    """Rich tables (figures, checks) for the terminal; data text is never read as markup."""
    figs = display_figures(result)
    t1 = Table(title=_TITLE, show_lines=False)
    cols = ("figure", "subject", "stated", "measured", "difference", "band ±", "geometry ±", "offset")
    for col in (*cols, "status"):
        t1.add_column(col, justify="left" if col in ("figure", "subject", "status") else "right")
    for _, r in figs.iterrows():
        cells = [Text(str(r[c])) for c in cols]
        t1.add_row(*cells, Text(str(r["status"]), style=_STATUS_STYLE.get(str(r["status"]), "")))
    t2 = Table(title="Checks")
    for col in _CHECK_HEADERS:
        t2.add_column(col)
    for _, r in display_checks(result).iterrows():
        t2.add_row(*(Text(str(r[c]), style="bold red" if c == "passed" and r[c] == "NO" else "")
                     for c in _CHECK_HEADERS))
    return [t1, t2]


def _md_cell(text: str) -> str:
    return html.escape(str(text)).replace("|", "\\|").replace("\n", " ")


def _md_table(df: pd.DataFrame) -> list[str]:
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return lines


def to_markdown(result: Reconciliation) -> str:
    """Markdown report: summary, figures (with source, quote, geometry provenance), checks."""
    lines = [f"# {_TITLE}", "", _md_cell(summary(result)), "",
             "Band: stated precision (half a unit of the last written digit, widened for 约); geometry ±: "
             "perimeter × accuracy_m; offset: how far the drawn boundary would have to move on average.", "",
             "## Figures", "", *_md_table(display_figures(result)), "", "## Checks", "",
             *_md_table(display_checks(result)), ""]
    return "\n".join(lines)


def _html_table(df: pd.DataFrame, status_col: str | None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cls = ""
        if status_col is not None:
            status = str(getattr(row, status_col))
            cls = f' class="{"bad" if status in FAILING_STATUSES or status == "NO" else "ok"}"'
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def to_html(result: Reconciliation) -> str:
    """A standalone HTML page; every data string is escaped."""
    style = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:0.85em}"
             "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}tr.bad td{background:#fde2e2}"
             "tr.ok td{background:#fff}")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(_TITLE)}</title>'
            f"<style>{style}</style></head><body><h1>{html.escape(_TITLE)}</h1>"
            f"<p>{html.escape(summary(result))}</p><h2>Figures</h2>"
            f"{_html_table(display_figures(result), 'status')}<h2>Checks</h2>"
            f"{_html_table(display_checks(result), 'passed')}</body></html>\n")


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in rec.items()}
        for rec in df.astype(object).to_dict("records")
    ]


def to_json(result: Reconciliation) -> str:
    """JSON with ``summary``, ``figures`` and ``checks`` at full precision (NaN as null)."""
    doc = {
        "summary": {"figures": len(result.figures), "disagreeing": result.n_disagreeing,
                    "checks": len(result.checks), "failed_checks": result.n_failed_checks},
        "figures": _records(result.figures),
        "checks": _records(result.checks),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_xlsx(result: Reconciliation, path: Path | str) -> Path:
    """Write ``figures`` and ``checks`` sheets (unrounded numbers) to an XLSX file, atomically."""
    from openpyxl import Workbook

    wb = Workbook()
    sheets = (("figures", result.figures), ("checks", result.checks))
    for k, (name, df) in enumerate(sheets):
        ws = wb.active if k == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = name
        ws.append(list(df.columns))
        for rec in _records(df):
            ws.append([_xlsx_value(v) for v in rec.values()])
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue())
    return Path(path)


def _xlsx_value(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, str) and v.startswith("="):
        return "'" + v  # openpyxl would store it as a formula
    return v


def write_reports(result: Reconciliation, out_dir: Path | str, formats: Iterable[str] = FORMATS,
                  stem: str = "reconciliation") -> list[Path]:
    """Write the report in each format to ``out_dir``.

    Parameters
    ----------
    result
        The reconciliation.
    out_dir
        Destination directory (created).
    formats
        Any of :data:`FORMATS`; ``csv`` writes ``<stem>_figures.csv`` and ``<stem>_checks.csv``.
    stem
        File name stem.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    written: list[Path] = []
    for fmt in formats:
        if fmt == "md":
            written.append(write_text(out / f"{stem}.md", to_markdown(result)))
        elif fmt == "html":
            written.append(write_text(out / f"{stem}.html", to_html(result)))
        elif fmt == "json":
            written.append(write_text(out / f"{stem}.json", to_json(result)))
        elif fmt == "csv":
            for name in ("figures", "checks"):
                df = getattr(result, name)
                written.append(write_text(out / f"{stem}_{name}.csv", df.to_csv(index=False)))
        elif fmt == "xlsx":
            written.append(write_xlsx(result, out / f"{stem}.xlsx"))
        else:
            raise ZonemapError(f"unknown report format {fmt!r} (fix: use any of {', '.join(FORMATS)})")
    return written
