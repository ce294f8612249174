"""Readers behind :mod:`zonemap.ingest` (private): one per input format, one result type.

Each reader returns a :class:`RawData`: the attribute table and geometries as read, the CRS
the file declares (or implies), and a label per feature for messages. Nothing is converted,
repaired or checked for plausibility here; readers only refuse what they cannot read, naming
the file and feature.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from .errors import CRSError, DataFileError, Problem, SchemaError
from .io import read_json

__all__ = ["FORMATS", "RawData", "ReadOptions", "read_raw"]

log = logging.getLogger(__name__)

#: CRS source words: the file names one, its format implies WGS84, or nothing says.
DECLARED, IMPLIED, NONE = "declared", "implied", "none"


@dataclass(frozen=True)
class ReadOptions:
    """What a reader needs to know beyond the path."""

    encoding: str | None = None
    layer_name: str | None = None
    points: bool = False
    max_bytes: int = 512 * 1024 * 1024


@dataclass
class RawData:
    """Features as read from a file, before any conversion.

    Parameters
    ----------
    attrs
        One row per feature, the file's own attribute columns.
    geoms
        Shapely geometries (``None`` where a feature has none), aligned with ``attrs``.
    labels
        How messages name each feature: ``"feature #3"``, ``"row 5"``, ``"entity #2 (LWPOLYLINE 2F)"``.
    crs
        The CRS the file declares or its format implies, or ``None``.
    crs_source
        ``"declared"`` (a .prj, a GeoPackage SRS, a GeoJSON ``crs`` member), ``"implied"``
        (RFC 7946 GeoJSON, KML, lon/lat-named CSV columns: WGS84) or ``"none"``.
    closed_rings
        Feature index -> number of polygon rings whose last point was missing (GeoJSON).
    """

    attrs: pd.DataFrame
    geoms: np.ndarray
    labels: list[str]
    crs: CRS | None
    crs_source: str
    closed_rings: dict[int, int] = field(default_factory=dict)


def _crs_member(data: dict[str, Any], path: Path) -> CRS | None:
    member = data.get("crs")
    if member is None:
        return None
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    try:
        return CRS.from_user_input(name)
    except (PyprojCRSError, TypeError):
        raise CRSError(
            f"{path}: unknown 'crs' member {member!r} (fix: remove it and give the CRS with --crs CODE)"
        ) from None


def _features_of(data: Any, path: Path) -> list[Any]:
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "FeatureCollection" and isinstance(data.get("features"), list):
        return list(data["features"])
    if kind == "Feature":
        return [data]
    if (isinstance(kind, str) and "coordinates" in data) or kind == "GeometryCollection":
        return [{"type": "Feature", "properties": {}, "geometry": data}]
    top = f"an object with type {kind!r}" if isinstance(data, dict) else f"a JSON {type(data).__name__}"
    raise DataFileError(
        f"{path}: not GeoJSON: the top level is {top} "
        '(fix: give a {"type": "FeatureCollection", "features": [...]} object)'
    )


def _close_ring(ring: Any) -> tuple[Any, int]:
    if isinstance(ring, list) and len(ring) >= 3 and isinstance(ring[0], list) and ring[0] != ring[-1]:
        return [*ring, ring[0]], 1
    return ring, 0


def _close_rings(geom: Any) -> tuple[Any, int]:
    """Append the missing closing point of polygon rings in a GeoJSON geometry object."""
    if not isinstance(geom, dict) or not isinstance(geom.get("coordinates"), list):
        return geom, 0
    if geom.get("type") == "Polygon":
        polys = [geom["coordinates"]]
    elif geom.get("type") == "MultiPolygon":
        polys = geom["coordinates"]
    else:
        return geom, 0
    count = 0
    fixed_polys = []
    for poly in polys:
        rings = []
        for ring in poly if isinstance(poly, list) else []:
            closed, n = _close_ring(ring)
            rings.append(closed)
            count += n
        fixed_polys.append(rings)
    coords = fixed_polys[0] if geom["type"] == "Polygon" else fixed_polys
    return {**geom, "coordinates": coords}, count


def _parse_one(raw: Any) -> tuple[shapely.Geometry | None, int, str]:
    """Parse a geometry that failed in bulk: retry with its rings closed; return (geometry, rings closed, error)."""
    fixed, n_closed = _close_rings(raw)
    try:
        geom = shapely.from_geojson(json.dumps(fixed))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        return None, 0, str(exc)
    return (geom, n_closed, "") if geom is not None else (None, 0, "not a GeoJSON geometry object")


def _parse_geojson_geoms(raw: list[Any], labels: list[str], path: Path) -> tuple[np.ndarray, dict[int, int]]:
    texts = [None if g is None else json.dumps(g) for g in raw]
    geoms = np.asarray(shapely.from_geojson(np.array(texts, dtype=object), on_invalid="ignore"), dtype=object)
    problems, closed = [], {}
    unread = np.array([t is not None for t in texts], dtype=bool) & shapely.is_missing(geoms)
    for i in np.flatnonzero(unread).tolist():
        geoms[i], n_closed, reason = _parse_one(raw[i])
        if n_closed:
            closed[i] = n_closed
        if reason:
            problems.append(Problem(str(path), labels[i], f"unreadable geometry: {reason}",
                                    "check the geometry type and the nesting of its coordinates"))
    if problems:
        raise SchemaError(f"{path}: {len(problems)} unreadable geometr{'y' if len(problems) == 1 else 'ies'}",
                          problems)
    return geoms, closed


def _read_geojson(path: Path, opts: ReadOptions) -> RawData:
    data = read_json(path, max_bytes=opts.max_bytes, encoding=opts.encoding or "utf-8-sig")
    features = _features_of(data, path)
    labels = [f"feature #{i}" for i in range(len(features))]
    bad = [Problem(str(path), labels[i], "not a GeoJSON Feature", 'give it "type": "Feature" and a "geometry"')
           for i, f in enumerate(features) if not isinstance(f, dict) or f.get("type") != "Feature"]
    if bad:
        raise SchemaError(f"{path}: {len(bad)} malformed feature(s)", bad)
    props = [f.get("properties") if isinstance(f.get("properties"), dict) else {} for f in features]
    geoms, closed = _parse_geojson_geoms([f.get("geometry") for f in features], labels, path)
    crs = _crs_member(data, path)
    return RawData(
        attrs=pd.DataFrame.from_records(props, index=range(len(props))) if props else pd.DataFrame(),
        geoms=geoms,
        labels=labels,
        crs=crs if crs is not None else CRS.from_epsg(4326),
        crs_source=DECLARED if crs is not None else IMPLIED,
        closed_rings=closed,
    )


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


def _read_ogr(path: Path, opts: ReadOptions, driver: str) -> RawData:
    frames = []
    for layer in _pick_layer(path, opts, driver):
        try:
            frames.append(gpd.read_file(path, layer=layer, engine="pyogrio", encoding=opts.encoding))
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataFileError(f"{path}: cannot decode attributes with encoding {opts.encoding!r}: {exc} "
                                "(fix: pass the right --encoding, e.g. GBK or UTF-8)") from None
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise DataFileError(f"{path}: cannot read layer {layer!r} as {driver}: {exc} "
                                "(fix: check the file opens in QGIS)") from None
    frames = [f for f in frames if len(f)] or frames[:1]
    crs = frames[0].crs if frames else None
    gdf = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    implied = driver in ("KML", "LIBKML")
    return RawData(
        attrs=pd.DataFrame(gdf.drop(columns=gdf.geometry.name)),
        geoms=np.asarray(gdf.geometry.array, dtype=object),
        labels=[f"feature #{i}" for i in range(len(gdf))],
        crs=CRS.from_epsg(4326) if implied else (CRS(crs) if crs is not None else None),
        crs_source=IMPLIED if implied else (DECLARED if crs is not None else NONE),
    )


_LON = ("lon", "lng", "long", "longitude", "经度", "东经", "x_lon")
_LAT = ("lat", "latitude", "纬度", "北纬", "y_lat")
_X, _Y = ("x", "easting", "东坐标"), ("y", "northing", "北坐标")
_WKT = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "坐标串")


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _read_table(path: Path, opts: ReadOptions) -> pd.DataFrame:
    encoding = opts.encoding or "utf-8-sig"
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not {encoding.removesuffix('-sig').upper()} text at byte {exc.start} "
                            "(fix: pass the file's encoding, e.g. --encoding GBK)") from None
    except LookupError:
        raise DataFileError(f"{path}: unknown encoding {encoding!r} (fix: e.g. --encoding GBK or UTF-8)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(f"{path}: not a readable CSV: {exc} (fix: repair the file)") from None


def _numbers(df: pd.DataFrame, col: str, path: Path, labels: list[str]) -> tuple[np.ndarray, list[Problem]]:
    text = df[col].str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    problems = [Problem(str(path), labels[i], f"{col} {text.iat[i]!r} is not a number",
                        "write plain decimal degrees, e.g. 114.1523")
                for i in np.flatnonzero(np.isnan(values)).tolist()]
    return values, problems


def _wkt_geoms(df: pd.DataFrame, col: str, path: Path, labels: list[str]) -> tuple[np.ndarray, list[Problem]]:
    text = df[col].str.strip().to_numpy(dtype=object)
    geoms = shapely.from_wkt(np.array([t or None for t in text], dtype=object), on_invalid="ignore")
    problems = []
    for i in np.flatnonzero(shapely.is_missing(geoms)).tolist():
        try:
            shapely.from_wkt(text[i] or "EMPTY")
            reason = "empty"
        except (shapely.errors.GEOSException, ValueError) as exc:
            reason = str(exc)
        problems.append(Problem(str(path), labels[i], f"unreadable WKT in column {col!r}: {reason}",
                                "write WKT such as POLYGON ((x1 y1, x2 y2, x3 y3, x1 y1)), first point repeated"))
    return np.asarray(geoms, dtype=object), problems


def _read_csv(path: Path, opts: ReadOptions) -> RawData:
    df = _read_table(path, opts)
    cols = list(df.columns)
    labels = [f"row {i + 2}" for i in range(len(df))]  # +2: header line, 1-based
    lon, lat = _find(cols, _LON), _find(cols, _LAT)
    x, y = _find(cols, _X), _find(cols, _Y)
    wkt = _find(cols, _WKT)
    if (lon and lat) or (x and y):
        xcol, ycol = (lon, lat) if lon and lat else (x, y)
        assert xcol is not None and ycol is not None
        xs, p1 = _numbers(df, xcol, path, labels)
        ys, p2 = _numbers(df, ycol, path, labels)
        problems, geoms, used = p1 + p2, shapely.points(xs, ys), [xcol, ycol]
    elif wkt:
        geoms, problems = _wkt_geoms(df, wkt, path, labels)
        used = [wkt]
    else:
        raise DataFileError(
            f"{path}: no coordinate columns among {', '.join(cols)} (fix: name them lon and lat "
            f"(or 经度 and 纬度, x and y), or put WKT geometry in a column named wkt)"
        )
    if problems:
        raise SchemaError(f"{path}: {len(problems)} row(s) without usable coordinates", problems)
    return RawData(
        attrs=df.drop(columns=used),
        geoms=np.asarray(geoms, dtype=object),
        labels=labels,
        crs=CRS.from_epsg(4326) if lon and lat and not wkt else None,
        crs_source=IMPLIED if lon and lat and not wkt else NONE,
    )


def _dxf_geometry(entity: Any) -> shapely.Geometry | None:
    kind = entity.dxftype()
    if kind in ("POINT", "INSERT"):
        loc = entity.dxf.location if kind == "POINT" else entity.dxf.insert
        return shapely.Point(loc.x, loc.y)
    if kind == "LWPOLYLINE" and any(b != 0 for b in entity.get_points("b")):
        from ezdxf import path as dxfpath

        p = dxfpath.make_path(entity)
        extent = max(p.bbox().size.x, p.bbox().size.y) or 1.0
        pts = [(v.x, v.y) for v in p.flattening(distance=extent * 1e-5)]
        log.info("entity %s: arc segments approximated by chords", entity.dxf.handle)
    elif kind == "LWPOLYLINE":
        pts = [tuple(p) for p in entity.get_points("xy")]
    else:
        pts = [(v.x, v.y) for v in entity.points()]
    closed = bool(entity.closed if kind == "LWPOLYLINE" else entity.is_closed)
    if len(pts) >= 3 and (closed or pts[0] == pts[-1]):
        return shapely.Polygon(pts)
    return shapely.LineString(pts) if len(pts) >= 2 else None


def _read_dxf(path: Path, opts: ReadOptions) -> RawData:
    try:
        import ezdxf
    except ImportError:  # pragma: no cover - ezdxf is in the dxf and test extras
        raise DataFileError(f"{path}: reading DXF needs ezdxf (fix: pip install 'zonemap[dxf]')") from None
    try:
        doc = ezdxf.readfile(path, encoding=opts.encoding) if opts.encoding else ezdxf.readfile(path)
    except (OSError, ezdxf.DXFError, UnicodeDecodeError, LookupError) as exc:
        raise DataFileError(f"{path}: cannot read as DXF: {exc} (fix: save it from CAD as ASCII DXF)") from None
    query = "POINT INSERT" if opts.points else "LWPOLYLINE POLYLINE"
    entities = [e for e in doc.modelspace().query(query)
                if opts.layer_name is None or e.dxf.layer == opts.layer_name]
    if not entities:
        layers = sorted({e.dxf.layer for e in doc.modelspace()})
        what = "POINT or INSERT" if opts.points else "LWPOLYLINE or POLYLINE"
        raise DataFileError(f"{path}: no {what} entities" + (f" on layer {opts.layer_name!r}" if opts.layer_name
                            else "") + f" (fix: draw the features as {what}; CAD layers here: {', '.join(layers)})")
    attrs = pd.DataFrame({"layer": [e.dxf.layer for e in entities], "handle": [e.dxf.handle for e in entities]})
    return RawData(
        attrs=attrs,
        geoms=np.array([_dxf_geometry(e) for e in entities], dtype=object),
        labels=[f"entity #{i} ({e.dxftype()} {e.dxf.handle} on layer {e.dxf.layer})" for i, e in enumerate(entities)],
        crs=None,
        crs_source=NONE,
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
}


def _size_check(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise DataFileError(
            f"{path}: file is {size / 2**20:.3g} MiB, larger than the {max_bytes / 2**20:.3g} MiB import limit "
            "(fix: split the file, or raise the limit with --max-mb if the machine has the memory)"
        )


def read_raw(path: Path, opts: ReadOptions) -> tuple[str, RawData]:
    """Read any supported file into :class:`RawData`.

    Parameters
    ----------
    path
        The input file; its suffix picks the reader.
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
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataFileError(f"{path}: unsupported format {suffix or '(no suffix)'!r} "
                            f"(fix: convert to one of {', '.join(sorted(FORMATS))})")
    _size_check(path, opts.max_bytes)
    name, reader = FORMATS[suffix]
    raw = reader(path, opts)
    log.info("%s: read %d feature(s) as %s", path, len(raw.labels), name)
    return name, raw

