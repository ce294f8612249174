"""The parcel job on a dask.distributed cluster: one task per partition of a GeoParquet dataset.

A partitioned dataset (a folder of GeoParquet files, as ``dask_geopandas`` ``to_parquet`` writes
it, or as a city's data office exports a layer per district) is reconciled partition by partition
on the workers with the very functions of the single-machine path (:func:`read_parcels`,
:func:`reconcile_parcels`), so statuses and areas are the same to the last bit. Each task writes
its part of the per-parcel table to a scratch folder beside the outputs and returns only what the
summary needs: counts, the method tallies, the histogram counts, its 50 worst parcels and failing
三调 field checks. The driver then:

1. takes the layer's dominant method from the summed tallies; a partition whose own dominant
   method differs is reconciled again against the layer's (differences are taken against one method
   for the whole layer, as on one machine);
2. joins the parts into the same files the single-machine path writes (``parcels.csv``,
   ``parcels.parquet``, ``parcels.gpkg``), streaming one part at a time, each through a temporary
   file renamed at the end;
3. writes the summary from the merged tallies.

Partitions are read by the workers with pyarrow, not as dask-geopandas GeoDataFrames: the
reader parses WKB straight to coordinates and never builds shapely objects, which a GeoDataFrame
partition would. Memory per worker is one partition's working set (about 3x its file) under the
worker's ``memory_limit``. The scratch and output folders must be on storage every worker can
reach (a LocalCluster's workers share this machine's).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataFileError, MissingFileError
from ..io import CSV_ENCODING, atomic_write, check_outputs
from ._layer import PARQUET_SUFFIXES, Progress, read_parcels
from ._reconcile import reconcile_parcels
from ._run import needs_geometry
from ._summary import SUMMARY_FORMATS, WORST_SHOWN, ParcelSummary, merge_summaries, summary_of, write_parcel_summary
from ._write import TABLE_FORMATS, write_parcel_table

__all__ = ["DaskOptions", "dataset_parts", "run_parcels_dask"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DaskOptions:
    """Where and how the partitions run.

    Attributes
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a LocalCluster.
    workers
        LocalCluster workers (default: the machine's cores); one thread each, so a worker holds one
        partition at a time.
    memory_limit
        Per LocalCluster worker (``"2GiB"``; dask pauses, then restarts, a worker above it).
    """

    scheduler: str | None = None
    workers: int | None = None
    memory_limit: str = "2GiB"


def dataset_parts(path: Path | str) -> list[Path]:
    """The partition files of a GeoParquet dataset: a folder's ``*.parquet`` files (recursively, sorted).

    Parameters
    ----------
    path
        A folder (a partitioned dataset) or one GeoParquet file (one partition).

    Returns
    -------
    list of Path

    Raises
    ------
    MissingFileError, DataFileError
        No such path; a folder without GeoParquet files.
    """
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"{p}: no such file or folder (fix: check the path)")
    if p.is_file():
        if p.suffix.lower() not in PARQUET_SUFFIXES:
            raise DataFileError(
                f"{p}: --engine dask reads GeoParquet (fix: convert the layer, e.g. with "
                "dask_geopandas.from_geopandas(gdf, npartitions=8).to_parquet(DIR), or drop --engine dask)"
            )
        return [p]
    parts = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in PARQUET_SUFFIXES)
    if not parts:
        raise DataFileError(f"{p}: a folder without .parquet files (fix: give a partitioned GeoParquet dataset)")
    return parts


def _partition(
    part: Path,
    index: int,
    scratch: Path,
    formats: tuple[str, ...],
    reference: str | None,
    accuracy_m: float,
    encoding_out: str,
    read_options: dict[str, Any],
) -> ParcelSummary:
    """One task: reconcile one partition, write its parts, return its summary (runs on a worker)."""
    layer = read_parcels(part, keep_geometry=needs_geometry(formats, accuracy_m), keep_rings=False, **read_options)
    result = reconcile_parcels(layer, accuracy_m=accuracy_m, reference=reference)
    for fmt in formats:
        write_parcel_table(result, scratch / f"part-{index:05d}{TABLE_FORMATS[fmt]}", fmt, encoding=encoding_out)
    return summary_of(result, worst=WORST_SHOWN)


def _client(options: DaskOptions) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError('--engine dask needs dask.distributed (fix: pip install -e ".[dask]")') from None
    if options.scheduler:
        try:
            return Client(options.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"cannot reach the dask scheduler at {options.scheduler}: {exc} "
                "(fix: check the address, or drop --scheduler to start a local cluster)"
            ) from None
    # the cluster's own INFO lines (workers joining, comms closing) are not the planner's business
    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(max(logging.getLogger(name).getEffectiveLevel(), logging.WARNING))
    workers = options.workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        memory_limit=options.memory_limit,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return Client(cluster)


def _join_csv(parts: list[Path], target: Path, encoding: str) -> None:
    """Concatenate CSV parts: the first whole, the others without their BOM and header line."""
    bom = b"\xef\xbb\xbf" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig") else b""
    with atomic_write(target, "wb") as out:
        for i, part in enumerate(parts):
            with part.open("rb") as fh:
                if i:
                    head = fh.read(len(bom))
                    if head != bom:
                        fh.seek(0)
                    fh.readline()
                shutil.copyfileobj(fh, out, 1 << 20)


def _join_parquet(parts: list[Path], target: Path, encoding: str) -> None:
    """One GeoParquet file, a row group per part, written one part at a time."""
    import json

    import pyarrow.parquet as pq

    tables = [pq.read_schema(p) for p in parts]
    geo = json.loads(tables[0].metadata[b"geo"])
    types = [json.loads(s.metadata[b"geo"])["columns"]["geometry"]["geometry_types"] for s in tables]
    # a part of simple polygons says ["Polygon"]; with any multipolygon part the union is "any"
    geo["columns"]["geometry"]["geometry_types"] = types[0] if all(t == types[0] for t in types) else []
    schema = tables[0].with_metadata({**tables[0].metadata, b"geo": json.dumps(geo).encode()})
    with atomic_write(target, "wb") as fh, pq.ParquetWriter(fh, schema, compression="snappy") as writer:
        for part in parts:
            writer.write_table(pq.read_table(part).cast(schema))


def _join_gpkg(parts: list[Path], target: Path, encoding: str) -> None:
    import pyogrio

    tmpdir = Path(tempfile.mkdtemp(prefix=f".{target.name[:120]}.zm{os.getpid()}-", dir=target.parent))
    try:
        tmp = tmpdir / target.name
        for i, part in enumerate(parts):
            meta, table = pyogrio.read_arrow(part)
            pyogrio.write_arrow(
                table,
                tmp,
                layer=target.stem,
                driver="GPKG",
                geometry_name="geometry",
                geometry_type=meta.get("geometry_type") or "Unknown",
                crs=meta.get("crs"),
                append=i > 0,
            )
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


_JOIN: dict[str, Callable[[list[Path], Path, str], None]] = {
    "csv": _join_csv,
    "parquet": _join_parquet,
    "gpkg": _join_gpkg,
}


def run_parcels_dask(
    dataset: Path | str,
    out_dir: Path | str,
    *,
    options: DaskOptions = DaskOptions(),
    formats: Iterable[str] = ("csv",),
    summary: Iterable[str] = SUMMARY_FORMATS,
    accuracy_m: float = 0.0,
    encoding_out: str = CSV_ENCODING,
    stem: str = "parcels",
    force: bool = False,
    progress: Progress | None = None,
    **read_options: Any,
) -> ParcelSummary:
    """Reconcile a partitioned GeoParquet dataset on a dask.distributed cluster.

    Parameters
    ----------
    dataset
        A folder of GeoParquet files (see :func:`dataset_parts`).
    out_dir
        Output directory: the same files as :func:`run_parcels` writes.
    options
        The cluster (:class:`DaskOptions`).
    formats, summary, accuracy_m, encoding_out, stem
        As for :func:`run_parcels`.
    force
        Allow replacing read-only outputs.
    progress
        Called as ``progress(stage, share)``: ``partitions`` as tasks finish, then ``write``, ``done``.
    **read_options
        As for :func:`read_parcels` (``area_field`` required).

    Returns
    -------
    ParcelSummary
        The layer's summary (counts, reference method, diagnosis, histogram, worst parcels), with
        ``timings`` and ``partitions``.
    """
    fmts = tuple(dict.fromkeys(formats))
    bad = [f for f in fmts if f not in TABLE_FORMATS]
    if bad:
        raise ConfigError(f"unknown parcel table format {bad[0]!r} (fix: one of {', '.join(TABLE_FORMATS)})")
    sums = list(dict.fromkeys(summary))
    parts = dataset_parts(dataset)
    out = Path(out_dir)
    targets = {f: out / f"{stem}{TABLE_FORMATS[f]}" for f in fmts}
    check_outputs([*targets.values(), *(out / f"{stem}_summary.{f}" for f in sums)], [dataset], force=force)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{stem}.zm{os.getpid()}-parts-", dir=out))
    timings: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        client = _client(options)
        try:
            summaries = _reconcile_all(client, parts, scratch, fmts, accuracy_m, encoding_out, read_options, progress)
        finally:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None and options.scheduler is None:
                cluster.close()
        timings["partitions"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if progress:
            progress("write", 0.9)
        for fmt, target in targets.items():
            _JOIN[fmt]([scratch / f"part-{i:05d}{TABLE_FORMATS[fmt]}" for i in range(len(parts))], target, encoding_out)
        timings["join"] = time.perf_counter() - t0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    merged = merge_summaries(summaries, source=Path(dataset), timings=timings)
    if sums:
        write_parcel_summary(merged, out, sums, stem=f"{stem}_summary")
    if progress:
        progress("done", 1.0)
    log.info("dask: %d partitions, %s", len(parts), merged.headline)
    return merged


def _reconcile_all(
    client: Any,
    parts: list[Path],
    scratch: Path,
    fmts: tuple[str, ...],
    accuracy_m: float,
    encoding_out: str,
    read_options: dict[str, Any],
    progress: Progress | None,
) -> list[ParcelSummary]:
    from distributed import as_completed

    def submit(i: int, reference: str | None) -> Any:
        return client.submit(
            _partition, parts[i], i, scratch, fmts, reference, accuracy_m, encoding_out, read_options, pure=False
        )

    futures = {submit(i, None): i for i in range(len(parts))}
    results: dict[int, ParcelSummary] = {}
    for done, future in enumerate(as_completed(futures), start=1):
        results[futures[future]] = future.result()
        if progress:
            progress("partitions", 0.85 * done / len(parts))
    ordered = [results[i] for i in range(len(parts))]
    reference = merge_summaries(ordered, source=scratch).reference
    redo = [i for i, s in enumerate(ordered) if s.reference != reference]
    if redo:
        log.info("dask: %d partition(s) again against the layer's %s area", len(redo), reference)
        again = {submit(i, reference): i for i in redo}
        for future in as_completed(again):
            ordered[again[future]] = future.result()
    return ordered
