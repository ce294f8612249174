"""Import a planner's own data: any common format and coordinate system -> zonemap GeoJSON.

:func:`import_file` reads GeoJSON, GeoPackage, Shapefile (honouring ``.cpg``, or an
``encoding`` override such as GBK), KML, DXF (closed polylines become polygons, points and
block insertions become points) and CSV (lon/lat columns, also 经度/纬度, or a WKT column).
GeoParquet (``.parquet``, ``.geoparquet``, CRS from its metadata) is read too. It then

1. picks the coordinate system: ``crs`` when given (any EPSG code, WKT, ``gcj02``, ``bd09``),
   else what the file declares (``.prj``, GeoPackage SRS, GeoJSON ``crs`` member), else what
   the format implies (RFC 7946 GeoJSON and KML are WGS84), else WGS84 when the numbers are
   plausible degrees;
2. checks the numbers are plausible for it (swapped axes, metres taken as degrees with the
   ``--crs`` that fits, points outside China) and, with a reference town outline, whether
   the data looks traced on AMap (GCJ-02) or Baidu (BD-09): every outline at hand is tried
   (the town's and Dongguan's from the reference layers, Shenzhen's bundled one); data near
   none of them gets the warning :data:`DATUM_NOT_VERIFIED`, and so does a CSV of lon/lat
   columns without ``crs``;
3. converts to WGS84 and checks the geometry (repairing it only when ``fix`` is set);
4. maps attributes to the feature schema (id, name_zh, name_en, kind, town,
   geometry_source, accuracy_m and optional parent/status/notes) and keeps every attribute
   column of the file under its own name (see :mod:`zonemap.ingest._attrs` for ids and for
   columns named like a schema property whose values do not fit it: kept as ``<name>_src``),
   checks the properties column-wise and, when ``out`` is given, writes RFC 7946 GeoJSON
   atomically.

The input is only read. Every problem is reported at once, naming the file, the feature
and a fix.

``accuracy_m`` defaults to :data:`DEFAULT_ACCURACY_M` (10 m): a careful trace on a web map
or satellite image at street zoom (1 px ~ 1-2 m, edges a few px off, imagery offsets of a
few metres). Pass ``accuracy_m`` for better data (surveyed CAD: 1 m) or worse (sketches:
hundreds of metres); a column named ``accuracy_m`` in the file wins per feature.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from ..config import Config, bundled_geodata_dir
from ..crs import DONGGUAN_CENTRE, parse_crs
from ..errors import CRSError, DataFileError, MissingFileError, SchemaError, ZonemapError
from ..io import atomic_write, load_reference_towns, to_feature_collection
from ..schema import IMPORT_LAYERS, LAYERS, TOWNS_FILE, Town
from ..towns import TownRegistry, dongguan_towns, load_towns
from ._attrs import DEFAULT_KINDS, Mapping, check_mojibake, schema_frame, with_ids
from ._checks import (
    DATUM_NOT_VERIFIED,
    Border,
    CrsChoice,
    check_geographic,
    check_landing,
    choose_crs,
    convert,
    datum_test,
)
from ._fix import check_geometries
from ._read import FORMATS, RawData, ReadOptions, dbf_decimals, default_max_bytes, read_raw

__all__ = [
    "DATUM_NOT_VERIFIED",
    "DEFAULT_ACCURACY_M",
    "DEFAULT_KINDS",
    "IMPORT_LAYERS",
    "ImportOptions",
    "ImportResult",
    "default_max_bytes",
    "field_decimals",
    "import_file",
    "resolve_town",
    "supported_suffixes",
]

log = logging.getLogger(__name__)

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


def supported_suffixes() -> tuple[str, ...]:
    """File suffixes :func:`import_file` reads."""
    return tuple(FORMATS)


def _registry(towns: TownRegistry | None, config: Config | None) -> TownRegistry:
    if towns is not None:
        return towns
    dongguan = dongguan_towns()
    if config is not None and (config.geodata_dir / TOWNS_FILE).is_file():
        return load_towns(config.geodata_dir / TOWNS_FILE).merged(dongguan)
    return dongguan


def resolve_town(town: str, towns: TownRegistry | None = None) -> str:
    """Return the town id for an id or a name (凤岗镇, 凤岗, Fenggang, fenggang).

    Parameters
    ----------
    town
        As typed.
    towns
        The towns to search (default: Dongguan's town list).

    Raises
    ------
    SchemaError
        For a town they do not hold, with the closest names.
    """
    return (towns or dongguan_towns()).resolve(town).id


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
        return (f"kind {opts.kind!r} does not belong in layer {opts.layer!r} "
                f"(fix: --kind one of {', '.join(sorted(LAYERS[opts.layer].kinds))})")
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
        raise DataFileError(f"{path}: is a directory, not a layer file (fix: pass one file inside it{example}; "
                            "a Shapefile is given by its .shp)")
    if not path.is_file():
        raise MissingFileError(f"{path}: file not found (fix: check the path)")
    if out is not None and out.resolve() == path.resolve():
        raise DataFileError(f"{out}: the output would overwrite the input (fix: choose another --out)")
    return town


def _anchor(outline: shapely.Geometry | None) -> tuple[float, float]:
    if outline is None:
        return DONGGUAN_CENTRE
    c = outline.representative_point()
    return (c.x, c.y)


def _stamp(path: Path | None) -> tuple[str, int, int] | None:
    """A file's identity for caching: path, modification time and size (``None`` if absent)."""
    if path is None or not path.is_file():
        return None
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size)


