"""The stated-figure registry: every number a source text states, as data, in the forms planners write.

A registry is a table with the columns of :data:`zonemap.schema.FIGURE_COLUMNS`: a CSV
(UTF-8, UTF-8 with BOM, or GBK/GB18030, detected) or an XLSX workbook (the sheet named
``figures``, else the first sheet). Values and units are read as planners write them:

- units in any written form of :data:`zonemap.schema.UNIT_FORMS` (``亩``, ``公顷``, ``平方米``,
  ``㎡``, ``平方公里``, ``km²``, ``万平方米``, ``万亩``, ``m2``, ``mu``, ``ha``, ``km2``; lengths
  ``米`` / ``m``, ``公里`` / ``千米`` / ``km``), case and width ignored;
- values with 万 / 亿 (:data:`zonemap.schema.VALUE_MULTIPLIERS`), thousands separators
  (``12,000``, ``12，000``), full-width digits, a qualifier inside the value (``约6.7``,
  ``6.7以上``, ``200余``, ``10多万``; the words of :data:`zonemap.schema.QUALIFIERS`), and the
  unit too when the unit column is empty (``245.98亩``).

**Precision rule**: a figure is taken to mean ± half a unit of its last written digit, *in the
unit as written*: ``1.2万平方米`` is 1.2 ± 0.05 万 m² = 12 000 ± 500 m²; ``12,000`` m² is
± 0.5 m²; ``245.98亩`` is ± 0.005 亩. A number cell of an XLSX is written with the decimals of
its number format (``0.00`` -> 2) when the stored number has no more digits than the format
shows; otherwise (format ``General``, or digits the format hides) with the shortest decimal
that reads back as the stored number (``245.98``, ``12000``).

Loaded tables (:func:`load_figures`, :func:`area_field_figures`) have the columns
:data:`LOADED_COLUMNS`: ``unit`` is the ascii unit code the rest of zonemap reads, ``value``
the digits written (separators and qualifier taken out, a 万 / 亿 of the unit moved onto them:
``1.2万``), ``value_as_written`` / ``unit_as_written`` the cells exactly as they were.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import logging
import re
import unicodedata
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ..errors import DataFileError, MissingFileError, Problem, SchemaError
from ..schema import (
    AREA_FIELD_UNITS,
    AREA_QUANTITIES,
    AREA_UNITS_M2,
    FIGURE_COLUMNS,
    FIGURE_COMMENT_PREFIX,
    FIGURE_REQUIRED,
    LENGTH_QUANTITIES,
    LENGTH_UNITS_M,
    MAX_STATED_AREA_M2,
    MAX_STATED_LENGTH_M,
    QUALIFIERS,
    UNIT_FORMS,
    VALUE_MULTIPLIERS,
    ZERO_QUANTITIES,
)

__all__ = [
    "LOADED_COLUMNS",
    "XLSX_SUFFIXES",
    "area_field_figures",
    "check_figures",
    "decimals_as_written",
    "load_figures",
    "parse_values",
    "read_figures_table",
    "unit_form",
]

log = logging.getLogger(__name__)

#: Columns of a loaded registry (:func:`load_figures`, :func:`area_field_figures`), in order.
LOADED_COLUMNS = (
    *FIGURE_COLUMNS,
    "value_as_written",
    "unit_as_written",
    "bound",
    "decimals",
    "value_num",
    "unit_m2",
    "stated_m2",
    "precision_m2",
    "unit_m",
    "stated_m",
    "precision_m",
)

#: File name suffixes read as XLSX workbooks; every other file is read as CSV.
XLSX_SUFFIXES = (".xlsx", ".xlsm")

#: Ids named in a message about many features (the rest are counted).
_SHOWN_IDS = 5

#: Missing subjects given closest-id suggestions.
_SUGGESTED_SUBJECTS = 20

#: Up to this many feature ids, a missing subject is compared with all of them (see _NearIds).
_EXHAUSTIVE_IDS = 2000

_HELP_FIELDS = "give every row one field per column; quote a field holding a comma"
_HELP_VALUE = 'write the number as in the source: "245.98", "1.2万", "12,000", "约6.7", "6.7以上"'


def _exponent(multiplier: int) -> int:
    text = str(multiplier)
    if text.rstrip("0") != "1":
        raise ValueError(f"multiplier {multiplier} is not a power of ten")  # pragma: no cover - schema bug
    return len(text) - 1


def _unit_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def _build_unit_lookup() -> dict[str, tuple[str, int]]:
    lookup: dict[str, tuple[str, int]] = {}
    for written, form in UNIT_FORMS.items():
        key, value = _unit_key(written), (form.code, _exponent(form.multiplier))
        if lookup.setdefault(key, value) != value:  # pragma: no cover - schema bug
            raise ValueError(f"unit forms {written!r} and another read the same but differ")
    return lookup


_UNIT_LOOKUP = _build_unit_lookup()
_UNIT_CODE = {k: v[0] for k, v in _UNIT_LOOKUP.items()}
_MULT_EXP = {w: _exponent(m) for w, m in VALUE_MULTIPLIERS.items()}
_AREA_FORMS = [w for w, f in UNIT_FORMS.items() if f.code in AREA_UNITS_M2]
_LENGTH_FORMS = [w for w, f in UNIT_FORMS.items() if f.code in LENGTH_UNITS_M]


def _alternation(words: Collection[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_BEFORE = _alternation([w for w, q in QUALIFIERS.items() if q.placement == "before"])
_AFTER = _alternation([w for w, q in QUALIFIERS.items() if q.placement == "after"])
_VALUE = re.compile(
    rf"^(?P<pre>{_BEFORE})?(?P<sign>[-−])?"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    rf"(?P<mid>{_AFTER})?(?P<mult>{_alternation(VALUE_MULTIPLIERS)})?"
    rf"(?P<unit>(?i:{_alternation({unicodedata.normalize('NFKC', w) for w in UNIT_FORMS})}))?(?P<post>{_AFTER})?$"
)


def unit_form(text: str) -> tuple[str, int] | None:
    """The ascii unit code and power-of-ten multiplier of a unit as written.

    Parameters
    ----------
    text
        A unit as written: ``"万平方米"``, ``"㎡"``, ``"KM²"``, ``"mu"``.

    Returns
    -------
    tuple of (str, int) or None
        ``("m2", 10000)`` for ``"万平方米"``; ``None`` for an unknown unit.
    """
    found = _UNIT_LOOKUP.get(_unit_key(text))
    return None if found is None else (found[0], 10 ** found[1])


def decimals_as_written(text: str) -> int:
    """Count the digits after the decimal point as written.

    Parameters
    ----------
    text
        A number as written in the source, e.g. ``"245.98"`` or ``"1.2万"``.

    Returns
    -------
    int
        ``2`` for ``"245.98"``, ``0`` for ``"2780"`` and ``"12,000"``, ``1`` for ``"1.2万"``.
    """
    _, _, frac = unicodedata.normalize("NFKC", text).partition(".")
    return len(re.match(r"[0-9]*", frac).group())  # type: ignore[union-attr]  # always matches


def _arrow_text(values: pd.Series) -> pa.Array:
    """A column as an Arrow string array (non-text cells as their ``str``, missing as ``""``)."""
    if not pd.api.types.is_string_dtype(values.dtype) or values.isna().any():
        values = values.astype(object).where(values.notna(), "").astype(str)
    return pa.array(values, type=pa.large_string(), from_pandas=True)


def _series(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """An Arrow string array as a pandas ``str`` column, without a copy per value."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string())), index=index).astype(str)


