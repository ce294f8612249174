"""``zonemap reconcile FILE --area-field F``: the parcel-by-parcel job (private to :mod:`zonemap.cli`).

A layer whose every feature states its own area is reconciled feature by feature with
:mod:`zonemap.parcels` (three areas, the matching method, a status each; a per-parcel table and
a summary), on this machine or, with ``--engine dask``, on a dask.distributed cluster.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .config import Config
from .errors import SchemaError
from .project import FileOptions
from .schema import TOWNS_FILE, FigureStatus

__all__ = [
    "PARCEL_FORMATS",
    "ParcelMode",
    "output_stem",
    "parcel_mode",
    "progress_bar",
    "read_options",
    "run_parcel_mode",
]

#: ``--format`` words of the parcel job: per-parcel tables, then summaries.
PARCEL_FORMATS = ("csv", "parquet", "gpkg", "html", "md", "json")

#: Written when ``--format`` is not given.
DEFAULT_PARCEL_FORMATS = ("csv", "html", "md", "json")

#: Text formats read by zonemap's own readers (lon/lat columns, WKT, DXF): the registry reconciliation reads them.
_TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".dxf"})

#: File options the parcel job does not take: with any of them, the registry reconciliation runs.
_GENERAL_ONLY = ("figures", "parent", "parent_field", "outline", "name_field", "fix", "swap_xy", "centre")


@dataclass(frozen=True)
class ParcelMode:
    """How to run the parcel job (from the command line)."""

    engine: str = "local"
    scheduler: str | None = None
    workers: int | None = None
    worker_memory: str = "2GiB"


def parcel_mode(files: Sequence[Path], file_opts: FileOptions) -> bool:
    """Whether ``reconcile`` runs parcel by parcel: layer files, ``--area-field``, nothing needing the registry."""
    if not files or file_opts.area_field is None or file_opts.layer != "parcels":
        return False
    if any(p.suffix.lower() in _TEXT_SUFFIXES for p in files):
        return False
    return not any(getattr(file_opts, name, None) not in (None, False) for name in _GENERAL_ONLY)


def _formats(text: str) -> tuple[list[str], list[str]]:
    words = [w.strip().lower() for w in text.split(",") if w.strip()] or list(DEFAULT_PARCEL_FORMATS)
    bad = [w for w in words if w not in PARCEL_FORMATS]
    if bad:
        raise SchemaError(
            f"--format {bad[0]!r}: parcel by parcel, the outputs are {', '.join(PARCEL_FORMATS)} "
            "(fix: e.g. --format csv,html; xlsx holds too few rows for a parcel layer: csv opens in Excel)"
        )
    tables: list[str] = [w for w in ("csv", "parquet", "gpkg") if w in words]
    return tables, [w for w in ("html", "md", "json") if w in words]


def _town_check(config: Config, name: str | None) -> None:
    """An unknown --town is refused with the closest names, as for every other command."""
    if name is None:
        return
    from .towns import dongguan_towns, load_towns

    towns_file = config.geodata_dir / TOWNS_FILE
    registry = load_towns(towns_file).merged(dongguan_towns()) if towns_file.is_file() else dongguan_towns()
    registry.resolve(name)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, float], None] | None]:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=1.0)

        def update(stage: str, share: float) -> None:
            bar.update(task, description=stage, completed=min(max(share, 0.0), 1.0))

        yield update


def read_options(file_opts: FileOptions) -> dict[str, Any]:
    """The file options :func:`zonemap.parcels.read_parcels` takes, by its keyword names."""
    return {
        "area_field": file_opts.area_field,
        "area_unit": file_opts.area_unit,
        "area_decimals": file_opts.area_decimals,
        "id_field": file_opts.id_field,
        "layer_name": file_opts.layer_name,
        "crs": file_opts.crs,
        "encoding": file_opts.encoding,
        "table": file_opts.table,
    }


def output_stem(source: Path | str, table: str | None) -> str:
    """Output name of a source: a file's stem; a PostGIS source's table (``--table`` or ``tables=``)."""
    if isinstance(source, Path):
        return source.stem if source.suffix else source.name
    found = table or next(iter(re.findall(r"tables=([^\s\"']+)", source)), "postgis")
    table_name = found.split(",")[0].split("(")[0].split(".")[-1]  # schema.table(geom): the table
    return re.sub(r"\W+", "_", table_name).strip("_") or "postgis"


def run_parcel_mode(
    files: Sequence[Path | str],
    config: Config,
    file_opts: FileOptions,
    formats: str,
    out_dir: Path,
    mode: ParcelMode,
    *,
    force: bool,
    out_db: str | None = None,
) -> int:
    """Reconcile each layer file parcel by parcel; returns how many parcels disagree (for ``--strict``).

    ``files`` are paths, or PostGIS sources as written (``PG:...``, ``postgresql://...``); with
    ``out_db`` the per-parcel table is also written to that table of the (one, PostGIS) source's
    database, refused if it exists.
    """
    from .ingest import write_postgis
    from .parcels import DaskOptions, run_parcels, run_parcels_dask

    if out_db is not None and (len(files) != 1 or isinstance(files[0], Path) or mode.engine != "local"):
        raise SchemaError(
            "--out-db writes the results beside a PostGIS input (fix: one PG:/postgresql:// source, "
            "without --engine dask; for files use --format parquet or gpkg)"
        )

    _town_check(config, file_opts.town)
    tables, summaries = _formats(formats)
    read = read_options(file_opts)
    accuracy = file_opts.accuracy_m or 0.0
    disagreeing = 0
    stems = [output_stem(p, file_opts.table) for p in files]
    if len(set(stems)) < len(stems):
        raise SchemaError(
            f"two inputs share the name {next(s for s in stems if stems.count(s) > 1)!r}: their outputs would "
            "collide (fix: reconcile them one at a time with different --out)"
        )
    for path, stem in zip(files, stems, strict=True):
        with progress_bar(sys.stderr.isatty()) as progress:
            job: dict[str, Any] = {
                "formats": tables,
                "summary": summaries,
                "accuracy_m": accuracy,
                "stem": f"{stem}_parcels",
                "encoding_out": config.csv_encoding,
                "force": force,
                "progress": progress,
                **read,
            }
            if mode.engine == "dask":
                options = DaskOptions(mode.scheduler, mode.workers, mode.worker_memory)
                result: Any = run_parcels_dask(path, out_dir, options=options, **job)
            else:
                if isinstance(path, Path) and path.is_dir():
                    raise SchemaError(
                        f"{path}: a folder (a partitioned dataset?) (fix: --engine dask reads a folder of "
                        "GeoParquet files; on one machine give the file)"
                    )
                result = run_parcels(path, out_dir, **job)
        if out_db is not None:
            frame = result.table.astype({"status": str, "method": str})
            rows = write_postgis(frame, str(path), out_db)
            click.echo(f"wrote {rows:,} rows to table {out_db}")
        click.echo(result.headline)
        click.echo(result.diagnosis)
        if len(result.field_checks):
            click.echo(f"三调 field checks: {len(result.field_checks):,} failing (see the summary)")
        for name in [
            *(f"{stem}_parcels{_suffix(t)}" for t in tables),
            *(f"{stem}_parcels_summary.{s}" for s in summaries),
        ]:
            click.echo(f"wrote {out_dir / name}")
        disagreeing += int(result.counts.get(str(FigureStatus.DISAGREES), 0))
    return disagreeing


def _suffix(fmt: str) -> str:
    from .parcels import TABLE_FORMATS

    return TABLE_FORMATS[fmt]
