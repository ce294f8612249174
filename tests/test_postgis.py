"""PostGIS as a source and a sink (issue 10 point 8), against a real PostgreSQL + PostGIS server.

The server is the one ``ZONEMAP_TEST_PG`` names (``.ci/postgis.sh start`` prints it), else one this
module starts with ``.ci/postgis.sh`` on a unix socket in a temp directory and stops at the end.
The planted layer is written to a GeoPackage by geopandas (GDAL) and loaded into PostGIS by psycopg
as hex EWKB, in EPSG:4526 (CGCS2000 GK zone 38) and EPSG:4490 (CGCS2000 lon/lat); both reads must
give the same ids, attributes and geometries.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg  # the postgis extra (in the test extra)
import pytest
import shapely
from psycopg import sql
from pyproj import CRS, Geod, Transformer

from zonemap.errors import DataFileError
from zonemap.ingest._postgis import read_postgis_table
from zonemap.ingest._postgis_sink import postgis_area_peer, write_postgis
from zonemap.ingest._raw import ReadOptions
from zonemap.ingest._read import read_raw

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "postgis.sh"
N = 24


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A libpq DSN of a database with PostGIS: ZONEMAP_TEST_PG, else a server started here."""
    if os.environ.get("ZONEMAP_TEST_PG"):
        yield os.environ["ZONEMAP_TEST_PG"]
        return
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.fail(
            "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin "
            "(fix: apt-get install -y -q postgresql postgis, or set ZONEMAP_TEST_PG to a database with PostGIS)"
        )
    done = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.fail(f".ci/postgis.sh start failed: {done.stderr.strip()}")
    env = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines())
    try:
        yield env["ZONEMAP_TEST_PG"].strip("'")
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", env["ZONEMAP_TEST_PGDIR"].strip("'")], check=False)


def planted_parcels() -> gpd.GeoDataFrame:
    """Irregular parcels in Dongguan in EPSG:4526 with text ids (leading zeros), 三调 fields, nulls, Chinese text."""
    rng = np.random.default_rng(10)
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4526", always_xy=True)
    cx, cy = to_gk.transform(rng.uniform(113.6, 114.2, N), rng.uniform(22.8, 23.1, N))
    angles = np.sort(rng.uniform(0, 2 * np.pi, (N, 9)), axis=1)
    radii = rng.uniform(30, 400, (N, 9))
    ring = np.stack([cx[:, None] + radii * np.cos(angles), cy[:, None] + radii * np.sin(angles)], axis=-1)
    polys = shapely.polygons(ring)
    kcxs = rng.choice([0.0, 0.05, 0.1], N)
    return gpd.GeoDataFrame(
        {
            "BSM": [f"{i:06d}" for i in range(N)],
            "DLMC": rng.choice(["水田", "工业用地", "村庄", "Road 'A' \"b\""], N),
            "TBMJ": np.round(shapely.area(polys), 2),
            "KCXS": kcxs,
            "FLOORS": pd.array([None if i % 5 == 0 else i for i in range(N)], dtype="Int64"),
            "SURVEYED": [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 900, N)],
        },
        geometry=polys,
        crs="EPSG:4526",
    )


def load(conn: psycopg.Connection, name: str, frame: gpd.GeoDataFrame, srid: int) -> None:
    """Load ``frame`` into ``zmtest.<name>`` by psycopg: TBMJ numeric(18,2), geometry(Polygon, srid), a primary key."""
    name = f"zmtest.{name}"
    conn.execute("CREATE SCHEMA IF NOT EXISTS zmtest")
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(*name.split("."))))
    conn.execute(
        sql.SQL(
            "CREATE TABLE {} (gid serial PRIMARY KEY, bsm_pk_order int, BSM text, DLMC varchar(20), "
            "TBMJ numeric(18,2), KCXS double precision, FLOORS integer, SURVEYED date, geom geometry(Polygon, {}))"
        ).format(sql.Identifier(*name.split(".")), sql.Literal(srid))
    )
    ewkb = shapely.to_wkb(shapely.set_srid(frame.geometry.array, srid), hex=True, include_srid=True)
    # rows inserted in reverse: the reader must return them in primary-key order, not physical order
    order = np.arange(len(frame))[::-1]
    with conn.cursor() as cur:
        for i in order:
            row = frame.iloc[i]
            floors = None if pd.isna(row["FLOORS"]) else int(row["FLOORS"])
            values = [int(i) + 1, int(i), row["BSM"], row["DLMC"], f"{row['TBMJ']:.2f}", float(row["KCXS"]), floors]
            cur.execute(
                sql.SQL(
                    "INSERT INTO {} (gid, bsm_pk_order, BSM, DLMC, TBMJ, KCXS, FLOORS, SURVEYED, geom) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::geometry)"
                ).format(sql.Identifier(*name.split("."))),
                [*values, row["SURVEYED"], ewkb[i]],
            )
    conn.commit()


