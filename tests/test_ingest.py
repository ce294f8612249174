"""Import from every format, written by the tests under tmp_path, against the WGS84 original.

The original is an invented test polygon near Fenggang (not an official boundary). Its area
is computed independently with GeographicLib (pyproj.Geod on GRS80); GCJ-02 and BD-09 files
are made with the PyPI package coordTransform, not with zonemap's own formulas.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from coordTransform import wgs84_to_bd09, wgs84_to_gcj02
from pyproj import Geod, Transformer

from zonemap.areas import ellipsoidal_area
from zonemap.cli import main
from zonemap.config import Config
from zonemap.errors import CRSError, DataFileError, SchemaError
from zonemap.figures import load_figures
from zonemap.ingest import DATUM_NOT_VERIFIED, DEFAULT_ACCURACY_M, ImportOptions, import_file
from zonemap.io import load_layer, load_reference_towns
from zonemap.reconcile import reconcile

GEOD = Geod(ellps="GRS80")
RING = [
    (114.130, 22.730),
    (114.146, 22.728),
    (114.152, 22.739),
    (114.147, 22.748),
    (114.138, 22.751),
    (114.129, 22.744),
    (114.130, 22.730),
]
HOLE = [(114.138, 22.738), (114.141, 22.738), (114.141, 22.741), (114.138, 22.741), (114.138, 22.738)]
ORIGINAL = shapely.Polygon(RING)
ZONE_ID, NAME = "fg-test-zone", "凤岗测试片区"


def geod_area(geom: shapely.Geometry) -> float:
    """GeographicLib's area; its sum of signed ring areas needs RFC 7946 orientation (holes clockwise)."""
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(geom, exterior_cw=False))[0])


def frame(geom: shapely.Geometry = ORIGINAL, crs: int | None = 4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [ZONE_ID], "code": [ZONE_ID], "名称": [NAME]}, geometry=[geom], crs=crs)


def transformed(geom: shapely.Geometry, func) -> shapely.Geometry:  # type: ignore[no-untyped-def]
    return shapely.transform(geom, lambda c: np.array([func(x, y) for x, y in c]))


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run(path: Path, tmp_path: Path, layer: str = "zones", **kw: object) -> tuple[gpd.GeoDataFrame, object]:
    """Import ``path``, check the input folder is untouched, load the output as a zonemap layer."""
    before = snapshot(path.parent)
    out = tmp_path / "out" / f"{layer}.geojson"
    result = import_file(path, ImportOptions(layer=layer, town="fenggang", **kw), out=out)  # type: ignore[arg-type]
    assert snapshot(path.parent) == before
    return load_layer(out, layer, town="fenggang"), result


def max_offset_m(a: shapely.Geometry, b: shapely.Geometry) -> float:
    ca, cb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    assert ca.shape == cb.shape
    return float(np.max(GEOD.inv(ca[:, 0], ca[:, 1], cb[:, 0], cb[:, 1])[2]))


def vertex_offset_m(got: shapely.Geometry, want: shapely.Geometry = ORIGINAL) -> float:
    """Largest distance (m) between matching exterior vertices, whatever the start vertex and orientation."""
    ring_a = shapely.get_coordinates(shapely.orient_polygons(got, exterior_cw=False).exterior)[:-1]
    ring_b = shapely.get_coordinates(shapely.orient_polygons(want, exterior_cw=False).exterior)[:-1]
    start = int(np.argmin(np.hypot(*(ring_a - ring_b[0]).T)))
    return max_offset_m(shapely.LineString(np.roll(ring_a, -start, axis=0)), shapely.LineString(ring_b))


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def original_area() -> float:
    return geod_area(ORIGINAL)


