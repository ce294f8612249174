"""The bad-input corpus (tests/data/bad/expected.json) through the CLI: exit 2, file + feature + fix, no traceback."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from zonemap.cli import main

BAD = Path(__file__).resolve().parent / "data" / "bad"
CASES: list[dict[str, Any]] = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))["cases"]


def _huge(folder: Path) -> Path:
    """A valid GeoJSON of ~2 MiB (the case runs with --max-mb 1)."""
    feature = '{"type":"Feature","properties":{"id":"fg-x"},"geometry":{"type":"Point","coordinates":[114.1,22.7]}}'
    path = folder / "huge.geojson"
    path.write_text('{"type":"FeatureCollection","features":[' + ",".join([feature] * 21000) + "]}")
    assert path.stat().st_size > 2**20
    return path


def _deep(folder: Path) -> Path:
    """JSON nested 100 000 levels deep (200 kB): deeper than any parser recursion limit."""
    path = folder / "deep.geojson"
    path.write_text('{"type":"FeatureCollection","features":' + "[" * 100_000 + "]" * 100_000 + "}")
    return path


def _case_file(case: dict[str, Any], tmp_path: Path) -> Path:
    name = case["file"]
    if name.startswith("@"):
        return {"@huge": _huge, "@deep": _deep}[name](tmp_path)
    return BAD / name


def _args(case: dict[str, Any], path: Path, out: Path) -> list[str]:
    return [a.replace("{file}", str(path)).replace("{out}", str(out)) for a in case["args"]]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def corpus_digest() -> dict[str, str]:
    return _digest(BAD)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_is_reported(case: dict[str, Any], tmp_path: Path, corpus_digest: dict[str, str]) -> None:
    path = _case_file(case, tmp_path)
    out = tmp_path / "out" / "imported.geojson"
    result = CliRunner().invoke(main, _args(case, path, out))
    text = result.output
    assert result.exit_code == 2, text
    assert "Traceback" not in text and "Error:" in text
    assert path.name in text
    for fragment in case["expect"]:
        assert fragment in text, fragment
    if case["feature"]:
        assert f"{path.name}: {case['feature']}: " in text
    assert "(fix: " in text
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert _digest(BAD) == corpus_digest  # nothing in the corpus was touched


def test_every_corpus_file_has_a_case() -> None:
    named = {c["file"] for c in CASES}
    stems = {Path(n).stem for n in named}
    files = {p for p in BAD.iterdir() if p.name not in ("expected.json", "make_corpus.py")}
    missing = sorted(p.name for p in files if p.name not in named and p.stem not in stems)
    assert missing == []


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    args = [
        "--debug",
        "import",
        str(BAD / "swapped.geojson"),
        "--layer",
        "zones",
        "--town",
        "fenggang",
        "--out",
        str(tmp_path / "x.geojson"),
    ]
    proc = subprocess.run([sys.executable, "-m", "zonemap.cli", *args], capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "CRSError" in proc.stderr
    plain = subprocess.run(
        [sys.executable, "-m", "zonemap.cli", *args[1:]], capture_output=True, text=True, check=False
    )
    assert plain.returncode == 2 and "Traceback" not in plain.stderr and "--swap-xy" in plain.stderr


def test_the_swap_fix_the_message_names_works(tmp_path: Path) -> None:
    out = tmp_path / "swapped.geojson"
    args = ["import", str(BAD / "swapped.geojson"), "--layer", "zones", "--town", "fenggang", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--swap-xy"])
    assert result.exit_code == 0, result.output
    coords = json.loads(out.read_text(encoding="utf-8"))["features"][0]["geometry"]["coordinates"][0]
    assert sorted(map(tuple, coords[:-1])) == [(114.10, 22.70), (114.10, 22.71), (114.11, 22.70), (114.11, 22.71)]


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("projected.geojson", ["--crs", "EPSG:4547"]),
        ("noprj.shp", ["--crs", "EPSG:4526"]),
        ("gbk.geojson", ["--encoding", "GBK"]),
        ("gbk_nocpg.shp", ["--encoding", "GBK"]),
        ("unclosed.geojson", ["--fix"]),
        ("bowtie.geojson", ["--fix"]),
    ],
)
def test_the_suggested_option_fixes_the_import(name: str, extra: list[str], tmp_path: Path) -> None:
    out = tmp_path / "fixed.geojson"
    args = ["import", str(BAD / name), "--layer", "zones", "--town", "fenggang", "--out", str(out), *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    feature = json.loads(out.read_text(encoding="utf-8"))["features"][0]
    lon, lat = (
        feature["geometry"]["coordinates"][0][0][0]
        if name == "bowtie.geojson"
        else feature["geometry"]["coordinates"][0][0]
    )
    assert 114.0999 < lon < 114.1101 and 22.6999 < lat < 22.7101
    if "--encoding" in extra:
        assert feature["properties"]["name_zh"] == "凤岗测试区"
