"""Render a :class:`~zonemap.reconcile.Reconciliation` for people and for machines.

People get a rich terminal table, Markdown and HTML, with numbers rounded for reading.
Machines get CSV, JSON and XLSX with every number at full precision. Each report names
every figure's source and quote and every geometry's provenance and accuracy.

Data text is shown literally in every output: escaped in HTML, Markdown-escaped in Markdown (no link,
image or emphasis comes out of a quote), never read as rich markup, control and bidi characters shown
as escapes for people (terminal, Markdown, HTML); CSV cells that a spreadsheet would run as formulas
are neutralised (:func:`zonemap.io.csv_text`) and XLSX stores text as text. Files are written atomically.
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
from rich import box
from rich.table import Table
from rich.text import Text

from ._textsafe import md_escape, safe_text, xlsx_text
from .errors import ZonemapError
from .io import CSV_ENCODING, atomic_write, write_csv, write_text
from .reconcile import FAILING_STATUSES, Reconciliation
from .schema import AREA_UNITS_M2, FIGURE_STATUSES, unit_text

__all__ = [
    "FORMATS",
    "display_checks",
    "display_figures",
    "figures_for_maps",
    "parse_formats",
    "report_paths",
    "status_label",
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
#: Columns of the terminal figures table (every column stays in the files): with their width caps
#: they fit an 80-column terminal, long cells wrap.
#: Widths plus one cell of padding and one of separator between columns: 70 + 10 = 80.
_TERMINAL_FIGURES = (("figure", 10), ("subject", 16), ("stated", 10), ("measured", 10), ("difference", 12),
                     ("status", 11))
_TERMINAL_CHECKS = (("check", 28), ("subject", 12), ("value", 12), ("limit", 12), ("passed", 6))

_TABLE_STYLE: dict[str, Any] = {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False, "padding": (0, 1, 0, 0)}


def status_label(status: str) -> str:
    """A status for people, in both languages: ``"agrees"`` -> ``"一致 agrees"`` (unknown: unchanged)."""
    known = FIGURE_STATUSES.get(status)
    return known.label if known else status


def _status_style(status: str) -> str:
    known = FIGURE_STATUSES.get(status)
    if known is None:
        return ""
    return f"bold {known.colour}" if known.fails_strict else known.colour


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


def _for_people(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as one line of text with control and bidi characters shown as escapes."""
    return df.map(lambda v: safe_text(v, one_line=True))


def display_figures(result: Reconciliation) -> pd.DataFrame:
    """The figures table as text for people (rounded, status in both languages, control characters
    shown as escapes); the data stays unrounded in ``result``."""
    rows = [_figure_row(r) for _, r in result.figures.iterrows()]
    table = pd.DataFrame(rows, columns=list(_FIGURE_HEADERS))
    table["status"] = [status_label(s) for s in result.figures["status"].astype(str)]
    return _for_people(table)


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
    return _for_people(pd.DataFrame(rows, columns=list(_CHECK_HEADERS)))


def figures_for_maps(result: Reconciliation) -> pd.DataFrame:
    """The figures with ``value`` (as written) and ``measured`` text, the columns map cards read."""
    return result.figures.assign(value=result.figures["stated_value"],
                                 measured=display_figures(result)["measured"].to_numpy())


def summary(result: Reconciliation) -> str:
    """One line: figures by status and failed checks."""
    counts = result.figures["status"].value_counts()
    by_status = ", ".join(f"{n} {status_label(str(s))}" for s, n in counts.items())
    return (f"{len(result.figures)} area figure(s): {by_status}; "
            f"{result.n_failed_checks} of {len(result.checks)} check(s) failed")


def terminal_tables(result: Reconciliation) -> list[Table]:
    """Rich tables (figures, checks) for the terminal, readable at 80 columns.

    The figures table shows figure, subject, stated, measured, difference and status (in both
    languages); bands, offsets, sources and notes are in the files, as are the checks' details.
    Cells wrap rather than widen the table. Data text is never read as markup, and control and
    bidi characters are shown as escapes.
    """
    figs = display_figures(result)
    t1 = Table(title=_TITLE, **_TABLE_STYLE)
    for col, width in _TERMINAL_FIGURES:
        t1.add_column(col, max_width=width, overflow="fold",
                      justify="left" if col in ("figure", "subject", "stated", "status") else "right")
    for (_, r), status in zip(figs.iterrows(), result.figures["status"].astype(str), strict=True):
        cells = [Text(str(r[c])) for c, _ in _TERMINAL_FIGURES[:-1]]
        t1.add_row(*cells, Text(str(r["status"]), style=_status_style(status)))
    t2 = Table(title="Checks", **_TABLE_STYLE)
    for col, width in _TERMINAL_CHECKS:
        t2.add_column(col, max_width=width, overflow="fold")
    for _, r in display_checks(result).iterrows():
        t2.add_row(*(Text(str(r[c]), style="bold red" if c == "passed" and r[c] == "NO" else "")
                     for c, _ in _TERMINAL_CHECKS))
    return [t1, t2]


