"""``zonemap map FILE --area-field F``: the status map of a parcel layer (private to :mod:`zonemap.cli`).

A layer file (or PostGIS table) with ``--area-field`` and none of the registry options is
reconciled parcel by parcel, as ``zonemap reconcile`` does it (:func:`zonemap._cli_parcels.parcel_mode`
picks the same inputs), and drawn as one page of parcels coloured by status
(:func:`zonemap.maps.write_parcel_map`): 1e5 parcels within the map budget.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ._cli_parcels import output_stem, progress_bar, read_options
from .config import Config
from .errors import SchemaError
from .io import check_outputs
from .project import FileOptions
from .schema import TOWNS_FILE

__all__ = ["run_parcel_map"]

#: Above this many parcels the page is past the map budget (15 MB at 1e5): said, not refused.
_BUDGET_PARCELS = 100_000


def _town_name(config: Config, town: str | None) -> str:
    """The town as zonemap knows it (``塘厦镇``), for the page's title; an unknown name is refused with the closest."""
    if town is None:
        return ""
    from .towns import dongguan_towns, load_towns

    towns_file = config.geodata_dir / TOWNS_FILE
    registry = load_towns(towns_file).merged(dongguan_towns()) if towns_file.is_file() else dongguan_towns()
    return registry.resolve(town).name_zh


def run_parcel_map(
    sources: Sequence[Path | str], config: Config, file_opts: FileOptions, out_dir: Path, *, offline: bool, force: bool
) -> list[Path]:
    """Reconcile each layer parcel by parcel and write ``OUT/<name>.html``; returns the pages written.

    ``sources`` are paths, or PostGIS sources as written (``PG:...``, ``postgresql://...``).
    """
    from .maps import write_parcel_map
    from .parcels import read_parcels, reconcile_parcels

    town = _town_name(config, file_opts.town)
    stems = [output_stem(s, file_opts.table) for s in sources]
    if len(set(stems)) < len(stems):
        raise SchemaError(
            f"two inputs share the name {next(s for s in stems if stems.count(s) > 1)!r}: their maps would "
            "collide (fix: map them one at a time with different --out)"
        )
    pages = [out_dir / f"{stem}.html" for stem in stems]
    check_outputs(pages, [s for s in sources if isinstance(s, Path)], force=force)
    accuracy = file_opts.accuracy_m or 0.0
    for source, stem, page in zip(sources, stems, pages, strict=True):
        with progress_bar(sys.stderr.isatty()) as progress:
            # the WKB is only needed to buffer the outlines (--accuracy-m)
            layer = read_parcels(source, keep_geometry=accuracy > 0, progress=progress, **read_options(file_opts))
            result = reconcile_parcels(layer, accuracy_m=accuracy, progress=progress)
            title = f"{town} {stem}".strip()
            write_parcel_map(result, page, offline=offline, tianditu_key=config.tianditu_key, title=title)
        click.echo(result.headline)
        click.echo(result.diagnosis)
        if len(result.table) > _BUDGET_PARCELS:
            click.echo(
                f"note: {len(result.table):,} parcels: past the map budget of {_BUDGET_PARCELS:,} (15 MB); "
                "the page may open slowly on a phone (fix: map the layer in parts)",
                err=True,
            )
        click.echo(f"wrote {page} ({page.stat().st_size / 1e6:.1f} MB, {len(result.table):,} parcels)")
    return pages
