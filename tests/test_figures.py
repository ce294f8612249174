"""The stated-figure registry: digits as written, units, qualifiers, clear rejections."""

from __future__ import annotations

import csv
import difflib
from pathlib import Path

import pytest

from zonemap.errors import SchemaError
from zonemap.figures import decimals_as_written, load_figures
from zonemap.schema import FIGURE_COLUMNS

HEADER = ",".join(FIGURE_COLUMNS)


def _write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "figures.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6.7", 1), ("245.98", 2), ("2780", 0), ("2107.5", 1), ("12,000", 0), ("1.2万", 1), ("６.７０", 2)],
)
def test_decimals_as_written(text: str, expected: int) -> None:
    assert decimals_as_written(text) == expected


def test_units_and_precision_in_square_metres(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "a,fenggang,z1,area,6.7,km2,约,s.txt,面积约6.7平方公里,,",
        "b,fenggang,p1,area,245.98,mu,,s.txt,占地245.98亩,,",
        "c,fenggang,p1,new_industrial_land,12,ha,以上,s.txt,12公顷以上,b,",
        "d,fenggang,c1,ring_outer_radius,0.5,km,,s.txt,0.5km,,",
    )
    df = load_figures(path).set_index("figure_id")
    # 6.7 km2 -> 6 700 000 m2, written with one decimal: +-0.05 km2 = 50 000 m2
    assert df.loc["a", "stated_m2"] == pytest.approx(6_700_000.0)
    assert df.loc["a", "precision_m2"] == pytest.approx(50_000.0)
    assert df.loc["a", "bound"] == "about"
    # 245.98 mu x 10000/15 = 163 986.666... m2; +-0.005 mu = 3.333... m2
    assert df.loc["b", "stated_m2"] == pytest.approx(245.98 * 10000 / 15, rel=1e-15)
    assert df.loc["b", "precision_m2"] == pytest.approx(0.005 * 10000 / 15)
    assert df.loc["b", "bound"] == "exact"
    assert df.loc["c", "stated_m2"] == pytest.approx(120_000.0)
    assert df.loc["c", "bound"] == "at_least"
    assert df.loc["d", "stated_m"] == pytest.approx(500.0)
    assert df.loc["d", "precision_m"] == pytest.approx(50.0)
    assert df.loc["a", "value"] == "6.7"  # digits kept exactly as written


