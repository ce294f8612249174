"""Benchmark: ``zonemap reconcile FILE --area-field TBMJ`` end to end against DuckDB spatial and geopandas.

Synthetic parcel layer (issue 10 point 6): N star-shaped parcels (~33 coordinates each, 0.1–10 ha log-uniform)
scattered over Dongguan (113.6–114.3°E, 22.6–23.1°N, all in 3-degree Gauss–Krüger zone 38), CGCS2000 lon/lat
(EPSG:4490), ids ``DK000001``..., and a stated area ``TBMJ`` = the Gauss–Krüger plane area in EPSG:4526 rounded to
0.01 m², as 三调 layers state it; 1 % of the parcels carry a planted error of 1–3 %. The layer is written once per
(N, seed) to a GeoPackage and a GeoParquet file under ``--work`` (default /tmp/zonemap-bench), never in the repo.

Each contender runs as a fresh process on the same files in the same run (best of ``--repeat`` wall times; peak
RSS of that process from ``os.wait4``; Linux carries the parent's high-water mark over fork and exec, so it is never
below this benchmark's own, ~200 MiB):

* zonemap: ``zonemap reconcile FILE --area-field TBMJ --out DIR`` plus ``--zonemap-args`` (default
  ``--area-decimals 2 --format csv``: the per-feature CSV), from the committed tree at ``--ref`` (default HEAD,
  exported under ``--work``, so others' uncommitted edits are not measured) or the installed command;
* DuckDB spatial: ``SELECT id, ST_Area_Spheroid(ST_FlipCoordinates(geom))`` over ``ST_Read`` (GeoPackage) or
  ``read_parquet`` (GeoParquet), copied to a CSV. ``ST_Area_Spheroid`` takes lat/lon order: on lon/lat input it
  returns NaN, hence the flip. The extension is the one the ``duckdb-extension-spatial`` wheel ships, loaded by
  path with autoinstall off (no network);
* geopandas: ``read_file(...)`` (``read_parquet`` for GeoParquet: the pyogrio wheels have no Parquet driver)
  ``.to_crs("EPSG:4547").area`` written to a CSV.

Input kind ``postgis`` (issue 10 point 8; in the default ``--inputs`` when ``initdb`` and the postgis extension are
found under /usr/lib/postgresql/*/bin and /usr/share/postgresql/*/extension, else reported as skipped): a throwaway
PostgreSQL + PostGIS server on a unix socket in a temp directory (started and stopped by ``.ci/postgis.sh``, as the
PostGIS tests do; stopped at the end whatever happens), the layer loaded once per N into ``public.parcels_N`` with
zonemap's ``write_postgis`` (``COPY``; then a primary key on ``id`` and ``ANALYZE``), timed apart from every
contender. Its contenders, in the same round-robin:

* zonemap: ``zonemap reconcile "PG:host=DIR dbname=zonemap user=postgres tables=public.parcels_N" --area-field
  TBMJ --out DIR`` plus ``--zonemap-args``, end to end as a fresh process (the server's work of sending the rows
  counts in its wall time, not in its peak RSS);
* PostGIS: ``COPY (SELECT id, ST_Area(geom::geography) AS area_m2 FROM parcels_N) TO STDOUT (FORMAT csv, HEADER)``
  by ``psql`` (fresh process, output to a file): the area on the spheroid, which PostGIS computes with
  GeographicLib.

The DuckDB and geopandas columns of a PostGIS row are the GeoParquet row's of the same N when it was run.

Checks in the same run: DuckDB's (and, for PostGIS, ST_Area(geography)'s) areas against zonemap's geodesic areas
(largest relative difference), zonemap's count of disagreeing parcels against the planted count, and for PostGIS
whether zonemap gave the same statuses as from the GeoParquet file. Prints Markdown tables with the ratios
(peer ÷ zonemap wall time, peak RSS ÷ input file size), the PostGIS rows in a second table.

Run: ``python benchmarks/bench_reconcile.py --n 100000 1000000 --repeat 3``
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

GENERATOR_VERSION = 3
LON_RANGE = (113.6, 114.3)
LAT_RANGE = (22.6, 23.1)
GK_CRS = "EPSG:4526"  # CGCS2000 / 3-degree Gauss-Kruger zone 38 (CM 114°E, false easting 38,500 km)
PLANTED_SHARE = 0.01
REPO = Path(__file__).resolve().parents[1]
PG_SCRIPT = REPO / ".ci" / "postgis.sh"  # starts/stops the throwaway server of the PostGIS tests
PG_SQL = "COPY (SELECT id, ST_Area(geom::geography) AS area_m2 FROM {table}) TO STDOUT (FORMAT csv, HEADER)"
FILE_KINDS = ("parquet", "gpkg")
# zonemap's geodesic kernel against GeographicLib, as zonemap.methods states it (KERNEL_ABS_ACCURACY_M2,
# KERNEL_REL_ACCURACY): float rounding of the edge terms leaves ~1e-4 m² whatever the parcel's size
KERNEL_ABS_M2 = 5e-4
KERNEL_REL = 2e-8


def star_coords(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Closed star-shaped rings around Dongguan (vectorized).

    Parameters
    ----------
    n : int
        Number of parcels.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    coords : numpy.ndarray
        (M, 2) lon/lat of every ring vertex, each ring closed (first vertex repeated last).
    owner : numpy.ndarray
        (M,) parcel index of each vertex.
    """
    cx = rng.uniform(*LON_RANGE, n)
    cy = rng.uniform(*LAT_RANGE, n)
    area = np.exp(rng.uniform(np.log(1e3), np.log(1e5), n))  # 0.1-10 ha, log-uniform
    nv = rng.integers(27, 38, n)  # 32 distinct vertices on average, 33 coordinates with the closing one
    radius = np.sqrt(area / (np.pi * 0.65))
    owner = np.repeat(np.arange(n), nv)
    first = np.cumsum(nv) - nv
    k = np.arange(owner.size) - first[owner]
    ang = 2 * np.pi * (k + rng.uniform(0.1, 0.9, owner.size)) / nv[owner]
    rad = radius[owner] * rng.uniform(0.6, 1.0, owner.size)
    lat0 = cy[owner]
    x = cx[owner] + rad * np.cos(ang) / (111_320.0 * np.cos(np.radians(lat0)))
    y = lat0 + rad * np.sin(ang) / 110_700.0
    closed = nv + 1
    cowner = np.repeat(np.arange(n), closed)
    ck = np.arange(int(closed.sum())) - (np.cumsum(closed) - closed)[cowner]
    src = first[cowner] + np.where(ck == nv[cowner], 0, ck)
    return np.column_stack([x[src], y[src]]), cowner


