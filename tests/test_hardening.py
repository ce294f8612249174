"""Hostile input and output paths through the command line (issue 12): refused with exit 2 and a message
naming file, feature, problem and fix, or written safely; never a traceback, a partial or temp file, or a
changed input. Every file is generated here under tmp_path.
"""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import cmarkgfm
import pytest
from _handmade import FIGURES_CSV, RINGS, write_geodata
from click.testing import CliRunner
from openpyxl import load_workbook

from zonemap.cli import main


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def temp_files(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*.tmp")]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    out = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in out, out
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, out


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ZONEMAP_REFERENCE_DIR", raising=False)  # hand-made shapes lie in no real town
    return write_geodata(tmp_path / "g").geodata_dir


def _edit_layer(path: Path, fid: str, **props: str) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for feat in data["features"]:
        if feat["properties"]["id"] == fid:
            feat["properties"].update(props)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_vertical_tab_in_a_name_is_refused_before_any_output(project: Path, tmp_path: Path) -> None:
    layer = project / "fenggang" / "zones.geojson"
    _edit_layer(layer, "fg-zone-a", name_zh="甲\x0b区")
    before = snapshot(project)
    out = tmp_path / "maps"
    code, text = run("build", "--geodata", str(project), "--out", str(out))
    assert code == 2
    assert f"{layer}: feature #0 (id fg-zone-a): 'name_zh' holds 1 control or bidi character(s): \\x0b at 1" in text
    assert "fix: delete them" in text and "\x0b" not in text
    assert not out.exists() or snapshot(out) == {}
    assert snapshot(project) == before and temp_files(tmp_path) == []


def test_formula_and_markdown_payloads_are_written_as_inert_text(project: Path, tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://evil.example","点我")'
    image = "![t](http://evil.example/b.png)"
    lines = FIGURES_CSV.splitlines()
    header, first = lines[0], lines[1].split(",")
    first[header.split(",").index("quote")] = f'"{image}"'
    first[header.split(",").index("notes")] = f'"{formula.replace(chr(34), chr(34) * 2)}"'
    (project / "figures.csv").write_text("\n".join([header, ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    out = tmp_path / "reports"
    code, text = run("reconcile", "fenggang", "--geodata", str(project), "--format", "csv,xlsx,md", "--out", str(out))
    assert code == 0, text
    rows = list(
        csv.DictReader(io.StringIO((out / "reconciliation_figures.csv").read_bytes().decode("utf-8-sig"), newline=""))
    )
    row = next(r for r in rows if r["figure_id"] == "fg-fig-a-area")
    assert row["notes"] == "'" + formula and row["quote"] == image
    assert float(row["diff_m2"]) == pytest.approx(float(row["measured_m2"]) - float(row["stated_m2"]))
    sheet = load_workbook(out / "reconciliation.xlsx")["figures"]
    header_row = [c.value.splitlines()[-1] for c in sheet[1]]  # bilingual: 中文 line, then the column
    cells = next(r for r in sheet.iter_rows(min_row=2) if r[header_row.index("figure_id")].value == "fg-fig-a-area")
    notes = cells[header_row.index("notes")]
    assert notes.value == formula and notes.data_type == "s"
    page = cmarkgfm.github_flavored_markdown_to_html((out / "reconciliation.md").read_text(encoding="utf-8"))
    assert "<img" not in page and "<a " not in page and image in page


def test_escape_sequences_in_arguments_reach_the_terminal_escaped(project: Path) -> None:
    code, text = run("reconcile", "--geodata", str(project), "\x1b[2J\x1b]0;pwned\x07\u202etown")
    assert code == 2
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\x1b[2J\\x1b]0;pwned\\x07\\u202etown" in text


def test_rings_csv_onto_the_figures_table_it_reads_is_refused(project: Path) -> None:
    before = snapshot(project)
    target = project / "figures.csv"
    code, text = run("rings", "fenggang", "--geodata", str(project), "--csv", str(target))
    assert code == 2
    assert f"{target}: " in text and "fix:" in text
    assert snapshot(project) == before and temp_files(project) == []


def test_validate_reports_a_bad_colour_in_rings_json(project: Path) -> None:
    rings = json.loads(json.dumps(RINGS))
    rings["ring_sets"][0]["bands"][0]["colour"] = "javascript:alert(1)"
    (project / "rings.json").write_text(json.dumps(rings), encoding="utf-8")
    code, text = run("validate", str(project))
    assert code == 2
    assert (
        f"{project / 'rings.json'}: ring set #0 (id test-centre) band #0 (id c-a): colour 'javascript:alert(1)' "
        "is not #rrggbb (fix: write the colour as 6 hex digits"
    ) in text


def test_rings_onto_a_device_or_a_read_only_file(project: Path, tmp_path: Path) -> None:
    code, text = run("rings", "fenggang", "--geodata", str(project), "--csv", "/dev/null")
    assert code == 2 and "/dev/null: is a character device, not a regular file" in text
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)
    locked = tmp_path / "locked.csv"
    locked.write_text("previous\n", encoding="utf-8")
    locked.chmod(0o444)
    args = ["rings", "fenggang", "--geodata", str(project), "--csv", str(locked)]
    code, text = run(*args)
    assert code == 2 and f"{locked}: is read-only" in text and "--force" in text
    assert locked.read_text(encoding="utf-8") == "previous\n"
    code, text = run(*args, "--force")
    assert code == 0, text
    rows = list(csv.DictReader(io.StringIO(locked.read_bytes().decode("utf-8-sig"), newline="")))
    assert {"fg-zone-a", "fg-parcel-far"} <= {r["id"] for r in rows}
    assert stat.S_IMODE(locked.stat().st_mode) == 0o444  # replaced, permissions kept
    assert temp_files(tmp_path) == []
