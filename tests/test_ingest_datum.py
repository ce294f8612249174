"""The datum promise (issue 12.8): AMap/Baidu offsets are found against every outline at hand, or said unverified.

The test polygon is the part of an invented box north of the Shenzhen border that lies outside
Shenzhen: its southern edge traces the bundled Shenzhen outline (geodata/shenzhen). The GCJ-02
and BD-09 copies are made with zonemap.crs (the conversions themselves are cross-checked
against the PyPI package coordTransform in tests/test_crs.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

from zonemap.cli import main
from zonemap.config import Config
from zonemap.crs import convert_datum
from zonemap.errors import CRSError
from zonemap.ingest import DATUM_NOT_VERIFIED, ImportOptions, import_file
from zonemap.shenzhen import CITY_ID, read_shenzhen

GEOD = Geod(ellps="WGS84")
GEODATA = Path(__file__).resolve().parents[1] / "geodata"
OPTS = ImportOptions(layer="zones", town="fenggang")


@pytest.fixture(scope="module")
def traced() -> shapely.Polygon:
    city = read_shenzhen(GEODATA / "shenzhen" / "shenzhen.geojson")
    outline = city.loc[city["id"] == CITY_ID].geometry.iloc[0]
    piece = shapely.box(114.08, 22.62, 114.22, 22.75).difference(outline)
    polygon = max(shapely.get_parts(piece), key=lambda g: g.area)
    on_border = shapely.distance(shapely.points(shapely.get_coordinates(polygon)), outline.boundary) < 1e-7
    assert on_border.sum() > 100  # most vertices are the Shenzhen border's own
    return polygon


def write(folder: Path, name: str, geom: shapely.Geometry) -> Path:
    path = folder / name
    gpd.GeoDataFrame({"id": ["fg-traced"]}, geometry=[geom], crs=4326).to_file(path, driver="GeoJSON")
    return path


def max_offset_m(a: shapely.Geometry, b: shapely.Geometry) -> float:
    ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    return float(np.max(GEOD.inv(ca[:, 0], ca[:, 1], cb[:, 0], cb[:, 1])[2]))


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_a_web_map_trace_of_the_shenzhen_border_is_refused(datum: str, traced: shapely.Polygon, tmp_path: Path) -> None:
    shifted = convert_datum(traced, "wgs84", datum)
    assert 300 < max_offset_m(shifted, traced) < 1500  # the offset being looked for
    path = write(tmp_path, f"{datum}.geojson", shifted)
    for config in (None, Config(geodata_dir=GEODATA)):  # no reference layers needed: Shenzhen ships with zonemap
        with pytest.raises(CRSError, match=rf"border of Shenzhen \(深圳市\) only after a {datum}.*--crs {datum}"):
            import_file(path, OPTS, config=config)
    back = import_file(path, ImportOptions(layer="zones", town="fenggang", crs=datum)).features.geometry.iloc[0]
    assert shapely.hausdorff_distance(shapely.orient_polygons(back), shapely.orient_polygons(traced)) < 1e-5


def test_the_wgs84_trace_is_verified_quietly(traced: shapely.Polygon, tmp_path: Path) -> None:
    result = import_file(write(tmp_path, "wgs.geojson", traced), OPTS)
    assert result.warnings == ()


def test_data_far_from_every_outline_is_said_unverified(tmp_path: Path) -> None:
    path = write(tmp_path, "inland.geojson", shapely.box(113.75, 22.95, 113.76, 22.96))  # inland Dongguan
    (warning,) = import_file(path, OPTS).warnings
    assert warning == f"{path}: {DATUM_NOT_VERIFIED}"
    assert "AMap/Tencent coordinates are GCJ-02, Baidu BD-09: pass --crs if so" in warning
    assert import_file(path, ImportOptions(layer="zones", town="fenggang", crs="EPSG:4326")).warnings == ()


def test_a_lon_lat_csv_without_crs_gets_the_notice(traced: shapely.Polygon, tmp_path: Path) -> None:
    xy = shapely.get_coordinates(traced)[:20]
    rows = "\n".join(f"p{i},{x:.7f},{y:.7f}" for i, (x, y) in enumerate(xy))
    path = tmp_path / "points.csv"
    path.write_text("编号,经度,纬度\n" + rows + "\n", encoding="utf-8")
    out = tmp_path / "o.geojson"
    result = CliRunner().invoke(
        main, ["import", str(path), "--layer", "places", "--town", "fenggang", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert DATUM_NOT_VERIFIED in result.output
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == 20
    quiet = CliRunner().invoke(
        main, ["import", str(path), "--layer", "places", "--town", "fenggang", "--crs", "EPSG:4326", "--out", str(out)]
    )
    assert quiet.exit_code == 0 and DATUM_NOT_VERIFIED not in quiet.output


@pytest.mark.reference
def test_dongguan_outline_catches_a_trace_of_another_towns_border(tmp_path: Path, reference_dir: Path) -> None:
    """A GCJ-02 trace of a town far from Shenzhen: the Dongguan union (or that town) catches it, not Shenzhen."""
    config = Config(geodata_dir=GEODATA, reference_dir=reference_dir)
    ref = gpd.read_file(reference_dir / "dongguan_towns.geojson").to_crs(4326)
    whole = shapely.union_all(np.asarray(ref.geometry.array))
    north = shapely.box(113.5, 23.05, 114.3, 23.2).intersection(whole)  # Dongguan's northern edge, far from Shenzhen
    path = write(tmp_path, "north.geojson", convert_datum(shapely.get_parts(north)[0], "wgs84", "gcj02"))
    with pytest.raises(CRSError, match="--crs gcj02"):
        import_file(path, OPTS, config=config)


def test_an_amap_trace_of_the_projects_own_parcels_is_refused(tmp_path: Path) -> None:
    # a project whose parcels (imported survey data, ±10 m) lie inland, far from every town border
    project = tmp_path / "proj"
    (project / "tangxia").mkdir(parents=True)
    (project / "towns.csv").write_text("id,name_zh,name_en\ntangxia,塘厦镇,Tangxia Town\n", encoding="utf-8")
    parcels = [shapely.box(114.06 + 0.004 * i, 22.80, 114.063 + 0.004 * i, 22.803) for i in range(6)]
    gpd.GeoDataFrame({"id": [f"tx-{i}" for i in range(6)], "accuracy_m": 10.0}, geometry=parcels, crs=4326).to_file(
        project / "tangxia" / "parcels.geojson", driver="GeoJSON"
    )
    config = Config(geodata_dir=project)
    opts = ImportOptions(layer="parcels", town="tangxia")
    # the same parcels traced on AMap: shifted by the GCJ-02 offset (~550 m here, computed by zonemap.crs)
    shifted = [convert_datum(p, "wgs84", "gcj02") for p in parcels]
    assert all(300 < max_offset_m(a, b) < 1500 for a, b in zip(shifted, parcels, strict=True))
    path = tmp_path / "amap.geojson"
    gpd.GeoDataFrame({"id": [f"a{i}" for i in range(6)]}, geometry=shifted, crs=4326).to_file(path, driver="GeoJSON")
    with pytest.raises(CRSError, match=r"the project's parcels of 塘厦镇.*--crs gcj02"):
        import_file(path, opts, config=config)
    # without the project nothing is near: only the notice
    (warning,) = import_file(path, opts).warnings
    assert DATUM_NOT_VERIFIED in warning
    # the WGS84 copy follows them: verified, no notice
    same = tmp_path / "wgs.geojson"
    gpd.GeoDataFrame({"id": [f"w{i}" for i in range(6)]}, geometry=parcels, crs=4326).to_file(same, driver="GeoJSON")
    assert import_file(same, opts, config=config).warnings == ()
