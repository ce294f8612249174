"""Tests for zonemap.methods: which method made the stated areas, and the 三调 field arithmetic.

Planted layers: parcels whose stated areas the test computes itself, by GeographicLib
(``pyproj.Geod``), by the Gauss–Krüger plane formula (pyproj projection + shoelace), by UTM,
Web Mercator and GeographicLib on the mean-radius sphere, rounded to 0.01 m², and a few made
wrong by 1–3 %. The diagnosis must return exactly the planted methods.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from pyproj import Geod, Transformer
from shapely.geometry import Polygon

from zonemap.errors import SchemaError
from zonemap.methods import diagnose_methods, sandiao_field_checks, summarize_methods

GEOD = Geod(ellps="GRS80")
R1 = (2 * 6378137.0 + 6378137.0 * (1 - 1 / 298.257222101)) / 3
SPHERE = Geod(a=R1, b=R1)


def parcels(n: int, seed: int, lon: float = 113.77, lat: float = 23.03) -> list[Polygon]:
    """Irregular parcels of 0.5–10 ha around Dongcheng (0.23° west of 114°E: GK is +13 ppm)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        nv = int(rng.integers(6, 40))
        ang = np.sort(rng.uniform(0, 2 * np.pi, nv))
        radius = math.sqrt(rng.uniform(5e3, 1e5) / (math.pi * 0.65))
        rad = radius * rng.uniform(0.6, 1.0, nv)
        cx = lon + rng.uniform(-0.03, 0.03)
        cy = lat + rng.uniform(-0.03, 0.03)
        x = cx + rad * np.cos(ang) / (111_320 * math.cos(math.radians(cy)))
        y = cy + rad * np.sin(ang) / 110_700
        out.append(Polygon(np.column_stack([x, y])))
    return out


def projected_area(geom: Polygon, epsg: int, src: int = 4490) -> float:
    fwd = Transformer.from_crs(f"EPSG:{src}", f"EPSG:{epsg}", always_xy=True)
    return shapely.area(shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))))


def geographiclib(geom: Polygon, geod: Geod = GEOD) -> float:
    return abs(geod.geometry_area_perimeter(geom)[0])


def planted_layer() -> tuple[list[Polygon], np.ndarray, list[str]]:
    geoms = parcels(60, 1)
    stated, planted = [], []
    makers = [
        ("geodesic", geographiclib),
        ("gk_plane", lambda g: projected_area(g, 4547)),
        ("utm", lambda g: projected_area(g, 32649, src=4326)),  # 113.77°E is UTM zone 49
        ("web_mercator", lambda g: projected_area(g, 3857, src=4326)),
        ("sphere", lambda g: geographiclib(g, SPHERE)),
    ]
    for i, g in enumerate(geoms):
        name, make = makers[0] if i < 20 else makers[1] if i < 40 else makers[2 + i % 3]
        stated.append(round(make(g), 2))
        planted.append(name)
    values = np.array(stated)
    for i, factor in zip((3, 25, 47, 59), (1.01, 0.98, 1.03, 1.015), strict=True):  # wrong by 1–3 %
        values[i] = round(values[i] * factor, 2)
        planted[i] = "none"
    return geoms, values, planted


def test_planted_methods_come_out_exactly() -> None:
    geoms, stated, planted = planted_layer()
    table = diagnose_methods(geoms, stated, 0.005)
    for got, want in zip(table["method"], planted, strict=True):
        found = set(got.split("|"))
        if want == "geodesic":
            # the 三调 procedure differs from the geodesic area by ~1e-8..1e-6: listed with it where it also matches
            assert "geodesic" in found and found <= {"geodesic", "sandiao"}, (got, want)
        else:
            assert got == want, (got, want)
    # the differences are area − stated, to the rounding of the stated value
    gk_rows = [i for i, p in enumerate(planted) if p == "gk_plane"]
    assert np.all(np.abs(table["diff_gk_plane_m2"].to_numpy()[gk_rows]) <= 0.005 + 1e-6)
    assert set(table["gk_epsg"]) == {4547} and set(table["utm_epsg"]) == {32649}