def gk_plane_area_m2(coords: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Shoelace area of each closed ring after projecting its vertices to EPSG:4526 (m²).

    Parameters
    ----------
    coords : numpy.ndarray
        (M, 2) lon/lat (CGCS2000) of closed rings, ring after ring.
    owner : numpy.ndarray
        (M,) ring index of each vertex, non-decreasing.
    n : int
        Number of rings.

    Returns
    -------
    numpy.ndarray
        (n,) plane areas, positive.
    """
    x, y = Transformer.from_crs("EPSG:4490", GK_CRS, always_xy=True).transform(coords[:, 0], coords[:, 1])
    # each ring moved to its first vertex before the cross products: same area, no cancellation of ~1e12 terms
    first = np.searchsorted(owner, owner)
    x = x - x[first]
    y = y - y[first]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    same = owner[:-1] == owner[1:]  # drop the products that join one ring's end to the next ring's start
    return np.abs(np.bincount(owner[:-1][same], weights=cross[same], minlength=n)) / 2


def make_parcels(n: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The synthetic parcel layer and the indices of its planted errors.

    Parameters
    ----------
    n : int
        Number of parcels.
    seed : int
        Random seed.

    Returns
    -------
    parcels : geopandas.GeoDataFrame
        Columns ``id`` ('DK000001'...), ``TBMJ`` (m², 0.01 m² rounding) and the geometry, EPSG:4490.
    planted : numpy.ndarray
        Sorted indices of the parcels whose TBMJ is off by 1–3 % (``round(n / 100)`` of them).
    """
    rng = np.random.default_rng(seed)
    coords, owner = star_coords(n, rng)
    polygons = shapely.polygons(shapely.linearrings(coords, indices=owner))
    stated = gk_plane_area_m2(coords, owner, n)
    planted = np.sort(rng.choice(n, size=round(n * PLANTED_SHARE), replace=False))
    stated[planted] *= 1 + rng.choice([-1.0, 1.0], planted.size) * rng.uniform(0.01, 0.03, planted.size)
    width = max(6, len(str(n)))
    ids = np.char.add("DK", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    frame = gpd.GeoDataFrame({"id": ids, "TBMJ": np.round(stated, 2)}, geometry=polygons, crs="EPSG:4490")
    return frame, planted


def layer_files(n: int, seed: int, work: Path) -> dict[str, Any]:
    """Write (or reuse) the layer as GeoPackage and GeoParquet under ``work``; their paths and facts.

    Parameters
    ----------
    n : int
        Number of parcels.
    seed : int
        Random seed.
    work : pathlib.Path
        Cache directory.

    Returns
    -------
    dict
        ``gpkg`` and ``parquet`` paths, ``planted_ids``, ``vertices`` and the generator version.
    """
    stem = work / f"parcels_{n}_s{seed}_v{GENERATOR_VERSION}"
    meta_path = stem.with_suffix(".json")
    files = {"gpkg": stem.with_suffix(".gpkg"), "parquet": stem.with_suffix(".parquet")}
    if meta_path.exists() and all(p.exists() for p in files.values()):
        meta = json.loads(meta_path.read_text())
    else:
        work.mkdir(parents=True, exist_ok=True)
        frame, planted = make_parcels(n, seed)
        for kind, path in files.items():
            tmp = path.with_name("tmp-" + path.name)
            if kind == "gpkg":
                frame.to_file(tmp, driver="GPKG", layer="parcels", engine="pyogrio", use_arrow=True)
            else:
                frame.to_parquet(tmp, index=False)
            tmp.replace(path)
        meta = {
            "n": n,
            "seed": seed,
            "planted_ids": frame["id"].to_numpy()[planted].tolist(),
            "vertices": int(shapely.get_num_coordinates(frame.geometry.array).sum()),
            "version": GENERATOR_VERSION,
        }
        meta_path.write_text(json.dumps(meta))
    return {**meta, **{k: str(v) for k, v in files.items()}}


DUCKDB_SCRIPT = """
import importlib.util, pathlib, sys
import duckdb
src, kind, out = sys.argv[1:4]
# the spatial extension shipped in the duckdb-extension-spatial wheel, loaded by path: no download, no autoload
pkg = importlib.util.find_spec("duckdb_extension_spatial").submodule_search_locations[0]
ext = next(pathlib.Path(pkg).glob("extensions/v" + duckdb.__version__ + "/spatial.duckdb_extension"))
con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
con.execute("LOAD '" + str(ext) + "'")
con.execute("SET enable_progress_bar = false")
table, geom = ("ST_Read(?)", "geom") if kind == "gpkg" else ("read_parquet(?)", "geometry")
# ST_Area_Spheroid wants lat/lon order (it returns NaN for lon/lat): hence ST_FlipCoordinates
con.execute(
    "COPY (SELECT id, ST_Area_Spheroid(ST_FlipCoordinates(" + geom + ")) AS area_m2 FROM " + table + ") "
    "TO '" + out.replace("'", "''") + "' (HEADER)",
    [src],
)
"""

GEOPANDAS_SCRIPT = """
import sys
import geopandas as gpd
src, kind, out = sys.argv[1:4]
frame = gpd.read_file(src) if kind == "gpkg" else gpd.read_parquet(src)
frame.assign(area_m2=frame.to_crs("EPSG:4547").area)[["id", "area_m2"]].to_csv(out, index=False)
"""


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def pg_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin holding ``initdb`` and ``pg_ctl`` (the one .ci/postgis.sh uses)."""
    found = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin")]
    usable = [d for d in found if (d / "initdb").is_file() and (d / "pg_ctl").is_file() and (d / "psql").is_file()]
    return max(usable, key=lambda d: _version_key(d.parent.name), default=None)


def postgis_missing() -> str | None:
    """Why the ``postgis`` input kind cannot run here (with the fix), or None when it can.

    Returns
    -------
    str or None
        The reason: no server binaries, no postgis extension for that PostgreSQL version, or no .ci/postgis.sh.
    """
    bindir = pg_bindir()
    if bindir is None:
        return "no initdb/pg_ctl/psql under /usr/lib/postgresql/*/bin (fix: apt-get install -y -q postgresql postgis)"
    major = bindir.parent.name
    if not Path(f"/usr/share/postgresql/{major}/extension/postgis.control").is_file():
        return (
            f"PostgreSQL {major} has no postgis extension under /usr/share/postgresql/{major}/extension "
            "(fix: apt-get install -y -q postgis)"
        )
    if not PG_SCRIPT.is_file():
        return f"{PG_SCRIPT} not found (it starts the throwaway server)"
    return None


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through postgis_server's finally: the server is stopped


@contextlib.contextmanager
def postgis_server() -> Iterator[dict[str, str]]:
    """A throwaway PostgreSQL + PostGIS server on a unix socket in a temp directory, stopped on leaving.

    Started and stopped by ``.ci/postgis.sh`` (initdb with trust authentication, no TCP, a database ``zonemap``
    with the postgis extension; as root the server runs as ``postgres``). The server is stopped and its directory
    removed however the block ends: an error, KeyboardInterrupt, or SIGTERM (turned into SystemExit meanwhile).

    Yields
    ------
    dict
        ``dsn`` (libpq keywords), ``dir`` (the socket and data directory), ``psql`` (its path) and ``versions``.
    """
    import psycopg

    # signal handlers can only be set from the main thread; elsewhere SIGTERM keeps its default
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    pgdir = ""
    try:
        done = subprocess.run(["bash", str(PG_SCRIPT), "start"], capture_output=True, text=True, check=False)
        env = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        pgdir = env.get("ZONEMAP_TEST_PGDIR", "").strip("'")
        if done.returncode or "ZONEMAP_TEST_PG" not in env:
            raise RuntimeError(f"{PG_SCRIPT} start failed: {done.stderr.strip()}")
        dsn = env["ZONEMAP_TEST_PG"].strip("'")
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT current_setting('server_version'), postgis_lib_version()").fetchone()
        versions = f"PostgreSQL {row[0]}, PostGIS {row[1]}" if row else "?"
        bindir = pg_bindir()
        assert bindir is not None  # the script found it
        yield {"dsn": dsn, "dir": pgdir, "psql": str(bindir / "psql"), "versions": versions}
    finally:
        if pgdir:
            subprocess.run(["bash", str(PG_SCRIPT), "stop", pgdir], capture_output=True, check=False)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


LOAD_SCRIPT = """
import json, sys, time
if sys.argv[4]:
    sys.path.insert(0, sys.argv[4])  # the measured tree's src
import geopandas as gpd
import psycopg
from psycopg import sql
from zonemap.ingest import write_postgis
src, dsn, table = sys.argv[1:4]
frame = gpd.read_parquet(src).rename_geometry("geom")
target, part = sql.Identifier("public", table), sql.Identifier("public", table + "_part")
chunk = int(sys.argv[5])  # write_postgis holds a chunk's whole COPY text (~8x the chunk's GeoParquet in RSS)
start = time.perf_counter()
write_postgis(frame.iloc[:chunk], dsn, "public." + table, replace=True)
with psycopg.connect(dsn, autocommit=True) as conn:
    if len(frame) > chunk:  # the rest chunk by chunk through a side table, the GiST index built once at the end
        indexes = "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass"
        for (index,) in conn.execute(indexes, ["public." + table]).fetchall():
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index)))  # a name the server made and quoted
        for lo in range(chunk, len(frame), chunk):
            write_postgis(frame.iloc[lo : lo + chunk], dsn, "public." + table + "_part", replace=True)
            conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(target, part))
            conn.execute(sql.SQL("DROP TABLE {}").format(part))
        conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(target))
    conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(target))
    conn.execute(sql.SQL("ANALYZE {}").format(target))
    load_s = time.perf_counter() - start
    size = conn.execute("SELECT pg_total_relation_size(%s::regclass)", ["public." + table]).fetchone()[0]
