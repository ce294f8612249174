"""Stated figures in the forms planners write them: units, 万 / 亿, separators, encodings, XLSX, layer attributes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from _geo import LAT0, LON0, geo_area, square

from zonemap.config import Config
from zonemap.errors import DataFileError, SchemaError
from zonemap.figures import LOADED_COLUMNS, area_field_figures, load_figures, parse_values, unit_form
from zonemap.reconcile import AGREES, DISAGREES, reconcile
from zonemap.schema import FIGURE_COLUMNS

MU = 10000 / 15  # one 亩 in m², by definition

#: The three rows of the issue, and the arithmetic they mean.
ROWS = [
    # figure_id, subject, value, unit, qualifier
    ("f-wan", "p1", "约1.2万", "平方米", ""),
    ("f-ha", "p2", "12.5", "公顷", ""),
    ("f-mu", "p3", "245.98", "亩", ""),
]
#: 1.2万平方米: 1.2 x 10^4 m², last digit 0.1万 -> ± 0.05 x 10^4 = 500 m²
#: 12.5公顷: 12.5 x 10^4 m², ± 0.05 ha = 500 m²
#: 245.98亩: 245.98 x 10000/15 m², ± 0.005 亩
EXPECTED = {
    "f-wan": (12_000.0, 500.0, "about"),
    "f-ha": (125_000.0, 500.0, "exact"),
    "f-mu": (245.98 * MU, 0.005 * MU, "exact"),
}


def _table_rows() -> list[list[str]]:
    rows = [list(FIGURE_COLUMNS)]
    for fid, subject, value, unit, qualifier in ROWS:
        cells = dict(
            figure_id=fid,
            town="tangxia",
            subject=subject,
            quantity="area",
            value=value,
            unit=unit,
            qualifier=qualifier,
            source="规划.docx",
            quote=f"占地{value}{unit}",
            part_of="",
            notes="",
        )
        rows.append([cells[c] for c in FIGURE_COLUMNS])
    return rows


def _csv_text() -> str:
    return "".join(",".join(r) + "\r\n" for r in _table_rows())


def _assert_issue_rows(df: pd.DataFrame) -> None:
    by_id = df.set_index("figure_id")
    for fid, (stated, precision, bound) in EXPECTED.items():
        assert by_id.loc[fid, "stated_m2"] == pytest.approx(stated, rel=1e-12), fid
        assert by_id.loc[fid, "precision_m2"] == pytest.approx(precision, rel=1e-12), fid
        assert by_id.loc[fid, "bound"] == bound, fid
    assert list(by_id["unit"]) == ["m2", "ha", "mu"]
    assert list(by_id["unit_as_written"]) == ["平方米", "公顷", "亩"]
    assert by_id.loc["f-wan", "value_as_written"] == "约1.2万"
    assert by_id.loc["f-wan", "value"] == "1.2万"
    assert by_id.loc["f-wan", "qualifier"] == "约"
    assert list(df.columns[: len(LOADED_COLUMNS)]) == list(LOADED_COLUMNS)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("gbk", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-8", b""), ("gb18030", b"")],
)
def test_csv_in_utf8_bom_and_gbk_gives_the_written_precision(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = tmp_path / "figures.csv"
    path.write_bytes(prefix + _csv_text().encode(encoding))
    before = path.read_bytes()
    _assert_issue_rows(load_figures(path, towns={"tangxia"}))
    assert path.read_bytes() == before  # the input is never modified


def test_xlsx_first_sheet_or_sheet_named_figures(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append(["this sheet is not the table"])
    sheet = wb.create_sheet("figures")
    for row in _table_rows():
        sheet.append(row)
    path = tmp_path / "figures.xlsx"
    wb.save(path)
    _assert_issue_rows(load_figures(path))

    only = openpyxl.Workbook()
    for row in _table_rows():
        only.active.append(row)
    first = tmp_path / "first.xlsx"
    only.save(first)
    _assert_issue_rows(load_figures(first))


def test_xlsx_number_cells_take_precision_from_format_or_shortest_repr(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(FIGURE_COLUMNS))
    numbers = [
        ("general", 245.98, "亩", "General"),
        ("fmt2", 12.5, "公顷", "0.00"),
        ("int", 12000, "㎡", "General"),
        ("grouped", 12000, "m2", "#,##0.0"),
        ("hidden", 245.98, "亩", "0"),
    ]
    for fid, value, unit, _fmt in numbers:
        ws.append([fid, "tangxia", "p1", "area", value, unit, "", "s.xlsx", "q", "", ""])
    for row, (_, _, _, fmt) in enumerate(numbers, start=2):
        ws.cell(row=row, column=FIGURE_COLUMNS.index("value") + 1).number_format = fmt
    path = tmp_path / "numbers.xlsx"
    wb.save(path)
    df = load_figures(path).set_index("figure_id")
    # General 245.98 -> "245.98": 2 decimals, ± 0.005 亩
    assert (df.loc["general", "value"], df.loc["general", "decimals"]) == ("245.98", 2)
    assert df.loc["general", "precision_m2"] == pytest.approx(0.005 * MU)
    # 12.5 shown as 12.50 by "0.00": ± 0.005 ha = 50 m²
    assert (df.loc["fmt2", "value"], df.loc["fmt2", "precision_m2"]) == ("12.50", pytest.approx(50.0))
    assert df.loc["fmt2", "stated_m2"] == pytest.approx(125_000.0)
    # integer 12000 General: ± 0.5 m²; "#,##0.0" shows 12,000.0: ± 0.05 m²
    assert (df.loc["int", "stated_m2"], df.loc["int", "precision_m2"]) == (12_000.0, 0.5)
    assert (df.loc["grouped", "value"], df.loc["grouped", "precision_m2"]) == ("12000.0", pytest.approx(0.05))
    # "0" would hide digits the planner typed: the stored 245.98 keeps its 2 decimals
    assert (df.loc["hidden", "value"], df.loc["hidden", "decimals"]) == ("245.98", 2)


@pytest.mark.parametrize(
    ("written", "code", "m2"),
    [
        ("亩", "mu", MU),
        ("mu", "mu", MU),
        ("万亩", "mu", 1e4 * MU),
        ("公顷", "ha", 1e4),
        ("ha", "ha", 1e4),
        ("hm²", "ha", 1e4),
        ("平方米", "m2", 1.0),
        ("㎡", "m2", 1.0),
        ("m2", "m2", 1.0),
        ("M²", "m2", 1.0),
        ("万平方米", "m2", 1e4),
        ("平方公里", "km2", 1e6),
        ("km²", "km2", 1e6),
        ("km2", "km2", 1e6),
        ("ＫＭ２", "km2", 1e6),
    ],
)
def test_every_written_area_unit(tmp_path: Path, written: str, code: str, m2: float) -> None:
    path = tmp_path / "f.csv"
    path.write_text(",".join(FIGURE_COLUMNS) + f"\nf,t,p,area,3,{written},,s,q,,\n", encoding="utf-8")
    row = load_figures(path).iloc[0]
    assert (row["unit"], row["unit_as_written"]) == (code, written)
    assert row["stated_m2"] == pytest.approx(3 * m2, rel=1e-15)
    assert row["precision_m2"] == pytest.approx(0.5 * m2, rel=1e-15)
    assert row["value_num"] * row["unit_m2"] == row["stated_m2"]  # value_num is in the canonical unit


@pytest.mark.parametrize(
    ("written", "code", "m"),
    [("米", "m", 1.0), ("m", "m", 1.0), ("公里", "km", 1e3), ("千米", "km", 1e3), ("km", "km", 1e3)],
)
def test_every_written_length_unit(tmp_path: Path, written: str, code: str, m: float) -> None:
    path = tmp_path / "f.csv"
    path.write_text(",".join(FIGURE_COLUMNS) + f"\nf,t,c,ring_outer_radius,1.5,{written},,s,q,,\n", encoding="utf-8")
    row = load_figures(path).iloc[0]
    assert (row["unit"], row["stated_m"], row["precision_m"]) == (code, pytest.approx(1.5 * m), pytest.approx(0.05 * m))


def test_unit_form_lookup() -> None:
    assert unit_form("万平方米") == ("m2", 10_000)
    assert unit_form(" 万亩 ") == ("mu", 10_000)
    assert unit_form("acre") is None


@pytest.mark.parametrize(
    ("written", "qualifier", "digits", "decimals", "exponent"),
    [
        ("1.2万", "", "1.2", 1, 4),
        ("1.5亿", "", "1.5", 1, 8),
        ("12,000", "", "12000", 0, 0),
        ("12，000", "", "12000", 0, 0),
        ("１２，０００．５", "", "12000.5", 1, 0),
        ("约6.7", "约", "6.7", 1, 0),
        ("6.7以上", "以上", "6.7", 1, 0),
        ("不超过30", "不超过", "30", 0, 0),
        ("200余", "余", "200", 0, 0),
        ("10多万", "多", "10", 0, 4),
        ("1万余", "余", "1", 0, 4),
        ("近3000", "近", "3000", 0, 0),
        (" 6.7 ", "", "6.7", 1, 0),
    ],
)
def test_values_as_written(written: str, qualifier: str, digits: str, decimals: int, exponent: int) -> None:
    got = parse_values(pd.Series([written])).iloc[0]
    assert bool(got["ok"])
    assert (got["qualifier"], got["digits"], got["decimals"], got["exponent"]) == (
        qualifier,
        digits,
        decimals,
        exponent,
    )


@pytest.mark.parametrize("written", ["1,5", "12,00", "6.7.1", "about 6", "1e5", "约6.7以上", "", "万", ".5", "5."])
def test_values_that_are_not_read(written: str) -> None:
    assert not bool(parse_values(pd.Series([written])).iloc[0]["ok"])


def test_value_forms_in_a_table(tmp_path: Path) -> None:
    rows = [
        "a,t,p,area,1.5亿,平方米,,s,q,,",  # 1.5 x 10^8 m², ± 0.05 x 10^8
        'b,t,p,area,"12,000",㎡,,s,q,,',  # ± 0.5 m²
        "c,t,p,area,1.2,万平方米,约,s,q,,",  # the multiplier in the unit: same as 1.2万 平方米
        "d,t,p,area,6.7以上,平方公里,,s,q,,",
        "e,t,p,area,不超过30,亩,,s,q,,",
        "f,t,p,area,200余,亩,余,s,q,,",  # the same qualifier in both places is fine
        "g,t,p,area,3.5,万亩,,s,q,,",
    ]
    path = tmp_path / "f.csv"
    path.write_text("\n".join([",".join(FIGURE_COLUMNS), *rows]) + "\n", encoding="utf-8")
    df = load_figures(path).set_index("figure_id")
    assert (df.loc["a", "stated_m2"], df.loc["a", "precision_m2"]) == (1.5e8, 0.05e8)
    assert (df.loc["b", "stated_m2"], df.loc["b", "precision_m2"], df.loc["b", "value"]) == (12000.0, 0.5, "12000")
    assert (df.loc["c", "stated_m2"], df.loc["c", "precision_m2"]) == (12000.0, 500.0)
    assert (df.loc["c", "value"], df.loc["c", "unit"], df.loc["c", "bound"]) == ("1.2万", "m2", "about")
    assert (df.loc["d", "stated_m2"], df.loc["d", "bound"]) == (6.7e6, "at_least")
    assert (df.loc["e", "stated_m2"], df.loc["e", "bound"]) == (pytest.approx(30 * MU), "at_most")
    assert df.loc["f", "bound"] == "at_least"
    # 3.5万亩 = 35 000 亩, ± 0.05万亩 = 500 亩
    assert df.loc["g", "value_num"] == 35_000.0 and df.loc["g", "unit"] == "mu"
    assert df.loc["g", "stated_m2"] == pytest.approx(35_000 * MU)
    assert df.loc["g", "precision_m2"] == pytest.approx(500 * MU)


def test_conflicting_forms_are_refused(tmp_path: Path) -> None:
    rows = [
        "a,t,p,area,约6.7,km2,以上,s,q,,",
        "b,t,p,area,1.2万,万平方米,,s,q,,",
        "c,t,p,area,1.5,km,,s,q,,",
        "d,t,p,area,1,5,km2,,s,q,,",
    ]
    path = tmp_path / "f.csv"
    path.write_text("\n".join([",".join(FIGURE_COLUMNS), *rows[:3]]) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_figures(path)
    text = [str(p) for p in info.value.problems]
    assert any("row 2 (figure a): qualifier '约' in the value and '以上'" in t for t in text)
    assert any("row 3 (figure b): value '1.2万' and unit '万平方米' both carry a multiplier" in t for t in text)
    assert any("row 4 (figure c): unknown area unit 'km'" in t for t in text)
    assert len(text) == 3


def test_undecodable_csv_names_the_byte_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    body = ",".join(FIGURE_COLUMNS).encode() + b"\nf,t,p,area,1,\x80\x80,,s,q,,\n"
    path.write_bytes(body)
    with pytest.raises(DataFileError) as info:
        load_figures(path)
    offset = body.index(b"\x80")
    assert f"neither UTF-8 (byte {offset}: 0x80) nor GBK/GB18030 (byte {offset}: 0x80)" in str(info.value)
    assert "fix: save the table as 'CSV UTF-8'" in str(info.value)


def test_big5_csv_is_not_taken_for_gbk(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    text = ",".join(FIGURE_COLUMNS) + "\nf,t,p,area,245.98,畝,,東莞鳳崗規劃.docx,鳳崗鎮工業區佔地245.98畝,,\n"
    path.write_bytes(text.encode("big5"))
    with pytest.raises(DataFileError, match=r"not UTF-8 \(byte \d+\), and read as GBK it holds a private-use"):
        load_figures(path)


def test_utf16_csv_is_refused_with_the_excel_fix(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(_csv_text().encode("utf-16"))
    with pytest.raises(DataFileError, match=r"UTF-16.*CSV UTF-8"):
        load_figures(path)


def test_csv_cut_off_mid_row_is_refused_naming_the_row(tmp_path: Path) -> None:
    text = _csv_text()
    path = tmp_path / "cut.csv"
    path.write_text(text[: text.rindex(",规划.docx")], encoding="utf-8")  # the last row loses its last 4 fields
    with pytest.raises(
        DataFileError,
        match=r"row 4 has 7 field\(s\), the header 11 \(the last row: the file "
        r"looks cut off mid-row\)",
    ):
        load_figures(path)
    quoted = tmp_path / "quote.csv"
    quoted.write_text(text + 'f-x,tangxia,p4,area,1,亩,,s,"占地1亩\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"row 5 \(line 5\).*quote opened in this row is never closed"):
        load_figures(quoted)
    long_row = tmp_path / "long.csv"
    long_row.write_text(text.replace("12.5,公顷", "12,5,公顷"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"row 3 has 12 field\(s\), the header 11 \(fix: .*quote"):
        load_figures(long_row)


def test_semicolon_table_gets_the_separator_fix(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(";".join(FIGURE_COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="separate the columns with commas, not ';'"):
        load_figures(path)


def test_broken_xlsx_is_a_data_file_error(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(list(FIGURE_COLUMNS))
    path = tmp_path / "f.xlsx"
    wb.save(path)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataFileError, match="not a readable XLSX"):
        load_figures(cut)


# --------------------------------------------------------------------------- a layer's own attribute


def _layer(**columns: object) -> pd.DataFrame:
    return pd.DataFrame({"id": ["FG-001", "FG-002", "塘厦-3"], **columns})


def test_area_field_numeric_with_declared_decimals() -> None:
    layer = _layer(面积亩=[245.98, 12.5, 703.0])
    figs = area_field_figures(layer, "面积亩", decimals=2, town="tangxia", source="parcels.shp")
    assert list(figs.columns) == list(LOADED_COLUMNS)
    assert list(figs["figure_id"]) == ["FG-001:面积亩", "FG-002:面积亩", "塘厦-3:面积亩"]
    assert list(figs["subject"]) == ["FG-001", "FG-002", "塘厦-3"]
    assert list(figs["value"]) == ["245.98", "12.50", "703.00"]
    assert list(figs["quote"]) == ["面积亩=245.98", "面积亩=12.50", "面积亩=703.00"]
    assert set(figs["unit"]) == {"mu"} and set(figs["quantity"]) == {"area"} and set(figs["bound"]) == {"exact"}
    np.testing.assert_allclose(figs["stated_m2"], np.array([245.98, 12.5, 703.0]) * MU, rtol=1e-15)
    np.testing.assert_allclose(figs["precision_m2"], 0.005 * MU, rtol=1e-15)  # N(18,2): ± 0.005 亩
    assert set(figs["town"]) == {"tangxia"} and set(figs["source"]) == {"parcels.shp"}


def test_area_field_matches_the_registry_format(tmp_path: Path) -> None:
    layer = _layer(面积亩=["245.98", "12.5", "703"])
    figs = area_field_figures(layer, "面积亩", town="t", source="s")
    path = tmp_path / "f.csv"
    figs[list(FIGURE_COLUMNS)].to_csv(path, index=False)
    loaded = load_figures(path)
    assert list(loaded.columns) == list(figs.columns)
    pd.testing.assert_frame_equal(
        loaded.drop(columns=["unit_as_written"]), figs.drop(columns=["unit_as_written"]), check_dtype=False
    )


def test_area_field_text_keeps_its_written_digits() -> None:
    layer = _layer(TBMJ=["1,200", "约3.5万", "12000.25"])
    figs = area_field_figures(layer, "TBMJ")
    # 三调 TBMJ is m²: 1,200 ± 0.5; 约3.5万 = 35 000 ± 500 (about); 12000.25 ± 0.005
    assert list(figs["stated_m2"]) == [1200.0, 35000.0, 12000.25]
    np.testing.assert_allclose(figs["precision_m2"], [0.5, 500.0, 0.005])
    assert list(figs["bound"]) == ["exact", "about", "exact"]
    assert list(figs["quote"]) == ["TBMJ=1,200", "TBMJ=约3.5万", "TBMJ=12000.25"]


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("面积亩", "mu"),
        ("面积(亩)", "mu"),
        ("面积_mu", "mu"),
        ("用地面积公顷", "ha"),
        ("area_ha", "ha"),
        ("建筑面积平方米", "m2"),
        ("面积㎡", "m2"),
        ("area_m2", "m2"),
        ("TBMJ", "m2"),
        ("mj", "m2"),
        ("KCMJ", "m2"),
        ("TBDLMJ", "m2"),
        ("面积平方公里", "km2"),
        ("AREA_KM2", "km2"),
    ],
)
def test_area_field_unit_from_the_field_name(field: str, code: str) -> None:
    figs = area_field_figures(pd.DataFrame({"id": ["a"], field: [3]}), field)
    assert figs["unit"].iloc[0] == code


@pytest.mark.parametrize("field", ["SHAPE_Area", "面积", "面积亩公顷", "hash"])
def test_area_field_unit_unknown_is_refused_with_the_option(field: str) -> None:
    with pytest.raises(SchemaError, match="--area-unit"):
        area_field_figures(pd.DataFrame({"id": ["a"], field: [3]}), field)
    figs = area_field_figures(pd.DataFrame({"id": ["a"], field: [3]}), field, unit="公顷")
    assert figs["stated_m2"].iloc[0] == 30_000.0


def test_area_field_float_without_decimals() -> None:
    with pytest.raises(SchemaError, match="--area-decimals N"):
        area_field_figures(_layer(面积亩=[245.98, 12.5, 703.0]), "面积亩")
    whole = area_field_figures(_layer(面积亩=[245.0, 12.0, 703.0]), "面积亩")  # all whole: 0 decimals
    np.testing.assert_allclose(whole["precision_m2"], 0.5 * MU)
    ints = area_field_figures(_layer(面积亩=np.array([245, 12, 703], dtype=np.int32)), "面积亩")
    assert list(ints["value"]) == ["245", "12", "703"]


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ([245.98, np.nan, 0.0], "FG-002, 塘厦-3 (2 feature(s))"),
        (["245.98", "", None], "FG-002, 塘厦-3 (2 feature(s))"),
        ([-1.0, 2.0, -3.0], "FG-001, 塘厦-3 (2 feature(s))"),
        (["-1", "2", "0"], "FG-001, 塘厦-3 (2 feature(s))"),
    ],
)
def test_area_field_unusable_values_name_the_features(values: list[object], named: str) -> None:
    with pytest.raises(SchemaError) as info:
        area_field_figures(_layer(面积亩=values), "面积亩", decimals=2, source="parcels.shp")
    text = str(info.value)
    assert text.startswith("parcels.shp: attribute '面积亩'")
    assert named in text and "fix:" in text


def test_area_field_lists_the_first_ids_and_counts_the_rest() -> None:
    layer = pd.DataFrame({"id": [f"p{i}" for i in range(8)], "面积亩": ["x"] * 8})
    with pytest.raises(SchemaError, match=r"p0, p1, p2, p3, p4 and 3 more \(8 feature\(s\)\)"):
        area_field_figures(layer, "面积亩")


def test_area_field_missing_field_names_the_closest() -> None:
    with pytest.raises(SchemaError, match=r"no attribute '面积'.*面积亩"):
        area_field_figures(_layer(面积亩=[1, 2, 3]), "面积")


def test_header_only_table_loads_empty_in_the_loaded_format(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(",".join(FIGURE_COLUMNS) + "\n", encoding="utf-8")
    df = load_figures(path)
    assert len(df) == 0 and list(df.columns) == list(LOADED_COLUMNS)


def test_area_field_figures_reconcile_like_registry_figures(tmp_path: Path) -> None:
    shapes = [square(LON0, LAT0, 100.0), square(LON0 + 0.01, LAT0, 200.0)]
    areas_mu = [geo_area(g)[0] / MU for g in shapes]
    # the first carries its own area to 2 decimals (within ± 0.005 亩), the second 10 % too much
    stated = [round(areas_mu[0], 2), round(areas_mu[1] * 1.1, 2)]
    gdf = gpd.GeoDataFrame(
        {
            "id": ["FG-1", "FG-2"],
            "面积亩": stated,
            "kind": "parcel",
            "town": "t",
            "geometry_source": "test",
            "accuracy_m": 0.0,
            "parent": None,
            "name_zh": "测",
            "name_en": "t",
        },
        geometry=shapes,
        crs="EPSG:4326",
    )
    figs = area_field_figures(gdf, "面积亩", decimals=2, town="t", source="parcels.shp")
    result = reconcile(gdf, figs, Config(geodata_dir=tmp_path)).figures.set_index("subject")
    assert list(result["status"]) == [AGREES, DISAGREES]
    assert result.loc["FG-1", "band_m2"] == pytest.approx(0.005 * MU)
    assert result.loc["FG-2", "stated_m2"] == pytest.approx(stated[1] * MU)


def test_validate_reads_an_xlsx_figures_table(tmp_path: Path) -> None:
    from zonemap.validate import validate_paths

    wb = openpyxl.Workbook()
    for row in [*_table_rows(), ["f-bad", "t", "p", "area", "-3", "亩", "", "s", "q", "", ""]]:
        wb.active.append(row)
    path = tmp_path / "figures.xlsx"
    wb.save(path)
    (problem,) = validate_paths([path])
    assert (problem.feature, problem.message) == ("row 5 (figure f-bad)", "value '-3' is negative")


def test_a_unit_written_in_the_value(tmp_path: Path) -> None:
    rows = [
        "a,t,p,area,245.98亩,,,s,q,,",  # 245.98 x 10000/15 m², ± 0.005 亩
        "b,t,p,area,约1.2万平方米,,,s,q,,",  # 12 000 ± 500 m², about
        "c,t,p,area,6.7平方公里以上,,,s,q,,",
        "d,t,p,area,10余万平方米,,,s,q,,",  # more than 10万 m²: at least 100 000, ± 5 000
        "e,t,p,area,245.98亩,亩,,s,q,,",  # the same unit twice is fine
        "f,t,p,area,12.5KM²,,,s,q,,",
    ]
    path = tmp_path / "f.csv"
    path.write_text("\n".join([",".join(FIGURE_COLUMNS), *rows]) + "\n", encoding="utf-8")
    df = load_figures(path).set_index("figure_id")
    assert (df.loc["a", "unit"], df.loc["a", "unit_as_written"], df.loc["a", "value"]) == ("mu", "亩", "245.98")
    assert df.loc["a", "stated_m2"] == pytest.approx(245.98 * MU)
    assert df.loc["a", "precision_m2"] == pytest.approx(0.005 * MU)
    assert (df.loc["b", "stated_m2"], df.loc["b", "precision_m2"], df.loc["b", "bound"]) == (12000.0, 500.0, "about")
    assert (df.loc["c", "stated_m2"], df.loc["c", "bound"]) == (6.7e6, "at_least")
    assert (df.loc["d", "stated_m2"], df.loc["d", "precision_m2"], df.loc["d", "bound"]) == (1e5, 5e3, "at_least")
    assert df.loc["e", "stated_m2"] == df.loc["a", "stated_m2"]
    assert (df.loc["f", "unit"], df.loc["f", "stated_m2"]) == ("km2", 12.5e6)


def test_a_unit_in_the_value_that_disagrees_with_the_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        ",".join(FIGURE_COLUMNS) + "\na,t,p,area,245.98亩,公顷,,s,q,,\nb,t,p,area,3,,,s,q,,\n", encoding="utf-8"
    )
    with pytest.raises(SchemaError) as info:
        load_figures(path)
    assert [str(p).split(": ", 1)[1] for p in info.value.problems] == [
        "row 2 (figure a): unit '亩' in the value and '公顷' in column unit disagree "
        "(fix: keep the one the source uses, in one place)",
        "row 3 (figure b): empty unit (fix: fill in unit)",
    ]
    with pytest.raises(SchemaError, match=r"is in 公顷 but '245.98亩' names another unit"):
        area_field_figures(_layer(面积公顷=["245.98亩", "1", "2"]), "面积公顷")
    same = area_field_figures(_layer(面积亩=["245.98亩", "1", "2"]), "面积亩")
    assert same["stated_m2"].iloc[0] == pytest.approx(245.98 * MU)


def test_unnamed_columns(tmp_path: Path) -> None:
    header = ",".join(FIGURE_COLUMNS)
    trailing = tmp_path / "trailing.csv"  # a trailing comma on every line: an unnamed, empty column
    trailing.write_text(f"{header},\nf,t,p,area,3,亩,,s,q,,,\n", encoding="utf-8")
    df = load_figures(trailing)
    assert list(df.columns) == list(LOADED_COLUMNS) and df["stated_m2"].iloc[0] == pytest.approx(3 * MU)
    filled = tmp_path / "filled.csv"
    filled.write_text(f"{header},\nf,t,p,area,3,亩,,s,q,,,x\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"column 12 has no name in the header but row 2 has a value"):
        load_figures(filled)
