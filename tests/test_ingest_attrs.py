"""Import keeps the planner's attributes and ids (issue 9.6); GeoParquet; DBF declared decimals.

Every file is written by the test under tmp_path. The parcels are invented test squares near
Fenggang (not real parcels); their areas are checked against GeographicLib (tests/_geo.py).
"""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _geo import LAT0, LON0, geo_area, square
from click.testing import CliRunner

from zonemap.areas import ellipsoidal_area
from zonemap.cli import main
from zonemap.errors import SchemaError
from zonemap.ingest import ImportOptions, field_decimals, import_file
from zonemap.layer_checks import validate_layer_data

IDS = ["FG-2024-001", "FG-2024-002", "地块三"]
NAMES = ["甲地块", "乙地块", "丙地块"]
USES = ["M1 一类工业用地", "M2 二类工业用地", "W1 物流仓储用地"]
MU = [12.34, 5.5, 245.98]
OWNERS = ["凤岗镇集体", "某某公司", ""]


def parcels(n: int = 3) -> list[shapely.Polygon]:
    return [square(LON0 + 0.01 * i, LAT0, 100.0 + 10 * i) for i in range(n)]


def planner_frame(status: list[str] | None = None) -> gpd.GeoDataFrame:
    data = {"地块编号": IDS, "地块名称": NAMES, "用地性质": USES, "面积亩": MU, "权属单位": OWNERS}
    if status is not None:
        data["status"] = status
    return gpd.GeoDataFrame(data, geometry=parcels(), crs=4326)


def _dbf(fields: list[tuple[str, str, int, int]], rows: list[list[str]], encoding: str) -> bytes:
    """A dBASE III table as ArcGIS writes it: fields (name, type, length, decimals), rows as text."""
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(f[2] for f in fields)
    out = bytearray(struct.pack("<BBBBIHH20x", 3, 126, 1, 1, len(rows), header_len, record_len))
    for name, kind, length, decimals in fields:
        out += struct.pack("<11sc4xBB14x", name.encode(encoding), kind.encode(), length, decimals)
    out += b"\r"
    for row in rows:
        out += b" "
        for (_, kind, length, _), value in zip(fields, row, strict=True):
            raw = value.encode(encoding)
            out += raw.rjust(length) if kind == "N" else raw.ljust(length)
    return bytes(out + b"\x1a")


def gbk_shapefile(folder: Path, status: list[str] | None = None) -> Path:
    """A GBK Shapefile without .cpg in EPSG:4526 whose DBF declares 面积亩 as N(18,2)."""
    shp = folder / "parcels.shp"
    planner_frame(status).to_crs(4526)[["geometry"]].assign(tmp=1).to_file(shp)
    fields = [
        ("地块编号", "C", 20, 0),
        ("地块名称", "C", 20, 0),
        ("用地性质", "C", 30, 0),
        ("面积亩", "N", 18, 2),
        ("权属单位", "C", 20, 0),
    ] + ([("status", "C", 10, 0)] if status else [])
    rows = [[IDS[i], NAMES[i], USES[i], f"{MU[i]:.2f}", OWNERS[i]] + ([status[i]] if status else []) for i in range(3)]
    (folder / "parcels.dbf").write_bytes(_dbf(fields, rows, "gbk"))
    (folder / "parcels.cpg").unlink(missing_ok=True)
    return shp


def imported(path: Path, **kw: object) -> gpd.GeoDataFrame:
    opts = ImportOptions(layer=str(kw.pop("layer", "parcels")), town=str(kw.pop("town", "fenggang")), **kw)  # type: ignore[arg-type]
    return import_file(path, opts).features


