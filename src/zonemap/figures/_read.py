"""Reading a figures table as written: CSV (UTF-8, BOM, GBK/GB18030 detected) or an XLSX sheet, every cell as text."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataFileError, MissingFileError, SchemaError
from ..schema import (
    FIGURE_COLUMNS,
    FIGURE_COMMENT_PREFIX,
    FIGURE_REQUIRED,
)
from ._decode import decode_utf8_or_gbk

__all__ = ["XLSX_SUFFIXES", "read_figures_table"]

log = logging.getLogger(__name__)


#: File name suffixes read as XLSX workbooks; every other file is read as CSV.
XLSX_SUFFIXES = (".xlsx", ".xlsm")


_HELP_FIELDS = "give every row one field per column; quote a field holding a comma"


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode a CSV: UTF-8 (with or without BOM) first, then GB18030 (GBK), both strict."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataFileError(
            f"{path}: the table is UTF-16 (Excel's 'Unicode Text'), not a CSV zonemap reads "
            "(fix: in Excel save as 'CSV UTF-8 (Comma delimited)', or save as .xlsx)"
        )
    return decode_utf8_or_gbk(data, path, "save the table as 'CSV UTF-8' from Excel, or as UTF-8 from the editor")


def _csv_records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Header and (row number, fields) records of a CSV, refusing a table cut off mid-row."""
    text, encoding = _decode(path.read_bytes(), path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 1  # where the next record starts
    try:
        for fields in reader:
            records.append((len(records) + 1, fields))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DataFileError(
            f"{path}: row {len(records) + 1} (line {line}): {exc}: a quote opened in this row is never "
            "closed, the file may be cut off (fix: close the quote, or export the table again)"
        ) from None
    records = [(n, f) for n, f in records if any(s.strip() for s in f)]
    if not records:
        raise DataFileError(
            f"{path}: the table is empty (fix: the first row names the columns {', '.join(FIGURE_COLUMNS)})"
        )
    (_, header), rows = records[0], records[1:]
    width = len(header)
    for n, fields in rows:
        if len(fields) == width:
            continue
        last = n == rows[-1][0]
        cut = " (the last row: the file looks cut off mid-row)" if last and len(fields) < width else ""
        raise DataFileError(
            f"{path}: row {n} has {len(fields)} field(s), the header {width}{cut} "
            f"(fix: {'export the table again' if cut else _HELP_FIELDS})"
        )
    return header, rows, encoding


def _format_decimals(number_format: str) -> int | None:
    """Decimals an Excel number format shows (``0.00`` -> 2, ``#,##0`` -> 0, ``General`` -> None)."""
    section = number_format.split(";")[0]
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", section)
    if "%" in section or "E" in section.upper() or not re.search(r"[0#?]", section):
        return None
    frac = re.search(r"\.([0#?]+)", section)
    return len(frac.group(1)) if frac else 0


def _cell_text(value: Any, number_format: str) -> str:
    """An XLSX cell as the text a planner sees (see the module's precision rule for numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = float(value)
    if not np.isfinite(number):
        return str(value)
    d = _format_decimals(number_format or "General")
    if d is not None and round(number, d) == number:
        return f"{number:.{d}f}"
    return str(value) if isinstance(value, int) else np.format_float_positional(number, unique=True, trim="-")


def _xlsx_records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataFileError(
            f"{path}: not a readable XLSX workbook ({exc}) (fix: open it in Excel and save it "
            "again as .xlsx, or export the sheet as 'CSV UTF-8')"
        ) from None
    try:
        ws = wb["figures"] if "figures" in wb.sheetnames else wb.worksheets[0]
        records = [
            (n, [_cell_text(getattr(c, "value", None), getattr(c, "number_format", "General")) for c in row])
            for n, row in enumerate(ws.iter_rows(min_row=1), start=1)
        ]
    finally:
        wb.close()
    records = [(n, f) for n, f in records if any(s.strip() for s in f)]
    if not records:
        raise DataFileError(
            f"{path}: sheet {ws.title!r} is empty (fix: the first row names the columns {', '.join(FIGURE_COLUMNS)})"
        )
    (_, header), rows = records[0], records[1:]
    while header and not header[-1].strip():
        header = header[:-1]
    width = len(header)
    for n, fields in rows:
        if any(s.strip() for s in fields[width:]):
            raise DataFileError(
                f"{path}: sheet {ws.title!r} row {n} has a value right of the last named column "
                "(fix: name the column in the first row, or delete the value)"
            )
    return header, [(n, (f + [""] * width)[:width]) for n, f in rows], f"xlsx sheet {ws.title}"


def read_figures_table(path: Path | str, default_town: str | None = None) -> pd.DataFrame:
    """Read a figures table (CSV or XLSX) as text, without interpreting any value.

    Parameters
    ----------
    path
        A CSV (UTF-8, UTF-8 with BOM or GBK/GB18030, detected) or an XLSX workbook
        (sheet ``figures``, else the first sheet).
    default_town
        When given, the ``town`` column may be absent and its empty cells are filled
        with this town id (a table given for a single town's file).

    Returns
    -------
    pandas.DataFrame
        Every column as stripped ``str``; missing optional columns added empty; rows whose
        first cell starts with :data:`zonemap.schema.FIGURE_COMMENT_PREFIX` skipped. The index
        (named ``row``) is the row number in the file (the header is row 1).

    Raises
    ------
    MissingFileError, DataFileError, SchemaError
        If the file is absent, in no encoding zonemap reads, cut off mid-row, or lacks a
        required column.
    """
    p = Path(path)
    if not p.is_file():
        raise MissingFileError(f"{p}: figures table not found (fix: check the path)")
    if p.suffix.lower() == ".xls":
        raise DataFileError(f"{p}: the old Excel .xls format is not read (fix: save it as .xlsx or 'CSV UTF-8')")
    header, rows, encoding = _xlsx_records(p) if p.suffix.lower() in XLSX_SUFFIXES else _csv_records(p)
    columns = [c.strip().lstrip("\ufeff") for c in header]
    unnamed = [i for i, c in enumerate(columns) if not c]
    for i in unnamed:
        row = next((n for n, f in rows if f[i].strip()), None)
        if row is not None:
            raise SchemaError(
                f"{p}: column {i + 1} has no name in the header but row {row} has a value in it "
                "(fix: name the column, or delete its values)"
            )
    keep = [i for i, c in enumerate(columns) if c]  # unnamed empty columns (a trailing comma) are dropped
    columns, rows = [columns[i] for i in keep], [(n, [f[i] for i in keep]) for n, f in rows]
    dupes = sorted({c for c in columns if columns.count(c) > 1 and c})
    if dupes:
        raise SchemaError(f"{p}: column(s) {', '.join(dupes)} named more than once (fix: keep one of each)")
    required = [c for c in FIGURE_REQUIRED if not (c == "town" and default_town is not None)]
    missing = [c for c in required if c not in columns]
    if missing:
        sep = next((s for s in (";", "\t", "|") if len(columns) == 1 and s in columns[0]), None)
        how = (
            f"separate the columns with commas, not {sep!r}"
            if sep
            else f"the header must name {', '.join(FIGURE_COLUMNS)}"
        )
        raise SchemaError(f"{p}: missing column(s) {', '.join(missing)} (fix: {how})")
    df = pd.DataFrame(
        [f for _, f in rows], columns=columns, dtype=str, index=pd.Index([n for n, _ in rows], name="row")
    )
    df = df.apply(lambda s: s.str.strip()) if len(df) else df
    if len(df) and columns and columns[0] in df.columns:  # '#...' in the first cell: a comment row (an example)
        df = df[~df[columns[0]].str.startswith(FIGURE_COMMENT_PREFIX)]
    for col in FIGURE_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    if default_town is not None:
        df["town"] = df["town"].mask(df["town"] == "", default_town)
    df.attrs["encoding"] = encoding
    log.debug("%s: %d figure row(s) read (%s)", p, len(df), encoding)
    return df
