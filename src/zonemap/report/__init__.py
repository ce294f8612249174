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

from ._formats import (
    display_checks,
    display_figures,
    status_label,
    summary,
    to_json,
    to_markdown,
)
from ._html import to_html
from ._terminal import (
    figures_for_maps,
    parse_formats,
    terminal_status,
    terminal_tables,
)
from ._write import FORMATS, report_paths, write_reports
from ._xlsx import write_xlsx

__all__ = [
    "FORMATS",
    "display_checks",
    "display_figures",
    "figures_for_maps",
    "parse_formats",
    "report_paths",
    "status_label",
    "summary",
    "terminal_status",
    "terminal_tables",
    "to_html",
    "to_json",
    "to_markdown",
    "write_reports",
    "write_xlsx",
]
