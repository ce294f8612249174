"""The bundled geodata: valid, complete, quoted verbatim from its sources, and where the texts put it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

from zonemap.cli import main
from zonemap.config import Config
from zonemap.crs import local_metric_crs
from zonemap.figures import load_figures
from zonemap.io import load_reference_towns, load_town
from zonemap.schema import LAYERS
from zonemap.towns import load_towns

GEOD = Geod(ellps="GRS80")

#: Every place the two texts locate, by the id the geodata gives it (issue 2's list).
NAMED_IDS = {
    "fenggang": {
        "fg-zone-east",
        "fg-zone-south",
        "fg-zone-west",
        "fg-parcel-jinfenghuang",
        "fg-parcel-guanjingtou",
        "fg-parcel-hongmujian",
        "fg-place-tianan",
        "fg-place-jd-zhigu",
        "fg-place-luoshan",
        "fg-place-intercity-station",
        "fg-line-intercity",
    },
    "dongcheng": {
        "dc-zone-huangqi-south",
        "dc-park-huangqishan",
        "dc-line-dongguan-avenue",
        "dc-line-hongfu-road",
        "dc-place-guanyi",
        "dc-place-niushan-xinghua",
        "dc-place-sangyuan-cimc",
        "dc-place-tech-transfer",
        "dc-place-cross-border-ecom",
        "dc-place-shengyi-phase4",
        "dc-place-greenway-hq",
        "dc-place-taishang",
        "dc-place-leadyo",
        "dc-bd-guomao",
        "dc-bd-wanda",
        "dc-bd-33-creative",
        "dc-bd-xinghe",
    },
}


def _features(geodata_dir: Path) -> list[dict[str, Any]]:
    out = []
    for town in load_towns(geodata_dir / "towns.csv").ids:
        for layer in LAYERS.values():
            data = json.loads((geodata_dir / town / layer.filename).read_text(encoding="utf-8"))
            out += [f["properties"] for f in data["features"]]
    return out


@pytest.fixture(scope="module")
def figures(geodata_dir: Path) -> pd.DataFrame:
    return load_figures(geodata_dir / "figures.csv")


@pytest.fixture(scope="module")
def towns(config: Config) -> dict[str, Any]:
    return {town: load_town(config, town) for town in load_towns(config.geodata_dir / "towns.csv").ids}


def test_validate_passes_on_bundled_geodata(geodata_dir: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(geodata_dir)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_rejects_broken_copy_naming_file_and_feature(geodata_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "geodata"
    shutil.copytree(geodata_dir, copy)
    zones = copy / "fenggang" / "zones.geojson"
    data = json.loads(zones.read_text(encoding="utf-8"))
    index = next(i for i, f in enumerate(data["features"]) if f["properties"]["id"] == "fg-zone-east")
    del data["features"][index]["properties"]["accuracy_m"]
    zones.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    result = CliRunner().invoke(main, ["validate", str(copy)])

    assert result.exit_code == 2
    problem = next(line for line in result.output.splitlines() if "accuracy_m" in line)
    assert str(zones) in problem
    assert f"feature #{index} (id fg-zone-east)" in problem
    assert "fix:" in problem
    # the original is untouched
    assert (
        "accuracy_m"
        in json.loads((geodata_dir / "fenggang" / "zones.geojson").read_text())["features"][index]["properties"]
    )


def test_registry_holds_eastern_zone_area(figures: pd.DataFrame, seed_texts: dict[str, str]) -> None:
    row = figures[(figures["subject"] == "fg-zone-east") & (figures["quantity"] == "area")]
    assert len(row) == 1
    east = row.iloc[0]
    assert (east["value"], east["value_num"], east["unit"], east["qualifier"]) == ("6.7", 6.7, "km2", "约")
    assert east["decimals"] == 1
    assert east["stated_m2"] == pytest.approx(6.7e6)
    assert east["quote"] in seed_texts[east["source"]]
    assert "约6.7平方公里" in east["quote"]


def test_every_figure_quote_is_verbatim_and_states_its_value(figures: pd.DataFrame, seed_texts: dict[str, str]) -> None:
    assert len(seed_texts) == 2, "both seed texts are needed"
    for row in figures.itertuples():
        assert row.quote in seed_texts[row.source], row.figure_id
        assert row.value in row.quote, row.figure_id
        if row.qualifier:
            assert row.qualifier + row.value in row.quote, row.figure_id


def test_land_figures_of_the_fenggang_text(figures: pd.DataFrame) -> None:
    got = {(r.subject, r.quantity, r.value, r.unit, r.qualifier, r.part_of) for r in figures.itertuples()}
    by_id = figures.set_index("figure_id")
    west, park = by_id.loc["fg-fig-west-area"], by_id.loc["fg-fig-jinfenghuang-area"]
    expected = {
        ("fg-zone-south", "area", "3.4", "km2", "约", ""),
        ("fg-zone-west", "area", "9.8", "km2", "约", ""),
        ("fg-parcel-jinfenghuang", "area", "2780", "mu", "", ""),
        ("fg-parcel-jinfenghuang", "new_industrial_land", "1946", "mu", "", park.name),
        ("fg-parcel-guanjingtou", "area", "245.98", "mu", "", ""),
        ("fg-parcel-hongmujian", "area", "703", "mu", "", ""),
        ("fg-zone-west", "vacant_land", "567.5", "mu", "", west.name),
        ("fg-zone-west", "new_industrial_land", "2107.5", "mu", "约", west.name),
    }
    assert expected <= got
    assert by_id.loc["fg-fig-guanjingtou-area", "decimals"] == 2
    # 1 mu = 10000/15 m2, so 2780 mu = 1 853 333.3 m2
    assert park["stated_m2"] == pytest.approx(2780 * 10000 / 15)
    # the Dongcheng text states no area figure
    assert set(figures["town"]) == {"fenggang"}


def test_every_feature_quote_is_verbatim(geodata_dir: Path, seed_texts: dict[str, str]) -> None:
    feats = _features(geodata_dir)
    assert feats
    for props in feats:
        assert props["source"] in seed_texts, props["id"]
        assert props["quote"] in seed_texts[props["source"]], props["id"]


def test_every_named_place_is_present(towns: dict[str, Any]) -> None:
    for town, ids in NAMED_IDS.items():
        have = set(towns[town].features()["id"])
        assert ids <= have, sorted(ids - have)
    luoshan = towns["fenggang"].places.set_index("id").loc["fg-place-luoshan"]
    assert luoshan["kind"] == "ring_centre"


def test_parents_contain_parcels_and_zones_do_not_overlap(towns: dict[str, Any]) -> None:
    fg = towns["fenggang"]
    zones = fg.zones.set_index("id").geometry
    for row in fg.parcels.itertuples():
        assert zones[row.parent].contains(row.geometry), row.id
    assert fg.parcels.set_index("id").loc["fg-parcel-hongmujian", "parent"] == "fg-zone-south"
    geoms = zones.to_numpy()
    overlaps = shapely.intersection(geoms[:, None], geoms[None, :])
    off_diagonal = ~np.eye(len(geoms), dtype=bool)
    assert shapely.is_empty(overlaps[off_diagonal]).all()


def test_ring_radii_match_rings_json(geodata_dir: Path, figures: pd.DataFrame, seed_texts: dict[str, str]) -> None:
    rings = json.loads((geodata_dir / "rings.json").read_text(encoding="utf-8"))
    by_id = figures.set_index("figure_id")
    checked = 0
    for ring_set in rings["ring_sets"]:
        if "centre" in ring_set:
            assert ring_set["quote"] in seed_texts[ring_set["source"]]
        for band in ring_set["bands"]:
            for fid in band["figures"]:
                fig = by_id.loc[fid]
                edge = band["inner_km"] if fig["quantity"] == "ring_inner_radius" else band["outer_km"]
                assert fig["unit"] == "km"
                assert fig["subject"] == ring_set["centre"]
                assert fig["value_num"] == edge, fid
                checked += 1
    assert checked == 6
    assert set(by_id.index[by_id["quantity"].str.startswith("ring_")]) == {
        f"fg-fig-ring-{b}-{e}" for b in ("innovation", "production", "living") for e in ("inner", "outer")
    }


@pytest.fixture(scope="module")
def outlines(reference_dir: Path, geodata_dir: Path) -> gpd.GeoDataFrame:
    ref = load_reference_towns(Config(geodata_dir=geodata_dir, reference_dir=reference_dir))
    assert ref is not None
    return ref.dropna(subset=["town"]).set_index("town")


def test_reference_fenggang_outline_area(outlines: gpd.GeoDataFrame) -> None:
    area_m2, _ = GEOD.geometry_area_perimeter(outlines.geometry["fenggang"])
    assert abs(area_m2) / 1e6 == pytest.approx(82.5, abs=0.1)


def test_fenggang_zone_centroids_inside_town(outlines: gpd.GeoDataFrame, towns: dict[str, Any]) -> None:
    zones = towns["fenggang"].zones
    assert len(zones) == 3
    crs = local_metric_crs(zones.geometry)
    centroids = zones.geometry.to_crs(crs).centroid.to_crs("EPSG:4326")
    assert outlines.geometry["fenggang"].contains(centroids).all()


def test_dongcheng_features_inside_or_within_accuracy(outlines: gpd.GeoDataFrame, towns: dict[str, Any]) -> None:
    feats = towns["dongcheng"].features()
    crs = local_metric_crs(feats.geometry)
    outline = gpd.GeoSeries([outlines.geometry["dongcheng"]], crs="EPSG:4326").to_crs(crs).iloc[0]
    metric = feats.geometry.to_crs(crs)
    # farthest vertex of each feature (densified every 25 m) from the street outline
    dense = shapely.segmentize(metric.to_numpy(), 25.0)
    worst = np.array([shapely.distance(shapely.points(shapely.get_coordinates(g)), outline).max() for g in dense])
    too_far = feats["id"][worst > feats["accuracy_m"].to_numpy()]
    assert too_far.empty, list(too_far)
