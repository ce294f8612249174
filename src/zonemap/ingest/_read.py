"""Readers behind :mod:`zonemap.ingest` (private): one per input format, one result type.

Each reader returns a :class:`RawData`: the attribute table and geometries as read, the CRS
the file declares (or implies), and a label per feature for messages. Nothing is converted,
repaired or checked for plausibility here; readers only refuse what they cannot read, naming
the file and feature.

GeoJSON is read through GDAL (pyogrio, Arrow) after a streaming pre-scan of the raw bytes
(UTF-8, ``crs`` member, ``properties`` that are not objects, ``NaN`` / ``Infinity``, the
counts of ``"Feature"`` and ``"properties"``, which must equal the features GDAL read). Only a
file the pre-scan or GDAL finds fault with is decoded whole with :mod:`json`, the exact path
that names each malformed feature; a valid file never is, so peak memory stays a small
multiple of the file size. A malformed file larger than :func:`exact_path_limit` gets
file-level messages instead. Not caught on the GDAL path: a member of ``features`` that has
neither ``"type": "Feature"`` nor ``properties`` (a bare geometry, ``{}``): GDAL skips it.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import CRSError, DataFileError, Problem, SchemaError
from ._geojson import _read_geojson
from ._postgis import is_postgis_source, parse_source, read_postgis
from ._raw import DECLARED, IMPLIED, NONE, RawData, ReadOptions
from ._text_formats import _read_csv, _read_dxf

__all__ = [
    "FORMATS",
    "dbf_decimals",
    "read_raw",
]

log = logging.getLogger(__name__)


def _pick_layer(path: Path, opts: ReadOptions, driver: str) -> list[str]:
    import pyogrio

    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataFileError(f"{path}: cannot read as {driver}: {exc} (fix: check the file opens in QGIS)") from None
    if opts.layer_name is not None:
        if opts.layer_name not in layers:
            raise DataFileError(f"{path}: no layer {opts.layer_name!r} (fix: --layer-name one of {', '.join(layers)})")
        return [opts.layer_name]
    if driver == "GPKG" and len(layers) > 1:
        raise DataFileError(
            f"{path}: holds {len(layers)} layers ({', '.join(layers)}) (fix: choose one with --layer-name NAME)"
        )
    return layers


#: Presentation columns GDAL's LIBKML driver adds to every Placemark; not a planner's attributes.
_KML_STYLE_COLUMNS = (
    "timestamp",
    "begin",
    "end",
    "altitudeMode",
    "tessellate",
    "extrude",
    "visibility",
    "drawOrder",
    "icon",
)


def _read_ogr(path: Path, opts: ReadOptions, driver: str) -> RawData:
    frames = []
    for layer in _pick_layer(path, opts, driver):
        try:
            frames.append(gpd.read_file(path, layer=layer, engine="pyogrio", encoding=opts.encoding))
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataFileError(
                f"{path}: cannot decode attributes with encoding {opts.encoding!r}: {exc} "
                "(fix: pass the right --encoding, e.g. GBK or UTF-8)"
            ) from None
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise DataFileError(
                f"{path}: cannot read layer {layer!r} as {driver}: {exc} (fix: check the file opens in QGIS)"
            ) from None
    frames = [f for f in frames if len(f)] or frames[:1]
    crs = frames[0].crs if frames else None
    gdf = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    implied = driver in ("KML", "LIBKML")
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    decimals: dict[str, int] = {}
    if implied:
        attrs = attrs.drop(columns=[c for c in _KML_STYLE_COLUMNS if c in attrs.columns])
    if driver == "ESRI Shapefile":
        if crs is None:
            _check_prj(path, opts)
        by_position = dbf_decimals(path.with_suffix(".dbf"))
        if len(by_position) == len(attrs.columns):
            decimals = {str(c): d for c, (_, d) in zip(attrs.columns, by_position, strict=True) if d is not None}
    return RawData(
        attrs=attrs,
        geoms=np.asarray(gdf.geometry.array, dtype=object),
        labels=[f"feature #{i}" for i in range(len(gdf))],
        crs=CRS.from_epsg(4326) if implied else (CRS(crs) if crs is not None else None),
        crs_source=IMPLIED if implied else (DECLARED if crs is not None else NONE),
        field_decimals=decimals,
    )


def _sidecar(path: Path, suffix: str) -> Path | None:
    """A Shapefile's sidecar in any letter case (``.prj``, ``.PRJ``)."""
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _check_prj(path: Path, opts: ReadOptions) -> None:
    """A ``.prj`` GDAL could not read: refuse (or, with ``--crs``, say it is ignored)."""
    prj = _sidecar(path, ".prj")
    if prj is None:
        return
    text = prj.read_bytes()[:200].decode("utf-8", errors="replace").strip()
    shown = (text[:80] + "...") if len(text) > 80 else text
    if opts.crs_given:
        log.warning("%s: the coordinate system in %s is unreadable (%r); using --crs", path, prj.name, shown)
        return
    raise CRSError(
        f"{path}: {prj.name} does not describe a coordinate system ({shown!r}) (fix: pass the data's "
        "coordinate system with --crs CODE, e.g. --crs EPSG:4547, or replace the .prj with one saved "
        "by the GIS that made the file)"
    )