def test_shapefile_keeps_every_attribute_and_the_ids_as_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shp = gbk_shapefile(tmp_path, status=["现状", "规划", "现状"])
    out = tmp_path / "out.geojson"
    with caplog.at_level(logging.WARNING):
        result = import_file(shp, ImportOptions(layer="parcels", town="凤岗", encoding="GBK"), out=out)
    got = result.features
    assert list(got["id"]) == IDS  # no lowercasing, Chinese kept
    assert list(got["name_zh"]) == NAMES
    assert list(got["地块编号"]) == IDS and list(got["用地性质"]) == USES
    assert list(got["权属单位"].fillna("")) == OWNERS  # a blank dBASE text cell reads as null
    assert list(got["面积亩"]) == MU
    assert list(got["status_src"]) == ["现状", "规划", "现状"]  # did not fit the schema's status
    assert "status" not in got.columns
    assert "'status' does not fit the schema property" in caplog.text and "'status_src'" in caplog.text
    assert result.field_decimals == {"面积亩": 2}
    assert field_decimals(shp, "面积亩", encoding="GBK") == 2
    assert field_decimals(shp, "地块名称", encoding="GBK") is None  # a text field
    areas = ellipsoidal_area(got.geometry)
    for area, geom in zip(areas, parcels(), strict=True):
        assert abs(area / geo_area(geom)[0] - 1) < 1e-6
    data = json.loads(out.read_text(encoding="utf-8"))
    assert validate_layer_data(data, "parcels", out, town="fenggang") == []
    props = data["features"][2]["properties"]
    assert props["id"] == "地块三" and props["面积亩"] == 245.98 and props["权属单位"] is None