def _md_cell(text: str) -> str:
    return md_escape(text)


def _md_table(df: pd.DataFrame) -> list[str]:
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return lines


def to_markdown(result: Reconciliation) -> str:
    """Markdown report: summary, figures (with source, quote, geometry provenance), checks."""
    lines = [f"# {_TITLE}", "", md_escape(summary(result), cell=False), "",
             "Band: stated precision (half a unit of the last written digit, widened for 约); geometry ±: "
             "perimeter × accuracy_m; offset: how far the drawn boundary would have to move on average.", "",
             "## Figures", "", *_md_table(display_figures(result)), "", "## Checks", "",
             *_md_table(display_checks(result)), ""]
    return "\n".join(lines)


def _html_table(df: pd.DataFrame, bad: Iterable[bool]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = []
    for row, is_bad in zip(df.itertuples(index=False), bad, strict=True):
        cls = f' class="{"bad" if is_bad else "ok"}"'
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def to_html(result: Reconciliation) -> str:
    """A standalone HTML page; every data string is escaped."""
    style = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:0.85em}"
             "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}tr.bad td{background:#fde2e2}"
             "tr.ok td{background:#fff}")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(_TITLE)}</title>'
            f"<style>{style}</style></head><body><h1>{html.escape(_TITLE)}</h1>"
            f"<p>{html.escape(safe_text(summary(result)))}</p><h2>Figures</h2>"
            f"{_html_table(display_figures(result), result.figures['status'].isin(FAILING_STATUSES))}"
            f"<h2>Checks</h2>{_html_table(display_checks(result), ~result.checks['passed'].astype(bool))}"
            "</body></html>\n")


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
        ws.append([_xlsx_value(str(c)) for c in df.columns])
        for rec in _records(df):
            ws.append([_xlsx_value(v) for v in rec.values()])
        _text_stays_text(ws)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue())
    return Path(path)


def _xlsx_value(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, str):
        return xlsx_text(v)  # characters XML cannot hold become visible escapes
    return v


def _text_stays_text(ws: Any) -> None:
    """Store text starting with ``=`` as text, value unchanged (openpyxl would make it a formula)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def write_reports(result: Reconciliation, out_dir: Path | str, formats: Iterable[str] = FORMATS,
                  stem: str = "reconciliation", csv_encoding: str = CSV_ENCODING) -> list[Path]:
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
    csv_encoding
        Of the CSV files: UTF-8 with a BOM by default (Excel on Chinese Windows), or e.g. ``"gbk"``
        (a character GBK cannot hold is refused naming its row). See :func:`zonemap.io.csv_text`.

    Returns
    -------
    list of Path
        The files written.
    """
    paths = report_paths(out_dir, formats, stem)
    writers = {
        "md": lambda p: write_text(p, to_markdown(result)),
        "html": lambda p: write_text(p, to_html(result)),
        "json": lambda p: write_text(p, to_json(result)),
        "figures.csv": lambda p: write_csv(result.figures, p, encoding=csv_encoding),
        "checks.csv": lambda p: write_csv(result.checks, p, encoding=csv_encoding),
        "xlsx": lambda p: write_xlsx(result, p),
    }
    return [writers[key](path) for key, path in paths.items()]


def report_paths(out_dir: Path | str, formats: Iterable[str] = FORMATS,
                 stem: str = "reconciliation") -> dict[str, Path]:
    """The files :func:`write_reports` writes, by part, known before any work (for output checks).

    Raises
    ------
    ZonemapError
        For an unknown format.
    """
    out = Path(out_dir)
    paths: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "csv":
            paths |= {f"{name}.csv": out / f"{stem}_{name}.csv" for name in ("figures", "checks")}
        elif fmt in FORMATS:
            paths[fmt] = out / f"{stem}.{fmt}"
        else:
            raise ZonemapError(f"unknown report format {fmt!r} (fix: use any of {', '.join(FORMATS)})")
    return paths
