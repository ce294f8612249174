"""The XLSX report: figures and checks sheets at full precision, text cells kept from becoming formulas."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io import atomic_write
from ..reconcile import (
    Reconciliation,
)
from ..textsafe import unsafe_xlsx_pattern, xlsx_text

__all__ = ["write_xlsx"]


def write_xlsx(result: Reconciliation, path: Path | str) -> Path:
    """Write ``figures`` and ``checks`` sheets (unrounded numbers) to an XLSX file, atomically.

    Text is stored as text: a cell starting with ``=`` stays that text (never a formula), and the
    characters XML cannot hold are written as visible escapes (:func:`zonemap.textsafe.xlsx_text`).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    for name, df in (("figures", result.figures), ("checks", result.checks)):
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"

        def cell(value: Any, ws: Any = ws) -> Any:
            if isinstance(value, str) and value.startswith("="):
                c = WriteOnlyCell(ws, value)
                c.data_type = "s"  # openpyxl would store it as a formula
                return c
            return value

        ws.append([cell(xlsx_text(str(c))) for c in df.columns])
        columns = [_xlsx_column(df[c]) for c in df.columns]
        for row in zip(*columns, strict=True):
            ws.append([cell(v) for v in row])
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
