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

import codecs
import json
import logging
import math
import os
import re
import struct
import warnings
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

from ..errors import CRSError, DataFileError, Problem, SchemaError

__all__ = ["FORMATS", "RawData", "ReadOptions", "dbf_decimals", "default_max_bytes", "read_raw"]

log = logging.getLogger(__name__)

#: CRS source words: the file names one, its format implies WGS84, or nothing says.
DECLARED, IMPLIED, NONE = "declared", "implied", "none"


def default_max_bytes() -> int:
    """The default input size limit: a sixth of the machine's memory (at least 64 MiB).

    Reading a GeoJSON takes at most about 5 times its size (see benchmarks/README.md), other
    formats less, so a file of a sixth of the memory still fits beside the rest.
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - platforms without sysconf
        total = 3 * 2**30
    return max(64 * 2**20, int(total) // 6)


@dataclass(frozen=True)
class ReadOptions:
    """What a reader needs to know beyond the path (``crs_given``: the user passed ``--crs``)."""

    encoding: str | None = None
    layer_name: str | None = None
    points: bool = False
    max_bytes: int = field(default_factory=default_max_bytes)
    crs_given: bool = False


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
    field_decimals
        Declared decimals of numeric attribute columns (a Shapefile's DBF ``N(18,2)`` -> 2).
    lonlat_columns
        The lon/lat columns a CSV's points came from, or ``None``.
    """

    attrs: pd.DataFrame
    geoms: np.ndarray
    labels: list[str]
    crs: CRS | None
    crs_source: str
    closed_rings: dict[int, int] = field(default_factory=dict)
    field_decimals: dict[str, int] = field(default_factory=dict)
    lonlat_columns: tuple[str, str] | None = None


def _crs_member(member: Any, path: Path) -> CRS | None:
    """The CRS a GeoJSON ``crs`` member names (``{"type": "name", "properties": {"name": ...}}``)."""
    if member is None:
        return None
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    shown = json.dumps(member, ensure_ascii=False)
    shown = shown if len(shown) <= 200 else shown[:200] + "..."
    if not isinstance(name, str) or not name.strip():
        raise CRSError(f"{path}: the 'crs' member {shown} names no coordinate system: its 'properties' must be "
                       'an object such as {"name": "EPSG:4547"} (fix: correct or remove the member, and give the '
                       "CRS with --crs CODE, e.g. --crs EPSG:4547)")
    try:
        return CRS.from_user_input(name)
    except (PyprojCRSError, TypeError):
        raise CRSError(
            f"{path}: unknown coordinate system {name!r} in the 'crs' member (fix: correct or remove the member, "
            "and give the CRS with --crs CODE, e.g. --crs EPSG:4547)"
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


class _NonFinite(float):
    """A JSON number that is not finite (``NaN``, ``Infinity``, ``1e400``), remembering how it was written."""

    text: str


def _non_finite(text: str) -> float:
    value = _NonFinite(float(text) if text not in ("NaN", "Infinity", "-Infinity") else float(text.lower()))
    value.text = text
    return value


def _float_hook(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _non_finite(text)


def _load_json(path: Path, encoding: str) -> Any:
    """Decode a JSON file whole (the exact path), with clear errors for every way it can be unreadable."""
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path}: not valid {encoding.removesuffix('-sig').upper()} at byte {exc.start} (fix: GeoJSON must be "
            "UTF-8; re-save it as UTF-8, e.g. `iconv -f GBK -t UTF-8`, or import it with "
            "`zonemap import FILE --encoding GBK`)"
        ) from None
    except LookupError:
        raise DataFileError(f"{path}: unknown text encoding {encoding!r} (fix: e.g. --encoding UTF-8 or GBK)") from None
    try:
        return json.loads(text, parse_float=_float_hook, parse_constant=_non_finite)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg} "
            "(fix: repair the file; a JSON linter shows the spot)"
        ) from None
    except RecursionError:
        raise DataFileError(
            f"{path}: JSON nested too deeply to be geodata (fix: check the file is GeoJSON; coordinates nest "
            "at most 4 levels, in a MultiPolygon)"
        ) from None