def _text(word: str) -> pa.Scalar:
    return pa.scalar(word, pa.large_string())


def _field(match: pa.StructArray, name: str) -> pa.Array:
    return pc.fill_null(pc.struct_field(match, name), _text(""))


def parse_values(values: pd.Series) -> pd.DataFrame:
    """Read numbers as planners write them, all at once (Arrow string kernels, RE2).

    Parameters
    ----------
    values
        Text cells (``"约1.2万"``, ``"12，000"``, ``"６.７以上"``, ``"245.98"``).

    Returns
    -------
    pandas.DataFrame
        Same index, columns ``ok`` (the text is a number in a form zonemap reads),
        ``qualifier`` (the qualifier word written in the value, ``""`` if none), ``digits``
        (ascii, without separators or sign), ``decimals`` (digits after the point),
        ``multiplier_word`` (``万`` / ``亿`` / ``""``), ``exponent`` (its power of ten),
        ``unit`` (a unit written after the number, ``245.98亩``; ``""`` if none), ``negative``
        (written with a minus sign) and ``two_qualifiers`` (more than one qualifier word in
        one value).
    """
    text = pc.replace_substring_regex(pc.utf8_normalize(_arrow_text(values), "NFKC"), r"\s+", "")
    m = pc.extract_regex(text, _VALUE.pattern)
    matched = pc.is_valid(m).to_numpy(zero_copy_only=False)
    pre, mid, post = (_field(m, k) for k in ("pre", "mid", "post"))
    n_words = sum(pc.not_equal(w, "").to_numpy(zero_copy_only=False).astype(int) for w in (pre, mid, post))
    qualifier = pc.if_else(pc.not_equal(pre, ""), pre, pc.if_else(pc.not_equal(mid, ""), mid, post))
    digits = pc.replace_substring(_field(m, "num"), ",", "")
    point = pc.find_substring(digits, ".").to_numpy(zero_copy_only=False)
    length = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
    mult = _field(m, "mult")
    exponent = np.zeros(len(values), dtype=np.int64)
    for word, exp in _MULT_EXP.items():
        exponent[pc.equal(mult, word).to_numpy(zero_copy_only=False)] = exp
    return pd.DataFrame(
        {
            "ok": matched & (n_words <= 1),
            "qualifier": _series(qualifier, values.index),
            "digits": _series(digits, values.index),
            "decimals": np.where(point >= 0, length - point - 1, 0).astype(np.int64),
            "multiplier_word": _series(mult, values.index),
            "unit": _series(_field(m, "unit"), values.index),
            "exponent": exponent,
            "negative": pc.not_equal(_field(m, "sign"), "").to_numpy(zero_copy_only=False),
            "two_qualifiers": matched & (n_words > 1),
        },
        index=values.index,
    )


# --------------------------------------------------------------------------- reading files


