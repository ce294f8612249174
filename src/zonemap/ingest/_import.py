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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..config import Config, bundled_geodata_dir
from ..crs import DONGGUAN_CENTRE
from ..errors import CRSError, DataFileError, SchemaError
from ..io import atomic_write, load_reference_towns, to_feature_collection
from ..schema import IMPORT_LAYERS, Town
from ..towns import TownRegistry, dongguan_towns
from ._attrs import DEFAULT_KINDS, Mapping, check_mojibake, schema_frame, with_ids
from ._checks import DATUM_NOT_VERIFIED, CrsChoice, check_geographic, check_landing, choose_crs, convert
from ._datum import Border, coincidence_test, datum_test
from ._fix import check_geometries
from ._options import ImportOptions, ImportResult, _check_options, _registry
from ._raw import RawData, ReadOptions, default_max_bytes
from ._read import FORMATS, read_raw

__all__ = [
    "DATUM_NOT_VERIFIED",
    "DEFAULT_KINDS",
    "IMPORT_LAYERS",
    "default_max_bytes",
    "import_file",
    "resolve_town",
    "supported_suffixes",
]

log = logging.getLogger(__name__)


def supported_suffixes() -> tuple[str, ...]:
    """File suffixes :func:`import_file` reads."""
    return tuple(FORMATS)


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
    """Every outline the datum can be tested against, including the project's own accurate layers.

    The town and Dongguan (reference layers), Shenzhen (bundled), and the project's own zones and
    parcels of the town drawn to 50 m or better.

    Read once per file version (cached on path, mtime and size): the direct path of
    ``reconcile FILE...`` imports several files with the same outlines.
    """
    registry = _registry(towns, config)
    ref = config.reference_towns if config is not None else None
    outlines = list(_load_outlines(config, town, registry, _stamp(ref), _stamp(_shenzhen_file(config))))
    if config is not None:
        layers = [config.geodata_dir / town.id / f"{name}.geojson" for name in ("zones", "parcels")]
        outlines += _project_outlines(town, tuple(_stamp(p) for p in layers))
    return outlines


#: How the project's own layers are named among the datum references.
PROJECT_OUTLINE = "the project's"
#: Project features drawn at least this accurately are references for the datum test (sketches are not).
DATUM_REFERENCE_ACCURACY_M = 50.0


@functools.lru_cache(maxsize=8)
def _project_outlines(town: Town, stamps: tuple[object, ...]) -> tuple[tuple[str, Border], ...]:
    """The project's own accurate zones and parcels of the town (``accuracy_m`` <= 50 m, WGS84 by the schema)."""
    out = []
    for stamp in stamps:
        if stamp is None:
            continue
        path = Path(stamp[0])  # type: ignore[index]
        try:
            frame = gpd.read_file(path)
        except Exception:  # an unreadable project layer is validate's business, not the import's
            log.info("%s: not read as a datum reference", path)
            continue
        if "accuracy_m" not in frame.columns or not len(frame):
            continue
        acc = pd.to_numeric(frame["accuracy_m"], errors="coerce").to_numpy(dtype=float)
        geoms = np.asarray(frame.geometry.array, dtype=object)[acc <= DATUM_REFERENCE_ACCURACY_M]
        if len(geoms):
            out.append((f"{PROJECT_OUTLINE} {path.stem} of {town.name_zh}", Border.of(shapely.union_all(geoms))))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _load_outlines(
    config: Config | None, town: Town, registry: TownRegistry, ref_stamp: object, shenzhen_stamp: object
) -> tuple[tuple[str, Border], ...]:
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
        log.warning(
            "%s: no coordinate system stated; the numbers are lon/lat degrees, taken as WGS84 "
            "(pass --crs to say otherwise)",
            path,
        )
        choice = CrsChoice(CRS.from_epsg(4326), "assumed")
    return choice


def _to_wgs84(raw: RawData, choice: CrsChoice, path: Path, anchor: tuple[float, float]) -> np.ndarray:
    wgs = convert(raw.geoms, choice)
    if not choice.geographic:
        problems = check_landing(raw.geoms, wgs, choice, raw.labels, str(path), anchor)
        if problems:
            raise CRSError(f"{path}: coordinates do not fit {choice.label}", problems)
    return wgs


def _check_datum(
    wgs: np.ndarray, choice: CrsChoice, outlines: list[tuple[str, Border]], path: Path, raw: RawData
) -> list[str]:
    """Test the datum against every outline; raise on a GCJ-02/BD-09 finding, warn when nothing could test it."""
    if not choice.geographic or isinstance(choice.spec, str):
        return []
    tested = []
    for name, outline in outlines:
        test = coincidence_test if name.startswith(PROJECT_OUTLINE) else datum_test
        verdict, finding = test(wgs, outline)
        if finding is not None and choice.source == "--crs":
            text = f"{path}: {finding.message(name)}"
            log.warning("%s (kept, as --crs was given)", text)
            return [text]
        if finding is not None:
            raise CRSError(
                f"{path}: {finding.message(name)} (fix: pass --crs {finding.datum} to convert it, "
                "or --crs EPSG:4326 to import it as is)"
            )
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
    read_opts = ReadOptions(
        encoding=opts.encoding,
        layer_name=opts.layer_name,
        points=opts.layer == "places",
        max_bytes=opts.max_bytes,
        crs_given=opts.crs is not None,
    )
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
            text = to_feature_collection(frame.iloc[start : start + _WRITE_CHUNK])
            assert text.startswith(_HEAD) and text.endswith(_TAIL)
            if start:
                fh.write(",\n")
            fh.write(text[len(_HEAD) : -len(_TAIL)])
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
    mapping = Mapping(
        opts.layer,
        town.id,
        opts.kind,
        opts.accuracy_m,
        opts.id_column,
        opts.name_column,
        opts.parent,
        opts.parent_field,
    )
    frame, problems = schema_frame(raw, mapping, src, choice.label)
    checked = check_geometries(
        wgs, opts.layer, with_ids(raw.labels, frame["id"]), str(src), fix=opts.fix, closed_rings=raw.closed_rings
    )
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
