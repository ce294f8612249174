"""Nothing is lost: atomic writes leave the previous output intact when a write fails; RFC 7946 output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

import zonemap._files
from zonemap.cli import main
from zonemap.config import Config
from zonemap.errors import DataFileError, SchemaError
from zonemap.io import (
    atomic_write,
    load_layer,
    load_reference_towns,
    read_json,
    to_feature_collection,
    write_geojson,
    write_text,
)

BAD = Path(__file__).resolve().parent / "data" / "bad"
OLD = "previous output\n"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "out" / "zones.geojson"
    path.parent.mkdir()
    path.write_text(OLD, encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_replaces_on_success(target: Path) -> None:
    write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert leftovers(target.parent) == []


def test_error_inside_the_block_keeps_the_previous_output(target: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as fh:
        fh.write("half a feature collection")
        fh.flush()
        assert len(leftovers(target.parent)) == 1  # the partial data went to a temporary file
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == OLD
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("stage", ["fsync", "replace"])
def test_failing_fsync_or_rename_keeps_the_previous_output(target: Path, stage: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zonemap._files.os, stage, fail)
    with pytest.raises(OSError, match="No space left"):
        write_text(target, "new\n" * 1000)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == OLD
    assert leftovers(target.parent) == []


def test_interrupt_keeps_the_previous_output(target: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_write(target, "wb") as fh:
        fh.write(b"{")
        raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == OLD
    assert leftovers(target.parent) == []


def test_hard_crash_mid_write_keeps_the_previous_output(target: Path) -> None:
    code = ("import os, sys; from zonemap.io import atomic_write\n"
            "with atomic_write(sys.argv[1]) as fh:\n"
            "    fh.write('partial'); fh.flush(); os._exit(9)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(target)], check=False)
    assert proc.returncode == 9
    assert target.read_text(encoding="utf-8") == OLD
    # A killed process cannot clean up: at most one hidden temporary file is left, never a half target.
    assert all(name.startswith(".zones.geojson.") for name in leftovers(target.parent))


def test_serialization_failure_writes_nothing(target: Path) -> None:
    gdf = gpd.GeoDataFrame({"id": ["a"], "bad": [{1, 2}]}, geometry=[shapely.box(114.1, 22.7, 114.2, 22.8)],
                           crs=4326)
    with pytest.raises(TypeError, match="not JSON serializable"):
        write_geojson(gdf, target)
    assert target.read_text(encoding="utf-8") == OLD
    assert leftovers(target.parent) == []


def test_replaced_output_keeps_its_permissions(target: Path) -> None:
    target.chmod(0o640)
    write_text(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = target.parent / "fresh.txt"
    write_text(fresh, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_failed_import_keeps_the_previous_output_and_the_input(target: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    src = BAD / "good.geojson"
    before = src.read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zonemap._files.os, "replace", fail)
    args = ["import", str(src), "--layer", "zones", "--town", "fenggang", "--out", str(target)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert "Traceback" not in result.output
    assert target.read_text(encoding="utf-8") == OLD
    assert leftovers(target.parent) == []
    assert src.read_bytes() == before
    monkeypatch.undo()
    assert CliRunner().invoke(main, args).exit_code == 0
    assert load_layer(target, "zones", town="fenggang").iloc[0]["id"] == "fg-test-a"


def test_geojson_output_is_rfc7946(tmp_path: Path) -> None:
    clockwise = shapely.Polygon([(114.1, 22.7), (114.1, 22.8), (114.2, 22.8), (114.2, 22.7)],
                                [[(114.12, 22.72), (114.14, 22.72), (114.14, 22.74), (114.12, 22.72)]])
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[clockwise], crs=4326).to_crs(4547)
    text = to_feature_collection(gdf)
    data = json.loads(text)
    assert "crs" not in data
    exterior, hole = data["features"][0]["geometry"]["coordinates"]
    geod = Geod(ellps="WGS84")
    assert geod.polygon_area_perimeter(*zip(*exterior, strict=True))[0] > 0  # counter-clockwise
    assert geod.polygon_area_perimeter(*zip(*hole, strict=True))[0] < 0  # clockwise
    assert all(abs(a - b) < 1e-8 for a, b in zip(exterior[0], (114.1, 22.7), strict=True))
    assert all(len(str(v).split(".")[-1]) <= 8 for ring in (exterior, hole) for pt in ring for v in pt)


def test_read_json_encoding_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.geojson"
    path.write_bytes('\ufeff{"名称": "凤岗"}'.encode())
    assert read_json(path) == {"名称": "凤岗"}
    path.write_bytes('{"名称": "凤岗"}'.encode("gbk"))
    with pytest.raises(DataFileError, match="not valid UTF-8 at byte 2"):
        read_json(path)
    assert read_json(path, encoding="gbk") == {"名称": "凤岗"}
    with pytest.raises(DataFileError, match="larger than the"):
        read_json(path, max_bytes=4)


def test_reference_outline_in_another_crs_is_reprojected_not_relabelled(tmp_path: Path) -> None:
    box = shapely.box(114.10, 22.60, 114.20, 22.70)
    gdf = gpd.GeoDataFrame({"name": ["凤岗镇"]}, geometry=[box], crs="EPSG:4326").to_crs("EPSG:3857")
    gdf.to_file(tmp_path / "dongguan_towns.geojson", driver="GeoJSON")
    out = load_reference_towns(Config(geodata_dir=tmp_path, reference_dir=tmp_path))
    assert out is not None and out.crs.equals("EPSG:4326") and out["town"].tolist() == ["fenggang"]
    assert out.geometry.iloc[0].bounds == pytest.approx(box.bounds, abs=1e-9)
    gdf.drop(columns="name").to_file(tmp_path / "dongguan_towns.geojson", driver="GeoJSON")
    with pytest.raises(SchemaError, match=r"no 'name' property.*fix:"):
        load_reference_towns(Config(geodata_dir=tmp_path, reference_dir=tmp_path))