_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode a CSV: UTF-8 (with or without BOM) first, then GB18030 (GBK), both strict."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataFileError(f"{path}: the table is UTF-16 (Excel's 'Unicode Text'), not a CSV zonemap reads "
                            "(fix: in Excel save as 'CSV UTF-8 (Comma delimited)', or save as .xlsx)")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DataFileError(
                f"{path}: starts with a UTF-8 byte-order mark but byte {exc.start + 3} (0x{data[exc.start + 3]:02x}) "
                "is not UTF-8 (fix: re-save the table as 'CSV UTF-8' from Excel or as UTF-8 from the editor)"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path}: neither UTF-8 (byte {utf8_error.start}: 0x{data[utf8_error.start]:02x}) nor GBK/GB18030 "
            f"(byte {exc.start}: 0x{data[exc.start]:02x}) (fix: save the table as 'CSV UTF-8' from Excel, "
            "or as UTF-8 from the editor)"
        ) from None
    odd = _PRIVATE_USE.search(text)
    if odd is not None:  # GBK's user-defined rows: what bytes of another encoding read as GBK often land on
        raise DataFileError(
            f"{path}: not UTF-8 (byte {utf8_error.start}), and read as GBK it holds a private-use character at "
            f"character {odd.start()}: the encoding is neither (fix: save the table as 'CSV UTF-8')"
        )
    log.info("%s: read as GBK/GB18030 (not UTF-8)", path)
    return text, "gb18030"


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
        raise DataFileError(f"{path}: the table is empty (fix: the first row names the columns "
                            f"{', '.join(FIGURE_COLUMNS)})")
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
        raise DataFileError(f"{path}: not a readable XLSX workbook ({exc}) (fix: open it in Excel and save it "
                            "again as .xlsx, or export the sheet as 'CSV UTF-8')") from None
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
        raise DataFileError(f"{path}: sheet {ws.title!r} is empty (fix: the first row names the columns "
                            f"{', '.join(FIGURE_COLUMNS)})")
    (_, header), rows = records[0], records[1:]
    while header and not header[-1].strip():
        header = header[:-1]
    width = len(header)
    for n, fields in rows:
        if any(s.strip() for s in fields[width:]):
            raise DataFileError(f"{path}: sheet {ws.title!r} row {n} has a value right of the last named column "
                                "(fix: name the column in the first row, or delete the value)")
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
            raise SchemaError(f"{p}: column {i + 1} has no name in the header but row {row} has a value in it "
                              "(fix: name the column, or delete its values)")
    keep = [i for i, c in enumerate(columns) if c]  # unnamed empty columns (a trailing comma) are dropped
    columns, rows = [columns[i] for i in keep], [(n, [f[i] for i in keep]) for n, f in rows]
    dupes = sorted({c for c in columns if columns.count(c) > 1 and c})
    if dupes:
        raise SchemaError(f"{p}: column(s) {', '.join(dupes)} named more than once (fix: keep one of each)")
    required = [c for c in FIGURE_REQUIRED if not (c == "town" and default_town is not None)]
    missing = [c for c in required if c not in columns]
    if missing:
        sep = next((s for s in (";", "\t", "|") if len(columns) == 1 and s in columns[0]), None)
        how = (f"separate the columns with commas, not {sep!r}" if sep else
               f"the header must name {', '.join(FIGURE_COLUMNS)}")
        raise SchemaError(f"{p}: missing column(s) {', '.join(missing)} (fix: {how})")
    df = pd.DataFrame([f for _, f in rows], columns=columns, dtype=str,
                      index=pd.Index([n for n, _ in rows], name="row"))
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


# --------------------------------------------------------------------------- deriving numbers


def _isin(column: pd.Series, values: Collection[Any]) -> NDArray[np.bool_]:
    """``column.isin(values)`` for text, vectorized in Arrow (pandas builds one scalar per value)."""
    if isinstance(values, pa.Array):
        value_set = values
    elif isinstance(values, pd.Series):
        value_set = _arrow_text(values)
    else:
        value_set = pa.array([str(v) for v in values], type=pa.large_string())
    return pc.is_in(_arrow_text(column), value_set=value_set).to_numpy(zero_copy_only=False)


