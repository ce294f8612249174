"""Options shared by the ``zonemap`` commands, each defined once (private to :mod:`zonemap.cli`).

As rasterio's ``rio/options.py``: a decorator per group of options, so ``--town``, ``--crs``,
``--encoding``, ``--out`` and the rest mean the same thing in every command.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from .config import REFERENCE_ENV, Config, default_config
from .errors import SchemaError
from .project import FileOptions, Project, load_files, load_project
from .schema import IMPORT_LAYERS

__all__ = [
    "basemap_options",
    "command_inputs",
    "config_options",
    "csv_encoding_option",
    "engine_options",
    "file_options",
    "force_option",
    "out_dir_option",
    "project_for",
    "ring_options",
    "sources_argument",
    "split_sources",
    "strict_option",
]

F = TypeVar("F", bound=Callable[..., Any])


def config_options(func: F) -> F:
    """Add ``--geodata``, ``--reference-dir`` and ``--about-tol``; pass a built ``config``."""

    @click.option(
        "--geodata",
        "geodata_dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Project directory (towns.csv, <town>/*.geojson, figures.csv, rings.json; default: the bundled geodata/).",
    )
    @click.option(
        "--reference-dir",
        type=click.Path(path_type=Path),
        default=None,
        help=f"Reference layers directory (default: ${REFERENCE_ENV}; optional).",
    )
    @click.option(
        "--about-tol",
        type=float,
        default=0.05,
        show_default=True,
        help="Relative tolerance added to figures qualified 约 (about).",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any, geodata_dir: Path | None, reference_dir: Path | None, about_tol: float, **kwargs: Any
    ) -> Any:
        config = default_config(geodata_dir, reference_dir, about_rel_tol=about_tol)
        return func(*args, config=config, **kwargs)

    return wrapper  # type: ignore[return-value]


def _into_config(field: str, option: Callable[[F], F], convert: Callable[[Any], Any]) -> Callable[[F], F]:
    """A click option whose value becomes ``Config.<field>`` (after :func:`config_options`), not an argument."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, config: Config, **kwargs: Any) -> Any:
            value = convert(kwargs.pop(field))
            return func(*args, config=dataclasses.replace(config, **{field: value}), **kwargs)

        return option(wrapper)  # type: ignore[arg-type]

    return decorate


#: ``--tianditu-key`` (or ``ZONEMAP_TIANDITU_KEY``): 天地图 base maps on the pages.
basemap_options = _into_config(
    "tianditu_key",
    click.option(
        "--tianditu-key",
        envvar="ZONEMAP_TIANDITU_KEY",
        default=None,
        metavar="KEY",
        help="天地图 Tianditu browser key (浏览器端, 32 hex digits): adds its vector and imagery base maps.",
    ),
    lambda value: value or None,
)

#: ``--csv-encoding``: the CSV reports' encoding.
csv_encoding_option = _into_config(
    "csv_encoding",
    click.option(
        "--csv-encoding",
        type=click.Choice(["utf-8-sig", "gbk", "gb18030"], case_sensitive=False),
        default="utf-8-sig",
        show_default=True,
        help="CSV encoding: UTF-8 with BOM (Excel on Chinese Windows opens it), or GBK/GB18030 for old Excel.",
    ),
    lambda value: str(value).lower(),
)