def test_a_status_column_that_fits_fills_the_schema_status(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    frame = planner_frame(status=["planned", "existing", ""])
    frame.to_file(path, driver="GeoJSON")
    got = imported(path)
    assert list(got["status"].fillna("")) == ["planned", "existing", ""]
    assert "status_src" not in got.columns


def test_kind_and_town_columns_that_do_not_fit_are_kept_as_src(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    planner_frame().assign(kind=["工业", "工业", "仓储"], town=["凤岗镇"] * 3).to_file(path, driver="GeoJSON")
    got = imported(path)
    assert list(got["kind"]) == ["parcel"] * 3 and list(got["town"]) == ["fenggang"] * 3
    assert list(got["kind_src"]) == ["工业", "工业", "仓储"] and list(got["town_src"]) == ["凤岗镇"] * 3


def test_numeric_ids_lose_the_trailing_zero(tmp_path: Path) -> None:
    path = tmp_path / "n.geojson"
    gpd.GeoDataFrame({"BSM": [1.0, 2.0, 30.0]}, geometry=parcels(), crs=4326).to_file(path, driver="GeoJSON")
    assert list(imported(path)["id"]) == ["1", "2", "30"]


@pytest.mark.parametrize("column", ["id", "地块编号", "编号", "DKBH", "dkbm", "Bsm", "TBBH"])
def test_id_columns_are_detected(column: str, tmp_path: Path) -> None:
    path = tmp_path / "d.geojson"
    gpd.GeoDataFrame({"名称": NAMES, column: IDS}, geometry=parcels(), crs=4326).to_file(path, driver="GeoJSON")
    got = imported(path)
    assert list(got["id"]) == IDS and list(got["name_zh"]) == NAMES


def test_duplicate_and_empty_ids_are_refused_naming_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame(
        {"地块编号": ["A-1", "", "A-1", "A-2"], "lon": [114.15, 114.16, 114.17, 114.18], "lat": [22.7] * 4}
    ).to_csv(path, index=False)
    with pytest.raises(SchemaError) as err:
        imported(path, layer="places")
    found = {(p.feature, p.message) for p in err.value.problems}
    assert ("row 3", "missing id in column '地块编号'") in found
    assert ("id A-1", "id used by 2 features (row 2, row 4)") in found


def test_an_absent_id_column_names_the_columns_there_are(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    planner_frame().to_file(path, driver="GeoJSON")
    with pytest.raises(SchemaError, match=r"no column 'DKBH' \(fix: --id-column one of: 地块编号, 地块名称, 用地性质"):
        imported(path, id_column="DKBH")


def test_kml_placemarks_without_ids_are_numbered_and_keep_name_and_description(tmp_path: Path) -> None:
    marks = "".join(
        f"<Placemark><name>{NAMES[i]}</name><description>说明{i}</description><Polygon><outerBoundaryIs>"
        "<LinearRing><coordinates>"
        + " ".join(f"{x},{y}" for x, y in g.exterior.coords)
        + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        for i, g in enumerate(parcels())
    )
    path = tmp_path / "奥维.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{marks}</Document></kml>",
        encoding="utf-8",
    )
    got = imported(path)
    assert list(got["id"]) == ["fenggang-import-001", "fenggang-import-002", "fenggang-import-003"]
    assert list(got["name_zh"]) == NAMES
    assert list(got["Name"]) == NAMES and list(got["description"]) == ["说明0", "说明1", "说明2"]
    assert "tessellate" not in got.columns  # LIBKML's presentation columns are not the planner's attributes


def test_parent_and_parent_field(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    planner_frame().assign(所属片区=["Z-1", "Z-2", ""]).to_file(path, driver="GeoJSON")
    assert list(imported(path, parent="FG-Zone-A")["parent"]) == ["FG-Zone-A"] * 3
    assert list(imported(path, parent_field="所属片区")["parent"]) == ["Z-1", "Z-2", None]
    with pytest.raises(SchemaError, match=r"no column '片区' \(fix: --parent-field one of"):
        imported(path, parent_field="片区")


def test_cli_parent_option(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    planner_frame().to_file(path, driver="GeoJSON")
    out = tmp_path / "o.geojson"
    result = CliRunner().invoke(
        main, ["import", str(path), "--layer", "parcels", "--town", "fenggang", "--parent", "Z-9", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    props = [f["properties"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]]
    assert [p["parent"] for p in props] == ["Z-9"] * 3 and [p["id"] for p in props] == IDS


def test_geoparquet_with_its_crs(tmp_path: Path) -> None:
    path = tmp_path / "parcels.parquet"
    planner_frame().to_crs(4547).to_parquet(path)
    result = import_file(path, ImportOptions(layer="parcels", town="fenggang"))
    assert result.source_format == "GeoParquet" and result.crs_label == "EPSG:4547"
    got = result.features
    assert list(got["id"]) == IDS and list(got["面积亩"]) == MU
    for area, geom in zip(ellipsoidal_area(got.geometry), parcels(), strict=True):
        assert abs(area / geo_area(geom)[0] - 1) < 1e-6
    (tmp_path / "plain.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(Exception, match="GeoParquet"):
        import_file(tmp_path / "plain.parquet", ImportOptions(layer="parcels", town="fenggang"))


def test_every_format_gives_the_same_ids_attributes_and_areas(tmp_path: Path) -> None:
    base = planner_frame()
    files = {
        "p.geojson": lambda p: base.to_file(p, driver="GeoJSON"),
        "p.gpkg": lambda p: base.to_crs(4526).to_file(p),
        "p.parquet": lambda p: base.to_parquet(p),
        "p.csv": lambda p: (
            pd.DataFrame(base.drop(columns="geometry"))
            .assign(wkt=base.geometry.to_wkt(rounding_precision=-1))
            .to_csv(p, index=False)
        ),
    }
    want = None
    for name, write in files.items():
        write(tmp_path / name)
        got = imported(tmp_path / name)
        assert list(got["id"]) == IDS, name
        assert list(got["用地性质"]) == USES, name
        areas = np.asarray(ellipsoidal_area(got.geometry))
        want = areas if want is None else want
        assert np.allclose(areas, want, rtol=1e-7), name


@pytest.mark.parametrize("name", ["甲", "NaN路"])  # "NaN" in a value sends the file down the exact json path
def test_a_features_own_id_member_is_its_id(name: str, tmp_path: Path) -> None:
    ring = [list(c) for c in parcels(1)[0].exterior.coords]
    features = [
        {
            "type": "Feature",
            "id": fid,
            "properties": {"名称": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for fid in (7, 9)
    ]
    path = tmp_path / "fid.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8"
    )
    got = imported(path)
    assert list(got["id"]) == ["7", "9"] and list(got["name_zh"]) == [name, name]


def test_an_id_column_not_chosen_is_kept_as_id_src(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    planner_frame().assign(id=["x1", "x2", "x3"], name_zh=["一", "二", "三"]).to_file(path, driver="GeoJSON")
    got = imported(path, id_column="地块编号", name_column="地块名称")
    assert list(got["id"]) == IDS and list(got["name_zh"]) == NAMES
    assert list(got["id_src"]) == ["x1", "x2", "x3"] and list(got["name_zh_src"]) == ["一", "二", "三"]