print(json.dumps({"load_s": load_s, "mib": size / 2**20}))
"""


def load_postgis(layer: dict[str, Any], dsn: str, table: str, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Load the layer into ``public.<table>`` (replacing it) and ``ANALYZE``; the load's time and the table's size.

    Done in a fresh process (the benchmark's own memory stays small: a child's peak RSS counts its parent's at the
    fork). It reads the GeoParquet file (not timed), then times zonemap's ``write_postgis`` (``COPY`` of the rows,
    the geometry as hex EWKB in ``geometry(Geometry, 4490)``; ``--pg-chunk`` rows at a time, later chunks through a side
    table and ``INSERT ... SELECT``, so the loader's memory stays bounded), a GiST index, a primary key on ``id``
    and ``ANALYZE``. ``write_postgis`` comes from the measured tree (``args.zonemap_src``), or the installed
    zonemap.

    Parameters
    ----------
    layer : dict
        From :func:`layer_files`.
    dsn : str
        libpq keywords of the database.
    table : str
        Table name in schema ``public``.
    out : pathlib.Path
        The run's directory (``load.log`` is written there).
    args : argparse.Namespace
        ``zonemap_src``, ``pg_chunk`` and ``timeout``.

    Returns
    -------
    dict
        ``load_s``, ``mib`` (``pg_total_relation_size``: heap, TOAST and indexes) and ``load_rss`` (the loading
        process's peak RSS in MiB: ``write_postgis`` holds the whole COPY text).
    """
    cmd = [sys.executable, "-c", LOAD_SCRIPT, layer["parquet"], dsn, table, args.zonemap_src or "", str(args.pg_chunk)]
    log = out / "load.log"
    result = run_process(cmd, log, args.timeout)
    text = log.read_text(errors="replace")
    if result["rc"] != 0:
        raise RuntimeError(f"loading {layer['parquet']} into PostGIS exited {result['rc']}:\n{text[-2000:]}")
    loaded: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return {**loaded, "load_rss": result["rss_mib"]}


