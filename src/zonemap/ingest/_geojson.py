"""Reading GeoJSON: exact (coordinates as written, non-finite numbers refused) or through GDAL for big files."""

from __future__ import annotations

import codecs
import json
import logging
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from ..errors import CRSError, DataFileError, Problem, SchemaError
from ._geojson_gdal import _gdal_geojson, _Scan
from ._raw import DECLARED, IMPLIED, RawData, ReadOptions, default_max_bytes

__all__ = [
    "exact_path_limit",
]

log = logging.getLogger(__name__)


def _crs_member(member: Any, path: Path) -> CRS | None:
    """The CRS a GeoJSON ``crs`` member names (``{"type": "name", "properties": {"name": ...}}``)."""
    if member is None:
        return None
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    shown = json.dumps(member, ensure_ascii=False)
    shown = shown if len(shown) <= 200 else shown[:200] + "..."
    if not isinstance(name, str) or not name.strip():
        raise CRSError(
            f"{path}: the 'crs' member {shown} names no coordinate system: its 'properties' must be "
            'an object such as {"name": "EPSG:4547"} (fix: correct or remove the member, and give the '
            "CRS with --crs CODE, e.g. --crs EPSG:4547)"
        )
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
            problems.append(
                Problem(
                    str(path),
                    labels[i],
                    f"unreadable geometry: {reason}",
                    "check the geometry type and the nesting of its coordinates",
                )
            )
    if problems:
        raise SchemaError(f"{path}: {len(problems)} unreadable geometr{'y' if len(problems) == 1 else 'ies'}", problems)
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
    bad = [
        Problem(str(path), labels[i], "not a GeoJSON Feature", 'give it "type": "Feature" and a "geometry"')
        for i, f in enumerate(features)
        if not isinstance(f, dict) or f.get("type") != "Feature"
    ]
    if bad:
        raise SchemaError(f"{path}: {len(bad)} malformed feature(s)", bad)
    problems = []
    for i, f in enumerate(features):
        props = f.get("properties")
        if props is not None and not isinstance(props, dict):
            problems.append(
                Problem(
                    str(path),
                    labels[i],
                    f"'properties' is a JSON {_json_kind(props)}, not an object",
                    'write the attributes as an object, e.g. "properties": {"id": "a1"}, or null',
                )
            )
        number = _first_non_finite(f.get("geometry"))
        if number is not None:
            problems.append(
                Problem(
                    str(path),
                    labels[i],
                    f"coordinate {number} is not a finite number",
                    "write every coordinate as a finite decimal number (no NaN, Infinity or overflowing exponents)",
                )
            )
    if problems:
        raise SchemaError(f"{path}: {len(problems)} malformed feature(s)", problems)
    return features, labels


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


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


def _read_geojson(path: Path, opts: ReadOptions) -> RawData:
    if opts.encoding is not None and (not _known(opts.encoding) or codecs.lookup(opts.encoding).name != "utf-8"):
        return _read_geojson_exact(path, opts)  # GDAL reads GeoJSON as UTF-8 only
    scan = _prescan(path)
    final = path.stat().st_size > exact_path_limit()
    if scan.suspect is not None and final and scan.suspect.startswith("not UTF-8"):
        raise DataFileError(
            f"{path}: {scan.suspect.replace('UTF-8', 'valid UTF-8')} (fix: GeoJSON must be UTF-8; "
            "re-save it as UTF-8, e.g. `iconv -f GBK -t UTF-8`, or pass --encoding GBK)"
        )
    if scan.suspect is not None and final:
        raise DataFileError(
            f"{path}: {scan.suspect}: a feature whose 'properties' is not an object, or a "
            "coordinate that is not a finite number (fix: write properties as objects and "
            "coordinates as finite decimal numbers; the file is too large to name the feature)"
        )
    crs, exact = _head_crs(path, scan) if scan.suspect is None else (None, True)
    if exact and final:
        raise DataFileError(
            f"{path}: a 'crs' member after the features (fix: move it before \"features\", or remove it and pass --crs)"
        )
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