def test_gbk_shapefile_in_cgcs2000_gauss_kruger(src: Path, tmp_path: Path, original_area: float) -> None:
    shp = src / "planning_bureau.shp"
    frame().to_crs(4547).to_file(shp, encoding="GBK")
    assert (src / "planning_bureau.cpg").read_text().strip().upper() == "GBK"
    assert NAME.encode("gbk") in (src / "planning_bureau.dbf").read_bytes()
    layer, result = run(shp, tmp_path, id_column="id")
    assert result.crs_label == "EPSG:4547" and result.source_format == "Shapefile"
    row = layer.iloc[0]
    assert (row["id"], row["name_zh"], row["town"], row["kind"]) == (ZONE_ID, NAME, "fenggang", "zone")
    assert row["geometry_source"] == "imported from planning_bureau.shp (EPSG:4547)"
    assert row["accuracy_m"] == DEFAULT_ACCURACY_M
    assert abs(ellipsoidal_area(layer.geometry)[0] / original_area - 1) < 1e-6
    assert vertex_offset_m(row.geometry, ORIGINAL) < 0.01


def test_shapefile_without_cpg_needs_the_encoding(src: Path, tmp_path: Path) -> None:
    shp = src / "bureau.shp"
    frame().to_crs(4547).to_file(shp, encoding="GBK")
    (src / "bureau.cpg").unlink()
    with pytest.raises(DataFileError, match="--encoding GBK"):
        run(shp, tmp_path)
    layer, _ = run(shp, tmp_path, encoding="GBK")
    assert layer.iloc[0]["name_zh"] == NAME


def test_kml(src: Path, tmp_path: Path, original_area: float) -> None:
    kml = src / "traced.kml"
    gpd.GeoDataFrame({"Name": [NAME]}, geometry=[ORIGINAL], crs=4326).to_file(kml, driver="KML")
    layer, result = run(kml, tmp_path)
    assert result.crs_label == "EPSG:4326" and layer.iloc[0]["name_zh"] == NAME
    assert 'Placemark id="traced.1"' in kml.read_text(encoding="utf-8")
    assert layer.iloc[0]["id"] == "traced.1"  # the placemark's id
    assert abs(ellipsoidal_area(layer.geometry)[0] / original_area - 1) < 1e-6


def test_dxf_closed_polylines_become_polygons(src: Path, tmp_path: Path, original_area: float) -> None:
    to_gk = Transformer.from_crs(4326, 4526, always_xy=True)  # zone-prefixed eastings 38xxxxxx
    doc = ezdxf.new()
    msp = doc.modelspace()
    msp.add_lwpolyline([to_gk.transform(x, y) for x, y in RING[:-1]], close=True, dxfattribs={"layer": "ZONES"})
    msp.add_lwpolyline([to_gk.transform(x, y) for x, y in RING[:3]], dxfattribs={"layer": "ROADS"})
    msp.add_text("label", dxfattribs={"layer": "ZONES"})
    dxf = src / "cad.dxf"
    doc.saveas(dxf)
    with pytest.raises(CRSError, match="--crs EPSG:4526"):
        run(dxf, tmp_path)
    with pytest.raises(SchemaError, match=r"ROADS.*LineString"):
        run(dxf, tmp_path, crs="EPSG:4526")
    layer, result = run(dxf, tmp_path, crs="EPSG:4526", layer_name="ZONES")
    assert result.crs_label == "EPSG:4526" and len(layer) == 1
    assert abs(ellipsoidal_area(layer.geometry)[0] / original_area - 1) < 1e-6
    assert vertex_offset_m(layer.geometry.iloc[0], ORIGINAL) < 0.01


