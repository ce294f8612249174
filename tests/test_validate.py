"""Schema validation of layer files: every problem found, with feature and fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from zonemap.cli import main
from zonemap.validate import validate_layer_data, validate_paths


def _zone(fid: str = "t-zone-a", ring: list[list[float]] | None = None) -> dict[str, Any]:
    ring = ring or [[114.10, 22.70], [114.12, 22.70], [114.12, 22.72], [114.10, 22.72], [114.10, 22.70]]
    return {
        "type": "Feature",
        "properties": {
            "id": fid, "name_zh": "测试区", "name_en": "Test zone", "kind": "zone", "town": "fenggang",
            "geometry_source": "test square", "accuracy_m": 10,
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
