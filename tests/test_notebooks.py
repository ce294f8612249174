"""The notebooks run top to bottom (nbclient) and compute what these tests compute independently.

Each notebook ends with a code cell tagged ``result`` whose last printed line is JSON; the
values in it are checked against areas, perimeters and distances measured here with
GeographicLib (``pyproj.Geod``) and shapely straight from the data files, and against counts
read from ``figures.csv`` with the csv module. Executed notebooks are written under tmp_path;
the committed ones must carry no outputs.
"""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
import shapely
from nbclient import NotebookClient
from pyproj import Geod, Transformer

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ("01_explore_fenggang", "02_area_reconciliation", "03_shenzhen_proximity", "04_your_own_data")
GEOD = Geod(ellps="GRS80")
UNIT_M2 = {"m2": Decimal(1), "mu": Decimal(10000) / Decimal(15), "ha": Decimal(10000), "km2": Decimal(10**6)}
ABOUT_REL_TOL = 0.05  # Config default: 约 widens a figure's band by 5 % of it
CELL_TIMEOUT_S = 120


# --- independent measurements -----------------------------------------------------------------


def _features(path: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"].get("id", f["properties"].get("地块编号")): f for f in data["features"]}


def _area_perimeter(geom: shapely.Geometry) -> tuple[float, float]:
    area, perimeter = GEOD.geometry_area_perimeter(geom)
    return abs(area), perimeter


def _geodata_polygon(geodata_dir: Path, town: str, fid: str) -> tuple[shapely.Geometry, dict[str, Any]]:
    for layer in ("zones", "parcels"):
        feats = _features(geodata_dir / town / f"{layer}.geojson")
        if fid in feats:
            return shapely.geometry.shape(feats[fid]["geometry"]), feats[fid]["properties"]
    raise KeyError(fid)


def _figure_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _stated_m2(row: dict[str, str]) -> tuple[float, float]:
    """Stated area and its precision band (half a unit of the last digit, 约 adds 5 %), m²."""
    value, unit = Decimal(row["value"]), UNIT_M2[row["unit"]]
    digits = -value.as_tuple().exponent if isinstance(value.as_tuple().exponent, int) else 0
    stated = float(value * unit)
    band = float(Decimal(5) * Decimal(10) ** (-digits - 1) * unit)
    return stated, band + (ABOUT_REL_TOL * stated if row["qualifier"] == "约" else 0.0)


def _local_tm(lon0: float, lat0: float) -> Transformer:
    return Transformer.from_crs(
        "EPSG:4326", f"+proj=tmerc +lon_0={lon0} +lat_0={lat0} +ellps=GRS80 +units=m", always_xy=True
    )


def _project(geom: shapely.Geometry, tr: Transformer) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _expected_status(geom: shapely.Geometry, accuracy_m: float, stated: float, band: float) -> str:
    """The status by the rule, computed here: the polygon shrunk and grown by its accuracy in an azimuthal
    equidistant projection about its centre (true distances from there), measured with GeographicLib."""
    c = geom.centroid
    fwd = Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lon_0={c.x} +lat_0={c.y} +ellps=GRS80 +units=m", always_xy=True
    )
    back = Transformer.from_crs(fwd.target_crs, "EPSG:4326", always_xy=True)
    metric = _project(shapely.segmentize(geom, 1e-4), fwd)
    area = _area_perimeter(geom)[0]
    grown = _area_perimeter(_project(metric.buffer(accuracy_m, quad_segs=64), back))[0]
    shrunk_geom = metric.buffer(-accuracy_m, quad_segs=64)
    shrunk = 0.0 if shrunk_geom.is_empty else _area_perimeter(_project(shrunk_geom, back))[0]
    if stated - band <= area <= stated + band:
        return "agrees"
    if grown < stated - band or shrunk > stated + band:
        return "disagrees"
    return "undetermined"


