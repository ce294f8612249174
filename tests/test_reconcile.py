"""Reconciliation statuses, part-whole and topology checks on hand-built layers and figures."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _geo import GEOD, LAT0, LON0, geo_area, square
from shapely.geometry import Point, Polygon

from zonemap.config import Config
from zonemap.errors import SchemaError
from zonemap.figures import load_figures
from zonemap.reconcile import (
    AGREES,
    DISAGREES,
    FIGURE_RESULT_COLUMNS,
    NO_GEOMETRY,
    PART_EXCEEDS,
    PART_WITHIN,
    UNDETERMINED,
    classify,
    reconcile,
    reconcile_towns,
)
from zonemap.reconcile._topology import fully_inside
from zonemap.schema import AREA_QUANTITIES, FIGURE_COLUMNS

MU = 10000 / 15


def layer(rows: list[dict]) -> gpd.GeoDataFrame:
    base = {
        "kind": "parcel",
        "town": "fenggang",
        "geometry_source": "hand-built test square",
        "accuracy_m": 0.0,
        "parent": None,
        "name_zh": "测试",
        "name_en": "test",
    }
    return gpd.GeoDataFrame([base | r for r in rows], geometry="geometry", crs="EPSG:4326")


def figures(tmp_path: Path, rows: list[dict]) -> pd.DataFrame:
    base = {
        "town": "fenggang",
        "qualifier": "",
        "source": "test.txt",
        "quote": "面积",
        "part_of": "",
        "notes": "",
        "quantity": "area",
    }
    path = tmp_path / "figures.csv"
    pd.DataFrame([base | r for r in rows], columns=list(FIGURE_COLUMNS)).to_csv(path, index=False)
    return load_figures(path)


ZONE = square(LON0, LAT0, 2600.0)  # ~6.76 km²
ZONE_AREA, ZONE_PERIM = geo_area(ZONE)


def about_case(tmp_path: Path, tol: float, accuracy: float) -> pd.Series:
    gdf = layer([{"id": "z", "kind": "zone", "geometry": ZONE, "accuracy_m": accuracy}])
    figs = figures(tmp_path, [{"figure_id": "f", "subject": "z", "value": "6.7", "unit": "km2", "qualifier": "约"}])
    return reconcile(gdf, figs, Config(geodata_dir=tmp_path, about_rel_tol=tol)).figures.iloc[0]


def needed_tol() -> float:
    """The 约 tolerance that puts the band edge exactly on the measured area (hand arithmetic)."""
    return (abs(ZONE_AREA - 6.7e6) - 0.05e6) / 6.7e6


def test_about_figure_just_inside_its_band_agrees(tmp_path: Path) -> None:
    row = about_case(tmp_path, needed_tol() + 1e-5, 0.0)
    assert row["status"] == AGREES
    assert row["measured_m2"] == pytest.approx(ZONE_AREA, rel=1e-6)
    assert row["band_m2"] == pytest.approx(0.05e6 + (needed_tol() + 1e-5) * 6.7e6)
    assert row["diff_m2"] == pytest.approx(ZONE_AREA - 6.7e6, rel=1e-6)
    assert row["diff_in_unit"] == pytest.approx((ZONE_AREA - 6.7e6) / 1e6, rel=1e-6)
    assert row["diff_pct"] == pytest.approx(100 * (ZONE_AREA - 6.7e6) / 6.7e6, rel=1e-6)
    assert row["implied_offset_m"] == pytest.approx((ZONE_AREA - 6.7e6) / ZONE_PERIM, rel=1e-6)


def test_about_figure_just_outside_its_band_disagrees_or_is_undetermined(tmp_path: Path) -> None:
    tol = needed_tol() - 1e-5  # band edge 67 m² short of the difference
    assert about_case(tmp_path, tol, 0.0)["status"] == DISAGREES
    row = about_case(tmp_path, tol, 0.1)  # the polygon may be 0.1 m larger or smaller all round: ~1040 m² > 67 m²
    assert row["status"] == UNDETERMINED
    # exact bounds of a square of side s buffered by δ: (s - 2δ)² inside, s² + 4sδ + πδ² outside (first order P·δ)
    side = ZONE_PERIM / 4
    assert row["area_inner_m2"] == pytest.approx(ZONE_AREA - ZONE_PERIM * 0.1 + 4 * 0.1**2, rel=1e-6)
    assert row["area_outer_m2"] == pytest.approx(ZONE_AREA + 4 * side * 0.1 + np.pi * 0.1**2, rel=1e-6)
    # the side facing the stated 6.7 km² (the zone measures more): how much smaller the geometry could be
    assert row["geometry_uncertainty_m2"] == pytest.approx(ZONE_AREA - row["area_inner_m2"], abs=1e-9 * ZONE_AREA)
    # the accuracy that would decide it: (|d| - h) / P
    assert row["decisive_accuracy_m"] == pytest.approx((abs(row["diff_m2"]) - row["band_m2"]) / ZONE_PERIM, rel=1e-9)


def test_a_coarse_sketch_that_cannot_reach_its_figure_disagrees(tmp_path: Path) -> None:
    # 2.6 km square (6.76 km²) drawn to ±100 m stated as 3 km²: even shrunk by 100 m it is 5.7 km² > 3 km²
    gdf = layer([{"id": "z", "kind": "zone", "geometry": ZONE, "accuracy_m": 100.0}])
    figs = figures(tmp_path, [{"figure_id": "f", "subject": "z", "value": "3", "unit": "km2"}])
    row = reconcile(gdf, figs, Config(geodata_dir=tmp_path)).figures.iloc[0]
    assert row["area_inner_m2"] == pytest.approx((ZONE_PERIM / 4 - 200) ** 2, rel=1e-4)
    assert row["status"] == DISAGREES
    # at ±1500 m the inward buffer vanishes: nothing can be said
    gdf = layer([{"id": "z", "kind": "zone", "geometry": ZONE, "accuracy_m": 1500.0}])
    row = reconcile(gdf, figs, Config(geodata_dir=tmp_path)).figures.iloc[0]
    assert row["area_inner_m2"] == 0.0 and row["status"] == UNDETERMINED


def test_exact_figure_in_mu_agrees_within_half_a_unit(tmp_path: Path) -> None:
    parcel = square(LON0, LAT0, 400.0)
    area_mu = geo_area(parcel)[0] / MU
    written = f"{area_mu:.2f}"  # rounding to 2 decimals puts it within ±0.005 mu
    off = f"{area_mu + 0.02:.2f}"
    gdf = layer([{"id": "p", "geometry": parcel}])
    figs = figures(
        tmp_path,
        [
            {"figure_id": "a", "subject": "p", "value": written, "unit": "mu"},
            {"figure_id": "b", "subject": "p", "value": off, "unit": "mu"},
        ],
    )
    out = reconcile(gdf, figs, Config(geodata_dir=tmp_path)).figures.set_index("figure_id")
    assert out.at["a", "status"] == AGREES
    assert out.at["a", "band_m2"] == pytest.approx(0.005 * MU)
    assert out.at["a", "measured_in_unit"] == pytest.approx(area_mu, rel=1e-6)
    assert out.at["b", "status"] == DISAGREES


@pytest.mark.parametrize(
    ("qualifier", "stated_mu_offset", "accuracy", "expected"),
    [
        ("以上", -50.0, 0.0, AGREES),  # measured well above an at-least figure
        ("以上", +50.0, 0.0, DISAGREES),  # measured 50 mu short
        ("以上", +1.0, 1.0, UNDETERMINED),  # 1 mu (667 m²) short, the outward 1 m buffer adds ~1600 m²
        ("不少于", +50.0, 0.0, DISAGREES),
        ("以内", +50.0, 0.0, AGREES),  # at-most figure above the measured area
        ("以内", -50.0, 0.0, DISAGREES),
        ("不超过", -1.0, 1.0, UNDETERMINED),
    ],
)
def test_one_sided_qualifiers(
    tmp_path: Path, qualifier: str, stated_mu_offset: float, accuracy: float, expected: str
) -> None:
    parcel = square(LON0, LAT0, 400.0)
    value = f"{geo_area(parcel)[0] / MU + stated_mu_offset:.0f}"
    gdf = layer([{"id": "p", "geometry": parcel, "accuracy_m": accuracy}])
    figs = figures(tmp_path, [{"figure_id": "f", "subject": "p", "value": value, "unit": "mu", "qualifier": qualifier}])
    assert reconcile(gdf, figs, Config(geodata_dir=tmp_path)).figures.iloc[0]["status"] == expected


def test_classify_by_hand() -> None:
    # stated S = 1000 ± 20; measured A with the geometry's bounds [A_in, A_out]
    area = np.array([1010.0, 990.0, 1030.0, 970.0, 1030.0, 976.0, 950.0, 1100.0])
    inner = area - 5.0
    outer = area + 5.0
    bound = np.array(
        ["exact", "at_least", "at_least", "at_most", "about", "at_least", "exact", "at_most"], dtype=object
    )
    got = classify(area, np.full(8, 1000.0), np.full(8, 20.0), inner, outer, bound)
    # 976 at least 980: short by 4, the geometry may be 5 larger -> undetermined; 950: 955 < 980 -> disagrees;
    # 1100 at most 1020: even 1095 is over -> disagrees
    assert list(got) == [AGREES, AGREES, AGREES, AGREES, DISAGREES, UNDETERMINED, DISAGREES, DISAGREES]


def test_part_whole_rules(tmp_path: Path) -> None:
    park = square(LON0, LAT0, 1000.0)  # ~1500 mu
    gdf = layer([{"id": "park", "geometry": park}])
    figs = figures(
        tmp_path,
        [
            {"figure_id": "whole", "subject": "park", "value": "1500", "unit": "mu"},
            {
                "figure_id": "ok",
                "subject": "park",
                "value": "1000",
                "unit": "mu",
                "quantity": "new_industrial_land",
                "part_of": "whole",
            },
            {
                "figure_id": "too-big",
                "subject": "park",
                "value": "1600",
                "unit": "mu",
                "quantity": "vacant_land",
                "part_of": "whole",
            },
        ],
    )
    res = reconcile(gdf, figs, Config(geodata_dir=tmp_path))
    status = res.figures.set_index("figure_id")["status"]
    assert status["ok"] == PART_WITHIN and status["too-big"] == PART_EXCEEDS
    checks = res.checks.set_index(["check", "subject"])
    row = checks.loc[("part_within_whole_stated", "too-big")]
    assert row["value"] == pytest.approx(1599.5 * MU) and row["limit"] == pytest.approx(1500.5 * MU)
    assert not row["passed"]
    measured = checks.loc[("part_within_whole_measured", "ok")]
    assert measured["limit"] == pytest.approx(geo_area(park)[0], rel=1e-6) and measured["passed"]
    assert res.n_disagreeing == 1 and res.n_failed_checks == 2


def test_parcels_inside_and_within_their_zone(tmp_path: Path) -> None:
    zone = square(LON0, LAT0, 1000.0)
    inside = square(LON0 + 0.001, LAT0 + 0.001, 200.0)
    lon_edge, _, _ = GEOD.fwd(LON0, LAT0, 90.0, 1000.0)
    straddling = square(lon_edge - 0.0005, LAT0 + 0.003, 200.0)  # about half outside
    gdf = layer(
        [
            {"id": "zone", "kind": "zone", "geometry": zone},
            {"id": "in", "parent": "zone", "geometry": inside},
            {"id": "out", "parent": "zone", "geometry": straddling},
        ]
    )
    figs = figures(
        tmp_path,
        [
            {"figure_id": "zf", "subject": "zone", "value": "1.0", "unit": "km2", "qualifier": "约"},
            {"figure_id": "pf", "subject": "in", "value": "6", "unit": "ha"},
        ],
    )
    res = reconcile(gdf, figs, Config(geodata_dir=tmp_path))
    checks = res.checks.set_index(["check", "subject"])
    assert checks.loc[("parcel_inside_zone", "in"), "value"] == 0.0
    outside = straddling.difference(zone)
    expected_pct = 100 * geo_area(outside)[0] / geo_area(straddling)[0]
    assert checks.loc[("parcel_inside_zone", "out"), "value"] == pytest.approx(expected_pct, rel=1e-5)
    assert not checks.loc[("parcel_inside_zone", "out"), "passed"]
    summed = checks.loc[("parcels_measured_within_zone", "zone")]
    assert summed["value"] == pytest.approx(geo_area(inside)[0] + geo_area(straddling)[0], rel=1e-6)
    stated = checks.loc[("parcels_stated_within_zone", "zone")]
    assert stated["value"] == pytest.approx(5.5e4) and stated["limit"] == pytest.approx(1.05e6 + 0.05e6)


@pytest.mark.parametrize(
    ("parcel_acc_m", "zone_acc_m", "passes"), [(0.0, 0.0, False), (100.0, 40.0, False), (100.0, 60.0, True)]
)
def test_outside_reach_is_judged_against_the_combined_accuracy(
    tmp_path: Path, parcel_acc_m: float, zone_acc_m: float, passes: bool
) -> None:
    zone = square(LON0, LAT0, 1000.0)
    lon_edge, _, _ = GEOD.fwd(LON0, LAT0, 90.0, 1000.0)
    parcel = square(lon_edge - 0.0005, LAT0 + 0.003, 200.0)
    east_lon, east_lat = parcel.exterior.coords[1]  # the parcel's south-east corner, beyond the zone
    _, _, reach = GEOD.inv(lon_edge, east_lat, east_lon, east_lat)  # ~149 m east of the zone's meridian edge
    gdf = layer(
        [
            {"id": "zone", "kind": "zone", "geometry": zone, "accuracy_m": zone_acc_m},
            {"id": "p", "parent": "zone", "geometry": parcel, "accuracy_m": parcel_acc_m},
        ]
    )
    figs = figures(tmp_path, [{"figure_id": "zf", "subject": "zone", "value": "1", "unit": "km2"}])
    row = (
        reconcile(gdf, figs, Config(geodata_dir=tmp_path))
        .checks.set_index(["check", "subject"])
        .loc[("parcel_inside_zone", "p")]
    )
    assert 140 < reach < 160
    assert row["reach_m"] == pytest.approx(reach, abs=1.0)
    assert row["allowance_m"] == parcel_acc_m + zone_acc_m
    assert row["passed"] == passes
    assert ("within" if passes else "beyond") + " the combined accuracy" in row["detail"]


def test_zone_overlap_and_outline(tmp_path: Path) -> None:
    a = square(LON0, LAT0, 1000.0)
    b = square(LON0 + 0.005, LAT0 + 0.005, 1000.0)
    c = square(LON0 + 0.05, LAT0, 500.0)
    gdf = layer([{"id": i, "kind": "zone", "geometry": g} for i, g in (("a", a), ("b", b), ("c", c))])
    figs = figures(tmp_path, [{"figure_id": "f", "subject": "a", "value": "1", "unit": "km2"}])
    outline = square(LON0 - 0.001, LAT0 - 0.001, 1500.0)
    res = reconcile(gdf, figs, Config(geodata_dir=tmp_path), outline=outline)
    checks = res.checks.set_index(["check", "subject"])
    overlap = checks.loc[("zones_do_not_overlap", "a / b")]
    assert overlap["value"] == pytest.approx(geo_area(a.intersection(b))[0], rel=1e-6) and not overlap["passed"]
    assert ("zones_do_not_overlap", "a / c") not in checks.index
    assert checks.loc[("zone_inside_town_outline", "a"), "value"] == 0.0
    assert checks.loc[("zone_inside_town_outline", "c"), "value"] == pytest.approx(100.0)
    b_out = 100 * geo_area(b.difference(outline))[0] / geo_area(b)[0]
    assert checks.loc[("zone_inside_town_outline", "b"), "value"] == pytest.approx(b_out, rel=1e-5)


def test_planner_layer_with_own_id_column_and_no_provenance(tmp_path: Path) -> None:
    parcel = square(LON0, LAT0, 300.0)
    gdf = gpd.GeoDataFrame({"parcel_no": ["A-1"]}, geometry=[parcel], crs="EPSG:4326")
    figs = figures(
        tmp_path,
        [
            {"figure_id": "f", "subject": "A-1", "value": "9", "unit": "ha", "qualifier": "约"},
            {"figure_id": "g", "subject": "nope", "value": "1", "unit": "ha"},
        ],
    )
    res = reconcile(gdf, figs, Config(geodata_dir=tmp_path), id_column="parcel_no")
    assert tuple(res.figures.columns) == FIGURE_RESULT_COLUMNS
    out = res.figures.set_index("figure_id")
    assert out.at["f", "status"] == AGREES and out.at["f", "geometry_source"] == "unknown"
    assert out.at["g", "status"] == NO_GEOMETRY
    with pytest.raises(SchemaError, match="no 'id' column"):
        reconcile(gdf, figs, Config(geodata_dir=tmp_path))
    with pytest.raises(SchemaError, match="load_figures"):
        reconcile(gdf, figs[["figure_id", "subject"]], Config(geodata_dir=tmp_path), id_column="parcel_no")


def test_empty_polygon_has_no_geometry_and_no_infinite_offset(tmp_path: Path) -> None:
    gdf = layer([{"id": "e", "geometry": Polygon()}, {"id": "p", "geometry": square(LON0, LAT0, 300.0)}])
    figs = figures(
        tmp_path,
        [
            {"figure_id": "f", "subject": "e", "value": "9", "unit": "ha"},
            {"figure_id": "g", "subject": "p", "value": "9", "unit": "ha"},
        ],
    )
    out = reconcile(gdf, figs, Config(geodata_dir=tmp_path)).figures.set_index("figure_id")
    assert out.at["f", "status"] == NO_GEOMETRY
    assert np.isnan(out.at["f", "implied_offset_m"]) and np.isnan(out.at["f", "measured_m2"])
    area, perim = geo_area(square(LON0, LAT0, 300.0))
    assert out.at["g", "implied_offset_m"] == pytest.approx((area - 9e4) / perim, rel=1e-6)


def test_point_in_the_layer_is_refused_naming_the_feature(tmp_path: Path) -> None:
    gdf = layer([{"id": "p", "geometry": square(LON0, LAT0, 300.0)}, {"id": "well", "geometry": Point(LON0, LAT0)}])
    figs = figures(tmp_path, [{"figure_id": "f", "subject": "well", "value": "9", "unit": "ha"}])
    with pytest.raises(SchemaError, match=r"feature #1 \(id 'well'\) is a Point.*fix:"):
        reconcile(gdf, figs, Config(geodata_dir=tmp_path))


def test_bundled_fenggang_report_lists_every_area_figure_of_the_text(config: Config, seed_texts) -> None:
    text = next(t for t in seed_texts.values() if "凤岗" in t[:40])
    written = set(re.findall(r"([0-9]+(?:\.[0-9]+)?)(?:亩|平方公里)", text))
    res = reconcile_towns(config, ["fenggang"])
    assert written == set(res.figures["stated_value"])
    registry = load_figures(config.geodata_dir / "figures.csv")
    area_ids = registry.loc[(registry["town"] == "fenggang") & registry["quantity"].isin(AREA_QUANTITIES), "figure_id"]
    assert set(res.figures["figure_id"]) == set(area_ids)
    assert res.figures["status"].isin({AGREES, UNDETERMINED, DISAGREES, PART_WITHIN, PART_EXCEEDS}).all()
    assert res.figures["source"].ne("").all() and res.figures["quote"].ne("").all()
    checks = set(res.checks["check"])
    assert {
        "part_within_whole_stated",
        "parcel_inside_zone",
        "parcels_measured_within_zone",
        "zones_do_not_overlap",
    } <= checks


@pytest.mark.reference
def test_bundled_zones_checked_against_reference_outline(reference_config: Config) -> None:
    res = reconcile_towns(reference_config, ["fenggang", "dongcheng"])
    outline_rows = res.checks[res.checks["check"] == "zone_inside_town_outline"]
    assert set(outline_rows["town"]) == {"fenggang", "dongcheng"}
    assert outline_rows["value"].between(0, 100).all()


def test_grid_containment_matches_shapely_contains() -> None:
    rng = np.random.default_rng(3)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 60))
    rad = rng.uniform(0.02, 0.03, 60)  # a jagged zone ~5 km across
    zone = Polygon(zip(LON0 + rad * np.cos(ang), LAT0 + rad * np.sin(ang), strict=True))
    other = square(LON0 + 0.2, LAT0, 3000.0)
    cx, cy = LON0 + rng.uniform(-0.04, 0.04, 3000), LAT0 + rng.uniform(-0.04, 0.04, 3000)
    size = rng.uniform(0.0002, 0.003, 3000)
    parts = np.array(
        [Polygon([(x, y), (x + s, y), (x + s, y + s / 2), (x, y + s)]) for x, y, s in zip(cx, cy, size, strict=True)],
        dtype=object,
    )
    owner = (rng.uniform(0, 1, 3000) < 0.1).astype(np.intp)  # a tenth belong to the far zone
    wholes = np.array([zone, other], dtype=object)
    got = fully_inside(parts, wholes, owner)
    expected = np.array([w.contains(p) for p, w in zip(parts, wholes[owner], strict=True)])
    np.testing.assert_array_equal(got, expected)
    assert 0 < got.sum() < got.size - 300  # both outcomes occur