def test_csv_with_wkt_and_csv_with_chinese_lon_lat(
    src: Path, tmp_path: Path, original_area: float, caplog: pytest.LogCaptureFixture
) -> None:
    wkt = src / "wkt.csv"
    pd.DataFrame({"id": [ZONE_ID], "名称": [NAME], "wkt": [ORIGINAL.wkt]}).to_csv(wkt, index=False)
    with caplog.at_level(logging.WARNING):
        layer, result = run(wkt, tmp_path)
    assert "no coordinate system stated" in caplog.text and result.crs_label == "EPSG:4326"
    assert abs(ellipsoidal_area(layer.geometry)[0] / original_area - 1) < 1e-6
    pts = src / "points.csv"
    pd.DataFrame({"编号": ["p1", "p2"], "名称": ["甲", "乙"], "经度": [114.14, 114.15], "纬度": [22.74, 22.73]}).to_csv(
        pts, index=False, encoding="gbk"
    )
    places, _ = run(pts, tmp_path, layer="places", encoding="GBK", id_column="编号")
    assert list(places["id"]) == ["p1", "p2"] and list(places["name_zh"]) == ["甲", "乙"]
    assert list(places["kind"]) == ["landmark", "landmark"]
    assert [(g.x, g.y) for g in places.geometry] == [(114.14, 22.74), (114.15, 22.73)]


def test_gcj02_geojson_lands_within_a_metre(src: Path, tmp_path: Path, original_area: float) -> None:
    gcj = transformed(ORIGINAL, wgs84_to_gcj02)
    assert 400 < max_offset_m(gcj, ORIGINAL) < 800  # the offset being undone
    path = src / "amap.geojson"
    frame(gcj).to_file(path, driver="GeoJSON")
    layer, result = run(path, tmp_path, crs="gcj02")
    assert result.crs_label == "gcj02"
    assert vertex_offset_m(layer.geometry.iloc[0], ORIGINAL) < 1.0
    assert abs(ellipsoidal_area(layer.geometry)[0] / original_area - 1) < 1e-6
    bd = src / "baidu.geojson"
    frame(transformed(ORIGINAL, wgs84_to_bd09)).to_file(bd, driver="GeoJSON")
    layer, _ = run(bd, tmp_path, crs="bd09")
    assert vertex_offset_m(layer.geometry.iloc[0], ORIGINAL) < 1.0


def test_geopackage_layers_and_holes(src: Path, tmp_path: Path) -> None:
    with_hole = shapely.Polygon(RING, [HOLE])
    gpkg = src / "plan.gpkg"
    frame(with_hole).to_crs(4490).to_file(gpkg, layer="zones")
    frame().to_file(gpkg, layer="other")
    with pytest.raises(DataFileError, match=r"2 layers \(zones, other\).*--layer-name"):
        run(gpkg, tmp_path)
    layer, result = run(gpkg, tmp_path, layer_name="zones")
    assert result.crs_label == "EPSG:4490"
    assert abs(ellipsoidal_area(layer.geometry)[0] / geod_area(with_hole) - 1) < 1e-6
    assert geod_area(with_hole) < geod_area(ORIGINAL)


def test_every_format_reconciles_like_the_original(src: Path, tmp_path: Path, config: Config) -> None:
    figures = tmp_path / "figures.csv"
    figures.write_text(
        "figure_id,town,subject,quantity,value,unit,qualifier,source,quote,part_of,notes\n"
        f"fg-test,fenggang,{ZONE_ID},area,2.2,km2,约,test,约2.2平方公里,,\n",
        encoding="utf-8",
    )
    registry = load_figures(figures)
    to_gk = Transformer.from_crs(4326, 4547, always_xy=True)
    files = {
        "wgs84.geojson": lambda p: frame().to_file(p, driver="GeoJSON"),
        "gk.shp": lambda p: frame().to_crs(4547).to_file(p, encoding="GBK"),
        "traced.kml": lambda p: frame().to_file(p, driver="KML"),
        "wkt.csv": lambda p: pd.DataFrame(
            {"code": [ZONE_ID], "wkt": [transformed(ORIGINAL, to_gk.transform).wkt]}
        ).to_csv(p, index=False),
        "amap.geojson": lambda p: frame(transformed(ORIGINAL, wgs84_to_gcj02)).to_file(p, driver="GeoJSON"),
    }
    crs = {"wkt.csv": "EPSG:4547", "amap.geojson": "gcj02"}
    rows = {}
    for name, write in files.items():
        write(src / name)
        layer, _ = run(src / name, tmp_path / name, crs=crs.get(name), id_column="code")
        rows[name] = reconcile(layer, registry, config).figures.iloc[0]
    want = rows["wgs84.geojson"]
    assert abs(want["measured_m2"] / geod_area(ORIGINAL) - 1) < 1e-6
    for name, row in rows.items():
        assert row["status"] == want["status"], name
        assert abs(row["measured_m2"] / want["measured_m2"] - 1) < 1e-6, name
        assert abs(row["diff_pct"] - want["diff_pct"]) < 1e-4, name