@pytest.fixture(scope="module")
def layer(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The planted layer as a GeoPackage and as PostGIS tables in SRID 4526 and 4490."""
    frame = planted_parcels()
    gpkg = tmp_path_factory.mktemp("pg") / "parcels.gpkg"
    frame.to_file(gpkg, driver="GPKG")
    lonlat = frame.to_crs("EPSG:4490")
    with psycopg.connect(pg_dsn) as conn:
        load(conn, "parcels_4526", frame, 4526)
        load(conn, "parcels_4490", lonlat, 4490)
    return {"frame": frame, "lonlat": lonlat, "gpkg": gpkg}


ATTRS = ["BSM", "DLMC", "TBMJ", "KCXS", "FLOORS"]


def test_gdal_form_reads_what_the_geopackage_holds(pg_dsn: str, layer: dict[str, object]) -> None:
    _, gp = read_raw(Path(str(layer["gpkg"])), ReadOptions())
    fmt, pg = read_raw(f'PG:"{pg_dsn} tables=zmtest.parcels_4526"', ReadOptions())
    assert fmt == "PostGIS"
    assert pg.crs == CRS.from_epsg(4526) and pg.crs_source == "declared"
    assert pg.labels == gp.labels == [f"feature #{i}" for i in range(N)]
    # primary-key order although the rows were inserted in reverse
    assert pg.attrs["bsm_pk_order"].tolist() == list(range(N))
    pga = pg.attrs.rename(columns=str.upper)
    for col in ATTRS:
        assert pga[col].tolist() == gp.attrs[col].tolist() or np.allclose(
            pga[col].astype(float), gp.attrs[col].astype(float), equal_nan=True, rtol=0, atol=0
        ), col
    assert pga["FLOORS"].isna().sum() == (N + 4) // 5
    assert [d.date() for d in pd.to_datetime(pga["SURVEYED"])] == list(layer["frame"]["SURVEYED"])  # type: ignore[index]
    # numeric(18,2): two declared decimals, as a Shapefile's N(18,2)
    assert pg.field_decimals == {"tbmj": 2}
    # WKB both ways: the coordinates are the same doubles
    assert np.array_equal(shapely.get_coordinates(pg.geoms), shapely.get_coordinates(gp.geoms))


def test_url_form_with_table_reads_the_lonlat_copy(pg_dsn: str, layer: dict[str, object]) -> None:
    kw = dict(part.split("=", 1) for part in pg_dsn.split())
    url = f"postgresql:///{kw['dbname']}?host={kw['host']}&user={kw['user']}"
    _, pg = read_raw(url, ReadOptions(table="zmtest.parcels_4490"))
    assert pg.crs == CRS.from_epsg(4490)
    # the planted GK coordinates taken to lon/lat independently (pyproj here, PROJ in geopandas.to_crs)
    to_ll = Transformer.from_crs("EPSG:4526", "EPSG:4490", always_xy=True)
    x, y = shapely.get_coordinates(layer["frame"].geometry).T  # type: ignore[attr-defined]
    lon, lat = to_ll.transform(x, y)
    assert np.abs(shapely.get_coordinates(pg.geoms) - np.column_stack([lon, lat])).max() < 1e-9
    assert pg.attrs["bsm"].tolist() == [f"{i:06d}" for i in range(N)]


def test_the_only_geometry_table_and_layer_name(pg_dsn: str, layer: dict[str, object]) -> None:
    # two tables with geometry in the schema: no choice -> refused, naming both
    with pytest.raises(DataFileError, match=r"2 tables with geometry \(zmtest.parcels_4490, zmtest.parcels_4526\)"):
        read_raw(f"PG:{pg_dsn} schemas=zmtest", ReadOptions())
    _, raw = read_raw(f"PG:{pg_dsn}", ReadOptions(layer_name="zmtest.parcels_4490"))
    assert raw.crs == CRS.from_epsg(4490)
    # an unqualified name is looked up in schemas= (not on the search path, which holds public only)
    _, raw = read_raw(f"PG:{pg_dsn} schemas=zmtest tables=parcels_4526", ReadOptions())
    assert raw.crs == CRS.from_epsg(4526)
    with pytest.raises(DataFileError, match=r"no table 'parcels_4526'"):
        read_raw(f"PG:{pg_dsn} tables=parcels_4526", ReadOptions())
    with pytest.raises(DataFileError, match="names 2 tables"):
        read_raw(f"PG:{pg_dsn} tables=zmtest.parcels_4490,zmtest.parcels_4526", ReadOptions())


def test_bad_sources_say_what_and_how(pg_dsn: str, layer: dict[str, object], tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as caught:
        read_raw(f"PG:host={tmp_path} dbname=zm user=u password=s3cret tables=t", ReadOptions())
    text = str(caught.value)
    assert "cannot connect" in text and "password=***" in text and "s3cret" not in text and "fix:" in text
    with pytest.raises(DataFileError) as caught:
        read_raw(f"postgresql://u:s3cret@{tmp_path.name}.invalid/zm", ReadOptions(table="t"))
    assert "u:***@" in str(caught.value) and "s3cret" not in str(caught.value)
    with pytest.raises(DataFileError, match=r"no table 'nosuch' \(fix: --table one of .*zmtest.parcels_4526"):
        read_raw(f"PG:{pg_dsn}", ReadOptions(table="nosuch"))
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS plain, two")
        conn.execute("CREATE TABLE plain (a int)")
        conn.execute("CREATE TABLE two (a int, geom_a geometry(Point, 4490), geom_b geometry(Point, 4490))")
        conn.execute("INSERT INTO two VALUES (1, 'SRID=4490;POINT(113.7 23)', 'SRID=4490;POINT(113.8 23.1)')")
    try:
        with pytest.raises(DataFileError, match=r"table public\.plain has no geometry column"):
            read_raw(f"PG:{pg_dsn} tables=plain", ReadOptions())
        with pytest.raises(DataFileError, match=r"2 geometry columns \(geom_a, geom_b\) \(fix: choose one as"):
            read_raw(f"PG:{pg_dsn} tables=two", ReadOptions())
        _, raw = read_raw(f"PG:{pg_dsn} tables=public.two(geom_b)", ReadOptions())
        assert shapely.get_coordinates(raw.geoms).tolist() == [[113.8, 23.1]]
        assert list(raw.attrs.columns) == ["a"]
    finally:
        with psycopg.connect(pg_dsn) as conn:
            conn.execute("DROP TABLE plain, two")


def results_frame(layer: dict[str, object]) -> gpd.GeoDataFrame:
    lonlat = layer["lonlat"]
    assert isinstance(lonlat, gpd.GeoDataFrame)
    geod = Geod(ellps="GRS80")
    area = np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in lonlat.geometry])
    stated = lonlat["TBMJ"].to_numpy(dtype=float, copy=True)
    stated[3] = np.nan
    return gpd.GeoDataFrame(
        {
            "id": lonlat["BSM"].to_list(),
            "stated_m2": stated,
            "area_m2": area,
            "diff_m2": stated - area,
            "status": ["agrees" if i % 3 else "disagrees" for i in range(N)],
            "method": ["gk_plane;DROP TABLE x; --", *["geodesic"] * (N - 1)],
            "n_vertices": shapely.get_num_coordinates(lonlat.geometry.array),
            "checked": [True, False] * (N // 2),
        },
        geometry=lonlat.geometry.to_list(),
        crs="EPSG:4490",
    )


def test_write_postgis_round_trip(pg_dsn: str, layer: dict[str, object]) -> None:
    frame = results_frame(layer)
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS results")
    assert write_postgis(frame, pg_dsn, "public.results") == N
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute(
            "SELECT id, stated_m2, diff_m2, status, method, n_vertices, checked FROM results"
        ).fetchall()
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'results'"
            ).fetchall()
        )
        srid = conn.execute("SELECT Find_SRID('public', 'results', 'geometry')").fetchone()
        left = conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'results__zonemap_%'").fetchone()
    assert srid == (4490,) and left == (0,)
    assert types["stated_m2"] == "double precision" and types["n_vertices"] == "bigint"
    assert types["checked"] == "boolean" and types["id"] == "text"
    assert [r[0] for r in rows] == frame["id"].tolist()
    assert rows[3][1] is None and rows[3][2] is None  # NaN -> NULL
    assert [r[1] for r in rows if r[1] is not None] == [v for v in frame["stated_m2"] if not np.isnan(v)]
    assert rows[0][4] == "gk_plane;DROP TABLE x; --"  # data stays data
    assert [r[5] for r in rows] == frame["n_vertices"].tolist() and [r[6] for r in rows] == frame["checked"].tolist()
    _, back = read_raw(f"PG:{pg_dsn} tables=results", ReadOptions())
    assert np.array_equal(shapely.get_coordinates(back.geoms), shapely.get_coordinates(frame.geometry))


def test_write_postgis_refuses_an_existing_table_unless_replace(pg_dsn: str, layer: dict[str, object]) -> None:
    frame = results_frame(layer)
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS kept")
    write_postgis(frame.iloc[:5], pg_dsn, "kept")
    with pytest.raises(DataFileError, match="table kept exists"):
        write_postgis(frame, pg_dsn, "kept")
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (5,)
    write_postgis(pd.DataFrame(frame.drop(columns="geometry")), pg_dsn, "kept", replace=True)
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (N,)
        cols = [
            r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name='kept'")
        ]
        conn.execute("DROP TABLE kept")
    assert "geometry" not in cols


def test_area_peer_is_geographiclib_on_the_ellipsoid(pg_dsn: str, layer: dict[str, object]) -> None:
    lonlat = layer["lonlat"]
    assert isinstance(lonlat, gpd.GeoDataFrame)
    geod = Geod(ellps="GRS80")  # CGCS2000's a and f are GRS80's; pyproj.Geod is GeographicLib's C code
    expected = np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in lonlat.geometry])
    by_pk = np.argsort(np.arange(N)[::-1])  # rows were inserted in reverse: ctid order is the reverse of pk
    for table in ("zmtest.parcels_4490", "zmtest.parcels_4526"):
        areas, seconds = postgis_area_peer(pg_dsn, table)
        assert seconds > 0
        assert np.abs(areas[by_pk] / expected - 1).max() < 1e-8, table


def test_arrow_table_for_the_parcel_reader(pg_dsn: str, layer: dict[str, object]) -> None:
    """read_postgis_table: the columns asked for and WKB geometry, as pyogrio.read_arrow gives the GeoPackage's."""
    import pyogrio

    _, gp = pyogrio.read_arrow(layer["gpkg"], columns=["BSM", "TBMJ"])
    table, crs, shown = read_postgis_table(
        f"PG:{pg_dsn} password=hidden", ReadOptions(table="zmtest.parcels_4526"), ["bsm", "tbmj"]
    )
    assert table.column_names == ["geometry", "bsm", "tbmj"] and crs == CRS.from_epsg(4526)
    assert shown.endswith(":zmtest.parcels_4526") and "hidden" not in shown
    assert table.column("bsm").to_pylist() == gp.column("BSM").to_pylist()
    assert table.column("tbmj").to_pylist() == gp.column("TBMJ").to_pylist()
    ours = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    theirs = shapely.from_wkb(gp.column(gp.column_names[-1]).to_numpy(zero_copy_only=False))
    assert np.array_equal(shapely.get_coordinates(ours), shapely.get_coordinates(theirs))


def test_a_table_the_user_may_not_read(pg_dsn: str, layer: dict[str, object]) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS zm_reader")
        conn.execute("CREATE ROLE zm_reader LOGIN")
        conn.execute("GRANT USAGE ON SCHEMA zmtest TO zm_reader")
    try:
        with pytest.raises(DataFileError, match=r"zmtest\.parcels_4490: this user may not read it \(fix: GRANT SELECT"):
            read_raw(f"PG:{pg_dsn} user=zm_reader", ReadOptions(table="zmtest.parcels_4490"))
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("REVOKE USAGE ON SCHEMA zmtest FROM zm_reader")
            conn.execute("DROP ROLE zm_reader")


def test_reconcile_parcel_by_parcel_from_postgis_equals_the_geopackage(
    pg_dsn: str, layer: dict[str, object], tmp_path: Path
) -> None:
    """zonemap reconcile 'PG:... tables=...' --area-field TBMJ: the same per-parcel rows as the GeoPackage; --out-db."""
    import csv
    import io

    from click.testing import CliRunner

    from zonemap.cli import main

    def run(*args: str) -> str:
        res = CliRunner().invoke(main, ["reconcile", *args, "--area-field", "TBMJ", "--format", "csv,json"])
        assert res.exit_code == 0, res.output
        return res.output

    run(str(layer["gpkg"]), "--area-decimals", "2", "--out", str(tmp_path / "gpkg"))
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS zmtest.results")
    out = run(f"PG:{pg_dsn} tables=zmtest.parcels_4526", "--out", str(tmp_path / "pg"), "--out-db", "zmtest.results")
    assert f"wrote {N:,} rows to table zmtest.results" in out

    def rows(path: Path) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))

    from_gpkg = rows(tmp_path / "gpkg" / "parcels_parcels.csv")
    from_pg = rows(tmp_path / "pg" / "parcels_4526_parcels.csv")  # named after the table
    assert [r["id"] for r in from_pg] == [f"{i:06d}" for i in range(N)]  # text ids with leading zeros kept
    assert from_pg == from_gpkg
    # TBMJ is numeric(18,2): its scale is the precision, half a cent of m²
    assert {r["precision_m2"] for r in from_pg} == {"0.005"}
    with psycopg.connect(pg_dsn) as conn:
        back = conn.execute("SELECT id, status, area_m2 FROM zmtest.results ORDER BY id").fetchall()
    assert [(b[0], b[1]) for b in back] == [(r["id"], r["status"]) for r in from_pg]
    assert [b[2] for b in back] == pytest.approx([float(r["area_m2"]) for r in from_pg], rel=1e-12)
    res = CliRunner().invoke(
        main,
        [
            *("reconcile", f"PG:{pg_dsn} tables=zmtest.parcels_4526", "--area-field", "TBMJ"),
            *("--out-db", "zmtest.results", "--out", str(tmp_path / "again")),
        ],
    )
    assert res.exit_code == 2 and "zmtest.results" in res.output  # an existing table is never replaced


def test_postgis_table_sliced_into_batches_gives_the_same_rows(
    pg_dsn: str, layer: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostGIS table is fetched whole, then sliced into batches whose kernels run side by side: same table."""
    import zonemap.parcels._batches as batches
    from zonemap.parcels import read_parcels, reconcile_parcels

    whole = reconcile_parcels(read_parcels(str(layer["gpkg"]), area_field="TBMJ", area_decimals=2)).table
    monkeypatch.setattr(batches, "BATCH_ROWS", 7)
    sliced = read_parcels(f"PG:{pg_dsn} tables=zmtest.parcels_4526", area_field="TBMJ", keep_rings=False)
    assert sliced.areas is not None and sliced.wkb is not None and sliced.wkb.num_chunks >= N // 7
    table = reconcile_parcels(sliced).table
    assert table["id"].tolist() == whole["id"].tolist()
    assert table["status"].tolist() == whole["status"].tolist()
    np.testing.assert_allclose(table["area_m2"].to_numpy(), whole["area_m2"].to_numpy(), rtol=1e-12)