def _per_value(column: pd.Series, *fns: Any) -> list[NDArray[Any]]:
    """Each ``fn`` of each cell, computed once per distinct value (units, quantities, qualifiers)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    return [np.asarray([fn(u) for u in uniques], dtype=object)[codes] if len(uniques)
            else np.zeros(0, dtype=object) for fn in fns]


def _unit_of(written: Any) -> tuple[str, int]:
    return _UNIT_LOOKUP.get(_unit_key(str(written)), ("", 0))


def _unit_id(written: Any) -> str:
    """What a written unit means, as one comparable text (``万平方米`` -> ``m2 x10^4``)."""
    code, exp = _unit_of(written)
    return f"{code} x10^{exp}"


def _unit_written(df: pd.DataFrame, parsed: pd.DataFrame) -> pd.Series:
    """The unit column, or where it is empty the unit written in the value (``245.98亩``)."""
    if "unit" not in parsed.columns:
        return df["unit"]
    return df["unit"].mask(df["unit"] == "", parsed["unit"])


def _derive(df: pd.DataFrame, parsed: pd.DataFrame) -> pd.DataFrame:
    """Numbers of a registry table from its parsed values and units (no checks)."""
    exp_word = {e: w for w, e in _MULT_EXP.items()}
    unit_written = _unit_written(df, parsed)
    code, unit_exp_o, unit_word_o, area_factor, length_factor = _per_value(
        unit_written,
        lambda u: _unit_of(u)[0],
        lambda u: _unit_of(u)[1],
        lambda u: exp_word.get(_unit_of(u)[1], ""),
        lambda u: float(AREA_UNITS_M2.get(_unit_of(u)[0], np.nan)),
        lambda u: float(LENGTH_UNITS_M.get(_unit_of(u)[0], np.nan)),
    )
    unit_exp = unit_exp_o.astype(np.int64)
    exp = parsed["exponent"].to_numpy(dtype=np.int64) + unit_exp
    negative = parsed["negative"].to_numpy(dtype=bool)
    usable = parsed["ok"].to_numpy(dtype=bool) & (code != "")
    digits = pa.array(parsed["digits"], type=pa.large_string(), from_pandas=True)
    sign = pa.array(np.where(negative, "-", ""), type=pa.large_string()) if negative.any() else _text("")
    literal = digits
    if negative.any() or exp.any():  # the common plain case ("245.98") is parsed as it is
        exp_text = pc.cast(pa.array(exp), pa.large_string())
        literal = pc.binary_join_element_wise(sign, digits, _text("e"), exp_text, _text(""))
    literal = pc.if_else(pa.array(usable), literal, _text("nan"))
    value_num = pc.cast(literal, pa.float64()).to_numpy(zero_copy_only=False)
    decimals = parsed["decimals"].to_numpy(dtype=np.int64)
    half_step = 0.5 * 10.0 ** (exp - decimals).astype(float)
    is_area, is_length = (a.astype(bool) for a in _per_value(
        df["quantity"], lambda q: q in AREA_QUANTITIES, lambda q: q in LENGTH_QUANTITIES))
    unit_m2 = np.where(is_area, area_factor.astype(float), np.nan)
    unit_m = np.where(is_length, length_factor.astype(float), np.nan)
    unit_word = pa.array(unit_word_o, pa.large_string())
    mult_word = pc.if_else(pa.array(unit_exp > 0), unit_word,
                           pa.array(parsed["multiplier_word"], type=pa.large_string(), from_pandas=True))
    written = pa.array(df["value"], type=pa.large_string(), from_pandas=True)
    if negative.any() or pc.any(pc.not_equal(mult_word, "")).as_py():
        digits = pc.binary_join_element_wise(sign, digits, mult_word, _text(""))
    value = pc.if_else(pa.array(usable), digits, written)
    qualifier = df["qualifier"].mask(df["qualifier"] == "", parsed["qualifier"])
    out = df.copy()
    out["value_as_written"] = df["value"]
    out["unit_as_written"] = unit_written
    out["value"] = _series(value, df.index)
    out["unit"] = pd.Series(np.where(code != "", code, unit_written.to_numpy(dtype=object)), index=df.index, dtype=str)
    out["qualifier"] = qualifier
    (bound,) = _per_value(qualifier, lambda q: QUALIFIERS[q].bound if q in QUALIFIERS else "")
    out["bound"] = pd.Series(bound, index=df.index, dtype=str)
    out["decimals"] = decimals
    out["value_num"] = value_num
    out["unit_m2"] = unit_m2
    out["stated_m2"] = value_num * unit_m2
    out["precision_m2"] = half_step * unit_m2
    out["unit_m"] = unit_m
    out["stated_m"] = value_num * unit_m
    out["precision_m"] = half_step * unit_m
    out["_unit_exp"] = unit_exp
    return out


def _where(df: pd.DataFrame) -> list[str]:
    rows = df.index if df.index.name == "row" else pd.RangeIndex(2, len(df) + 2)
    return [f"row {r} (figure {f or '?'})" for r, f in zip(rows.tolist(), df["figure_id"].tolist(), strict=True)]


def _cycles(ids: pd.Series, parents: pd.Series) -> list[list[int]]:
    """Positions on each ``part_of`` cycle (self, 2-, 3- and longer), each cycle once."""
    first = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    first = first[~first.index.duplicated()]
    nxt = first.reindex(parents.to_numpy()).fillna(-1).to_numpy(dtype=np.int64, copy=True)
    nxt[(parents == "").to_numpy()] = -1
    alive = nxt >= 0
    indeg = np.bincount(nxt[alive], minlength=len(ids))
    while True:  # peel every node nothing points to; what remains lies on cycles
        gone = alive & (indeg == 0)
        if not gone.any():
            break
        alive &= ~gone
        np.subtract.at(indeg, nxt[gone], 1)
    cycles, seen = [], set()
    for start in np.flatnonzero(alive).tolist():
        if start in seen:
            continue
        cycle, node = [], start
        while node not in seen:
            seen.add(node)
            cycle.append(node)
            node = int(nxt[node])
        cycles.append(cycle)
    return cycles


def _id_array(ids: Collection[Any]) -> pa.Array:
    """Feature ids as an Arrow string array (ids that are not ``str`` as their ``str``)."""
    try:
        return pa.array(list(ids), type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([str(i) for i in ids], type=pa.large_string())


class _NearIds:
    """Closest ids to a misspelt one. Among many ids (more than :data:`_EXHAUSTIVE_IDS`) only
    those sorting next to it, forwards or by their reversed spelling, are compared: a typo
    keeps either the beginning or the end of an id, and comparing a million ids takes a minute.
    """

    def __init__(self, ids: pa.Array) -> None:
        arr = pc.unique(ids)
        self.forwards = pc.array_sort_indices(arr)
        self.ids = arr.take(self.forwards).to_numpy(zero_copy_only=False)
        if len(arr) > _EXHAUSTIVE_IDS:
            backwards = pc.utf8_reverse(arr)
            self.backwards = backwards.take(pc.array_sort_indices(backwards)).to_numpy(zero_copy_only=False)
        else:
            self.backwards = None

    def closest(self, subject: str) -> str:
        pool = self.ids
        if self.backwards is not None:
            w = _EXHAUSTIVE_IDS // 4
            at = int(np.searchsorted(self.ids, subject))
            back = int(np.searchsorted(self.backwards, subject[::-1]))
            pool = [*self.ids[max(at - w, 0):at + w], *(i[::-1] for i in self.backwards[max(back - w, 0):back + w])]
        return _closest(subject, pool)


def _closest(subject: str, ids: Collection[str]) -> str:
    """`` (closest: a, b)`` by difflib's ratio (ties in id order), or ``""`` when none is close."""
    matcher = difflib.SequenceMatcher(b=subject)
    scored = []
    for candidate in set(ids):
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6 and matcher.ratio() >= 0.6:
            scored.append((-matcher.ratio(), candidate))
    near = [c for _, c in sorted(scored)[:3]]
    return f" (closest: {', '.join(near)})" if near else ""


