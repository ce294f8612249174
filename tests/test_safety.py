"""Every output is safe to open and shows data text literally; interrupted writes leave nothing behind.

Random text (control and bidi characters, Markdown, HTML, spreadsheet formulas, CJK) goes through
names, quotes, sources and notes into every writer: CSV, XLSX, Markdown, HTML, JSON, GeoJSON and the
terminal. Each output is parsed back with an independent reader (csv, openpyxl, cmarkgfm - GitHub's
own Markdown renderer -, html.parser, json, rich's recorded console) and must show the text exactly,
escaped only where the format needs it, with the expected escapes written out here from the rules.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import geopandas as gpd
import pandas as pd
import pytest
from _geo import LAT0, LON0, square
from _handmade import REPORT_HTML_TAGS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from rich.console import Console

from zonemap.config import Config
from zonemap.errors import Problem, SchemaError
from zonemap.figures import load_figures
from zonemap.io import read_json, write_geojson, write_text
from zonemap.reconcile import Reconciliation, reconcile
from zonemap.report import terminal_tables, to_markdown, write_reports
from zonemap.schema import FIGURE_COLUMNS

# --------------------------------------------------------------------------- the rules, written out here

C0 = [chr(c) for c in range(0x20)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
]
#: What a person must never receive raw: C0 (a terminal may keep TAB/LF), DEL, C1, bidi, line separators.
UNSAFE = set(C0) | {"\x7f"} | set(C1) | set(BIDI) | {"\u2028", "\u2029"}


def escaped(text: str, keep: str = "") -> str:
    """Each unsafe character as \\xHH or \\uHHHH (the documented escape), except those in ``keep``."""
    out = []
    for ch in text:
        if ch in UNSAFE and ch not in keep:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def csv_cell(text: str) -> str:
    """OWASP: a text cell starting with = + - @ TAB CR (or full-width ＝＋－＠), after any quotes, gets a
    leading quote, unless it is only a decimal number."""
    if (
        text.lstrip("'")[:1] in "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
        and text.lstrip("'")
        and not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text)
    ):
        return "'" + text
    return text


def xlsx_visible(text: str) -> str:
    """What a spreadsheet must show: characters XML cannot hold and a lone CR as escapes; CR LF read as LF."""
    out = []
    for i, ch in enumerate(text):
        illegal = (ord(ch) < 0x20 and ch not in "\t\n\r") or ch in "\ufffe\uffff"
        lone_cr = ch == "\r" and text[i + 1 : i + 2] != "\n"
        shown = f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}"
        out.append(shown if illegal or lone_cr else ("" if ch == "\r" else ch))
    return "".join(out)


def xlsx_cell(text: str) -> str:
    """What the file stores: Excel decodes _xHHHH_ (ECMA-376), so literal ones are protected by _x005F."""
    return re.sub("_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", xlsx_visible(text))


def excel_reads(value: str) -> str:
    """Decode ECMA-376 ST_Xstring escapes the way Excel does when it opens the file."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


# --------------------------------------------------------------------------- random text

PAYLOADS = [
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "-3.5",
    "＝1+1",
    "![t](http://evil.example/b.png)",
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "</td></tr><script>alert(1)</script>",
    "*em* _u_ `c` ~~d~~ $x$",
    "# heading",
    "1. item",
    "a|b",
    "www.evil.example",
    "a@evil.example",
    "<http://evil.example>",
    "\x1b[2J\x1b]0;pwned\x07",
    "\u202egnp.exe",
    "[bold red]x[/]",
    "&amp; &lt;",
    "\\x1b",
    "_x0007_",
    "凤岗镇产业园",
    "面积约2.25平方公里",
    "\x0b",
    "\x00",
    "\x85",
    "\u2028",
    "  spaced  ",
    "'quoted'",
]
ALPHABET = st.sampled_from(
    [
        *C0,
        "\x7f",
        *C1[:4],
        *BIDI,
        "\u2028",
        "=",
        "+",
        "-",
        "@",
        "[",
        "]",
        "(",
        ")",
        "!",
        "*",
        "_",
        "`",
        "<",
        ">",
        "&",
        "|",
        "#",
        "~",
        "$",
        "\\",
        ":",
        ".",
        "'",
        '"',
        ",",
        ";",
        " ",
        "a",
        "Z",
        "0",
        "9",
        "凤",
        "岗",
        "亩",
        "\ufffe",
        "€",
    ]
)
TEXT = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(ALPHABET, min_size=1, max_size=12),
    st.lists(st.sampled_from(PAYLOADS), min_size=2, max_size=3).map("".join),
)


