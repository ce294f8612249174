"""Schema checks of one layer's features.

Required and optional properties, coordinates, geometry, control characters.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Collection
from pathlib import Path
from typing import Any

import shapely

from .errors import Problem
from .schema import LAYERS, MULTILINE_PROPERTIES, OPTIONAL_PROPERTIES, REQUIRED_PROPERTIES, STATUSES, TOWNS_FILE
from .textsafe import escape_char, unsafe_chars

__all__ = ["CONTROL_HINT", "control_message", "validate_layer_data"]

#: How to fix text holding control or bidi characters (shared by the layer and table checks).
CONTROL_HINT = (
    "delete them or retype the text (they come from copying out of Word, Excel or a PDF; they garble "
    "terminals and spreadsheets, and bidi controls reorder how text is displayed)"
)


# ids are kept as planners write them (FG-2024-001, 地块01): any text without surrounding space or controls
_ID = re.compile(r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$")


# Bounding box of China (lon, lat), generous: outside it a coordinate is not lon/lat here.
_CHINA = (73.0, 3.0, 136.0, 54.0)


def _feature_label(index: int, feature: Any) -> str:
    fid = feature.get("properties", {}).get("id") if isinstance(feature, dict) else None
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        fid = None
    return f"feature #{index}" + (f" (id {fid})" if fid else "")


def control_message(name: str, found: list[tuple[int, str]]) -> str:
    """A problem message naming the control or bidi characters found (the first five, escaped)."""
    shown = ", ".join(f"{escape_char(c)} at {i}" for i, c in found[:5]) + (" ..." if len(found) > 5 else "")
    return f"{name} holds {len(found)} control or bidi character(s): {shown}"


def _text_problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    """Control characters (C0, DEL, C1), bidi controls and unpaired surrogates in text properties.

    TAB and line breaks are accepted in the multi-line properties (notes, quote, source) only.
    """
    out: list[tuple[str, str]] = []
    for name, value in props.items():
        if isinstance(value, str):
            found = unsafe_chars(value, allow_newlines=name in MULTILINE_PROPERTIES)
            if found:
                out.append((control_message(repr(name), found), CONTROL_HINT))
    return out


def _property_problems(
    props: dict[str, Any], layer: str, town: str | None, towns: Collection[str] | None
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = _text_problems(props)
    for name, typ in REQUIRED_PROPERTIES.items():
        value = props.get(name)
        if value is None or value == "":
            out.append((f"missing property {name!r}", f"add {name!r} to the feature's properties"))
        elif typ is float:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                out.append((f"{name} must be a number, got {value!r}", f"write {name} as a number of metres"))
            elif value <= 0:
                out.append((f"{name} must be positive, got {value!r}", "give an honest estimate in metres"))
        elif not isinstance(value, typ):
            out.append((f"{name} must be text, got {type(value).__name__}", f"write {name} as a string"))
    for name, typ in OPTIONAL_PROPERTIES.items():
        value = props.get(name)
        if value is not None and not isinstance(value, typ):
            out.append((f"{name} must be text, got {type(value).__name__}", f"write {name} as a string or drop it"))
    fid = props.get("id")
    if isinstance(fid, str) and fid and not _ID.match(fid):
        out.append(
            (f"id {fid!r} has surrounding spaces or control characters", "write the id as plain text, e.g. FG-2024-001")
        )
    kind = props.get("kind")
    if isinstance(kind, str) and kind and kind not in LAYERS[layer].kinds:
        out.append(
            (
                f"kind {kind!r} does not belong in layer {layer!r}",
                f"use one of {', '.join(sorted(LAYERS[layer].kinds))}, or move the feature",
            )
        )
    ftown = props.get("town")
    if isinstance(ftown, str) and ftown:
        if towns is not None and ftown not in towns:
            out.append((f"unknown town {ftown!r}", f"use one of {', '.join(towns)} (the project's {TOWNS_FILE})"))
        elif town is not None and ftown != town:
            out.append((f"town {ftown!r} in the folder of {town!r}", "fix the town or move the feature"))
    status = props.get("status")
    if isinstance(status, str) and status not in STATUSES:
        out.append((f"unknown status {status!r}", f"use one of {', '.join(sorted(STATUSES))}"))
    return out


def _coordinate_problems(geom: shapely.Geometry) -> list[tuple[str, str]]:
    coords = shapely.get_coordinates(geom)
    if coords.size == 0:
        return [("geometry is empty", "draw the geometry or drop the feature")]
    lon, lat = coords[:, 0], coords[:, 1]
    x0, y0, x1, y1 = _CHINA
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    if inside.all():
        return []
    swapped = (lat >= x0) & (lat <= x1) & (lon >= y0) & (lon <= y1)
    if swapped.all():
        return [
            (
                "coordinates look like (lat, lon): latitude and longitude swapped",
                "GeoJSON order is [longitude, latitude]; swap them",
            )
        ]
    if (abs(lon) > 180).any() or (abs(lat) > 90).any():
        return [
            (
                "coordinates are not longitude/latitude degrees (projected metres?)",
                "convert to WGS84, e.g. `zonemap import FILE --crs EPSG:4547`",
            )
        ]
    return [
        (f"{int((~inside).sum())} coordinate(s) lie outside China", "check the coordinate order and CRS of the source")
    ]


def _geometry_problems(raw: Any, layer: str) -> list[tuple[str, str]]:
    if not isinstance(raw, dict):
        return [("missing geometry", "give the feature a geometry")]
    gtype = raw.get("type")
    allowed = LAYERS[layer].geometry_types
    if gtype not in allowed:
        return [(f"geometry type {gtype!r} does not belong in layer {layer!r}", f"use {' or '.join(sorted(allowed))}")]
    try:
        geom = shapely.from_geojson(json.dumps(raw))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        return [(f"unreadable geometry: {exc}", "check the coordinate nesting for this geometry type")]
    out = _coordinate_problems(geom)
    if out:
        return out
    if not shapely.is_valid(geom):
        out.append(
            (f"invalid geometry: {shapely.is_valid_reason(geom)}", "repair it, e.g. `zonemap import FILE --fix`")
        )
    elif gtype in ("Polygon", "MultiPolygon") and not geom.equals_exact(
        shapely.orient_polygons(geom, exterior_cw=False), 0
    ):
        out.append(
            (
                "polygon rings are not RFC 7946 oriented (exterior counter-clockwise)",
                "reverse the rings, e.g. `zonemap import FILE --fix`",
            )
        )
    return out


def validate_layer_data(
    data: Any, layer: str, path: Path | str, town: str | None = None, towns: Collection[str] | None = None
) -> list[Problem]:
    """Check decoded GeoJSON of one layer against the schema.

    Parameters
    ----------
    data
        The decoded JSON.
    layer
        Layer name, one of :data:`zonemap.schema.LAYERS`.
    path
        The file it came from, for messages.
    town
        Expected town id of every feature, or ``None``.
    towns
        The project's town ids a feature's ``town`` may name (not checked when ``None``).

    Returns
    -------
    list of Problem
        Every problem found; empty when the layer is valid.
    """
    p = str(path)
    if layer not in LAYERS:
        return [Problem(p, "", f"unknown layer {layer!r}", f"name the file one of {', '.join(LAYERS)}.geojson")]
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return [
            Problem(
                p, "", "not a GeoJSON FeatureCollection", 'the top level must be {"type": "FeatureCollection", ...}'
            )
        ]
    problems: list[Problem] = []
    if "crs" in data:
        problems.append(
            Problem(p, "", "has a 'crs' member (not RFC 7946)", "remove it; RFC 7946 GeoJSON is always WGS84 lon/lat")
        )
    features = data.get("features")
    if not isinstance(features, list):
        return [*problems, Problem(p, "", "'features' is not a list", "make 'features' an array of Feature objects")]
    ids: Counter[str] = Counter()
    for i, feature in enumerate(features):
        label = _feature_label(i, feature)
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(p, label, "not a GeoJSON Feature", 'give it "type": "Feature"'))
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            problems.append(Problem(p, label, "no properties object", "add the schema properties"))
            continue
        if isinstance(props.get("id"), str):
            ids[props["id"]] += 1
        found = _property_problems(props, layer, town, towns) + _geometry_problems(feature.get("geometry"), layer)
        problems += [Problem(p, label, msg, hint) for msg, hint in found]
    problems += [
        Problem(p, f"id {fid}", f"id used by {n} features", "give each feature its own id")
        for fid, n in ids.items()
        if n > 1
    ]
    return problems
