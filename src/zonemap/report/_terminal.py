"""The result in a terminal: rich tables (failing rows first, at most 40), status words and labels."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.table import Table
from rich.text import Text

from ..errors import ZonemapError
from ..reconcile import (
    Reconciliation,
)
from ..schema import FIGURE_STATUSES
from ._formats import FORMATS, TITLE, _for_people, _texts, display_checks, display_figures

__all__ = [
    "figures_for_maps",
    "parse_formats",
    "terminal_status",
    "terminal_tables",
]


#: Columns of the terminal figures table (every column stays in the files): with their width caps
#: they fit an 80-column terminal, long cells wrap.
#: Widths plus one cell of padding and one of separator between columns: 70 + 10 = 80.
_TERMINAL_FIGURES = (
    ("figure", 12),
    ("subject", 14),
    ("stated", 10),
    ("measured", 11),
    ("difference", 11),
    ("status", 12),
)
_TERMINAL_CHECKS = (("check", 28), ("subject", 12), ("value", 12), ("limit", 12), ("passed", 6))

_TABLE_STYLE: dict[str, Any] = {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False, "padding": (0, 1, 0, 0)}


def terminal_status(status: str) -> str:
    """A status as the terminal shows it: Chinese label and the status word (``"待定 undetermined"``)."""
    known = FIGURE_STATUSES.get(status)
    return f"{known.label_zh} {status.replace('_', ' ')}" if known else status


def _status_style(status: str) -> str:
    known = FIGURE_STATUSES.get(status)
    if known is None:
        return ""
    return f"bold {known.colour}" if known.fails_strict else known.colour


def parse_formats(text: str) -> list[str]:
    """Split ``"md,html"`` into formats, refusing unknown ones (empty text: none)."""
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ZonemapError(f"unknown report format(s) {', '.join(bad)} (fix: use any of {','.join(FORMATS)})")
    return formats


def figures_for_maps(result: Reconciliation) -> pd.DataFrame:
    """The figures with ``value`` (as written) and ``measured`` text, the columns map cards read."""
    return result.figures.assign(
        value=result.figures["stated_value"], measured=display_figures(result)["measured"].to_numpy()
    )


#: Rows a terminal table shows by default; the rest are in the report files.
TERMINAL_ROWS = 40


def _worst_first(bad: np.ndarray, rank: np.ndarray, limit: int | None) -> np.ndarray:
    """Row positions to show: all in file order when they fit, else the ``limit`` worst (stable)."""
    n = len(bad)
    if limit is None or n <= limit:
        return np.arange(n)
    order = np.lexsort((np.arange(n), -rank, ~bad))  # failing first, then by rank, then file order
    return order[:limit]


def terminal_tables(result: Reconciliation, max_rows: int | None = TERMINAL_ROWS) -> list[Table]:
    """Rich tables (figures, checks) for the terminal, readable at 80 columns.

    The figures table shows figure, subject (id and Chinese name), stated, measured, difference and
    status (Chinese label and status word); English names, bands, offsets, sources and notes are in
    the files, as are the checks' details.
    Cells wrap rather than widen the table. Data text is never read as markup, and control and
    bidi characters are shown as escapes.

    Parameters
    ----------
    result
        The reconciliation.
    max_rows
        Rows shown per table (``None``: all). A longer table shows its failing rows first, then
        the others by status, and says in its caption how many rows the report files hold.
    """
    f, c = result.figures, result.checks
    statuses = f["status"].astype(str).to_numpy()
    known = [FIGURE_STATUSES.get(w) for w in statuses]
    fig_rows = _worst_first(
        np.array([bool(k and k.fails_strict) for k in known], dtype=bool),
        np.array([k.rank if k else 0 for k in known]),
        max_rows,
    )
    shown = f.iloc[fig_rows]
    figs = display_figures(Reconciliation(shown, c.iloc[:0]))
    # the subject's id and first (Chinese) name; the English name is in the files
    first_name = pd.Series(_texts(shown["subject_name"]), dtype=object).str.split(" / ", n=1).str[0]
    short = pd.Series(_texts(shown["subject"]) + " " + first_name.to_numpy(dtype=object), dtype=object).str.strip()
    figs["subject"] = _for_people(pd.DataFrame({"subject": short}))["subject"].to_numpy()
    t1 = Table(title=TITLE, caption=_caption(len(fig_rows), len(f), "figures"), **_TABLE_STYLE)
    for col, width in _TERMINAL_FIGURES:
        t1.add_column(
            col,
            max_width=width,
            overflow="fold",
            justify="left" if col in ("figure", "subject", "stated", "status") else "right",
        )
    for row, status in zip(
        figs[[col for col, _ in _TERMINAL_FIGURES]].itertuples(index=False), statuses[fig_rows], strict=True
    ):
        t1.add_row(
            *(Text(str(v)) for v in row[:-1]), Text(terminal_status(str(status)), style=_status_style(str(status)))
        )
    passed = c["passed"].to_numpy(dtype=bool)
    check_rows = _worst_first(~passed, np.zeros(len(c)), max_rows)
    t2 = Table(title="Checks", caption=_caption(len(check_rows), len(c), "checks"), **_TABLE_STYLE)
    for col, width in _TERMINAL_CHECKS:
        t2.add_column(col, max_width=width, overflow="fold")
    checks = display_checks(Reconciliation(f.iloc[:0], c.iloc[check_rows]))
    for row in checks[[col for col, _ in _TERMINAL_CHECKS]].itertuples(index=False):
        t2.add_row(
            *(
                Text(str(v), style="bold red" if col == "passed" and v == "NO" else "")
                for (col, _), v in zip(_TERMINAL_CHECKS, row, strict=True)
            )
        )
    return [t1, t2]


def _caption(shown: int, total: int, what: str) -> str | None:
    if shown == total:
        return None
    return f"{shown} of {total} {what} shown, failing first; every row is in the report files"
