"""Nothing is lost: atomic writes leave the previous output intact when a write fails; RFC 7946 output."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

import zonemap.io._files
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
def test_failing_fsync_or_rename_keeps_the_previous_output(
    target: Path, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zonemap.io._files.os, stage, fail)
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
    code = (
        "import os, sys; from zonemap.io import atomic_write\n"
        "with atomic_write(sys.argv[1]) as fh:\n"
        "    fh.write('partial'); fh.flush(); os._exit(9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(target)], check=False)
    assert proc.returncode == 9
    assert target.read_text(encoding="utf-8") == OLD
    # A killed process cannot clean up: at most one hidden temporary file is left, never a half target.
    assert all(name.startswith(".zones.geojson.") for name in leftovers(target.parent))


def test_serialization_failure_writes_nothing(target: Path) -> None:
    gdf = gpd.GeoDataFrame({"id": ["a"], "bad": [{1, 2}]}, geometry=[shapely.box(114.1, 22.7, 114.2, 22.8)], crs=4326)
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


def test_failed_import_keeps_the_previous_output_and_the_input(
    target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = BAD / "good.geojson"
    before = src.read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zonemap.io._files.os, "replace", fail)
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
    clockwise = shapely.Polygon(
        [(114.1, 22.7), (114.1, 22.8), (114.2, 22.8), (114.2, 22.7)],
        [[(114.12, 22.72), (114.14, 22.72), (114.14, 22.74), (114.12, 22.72)]],
    )
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


# --------------------------------------------------------------------------- output-path safety (issue 12.5)

from zonemap.errors import OutputPathError  # noqa: E402
from zonemap.io import check_outputs, clear_stale_temp_files, csv_text, install_signal_handlers, write_csv  # noqa: E402


@pytest.fixture
def shapefile(tmp_path: Path) -> Path:
    src = tmp_path / "s" / "full.shp"
    src.parent.mkdir()
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.box(114.1, 22.7, 114.2, 22.8)], crs=4326).to_file(src)
    (src.parent / "full.shp.xml").write_text("<metadata/>")
    return src


@pytest.mark.parametrize(
    "sidecar", ["full.dbf", "full.shx", "full.prj", "full.cpg", "FULL.SHX", "full.shp.xml", "full.shp"]
)
def test_an_output_onto_a_shapefile_input_or_its_sidecar_is_refused(shapefile: Path, sidecar: str) -> None:
    before = {p.name: p.read_bytes() for p in shapefile.parent.iterdir()}
    out = shapefile.parent / sidecar
    with pytest.raises(OutputPathError, match=rf"{re.escape(str(out))}: is an input of this command.*fix: write"):
        check_outputs([out], [shapefile])
    assert {p.name: p.read_bytes() for p in shapefile.parent.iterdir()} == before
    check_outputs([shapefile.parent / "other.geojson"], [shapefile])  # a new file next to it is fine


def test_outputs_that_are_inputs_through_links_or_inside_input_folders_are_refused(tmp_path: Path) -> None:
    geodata = tmp_path / "g"
    (geodata / "fenggang").mkdir(parents=True)
    figures = geodata / "figures.csv"
    figures.write_text("figure_id\n", encoding="utf-8")
    reference = tmp_path / "ref"
    reference.mkdir()
    (reference / "dongguan_towns.geojson").write_text("{}", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(figures)
    hard = tmp_path / "hard.csv"
    os.link(figures, hard)
    (tmp_path / "alias").symlink_to(geodata)
    cases = {
        figures: "is an input",
        hard: "is an input",
        tmp_path / "alias" / "figures.csv": "is an input",
        reference / "dongguan_towns.geojson": "which this command reads",
        geodata / "fenggang" / "zones.geojson": "which this command reads",
        link: "is a symbolic link",
    }
    for out, why in cases.items():
        with pytest.raises(OutputPathError, match=re.escape(why)) as exc:
            check_outputs([out], [figures, geodata, reference])
        assert str(out) in str(exc.value) and "fix:" in str(exc.value)
    with pytest.raises(OutputPathError, match="named as two outputs"):
        check_outputs([tmp_path / "a.csv", tmp_path / "." / "a.csv"], [])
    check_outputs([tmp_path / "out" / "a.csv", None], [figures, geodata, None])


def test_special_files_and_read_only_outputs_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    specials = ((fifo, "a FIFO (named pipe)"), (folder, "a directory"), (Path("/dev/null"), "a character device"))
    for out, kind in specials:
        with pytest.raises(OutputPathError, match=re.escape(f"{out}: is {kind}, not a regular file")):
            check_outputs([out], [])
        with pytest.raises(OutputPathError, match=re.escape(f"{out}: is {kind}")):
            write_text(out, "x")  # atomic_write refuses them too, whoever calls it
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and folder.is_dir()
    locked = tmp_path / "locked.csv"
    locked.write_text("old", encoding="utf-8")
    locked.chmod(0o444)
    with pytest.raises(OutputPathError, match=r"locked.csv: is read-only.*--force"):
        check_outputs([locked], [])
    check_outputs([locked], [], force=True)
    check_outputs([tmp_path / "new.csv", tmp_path / "fresh" / "deep.csv"], [])


def test_write_errors_name_the_users_path_not_the_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "report.html"

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / "out" / ".report.html.zm1-abcdefgh.tmp"))

    monkeypatch.setattr(zonemap.io._files.tempfile, "mkstemp", denied)
    with pytest.raises(OutputPathError) as exc:
        write_text(target, "x")
    assert str(exc.value).startswith(f"{target}: cannot write: Permission denied (fix: choose a folder")
    assert ".tmp" not in str(exc.value)
    monkeypatch.undo()

    real_replace = os.replace

    def replace_denied(src: str, dst: object) -> None:
        raise PermissionError(13, "Permission denied", src, str(dst))

    monkeypatch.setattr(zonemap.io._files.os, "replace", replace_denied)
    with pytest.raises(OutputPathError) as exc:
        write_text(target, "x")
    assert str(target) in str(exc.value) and ".tmp" not in str(exc.value)
    monkeypatch.setattr(zonemap.io._files.os, "replace", real_replace)
    assert leftovers(target.parent) == [] and not target.exists()
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    with pytest.raises(OutputPathError, match=re.escape(f"{blocker / 'x.csv'}: cannot write")):
        write_text(blocker / "x.csv", "x")


def test_stale_temp_files_of_dead_writers_are_cleared(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(dead.stdout)
    target = tmp_path / "zones.geojson"
    stale = tmp_path / f".zones.geojson.zm{dead_pid}-abcd_123.tmp"
    mine = tmp_path / f".zones.geojson.zm{os.getpid()}-abcd_123.tmp"
    other_target = tmp_path / f".parcels.geojson.zm{dead_pid}-abcd_123.tmp"
    near_miss = tmp_path / f".zones.geojson.zm{dead_pid}-abcd_123.tmp.bak"
    for p in (stale, mine, other_target, near_miss):
        p.write_text("partial")
    assert clear_stale_temp_files(target) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (mine, other_target, near_miss))
    with atomic_write(target) as fh:  # the temp file is named after this process
        fh.write("x")
        assert any(n.startswith(f".zones.geojson.zm{os.getpid()}-") for n in leftovers(tmp_path) if n != mine.name)


def test_signal_handlers_turn_sigterm_into_a_clean_exit() -> None:
    import signal

    previous = install_signal_handlers()
    try:
        assert signal.SIGTERM in previous
        with pytest.raises(SystemExit) as exc:
            signal.raise_signal(signal.SIGTERM)
        assert exc.value.code == 128 + signal.SIGTERM
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# --------------------------------------------------------------------------- CSV for spreadsheets (issue 12.2)


def test_csv_neutralises_formulas_and_keeps_numbers_numeric() -> None:
    import csv as csvlib
    import io as iolib

    import pandas as pd

    df = pd.DataFrame(
        {
            "text": [
                '=HYPERLINK("http://x")',
                "+1+1",
                "-2+3",
                "@SUM(A1)",
                "\tx",
                "\rx",
                "＝1",
                "-3.5",
                "+12",
                "plain",
                None,
                "1e5",
            ],
            "number": [-3.5, 1.0, float("nan"), 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    rows = list(csvlib.reader(iolib.StringIO(csv_text(df), newline="")))
    assert rows[0] == ["text", "number"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "'＝1",
        "-3.5",
        "+12",
        "plain",
        "",
        "1e5",
    ]
    assert [r[1] for r in rows[1:3]] == ["-3.5", "1.0"] and rows[3][1] == ""
    assert df["text"].iloc[0] == '=HYPERLINK("http://x")'  # the data is not modified


def test_write_csv_bom_gbk_and_unencodable_characters(tmp_path: Path) -> None:
    import pandas as pd

    df = pd.DataFrame({"name": ["凤岗镇", "塘厦镇"], "area_m2": [1.5, 2.0]})
    out = write_csv(df, tmp_path / "a.csv")
    assert out.read_bytes().startswith("\ufeffname,area_m2\r\n凤岗镇,1.5".encode())
    write_csv(df, tmp_path / "g.csv", encoding="gbk")
    assert (tmp_path / "g.csv").read_bytes() == "name,area_m2\r\n凤岗镇,1.5\r\n塘厦镇,2.0\r\n".encode("gbk")
    bad = pd.DataFrame({"name": ["凤岗镇", "€ zone"], "area_m2": [1.5, 2.0]})
    with pytest.raises(
        DataFileError,
        match=r"b.csv: row 2, column 'name': character '€' \(U\+20AC\) cannot be "
        r"written in GBK \(fix: write UTF-8",
    ):
        write_csv(bad, tmp_path / "b.csv", encoding="gbk")
    assert not (tmp_path / "b.csv").exists() and leftovers(tmp_path) == []
    write_csv(bad, tmp_path / "b.csv", encoding="gb18030")
    assert (tmp_path / "b.csv").read_bytes().decode("gb18030").splitlines()[2] == "€ zone,2.0"
