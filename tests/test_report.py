"""Reports for people (rounded, escaped) and machines (full precision), and the `reconcile` command."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _geo import GEOD, LAT0, LON0, square
from click.testing import CliRunner
from openpyxl import load_workbook
from rich.cells import cell_len
from rich.console import Console

from zonemap.build import build
from zonemap.cli import main
from zonemap.config import Config
from zonemap.errors import ZonemapError
from zonemap.figures import load_figures
from zonemap.io import write_geojson
from zonemap.reconcile import Reconciliation, reconcile
from zonemap.report import (
    FORMATS,
    parse_formats,
    terminal_tables,
    to_html,
    to_markdown,
    write_reports,
)
from zonemap.schema import FIGURE_COLUMNS

EVIL = "<img src=x onerror=alert(1)>"
#: The only elements the HTML reconciliation page is built of (headline chips, chart, tables as cards,
#: provenance collapsed): data text never adds one. tests/_handmade.REPORT_HTML_TAGS should become this set.
PAGE_TAGS = frozenset(
    {
        *("html", "head", "meta", "title", "style", "body", "header", "section", "h1", "h2", "p", "ul", "li"),
        *("span", "b", "table", "thead", "tbody", "tr", "th", "td", "details", "summary"),
        *("svg", "g", "rect", "line", "circle", "text"),
    }
)


def town_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    common = {"town": "fenggang", "accuracy_m": 2.5}
    zones = gpd.GeoDataFrame(
        [
            common
            | {
                "id": "fg-zone-t",
                "name_zh": EVIL,
                "name_en": "[bold red]zone[/]",
                "kind": "zone",
                "geometry_source": "drawn <b>by hand</b>",
                "geometry": square(LON0, LAT0, 1500.0),
            }
        ],
        crs="EPSG:4326",
    )
    parcels = gpd.GeoDataFrame(
        [
            common
            | {
                "id": "fg-parcel-t",
                "name_zh": "地块",
                "name_en": "parcel",
                "kind": "parcel",
                "parent": "fg-zone-t",
                "geometry_source": "survey",
                "geometry": square(LON0 + 0.002, LAT0 + 0.002, 300.0),
            }
        ],
        crs="EPSG:4326",
    )
    return zones, parcels


def write_figures(path: Path, zone_value: str = "2.25") -> Path:
    rows = [
        {
            "figure_id": "f-zone",
            "subject": "fg-zone-t",
            "value": zone_value,
            "unit": "km2",
            "qualifier": "约",
            "quote": f"面积约{zone_value}平方公里 {EVIL}",
        },
        {
            "figure_id": "f-parcel",
            "subject": "fg-parcel-t",
            "value": "135",
            "unit": "mu",
            "qualifier": "",
            "quote": "占地135亩",
        },
    ]
    base = {"town": "fenggang", "quantity": "area", "source": "test.txt", "part_of": "", "notes": "=1+1"}
    pd.DataFrame([base | r for r in rows], columns=list(FIGURE_COLUMNS)).to_csv(path, index=False)
    return path


@pytest.fixture
def result(tmp_path: Path) -> Reconciliation:
    zones, parcels = town_layers()
    figs = load_figures(write_figures(tmp_path / "figures.csv"))
    layer = gpd.GeoDataFrame(pd.concat([zones, parcels], ignore_index=True), crs="EPSG:4326")
    return reconcile(layer, figs, Config(geodata_dir=tmp_path))


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)


def test_html_escapes_every_data_string(result: Reconciliation) -> None:
    page = to_html(result)
    parser = Tags()
    parser.feed(page)
    assert parser.tags <= PAGE_TAGS
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and EVIL not in page
    assert "drawn &lt;b&gt;by hand&lt;/b&gt;" in page


def test_markdown_escapes_and_names_sources(result: Reconciliation) -> None:
    md = to_markdown(result)
    assert EVIL not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "test.txt" in md and "占地135亩" in md and "survey (±" in md and "drawn &lt;b&gt;by hand" in md


def test_terminal_table_does_not_read_markup(result: Reconciliation) -> None:
    figures = terminal_tables(result)[0]
    subjects = list(figures.columns[1].cells)
    assert [t.plain for t in subjects] == [f"fg-zone-t {EVIL}", "fg-parcel-t 地块"]  # English names: in the files
    marked = result.figures.assign(subject_name=["[bold red]区[/] / zone", "[link=http://x]地块[/link]"])
    subjects = list(terminal_tables(Reconciliation(marked, result.checks))[0].columns[1].cells)
    assert [t.plain for t in subjects] == ["fg-zone-t [bold red]区[/]", "fg-parcel-t [link=http://x]地块[/link]"]
    assert all(not t.spans and not t.style for t in subjects)  # shown as typed, not styled


def test_terminal_tables_fit_80_columns_with_bilingual_status(result: Reconciliation) -> None:
    console = Console(record=True, width=80)
    natural = Console(record=True, width=400)  # what the tables want when nothing limits them
    for table in terminal_tables(result):
        console.print(table)
        natural.print(table)
    texts = console.export_text(), natural.export_text()
    for text in texts:
        assert max(cell_len(line.rstrip()) for line in text.splitlines()) <= 80
    statuses = [t.plain for t in terminal_tables(result)[0].columns[-1].cells]
    assert statuses == ["一致 agrees"] * 2
    assert all(text.count("一致 agrees") == 2 for text in texts)  # each on one line, not wrapped


def test_people_see_rounded_numbers_machines_get_full_precision(result: Reconciliation, tmp_path: Path) -> None:
    out = tmp_path / "out"
    paths = write_reports(result, out, FORMATS)
    assert {p.name for p in paths} == {
        "reconciliation.md",
        "reconciliation.html",
        "reconciliation.json",
        "reconciliation.xlsx",
        "reconciliation_figures.csv",
        "reconciliation_checks.csv",
    }
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left
    measured = result.figures["measured_m2"].to_numpy()
    full = repr(float(measured[0]))
    assert full not in (out / "reconciliation.md").read_text() and full not in (out / "reconciliation.html").read_text()
    csv = pd.read_csv(out / "reconciliation_figures.csv")
    np.testing.assert_array_equal(csv["measured_m2"].to_numpy(), measured)
    np.testing.assert_array_equal(csv["diff_pct"].to_numpy(), result.figures["diff_pct"].to_numpy())
    doc = json.loads((out / "reconciliation.json").read_text())
    assert [f["measured_m2"] for f in doc["figures"]] == list(measured)
    assert doc["figures"][0]["quote"] == result.figures["quote"].iloc[0]
    assert doc["summary"]["figures"] == 2
    wb = load_workbook(out / "reconciliation.xlsx")
    sheet = wb["figures"]
    header = [c.value.splitlines()[-1] for c in sheet[1]]  # 中文 name, line break, machine name
    col = header.index("measured_m2")
    assert [row[col].value for row in sheet.iter_rows(min_row=2)] == list(measured)
    notes = sheet.cell(row=2, column=header.index("notes") + 1)
    assert notes.value == "=1+1" and notes.data_type == "s"  # text as written, never a formula
    assert csv["notes"].iloc[0] == "'=1+1"  # a spreadsheet shows it, does not run it
    assert (out / "reconciliation_figures.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    assert len(list(wb["checks"].iter_rows(min_row=2))) == len(result.checks)


def test_parse_formats() -> None:
    assert parse_formats("md, HTML,") == ["md", "html"]
    assert parse_formats("") == []
    with pytest.raises(ZonemapError, match="docx"):
        parse_formats("md,docx")


def make_geodata(root: Path, zone_value: str) -> Path:
    zones, parcels = town_layers()
    write_geojson(zones, root / "fenggang" / "zones.geojson")
    write_geojson(parcels, root / "fenggang" / "parcels.geojson")
    write_figures(root / "figures.csv", zone_value)
    (root / "towns.csv").write_text("id,name_zh,name_en,aliases\nfenggang,凤岗镇,Fenggang Town,\n", encoding="utf-8")
    return root


def test_cli_reconcile_writes_reports_and_strict_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZONEMAP_REFERENCE_DIR", raising=False)  # hand-made zones lie outside any real town
    area_km2 = abs(GEOD.geometry_area_perimeter(square(LON0, LAT0, 1500.0))[0]) / 1e6
    geo = make_geodata(tmp_path / "ok", f"{area_km2:.2f}")
    runner = CliRunner()
    out = tmp_path / "reports"
    res = runner.invoke(
        main, ["reconcile", "fenggang", "--geodata", str(geo), "--format", "md,json", "--out", str(out), "--strict"]
    )
    assert res.exit_code == 0, res.output
    assert (out / "reconciliation.md").is_file() and (out / "reconciliation.json").is_file()
    md = (out / "reconciliation.md").read_text(encoding="utf-8")
    assert f"{area_km2:.2f} km²" in md and " km2" not in md  # people read km², the data keeps "km2"
    assert json.loads((out / "reconciliation.json").read_text())["figures"][0]["unit"] == "km2"
    assert "2 figure(s)" in res.output
    bad = make_geodata(tmp_path / "bad", "9.9")  # 约9.9 km² against ~2.25 km² measured
    res = runner.invoke(main, ["reconcile", "--geodata", str(bad), "--strict", "fenggang"])
    assert res.exit_code == 1, res.output
    assert "1 figure(s) disagree" in res.output
    res = runner.invoke(main, ["reconcile", "--geodata", str(bad), "fenggang"])
    assert res.exit_code == 0
    res = runner.invoke(main, ["reconcile", "--geodata", str(bad), "--format", "pdf"])
    assert res.exit_code == 2 and "unknown report format" in res.output
    res = runner.invoke(main, ["reconcile", "--geodata", str(bad), "atlantis"])
    assert res.exit_code == 2


@pytest.mark.slow
def test_build_writes_the_report_next_to_the_maps(config: Config, tmp_path: Path) -> None:
    result = build(config.evolve(output_dir=tmp_path / "maps"))
    assert result.report_path == tmp_path / "maps" / "reconciliation.html"
    assert result.report_path.is_file()
    doc = json.loads((tmp_path / "maps" / "reconciliation.json").read_text())
    failing = sum(f["status"] in ("disagrees", "part_exceeds_whole") for f in doc["figures"])
    assert result.failed_checks == failing + doc["summary"]["failed_checks"]
    assert tmp_path / "maps" / "reconciliation.xlsx" in result.outputs


def test_long_terminal_tables_show_the_failing_rows_first(result: Reconciliation) -> None:
    n = 100
    figures = pd.concat([result.figures.iloc[:1]] * n, ignore_index=True)
    figures["figure_id"] = [f"f-{i}" for i in range(n)]
    figures.loc[[97, 98, 99], "status"] = "disagrees"
    figures.loc[50, "status"] = "undetermined"
    checks = result.checks.assign(passed=[True] * (len(result.checks) - 1) + [False])
    table, checks_table = terminal_tables(Reconciliation(figures, checks), max_rows=5)
    assert [t.plain for t in table.columns[0].cells] == ["f-97", "f-98", "f-99", "f-50", "f-0"]
    labels = [t.plain for t in table.columns[-1].cells]
    assert labels[:4] == ["不一致 disagrees"] * 3 + ["待定 undetermined"]
    assert table.caption == "5 of 100 figures shown, failing first; every row is in the report files"
    assert checks_table.caption is None and len(list(checks_table.columns[0].cells)) == len(checks)
    assert [t.plain for t in checks_table.columns[-1].cells] == ["yes"] * (len(checks) - 1) + ["NO"]
    everything = terminal_tables(Reconciliation(figures, checks), max_rows=None)[0]
    assert [t.plain for t in everything.columns[0].cells] == list(figures["figure_id"])


def test_the_bundled_headline_says_what_can_and_cannot_be_said() -> None:
    import csv as _csv

    from zonemap.config import default_config
    from zonemap.reconcile import reconcile_towns
    from zonemap.report import summary
    from zonemap.schema import AREA_QUANTITIES

    cfg = default_config()
    with (cfg.geodata_dir / "figures.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in _csv.DictReader(fh) if r["quantity"] in AREA_QUANTITIES]
    parts = sum(1 for r in rows if r["part_of"])
    result = reconcile_towns(cfg)
    head = summary(result)
    # sketches placed to 1.2-2 km: no figure can be called agreeing or disagreeing, and the headline says so
    own = len(rows) - parts
    assert head.startswith(
        f"{len(rows)} figure(s): 0 agree (一致 agrees), 0 disagree (不一致 disagrees), "
        f"{own} undetermined at the drawings' accuracy"
    ), head
    need = result.figures["decisive_accuracy_m"].dropna()
    assert f"would need edges within {need.min():,.0f}–{need.max():,.0f} m" in head
    assert f"{parts} of {parts} part-whole rule(s) hold" in head