def dbf_decimals(dbf: Path) -> list[tuple[bytes, int | None]]:
    """The fields of a dBASE table in order: (raw name, declared decimals for N/F fields, else ``None``).

    Reads only the header (field descriptors: name, type, length, decimal count).

    Parameters
    ----------
    dbf
        The ``.dbf`` of a Shapefile.

    Returns
    -------
    list of (bytes, int or None)
        Empty when the file is missing or its header unreadable.
    """
    try:
        with dbf.open("rb") as fh:
            head = fh.read(32)
            if len(head) < 32:
                return []
            header_len = struct.unpack("<H", head[8:10])[0]
            descriptors = fh.read(max(0, header_len - 32))
    except OSError:
        return []
    out = []
    for at in range(0, len(descriptors) - 31, 32):
        desc = descriptors[at : at + 32]
        if desc[0] == 0x0D:
            break
        name = desc[:11].split(b"\0", 1)[0]
        kind = chr(desc[11])
        out.append((name, int(desc[17]) if kind in "NF" else None))
    return out


def _read_parquet(path: Path, opts: ReadOptions) -> RawData:
    try:
        gdf = gpd.read_parquet(path)
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        raise DataFileError(f"{path}: reading GeoParquet needs pyarrow (fix: pip install pyarrow)") from None
    except ValueError as exc:
        raise DataFileError(
            f"{path}: not GeoParquet: {exc} (fix: write it with geopandas.to_parquet or "
            "ogr2ogr -f Parquet, which add the 'geo' metadata)"
        ) from None
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise DataFileError(f"{path}: cannot read as GeoParquet: {exc} (fix: check the file opens in QGIS)") from None
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    return RawData(
        attrs=attrs,
        geoms=np.asarray(gdf.geometry.array, dtype=object),
        labels=[f"feature #{i}" for i in range(len(gdf))],
        crs=CRS(gdf.crs) if gdf.crs is not None else None,
        crs_source=DECLARED if gdf.crs is not None else NONE,
    )


#: Formats by file suffix: (name, reader).
FORMATS: dict[str, tuple[str, Callable[[Path, ReadOptions], RawData]]] = {
    ".geojson": ("GeoJSON", _read_geojson),
    ".json": ("GeoJSON", _read_geojson),
    ".gpkg": ("GeoPackage", lambda p, o: _read_ogr(p, o, "GPKG")),
    ".shp": ("Shapefile", lambda p, o: _read_ogr(p, o, "ESRI Shapefile")),
    ".kml": ("KML", lambda p, o: _read_ogr(p, o, "KML")),
    ".dxf": ("DXF", _read_dxf),
    ".csv": ("CSV", _read_csv),
    ".parquet": ("GeoParquet", _read_parquet),
    ".geoparquet": ("GeoParquet", _read_parquet),
}


def _size_check(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if path.suffix.lower() == ".shp" and (dbf := _sidecar(path, ".dbf")) is not None:
        size += dbf.stat().st_size
    if size > max_bytes:
        raise DataFileError(
            f"{path}: file is {size / 2**20:.3g} MiB, larger than the {max_bytes / 2**20:.3g} MiB import limit "
            "(fix: split the file, or raise the limit with --max-mb if the machine has the memory)"
        )


def read_raw(path: Path | str, opts: ReadOptions) -> tuple[str, RawData]:
    """Read any supported file into :class:`RawData`.

    Parameters
    ----------
    path
        The input file; its suffix picks the reader. A ``PG:...`` or ``postgresql://...`` source
        is read from PostGIS (``opts.table`` picks the table; see :mod:`zonemap.ingest._postgis`).
    opts
        Encoding, layer name, point or polygon entities, size limit.

    Returns
    -------
    tuple of (str, RawData)
        The format name and the features as read.

    Raises
    ------
    DataFileError, SchemaError, CRSError
        For unreadable files or features, naming file and feature.
    """
    if is_postgis_source(path):
        raw = read_postgis(str(path), opts)
        shown = parse_source(str(path)).shown
        _check_finite(raw, shown)
        log.info("%s: read %d feature(s) from PostGIS", shown, len(raw.labels))
        return "PostGIS", raw
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataFileError(
            f"{path}: unsupported format {suffix or '(no suffix)'!r} "
            f"(fix: convert to one of {', '.join(sorted(FORMATS))})"
        )
    _size_check(path, opts.max_bytes)
    name, reader = FORMATS[suffix]
    raw = reader(path, opts)
    _check_finite(raw, path)
    log.info("%s: read %d feature(s) as %s", path, len(raw.labels), name)
    return name, raw


def _check_finite(raw: RawData, path: Path | str) -> None:
    """Refuse NaN / infinite coordinates, naming each feature and the number."""
    first: dict[int, float] = {}
    step = 50_000  # features at a time: the coordinates are never all copied at once
    for start in range(0, len(raw.geoms), step):
        coords, owner = shapely.get_coordinates(raw.geoms[start : start + step], return_index=True)
        bad = ~np.isfinite(coords).all(axis=1)
        for i, xy in zip((owner[bad] + start).tolist(), coords[bad], strict=True):
            first.setdefault(i, xy[~np.isfinite(xy)][0])
    if not first:
        return
    problems = [
        Problem(
            str(path),
            raw.labels[i],
            f"coordinate {value} is not a finite number",
            "write every coordinate as a finite number (no NaN, Infinity or overflowing exponents)",
        )
        for i, value in first.items()
    ]
    raise SchemaError(f"{path}: {len(problems)} feature(s) with coordinates that are not numbers", problems[:100])
