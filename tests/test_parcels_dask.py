"""--engine dask: a partitioned GeoParquet dataset gives the single-machine results (issue 10 point 7).

The layer is made here: parcels whose TBMJ is the geodesic area (pyproj.Geod, GeographicLib) rounded to
0.01 m², except the last two of eight partitions, whose TBMJ is the Gauss–Krüger plane area (pyproj to
EPSG:4526, the shoelace written out in test_parcels): those partitions' own dominant method differs from the layer's, so
the engine must reconcile them again against the layer's method, as one machine does.
"""

from __future__ import annotations

import json
from pathlib import Path

import dask_geopandas  # the dask extra (in the test extra)
import geopandas as gpd
import pytest
from click.testing import CliRunner
from pyproj import Geod
from test_parcels import _polygons, gk_shoelace  # the planted parcels and their GK plane area

from zonemap.cli import main
from zonemap.errors import DataFileError, MissingFileError
from zonemap.parcels import dataset_parts, run_parcels

GEOD = Geod(ellps="GRS80")
N, PARTS = 400, 8


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dask")
    geoms = _polygons(N, seed=11)
    per = N // PARTS
    tbmj = [
        round(gk_shoelace(g) if i >= (PARTS - 2) * per else abs(GEOD.geometry_area_perimeter(g)[0]), 2)
        for i, g in enumerate(geoms)
    ]
    tbmj[5] = round(tbmj[5] * 1.02, 2)  # one planted error
    gdf = gpd.GeoDataFrame({"BSM": [f"BSM{i:05d}" for i in range(N)], "TBMJ": tbmj}, geometry=geoms, crs="EPSG:4490")
    whole = root / "whole.parquet"
    gdf.to_parquet(whole)
    parts = root / "parts"
    dask_geopandas.from_geopandas(gdf, npartitions=PARTS, sort=False).to_parquet(parts)
    return whole, parts


def test_dataset_parts_lists_the_partition_files_in_order(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    _, parts = dataset
    files = dataset_parts(parts)
    assert [f.name for f in files] == [f"part.{i}.parquet" for i in range(PARTS)]
    with pytest.raises(MissingFileError):
        dataset_parts(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError, match=r"without \.parquet"):
        dataset_parts(tmp_path / "empty")


@pytest.mark.slow
def test_dask_engine_equals_one_machine(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    whole, parts = dataset
    local = run_parcels(whole, tmp_path / "local", formats=("csv",), area_field="TBMJ", area_decimals=2)
    out = tmp_path / "dask"
    res = CliRunner().invoke(
        main,
        [
            "reconcile", str(parts), "--area-field", "TBMJ", "--area-decimals", "2", "--engine", "dask",
            "--workers", "2", "--worker-memory", "1GiB", "--format", "csv,parquet,json", "--out", str(out),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    dask_csv = (out / "parts_parcels.csv").read_bytes()
    assert dask_csv == (tmp_path / "local" / "parcels.csv").read_bytes()  # same rows, areas, statuses, methods
    summary = json.loads((out / "parts_parcels_summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == local.counts
    assert summary["reference_method"] == local.reference
    assert summary["partitions"] == PARTS
    # the last two partitions were made on the GK plane: against the layer's method they disagree, as on one machine
    per = N // PARTS
    assert local.counts["disagrees"] == 2 * per + 1
    table = gpd.read_parquet(out / "parts_parcels.parquet")
    assert len(table) == N and list(table["id"]) == [f"BSM{i:05d}" for i in range(N)]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no scratch left