def _problems(
    df: pd.DataFrame,
    d: pd.DataFrame,
    parsed: pd.DataFrame,
    path: str,
    feature_ids: Collection[str] | None,
    towns: Collection[str] | None,
    ids_from: str | None,
) -> list[Problem]:
    where = _where(df)
    found: list[tuple[int, Problem]] = []

    def bad(mask: Any, message: Any, hint: str) -> None:
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)).tolist():
            text = message(i) if callable(message) else message
            found.append((i, Problem(path, where[i], text, hint)))

    val, unit, qty = df["value"].to_numpy(dtype=object), df["unit"].to_numpy(dtype=object), df["quantity"]
    for col in FIGURE_REQUIRED:
        cells = _unit_written(df, parsed) if col == "unit" else df[col]
        bad(cells == "", f"empty {col}", f"fill in {col}")
    in_unit = parsed["unit"]
    (unit_ids,) = _per_value(df["unit"], _unit_id)
    (value_unit_ids,) = _per_value(in_unit, _unit_id)
    bad((df["unit"] != "").to_numpy() & (in_unit != "").to_numpy() & (unit_ids != value_unit_ids),
        lambda i: f"unit {in_unit.iat[i]!r} in the value and {df['unit'].iat[i]!r} in column unit disagree",
        "keep the one the source uses, in one place")
    has_value = (df["value"] != "").to_numpy()
    ok = parsed["ok"].to_numpy()
    bad(has_value & ~ok & ~parsed["two_qualifiers"].to_numpy(),
        lambda i: f"value {val[i]!r} is not a number as a source writes it", _HELP_VALUE)
    bad(parsed["two_qualifiers"], lambda i: f"value {val[i]!r} has more than one qualifier word",
        "keep the one the source uses")
    known_unit = _isin(d["unit"], [*AREA_UNITS_M2, *LENGTH_UNITS_M])
    is_area, is_length = _isin(qty, AREA_QUANTITIES), _isin(qty, LENGTH_QUANTITIES)
    bad(is_area & (df["unit"] != "") & ~_isin(d["unit"], AREA_UNITS_M2),
        lambda i: f"unknown area unit {unit[i]!r}", f"use one of {', '.join(_AREA_FORMS)}")
    bad(is_length & (df["unit"] != "") & ~_isin(d["unit"], LENGTH_UNITS_M),
        lambda i: f"unknown length unit {unit[i]!r}", f"use one of {', '.join(_LENGTH_FORMS)}")
    bad(~is_area & ~is_length & (qty != ""), lambda i: f"unknown quantity {qty.iat[i]!r}",
        f"use one of {', '.join(sorted(AREA_QUANTITIES | LENGTH_QUANTITIES))}")
    bad(ok & (parsed["exponent"].to_numpy() > 0) & (d["_unit_exp"].to_numpy() > 0),
        lambda i: f"value {val[i]!r} and unit {unit[i]!r} both carry a multiplier (万 / 亿)",
        'write the multiplier once: "1.2" with 万平方米, or "1.2万" with 平方米')
    qual_col = df["qualifier"]
    bad(~_isin(qual_col, QUALIFIERS), lambda i: f"unknown qualifier {qual_col.iat[i]!r}",
        f"use one of {', '.join(repr(q) for q in QUALIFIERS)}")
    in_value = parsed["qualifier"]
    bad((qual_col != "") & (in_value != "") & (qual_col != in_value),
        lambda i: f"qualifier {in_value.iat[i]!r} in the value and {qual_col.iat[i]!r} in column qualifier disagree",
        "keep the one the source uses, in one place")
    num = d["value_num"].to_numpy(dtype=float)
    usable = ok & known_unit
    neg = usable & parsed["negative"].to_numpy()
    bad(neg, lambda i: f"value {val[i]!r} is negative", "a stated area or length is positive: drop the minus sign")
    zero_ok = _isin(qty, ZERO_QUANTITIES)
    bad(usable & (num == 0) & ~zero_ok, lambda i: f"value {val[i]!r} is zero",
        "a stated area or length is more than zero: check the digits, or drop the row")
    bad(usable & ~neg & ~np.isfinite(num), lambda i: f"value {val[i]!r} is too large to be a number",
        "check the digits (a typo?)")
    stated_m2, stated_m = d["stated_m2"].to_numpy(dtype=float), d["stated_m"].to_numpy(dtype=float)
    bad(np.isfinite(stated_m2) & (stated_m2 > MAX_STATED_AREA_M2),
        lambda i: f"value {val[i]!r} {unit[i]} is {stated_m2[i] / 1e6:.3g} km², more than any area a figure can "
                  f"state (limit {MAX_STATED_AREA_M2 / 1e6:.0f} km²)",
        "check the digits and the unit (亩, 公顷, 平方公里)")
    bad(np.isfinite(stated_m) & (stated_m > MAX_STATED_LENGTH_M),
        lambda i: f"value {val[i]!r} {unit[i]} is {stated_m[i] / 1e3:.3g} km, more than any length a figure can "
                  f"state (limit {MAX_STATED_LENGTH_M / 1e3:.0f} km)",
        "check the digits and the unit (米, 公里)")
    if towns is not None:
        known_towns = sorted(set(towns))
        town = df["town"]
        bad((town != "") & ~_isin(town, known_towns),
            lambda i: f"unknown town {town.iat[i]!r}" + _closest(town.iat[i], known_towns),
            f"use a town id of the project: {', '.join(known_towns) or '(none declared)'}")
    ids, parents = df["figure_id"], df["part_of"]
    bad((parents != "") & ~_isin(parents, ids) & (parents != ids),
        lambda i: f"part_of {parents.iat[i]!r} is not a figure_id",
        "name the figure_id of the whole, or leave part_of empty")
    for cycle in _cycles(ids, parents):
        chain = " -> ".join([*(ids.iat[i] for i in cycle), ids.iat[cycle[0]]])
        rows = ", ".join(where[i].split(" (")[0] for i in cycle)
        message = f"part_of cycle {chain} ({rows}): no figure is the whole"
        found.append((cycle[0], Problem(path, where[cycle[0]], message,
                                        "a figure is part of a larger one: empty part_of on the outermost figure")))
    if feature_ids is not None:
        subj = df["subject"]
        id_array = _id_array(feature_ids)
        missing = (subj != "") & ~_isin(subj, id_array)
        if missing.any():
            near = _NearIds(id_array)
            first_missing = set(subj[missing].drop_duplicates().head(_SUGGESTED_SUBJECTS))
            of = f" of {ids_from}" if ids_from else ""
            bad(missing, lambda i: f"subject {subj.iat[i]!r} is not a feature id{of}"
                + (near.closest(subj.iat[i]) if subj.iat[i] in first_missing else ""),
                "use the id of a feature in the layer, exactly as written there")
    for fid in ids[ids.duplicated() & (ids != "")].unique():
        found.append((len(df), Problem(path, f"figure {fid}", "figure_id used more than once",
                                       "give each figure its own id")))
    return [p for _, p in sorted(found, key=lambda t: t[0])]