def _base() -> Reconciliation:
    common = {"town": "fenggang", "accuracy_m": 2.5, "geometry_source": "survey"}
    zones = gpd.GeoDataFrame(
        [
            common
            | {
                "id": "fg-zone-t",
                "name_zh": "区",
                "name_en": "zone",
                "kind": "zone",
                "geometry": square(LON0, LAT0, 1500.0),
            },
            common
            | {
                "id": "fg-parcel-t",
                "name_zh": "地",
                "name_en": "parcel",
                "kind": "parcel",
                "parent": "fg-zone-t",
                "geometry": square(LON0 + 0.002, LAT0 + 0.002, 300.0),
            },
        ],
        crs="EPSG:4326",
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figures.csv"
        row = {
            "figure_id": "f-zone",
            "town": "fenggang",
            "subject": "fg-zone-t",
            "quantity": "area",
            "value": "2.25",
            "unit": "km2",
            "qualifier": "约",
            "source": "s",
            "quote": "q",
            "part_of": "",
            "notes": "",
        }
        pd.DataFrame([row], columns=list(FIGURE_COLUMNS)).to_csv(path, index=False)
        return reconcile(zones, load_figures(path), Config(geodata_dir=Path(tmp)))


BASE = _base()
assert len(BASE.figures) == 1 and len(BASE.checks) >= 1


def _with_text(name: str, quote: str, source: str, notes: str) -> Reconciliation:
    figures = BASE.figures.astype({c: object for c in ("subject_name", "quote", "source", "notes")}).copy()
    figures.loc[:, "subject_name"] = name
    figures.loc[:, "quote"] = quote
    figures.loc[:, "source"] = source
    figures.loc[:, "notes"] = notes
    checks = BASE.checks.astype({"detail": object}).copy()
    checks.loc[:, "detail"] = notes
    return Reconciliation(figures, checks)


class Page(HTMLParser):
    """Tags, and the text of each table cell, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _people(text: str) -> str:
    """A cell for people (terminal, Markdown, HTML): every unsafe character, TAB and LF too, escaped."""
    return escaped(text)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=TEXT, quote=TEXT, source=TEXT, notes=TEXT)
def test_random_text_reaches_every_writer_literally(name: str, quote: str, source: str, notes: str) -> None:
    result = _with_text(name, quote, source, notes)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_reports(result, out)

        # CSV: parses with the csv module; text exactly as written, formula-leading cells neutralised
        raw = (out / "reconciliation_figures.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert len(rows) == 1
        assert rows[0]["quote"] == csv_cell(quote) and rows[0]["notes"] == csv_cell(notes)
        assert rows[0]["subject_name"] == csv_cell(name) and rows[0]["source"] == csv_cell(source)
        assert float(rows[0]["measured_m2"]) == BASE.figures["measured_m2"].iloc[0]
        checks = list(
            csv.DictReader(
                io.StringIO((out / "reconciliation_checks.csv").read_bytes().decode("utf-8-sig"), newline="")
            )
        )
        assert [r["detail"] for r in checks] == [csv_cell(notes)] * len(result.checks)

        # XLSX: opens; text cells are text (never formulas) and Excel shows the text as written
        wb = load_workbook(out / "reconciliation.xlsx")
        sheet = wb["figures"]
        header = [c.value.splitlines()[-1] for c in sheet[1]]  # bilingual: 中文 line, then the column
        for col, text in (("quote", quote), ("notes", notes), ("subject_name", name), ("source", source)):
            cell = sheet.cell(row=2, column=header.index(col) + 1)
            assert cell.data_type == "s" and cell.value == xlsx_cell(text)
            assert excel_reads(cell.value) == xlsx_visible(text)
        assert sheet.cell(row=2, column=header.index("measured_m2") + 1).data_type == "n"

        # JSON: exact text
        doc = json.loads((out / "reconciliation.json").read_text(encoding="utf-8"))
        assert doc["figures"][0]["quote"] == quote and doc["figures"][0]["subject_name"] == name
        assert doc["checks"][0]["detail"] == notes

        # HTML: only the page's own tags; each cell's text is the people's text
        page = Page()
        page.feed((out / "reconciliation.html").read_text(encoding="utf-8"))
        assert {t for t, _ in page.tags} <= REPORT_HTML_TAGS
        assert f"{_people(source)}: “{_people(quote)}”" in page.cells
        assert _people(notes) in page.cells

        # Markdown, rendered by GitHub's renderer: no link, image, emphasis, code or HTML from data
        md = (out / "reconciliation.md").read_text(encoding="utf-8")
        rendered = Page()
        rendered.feed(cmarkgfm.github_flavored_markdown_to_html(md))
        tags = {t for t, _ in rendered.tags}
        assert tags <= {"h1", "h2", "p", "table", "thead", "tbody", "tr", "th", "td"}, tags
        cells = [c.replace("\u2060", "").strip() for c in rendered.cells]
        assert f"{_people(source)}: “{_people(quote)}”".strip() in cells
        assert _people(notes).strip() in cells

        # GeoJSON through zonemap.io: exact text, read back by zonemap's own reader and by json
        gdf = gpd.GeoDataFrame(
            {"id": ["a"], "name_zh": [name], "quote": [quote]}, geometry=[square(LON0, LAT0, 10.0)], crs="EPSG:4326"
        )
        write_geojson(gdf, out / "x.geojson")
        props = read_json(out / "x.geojson")["features"][0]["properties"]
        assert props["name_zh"] == name and props["quote"] == quote

    # Terminal: nothing unsafe reaches it raw; the cells show the escaped text
    console = Console(record=True, width=80, file=io.StringIO())
    for table in terminal_tables(result):
        console.print(table)
    shown = console.export_text()
    assert not (set(shown) & (UNSAFE - {"\n"})), [c for c in shown if c in UNSAFE - {"\n"}]
    subject_cells = [t.plain for t in terminal_tables(result)[0].columns[1].cells]
    assert subject_cells == [_people(f"fg-zone-t {name.split(' / ')[0]}".strip())]  # id and first name

    # Error messages quoting the text
    message = str(SchemaError(f"bad {name}", [Problem(source, quote, notes, name)]))
    assert not (set(message) & (UNSAFE - {"\n", "\t"}))
    assert message.splitlines()[0] == f"bad {escaped(name, keep=chr(9) + chr(10))}".split("\n")[0]


def test_markdown_payloads_render_as_text() -> None:
    payload = "![t](http://evil.example/b.png) [x](javascript:alert(1)) <b>b</b> a@evil.example www.evil.example"
    md = to_markdown(_with_text("n", payload, "s", "*n*"))
    html = cmarkgfm.github_flavored_markdown_to_html(md)
    assert "<img" not in html and "<a " not in html and "<b>" not in html and "<em>" not in html
    assert "![t](http://evil.example/b.png) [x](javascript:alert(1)) &lt;b&gt;b&lt;/b&gt;" in html


def test_error_text_escapes_terminal_sequences() -> None:
    err = SchemaError(
        "zones.geojson: 2 problem(s)",
        [Problem("zones.geojson", "feature #0 (id \x1b[31mred)", "name \u202egnp.exe", "retype it")],
    )
    text = str(err)
    assert text == (
        "zones.geojson: 2 problem(s)\n"
        "  - zones.geojson: feature #0 (id \\x1b[31mred): name \\u202egnp.exe (fix: retype it)"
    )


# --------------------------------------------------------------------------- kill tests

_WRITER = """
import sys, time
from zonemap.io import atomic_write, install_signal_handlers
if sys.argv[2] == "handlers":
    install_signal_handlers()
chunk = "x" * (1 << 20)
with atomic_write(sys.argv[1]) as fh:
    for i in range(48):  # 48 MB
        fh.write(chunk)
        fh.flush()
        if i == 0:
            print("writing", flush=True)
        time.sleep(0.02)
print("finished", flush=True)
"""


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _start_writer(target: Path, mode: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), mode], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(0.1)  # a few MB into the write
    return proc


@pytest.mark.slow
def test_sigkill_mid_write_keeps_the_old_file_and_the_next_write_clears_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "parcels.geojson"
    target.write_text("old output\n", encoding="utf-8")
    proc = _start_writer(target, "plain")
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert target.read_text(encoding="utf-8") == "old output\n"
    left = _temps(tmp_path)
    assert left == [n for n in left if re.fullmatch(rf"\.parcels\.geojson\.zm{proc.pid}-[a-z0-9_]{{8}}\.tmp", n)]
    assert len(left) == 1 and (tmp_path / left[0]).stat().st_size >= 1 << 20  # the killed write's data
    other = tmp_path / f".parcels.geojson.zm{os.getpid()}-abcdefgh.tmp"  # a live writer's file: not touched
    other.write_text("in progress")
    unrelated = tmp_path / ".parcels.geojson.k3j_x9ab.tmp"  # not zonemap's pattern: not touched
    unrelated.write_text("someone else's")
    write_text(target, "new output\n")
    assert target.read_text(encoding="utf-8") == "new output\n"
    assert _temps(tmp_path) == sorted([other.name, unrelated.name])


@pytest.mark.slow
def test_sigterm_mid_write_removes_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "parcels.geojson"
    target.write_text("old output\n", encoding="utf-8")
    proc = _start_writer(target, "handlers")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert target.read_text(encoding="utf-8") == "old output\n"
    assert _temps(tmp_path) == []
    write_text(target, "new output\n")
    assert target.read_text(encoding="utf-8") == "new output\n" and _temps(tmp_path) == []


def test_escape_rule_covers_every_category_it_names() -> None:
    # the written-out rule above and unicodedata agree on what is a control or a bidi control
    assert all(unicodedata.category(c) == "Cc" for c in [*C0, "\x7f", *C1])
    assert all(
        unicodedata.bidirectional(c) in ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI", "L", "R", "AL")
        for c in BIDI
    )


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=8))
def test_markdown_escaping_of_a_column_equals_escaping_each_cell(texts: list[str]) -> None:
    from zonemap.textsafe import md_escape, md_escape_series

    assert md_escape_series(pd.Series(texts, dtype=object)).tolist() == [md_escape(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=8))
@example(texts=["'=x", "''+1", "'-3.5", "-3.5", "'plain", "=1+1"])
def test_a_csv_zonemap_wrote_reads_back_as_the_data(texts: list[str]) -> None:
    from zonemap.io import csv_text
    from zonemap.textsafe import restore_csv_series

    written = csv_text(pd.DataFrame({"quote": pd.Series(texts, dtype=object)}))
    cells = pd.Series([r[0] for r in list(csv.reader(io.StringIO(written, newline="")))[1:]], dtype=object)
    assert cells.tolist() == [csv_cell(t) for t in texts]
    assert restore_csv_series(cells).tolist() == texts