def _outlines(config: Config | None, town: Town, towns: TownRegistry | None) -> list[tuple[str, Border]]:
    """Every outline the datum can be tested against: the town, Dongguan (reference layers), Shenzhen.

    Read once per file version (cached on path, mtime and size): the direct path of
    ``reconcile FILE...`` imports several files with the same outlines.
    """
    registry = _registry(towns, config)
    ref = config.reference_towns if config is not None else None
    return list(_load_outlines(config, town, registry, _stamp(ref), _stamp(_shenzhen_file(config))))


@functools.lru_cache(maxsize=8)
def _load_outlines(config: Config | None, town: Town, registry: TownRegistry, ref_stamp: object,
                   shenzhen_stamp: object) -> tuple[tuple[str, Border], ...]:
    del ref_stamp  # part of the cache key only
    out = []
    ref = load_reference_towns(config, registry) if config is not None else None
    if ref is not None and len(ref):
        rows = ref[ref["town"] == town.id]
        if len(rows):
            out.append((town.name_zh, Border.of(shapely.union_all(np.asarray(rows.geometry.array)))))
        out.append(("Dongguan (东莞市)", Border.of(shapely.union_all(np.asarray(ref.geometry.array)))))
    if shenzhen_stamp is not None:
        from ..shenzhen import CITY_ID, read_shenzhen

        frame = read_shenzhen(Path(shenzhen_stamp[0]))  # type: ignore[index]
        city = frame[frame["id"] == CITY_ID]
        if len(city):
            out.append(("Shenzhen (深圳市)", Border.of(city.geometry.iloc[0])))
    return tuple(out)


def _shenzhen_file(config: Config | None) -> Path | None:
    """The project's Shenzhen outline file, else the bundled one."""
    for root in ([config.geodata_dir] if config is not None else []) + [bundled_geodata_dir()]:
        path = root / "shenzhen" / "shenzhen.geojson"
        if path.is_file():
            return path
    return None


def _place_crs(raw: RawData, opts: ImportOptions, path: Path, anchor: tuple[float, float]) -> CrsChoice:
    """Choose the CRS and check the raw numbers against it; raise on implausible data."""
    choice = choose_crs(opts.crs, raw.crs, raw.crs_source)
    if choice is None or choice.geographic:
        problems = check_geographic(raw.geoms, choice, raw.labels, str(path), anchor)
        if problems:
            raise CRSError(f"{path}: coordinates do not fit {choice.label if choice else 'any stated CRS'}", problems)
    if choice is None:
        log.warning("%s: no coordinate system stated; the numbers are lon/lat degrees, taken as WGS84 "
                    "(pass --crs to say otherwise)", path)
        choice = CrsChoice(CRS.from_epsg(4326), "assumed")
    return choice


def _to_wgs84(raw: RawData, choice: CrsChoice, path: Path, anchor: tuple[float, float]) -> np.ndarray:
    wgs = convert(raw.geoms, choice)
    if not choice.geographic:
        problems = check_landing(raw.geoms, wgs, choice, raw.labels, str(path), anchor)
        if problems:
            raise CRSError(f"{path}: coordinates do not fit {choice.label}", problems)
    return wgs


def _check_datum(wgs: np.ndarray, choice: CrsChoice, outlines: list[tuple[str, Border]], path: Path,
                 raw: RawData) -> list[str]:
    """Test the datum against every outline; raise on a GCJ-02/BD-09 finding, warn when nothing could test it."""
    if not choice.geographic or isinstance(choice.spec, str):
        return []
    tested = []
    for name, outline in outlines:
        verdict, finding = datum_test(wgs, outline)
        if finding is not None and choice.source == "--crs":
            text = f"{path}: {finding.message(name)}"
            log.warning("%s (kept, as --crs was given)", text)
            return [text]
        if finding is not None:
            raise CRSError(f"{path}: {finding.message(name)} (fix: pass --crs {finding.datum} to convert it, "
                           "or --crs EPSG:4326 to import it as is)")
        if verdict == "wgs84":
            tested.append(name)
    if choice.source == "--crs":
        return []
    if tested and raw.lonlat_columns is None:
        log.info("%s: datum checked: the features follow the border of %s as WGS84", path, ", ".join(tested))
        return []
    log.warning("%s: %s", path, DATUM_NOT_VERIFIED)
    return [f"{path}: {DATUM_NOT_VERIFIED}"]


