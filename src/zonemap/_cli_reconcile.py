"""``zonemap reconcile``: stated figures against measured areas (private to :mod:`zonemap.cli`).

Towns of a project or layer files with figures get the registry reconciliation (figure rows,
part-whole rules, topology checks); a layer file with ``--area-field`` alone is reconciled parcel by
parcel (:mod:`zonemap._cli_parcels`).
"""

from __future__ import annotations

from pathlib import Path

import click

from ._cli_parcels import ParcelMode, parcel_mode, run_parcel_mode
from ._options import (
    command_inputs,
    config_options,
    csv_encoding_option,
    engine_options,
    file_options,
    force_option,
    out_dir_option,
    project_for,
    sources_argument,
    split_sources,
    strict_option,
)
from .config import Config
from .errors import CheckFailed, SchemaError
from .ingest import is_postgis_source
from .io import check_outputs
from .project import FileOptions

__all__ = ["reconcile_command"]


@click.command("reconcile")
@sources_argument
@config_options
@csv_encoding_option
@file_options
@click.option(
    "--format",
    "formats",
    default="",
    metavar="LIST",
    help="Reports to write, comma-separated: md,html,csv,json,xlsx (default: none, table only). Parcel by "
    "parcel (a layer file with --area-field): csv,parquet,gpkg tables and html,md,json summaries "
    "(default: csv,html,md,json).",
)
@out_dir_option(None, "Directory for the reports (default: maps).")
@engine_options
@click.option(
    "--out-db",
    default=None,
    metavar="TABLE",
    help="Also write the per-parcel results to this new table beside a PostGIS input (refused if it exists).",
)
@strict_option
@force_option
def reconcile_command(
    sources: tuple[str, ...],
    config: Config,
    file_opts: FileOptions,
    formats: str,
    out_dir: Path | None,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    worker_memory: str,
    out_db: str | None,
    strict: bool,
    force: bool,
) -> None:
    """Compare measured areas with stated figures.

    SOURCES are towns of the project (default: all) or layer files read directly, with
    their figures from --figures FILE and/or an area attribute (--area-field 面积亩).

    A layer file with --area-field (and no --figures, --parent or --outline) is reconciled
    parcel by parcel: three areas (geodesic, 三调 procedure, Gauss–Krüger plane), the method the
    stated areas match and a status per parcel, in OUT/<name>_parcels.csv|parquet|gpkg and a
    summary OUT/<name>_parcels_summary.html|md|json.
    """
    _towns, files = split_sources(sources)
    databases = [s for s in sources if is_postgis_source(s)]
    if parcel_mode(files, file_opts):
        mode = ParcelMode(engine, scheduler, workers, worker_memory)
        inputs = [s if is_postgis_source(s) else Path(s) for s in sources]
        disagreeing = run_parcel_mode(
            inputs, config, file_opts, formats, out_dir or config.output_dir, mode, force=force, out_db=out_db
        )
        if strict and disagreeing:
            raise CheckFailed(f"{disagreeing:,} parcel(s) disagree")
        return
    if databases or out_db:
        raise SchemaError(
            "PostGIS sources are reconciled parcel by parcel (fix: add --area-field FIELD, without --figures, "
            "--parent or --outline)"
        )
    if engine != "local":
        raise SchemaError(
            "--engine dask runs the parcel-by-parcel reconciliation (fix: a GeoParquet dataset with --area-field, "
            "without --figures/--parent/--outline)"
        )
    from rich.console import Console

    from .reconcile import reconcile_project
    from .report import parse_formats, report_paths, summary, terminal_tables, write_reports

    wanted = parse_formats(formats)
    project, towns = project_for(sources, config, file_opts)
    out = out_dir or config.output_dir
    check_outputs(report_paths(out, wanted).values(), command_inputs(project), force=force)
    for note in project.notes:
        click.echo(f"note: {note}", err=True)
    if not len(project.figures):
        click.echo(
            "note: no stated figures (fix: --figures FILE or --area-field NAME for a layer file; "
            "figures.csv in a project): only the checks run",
            err=True,
        )
    result = reconcile_project(project, towns)
    console = Console()
    for table in terminal_tables(result):
        console.print(table)
    for path in write_reports(result, out, wanted, csv_encoding=config.csv_encoding):
        click.echo(f"wrote {path}")
    click.echo(summary(result))
    if strict and result.n_failed:
        raise CheckFailed(f"{result.n_disagreeing} figure(s) disagree, {result.n_failed_checks} check(s) failed")
