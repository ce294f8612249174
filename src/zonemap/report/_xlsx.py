"""The XLSX report for Chinese Excel: figures and checks sheets at full precision, laid out for reading.

Each sheet has a bilingual header row (Chinese name, line break, machine name), frozen, with an
autofilter; columns as wide as their content (CJK characters count double); number formats by unit
(``#,##0.00`` for m² and 亩, ``0.0`` for per cent, ``#,##0.0`` for metres); a 亩 column beside each
m² column of the figures (``stated_mu = stated_m2 / (10000/15)``); status cells filled with the status
colour. Text is stored as text: a cell starting with ``=`` stays that text (never a formula), and the
characters XML cannot hold are written as visible escapes (:func:`zonemap.textsafe.xlsx_text`).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.cells import cell_len

from ..io import atomic_write
from ..reconcile import AGREES, DISAGREES, Reconciliation
from ..schema import AREA_UNITS_M2, FIGURE_STATUSES
from ..textsafe import unsafe_xlsx_pattern, xlsx_text
from ._labels import column_header

__all__ = ["MU_COLUMNS", "NUMBER_FORMATS", "number_format", "write_xlsx", "xlsx_frames"]

#: The 亩 columns of the figures sheet, each written beside the m² column it is computed from.
MU_COLUMNS = {"stated_m2": "stated_mu", "measured_m2": "measured_mu", "diff_m2": "diff_mu"}

#: Number formats by column-name suffix (the first that matches), for numeric columns only.
NUMBER_FORMATS = (
    ("_m2", "#,##0.00"),
    ("_mu", "#,##0.00"),
    ("_pct", "0.0"),
    ("_in_unit", "#,##0.000"),
    ("_m", "#,##0.0"),
)

#: Python format specs showing a number as each Excel format does (for column widths).
_SPECS = {"#,##0.00": ",.2f", "0.0": ".1f", "#,##0.000": ",.3f", "#,##0.0": ",.1f", "General": ".10g"}
_MIN_WIDTH, _MAX_WIDTH, _PAD = 6, 60, 2
_HEADER_FILL = "F2F2F2"


def number_format(column: str) -> str:
    """The Excel number format of a numeric column by its unit suffix (``"General"`` when none matches)."""
    return next((fmt for suffix, fmt in NUMBER_FORMATS if column.endswith(suffix)), "General")


def xlsx_frames(result: Reconciliation) -> dict[str, pd.DataFrame]:
    """The sheets' tables: ``figures`` with a 亩 column after each of :data:`MU_COLUMNS`, and ``checks``."""
    f = result.figures
    mu = float(AREA_UNITS_M2["mu"])
    out: dict[str, Any] = {}
    for col in f.columns:
        out[col] = f[col]
        if col in MU_COLUMNS:
            out[MU_COLUMNS[col]] = f[col].astype(float) / mu
    return {"figures": pd.DataFrame(out, index=f.index), "checks": result.checks}


def _ink(colour: str) -> str:
    """Black or white text, whichever contrasts more with ``#rrggbb`` (WCAG relative luminance)."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lum = float(lin @ np.array([0.2126, 0.7152, 0.0722]))
    return "000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "FFFFFF"


def _width(values: list[Any], fmt: str, header: str) -> float:
    spec = _SPECS.get(fmt, ".10g")
    texts = [
        format(v, spec) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
        for v in values
        if v is not None
    ]
    widest = max([cell_len(line) for line in header.splitlines()] + [cell_len(t) for t in texts])
    return float(min(max(widest + _PAD, _MIN_WIDTH), _MAX_WIDTH))


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i))


def write_xlsx(result: Reconciliation, path: Path | str) -> Path:
    """Write ``figures`` and ``checks`` sheets (unrounded numbers) to an XLSX file, atomically.

    See the module documentation for the layout; the header's last line is the machine column name.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    fills = {
        word: (PatternFill(fill_type="solid", fgColor=st.colour[1:].upper()), Font(color=_ink(st.colour), bold=True))
        for word, st in FIGURE_STATUSES.items()
    }
    passed_fills = {True: fills[AGREES], False: fills[DISAGREES]}
    wb = Workbook(write_only=True)
    for name, df in xlsx_frames(result).items():
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        headers = [column_header(str(c)) for c in df.columns]
        columns = [_xlsx_column(df[c]) for c in df.columns]
        formats = [
            number_format(str(c)) if pd.api.types.is_numeric_dtype(df[c].dtype) and df[c].dtype != bool else "General"
            for c in df.columns
        ]
        for i, (values, fmt, head) in enumerate(zip(columns, formats, headers, strict=True), start=1):
            ws.column_dimensions[_column_letter(i)].width = _width(values, fmt, head)
        ws.row_dimensions[1].height = 32
        n_cols, n_rows = len(df.columns), len(df)
        if n_cols:
            ws.auto_filter.ref = f"A1:{_column_letter(n_cols)}{n_rows + 1}"

        def cell(value: Any, fmt: str = "General", fill: Any = None, ws: Any = ws) -> Any:
            c = WriteOnlyCell(ws, value)
            if isinstance(value, str) and value.startswith("="):
                c.data_type = "s"  # openpyxl would store it as a formula
            if fmt != "General":
                c.number_format = fmt
            if fill is not None:
                c.fill, c.font = fill
            return c

        head_fill = PatternFill(fill_type="solid", fgColor=_HEADER_FILL)
        head_row = []
        for h in headers:
            c = cell(xlsx_text(h))
            c.font, c.fill = Font(bold=True), head_fill
            c.alignment = Alignment(wrap_text=True, vertical="top")
            head_row.append(c)
        ws.append(head_row)
        status_col = list(df.columns).index("status") if "status" in df.columns else -1
        passed_col = list(df.columns).index("passed") if "passed" in df.columns else -1
        for row in zip(*columns, strict=True):
            out = []
            for j, v in enumerate(row):
                fill = None
                if j == status_col:
                    fill = fills.get(str(v))
                elif j == passed_col and isinstance(v, bool):
                    fill = passed_fills[v]
                out.append(cell(v, formats[j], fill))
            ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue())
    return Path(path)


def _xlsx_column(col: pd.Series) -> list[Any]:
    """A column as Python values for openpyxl: NaN/inf as empty, text made storable (column-wise)."""
    values = col.to_numpy(dtype=object)
    if pd.api.types.is_float_dtype(col.dtype):
        x = col.to_numpy(dtype=float)
        values = x.astype(object)
        values[~np.isfinite(x)] = None
    else:
        values = np.array([v.item() if hasattr(v, "item") else v for v in values], dtype=object)
        values[pd.isna(values)] = None
        floats = np.array([isinstance(v, float) and not math.isfinite(v) for v in values], dtype=bool)
        values[floats] = None
    text = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(text, skipna=True) not in ("string", "mixed", "mixed-integer", "mixed-integer-float"):
        return values.tolist()
    hit = text.str.contains(unsafe_xlsx_pattern(), regex=True, na=False).to_numpy(dtype=bool)
    if hit.any():
        values[hit] = [xlsx_text(v) for v in values[hit]]
    return values.tolist()
