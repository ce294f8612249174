"""Data text made safe for each kind of output (private; the public names are re-exported).

Text from the data (names, quotes, notes, paths) is shown literally everywhere:

* terminal and error messages: control characters (C0, DEL, C1), bidirectional controls and
  unpaired surrogates are shown as escapes (``\\x1b``, ``\\u202e``) so they cannot move the cursor,
  retitle a window or reorder what is displayed (:func:`safe_text`);
* Markdown: every character a renderer could read as syntax is backslash-escaped, ``<`` ``>`` ``&``
  become entities, so no link, image, emphasis or HTML comes out of data (:func:`md_escape`);
* CSV: a text cell starting with ``=`` ``+`` ``-`` ``@`` TAB or CR (or their full-width forms, or
  quotes before one) gets a leading ``'`` (OWASP "CSV injection"), unless it is a plain decimal
  number, which a spreadsheet reads as that number and never as a formula
  (:func:`neutralise_csv_series`; :func:`restore_csv_series` reads it back exactly);
* XLSX: characters XML 1.0 cannot hold (``openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE``) and unpaired
  surrogates are written as visible escapes (:func:`xlsx_text`).

A backslash already in the data is left as it is (paths stay readable), so ``\\x1b`` in an output can
mean either the escape character or those four characters typed; the machine formats (CSV, JSON,
GeoJSON) keep the exact text.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_START",
    "escape_char",
    "md_escape",
    "md_escape_series",
    "neutralise_csv_series",
    "restore_csv_series",
    "safe_text",
    "unsafe_chars",
    "unsafe_pattern",
    "unsafe_xlsx_pattern",
    "xlsx_text",
]

#: Bidirectional formatting characters: embeddings/overrides, isolates, marks, the Arabic letter mark.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"

# Characters shown escaped in terminal output: C0 except TAB and LF, DEL, C1, bidi controls,
# line/paragraph separators, unpaired surrogates.
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")
# The same, with TAB and LF too (table cells and one-line fields).
_UNSAFE_ONELINE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP), with the
#: full-width forms a Chinese input method types.
FORMULA_START = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
# Also text already starting with quotes before such a character, so that reading back is exact.
_FORMULA_RE = f"^'*[{re.escape(FORMULA_START)}]"
# A cell that is just a decimal number ("-3.5", "+12", "-1e3"): a spreadsheet reads it as that
# number (no formula), so it is left as written.
_PLAIN_NUMBER_RE = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"

# XML 1.0 cannot hold these (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE, unpaired surrogates, U+FFFE/U+FFFF);
# a lone CR would be read back as LF (XML end-of-line handling), so it is shown as an escape too.
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|\r(?!\n)")
# Excel reads _xHHHH_ in a cell as the character U+HHHH (ECMA-376 ST_Xstring); "_x005F" escapes the "_".
_XLSX_XSTRING = re.compile("_(x[0-9A-Fa-f]{4}_)")

# One pass: inline punctuation backslash-escaped, < > & as entities, line breaks and TAB as a space, and a
# word joiner after @ (GFM links a@b.cn whatever the escapes; an invisible U+2060 stops it).
_MD_TRANSLATE = str.maketrans(
    {
        **{c: "\\" + c for c in "\\`*_{}[]!|~:$"},
        "@": "\\@\u2060",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\r": " ",
        "\n": " ",
        "\t": " ",
    }
)
_MD_WWW = re.compile(r"(?i)(www)\.")
# At the start of a paragraph: headings, lists, block quotes, setext underlines, thematic breaks.
_MD_BLOCK_START = re.compile(r"^(\s*)([#+=\-]|\d+[.)])")


def escape_char(ch: str) -> str:
    """The visible escape of one character: ``\\x1b``, ``\\u202e``, ``\\U0001f600``."""
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape_match(m: re.Match[str]) -> str:
    return escape_char(m.group(0))


def safe_text(text: object, *, one_line: bool = False) -> str:
    """Text with control, bidi and unpaired-surrogate characters shown as escapes.

    Parameters
    ----------
    text
        Anything; converted with ``str``.
    one_line
        Also escape TAB and LF (for a table cell or a one-line field).

    Returns
    -------
    str
        Safe to print to a terminal: ``"a\\x1b[2Jb"`` becomes ``"a\\\\x1b[2Jb"`` (shown as ``a\\x1b[2Jb``).
    """
    s = text if isinstance(text, str) else str(text)
    return (_UNSAFE_ONELINE if one_line else _UNSAFE).sub(_escape_match, s)


def unsafe_chars(text: str, *, allow_newlines: bool = False) -> list[tuple[int, str]]:
    """Positions and characters of ``text`` that :func:`safe_text` would escape.

    Parameters
    ----------
    text
        The text.
    allow_newlines
        Accept TAB and LF (multi-line fields such as notes and quotes).

    Returns
    -------
    list of (int, str)
        ``(index, character)`` for each unsafe character, in order.
    """
    pattern = _UNSAFE if allow_newlines else _UNSAFE_ONELINE
    return [(m.start(), m.group(0)) for m in pattern.finditer(text)]


def unsafe_pattern(*, allow_newlines: bool = False) -> str:
    """The regular expression (text) matching what :func:`unsafe_chars` reports, for pandas string methods."""
    return (_UNSAFE if allow_newlines else _UNSAFE_ONELINE).pattern


def md_escape(text: object, *, cell: bool = True) -> str:
    """Text for a Markdown document: shown literally by any renderer, never a link, image or markup.

    Control and bidi characters become visible escapes, line breaks a space, inline Markdown
    punctuation is backslash-escaped and ``<``, ``>``, ``&`` become entities; a dot after ``www`` is
    escaped so GFM does not autolink a bare address, and an ``@`` is followed by an invisible word joiner
    (U+2060), the one way to stop GFM linking ``a@b.cn``. ``"![t](http://x/b.png)"`` renders as that text.

    Parameters
    ----------
    text
        Anything; converted with ``str``.
    cell
        For a table cell (block syntax cannot start there). ``False`` for a paragraph: a leading
        ``#``, ``-``, ``+``, ``=`` or ``1.`` is escaped too.
    """
    s = _MD_WWW.sub(r"\1\\.", safe_text(text, one_line=False).translate(_MD_TRANSLATE))
    if not cell:
        s = _MD_BLOCK_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], s)
    return s


def md_escape_series(col: pd.Series) -> pd.Series:
    """:func:`md_escape` (table cells) of every value of a column, column-wise with pandas string methods."""
    values = col.to_numpy(dtype=object)
    strings = np.array([str(v) for v in values.tolist()], dtype=object)  # numpy str arrays drop trailing NULs
    strings[pd.isna(values)] = ""
    text = pd.Series(strings, index=col.index, dtype=object)
    hit = text.str.contains(_UNSAFE.pattern, regex=True, na=False).to_numpy(dtype=bool)
    if hit.any():
        text[hit] = [safe_text(v) for v in text[hit]]
    text = text.str.translate(_MD_TRANSLATE)
    www = text.str.contains("www.", case=False, regex=False, na=False).to_numpy(dtype=bool)
    if www.any():
        text[www] = text[www].str.replace(_MD_WWW.pattern, r"\1\\.", regex=True)
    return text


def unsafe_xlsx_pattern() -> str:
    """The regular expression (text) of what :func:`xlsx_text` changes."""
    return f"{_XLSX_ILLEGAL.pattern}|_x[0-9A-Fa-f]{{4}}_|\r"


def xlsx_text(text: str) -> str:
    """``text`` as an XLSX cell stores it, shown the same by Excel and by openpyxl.

    Characters XML cannot hold (C0 controls but TAB/LF, unpaired surrogates, U+FFFE, U+FFFF) and a
    lone CR become visible escapes (``\x0b``); CR LF becomes LF (as XML reads it anyway); a literal
    ``_x0007_`` is protected as ``_x005F_x0007_`` so Excel shows those characters, not U+0007.
    """
    text = _XLSX_XSTRING.sub(r"_x005F_\1", text)
    return _XLSX_ILLEGAL.sub(_escape_match, text).replace("\r\n", "\n")


def neutralise_csv_series(col: pd.Series) -> pd.Series:
    """A column with formula-leading text cells prefixed by ``'`` (numbers and other values unchanged).

    Parameters
    ----------
    col
        Any column. Numeric dtypes are returned as they are (``-3.5`` stays a number); in an object or
        string column only ``str`` cells are looked at, vectorized with pandas string methods.

    Returns
    -------
    pandas.Series
        The column to write.
    """
    if not (pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype)):
        return col
    if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "mixed", "mixed-integer", "mixed-integer-float"):
        return col  # no text cell (all numbers, dates, None...)
    text = col.str
    risky = text.contains(_FORMULA_RE, regex=True, na=False) & ~text.match(_PLAIN_NUMBER_RE, na=False)
    risky = risky.astype(bool).to_numpy()
    if not risky.any():
        return col
    out = col.astype(object).copy()
    out[risky] = ["'" + str(v) for v in out[risky].tolist()]
    return out


def restore_csv_series(col: pd.Series) -> pd.Series:
    """Undo :func:`neutralise_csv_series` when zonemap reads back a CSV it wrote (a figures draft).

    A text cell of quotes followed by a formula-leading character loses one ``'``; everything else is
    unchanged. Exact, since the writer also prefixes text that already began with ``'=``.
    """
    if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "mixed", "mixed-integer", "mixed-integer-float"):
        return col
    text = pd.Series(col.to_numpy(dtype=object), index=col.index, dtype=object)
    marked = text.str.contains(f"^'+[{re.escape(FORMULA_START)}]", regex=True, na=False).to_numpy(dtype=bool)
    if not marked.any():
        return col
    out = text.copy()
    out[marked] = [str(v)[1:] for v in text[marked].tolist()]
    return out