def _first_non_finite(value: Any) -> str | None:
    if isinstance(value, _NonFinite):
        return value.text
    if isinstance(value, list):
        for item in value:
            found = _first_non_finite(item)
            if found is not None:
                return found
    if isinstance(value, dict):
        for key in ("coordinates", "geometries"):
            found = _first_non_finite(value.get(key))
            if found is not None:
                return found
    return None


def _exact_features(data: Any, path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    features = _features_of(data, path)
    labels = [f"feature #{i}" for i in range(len(features))]
    bad = [Problem(str(path), labels[i], "not a GeoJSON Feature", 'give it "type": "Feature" and a "geometry"')
           for i, f in enumerate(features) if not isinstance(f, dict) or f.get("type") != "Feature"]
    if bad:
        raise SchemaError(f"{path}: {len(bad)} malformed feature(s)", bad)
    problems = []
    for i, f in enumerate(features):
        props = f.get("properties")
        if props is not None and not isinstance(props, dict):
            problems.append(Problem(str(path), labels[i], f"'properties' is a JSON {_json_kind(props)}, not an object",
                                    'write the attributes as an object, e.g. "properties": {"id": "a1"}, or null'))
        number = _first_non_finite(f.get("geometry"))
        if number is not None:
            problems.append(Problem(str(path), labels[i], f"coordinate {number} is not a finite number",
                                    "write every coordinate as a finite decimal number (no NaN, Infinity or "
                                    "overflowing exponents)"))
    if problems:
        raise SchemaError(f"{path}: {len(problems)} malformed feature(s)", problems)
    return features, labels


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value),
                                                                                              type(value).__name__)


def _read_geojson_exact(path: Path, opts: ReadOptions) -> RawData:
    """Decode the whole file with :mod:`json`: every malformed feature named (the exact path)."""
    data = _load_json(path, opts.encoding or "utf-8-sig")
    features, labels = _exact_features(data, path)
    props = []
    for f in features:
        p = f.get("properties") or {}
        if "id" not in p and isinstance(f.get("id"), str | int) and not isinstance(f.get("id"), bool):
            p = {"id": f["id"], **p}  # a Feature's own "id" member, as GDAL reads it
        props.append(p)
    geoms, closed = _parse_geojson_geoms([f.get("geometry") for f in features], labels, path)
    crs = _crs_member(data.get("crs"), path) if isinstance(data, dict) else None
    return RawData(
        attrs=pd.DataFrame.from_records(props, index=range(len(props))) if props else pd.DataFrame(),
        geoms=geoms,
        labels=labels,
        crs=crs if crs is not None else CRS.from_epsg(4326),
        crs_source=DECLARED if crs is not None else IMPLIED,
        closed_rings=closed,
    )


_SCAN_CHUNK = 2**20
_SCAN_OVERLAP = 256
#: Raw bytes that send a GeoJSON to the exact path: properties that are not an object or null, and
#: the non-finite JSON extensions NaN / Infinity (GDAL reads NaN as a number). An overflowing
#: exponent (1e400) needs no scan: GDAL refuses it, and the exact path names the feature.
_SUSPECT = re.compile(rb'"properties"\s*:\s*[^\s{n]')
_NON_FINITE = (b"NaN", b"Infinity")
_CRS_KEY = re.compile(rb'"crs"\s*:')
#: A numeric "id" member: GDAL makes a Feature's own integer "id" its FID, not a column.
_NUMERIC_ID = re.compile(rb'"id"\s*:\s*-?\d')
_FEATURES_KEY = re.compile(rb'"features"\s*:')


@dataclass
class _Scan:
    """What the streaming pre-scan of a GeoJSON found."""

    suspect: str | None = None
    features_at: int | None = None
    crs_at: list[int] = field(default_factory=list)
    n_feature_words: int = 0
    n_properties_words: int = 0
    numeric_id: bool = False


