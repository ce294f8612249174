"""Malformed input on the import side (issue 12.7): each case a file the test writes, through the CLI.

Every case: exit 2, no traceback, a message naming the file, the feature or row, the problem and a
fix; the inputs byte-identical afterwards; no output and no temp file left behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from zonemap.cli import main
from zonemap.errors import SchemaError
from zonemap.ingest import ImportOptions, import_file

SQUARE = [[114.10, 22.70], [114.11, 22.70], [114.11, 22.71], [114.10, 22.71], [114.10, 22.70]]


def fc(features: list[str], head: str = "") -> str:
    return '{"type": "FeatureCollection", ' + head + '"features": [' + ",\n".join(features) + "]}"


def feature(props: str = '{"id": "a"}', coords: str = json.dumps([SQUARE])) -> str:
    return (
        '{"type": "Feature", "properties": '
        + props
        + ', "geometry": {"type": "Polygon", "coordinates": '
        + coords
        + "}}"
    )


def _text(name: str, text: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


def _directory(folder: Path) -> Path:
    layer = folder / "layers"
    layer.mkdir()
    (layer / "parcels.shp").write_bytes(b"")
    return layer


def _bad_prj(folder: Path) -> Path:
    shp = folder / "gk.shp"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Polygon(SQUARE)], crs=4326).to_crs(4547).to_file(shp)
    shp.with_suffix(".prj").write_text("this is not a coordinate system", encoding="utf-8")
    return shp


def _two_pairs(folder: Path) -> Path:
    path = folder / "points.csv"
    path.write_text(
        "id,经度,纬度,lon,lat\np1,114.10,22.70,114.10,22.70\np2,114.12,22.71,114.13,22.71\n", encoding="utf-8"
    )
    return path


NAN_COORDS = "[[[114.10, 22.70], [114.11, 22.70], [NaN, 22.71], [114.10, 22.70]]]"
INF_COORDS = "[[[114.10, 22.70], [114.11, 22.70], [Infinity, 22.71], [114.10, 22.70]]]"
BIG_COORDS = "[[[114.10, 22.70], [114.11, 22.70], [1e400, 22.71], [114.10, 22.70]]]"

#: name -> (make the input, extra args, fragments the message must hold)
CASES: dict[str, tuple[Callable[[Path], Path], list[str], list[str]]] = {
    "crs properties a string": (
        _text("crs_string.geojson", fc([feature()], '"crs": {"type": "name", "properties": "EPSG:4547"}, ')),
        [],
        ["crs_string.geojson: the 'crs' member", "names no coordinate system", "(fix: ", "--crs CODE"],
    ),
    "crs properties null": (
        _text("crs_null.geojson", fc([feature()], '"crs": {"type": "name", "properties": null}, ')),
        [],
        ["crs_null.geojson: the 'crs' member", "names no coordinate system", "--crs CODE"],
    ),
    "crs unknown name": (
        _text("crs_unknown.geojson", fc([feature()], '"crs": {"type": "name", "properties": {"name": "EPSG:1"}}, ')),
        [],
        ["crs_unknown.geojson: unknown coordinate system 'EPSG:1'", "--crs CODE"],
    ),
    "directory as layer": (
        _directory,
        [],
        ["layers: is a directory, not a layer file", "(fix: pass one file inside it (here: parcels.shp)"],
    ),
    "NaN coordinate": (
        _text("nan.geojson", fc([feature(), feature('{"id": "b"}', NAN_COORDS)])),
        [],
        ["nan.geojson: feature #1: coordinate NaN is not a finite number", "(fix: write every coordinate"],
    ),
    "Infinity coordinate": (
        _text("inf.geojson", fc([feature(), feature('{"id": "b"}', INF_COORDS)])),
        [],
        ["inf.geojson: feature #1: coordinate Infinity is not a finite number"],
    ),
    "1e400 coordinate": (
        _text("big.geojson", fc([feature('{"id": "b"}', BIG_COORDS)])),
        [],
        ["big.geojson: feature #0: coordinate 1e400 is not a finite number"],
    ),
    "two coordinate pairs that disagree": (
        _two_pairs,
        ["--layer", "places"],
        ["points.csv: row 3: lon/lat = 114.13, 22.71 but 经度/纬度 = 114.12, 22.71", "(fix: keep one pair"],
    ),
    "garbage .prj": (
        _bad_prj,
        [],
        [
            "gk.shp: gk.prj does not describe a coordinate system",
            "(fix: pass the data's coordinate system with --crs CODE",
        ],
    ),
    "properties as an array": (
        _text("props.geojson", fc([feature(), feature('["a", "b"]')])),
        [],
        ["props.geojson: feature #1: 'properties' is a JSON array, not an object", "(fix: write the attributes"],
    ),
    "properties as a string": (
        _text("props_str.geojson", fc([feature('"id=a"')])),
        [],
        ["props_str.geojson: feature #0: 'properties' is a JSON string"],
    ),
}


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_input_exits_2_with_file_feature_and_fix(name: str, tmp_path: Path) -> None:
    make, extra, fragments = CASES[name]
    src = tmp_path / "in"
    src.mkdir()
    path = make(src)
    before = _digest(src)
    out_dir = tmp_path / "out"
    out = out_dir / "layer.geojson"
    args = ["import", str(path), "--layer", "zones", "--town", "fenggang", "--out", str(out), *extra]
    if "--layer" in extra:
        args = ["import", str(path), "--town", "fenggang", "--out", str(out), *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)
    assert _digest(src) == before
    assert not out.exists() and not (out_dir.exists() and any(out_dir.iterdir()))
    assert not [p for p in src.rglob("*.tmp")]


def test_coordinate_pairs_that_agree_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "same.csv"
    path.write_text(
        "id,经度,纬度,lon,lat\np1,114.10,22.70,114.10,22.70\np2,114.12,22.71,114.120,22.710\n", encoding="utf-8"
    )
    out = tmp_path / "o.geojson"
    result = CliRunner().invoke(
        main, ["import", str(path), "--layer", "places", "--town", "fenggang", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["geometry"]["coordinates"] for f in features] == [[114.10, 22.70], [114.12, 22.71]]
    assert all(set(f["properties"]).isdisjoint({"lon", "lat", "经度", "纬度"}) for f in features)


def test_a_garbage_prj_with_crs_given_imports(tmp_path: Path) -> None:
    shp = _bad_prj(tmp_path)
    out = tmp_path / "o.geojson"
    result = CliRunner().invoke(
        main, ["import", str(shp), "--layer", "zones", "--town", "fenggang", "--crs", "EPSG:4547", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    ring = json.loads(out.read_text(encoding="utf-8"))["features"][0]["geometry"]["coordinates"][0]
    assert max(abs(x - 114.10) for x, _ in ring) < 0.0101 and max(abs(y - 22.70) for _, y in ring) < 0.0101


def test_a_crs_member_naming_a_real_crs_is_used(tmp_path: Path) -> None:
    """A well-formed crs member (GDAL writes one for projected data) is read from the file's head."""
    path = tmp_path / "gk.geojson"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Polygon(SQUARE)], crs=4326).to_crs(4547).to_file(
        path, driver="GeoJSON"
    )
    assert '"crs"' in path.read_text(encoding="utf-8")
    out = tmp_path / "o.geojson"
    result = CliRunner().invoke(
        main, ["import", str(path), "--layer", "zones", "--town", "fenggang", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "EPSG:4547" in result.output


def test_a_valid_geojson_is_never_decoded_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid files go through GDAL after the streaming pre-scan: the json decoder of the exact path is not used."""
    import zonemap.ingest._geojson as reader

    def refuse(*_: object) -> None:
        raise AssertionError("decoded whole")

    monkeypatch.setattr(reader, "_load_json", refuse)
    path = tmp_path / "ok.geojson"
    features = [feature('{"id": "A-1", "名称": "甲", "n": 1}'), feature('{"id": "A-2", "名称": "乙", "n": 2.5}')]
    crs = '"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, '
    path.write_text(fc(features, crs), encoding="utf-8")
    result = import_file(path, ImportOptions(layer="zones", town="fenggang"))
    assert list(result.features["id"]) == ["A-1", "A-2"] and list(result.features["n"]) == [1.0, 2.5]
    assert result.crs_label == "OGC:CRS84"


@pytest.mark.parametrize(
    "text",
    [
        fc([feature('{"id": "a", "type": "Feature"}')]),  # a property value "Feature": the count differs from GDAL's
        fc([feature()])[:-1] + ', "crs": {"type": "name", "properties": {"name": "EPSG:4326"}}}',  # crs after features
    ],
)
def test_files_the_prescan_cannot_clear_take_the_exact_path(text: str, tmp_path: Path) -> None:
    path = tmp_path / "odd.geojson"
    path.write_text(text, encoding="utf-8")
    result = import_file(path, ImportOptions(layer="zones", town="fenggang"))
    assert list(result.features["id"]) == ["a"]
    assert shapely.equals(result.features.geometry.iloc[0], shapely.Polygon(SQUARE))


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (fc([feature(), feature('["a"]')]), "'properties' is not an object"),
        (fc([feature(), feature('{"id": "b"}', NAN_COORDS)]), "'NaN' at byte"),
        (fc([feature('{"id": "b"}', BIG_COORDS)]), "cannot read as GeoJSON"),
        (fc([feature(), feature()]).replace('"Feature"', '"Feature "', 1), "GDAL read 1 feature(s) where the file"),
    ],
)
def test_files_too_large_for_the_exact_path_are_described_by_gdal(
    text: str, expect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above exact_path_limit() a malformed file is not decoded whole: file-level messages, still exit 2."""
    import zonemap.ingest._geojson as reader

    monkeypatch.setattr(reader, "exact_path_limit", lambda: 10)
    monkeypatch.setattr(reader, "_load_json", lambda *_: pytest.fail("decoded whole"))
    path = tmp_path / "big.geojson"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["import", str(path), "--layer", "zones", "--town", "fenggang", "--out", str(tmp_path / "o.geojson")]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "big.geojson: " in result.output and "(fix: " in result.output
    assert expect in result.output, result.output


def test_a_missing_geometry_in_a_large_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zonemap.ingest._geojson as reader

    monkeypatch.setattr(reader, "exact_path_limit", lambda: 10)
    path = tmp_path / "big.geojson"
    path.write_text(
        fc([feature(), '{"type": "Feature", "properties": {"id": "b"}, "geometry": null}']), encoding="utf-8"
    )
    with pytest.raises(SchemaError) as err:
        import_file(path, ImportOptions(layer="zones", town="fenggang"))
    assert [(p.feature, p.message) for p in err.value.problems] == [
        ("feature #1 (id b)", "geometry is empty or missing")
    ]
