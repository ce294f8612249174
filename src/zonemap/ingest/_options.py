"""What ``zonemap import`` takes and returns: the import options (checked up front) and the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from ..config import Config
from ..crs import parse_crs
from ..errors import DataFileError, MissingFileError, SchemaError, ZonemapError
from ..schema import IMPORT_LAYERS, LAYERS, TOWNS_FILE, Town
from ..towns import TownRegistry, dongguan_towns, load_towns
from ._attrs import DEFAULT_KINDS
from ._raw import default_max_bytes
from ._read import FORMATS, dbf_decimals

__all__ = ["DEFAULT_ACCURACY_M", "ImportOptions", "ImportResult", "field_decimals"]


#: accuracy_m given to imported features when neither the file nor the caller says.
DEFAULT_ACCURACY_M = 10.0


@dataclass(frozen=True)
class ImportOptions:
    """How to read and map one file (the CLI options of ``zonemap import``).

    Parameters
    ----------
    layer
        Target layer: ``zones``, ``parcels`` or ``places``.
    town
        Town id or name (``fenggang``, ``凤岗镇``).
    crs
        The data's coordinate system when the file does not say, or says wrongly.
    id_column, name_column
        Columns for ``id`` and ``name_zh``; ids are numbered and names detected when omitted.
    kind
        Kind for every feature (default from :data:`DEFAULT_KINDS`).
    encoding
        Text encoding of attributes (Shapefile without ``.cpg``, GBK CSV or GeoJSON).
    layer_name
        Layer inside a GeoPackage/KML, or CAD layer of a DXF.
    accuracy_m
        Positional accuracy of the features, metres.
    fix
        Repair geometry (logged) instead of refusing it.
    swap_xy
        Swap the two coordinates of every point (for lat/lon-ordered sources).
    max_bytes
        Refuse larger input files (default :func:`default_max_bytes`: a sixth of the memory).
    parent
        ``parent`` (the zone id) of every feature.
    parent_field
        Column holding each feature's ``parent``.
    towns
        The towns ``town`` is resolved against (default: the project's ``towns.csv`` when
        ``config`` is given, then Dongguan's town list).
    """

    layer: str
    town: str
    crs: str | None = None
    id_column: str | None = None
    name_column: str | None = None
    kind: str | None = None
    encoding: str | None = None
    layer_name: str | None = None
    accuracy_m: float = DEFAULT_ACCURACY_M
    fix: bool = False
    swap_xy: bool = False
    max_bytes: int = field(default_factory=default_max_bytes)
    parent: str | None = None
    parent_field: str | None = None
    towns: TownRegistry | None = None


@dataclass(frozen=True)
class ImportResult:
    """What an import produced.

    Parameters
    ----------
    features
        The features in the geodata schema, EPSG:4326, as written.
    source_format
        ``GeoJSON``, ``Shapefile``...
    crs_label
        The coordinate system the data was read in (``EPSG:4547``, ``gcj02``...).
    changes
        What was changed (repairs, normalisations), one line each.
    warnings
        Things worth a look that did not stop the import.
    out
        The written file, or ``None``.
    field_decimals
        Declared decimals of the file's numeric attribute columns, by column name (a
        Shapefile's DBF ``N(18,2)`` -> 2); empty for formats that declare none.
    """

    features: gpd.GeoDataFrame
    source_format: str
    crs_label: str
    changes: tuple[str, ...]
    warnings: tuple[str, ...]
    out: Path | None = None
    field_decimals: dict[str, int] = field(default_factory=dict)


def _registry(towns: TownRegistry | None, config: Config | None) -> TownRegistry:
    if towns is not None:
        return towns
    dongguan = dongguan_towns()
    if config is not None and (config.geodata_dir / TOWNS_FILE).is_file():
        return load_towns(config.geodata_dir / TOWNS_FILE).merged(dongguan)
    return dongguan


def field_decimals(path: Path | str, field: str, encoding: str | None = None) -> int | None:
    """The declared decimals of a Shapefile's numeric field (DBF ``N(18,2)`` -> 2).

    Parameters
    ----------
    path
        The ``.shp`` (or ``.dbf``); other formats declare no decimals.
    field
        The attribute column, as :func:`import_file` names it.
    encoding
        Encoding of the field names (default: the ``.cpg``, else UTF-8, else GBK).

    Returns
    -------
    int or None
        The decimals of an ``N`` / ``F`` field; ``None`` for other formats, other field types
        or a field the table does not have.
    """
    p = Path(path)
    if p.suffix.lower() not in (".shp", ".dbf"):
        return None
    dbf = p if p.suffix.lower() == ".dbf" else p.with_suffix(".dbf")
    cpg = dbf.with_suffix(".cpg")
    tried = [encoding] if encoding else ([cpg.read_text(errors="replace").strip()] if cpg.is_file() else [])
    tried += ["utf-8", "gbk"]
    for raw_name, decimals in dbf_decimals(dbf):
        for enc in tried:
            try:
                if raw_name.decode(enc) == field:
                    return decimals
            except (UnicodeDecodeError, LookupError):
                continue
    return None


def _option_problem(opts: ImportOptions) -> str | None:
    if opts.layer not in DEFAULT_KINDS:
        return f"cannot import into layer {opts.layer!r} (fix: --layer one of {', '.join(IMPORT_LAYERS)})"
    if opts.kind is not None and opts.kind not in LAYERS[opts.layer].kinds:
        return (
            f"kind {opts.kind!r} does not belong in layer {opts.layer!r} "
            f"(fix: --kind one of {', '.join(sorted(LAYERS[opts.layer].kinds))})"
        )
    if not opts.accuracy_m > 0:
        return f"accuracy_m must be positive, got {opts.accuracy_m} (fix: give metres, e.g. 10)"
    return None


def _check_options(opts: ImportOptions, path: Path, out: Path | None, config: Config | None) -> Town:
    """Check the options before reading anything; return the town id. Messages name the file."""
    problem = _option_problem(opts)
    if problem:
        raise SchemaError(f"{path}: {problem}")
    try:
        town = _registry(opts.towns, config).resolve(opts.town)
        if opts.crs is not None:
            parse_crs(opts.crs)
    except ZonemapError as exc:
        raise type(exc)(f"{path}: {exc}") from None
    if path.is_dir():
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in FORMATS)[:5]
        example = f" (here: {', '.join(inside)})" if inside else ""
        raise DataFileError(
            f"{path}: is a directory, not a layer file (fix: pass one file inside it{example}; "
            "a Shapefile is given by its .shp)"
        )
    if not path.is_file():
        raise MissingFileError(f"{path}: file not found (fix: check the path)")
    if out is not None and out.resolve() == path.resolve():
        raise DataFileError(f"{out}: the output would overwrite the input (fix: choose another --out)")
    return town
