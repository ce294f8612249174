"""--csv-encoding: CSV reports for old Excel in GBK, UTF-8 with a BOM by default (issue 11 point 8)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from _planner import IDS, write_shapefile_gbk
from click.testing import CliRunner

from zonemap.cli import main


def _read(path: Path, encoding: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def test_registry_reports_in_gbk_and_utf8_bom(tmp_path: Path) -> None:
    for enc, out in (("gbk", tmp_path / "gbk"), ("utf-8-sig", tmp_path / "bom")):
        res = CliRunner().invoke(
            main, ["reconcile", "fenggang", "--format", "csv", "--csv-encoding", enc, "--out", str(out)]
        )
        assert res.exit_code == 0, res.output
    gbk = (tmp_path / "gbk" / "reconciliation_figures.csv").read_bytes()
    bom = (tmp_path / "bom" / "reconciliation_figures.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and not gbk.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")  # Chinese subject names are GBK bytes
    rows_gbk, rows_bom = (
        _read(tmp_path / "gbk" / "reconciliation_figures.csv", "gbk"),
        _read(tmp_path / "bom" / "reconciliation_figures.csv", "utf-8-sig"),
    )
    assert [r["figure_id"] for r in rows_gbk] == [r["figure_id"] for r in rows_bom]
    assert [r["subject_name"] for r in rows_gbk] == [r["subject_name"] for r in rows_bom]
    assert any("凤凰" in r["subject_name"] for r in rows_gbk)


def test_parcel_table_in_gbk(tmp_path: Path) -> None:
    shp = write_shapefile_gbk(tmp_path / "in")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "reconcile",
            str(shp),
            "--encoding",
            "GBK",
            "--area-field",
            "面积亩",
            "--csv-encoding",
            "gbk",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    rows = _read(out / "parcels_parcels.csv", "gbk")
    assert [r["id"] for r in rows] == list(IDS)