# --- running a notebook -----------------------------------------------------------------------


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A python3 kernelspec on this interpreter (the venv's ipykernel); Agg; state under tmp_path."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (test)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _snapshot() -> set[Path]:
    return {p for p in NOTEBOOKS.rglob("*") if ".ipynb_checkpoints" not in p.parts}


def _outputs_text(cell: Any) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            texts.append(out["text"])
        elif "data" in out:
            texts.extend(str(v) for k, v in out["data"].items() if k.startswith("text/"))
    return texts


def _execute(name: str, tmp_path: Path) -> dict[str, Any]:
    """Run a notebook with cwd = notebooks/; return the JSON of its ``result`` cell."""
    before = _snapshot()
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()  # raises if a cell raises
    nbformat.write(nb, tmp_path / f"{name}.ipynb")
    assert _snapshot() == before, "a notebook wrote into the repository"
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        if "display(fig)" in cell.source:  # every figure was produced (Agg: its text repr; inline: a PNG)
            data = [o.get("data", {}) for o in cell.outputs]
            assert any("image/png" in d or "<Figure" in d.get("text/plain", "") for d in data), cell.source
    results = [c for c in code if "result" in c.metadata.get("tags", [])]
    assert len(results) == 1
    lines = "".join(_outputs_text(results[0])).strip().splitlines()
    return json.loads(lines[-1])


# --- the committed notebooks ------------------------------------------------------------------


@pytest.mark.notebook
@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_has_no_outputs_and_states_question_and_answer(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: strip outputs before committing"
    assert nb.cells[0].cell_type == "markdown" and "**Question:**" in nb.cells[0].source
    assert nb.cells[-2].cell_type == "markdown" and nb.cells[-2].source.startswith("## Answer")
    assert nb.cells[-1].cell_type == "code" and nb.cells[-1].metadata.get("tags") == ["result"]


# --- executed ---------------------------------------------------------------------------------


@pytest.mark.notebook
@pytest.mark.slow
def test_01_explore(tmp_path: Path, kernel_env: None, geodata_dir: Path) -> None:
    result = _execute("01_explore_fenggang", tmp_path)
    rows = [r for r in _figure_rows(geodata_dir / "figures.csv") if r["town"] == "fenggang"]
    assert result["n_figures"] == len(rows)
    assert result["n_area_figures"] == sum(r["unit"] in UNIT_M2 for r in rows)
    for layer in ("zones", "parcels", "places", "lines"):
        assert result["n_features"][layer] == len(_features(geodata_dir / "fenggang" / f"{layer}.geojson"))
    east, _ = _geodata_polygon(geodata_dir, "fenggang", "fg-zone-east")
    assert result["east_zone_area_m2"] == pytest.approx(_area_perimeter(east)[0], rel=1e-6)


@pytest.mark.notebook
@pytest.mark.slow
def test_02_reconciliation(tmp_path: Path, kernel_env: None, geodata_dir: Path) -> None:
    result = _execute("02_area_reconciliation", tmp_path)
    rows = {r["figure_id"]: r for r in _figure_rows(geodata_dir / "figures.csv") if r["town"] == "fenggang"}
    assert sum(result["statuses"].values()) == sum(r["unit"] in UNIT_M2 for r in rows.values())

    east, _ = _geodata_polygon(geodata_dir, "fenggang", "fg-zone-east")
    area, perimeter = _area_perimeter(east)
    stated, _ = _stated_m2(rows["fg-fig-east-area"])
    assert result["east_measured_m2"] == pytest.approx(area, rel=1e-6)
    assert result["east_implied_offset_m"] == pytest.approx((area - stated) / perimeter, rel=1e-6)

    # the explained figure: its offset and status, by hand
    row = rows[result["explained_figure"]]
    geom, props = _geodata_polygon(geodata_dir, "fenggang", row["subject"])
    area, perimeter = _area_perimeter(geom)
    stated, band = _stated_m2(row)
    d = area - stated
    assert result["explained_implied_offset_m"] == pytest.approx(d / perimeter, rel=1e-6)
    assert result["explained_status"] == _expected_status(geom, props["accuracy_m"], stated, band)


@pytest.mark.notebook
@pytest.mark.slow
def test_03_proximity(tmp_path: Path, kernel_env: None, geodata_dir: Path) -> None:
    result = _execute("03_shenzhen_proximity", tmp_path)
    zones = _features(geodata_dir / "fenggang" / "zones.geojson")
    parcels = _features(geodata_dir / "fenggang" / "parcels.geojson")
    assert result["n_rows"] == len(zones) + len(parcels)

    sz = _features(geodata_dir / "shenzhen" / "shenzhen.geojson")["sz-city"]
    tr = _local_tm(114.15, 22.7)
    city = _project(shapely.geometry.shape(sz["geometry"]), tr)
    for zid, feat in zones.items():
        zone = _project(shapely.geometry.shape(feat["geometry"]), tr)
        expected = 0.0 if zone.intersects(city) else zone.distance(city)
        assert result["sz_distance_m"][zid] == pytest.approx(expected, rel=5e-3, abs=2.0), zid

    south = shapely.geometry.shape(zones["fg-zone-south"]["geometry"])
    area = _area_perimeter(south)[0]
    assert result["south_zone_area_m2"] == pytest.approx(area, rel=1e-6)
    # area of the south zone within 1 km of Shenzhen (on the Dongguan side), planar in the local TM
    band = city.buffer(1000.0, quad_segs=64).difference(city)
    expected_band = _project(south, tr).intersection(band).area
    assert expected_band > 0.1 * area
    assert result["south_zone_band_area_m2"]["sz-0-1"] == pytest.approx(expected_band, rel=0.01)


@pytest.mark.notebook
@pytest.mark.slow
def test_04_your_own_data(tmp_path: Path, kernel_env: None) -> None:
    result = _execute("04_your_own_data", tmp_path)
    feats = _features(NOTEBOOKS / "data" / "example_parcels.geojson")
    rows = {r["figure_id"]: r for r in _figure_rows(NOTEBOOKS / "data" / "example_figures.csv")}
    to_lonlat = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)

    def measured(fid: str) -> tuple[float, float]:
        return _area_perimeter(_project(shapely.geometry.shape(feats[fid]["geometry"]), to_lonlat))

    # EX-01 is a 300 m x 200 m rectangle on the Gauss-Krueger grid: 60000 m² = 90 mu, grid scale ~1 + 3e-6
    area, _ = measured("EX-01")
    assert area == pytest.approx(60000.0, rel=1e-4)
    assert result["measured_m2"]["ex-fig-01-area"] == pytest.approx(area, rel=1e-6)
    assert result["statuses"]["ex-fig-01-area"] == "agrees"
    assert result["statuses"]["ex-fig-01-new-land"] == "part_within_whole"

    for fid, figure_id in (("EX-02", "ex-fig-02-area"), ("EX-03", "ex-fig-03-area")):
        area, perimeter = measured(fid)
        stated, band = _stated_m2(rows[figure_id])
        geom = _project(shapely.geometry.shape(feats[fid]["geometry"]), to_lonlat)
        expected = _expected_status(geom, feats[fid]["properties"]["accuracy_m"], stated, band)
        assert result["statuses"][figure_id] == expected
        assert result["measured_m2"][figure_id] == pytest.approx(area, rel=1e-6)
    assert result["statuses"]["ex-fig-02-area"] == "disagrees"  # by hand: 54 mu drawn, 58.6 mu stated, 1 m edges
    assert result["statuses"]["ex-fig-03-area"] == "undetermined"  # 45 mu drawn, 45.5 stated: 333 m² < 33 + 800

    area, perimeter = measured("EX-02")
    assert result["explained_figure"] == "ex-fig-02-area"
    assert result["explained_implied_offset_m"] == pytest.approx((area - 58.6 * 10000 / 15) / perimeter, rel=1e-6)