def check_figures(
    df: pd.DataFrame,
    path: Path | str,
    feature_ids: Collection[str] | None = None,
    *,
    towns: Collection[str] | None = None,
    ids_from: str | None = None,
) -> list[Problem]:
    """Check a registry table; return every problem found.

    Parameters
    ----------
    df
        Table from :func:`read_figures_table`.
    path
        Its file, for messages.
    feature_ids
        Ids of the features figures may refer to; subjects are not checked when ``None``.
        A missing subject is named with the closest ids.
    towns
        The project's town ids; the ``town`` column is not checked when ``None``.
    ids_from
        What the feature ids come from (``"parcels.shp"``), for messages.

    Returns
    -------
    list of Problem
        Empty when the table is valid: every value reads as a positive, finite,
        plausible number (at most :data:`zonemap.schema.MAX_STATED_AREA_M2` /
        ``MAX_STATED_LENGTH_M``) in a known unit, no ``part_of`` cycle, no unknown subject.
    """
    table = df.copy()
    for col in FIGURE_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    table[list(FIGURE_COLUMNS)] = table[list(FIGURE_COLUMNS)].fillna("").astype(str)
    parsed = parse_values(table["value"])
    return _problems(table, _derive(table, parsed), parsed, str(path), feature_ids, towns, ids_from)