def test_summary_names_the_layer_method_and_share() -> None:
    geoms = parcels(50, 2)
    stated = np.array([round(projected_area(g, 4547), 2) for g in geoms])
    stated[[4, 17]] *= 1.02
    table = diagnose_methods(pd.Series(geoms, index=[f"p{i}" for i in range(50)]), stated, 0.005)
    assert list(table.index[:2]) == ["p0", "p1"]
    text = summarize_methods(table, "TBMJ", "parcels")
    share = 48 / 50 * 100  # 96 %
    assert text.startswith(
        f"TBMJ matches the Gauss–Krüger plane area of EPSG:4547 (= 4526 with zone prefix) "
        f"to ±0.005 m² on {share:g} % "
        "of parcels (48 of 50): computed on the Gauss–Krüger plane, not the ellipsoid"
    )
    assert "2 parcels match no method" in text


def test_summary_when_geodesic_and_sandiao_tie() -> None:
    geoms = parcels(30, 3)
    geodesic = np.array([geographiclib(g) for g in geoms])
    # to 0.01 m² most parcels match both the geodesic area and the 三调 procedure: said so, with the count
    table = diagnose_methods(geoms, np.round(geodesic, 2), 0.005)
    both = int(table["method"].str.split("|").map(lambda m: "sandiao" in m and "geodesic" in m).sum())
    assert 0 < both < 30  # seed 3: some parcels' 三调 areas are off their geodesic ones by more than 0.005 m²
    text = summarize_methods(table)
    assert text.startswith(
        "The stated areas match the geodesic (ellipsoidal) area to ±0.005 m² on 100 % of "
        "features (30 of 30): computed on the CGCS2000 ellipsoid."
    )
    assert f"{both} of them also match the 三调 procedure area" in text
    # to whole m² they cannot be told apart on any parcel (nor, on small ones, from the GK plane area)
    table = diagnose_methods(geoms, np.round(geodesic), 0.5)
    text = summarize_methods(table)
    assert all({"sandiao", "geodesic"} <= set(m.split("|")) for m in table["method"])
    assert (
        "the 三调 procedure area and the geodesic (ellipsoidal) area equally to ±0.5 m² on 100 % of features "
        "(30 of 30): these methods cannot be told apart at this precision" in text
    )


def test_missing_data_and_bad_input() -> None:
    geoms = [*parcels(3, 4), None]
    stated = np.array([round(geographiclib(g), 2) for g in geoms[:3]] + [100.0])
    stated[1] = np.nan
    table = diagnose_methods(geoms, stated, np.array([0.005, 0.005, 0.005, 0.5]))
    assert table["method"].iloc[1] == "no_data" and table["method"].iloc[3] == "no_data"
    assert "geodesic" in table["method"].iloc[0].split("|") and "geodesic" in table["method"].iloc[2].split("|")
    assert np.isnan(table["area_m2"].iloc[3]) and np.isnan(table["diff_geodesic_m2"].iloc[1])
    with pytest.raises(SchemaError, match="one stated area and precision per feature"):
        diagnose_methods(geoms, stated[:2], 0.005)
    with pytest.raises(SchemaError, match="negative precision"):
        diagnose_methods(geoms, stated, -1.0)


# ---------------------------------------------------------------- 三调 fields


def field_layer() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    tbmj = np.round(rng.uniform(100, 50_000, 12), 2)
    kcxs = np.round(rng.choice([0.0, 0.05, 0.1, 0.1523, 0.08], 12), 4)
    kcmj = np.round(tbmj * kcxs, 2)
    tbdlmj = np.round(tbmj - kcmj, 2)
    return pd.DataFrame(
        {"BSM": [f"441900{i:04d}" for i in range(12)], "TBMJ": tbmj, "KCXS": kcxs, "KCMJ": kcmj, "TBDLMJ": tbdlmj}
    )