def test_fix_repairs_and_logs(src: Path, tmp_path: Path) -> None:
    a, b, c, d = (114.10, 22.70), (114.11, 22.70), (114.11, 22.71), (114.10, 22.71)
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "bow"},
                "geometry": {"type": "Polygon", "coordinates": [[a, c, b, d, a]]},
            },
            {
                "type": "Feature",
                "properties": {"id": "open"},
                "geometry": {"type": "Polygon", "coordinates": [[a, b, c, d]]},
            },
            {
                "type": "Feature",
                "properties": {"id": "cw"},
                "geometry": {"type": "MultiPolygon", "coordinates": [[[a, d, c, b, a]], []]},
            },
        ],
    }
    path = src / "messy.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        run(path, tmp_path)
    assert [p.feature for p in err.value.problems] == [
        "feature #1 (id open)",
        "feature #2 (id cw)",
        "feature #0 (id bow)",
    ]
    layer, result = run(path, tmp_path, fix=True)
    log = "\n".join(result.changes)
    assert "feature #0 (id bow): repaired invalid geometry (Self-intersection" in log
    assert "feature #1 (id open): closed 1 ring(s)" in log
    assert "feature #2 (id cw): dropped 1 empty part(s)" in log
    assert "re-oriented" in log
    square = geod_area(shapely.Polygon([a, b, c, d]))
    areas = ellipsoidal_area(layer.geometry)
    assert abs(areas[0] / (square / 2) - 1) < 1e-3  # the bow tie is two triangles, half the square
    assert abs(areas[1] / square - 1) < 1e-6 and abs(areas[2] / square - 1) < 1e-6


def test_projected_numbers_get_the_fitting_crs(src: Path, tmp_path: Path) -> None:
    for code in (4547, 32650, 3857):
        path = src / f"p{code}.geojson"
        to = Transformer.from_crs(4326, code, always_xy=True)
        path.write_text(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": shapely.geometry.mapping(transformed(ORIGINAL, to.transform)),
                        }
                    ],
                }
            )
        )
        with pytest.raises(CRSError, match=rf"pass --crs EPSG:{code}\b"):
            run(path, tmp_path)
    wrong = src / "declared.shp"
    frame().to_crs(4547).set_crs(4326, allow_override=True).to_file(wrong)
    with pytest.raises(CRSError, match=r"taken as EPSG:4326 \(declared\).*--crs EPSG:4547"):
        run(wrong, tmp_path)
    layer, _ = run(wrong, tmp_path, crs="EPSG:4547")  # --crs overrides a wrong .prj
    assert vertex_offset_m(layer.geometry.iloc[0], ORIGINAL) < 0.01


def test_projected_numbers_under_the_wrong_projected_crs_are_named(src: Path, tmp_path: Path) -> None:
    """Metres given a projected --crs they do not fit: each feature named, with the CRS that does fit."""
    rows = {"p1": (114.14, 22.74), "p2": (114.15, 22.73)}
    for code, wrong in ((4547, "EPSG:3857"), (4526, "EPSG:4547")):  # lands in the Atlantic; does not convert
        to = Transformer.from_crs(4326, code, always_xy=True)
        xy = [to.transform(*lonlat) for lonlat in rows.values()]
        path = src / f"gk{code}.csv"
        pd.DataFrame({"id": list(rows), "x": [p[0] for p in xy], "y": [p[1] for p in xy]}).to_csv(path, index=False)
        with pytest.raises(CRSError) as err:
            run(path, tmp_path, layer="places", crs=wrong)
        assert [p.feature for p in err.value.problems] == ["row 2", "row 3"]
        assert all(f"pass --crs EPSG:{code}" in p.hint for p in err.value.problems)
        assert all("lands outside China" in p.message for p in err.value.problems)


