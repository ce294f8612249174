"""The XLSX for Chinese Excel, read back with openpyxl, and the CSV encodings end to end."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from test_report import result as _result

from zonemap.errors import ZonemapError
from zonemap.reconcile import Reconciliation
from zonemap.report import write_reports

result = _result  # the two-figure reconciliation of test_report, as a fixture here

MU_M2 = 10000 / 15  # 1 亩 = 10000/15 m² (by definition: 15 亩 = 1 公顷)


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet cell: wide (CJK) characters two, others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_frame(ws) -> tuple[list[str], list[list]]:
    header = [c.value for c in ws[1]]
    return header, [[c for c in row] for row in ws.iter_rows(min_row=2)]


def test_xlsx_reads_at_a_glance(result: Reconciliation, tmp_path: Path) -> None:
    (path,) = write_reports(result, tmp_path, ["xlsx"])
    wb = load_workbook(path)
    for name, df in (("figures", result.figures), ("checks", result.checks)):
        ws = wb[name]
        header, rows = sheet_frame(ws)
        assert ws.freeze_panes == "A2"
        last = ws.cell(row=1, column=len(header)).column_letter
        assert ws.auto_filter.ref == f"A1:{last}{len(df) + 1}"
        names = [h.splitlines()[-1] for h in header]
        assert set(df.columns) <= set(names)
        # bilingual: a Chinese line above the machine name wherever a Chinese name is known
        for machine, zh in (("measured_m2", "量算面积 m²"), ("status", "状态"), ("check", "检查项")):
            if machine in names:
                assert header[names.index(machine)] == f"{zh}\n{machine}"
        # widths fitted to the widest cell as shown, CJK counted double
        for j, h in enumerate(header):
            col = ws.cell(row=1, column=j + 1).column_letter
            fmt = rows[0][j].number_format if rows else "General"
            shown = [h, *[_shown(r[j].value, fmt) for r in rows]]
            widest = max(display_width(line) for t in shown for line in t.splitlines())
            assert ws.column_dimensions[col].width == min(max(widest + 2, 6), 60), (name, h)
    ws = wb["figures"]
    header, rows = sheet_frame(ws)
    names = [h.splitlines()[-1] for h in header]
    # 亩 columns right after their m² columns, by hand: m² / (10000/15)
    for m2, mu in (("stated_m2", "stated_mu"), ("measured_m2", "measured_mu"), ("diff_m2", "diff_mu")):
        assert names.index(mu) == names.index(m2) + 1
        for row, value in zip(rows, result.figures[m2], strict=True):
            assert row[names.index(mu)].value == pytest.approx(value * 15 / 10000, rel=1e-12)
            assert row[names.index(mu)].number_format == "#,##0.00"
            assert row[names.index(m2)].number_format == "#,##0.00"
    # the parcel's stated 135 亩 comes back as 135 亩 (and 90,000 m²)
    parcel = rows[1]
    assert parcel[names.index("stated_m2")].value == pytest.approx(135 * MU_M2)
    assert parcel[names.index("stated_mu")].value == pytest.approx(135.0)
    assert rows[0][names.index("diff_pct")].number_format == "0.0"
    assert rows[0][names.index("perimeter_m")].number_format == "#,##0.0"
    # status cells filled with the status colour
    from zonemap.schema import FIGURE_STATUSES

    for row, status in zip(rows, result.figures["status"], strict=True):
        cell = row[names.index("status")]
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb[-6:] == FIGURE_STATUSES[status].colour[1:].upper()
    # formula neutralisation stays: the notes "=1+1" are text
    notes = rows[0][names.index("notes")]
    assert notes.value == "=1+1" and notes.data_type == "s"


def _shown(value, fmt: str) -> str:
    """A cell as Excel shows it under the formats the report uses."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    spec = {"#,##0.00": ",.2f", "0.0": ".1f", "#,##0.000": ",.3f", "#,##0.0": ",.1f"}.get(fmt, ".10g")
    return format(value, spec)


def test_csv_gbk_end_to_end_and_its_refusal(result: Reconciliation, tmp_path: Path) -> None:
    paths = write_reports(result, tmp_path / "gbk", ["csv"], csv_encoding="gbk")
    raw = paths[0].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(paths[0], encoding="gbk")
    assert list(back["quote"])[1] == "占地135亩" and "面积约2.25平方公里" in back["quote"].iloc[0]
    assert "占地135亩".encode("gbk") in raw
    checks = pd.read_csv(paths[1], encoding="gbk")  # GBK has no ²: the program's own units read as their codes
    want = result.checks["detail"].str.replace(" km²", " km2").str.replace(" m²", " m2")
    assert list(checks["detail"]) == list(want) and any("km2" in d for d in want)
    utf8 = write_reports(result, tmp_path / "utf8", ["csv"])[0].read_bytes()
    assert utf8.startswith(b"\xef\xbb\xbf")  # the default keeps its BOM
    # a character GBK has no code for (U+20BB7 𠮷, a CJK extension B character) is refused, naming the cell
    f = result.figures.copy()
    f.loc[1, "notes"] = "地块名含𠮷字"
    with pytest.raises(ZonemapError) as err:
        write_reports(Reconciliation(f, result.checks), tmp_path / "bad", ["csv"], csv_encoding="gbk")
    message = str(err.value)
    assert "row 2" in message and "'notes'" in message and "U+20BB7" in message and "GB18030" in message
    assert not (tmp_path / "bad" / "reconciliation_figures.csv").exists()  # nothing half-written
