"""Schema validation of layer files: every problem found, with feature and fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from zonemap.cli import main
from zonemap.layer_checks import validate_layer_data
from zonemap.validate import validate_paths


def _zone(fid: str = "t-zone-a", ring: list[list[float]] | None = None) -> dict[str, Any]:
    ring = ring or [[114.10, 22.70], [114.12, 22.70], [114.12, 22.72], [114.10, 22.72], [114.10, 22.70]]
    return {
        "type": "Feature",
        "properties": {
            "id": fid,
            "name_zh": "测试区",
            "name_en": "Test zone",
            "kind": "zone",
            "town": "fenggang",
            "geometry_source": "test square",
            "accuracy_m": 10,
        },
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _fc(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _messages(data: Any, layer: str = "zones") -> list[str]:
    return [f"{p.feature}: {p.message}" for p in validate_layer_data(data, layer, "zones.geojson", town="fenggang")]


def test_valid_layer_has_no_problem() -> None:
    assert _messages(_fc(_zone())) == []


def test_missing_accuracy_is_rejected() -> None:
    feat = _zone()
    del feat["properties"]["accuracy_m"]
    assert _messages(_fc(feat)) == ["feature #0 (id t-zone-a): missing property 'accuracy_m'"]


def test_clockwise_exterior_and_crs_member_are_reported() -> None:
    cw = _zone(ring=[[114.10, 22.70], [114.10, 22.72], [114.12, 22.72], [114.12, 22.70], [114.10, 22.70]])
    data = _fc(cw)
    data["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}
    msgs = _messages(data)
    assert ": has a 'crs' member (not RFC 7946)" in [f": {p.message}" for p in validate_layer_data(data, "zones", "x")]
    assert any("exterior counter-clockwise" in m for m in msgs)


@pytest.mark.parametrize(
    ("ring", "expected"),
    [
        ([[22.70, 114.10], [22.70, 114.12], [22.72, 114.12], [22.70, 114.10]], "latitude and longitude swapped"),
        ([[400000, 2500000], [401000, 2500000], [401000, 2501000], [400000, 2500000]], "projected metres"),
        ([[2.35, 48.85], [2.36, 48.85], [2.36, 48.86], [2.35, 48.85]], "outside China"),
    ],
)
def test_implausible_coordinates(ring: list[list[float]], expected: str) -> None:
    msgs = _messages(_fc(_zone(ring=ring)))
    assert len(msgs) == 1 and expected in msgs[0]


def test_wrong_kind_type_duplicate_id_and_self_intersection() -> None:
    bow = _zone("t-zone-b", ring=[[114.10, 22.70], [114.12, 22.72], [114.12, 22.70], [114.10, 22.72], [114.10, 22.70]])
    point = copy.deepcopy(_zone("t-zone-c"))
    point["geometry"] = {"type": "Point", "coordinates": [114.1, 22.7]}
    wrong_kind = _zone("t-zone-a")
    wrong_kind["properties"]["kind"] = "station"
    wrong_kind["properties"]["accuracy_m"] = "10 m"
    msgs = _messages(_fc(_zone(), bow, point, wrong_kind))
    assert any("(id t-zone-b): invalid geometry: Self-intersection" in m for m in msgs)
    assert any("(id t-zone-c): geometry type 'Point' does not belong" in m for m in msgs)
    assert any("kind 'station' does not belong in layer 'zones'" in m for m in msgs)
    assert any("accuracy_m must be a number, got '10 m'" in m for m in msgs)
    assert "id t-zone-a: id used by 2 features" in msgs


def test_not_a_feature_collection() -> None:
    assert _messages([1, 2]) == [": not a GeoJSON FeatureCollection"]


def test_cli_validate_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "zones.geojson"
    good.write_text(json.dumps(_fc(_zone())), encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(good)])
    assert ok.exit_code == 0, ok.output
    feat = _zone()
    del feat["properties"]["name_en"]
    bad = tmp_path / "bad" / "zones.geojson"
    bad.parent.mkdir()
    bad.write_text(json.dumps(_fc(feat)), encoding="utf-8")
    res = runner.invoke(main, ["validate", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}: feature #0 (id t-zone-a): missing property 'name_en'" in res.output
    assert "fix: add 'name_en'" in res.output
    assert "Traceback" not in res.output


def test_missing_path_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    problems = validate_paths([tmp_path / "nope.geojson"])
    assert [p.message for p in problems] == ["no such file or directory"]


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("name_zh", "凤岗\x0b产业园", "\\x0b"),  # vertical tab: openpyxl cannot store it
        ("name_en", "Zone \x1b[2J", "\\x1b"),  # ESC sequence: clears a terminal
        ("name_en", "Zone \u202egnp.exe", "\\u202e"),  # right-to-left override
        ("notes", "line\x00break", "\\x00"),  # NUL even in a multi-line field
        ("name_zh", "产业\x85园", "\\x85"),  # C1 control
    ],
)
def test_control_and_bidi_characters_in_text_properties_are_reported(field: str, value: str, shown: str) -> None:
    feat = _zone()
    feat["properties"][field] = value
    problems = validate_layer_data(_fc(feat), "zones", "zones.geojson", town="fenggang")
    assert len(problems) == 1
    p = problems[0]
    assert p.file == "zones.geojson" and p.feature == "feature #0 (id t-zone-a)"
    assert p.message == f"'{field}' holds 1 control or bidi character(s): {shown} at {_pos(value)}"
    assert "delete them" in p.hint
    assert "\x1b" not in str(p) and "\u202e" not in str(p)  # the message itself is safe to print


def _pos(value: str) -> int:
    return next(i for i, c in enumerate(value) if not c.isprintable())


def test_line_breaks_are_accepted_in_notes_but_not_in_names() -> None:
    feat = _zone()
    feat["properties"]["notes"] = "第一行\n\t第二行"
    assert _messages(_fc(feat)) == []
    feat["properties"]["name_zh"] = "测试\n区"
    assert _messages(_fc(feat)) == [
        "feature #0 (id t-zone-a): 'name_zh' holds 1 control or bidi character(s): \\x0a at 2"
    ]


def _project(tmp_path: Path, rings: dict[str, Any] | None = None, figures_csv: str | None = None) -> Path:
    from _handmade import FIGURES_CSV, write_geodata

    return write_geodata(tmp_path / "g", rings=rings, figures_csv=figures_csv or FIGURES_CSV).geodata_dir


def _rings() -> dict[str, Any]:
    from _handmade import RINGS

    return copy.deepcopy(RINGS)


def test_valid_handmade_project_has_no_problem(tmp_path: Path) -> None:
    assert validate_paths([_project(tmp_path)]) == []


def test_rings_json_is_checked_fully_by_validate(tmp_path: Path) -> None:
    rings = _rings()
    centre, border = rings["ring_sets"]
    centre["centre"] = "fg-place-nowhere"
    centre["bands"][1]["colour"] = "red"
    centre["bands"][1]["inner_km"] = 0.8  # overlaps band c-a (0.5-1 km)
    border["bands"][1]["outer_km"] = 2000  # metres typed as km
    centre["bands"][0]["name_en"] = "Ring \x1b]0;pwned\x07"
    root = _project(tmp_path, rings)
    found = {(p.feature, p.message) for p in validate_paths([root])}
    path = str(root / "rings.json")
    assert all(p.file == path for p in validate_paths([root]))
    assert ("ring set #0 (id test-centre) band #1 (id c-b)", "colour 'red' is not #rrggbb") in found
    assert ("ring set #0 (id test-centre)", "bands c-a (0.5-1 km) and c-b (0.8-2 km) overlap") in found
    assert ("ring set #1 (id test-border) band #1 (id b-1-2)", "outer_km 2000 is more than 1000 km") in found
    assert (
        "ring set #0 (id test-centre) band #0 (id c-a)",
        "'name_en' holds control or bidi character(s) \\x1b \\x07",
    ) in found
    assert len(found) == 4  # the centre is checked once the file parses


def test_ring_centre_and_cited_figures_are_checked(tmp_path: Path) -> None:
    rings = _rings()
    rings["ring_sets"][0]["centre"] = "fg-place-nowhere"
    rings["ring_sets"][0]["bands"][0]["outer_km"] = 1.5
    rings["ring_sets"][0]["bands"][1]["inner_km"] = 1.5
    root = _project(tmp_path, rings)
    msgs = [(p.feature, p.message) for p in validate_paths([root])]
    assert ("ring set test-centre", "centre 'fg-place-nowhere' is not a feature of town 'fenggang'") in msgs
    assert (
        "ring set test-centre band c-a",
        "ring_outer_radius is 1500 m here but figure 'fg-fig-a-outer' states 1 km (1000 m)",
    ) in msgs
    assert len(msgs) == 2


def test_control_characters_in_the_figures_table_name_row_and_column(tmp_path: Path) -> None:
    from _handmade import FIGURES_CSV

    lines = FIGURES_CSV.splitlines()
    lines[2] = lines[2].replace("0.5—1km甲圈", "0.5—1km\u202e甲圈")
    root = _project(tmp_path, figures_csv="\n".join(lines) + "\n")
    problems = validate_paths([root])
    assert [(p.file, p.feature, p.message) for p in problems] == [
        (str(root / "figures.csv"), "row 3", "'quote' holds 1 control or bidi character(s): \\u202e at 7")
    ]


def test_cli_validate_refuses_a_control_character_with_exit_2(tmp_path: Path) -> None:
    feat = _zone()
    feat["properties"]["name_zh"] = "凤岗\x0b产业园"
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(_fc(feat)), encoding="utf-8")
    before = path.read_bytes()
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"{path}: feature #0 (id t-zone-a): 'name_zh' holds 1 control or bidi character(s): \\x0b at 2" in res.output
    assert "\x0b" not in res.output
    assert path.read_bytes() == before


def test_a_rings_file_and_a_figures_table_validate_on_their_own(tmp_path: Path) -> None:
    rings = _rings()
    rings["ring_sets"][0]["bands"][0]["outer_km"] = 1.5
    rings["ring_sets"][0]["bands"][1]["inner_km"] = 1.5
    rings["ring_sets"][1]["bands"][0]["colour"] = "#12345"
    root = _project(tmp_path, rings)
    found = {(p.feature, p.message) for p in validate_paths([root / "rings.json"])}
    assert found == {
        ("ring set #1 (id test-border) band #0 (id b-0-1)", "colour '#12345' is not #rrggbb"),
    }  # the file is refused before its radii are compared
    rings["ring_sets"][1]["bands"][0]["colour"] = "#123456"
    (root / "rings.json").write_text(json.dumps(rings), encoding="utf-8")
    assert [(p.feature, p.message) for p in validate_paths([root / "rings.json"])] == [
        (
            "ring set test-centre band c-a",
            "ring_outer_radius is 1500 m here but figure 'fg-fig-a-outer' states 1 km (1000 m)",
        )
    ]
    figures = root / "figures.csv"
    figures.write_text(figures.read_text(encoding="utf-8").replace("甲区面积", "甲区\x1b[2J面积"), encoding="utf-8")
    assert [(p.feature, p.message) for p in validate_paths([figures])] == [
        ("row 2", "'quote' holds 1 control or bidi character(s): \\x1b at 2")
    ]
