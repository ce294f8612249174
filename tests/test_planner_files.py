"""A planner's own files straight from the command line: reconcile, map, rings, init + build.

Every expected value is computed here: areas with GeographicLib (pyproj.Geod), precision
bands by hand arithmetic from the digits as written, ring shares with shapely in a local
azimuthal equidistant projection.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import json
import re
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from _geo import GEOD
from _planner import IDS, MU_M2, WRONG, expected_status, parcels_lonlat, write_formats, write_shapefile_gbk
from click.testing import CliRunner
from pyproj import CRS, Transformer

from zonemap.cli import main

FIGURE_HEADER = "figure_id,town,subject,quantity,value,unit,qualifier,source,quote,part_of,notes"


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def shp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shapefile_gbk(tmp_path_factory.mktemp("shp"))


def _reconcile_file(path: Path, out: Path, *extra: str) -> list[dict[str, str]]:
    """``zonemap reconcile FILE --area-field 面积亩``: parcel by parcel, the per-parcel table."""
    code, output = _run(
        [
            "reconcile",
            str(path),
            "--area-field",
            "面积亩",
            "--area-decimals",
            "2",
            "--town",
            "塘厦",
            "--format",
            "csv",
            "--out",
            str(out),
            *extra,
        ]
    )
    assert code == 0, output
    if path.suffix == ".csv":  # a text table (lon/lat or WKT columns) gets the registry reconciliation
        return [
            {"id": r["subject"], "status": r["status"], "area_m2": r["measured_m2"]}
            for r in _rows(out / "reconciliation_figures.csv")
        ]
    return _rows(out / f"{path.stem}_parcels.csv")


def test_gbk_shapefile_reconciles_every_parcel_with_ids_as_written(shp: Path, tmp_path: Path) -> None:
    before = _digest(shp.parent)
    code, output = _run(
        [
            "reconcile",
            str(shp),
            "--encoding",
            "GBK",
            "--area-field",
            "面积亩",
            "--town",
            "塘厦",
            "--format",
            "csv,json",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, output
    rows = _rows(tmp_path / f"{shp.stem}_parcels.csv")
    truth = parcels_lonlat().set_index("地块编号")
    assert [r["id"] for r in rows] == list(IDS)  # as written: upper case, Chinese kept
    assert {r["id"]: r["status"] for r in rows} == expected_status()
    for r in rows:
        assert float(r["area_m2"]) == pytest.approx(truth.loc[r["id"], "geo_area_m2"], rel=1e-6)
        # stated with 2 decimals (DBF N(.,2)): half a unit of the last digit, 0.005 mu, and no geometry band
        assert float(r["precision_m2"]) == pytest.approx(0.005 * MU_M2, rel=1e-9)
        assert float(r["stated_m2"]) == pytest.approx(truth.loc[r["id"], "面积亩"] * MU_M2, rel=1e-12)
    summary = json.loads((tmp_path / f"{shp.stem}_parcels_summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["disagrees"] == 1 and summary["area_field"] == "面积亩"
    assert _digest(shp.parent) == before  # the input is never modified


@pytest.mark.parametrize("fmt", ["gpkg", "parquet", "kml", "csv", "geojson"])
def test_other_formats_give_the_same_areas_and_statuses(shp: Path, tmp_path: Path, fmt: str) -> None:
    path = write_formats(tmp_path / "in")[fmt]
    rows = _reconcile_file(path, tmp_path / "out")
    truth = parcels_lonlat()
    assert [r["status"] for r in rows] == [expected_status()[i] for i in IDS]
    for r, area in zip(rows, truth["geo_area_m2"], strict=True):
        assert float(r["area_m2"]) == pytest.approx(area, rel=1e-6)
    if fmt != "kml":  # KML Placemarks carry no 地块编号: they are numbered
        assert [r["id"] for r in rows] == list(IDS)


def _figures_rows(parcel_ids: list[str]) -> list[list[str]]:
    a, b, c = parcel_ids[:3]
    return [
        ["f-wan", "tangxia", a, "area", "约1.2万", "平方米", "", "规划文本", "约1.2万平方米", "", ""],
        ["f-ha", "tangxia", b, "area", "12.5", "公顷", "", "规划文本", "12.5公顷", "", ""],
        ["f-mu", "tangxia", c, "area", "245.98", "亩", "", "规划文本", "245.98亩", "", ""],
    ]


def _expected_bands(about_tol: float = 0.05) -> dict[str, float]:
    # written digits: 1.2万 m² -> last digit 0.1万 = 1000 m², half of it 500 m²; 约 adds 5 % of 12000 m²
    return {"f-wan": 500.0 + about_tol * 12000.0, "f-ha": 0.05 * 10000.0, "f-mu": 0.005 * MU_M2}


def test_figures_gbk_csv_and_xlsx_give_the_bands_the_digits_imply(shp: Path, tmp_path: Path) -> None:
    rows = _figures_rows(list(IDS))
    gbk = tmp_path / "figures_gbk.csv"
    gbk.write_bytes(("\n".join([FIGURE_HEADER, *(",".join(r) for r in rows)]) + "\n").encode("gbk"))
    xlsx = tmp_path / "figures.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(FIGURE_HEADER.split(","))
    for r in rows:
        ws.append(r)
    wb.save(xlsx)
    stated = {"f-wan": 12000.0, "f-ha": 125000.0, "f-mu": 245.98 * MU_M2}
    for figures in (gbk, xlsx):
        out = tmp_path / figures.suffix.strip(".")
        code, output = _run(
            [
                "reconcile",
                str(shp),
                "--encoding",
                "GBK",
                "--town",
                "塘厦",
                "--figures",
                str(figures),
                "--format",
                "csv",
                "--out",
                str(out),
            ]
        )
        assert code == 0, output
        got = {r["figure_id"]: r for r in _rows(out / "reconciliation_figures.csv")}
        for fid, band in _expected_bands().items():
            assert float(got[fid]["band_m2"]) == pytest.approx(band, rel=1e-9), fid
            assert float(got[fid]["stated_m2"]) == pytest.approx(stated[fid], rel=1e-12), fid
        # far larger than the parcels: they disagree (geometry band P x 10 m cannot cover ~100 000 m²)
        assert got["f-mu"]["status"] == "disagrees"


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (
            ["f1", "tangxia", "TX-2024-01", "area", "1", "亩", "", "s", "q", "", ""],
            ["row 2", "TX-2024-01", "TX-2024-001"],
        ),
        (["f1", "tangxia", "TX-2024-001", "area", "1", "亩", "", "s", "q", "f1", ""], ["row 2", "part_of", "f1"]),
        (["f1", "tangxia", "TX-2024-001", "area", "1" + "0" * 400, "亩", "", "s", "q", "", ""], ["row 2"]),
        (["f1", "tangxia", "TX-2024-001", "area", "-3", "亩", "", "s", "q", "", ""], ["row 2"]),
    ],
    ids=["subject-typo", "part-of-self", "absurd", "negative"],
)
def test_unusable_figures_exit_2_naming_the_row(shp: Path, tmp_path: Path, row: list[str], words: list[str]) -> None:
    figures = tmp_path / "f.csv"
    figures.write_text(FIGURE_HEADER + "\n" + ",".join(row) + "\n", encoding="utf-8")
    code, output = _run(["reconcile", str(shp), "--encoding", "GBK", "--town", "塘厦", "--figures", str(figures)])
    assert code == 2, output
    for w in words:
        assert w in output, (w, output)
    assert "fix" in output


def test_part_of_two_and_three_cycles_are_refused(shp: Path, tmp_path: Path) -> None:
    for n in (2, 3):
        rows = [[f"f{i}", "tangxia", IDS[i], "area", "1", "亩", "", "s", "q", f"f{(i + 1) % n}", ""] for i in range(n)]
        figures = tmp_path / f"cycle{n}.csv"
        figures.write_text(FIGURE_HEADER + "\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
        code, output = _run(["reconcile", str(shp), "--encoding", "GBK", "--town", "塘厦", "--figures", str(figures)])
        assert code == 2 and "cycle" in output, output


def test_an_unknown_town_is_refused_with_the_closest_names(shp: Path) -> None:
    code, output = _run(["reconcile", str(shp), "--encoding", "GBK", "--town", "塘夏", "--area-field", "面积亩"])
    assert code == 2 and "塘厦镇" in output, output


def test_rings_around_a_centre_give_each_parcel_its_shares(shp: Path, tmp_path: Path) -> None:
    truth = parcels_lonlat()
    centre = truth.geometry.iloc[0].centroid
    lon, lat = round(centre.x, 4), round(centre.y + 0.006, 4)  # ~660 m north of the first parcel
    out = tmp_path / "rings.csv"
    code, output = _run(
        [
            "rings",
            str(shp),
            "--encoding",
            "GBK",
            "--town",
            "塘厦",
            "--centre",
            f"{lon},{lat}",
            "--bands",
            "0.5-1,1-2,2-3",
            "--csv",
            str(out),
        ]
    )
    assert code == 0, output
    rows = {r["id"]: r for r in _rows(out)}
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m")
    fwd = Transformer.from_crs(4326, aeqd, always_xy=True)
    for pid, geom in zip(truth["地块编号"], truth.geometry, strict=True):
        # independent: densify edges to 1 m, project about the centre, intersect with true circles
        poly = shapely.transform(
            shapely.segmentize(geom, 1e-5), lambda c: __import__("numpy").column_stack(fwd.transform(c[:, 0], c[:, 1]))
        )
        for inner, outer in ((0.5, 1), (1, 2), (2, 3)):
            ring = (
                shapely.Point(0, 0)
                .buffer(outer * 1000, 4096)
                .difference(shapely.Point(0, 0).buffer(inner * 1000, 4096))
            )
            share = poly.intersection(ring).area / poly.area
            col = next(c for c in rows[pid] if c.startswith("share_ring-") and c.endswith(f"-{inner:g}-{outer:g}"))
            # band edges are exact to 0.25 m (zonemap's ring tolerance): over a crossing of at most the
            # parcel's diagonal (~420 m) that moves at most 0.25 x 420 m² of a >= 50 000 m² parcel: 2.1e-3
            assert float(rows[pid][col]) == pytest.approx(share, abs=2.1e-3), (pid, col)
        assert any(c.startswith("share_sz-") for c in rows[pid])  # the Shenzhen boundary bands come by default


def test_map_of_a_file_is_self_contained_and_coloured_by_status(shp: Path, tmp_path: Path) -> None:
    code, output = _run(
        ["map", str(shp), "--encoding", "GBK", "--town", "塘厦", "--area-field", "面积亩", "--out", str(tmp_path)]
    )
    assert code == 0, output
    page = (tmp_path / "parcels.html").read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src="https?://', page) and not re.search(r'<link[^>]+href="https?://', page)
    # --area-field alone is parcel by parcel (as reconcile): one canvas of parcels, counts per status in its data
    data = json.loads(re.search(r'<script type="application/json" id="zonemap-parcels">(.*?)</script>', page, re.S)[1])
    counts = {s["word"]: s["n"] for s in data["statuses"] if s["n"]}
    assert counts == dict(collections.Counter(expected_status().values()))
    assert "塘厦镇" in page


def test_init_then_build_writes_maps_and_reports(tmp_path: Path) -> None:
    project = tmp_path / "tangxia_project"
    code, output = _run(["init", str(project), "--town", "塘厦"])
    assert code == 0, output
    assert (project / "towns.csv").read_text(encoding="utf-8").splitlines()[1].startswith("tangxia,塘厦镇")
    code, output = _run(["validate", str(project)])
    assert code == 0, output  # the skeleton validates as written (its example row is marked as one)
    one = parcels_lonlat().iloc[[0]]
    code, output = _run(
        [
            "import",
            str(write_formats(tmp_path / "src")["geojson"]),
            "--layer",
            "parcels",
            "--town",
            "塘厦",
            "--out",
            str(project / "tangxia" / "parcels.geojson"),
        ]
    )
    assert code == 0, output
    pid = json.loads((project / "tangxia" / "parcels.geojson").read_text(encoding="utf-8"))["features"][0]
    stated_mu = one["面积亩"].iloc[0]
    with (project / "figures.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"tx-f1,tangxia,{pid['properties']['id']},area,{stated_mu:.2f},亩,,测试,{stated_mu:.2f}亩,,\n")
    out = tmp_path / "out"
    code, output = _run(["build", "--geodata", str(project), "--out", str(out)])
    assert code == 0, output
    for name in (
        "tangxia.html",
        "index.html",
        "reconciliation.html",
        "reconciliation.xlsx",
        "reconciliation_figures.csv",
    ):
        assert (out / name).stat().st_size > 0, name
    rows = {r["figure_id"]: r for r in _rows(out / "reconciliation_figures.csv")}
    # import writes RFC 7946 at 1e-8 degree (<= 1.1 mm a coordinate): the area may move by perimeter x 1.1 mm
    perimeter = GEOD.geometry_area_perimeter(one.geometry.iloc[0])[1]
    assert float(rows["tx-f1"]["measured_m2"]) == pytest.approx(one["geo_area_m2"].iloc[0], abs=perimeter * 1.1e-3)
    assert rows["tx-f1"]["status"] == "agrees"


def test_build_reads_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas

    import zonemap.io
    from zonemap.build import build
    from zonemap.config import default_config

    counts: dict[str, int] = {}
    real_read_bytes = Path.read_bytes

    def counting(self: Path) -> bytes:
        counts[str(self)] = counts.get(str(self), 0) + 1
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    real_read_file = geopandas.read_file

    def counting_read_file(path: object, *a: object, **k: object) -> gpd.GeoDataFrame:
        counts[str(path)] = counts.get(str(path), 0) + 1
        return real_read_file(path, *a, **k)

    monkeypatch.setattr(geopandas, "read_file", counting_read_file)
    monkeypatch.setattr(zonemap.io._geojson.gpd, "read_file", counting_read_file)
    build(default_config().evolve(output_dir=tmp_path))
    layer_reads = {k: v for k, v in counts.items() if k.endswith(".geojson")}
    assert layer_reads and all(v == 1 for v in layer_reads.values()), counts
    for name in ("figures.csv", "rings.json", "towns.csv", "dongguan_towns.geojson"):
        assert sum(v for k, v in counts.items() if k.endswith(name)) <= 1, (name, counts)


@pytest.mark.browser
def test_browser_paints_each_parcel_in_its_status_colour(shp: Path, tmp_path: Path, browser) -> None:
    from test_maps import _open

    from zonemap.schema import FIGURE_STATUSES

    code, output = _run(
        ["map", str(shp), "--encoding", "GBK", "--town", "塘厦", "--area-field", "面积亩", "--out", str(tmp_path)]
    )
    assert code == 0, output
    html = (tmp_path / "parcels.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="zonemap-parcels">(.*?)</script>', html, re.S)[1])
    page, problems = _open(tmp_path / "parcels.html", browser)
    page.wait_for_function("window.zonemapParcels && window.zonemapParcels.painted !== undefined")
    drawn = page.evaluate("zonemapParcels.lastDraw.parcels")
    page.close()
    assert drawn == len(expected_status())
    # each parcel is painted in its status's colour (zonemap.schema's)
    want = sorted(FIGURE_STATUSES[s].colour for s in expected_status().values())
    assert sorted(s["colour"] for s in data["statuses"] for _ in range(s["n"])) == want
    assert not problems, problems


def test_outputs_that_would_destroy_inputs_are_refused_before_any_work(tmp_path: Path) -> None:
    import shutil

    from conftest import GEODATA

    project = tmp_path / "geo"
    shutil.copytree(GEODATA, project)
    before = _digest(project)
    code, output = _run(["rings", "--geodata", str(project), "--csv", str(project / "figures.csv")])
    assert code == 2 and "figures.csv" in output and "input" in output, output
    code, output = _run(["rings", "--geodata", str(project), "--json", str(project / "towns.csv")])
    assert code == 2, output
    assert _digest(project) == before
    out = tmp_path / "maps"
    assert _run(["build", "--geodata", str(project), "--out", str(out)])[0] == 0
    (out / "index.html").chmod(0o444)
    code, output = _run(["build", "--geodata", str(project), "--out", str(out)])
    assert code == 2 and "read-only" in output and "--force" in output, output
    assert _run(["build", "--geodata", str(project), "--out", str(out), "--force"])[0] == 0
    assert not list(out.glob(".*.tmp")) and not list(project.rglob(".*.tmp"))


def test_outline_file_replaces_the_reference_outline(shp: Path, tmp_path: Path) -> None:
    truth = parcels_lonlat()
    # the planner's outline: the hull of the first three parcels grown by ~50 m; the fourth lies outside
    hull = shapely.union_all(truth.geometry.iloc[:3].values).envelope.buffer(0.0005)
    outline = tmp_path / "outline.geojson"
    gpd.GeoDataFrame({"name": ["塘厦镇"]}, geometry=[hull], crs=4326).to_file(outline, driver="GeoJSON")
    out = tmp_path / "out"
    code, output = _run(
        [
            "reconcile",
            str(shp),
            "--encoding",
            "GBK",
            "--town",
            "塘厦",
            "--layer",
            "zones",
            "--outline",
            str(outline),
            "--format",
            "csv",
            "--out",
            str(out),
        ]
    )
    assert code == 0, output
    checks = {
        r["subject"]: r for r in _rows(out / "reconciliation_checks.csv") if r["check"] == "zone_inside_town_outline"
    }
    assert set(checks) == set(IDS)
    for pid in IDS[:3]:
        assert float(checks[pid]["value"]) == pytest.approx(0.0, abs=1e-9) and checks[pid]["passed"] == "True"
    assert float(checks[IDS[3]]["value"]) == pytest.approx(100.0, abs=1e-9)
    assert checks[IDS[3]]["passed"] == "False"


def test_import_refuses_outputs_that_are_its_sidecars_or_special_files(shp: Path, tmp_path: Path) -> None:
    before = _digest(shp.parent)
    for target in (shp.with_suffix(".dbf"), shp.with_suffix(".SHX"), Path("/dev/null")):
        code, output = _run(
            ["import", str(shp), "--layer", "parcels", "--town", "塘厦", "--encoding", "GBK", "--out", str(target)]
        )
        assert code == 2 and str(target) in output and "fix" in output, output
    assert _digest(shp.parent) == before
    out = tmp_path / "parcels.geojson"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o444)
    args = ["import", str(shp), "--layer", "parcels", "--town", "塘厦", "--encoding", "GBK", "--out", str(out)]
    code, output = _run(args)
    assert code == 2 and "read-only" in output, output
    assert out.read_text(encoding="utf-8") == "old"
    assert _run([*args, "--force"])[0] == 0
    assert json.loads(out.read_text(encoding="utf-8"))["features"][0]["properties"]["id"] == IDS[0]


@pytest.mark.browser
def test_browser_map_with_a_figures_table_paints_registry_statuses(shp: Path, tmp_path: Path, browser) -> None:
    from test_maps import _open

    from zonemap.schema import FIGURE_STATUSES

    truth = parcels_lonlat()
    rows = [
        f"f{i},tangxia,{pid},area,{mu:.2f},亩,,测试,{mu:.2f}亩,,"
        for i, (pid, mu) in enumerate(zip(truth["地块编号"], truth["面积亩"], strict=True))
    ]
    figures = tmp_path / "f.csv"
    figures.write_text(FIGURE_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, output = _run(
        ["map", str(shp), "--encoding", "GBK", "--town", "塘厦", "--figures", str(figures), "--out", str(tmp_path)]
    )
    assert code == 0, output
    # registry figures keep the layer's positional accuracy (10 m by default): the 2 % error of the planted parcel
    # (area x 0.02) is smaller than what moving its edges by 10 m changes (~ perimeter x 10 m): undetermined
    wrong = truth.set_index("地块编号").loc[WRONG]
    perimeter = GEOD.geometry_area_perimeter(wrong.geometry)[1]
    assert 0.02 * wrong["geo_area_m2"] < perimeter * 10.0
    want = sorted(FIGURE_STATUSES["undetermined" if pid == WRONG else "agrees"].colour for pid in IDS)
    page, problems = _open(tmp_path / "parcels.html", browser)
    fills = page.evaluate("zonemap.layers.parcels.getLayers().map(l => l.options.fillColor)")
    page.close()
    assert sorted(fills) == want
    assert not problems, problems