def _read(path: Path, opts: ImportOptions) -> tuple[str, RawData]:
    read_opts = ReadOptions(encoding=opts.encoding, layer_name=opts.layer_name,
                            points=opts.layer == "places", max_bytes=opts.max_bytes, crs_given=opts.crs is not None)
    fmt, raw = read_raw(path, read_opts)
    if not raw.labels:
        raise DataFileError(f"{path}: no features to import (fix: check the file, or --layer-name)")
    if opts.swap_xy:
        raw.geoms = shapely.transform(raw.geoms, lambda c: c[:, ::-1])
    if fmt == "Shapefile" and opts.encoding is None:
        check_mojibake(raw, path)
    return fmt, raw


#: Features encoded at a time when writing: the output text is never held whole in memory.
_WRITE_CHUNK = 5_000
_HEAD = '{"type":"FeatureCollection","features":[\n'
_TAIL = "\n]}\n"


def _write_layer(frame: gpd.GeoDataFrame, dest: Path) -> None:
    """Write ``frame`` as :func:`zonemap.io.to_feature_collection` does, atomically, a chunk of features at a time."""
    with atomic_write(dest) as fh:
        fh.write(_HEAD)
        for start in range(0, len(frame), _WRITE_CHUNK):
            text = to_feature_collection(frame.iloc[start:start + _WRITE_CHUNK])
            assert text.startswith(_HEAD) and text.endswith(_TAIL)
            if start:
                fh.write(",\n")
            fh.write(text[len(_HEAD):-len(_TAIL)])
        fh.write(_TAIL)


def import_file(
    path: Path | str, opts: ImportOptions, *, config: Config | None = None, out: Path | str | None = None
) -> ImportResult:
    """Import a planner's file into a zonemap layer (see the module docstring).

    Parameters
    ----------
    path
        The input file (``.geojson``, ``.json``, ``.gpkg``, ``.shp``, ``.kml``, ``.dxf``, ``.csv``).
    opts
        Target layer, town and reading options.
    config
        Supplies the reference town outline for the GCJ-02/BD-09 check (optional).
    out
        Where to write the GeoJSON (atomically); nothing is written when ``None``.

    Returns
    -------
    ImportResult
        The features, the CRS used, the change log and warnings.

    Raises
    ------
    ZonemapError
        ``DataFileError`` (unreadable), ``CRSError`` (implausible coordinates, with the
        ``--crs`` that fits), ``SchemaError`` (attributes or geometry), each naming the
        file, the feature and a fix.
    """
    src = Path(path)
    dest = Path(out) if out is not None else None
    town = _check_options(opts, src, dest, config)
    fmt, raw = _read(src, opts)
    outlines = _outlines(config, town, opts.towns)
    anchor = _anchor(outlines[0][1].boundary if outlines and outlines[0][0] == town.name_zh else None)
    choice = _place_crs(raw, opts, src, anchor)
    wgs = _to_wgs84(raw, choice, src, anchor)
    raw.geoms = wgs  # the source-CRS geometries are not needed any more: free them
    warnings = _check_datum(wgs, choice, outlines, src, raw)
    mapping = Mapping(opts.layer, town.id, opts.kind, opts.accuracy_m, opts.id_column, opts.name_column,
                      opts.parent, opts.parent_field)
    frame, problems = schema_frame(raw, mapping, src, choice.label)
    checked = check_geometries(wgs, opts.layer, with_ids(raw.labels, frame["id"]), str(src), fix=opts.fix,
                               closed_rings=raw.closed_rings)
    problems += checked.problems
    if problems:
        raise SchemaError(f"{src}: {len(problems)} problem(s) importing into {opts.layer!r}", problems)
    del wgs
    raw.geoms = checked.geoms
    frame = frame.set_geometry(list(checked.geoms), crs="EPSG:4326")
    for line in checked.changes:
        log.info("%s: %s", src, line)
    if dest is not None:
        _write_layer(frame, dest)
        log.info("%s: wrote %d feature(s) to %s", src, len(frame), dest)
    decimals = {k: v for k, v in raw.field_decimals.items() if k in frame.columns}
    return ImportResult(frame, fmt, choice.label, tuple(checked.changes), tuple(warnings), dest, decimals)