def out_dir_option(default: Path | None = Path("maps"), help: str = "Output directory.") -> Callable[[F], F]:
    """``--out DIR``: where a command writes its files."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(path_type=Path),
        default=default,
        show_default=default is not None,
        help=help,
    )


def engine_options(func: F) -> F:
    """``--engine``, ``--scheduler``, ``--workers``, ``--worker-memory``: where parcel-by-parcel work runs."""
    func = click.option(
        "--worker-memory",
        default="2GiB",
        show_default=True,
        metavar="SIZE",
        help="Memory limit per local dask worker (e.g. 2GiB); a worker holds one partition at a time.",
    )(func)
    func = click.option(
        "--workers", type=click.IntRange(1, 512), default=None, help="Local dask workers (default: one per core)."
    )(func)
    func = click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="A running dask scheduler (tcp://host:8786) instead of a local cluster; the output folder must be "
        "on storage its workers share.",
    )(func)
    return click.option(
        "--engine",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="local: this process; dask: a partitioned GeoParquet dataset on a dask.distributed cluster "
        '(pip install -e ".[dask]").',
    )(func)


def force_option(func: F) -> F:
    """``--force``: replace read-only output files (outputs that are inputs are refused all the same)."""
    return click.option("--force", is_flag=True, help="Replace read-only output files.")(func)


def strict_option(func: F) -> F:
    """``--strict``: exit 1 when a figure disagrees or a check fails."""
    return click.option("--strict", is_flag=True, help="Exit 1 when any figure disagrees or a check fails.")(func)


def _lonlat(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lon, lat = (float(v) for v in value.replace("，", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not LON,LAT (e.g. 114.12,22.69)") from None
    return (lon, lat)


def _bands(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[tuple[float, float], ...] | None:
    from .rings import parse_bands

    return None if value is None else parse_bands(value)


_FILE_OPTIONS: Sequence[Callable[[F], F]] = (
    click.option(
        "--town", default=None, help="Town of the data: id, full, short or pinyin name (塘厦镇, 塘厦, tangxia)."
    ),
    click.option(
        "--layer",
        "layer",
        type=click.Choice([x for x in IMPORT_LAYERS if x != "places"]),
        default="parcels",
        show_default=True,
        help="Layer the file's polygons form.",
    ),
    click.option(
        "--crs", default=None, help="Coordinate system of the data: EPSG code (4547, EPSG:4526...), gcj02, bd09."
    ),
    click.option("--encoding", default=None, help="Attribute text encoding, e.g. GBK (default: .cpg or UTF-8)."),
    click.option("--layer-name", default=None, help="Layer inside a GeoPackage or KML; CAD layer of a DXF."),
    click.option(
        "--table",
        default=None,
        metavar="[SCHEMA.]TABLE[(GEOM)]",
        help='Table of a PostGIS source (postgresql://...; PG:"... tables=..." may name it itself).',
    ),
    click.option(
        "--id-field",
        default=None,
        help="Attribute holding feature ids (default: detected: id, 地块编号, 编号, DKBH, BSM...).",
    ),
    click.option("--name-field", default=None, help="Attribute holding the Chinese name (default: detected)."),
    click.option(
        "--accuracy-m",
        type=float,
        default=None,
        help="Positional accuracy of the geometry in metres (default 10; an --area-field is compared "
        "arithmetically unless this is given).",
    ),
    click.option("--fix", is_flag=True, help="Repair geometry (make_valid, close rings, drop empty parts); logged."),
    click.option("--swap-xy", is_flag=True, help="Swap the two coordinates (for lat/lon-ordered sources)."),
    click.option("--parent", default=None, help="Zone id every feature belongs to (parcel-in-zone checks)."),
    click.option("--parent-field", default=None, help="Attribute holding each feature's zone id."),
    click.option(
        "--figures",
        type=click.Path(path_type=Path),
        default=None,
        help="Stated figures table (registry columns; CSV in UTF-8/GBK, or XLSX).",
    ),
    click.option(
        "--area-field",
        default=None,
        help="Attribute holding each feature's stated area (面积亩, TBMJ...; unit from its name).",
    ),
    click.option(
        "--area-unit", default=None, help="Unit of --area-field when its name does not say (亩, 公顷, m2...)."
    ),
    click.option(
        "--outline",
        type=click.Path(path_type=Path),
        default=None,
        help="Polygon file outlining the town (default: its reference-layer outline, matched by name).",
    ),
    click.option(
        "--area-decimals",
        type=int,
        default=None,
        help="Decimals --area-field values were rounded to (default: the field's declared decimals).",
    ),
)


def file_options(func: F) -> F:
    """Add the options for reading a planner's files directly; pass them as ``file_opts``."""
    names = (
        "town",
        "layer",
        "crs",
        "encoding",
        "layer_name",
        "id_field",
        "name_field",
        "accuracy_m",
        "fix",
        "swap_xy",
        "parent",
        "parent_field",
        "figures",
        "area_field",
        "area_unit",
        "area_decimals",
        "outline",
        "table",
    )

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {n: kwargs.pop(n) for n in names}
        extra = {k: kwargs.pop(k) for k in ("centre", "centre_feature", "bands_km") if k in kwargs}
        return func(*args, file_opts=FileOptions(**values, **extra), **kwargs)

    out: Callable[..., Any] = wrapper
    for option in reversed(_FILE_OPTIONS):
        out = option(out)
    return out  # type: ignore[return-value]


def ring_options(func: F) -> F:
    """``--centre LON,LAT``, ``--centre-feature ID`` and ``--bands 0.5-1,1-2,2-3`` (km)."""
    func = click.option(
        "--bands",
        "bands_km",
        callback=_bands,
        default=None,
        help="Bands in km, e.g. 0.5-1,1-2,2-3 (around --centre; else from the Shenzhen boundary).",
    )(func)
    func = click.option("--centre-feature", default=None, help="Rings around this feature of the layer.")(func)
    return click.option(
        "--centre",
        callback=_lonlat,
        default=None,
        metavar="LON,LAT",
        help="Rings around this WGS84 point, e.g. 114.12,22.69.",
    )(func)


#: The positional sources of reconcile, map, rings and print: town names or layer files.
sources_argument = click.argument("sources", nargs=-1, metavar="[TOWN|PATH]...")


def command_inputs(project: Project) -> list[Path | None]:
    """What a command reads: the project's files, its directory and the reference directory (never an output)."""
    return [*project.inputs, None if project.from_files else project.config.geodata_dir, project.config.reference_dir]


def split_sources(sources: Sequence[str]) -> tuple[list[str], list[Path]]:
    """Separate town names from layer files: an existing path, or one with a file suffix, is a file."""
    towns: list[str] = []
    files: list[Path] = []
    from .ingest import is_postgis_source

    for s in sources:
        p = Path(s)
        if is_postgis_source(s) or p.exists() or p.suffix:
            files.append(p)
        else:
            towns.append(s)
    if towns and files:
        raise SchemaError(
            f"give town names ({', '.join(towns)}) or layer files ({', '.join(map(str, files))}), "
            "not both (fix: run the command once for each)"
        )
    return towns, files


def project_for(sources: Sequence[str], config: Config, file_opts: FileOptions) -> tuple[Project, tuple[str, ...]]:
    """The project a command works on: layer files read directly, or (town names / nothing) the project dir.

    Returns
    -------
    tuple
        The project and the town ids to work on.
    """
    towns, files = split_sources(sources)
    if files:
        project = load_files(files, file_opts, config)
        return project, project.town_ids
    used = [
        f"--{n.replace('_', '-')}"
        for n in ("figures", "area_field", "crs", "encoding", "parent")
        if getattr(file_opts, n) not in (None, False)
    ]
    if used:
        raise SchemaError(
            f"{', '.join(used)} apply to layer files (fix: name the file, e.g. "
            f"zonemap reconcile parcels.shp {used[0]} ...)"
        )
    if file_opts.town:
        towns.append(file_opts.town)
    project = load_project(config, towns, outline=file_opts.outline)
    return project, project.resolve_towns(towns)
