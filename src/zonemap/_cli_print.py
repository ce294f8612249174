"""``zonemap print``: static maps for reports and meetings (private to :mod:`zonemap.cli`)."""

from __future__ import annotations

from pathlib import Path

import click

from ._options import (
    command_inputs,
    config_options,
    file_options,
    force_option,
    out_dir_option,
    project_for,
    ring_options,
    sources_argument,
)
from .config import Config
from .io import check_outputs
from .project import FileOptions

__all__ = ["print_command"]


@click.command("print")
@sources_argument
@config_options
@file_options
@ring_options
@out_dir_option(Path("maps"))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["png", "pdf"]),
    default="pdf",
    show_default=True,
    help="PDF (vector) or PNG (raster at --dpi).",
)
@click.option(
    "--size",
    type=click.Choice(["A4", "A3"], case_sensitive=False),
    default="A4",
    show_default=True,
    help="Landscape page size.",
)
@click.option("--dpi", type=click.IntRange(50, 1200), default=200, show_default=True, help="PNG resolution.")
@click.option("--title", default=None, help="Page title (default: the town's Chinese and English names).")
@click.option("--basemap", is_flag=True, help="OpenStreetMap tiles under the data when contextily can fetch them.")
@force_option
def print_command(
    sources: tuple[str, ...],
    config: Config,
    file_opts: FileOptions,
    out_dir: Path,
    fmt: str,
    size: str,
    dpi: int,
    title: str | None,
    basemap: bool,
    force: bool,
) -> None:
    """Print each town's map (or the layer files') to OUT/<name>.pdf|png (needs: pip install -e ".[print]")."""
    from .printing import print_map
    from .reconcile import reconcile_project
    from .report import figures_for_maps

    project, towns = project_for(sources, config, file_opts)
    names = {t: Path(str(sources[0])).stem if project.from_files else t for t in towns}
    outs = {t: out_dir / f"{names[t]}.{fmt}" for t in towns}
    check_outputs(list(outs.values()), command_inputs(project), force=force)
    recon = figures_for_maps(reconcile_project(project, towns)) if len(project.figures) else None
    for town in towns:
        page = print_map(
            project,
            town,
            outs[town],
            fmt="png" if fmt == "png" else "pdf",
            size="A3" if size.upper() == "A3" else "A4",
            dpi=dpi,
            title=title,
            reconciliation=recon,
            basemap=basemap,
        )
        click.echo(f"wrote {page}")