def _prescan(path: Path) -> _Scan:
    """Stream through the raw bytes once (chunks of 8 MiB): UTF-8, suspect patterns, keys, Feature count."""
    scan = _Scan()
    decoder = codecs.getincrementaldecoder("utf-8")()
    tail, offset = b"", 0  # offset: file position of buf[0]
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                scan.suspect = f"not UTF-8 at byte {offset + len(tail) + exc.start}"
                return scan
            buf = tail + chunk
            fresh = len(tail)  # matches ending at or before this were seen in the previous buffer
            scan.n_feature_words += buf.count(b'"Feature"') - tail.count(b'"Feature"')
            scan.n_properties_words += buf.count(b'"properties"') - tail.count(b'"properties"')
            hit = _SUSPECT.search(buf, max(0, fresh - _SCAN_OVERLAP // 2))
            if hit is not None and scan.suspect is None:
                scan.suspect = f"{hit.group().decode('ascii', 'replace')!r} at byte {offset + hit.start()}"
            for word in _NON_FINITE:
                at = buf.find(word, max(0, fresh - len(word)))
                if at >= 0 and scan.suspect is None:
                    scan.suspect = f"{word.decode()!r} at byte {offset + at}"
            scan.crs_at += [offset + m.start() for m in _CRS_KEY.finditer(buf) if m.end() > fresh]
            scan.numeric_id = scan.numeric_id or _NUMERIC_ID.search(buf) is not None
            if scan.features_at is None and (m := _FEATURES_KEY.search(buf)) is not None:
                scan.features_at = offset + m.start()
            tail = buf[-_SCAN_OVERLAP:]
            offset += len(buf) - len(tail)
    return scan


def _head_crs(path: Path, scan: _Scan) -> tuple[CRS | None, bool]:
    """The top-level ``crs`` member written before ``"features"``; (crs, whether the exact path is needed)."""
    if not scan.crs_at:
        return None, False
    if scan.features_at is None or len(scan.crs_at) > 1 or scan.crs_at[0] > scan.features_at:
        return None, True  # a "crs" key after the features (or several): only the exact path tells where
    with path.open("rb") as fh:
        head = fh.read(scan.features_at).decode("utf-8-sig", errors="replace")
    key = re.search(r'"crs"\s*:\s*', head)
    if key is None:
        return None, True
    try:
        member, _ = json.JSONDecoder().raw_decode(head, key.end())
    except (json.JSONDecodeError, ValueError):
        return None, True
    return _crs_member(member, path), False


def exact_path_limit() -> int:
    """Largest GeoJSON decoded whole on the exact path (bytes): a 24th of the memory.

    ``json`` takes 8-14 times the file; a larger malformed file is described by GDAL's reading of
    it instead (file-level messages, or the feature without a readable geometry).
    """
    return default_max_bytes() // 4


def _gdal_geojson(path: Path, scan: _Scan, *, final: bool) -> RawData | None:
    """Read a pre-scanned GeoJSON through GDAL (Arrow).

    Returns ``None`` when the exact path must decide; with ``final`` (the file is too large for
    it) problems are raised here instead, and features without a readable geometry are kept as
    missing for the geometry checks to name.
    """
    import pyogrio

    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            meta, table = pyogrio.read_arrow(path, DATE_AS_STRING="YES", ARRAY_AS_STRING="YES",
                                             return_fids=scan.numeric_id)
    except Exception as exc:  # malformed JSON, not GeoJSON: the exact path names the problem
        if final:
            raise DataFileError(f"{path}: cannot read as GeoJSON: {exc} (fix: repair the file; a JSON linter "
                                "shows the spot)") from None
        return None
    if said and not final:  # e.g. "Non closed ring detected": the exact path names the feature
        log.debug("%s: GDAL: %s", path, "; ".join(str(w.message) for w in said))
        return None
    counts = {table.num_rows, scan.n_feature_words, scan.n_properties_words - len(scan.crs_at)}  # crs has one too
    if len(counts) > 1 or table.num_rows == 0:
        if not final:  # members GDAL skipped (a "type" other than "Feature"), a property value "Feature"...
            return None
        raise DataFileError(f"{path}: GDAL read {table.num_rows} feature(s) where the file names \"Feature\" "
                            f"{scan.n_feature_words} and \"properties\" {scan.n_properties_words} time(s) (fix: make "
                            'every member of "features" a {"type": "Feature", "properties": ..., "geometry": ...} '
                            "object)")
    geom_col = meta["geometry_name"] or "wkb_geometry"
    wkb = table.column(geom_col).to_numpy(zero_copy_only=False)
    table = table.drop_columns([geom_col])
    fids = meta.get("fid_column") or "OGC_FID"
    if scan.numeric_id and fids in table.column_names:
        if "id" in table.column_names:  # the ids are in the properties; GDAL's FIDs are only its numbering
            table = table.drop_columns([fids])
        else:  # each Feature's own integer "id" member, as the exact path reads it
            table = table.rename_columns(["id" if c == fids else c for c in table.column_names])
    geoms = np.asarray(shapely.from_wkb(wkb, on_invalid="ignore"), dtype=object)
    if shapely.is_missing(geoms).any() and not final:
        return None  # unreadable or null geometries: the exact path says which and why
    del wkb
    attrs = table.to_pandas(split_blocks=True, self_destruct=True)
    return RawData(attrs=attrs, geoms=geoms, labels=[f"feature #{i}" for i in range(len(geoms))],
                   crs=None, crs_source=NONE)


def _read_geojson(path: Path, opts: ReadOptions) -> RawData:
    if opts.encoding is not None and (not _known(opts.encoding) or codecs.lookup(opts.encoding).name != "utf-8"):
        return _read_geojson_exact(path, opts)  # GDAL reads GeoJSON as UTF-8 only
    scan = _prescan(path)
    final = path.stat().st_size > exact_path_limit()
    if scan.suspect is not None and final and scan.suspect.startswith("not UTF-8"):
        raise DataFileError(f"{path}: {scan.suspect.replace('UTF-8', 'valid UTF-8')} (fix: GeoJSON must be UTF-8; "
                            "re-save it as UTF-8, e.g. `iconv -f GBK -t UTF-8`, or pass --encoding GBK)")
    if scan.suspect is not None and final:
        raise DataFileError(f"{path}: {scan.suspect}: a feature whose 'properties' is not an object, or a "
                            "coordinate that is not a finite number (fix: write properties as objects and "
                            "coordinates as finite decimal numbers; the file is too large to name the feature)")
    crs, exact = _head_crs(path, scan) if scan.suspect is None else (None, True)
    if exact and final:
        raise DataFileError(f"{path}: a 'crs' member after the features (fix: move it before \"features\", or "
                            "remove it and pass --crs)")
    raw = None if exact else _gdal_geojson(path, scan, final=final)
    if raw is None:
        if scan.suspect is not None:
            log.info("%s: decoding the whole file to name the problem (%s)", path, scan.suspect)
        return _read_geojson_exact(path, opts)
    raw.crs = crs if crs is not None else CRS.from_epsg(4326)
    raw.crs_source = DECLARED if crs is not None else IMPLIED
    return raw


def _known(encoding: str | None) -> bool:
    if encoding is None:
        return True
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


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
_KML_STYLE_COLUMNS = ("timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
                      "drawOrder", "icon")


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
    raise CRSError(f"{path}: {prj.name} does not describe a coordinate system ({shown!r}) (fix: pass the data's "
                   "coordinate system with --crs CODE, e.g. --crs EPSG:4547, or replace the .prj with one saved "
                   "by the GIS that made the file)")


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
        desc = descriptors[at:at + 32]
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
        raise DataFileError(f"{path}: not GeoParquet: {exc} (fix: write it with geopandas.to_parquet or "
                            "ogr2ogr -f Parquet, which add the 'geo' metadata)") from None
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
    problems = [Problem(str(path), labels[i], f"{col} {text.iat[i]!r} is not a "
                        f"{'number' if np.isnan(values[i]) else 'finite number'}",
                        "write plain decimal degrees, e.g. 114.1523")
                for i in np.flatnonzero(~np.isfinite(values)).tolist()]
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


def _find_all(columns: list[str], names: tuple[str, ...]) -> list[str]:
    lower = {c.strip().lower(): c for c in columns}
    return [lower[n] for n in names if n in lower]


def _lonlat_pair(df: pd.DataFrame, path: Path, labels: list[str]) -> tuple[str, str] | None:
    """The lon/lat columns; two pairs (经度/纬度 and lon/lat) must hold the same numbers."""
    cols = list(df.columns)
    lons, lats = _find_all(cols, _LON), _find_all(cols, _LAT)
    if not (lons and lats):
        return None
    pairs = list(zip(lons, lats, strict=False))
    first = pairs[0]
    for other in pairs[1:]:
        a = df[list(first)].apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce")).to_numpy(dtype=float)
        b = df[list(other)].apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce")).to_numpy(dtype=float)
        same = np.isclose(a, b, rtol=0, atol=1e-9) | (np.isnan(a) & np.isnan(b))
        differ = np.flatnonzero(~same.all(axis=1)).tolist()
        if differ:
            fix = (f"keep one pair of coordinate columns (delete {other[0]!r}/{other[1]!r} or "
                   f"{first[0]!r}/{first[1]!r}), or make them agree")
            problems = [Problem(str(path), labels[i],
                                f"{first[0]}/{first[1]} = {df[first[0]].iat[i]}, {df[first[1]].iat[i]} but "
                                f"{other[0]}/{other[1]} = {df[other[0]].iat[i]}, {df[other[1]].iat[i]}", fix)
                        for i in differ[:100]]
            raise SchemaError(f"{path}: two pairs of coordinate columns disagree in {len(differ)} row(s)", problems)
        log.info("%s: columns %s/%s repeat %s/%s; using %s/%s", path, *other, *first, *first)
    return first


def _read_csv(path: Path, opts: ReadOptions) -> RawData:
    df = _read_table(path, opts)
    cols = list(df.columns)
    labels = [f"row {i + 2}" for i in range(len(df))]  # +2: header line, 1-based
    pair = _lonlat_pair(df, path, labels)
    x, y = _find(cols, _X), _find(cols, _Y)
    wkt = _find(cols, _WKT)
    if pair or (x and y):
        xcol, ycol = pair if pair else (x, y)
        assert xcol is not None and ycol is not None
        xs, p1 = _numbers(df, xcol, path, labels)
        ys, p2 = _numbers(df, ycol, path, labels)
        problems, geoms = p1 + p2, shapely.points(xs, ys)
        used = [xcol, ycol] + ([c for c in _find_all(cols, _LON) + _find_all(cols, _LAT) if c not in (xcol, ycol)]
                               if pair else [])
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
    lonlat = pair is not None and not wkt
    return RawData(
        attrs=df.drop(columns=used),
        geoms=np.asarray(geoms, dtype=object),
        labels=labels,
        crs=CRS.from_epsg(4326) if lonlat else None,
        crs_source=IMPLIED if lonlat else NONE,
        lonlat_columns=pair if lonlat else None,
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
    _check_finite(raw, path)
    log.info("%s: read %d feature(s) as %s", path, len(raw.labels), name)
    return name, raw


def _check_finite(raw: RawData, path: Path) -> None:
    """Refuse NaN / infinite coordinates, naming each feature and the number."""
    first: dict[int, float] = {}
    step = 50_000  # features at a time: the coordinates are never all copied at once
    for start in range(0, len(raw.geoms), step):
        coords, owner = shapely.get_coordinates(raw.geoms[start:start + step], return_index=True)
        bad = ~np.isfinite(coords).all(axis=1)
        for i, xy in zip((owner[bad] + start).tolist(), coords[bad], strict=True):
            first.setdefault(i, xy[~np.isfinite(xy)][0])
    if not first:
        return
    problems = [Problem(str(path), raw.labels[i], f"coordinate {value} is not a finite number",
                        "write every coordinate as a finite number (no NaN, Infinity or overflowing exponents)")
                for i, value in first.items()]
    raise SchemaError(f"{path}: {len(problems)} feature(s) with coordinates that are not numbers", problems[:100])