def test_every_bad_row_is_reported_with_row_and_fix(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "a,fenggang,z1,area,6.7,acres,约,s.txt,q,,",
        "b,fenggang,z1,area,about 6,km2,,s.txt,q,,",
        "c,fenggang,z1,area,1,km2,roughly,s.txt,q,,",
        "a,fenggang,z1,area,1,km2,,s.txt,q,nope,",
        "e,fenggang,unknown-feature,area,1,km2,,s.txt,q,,",
    )
    with pytest.raises(SchemaError) as info:
        load_figures(path, feature_ids={"z1"})
    text = str(info.value)
    assert "row 2 (figure a): unknown area unit 'acres'" in text
    assert "row 3 (figure b): value 'about 6' is not a number as a source writes it" in text
    assert "row 4 (figure c): unknown qualifier 'roughly'" in text
    assert "part_of 'nope' is not a figure_id" in text
    assert "figure a: figure_id used more than once" in text
    assert "subject 'unknown-feature' is not a feature id" in text
    assert len(info.value.problems) == 6
    assert all(p.hint for p in info.value.problems)


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("figure_id,subject,value\nx,y,1\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="missing column"):
        load_figures(path)


GEODATA_FIGURES = Path(__file__).resolve().parents[1] / "geodata" / "figures.csv"


def test_bundled_registry_loads_with_the_figures_as_written() -> None:
    # the bundled table is plain ascii units and digits: stated = value x unit, precision half the last digit
    unit_m2 = {"km2": 1_000_000.0, "mu": 10000 / 15, "ha": 10_000.0, "m2": 1.0}
    unit_m = {"km": 1000.0, "m": 1.0}
    with GEODATA_FIGURES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    df = load_figures(GEODATA_FIGURES).set_index("figure_id")
    assert list(df.index) == [r["figure_id"] for r in rows]
    for r in rows:
        got = df.loc[r["figure_id"]]
        half = 0.5 * 10.0 ** -len(r["value"].partition(".")[2])
        assert (got["value"], got["unit"], got["unit_as_written"]) == (r["value"], r["unit"], r["unit"])
        if r["unit"] in unit_m2:
            assert got["stated_m2"] == float(r["value"]) * unit_m2[r["unit"]]
            assert got["precision_m2"] == half * unit_m2[r["unit"]]
        else:
            assert got["stated_m"] == float(r["value"]) * unit_m[r["unit"]]
            assert got["precision_m"] == half * unit_m[r["unit"]]


@pytest.mark.parametrize(
    ("links", "cycle"),
    [
        ({"a": "a"}, "a -> a"),
        ({"a": "b", "b": "a"}, "a -> b -> a"),
        ({"a": "b", "b": "c", "c": "a"}, "a -> b -> c -> a"),
        ({"a": "b", "b": "c", "c": "d", "d": "e", "e": "b"}, "b -> c -> d -> e -> b"),
    ],
)
def test_part_of_cycles_are_refused_naming_the_rows(tmp_path: Path, links: dict[str, str], cycle: str) -> None:
    ids = list(links)
    rows = [f"{f},fenggang,z1,area,1,km2,,s.txt,q,{links[f]}," for f in ids]
    path = _write(tmp_path, "whole,fenggang,z1,area,9,km2,,s.txt,q,,", *rows)
    with pytest.raises(SchemaError) as info:
        load_figures(path)
    (problem,) = info.value.problems
    first = cycle.split(" -> ")[0]
    assert problem.feature == f"row {ids.index(first) + 3} (figure {first})"  # +3: header and "whole"
    assert f"part_of cycle {cycle}" in problem.message
    on_cycle = set(cycle.split(" -> "))
    assert all(f"row {ids.index(f) + 3}" in problem.message for f in on_cycle)
    assert problem.hint


def test_a_chain_into_a_cycle_names_only_the_cycle(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "t,fenggang,z1,area,1,km2,,s.txt,q,a,",
        "a,fenggang,z1,area,1,km2,,s.txt,q,b,",
        "b,fenggang,z1,area,1,km2,,s.txt,q,a,",
    )
    with pytest.raises(SchemaError) as info:
        load_figures(path)
    assert [p.message.split(" (")[0] for p in info.value.problems] == ["part_of cycle a -> b -> a"]


@pytest.mark.parametrize(
    ("value", "unit", "words"),
    [
        ("1" + "0" * 400, "m2", "too large to be a number"),
        ("2000000", "km2", "2e+06 km², more than any area"),  # 2x10^6 km2 > the 10^6 km2 limit
        ("20亿", "亩", "1.33e+06 km², more than any area"),  # 20x10^8 mu x 10000/15 m2 = 1.33x10^6 km2
        ("0", "mu", "is zero"),
        ("0.00", "公顷", "is zero"),
        ("-5", "mu", "is negative"),
        ("inf", "m2", "is not a number"),
        ("nan", "m2", "is not a number"),
        ("1e5", "m2", "is not a number"),
        ("6000", "km", "6e+03 km, more than any length"),
    ],
)
def test_unusable_values_are_refused_with_row_and_fix(tmp_path: Path, value: str, unit: str, words: str) -> None:
    quantity = "ring_outer_radius" if unit == "km" else "area"
    path = _write(
        tmp_path, "ok,fenggang,z1,area,1,km2,,s.txt,q,,", f"bad,fenggang,z1,{quantity},{value},{unit},,s.txt,q,,"
    )
    with pytest.raises(SchemaError) as info:
        load_figures(path)
    (problem,) = info.value.problems
    assert problem.feature == "row 3 (figure bad)"
    assert words in problem.message
    assert problem.hint


def test_largest_plausible_area_is_accepted_and_one_digit_more_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "ok,fenggang,z1,area,1000000,km2,,s.txt,q,,")
    assert load_figures(path)["stated_m2"].iloc[0] == 1e12
    path = _write(tmp_path, "ok,fenggang,z1,area,1000001,km2,,s.txt,q,,")
    with pytest.raises(SchemaError, match=r"row 2 .*more than any area"):
        load_figures(path)


