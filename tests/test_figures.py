"""The stated-figure registry: digits as written, units, qualifiers, clear rejections."""

from __future__ import annotations

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


@pytest.mark.parametrize(("text", "expected"), [("6.7", 1), ("245.98", 2), ("2780", 0), ("2107.5", 1)])
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
        "c,fenggang,z1,area,1,km2,大约,s.txt,q,,",
        "a,fenggang,z1,area,1,km2,,s.txt,q,nope,",
        "e,fenggang,unknown-feature,area,1,km2,,s.txt,q,,",
    )
    with pytest.raises(SchemaError) as info:
        load_figures(path, feature_ids={"z1"})
    text = str(info.value)
    assert "row 2 (figure a): unknown area unit 'acres'" in text
    assert "row 3 (figure b): value 'about 6' is not a plain number" in text
    assert "row 4 (figure c): unknown qualifier '大约'" in text
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