def test_field_checks_find_planted_arithmetic_errors() -> None:
    frame = field_layer()
    assert sandiao_field_checks(frame).empty
    bad = frame.copy()
    bad.loc[3, "TBDLMJ"] = round(bad.loc[3, "TBDLMJ"] + 0.01, 2)  # a cent off
    bad.loc[7, "KCMJ"] = round(bad.loc[7, "TBMJ"] * bad.loc[7, "KCXS"] + 1.5, 2)  # wrong deduction...
    bad.loc[7, "TBDLMJ"] = round(bad.loc[7, "TBMJ"] - bad.loc[7, "KCMJ"], 2)  # ...carried on consistently
    before = bad.copy()
    out = sandiao_field_checks(bad)
    pd.testing.assert_frame_equal(bad, before)  # input not modified
    assert list(out["id"]) == ["4419000003", "4419000007"]
    assert list(out["check"]) == ["TBDLMJ = TBMJ - KCMJ", "KCMJ = TBMJ * KCXS"]
    row3, row7 = frame.loc[3], frame.loc[7]
    assert out["expected"].iloc[0] == pytest.approx(round(row3.TBMJ - row3.KCMJ, 2), abs=1e-9)
    assert out["found"].iloc[0] == pytest.approx(bad.loc[3, "TBDLMJ"])
    assert out["difference"].iloc[0] == pytest.approx(0.01, abs=1e-6)
    assert out["expected"].iloc[1] == pytest.approx(round(row7.TBMJ * row7.KCXS, 2), abs=1e-9)
    assert out["difference"].iloc[1] == pytest.approx(bad.loc[7, "KCMJ"] - row7.TBMJ * row7.KCXS, abs=1e-9)
    assert list(out["decimals"]) == [2, 2]


def test_field_checks_case_insensitive_rounding_and_missing() -> None:
    frame = field_layer().rename(columns=str.lower)
    # KCMJ exactly half a cent from TBMJ x KCXS is correct rounding, not an error
    frame.loc[0, ["tbmj", "kcxs"]] = [1234.5, 0.0001]  # 0.12345 -> 0.12 (round half even) or 0.13
    frame.loc[0, "kcmj"] = 0.12
    frame.loc[0, "tbdlmj"] = round(1234.5 - 0.12, 2)
    frame.loc[1, "kcmj"] = np.nan  # not checked
    assert sandiao_field_checks(frame).empty
    assert sandiao_field_checks(frame.drop(columns=["kcxs", "tbdlmj"])).empty  # nothing to check
    frame["kcxs"] = frame["kcxs"].astype(object)
    frame.loc[2, "kcxs"] = "0.1x"
    with pytest.raises(SchemaError, match=r"feature #2 \(id 4419000002\) holds '0.1x'"):
        sandiao_field_checks(frame)


def test_candidate_kernels_against_independent_evaluations() -> None:
    from zonemap.methods import sphere_area, web_mercator_area

    geoms = parcels(20, 5)
    holed = Polygon(geoms[0].exterior.coords, [shapely.affinity.scale(geoms[0], 0.3, 0.3).exterior.coords[::-1]])
    geoms.append(holed)
    web = np.array([projected_area(g, 3857, src=4326) for g in geoms])
    sphere = np.array([geographiclib(g, SPHERE) for g in geoms])
    np.testing.assert_allclose(web_mercator_area(geoms), web, rtol=1e-10)
    np.testing.assert_allclose(sphere_area(geoms), sphere, rtol=1e-9)
    # what the candidates mean at 23°N: Web Mercator ~1/cos²φ = +18 %, the mean-radius sphere ~0.3 % off
    geodesic = np.array([geographiclib(g) for g in geoms])
    lat = np.radians(23.03)
    assert np.all(np.abs(web / geodesic / (1 / math.cos(lat) ** 2) - 1) < 0.01)
    assert np.all((np.abs(sphere / geodesic - 1) > 1e-3) & (np.abs(sphere / geodesic - 1) < 1e-2))