def test_ring_inner_radius_may_be_zero(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "in,fenggang,c1,ring_inner_radius,0,km,,s.txt,0—0.5km,,",
        "out,fenggang,c1,ring_outer_radius,0.5,km,,s.txt,0—0.5km,,",
    )
    df = load_figures(path).set_index("figure_id")
    assert (df.loc["in", "stated_m"], df.loc["out", "stated_m"]) == (0.0, 500.0)


def test_missing_subject_names_the_layer_and_the_closest_ids(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "f1,fenggang,FG-2024-01,area,1,mu,,s.txt,q,,", "f2,fenggang,FG-2024-002,area,1,mu,,s.txt,q,,"
    )
    ids = {"FG-2024-001", "FG-2024-010", "FG-2024-002", "XX-9"}
    with pytest.raises(SchemaError) as info:
        load_figures(path, ids, ids_from="parcels.shp")
    (problem,) = info.value.problems
    assert problem.feature == "row 2 (figure f1)"
    assert problem.message.startswith("subject 'FG-2024-01' is not a feature id of parcels.shp (closest: ")
    closest = problem.message.split("(closest: ")[1].rstrip(")").split(", ")
    # difflib ratio of FG-2024-01 (10 chars) against the 11-char ids sharing all 10: 2*10/21 = 0.952
    assert set(closest[:2]) == {"FG-2024-001", "FG-2024-010"}
    assert "XX-9" not in closest


def test_towns_are_checked_only_when_given(tmp_path: Path) -> None:
    path = _write(tmp_path, "f1,tangxia,z1,area,1,mu,,s.txt,q,,", "f2,tangxai,z1,area,1,mu,,s.txt,q,,")
    assert len(load_figures(path)) == 2  # towns=None: not checked
    with pytest.raises(SchemaError) as info:
        load_figures(path, towns=["tangxia", "fenggang"])
    (problem,) = info.value.problems
    assert problem.feature == "row 3 (figure f2)"
    assert problem.message == "unknown town 'tangxai' (closest: tangxia)"


def test_default_town_fills_empty_or_absent_town(tmp_path: Path) -> None:
    path = _write(tmp_path, "f1,,z1,area,1,mu,,s.txt,q,,", "f2,fenggang,z1,area,1,mu,,s.txt,q,,")
    with pytest.raises(SchemaError, match=r"row 2 .*empty town"):
        load_figures(path)
    df = load_figures(path, default_town="tangxia", towns={"tangxia", "fenggang"})
    assert list(df["town"]) == ["tangxia", "fenggang"]
    no_town = tmp_path / "no_town.csv"
    header = "figure_id,subject,quantity,value,unit,source,quote"
    no_town.write_text(f"{header}\nf1,z1,area,1,亩,s.txt,q\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"missing column.*town"):
        load_figures(no_town)
    assert list(load_figures(no_town, default_town="tangxia")["town"]) == ["tangxia"]


def test_closest_ids_in_a_large_layer_are_the_best_matches(tmp_path: Path) -> None:
    ids = [f"FG-2024-{i:05d}" for i in range(30_000)]  # above the exhaustive-search size
    path = _write(
        tmp_path, "f1,fenggang,FG-2024-1234,area,1,mu,,s.txt,q,,", "f2,fenggang,GF-2024-29999,area,1,mu,,s.txt,q,,"
    )
    with pytest.raises(SchemaError) as info:
        load_figures(path, set(ids))
    for problem, subject in zip(info.value.problems, ["FG-2024-1234", "GF-2024-29999"], strict=True):
        first = problem.message.split("(closest: ")[1].split(", ")[0].rstrip(")")
        # the best difflib ratio over every id, computed exhaustively
        best = max(difflib.SequenceMatcher(None, i, subject).ratio() for i in ids)
        assert difflib.SequenceMatcher(None, first, subject).ratio() == best
    assert "closest: FG-2024-01234" in info.value.problems[0].message
    assert "closest: FG-2024-29999" in info.value.problems[1].message
