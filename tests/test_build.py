"""`zonemap build`, the README's main job, through the CLI."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from zonemap.cli import main
from zonemap.config import REFERENCE_ENV
from zonemap.schema import AREA_QUANTITIES


def _area_figures(geodata: Path) -> int:
    with (geodata / "figures.csv").open(encoding="utf-8") as fh:
        return sum(row["quantity"] in AREA_QUANTITIES for row in csv.DictReader(fh))


def test_build_writes_maps_reports_and_summary(
    tmp_path: Path, geodata_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    out = tmp_path / "maps"
    res = CliRunner().invoke(main, ["build", "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert {
        "fenggang.html",
        "dongcheng.html",
        "index.html",
        "reconciliation.html",
        "reconciliation.json",
        "reconciliation.xlsx",
        "reconciliation_figures.csv",
        "reconciliation_checks.csv",
    } <= names
    assert not [n for n in names if n.startswith(".")]  # no temp files left
    assert f"reconciliation: {_area_figures(geodata_dir)} figure(s): 0 agree" in res.output
    assert "reference layers: none" in res.output


def test_build_with_reference_layers_and_strict_failure(tmp_path: Path, geodata_dir: Path, reference_dir: Path) -> None:
    geo = tmp_path / "geodata"
    shutil.copytree(geodata_dir, geo)
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "build",
            "--geodata",
            str(geo),
            "--reference-dir",
            str(reference_dir),
            "--out",
            str(tmp_path / "a"),
            "--strict",
        ],
    )
    assert res.exit_code == 0, res.output
    assert f"reference layers: {reference_dir / 'dongguan_towns.geojson'}" in res.output
    # Restating the eastern zone as "at most 0.1 km²" puts its parcels' stated 2780 + 245.98 mu over the
    # zone's stated bound: a failed part-whole check, which --strict turns into exit 1.
    figures = geo / "figures.csv"
    text = figures.read_text(encoding="utf-8")
    figures.write_text(text.replace("fg-zone-east,area,6.7,km2,约", "fg-zone-east,area,0.1,km2,以内"), encoding="utf-8")
    res = runner.invoke(main, ["build", "--geodata", str(geo), "--out", str(tmp_path / "b"), "--strict"])
    assert res.exit_code == 1, res.output
    assert "check(s) failed" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["build", "--geodata", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "geodata directory not found" in res.output