def test_schema_columns_in_the_file_win(src: Path, tmp_path: Path) -> None:
    path = src / "ours.geojson"
    gpd.GeoDataFrame(
        {
            "id": ["fg-a"],
            "name_zh": ["甲区"],
            "name_en": ["Zone A"],
            "accuracy_m": [250],
            "status": ["planned"],
            "geometry_source": ["sketch"],
        },
        geometry=[ORIGINAL],
        crs=4326,
    ).to_file(path, driver="GeoJSON")
    layer, _ = run(path, tmp_path)
    row = layer.iloc[0]
    assert (row["name_en"], row["accuracy_m"], row["status"]) == ("Zone A", 250.0, "planned")
    assert row["geometry_source"] == "sketch; imported from ours.geojson (OGC:CRS84)"  # GDAL wrote a crs member


def test_output_never_replaces_the_input(src: Path) -> None:
    path = src / "zones.geojson"
    frame().to_file(path, driver="GeoJSON")
    before = path.read_bytes()
    with pytest.raises(DataFileError, match="would overwrite the input"):
        import_file(path, ImportOptions(layer="zones", town="fenggang"), out=path)
    assert path.read_bytes() == before


def test_cli_import_default_output_and_log(src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = src / "bureau.shp"
    frame().to_crs(4547).to_file(path, encoding="GBK")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["import", str(path), "--layer", "zones", "--town", "凤岗镇", "--accuracy-m", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "re-oriented 1 polygon(s)" in result.output
    assert "from Shapefile (EPSG:4547) to bureau.zones.geojson" in result.output
    assert load_layer(tmp_path / "bureau.zones.geojson", "zones").iloc[0]["accuracy_m"] == 2.0


@pytest.mark.reference
def test_gcj02_offset_is_detected_against_the_town_outline(src: Path, tmp_path: Path, reference_dir: Path) -> None:
    config = Config(geodata_dir=tmp_path, reference_dir=reference_dir)
    ref = load_reference_towns(config)
    assert ref is not None
    outline = ref.loc[ref["town"] == "fenggang"].geometry.iloc[0]
    opts = ImportOptions(layer="zones", town="fenggang")
    cases = {"traced_gcj.geojson": (wgs84_to_gcj02, "--crs gcj02"), "traced_bd.geojson": (wgs84_to_bd09, "--crs bd09")}
    for name, (func, hint) in cases.items():
        frame(transformed(outline, func)).to_file(src / name, driver="GeoJSON")
        with pytest.raises(CRSError, match=hint):
            import_file(src / name, opts, config=config)
    inner = shapely.buffer(outline, -0.003)  # ~300 m inside the border, also caught
    frame(transformed(inner, wgs84_to_gcj02)).to_file(src / "inner.geojson", driver="GeoJSON")
    with pytest.raises(CRSError, match="--crs gcj02"):
        import_file(src / "inner.geojson", opts, config=config)
    result = import_file(
        src / "traced_gcj.geojson", ImportOptions(layer="zones", town="fenggang", crs="gcj02"), config=config
    )
    back = result.features.geometry.iloc[0]
    assert vertex_offset_m(back, outline) < 1.0
    frame(outline).to_file(src / "clean.geojson", driver="GeoJSON")  # WGS84 data on the border: verified
    assert import_file(src / "clean.geojson", opts, config=config).warnings == ()
    frame(ORIGINAL).to_file(src / "inside.geojson", driver="GeoJSON")  # far from every border: cannot be tested
    (warning,) = import_file(src / "inside.geojson", opts, config=config).warnings
    assert warning == f"{src / 'inside.geojson'}: {DATUM_NOT_VERIFIED}"