def drop_postgis(dsn: str, table: str) -> None:
    """Drop ``public.<table>`` (the next N's layer needs the disk more)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("public", table)))


def run_process(cmd: list[str], log: Path, timeout_s: float) -> dict[str, Any]:
    """Run ``cmd`` as a fresh process; its wall time, peak RSS and exit code.

    Parameters
    ----------
    cmd : list of str
        Command line.
    log : pathlib.Path
        File that receives its standard output and error.
    timeout_s : float
        The process is killed after this many seconds (``wall_s`` is then NaN).

    Returns
    -------
    dict
        ``wall_s``, ``rss_mib`` (``ru_maxrss`` of that process, from ``os.wait4``: at least this process's RSS at
        the fork, whose high-water mark the child inherits) and ``rc``.
    """
    with log.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = start + timeout_s
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    return {"wall_s": float("nan"), "rss_mib": usage.ru_maxrss / 1024, "rc": "timeout"}
                time.sleep(0.005)
        except BaseException:  # KeyboardInterrupt, SIGTERM's SystemExit: the contender does not outlive the bench
            proc.kill()
            os.wait4(proc.pid, 0)
            raise
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "rss_mib": usage.ru_maxrss / 1024, "rc": proc.returncode}


def zonemap_command(ref: str, work: Path) -> tuple[list[str], str, str | None]:
    """How to start zonemap: the committed tree at git ``ref``, or the ``zonemap`` on PATH for 'installed'.

    Parameters
    ----------
    ref : str
        A git revision of this repository (its ``src`` and ``geodata`` are exported under ``work``, so uncommitted
        edits in the working tree are not measured), or ``installed`` (the ``zonemap`` beside this Python, else the
        one on PATH).
    work : pathlib.Path
        Cache directory.

    Returns
    -------
    command : list of str
        The command up to its arguments.
    label : str
        What is measured (the short commit, or the installed command's path).
    src : str or None
        The exported tree's ``src`` directory (None for the installed command).
    """
    if ref == "installed":
        beside = Path(sys.executable).with_name("zonemap")
        found = str(beside) if beside.is_file() else shutil.which("zonemap")
        if found is None:
            raise FileNotFoundError("no zonemap on PATH (fix: activate the project's venv, or pass --ref HEAD)")
        return [found], f"installed {found}", None
    repo = REPO
    sha = subprocess.run(
        ["git", "rev-parse", "--short", ref], capture_output=True, text=True, check=True, cwd=repo
    ).stdout.strip()
    tree = work / f"zonemap-{sha}"
    if not (tree / "src" / "zonemap" / "cli.py").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "src", "geodata"], capture_output=True, check=True, cwd=repo)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    start = f"import sys; sys.path.insert(0, {str(tree / 'src')!r}); from zonemap.cli import main; sys.exit(main())"
    return [sys.executable, "-c", start], f"commit {sha}", str(tree / "src")


def commands(layer: dict[str, Any], kind: str, out: Path, args: argparse.Namespace) -> dict[str, list[str]]:
    """The contenders' command lines for one input: zonemap, DuckDB, geopandas (files) or zonemap, psql (PostGIS)."""
    if kind == "postgis":
        pg = args.pg
        src = f"PG:{pg['dsn']} tables=public.{layer['table']}"
        zonemap = [*args.zonemap_cmd, "reconcile", src, "--area-field", "TBMJ", "--out", str(out / "zonemap")]
        psql = [pg["psql"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg["dsn"], "-o", str(out / "postgis.csv")]
        return {
            "zonemap": [*zonemap, *args.zonemap_args],
            "postgis": [*psql, "-c", PG_SQL.format(table=layer["table"])],
        }
    src = layer[kind]
    zonemap = [*args.zonemap_cmd, "reconcile", src, "--area-field", "TBMJ", "--out", str(out / "zonemap")]
    return {
        "zonemap": [*zonemap, *args.zonemap_args],
        "duckdb": [sys.executable, "-c", DUCKDB_SCRIPT, src, kind, str(out / "duckdb.csv")],
        "geopandas": [sys.executable, "-c", GEOPANDAS_SCRIPT, src, kind, str(out / "geopandas.csv")],
    }


def zonemap_results(out: Path) -> pd.DataFrame:
    """Per-feature id, geodesic area and status from the CSV zonemap wrote in ``out`` (today's or issue 10's)."""
    for path in sorted(out.glob("*.csv")):
        cols = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        ident = next((c for c in ("id", "subject") if c in cols), None)
        area = next((c for c in ("area_m2", "measured_m2") if c in cols), None)
        if ident and area and "status" in cols:
            frame = pd.read_csv(path, usecols=[ident, area, "status"], encoding="utf-8-sig", dtype={ident: str})
            return frame.rename(columns={ident: "id", area: "area_m2"})
    raise FileNotFoundError(f"{out}: no per-feature CSV with id, area and status columns (pass --zonemap-args)")


def checks(layer: dict[str, Any], out: Path) -> dict[str, Any]:
    """Correctness of one run: DuckDB vs zonemap geodesic areas, disagreements vs planted errors."""
    zm = zonemap_results(out / "zonemap")
    dd = pd.read_csv(out / "duckdb.csv", dtype={"id": str})
    gp = pd.read_csv(out / "geopandas.csv", dtype={"id": str})
    both = zm.merge(dd, on="id", suffixes=("_zm", "_dd"), validate="one_to_one")
    planted = set(layer["planted_ids"])
    disagree = set(zm.loc[zm["status"] == "disagrees", "id"])
    frame = pd.read_parquet(layer["parquet"], columns=["id", "TBMJ"]).merge(gp, on="id", validate="one_to_one")
    clean = ~frame["id"].isin(planted)
    return {
        "rows": len(both),
        "dd_vs_zm": float(np.max(np.abs(both["area_m2_dd"] / both["area_m2_zm"] - 1))),
        "gp_vs_tbmj_m2": float(np.max(np.abs(frame.loc[clean, "area_m2"] - frame.loc[clean, "TBMJ"]))),
        "disagree": len(disagree),
        "planted": len(planted),
        "planted_found": len(disagree & planted),
    }


def postgis_checks(layer: dict[str, Any], out: Path, file_out: Path | None) -> dict[str, Any]:
    """Correctness of one PostGIS run: ST_Area(geography) vs zonemap geodesic areas, disagreements vs planted.

    Parameters
    ----------
    layer : dict
        From :func:`layer_files`.
    out : pathlib.Path
        The PostGIS run's directory (``zonemap/`` and ``postgis.csv``).
    file_out : pathlib.Path or None
        The GeoParquet run's directory of the same N in this invocation, if there was one: zonemap's per-parcel
        statuses and areas from PostGIS are compared with those from the file.

    Returns
    -------
    dict
        ``rows``, ``pg_vs_zm`` (largest relative difference), ``pg_vs_zm_m2`` (largest absolute difference),
        ``pg_in_kernel`` (every difference within zonemap's stated kernel accuracy, ``KERNEL_ABS_M2 + KERNEL_REL ×
        area``), ``disagree``, ``planted``, ``planted_found``, and
        with ``file_out`` ``status_vs_file`` (parcels whose status differs) and ``area_vs_file`` (largest relative
        difference of zonemap's geodesic areas).
    """
    zm = zonemap_results(out / "zonemap")
    pg = pd.read_csv(out / "postgis.csv", dtype={"id": str})
    both = zm.merge(pg, on="id", suffixes=("_zm", "_pg"), validate="one_to_one")
    if not len(zm) == len(pg) == len(both) == layer["n"]:
        raise RuntimeError(f"{out}: {len(zm)} zonemap rows, {len(pg)} PostGIS rows, {len(both)} matched by id")
    planted = set(layer["planted_ids"])
    disagree = set(zm.loc[zm["status"] == "disagrees", "id"])
    diff = np.abs(both["area_m2_pg"].to_numpy() - both["area_m2_zm"].to_numpy())
    result: dict[str, Any] = {
        "rows": len(both),
        "pg_vs_zm": float(np.max(diff / both["area_m2_pg"].to_numpy())),
        "pg_vs_zm_m2": float(np.max(diff)),
        "pg_in_kernel": bool(np.all(diff <= KERNEL_ABS_M2 + KERNEL_REL * both["area_m2_pg"].to_numpy())),
        "disagree": len(disagree),
        "planted": len(planted),
        "planted_found": len(disagree & planted),
    }
    if file_out is not None:
        fz = zm.merge(zonemap_results(file_out / "zonemap"), on="id", suffixes=("", "_file"), validate="one_to_one")
        if len(fz) != len(zm):
            raise RuntimeError(f"{out}: {len(zm)} parcels from PostGIS, {len(fz)} of them in the GeoParquet run")
        result["status_vs_file"] = int((fz["status"] != fz["status_file"]).sum())
        result["area_vs_file"] = float(np.max(np.abs(fz["area_m2"] / fz["area_m2_file"] - 1)))
    return result


def run(n: int, kinds: list[str], repeat: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Time the contenders on the N-parcel layer, round-robin ``repeat`` times per input kind.

    Kinds run in the order given; a ``postgis`` kind after ``parquet`` compares its statuses with the file's.
    ``args.pg`` is the server of :func:`postgis_server` when ``postgis`` is among the kinds.
    """
    layer = layer_files(n, args.seed, args.work)
    rows = []
    for kind in kinds:
        out = args.work / f"run_{n}_{kind}"
        out.mkdir(parents=True, exist_ok=True)
        row: dict[str, Any] = {"n": n, "kind": kind, "vertices": layer["vertices"]}
        if kind == "postgis":
            layer = {**layer, "table": f"parcels_{n}"}
            row.update(load_postgis(layer, args.pg["dsn"], layer["table"], out, args))
        else:
            row["mib"] = Path(layer[kind]).stat().st_size / 2**20
        timings: dict[str, list[dict[str, Any]]] = {}
        for _ in range(repeat):
            for tool, cmd in commands(layer, kind, out, args).items():
                shutil.rmtree(out / tool, ignore_errors=True)  # the tool's own output only
                (out / f"{tool}.csv").unlink(missing_ok=True)
                log = out / f"{tool}.log"
                result = run_process(cmd, log, args.timeout)
                if result["rc"] != 0:
                    tail = log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{shlex.join(cmd)} exited {result['rc']}:\n{tail}")
                timings.setdefault(tool, []).append(result)
        for tool, runs in timings.items():
            row[f"{tool}_s"] = min(r["wall_s"] for r in runs)
            row[f"{tool}_rss"] = max(r["rss_mib"] for r in runs)
        if kind == "postgis":
            file_out = args.work / f"run_{n}_parquet" if "parquet" in kinds[: kinds.index(kind)] else None
            row.update(postgis_checks(layer, out, file_out))
            drop_postgis(args.pg["dsn"], layer["table"])
        else:
            row.update(checks(layer, out))
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)  # partial results survive an interrupted run
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as Markdown: the file rows' table, then the PostGIS rows' (each only when there are such rows)."""
    files = [r for r in rows if r["kind"] in FILE_KINDS]
    pg = [r for r in rows if r["kind"] == "postgis"]
    return "\n\n".join(
        t for t in (markdown_files(files) if files else "", markdown_postgis(pg, rows) if pg else "") if t
    )


def markdown_files(rows: list[dict[str, Any]]) -> str:
    """The GeoParquet and GeoPackage rows as a Markdown table."""
    head = (
        "| N parcels | input | file (MiB) | zonemap (s) | zonemap peak RSS (MiB) | RSS ÷ file | DuckDB (s) "
        "| DuckDB ÷ zonemap | geopandas (s) | geopandas ÷ zonemap | DuckDB / geopandas peak RSS (MiB) "
        "| DuckDB vs zonemap area (max rel.) | geopandas GK vs TBMJ, unplanted (max m²) "
        "| disagreeing / planted (planted found) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {'GeoParquet' if r['kind'] == 'parquet' else 'GeoPackage'} | {r['mib']:.0f} "
            f"| {r['zonemap_s']:.2f} | {r['zonemap_rss']:,.0f} | {r['zonemap_rss'] / r['mib']:.1f}× "
            f"| {r['duckdb_s']:.2f} | {r['duckdb_s'] / r['zonemap_s']:.2f}× | {r['geopandas_s']:.2f} "
            f"| {r['geopandas_s'] / r['zonemap_s']:.2f}× | {r['duckdb_rss']:,.0f} / {r['geopandas_rss']:,.0f} "
            f"| {r['dd_vs_zm']:.1e} | {r['gp_vs_tbmj_m2']:.4f} "
            f"| {r['disagree']:,} / {r['planted']:,} ({r['planted_found']:,}) |"
        )
    return "\n".join(lines)


def _fmt(value: float | None, spec: str) -> str:
    """``value`` formatted, or an em dash when it was not measured."""
    return "—" if value is None or not math.isfinite(value) else format(value, spec)


def markdown_postgis(rows: list[dict[str, Any]], every: list[dict[str, Any]]) -> str:
    """The PostGIS rows as a Markdown table, beside the GeoParquet row of the same N from ``every`` (or "—")."""
    head = (
        "| N parcels | table (MiB) | load: COPY + key + ANALYZE (s) | zonemap from PostGIS (s) "
        "| zonemap peak RSS (MiB) | ST_Area(geography) via psql (s) | ST_Area ÷ zonemap "
        "| zonemap from GeoParquet (s) | DuckDB, GeoParquet (s) | geopandas, GeoParquet (s) "
        "| ST_Area(geography) vs zonemap area: max m² (max rel.) | statuses differing from GeoParquet "
        "| disagreeing / planted (planted found) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        f = next((x for x in every if x["n"] == r["n"] and x["kind"] == "parquet"), {})
        differ = "—" if "status_vs_file" not in r else f"{r['status_vs_file']:,} (areas {r['area_vs_file']:.1e})"
        lines.append(
            f"| {r['n']:,} | {r['mib']:.0f} | {r['load_s']:.2f} | {r['zonemap_s']:.2f} | {r['zonemap_rss']:,.0f} "
            f"| {r['postgis_s']:.2f} | {r['postgis_s'] / r['zonemap_s']:.2f}× | {_fmt(f.get('zonemap_s'), '.2f')} "
            f"| {_fmt(f.get('duckdb_s'), '.2f')} | {_fmt(f.get('geopandas_s'), '.2f')} "
            f"| {r['pg_vs_zm_m2']:.1e} ({r['pg_vs_zm']:.1e}) "
            f"| {differ} | {r['disagree']:,} / {r['planted']:,} ({r['planted_found']:,}) |"
        )
    return "\n".join(lines)


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 10 point 6's targets, judged on the file rows at N >= 1e6; the PostGIS rows' checks at every N."""
    out = []
    for r in (r for r in rows if r["kind"] == "postgis"):
        tests = [
            (
                f"ST_Area(geography) vs zonemap within {KERNEL_ABS_M2:g} m² + {KERNEL_REL:g} × area",
                r["pg_in_kernel"],
                f"max {r['pg_vs_zm_m2']:.1e} m², {r['pg_vs_zm']:.1e} rel.",
            ),
            ("disagreeing = planted", r["disagree"] == r["planted"], f"{r['disagree']:,} vs {r['planted']:,}"),
        ]
        if "status_vs_file" in r:
            tests.append(("statuses as from GeoParquet", r["status_vs_file"] == 0, f"{r['status_vs_file']:,} differ"))
        said = "; ".join(f"{name}: {'met' if ok else 'NOT met'} ({value})" for name, ok, value in tests)
        out.append(f"- {r['n']:,} from PostGIS: {said}")
    for r in (r for r in rows if r["n"] >= 1_000_000 and r["kind"] in FILE_KINDS):
        limit = 4.0 if r["kind"] == "parquet" else 6.0
        tests = [
            (f"wall <= {limit:.0f} s", r["zonemap_s"] <= limit, f"{r['zonemap_s']:.2f} s"),
            (">= 5x DuckDB", r["duckdb_s"] / r["zonemap_s"] >= 5, f"{r['duckdb_s'] / r['zonemap_s']:.2f}x"),
            (">= 3x geopandas", r["geopandas_s"] / r["zonemap_s"] >= 3, f"{r['geopandas_s'] / r['zonemap_s']:.2f}x"),
            ("peak RSS <= 3x file", r["zonemap_rss"] <= 3 * r["mib"], f"{r['zonemap_rss'] / r['mib']:.1f}x"),
            ("disagreeing = planted", r["disagree"] == r["planted"], f"{r['disagree']:,} vs {r['planted']:,}"),
        ]
        said = "; ".join(f"{name}: {'met' if ok else 'NOT met'} ({value})" for name, ok, value in tests)
        out.append(f"- {r['n']:,} from {r['kind']}: {said}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--inputs",
        nargs="+",
        choices=[*FILE_KINDS, "postgis"],
        help="input kinds, run in the order parquet, gpkg, postgis (default: all three, postgis only when "
        "PostgreSQL and PostGIS are installed)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repeat-large", type=int, default=1, help="repeats at N >= 1e6")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "zonemap-bench")
    parser.add_argument(
        "--ref", default="HEAD", help="git revision whose committed src is measured, or 'installed' (zonemap on PATH)"
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a process is killed")
    parser.add_argument(
        "--pg-chunk", type=int, default=100_000, help="rows per COPY when loading PostGIS (bounds the loader's memory)"
    )
    parser.add_argument(
        "--zonemap-args",
        type=shlex.split,
        default=shlex.split("--area-decimals 2 --format csv"),
        help="options after 'zonemap reconcile FILE --area-field TBMJ --out DIR' (one string)",
    )
    args = parser.parse_args(argv)
    missing = postgis_missing()
    notes = []
    if args.inputs is None:
        args.inputs = [*FILE_KINDS] if missing else [*FILE_KINDS, "postgis"]
        if missing:
            notes.append(f"postgis input skipped: {missing}")
    elif "postgis" in args.inputs and missing:
        parser.error(f"--inputs postgis: {missing}")
    kinds = [k for k in (*FILE_KINDS, "postgis") if k in args.inputs]
    args.zonemap_cmd, measured, args.zonemap_src = zonemap_command(args.ref, args.work)
    with postgis_server() if "postgis" in kinds else contextlib.nullcontext() as args.pg:
        rows = [r for n in args.n for r in run(n, kinds, args.repeat_large if n >= 1e6 else args.repeat, args)]
        if args.pg is not None:
            notes.append(f"{args.pg['versions']} (throwaway server on a unix socket, fsync off)")
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, geopandas, pyogrio; print(duckdb.__version__, geopandas.__version__, "
            "pyogrio.__version__, pyogrio.__gdal_version_string__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; zonemap {measured}; "
        f"DuckDB {versions[0]}, geopandas {versions[1]}, pyogrio {versions[2]} (GDAL {versions[3]}); "
        f"ZONEMAP_REFERENCE_DIR={os.environ.get('ZONEMAP_REFERENCE_DIR', '(unset)')}"
    )
    for note in notes:
        print(note)
    print(f"zonemap command: zonemap reconcile FILE --area-field TBMJ --out DIR {shlex.join(args.zonemap_args)}")
    if "postgis" in kinds:
        print(
            'PostGIS: zonemap reconcile "PG:host=DIR dbname=zonemap user=postgres tables=public.parcels_N" '
            f"--area-field TBMJ --out DIR {shlex.join(args.zonemap_args)}; psql -c {shlex.quote(PG_SQL)}"
        )
    print(markdown(rows))
    print("\n".join(verdicts(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