def load_figures(
    path: Path | str,
    feature_ids: Collection[str] | None = None,
    *,
    towns: Collection[str] | None = None,
    default_town: str | None = None,
    ids_from: str | None = None,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load and check a figures table (CSV or XLSX).

    Parameters
    ----------
    path
        The table.
    feature_ids
        When given, every ``subject`` must be one of these ids.
    towns
        When given, every ``town`` must be one of these ids.
    default_town
        Fills empty (or absent) ``town`` cells: a table given for one town's file.
    ids_from
        What ``feature_ids`` come from, for messages.
    table
        The table as :func:`read_figures_table` already read it (the file is then not read again).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LOADED_COLUMNS`, one row per figure in file order: ``value`` (the
        digits written, e.g. ``1.2万``), ``value_as_written`` / ``unit_as_written`` (the
        cells as they were), ``unit`` (ascii code), ``value_num`` (float, in ``unit``),
        ``decimals`` (as written), ``bound`` (about/exact/at_least/at_most), ``unit_m2`` /
        ``stated_m2`` / ``precision_m2`` for area figures and ``unit_m`` / ``stated_m`` /
        ``precision_m`` for lengths (NaN where they do not apply). ``precision_*`` is half a
        unit of the last written digit in the unit as written.

    Raises
    ------
    SchemaError
        Listing every problem found.
    """
    df = read_figures_table(path, default_town=default_town) if table is None else table
    parsed = parse_values(df["value"])
    derived = _derive(df, parsed)
    problems = _problems(df, derived, parsed, str(path), feature_ids, towns, ids_from)
    if problems:
        raise SchemaError(f"{path}: {len(problems)} problem(s) in the figures table", problems)
    extra = [c for c in df.columns if c not in LOADED_COLUMNS]
    return derived[[*LOADED_COLUMNS, *extra]].reset_index(drop=True)


# --------------------------------------------------------------------------- a layer's own attribute


def _field_unit(field: str) -> tuple[str, str] | None:
    """(unit code, form as written) from a field name: 面积亩 -> mu, TBMJ -> m2, area_ha -> ha."""
    upper = unicodedata.normalize("NFKC", field).strip().upper()
    if upper in AREA_FIELD_UNITS:
        return AREA_FIELD_UNITS[upper], AREA_FIELD_UNITS[upper]
    key = _unit_key(field)
    tokens = set(re.findall(r"[a-z0-9]+", key))
    forms = {_unit_key(w): w for w in reversed(_AREA_FORMS)}  # key -> first written form with it
    hits = {k for k in forms if (k in tokens if k.isascii() else k in key)}
    hits = {k for k in hits if not any(k != o and k in o for o in hits)}  # 万亩 over 亩
    if len({_UNIT_LOOKUP[k] for k in hits}) != 1:
        return None  # no unit word, or two that disagree (面积亩公顷)
    k = min(hits)
    return _UNIT_CODE[k], forms[k]


def _fixed_text(nums: NDArray[np.float64], decimals: int) -> pd.Series:
    """Positive numbers written with ``decimals`` decimals (``245.98``, ``12.50``), vectorized."""
    scaled = np.rint(nums * 10.0**decimals)
    if decimals > 15 or (len(nums) and scaled.max() >= 2.0**53):  # beyond exact integers: numpy's own formatting
        return pd.Series(np.char.mod(f"%.{decimals}f", nums)).astype(str)
    ints = pc.cast(pa.array(scaled.astype(np.int64)), pa.large_string())
    if decimals == 0:
        return _series(ints, pd.RangeIndex(len(nums)))
    padded = pc.utf8_lpad(ints, decimals + 1, "0")
    text = pc.binary_join_element_wise(pc.utf8_slice_codeunits(padded, 0, -decimals),
                                       pc.utf8_slice_codeunits(padded, -decimals, 2**31 - 1), _text("."))
    return _series(text, pd.RangeIndex(len(nums)))


def _ids_text(ids: pd.Series, mask: Any) -> str:
    bad = ids[np.asarray(mask, dtype=bool)]
    shown = ", ".join(bad.head(_SHOWN_IDS).astype(str))
    more = len(bad) - _SHOWN_IDS
    return f"{shown}{f' and {more} more' if more > 0 else ''} ({len(bad)} feature(s))"


def area_field_figures(
    layer: pd.DataFrame,
    field: str,
    *,
    id_column: str = "id",
    unit: str | None = None,
    decimals: int | None = None,
    town: str = "",
    source: str = "",
) -> pd.DataFrame:
    """A layer's own area attribute as stated figures, one per feature, in the loaded-registry format.

    Parameters
    ----------
    layer
        The features (a GeoDataFrame or any DataFrame) with ``id_column`` and ``field``.
    field
        The attribute holding each feature's stated area (``面积亩``, ``TBMJ``...).
    id_column
        The feature id column; each figure's ``subject``.
    unit
        The unit as written (``亩``, ``公顷``, ``m2``, ``万平方米``...). ``None``: from the field
        name (``亩`` / ``mu`` -> mu; ``公顷`` / ``ha`` -> ha; ``平方米`` / ``㎡`` / ``m2`` -> m2;
        ``平方公里`` / ``km2`` -> km2; the 三调 fields TBMJ, MJ, KCMJ, TBDLMJ -> m2).
    decimals
        Decimals of a numeric field as declared (a DBF ``N(18,2)`` is 2) or as the user says
        (``--area-decimals``); the precision is half a unit of that digit. Required for a
        float column unless every value is a whole number (then 0). A text column keeps
        its written digits and ignores this.
    town
        Town id of every figure.
    source
        The layer's file, the figures' ``source`` (and the file named in messages).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LOADED_COLUMNS`: ``figure_id`` ``f"{id}:{field}"``, ``subject`` the id,
        ``quantity`` ``area``, ``value`` the digits, ``quote`` ``f"{field}={value}"``.

    Raises
    ------
    SchemaError
        If the field or id column is missing, the unit or decimals cannot be known, or a
        value is empty, unreadable, not positive or implausibly large (naming the features).
    """
    where = source or "layer"
    if field not in layer.columns:
        near = difflib.get_close_matches(field, [str(c) for c in layer.columns], n=3)
        raise SchemaError(f"{where}: no attribute {field!r} (fix: name one of the layer's attributes"
                          f"{': ' + ', '.join(near) if near else ''})")
    if id_column not in layer.columns:
        raise SchemaError(f"{where}: no id column {id_column!r} (fix: name the id attribute)")
    if unit is not None:
        found = _UNIT_LOOKUP.get(_unit_key(unit))
        if found is None or found[0] not in AREA_UNITS_M2:
            raise SchemaError(f"{where}: unknown area unit {unit!r} (fix: --area-unit one of {', '.join(_AREA_FORMS)})")
        unit_written = unit
    else:
        guessed = _field_unit(field)
        if guessed is None:
            raise SchemaError(f"{where}: the unit of attribute {field!r} is not in its name "
                              f"(fix: --area-unit 亩, 公顷 or 平方米)")
        unit_written = guessed[1]
    ids = layer[id_column].astype(str).reset_index(drop=True)
    col = layer[field].reset_index(drop=True)
    n = len(col)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        nums = col.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(nums)
        if decimals is None:
            if pd.api.types.is_integer_dtype(col) or np.all(nums[finite] == np.round(nums[finite])):
                decimals = 0
            else:
                raise SchemaError(f"{where}: attribute {field!r} holds decimals but how many the source wrote is not "
                                  "known (fix: --area-decimals N, the field's declared decimals, e.g. 2 for N(18,2))")
        if decimals < 0:
            raise SchemaError(f"{where}: decimals {decimals} is negative (fix: --area-decimals 0 or more)")
        bad = ~finite | (nums <= 0)
        if bad.any():
            raise SchemaError(f"{where}: attribute {field!r} is empty, zero or negative for "
                              f"{_ids_text(ids, bad)} (fix: fill in the stated area, or leave those features out)")
        text = _fixed_text(nums, decimals)
        parsed = pd.DataFrame({
            "ok": np.ones(n, dtype=bool), "qualifier": "", "digits": text,
            "decimals": np.full(n, decimals, dtype=int), "multiplier_word": "",
            "exponent": np.zeros(n, dtype=int), "negative": np.zeros(n, dtype=bool),
            "two_qualifiers": np.zeros(n, dtype=bool),
        })
        written = text
    else:
        written = col.astype(object).where(col.notna(), "").astype(str).str.strip()
        parsed = parse_values(written)
        empty = (written == "").to_numpy()
        if empty.any():
            raise SchemaError(f"{where}: attribute {field!r} is empty for {_ids_text(ids, empty)} "
                              "(fix: fill in the stated area, or leave those features out)")
        unread = ~parsed["ok"].to_numpy()
        if unread.any():
            example = written[unread].iat[0]
            raise SchemaError(f"{where}: attribute {field!r} is not a number ({example!r}...) for "
                              f"{_ids_text(ids, unread)} (fix: {_HELP_VALUE})")
        (value_units,) = _per_value(parsed["unit"], _unit_id)
        other = (parsed["unit"] != "").to_numpy() & (value_units != _unit_id(unit_written))
        if other.any():
            example = written[other].iat[0]
            raise SchemaError(f"{where}: attribute {field!r} is in {unit_written} but {example!r} names another unit, "
                              f"for {_ids_text(ids, other)} (fix: --area-unit, or one unit in the whole attribute)")
    table = pd.DataFrame({
        "figure_id": ids + f":{field}", "town": town, "subject": ids, "quantity": "area", "value": written,
        "unit": unit_written, "qualifier": "", "source": source, "quote": f"{field}=" + written,
        "part_of": "", "notes": "",
    })
    d = _derive(table, parsed)
    num = d["value_num"].to_numpy(dtype=float)
    nonpos = parsed["negative"].to_numpy() | (num <= 0)
    if nonpos.any():
        raise SchemaError(f"{where}: attribute {field!r} is zero or negative for {_ids_text(ids, nonpos)} "
                          "(fix: fill in the stated area, or leave those features out)")
    stated = d["stated_m2"].to_numpy(dtype=float)
    absurd = ~np.isfinite(stated) | (stated > MAX_STATED_AREA_M2)
    if absurd.any():
        raise SchemaError(f"{where}: attribute {field!r} in {unit_written} states more than "
                          f"{MAX_STATED_AREA_M2 / 1e6:.0f} km² for {_ids_text(ids, absurd)} "
                          "(fix: check the values and the unit, --area-unit)")
    dupes = ids.duplicated()
    if dupes.any():
        raise SchemaError(f"{where}: id {ids[dupes].iat[0]!r} names more than one feature "
                          f"({int(dupes.sum())} repeated id(s)) (fix: give each feature its own id)")
    return d[list(LOADED_COLUMNS)]
