"""Check geodata against the schema and collect every problem with file, feature and fix.

Validation never stops at the first problem: a planner fixing a file wants the whole list.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from .config import Config
from .errors import Problem, ZonemapError
from .figures import XLSX_SUFFIXES, check_figures, read_figures_table
from .io import read_json
from .schema import LAYERS, MULTILINE_PROPERTIES, OPTIONAL_PROPERTIES, REQUIRED_PROPERTIES, STATUSES, TOWNS_FILE
from .textsafe import escape_char, unsafe_chars, unsafe_pattern

__all__ = [
    "FIGURES_FILE",
    "read_town_layers",
    "ring_problems",
    "table_text_problems",
    "town_layer_problems",
    "validate_geodata",
    "validate_layer_data",
    "validate_paths",
]

FIGURES_FILE = "figures.csv"
_CONTROL_HINT = ("delete them or retype the text (they come from copying out of Word, Excel or a PDF; they garble "
                 "terminals and spreadsheets, and bidi controls reorder how text is displayed)")
# ids are kept as planners write them (FG-2024-001, 地块01): any text without surrounding space or controls
_ID = re.compile(r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$")
# Bounding box of China (lon, lat), generous: outside it a coordinate is not lon/lat here.
_CHINA = (73.0, 3.0, 136.0, 54.0)


def _feature_label(index: int, feature: Any) -> str:
    fid = feature.get("properties", {}).get("id") if isinstance(feature, dict) else None
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        fid = None
    return f"feature #{index}" + (f" (id {fid})" if fid else "")


def _control_message(name: str, found: list[tuple[int, str]]) -> str:
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
                out.append((_control_message(repr(name), found), _CONTROL_HINT))
    return out


def table_text_problems(table: pd.DataFrame, path: Path | str) -> list[Problem]:
    """Control and bidi characters in the text cells of a table (a figures registry), column-wise.

    Parameters
    ----------
    table
        Cells as text; the index is the row number in the file when named ``row``.
    path
        The file, for messages.

    Returns
    -------
    list of Problem
        One per cell holding such characters, naming row and column.
    """
    problems: list[Problem] = []
    rows = table.index if table.index.name == "row" else pd.RangeIndex(2, len(table) + 2)
    for col in table.columns:
        values = table[col]
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "mixed"):
            continue
        multiline = str(col) in MULTILINE_PROPERTIES
        pattern = unsafe_pattern(allow_newlines=multiline)
        hit = values.astype(object).str.contains(pattern, regex=True, na=False).to_numpy(dtype=bool)
        for row, value in zip(rows[hit], values[hit], strict=True):
            found = unsafe_chars(str(value), allow_newlines=multiline)
            problems.append(Problem(str(path), f"row {row}", _control_message(repr(str(col)), found), _CONTROL_HINT))
    return problems


def _property_problems(props: dict[str, Any], layer: str, town: str | None,
                       towns: Collection[str] | None) -> list[tuple[str, str]]:
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
        out.append((f"id {fid!r} has surrounding spaces or control characters",
                    "write the id as plain text, e.g. FG-2024-001"))
    kind = props.get("kind")
    if isinstance(kind, str) and kind and kind not in LAYERS[layer].kinds:
        out.append((f"kind {kind!r} does not belong in layer {layer!r}",
                    f"use one of {', '.join(sorted(LAYERS[layer].kinds))}, or move the feature"))
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
        return [("coordinates look like (lat, lon): latitude and longitude swapped",
                 "GeoJSON order is [longitude, latitude]; swap them")]
    if (abs(lon) > 180).any() or (abs(lat) > 90).any():
        return [("coordinates are not longitude/latitude degrees (projected metres?)",
                 "convert to WGS84, e.g. `zonemap import FILE --crs EPSG:4547`")]
    return [(f"{int((~inside).sum())} coordinate(s) lie outside China",
             "check the coordinate order and CRS of the source")]


def _geometry_problems(raw: Any, layer: str) -> list[tuple[str, str]]:
    if not isinstance(raw, dict):
        return [("missing geometry", "give the feature a geometry")]
    gtype = raw.get("type")
    allowed = LAYERS[layer].geometry_types
    if gtype not in allowed:
        return [(f"geometry type {gtype!r} does not belong in layer {layer!r}",
                 f"use {' or '.join(sorted(allowed))}")]
    try:
        geom = shapely.from_geojson(json.dumps(raw))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        return [(f"unreadable geometry: {exc}", "check the coordinate nesting for this geometry type")]
    out = _coordinate_problems(geom)
    if out:
        return out
    if not shapely.is_valid(geom):
        out.append((f"invalid geometry: {shapely.is_valid_reason(geom)}",
                    "repair it, e.g. `zonemap import FILE --fix`"))
    elif gtype in ("Polygon", "MultiPolygon") and not geom.equals_exact(
        shapely.orient_polygons(geom, exterior_cw=False), 0
    ):
        out.append(("polygon rings are not RFC 7946 oriented (exterior counter-clockwise)",
                    "reverse the rings, e.g. `zonemap import FILE --fix`"))
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
        return [Problem(p, "", "not a GeoJSON FeatureCollection",
                        'the top level must be {"type": "FeatureCollection", ...}')]
    problems: list[Problem] = []
    if "crs" in data:
        problems.append(Problem(p, "", "has a 'crs' member (not RFC 7946)",
                                "remove it; RFC 7946 GeoJSON is always WGS84 lon/lat"))
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
    problems += [Problem(p, f"id {fid}", f"id used by {n} features", "give each feature its own id")
                 for fid, n in ids.items() if n > 1]
    return problems


def read_town_layers(folder: Path) -> tuple[dict[str, tuple[Path, Any]], list[Problem]]:
    """Read (decode, not check) every layer file of a town folder, once.

    Returns
    -------
    tuple
        Layer name -> (path, decoded JSON) for the files present, and the problems of files
        that could not be read.
    """
    decoded: dict[str, tuple[Path, Any]] = {}
    problems: list[Problem] = []
    for name, layer in LAYERS.items():
        path = folder / layer.filename
        if not path.is_file():
            continue
        try:
            decoded[name] = (path, read_json(path))
        except ZonemapError as exc:
            problems.append(Problem(str(path), "", str(exc)))
    return decoded, problems


def town_layer_problems(decoded: Mapping[str, tuple[Path, Any]], town: str,
                        towns: Collection[str] | None = None) -> tuple[list[Problem], dict[str, dict[str, Any]]]:
    """Check a town's decoded layers: each against the schema, then ids and parents across layers.

    Parameters
    ----------
    decoded
        From :func:`read_town_layers`.
    town
        The folder's town id.
    towns
        The project's town ids.

    Returns
    -------
    tuple
        Every problem, and the features' properties by id.
    """
    problems: list[Problem] = []
    by_id: dict[str, dict[str, Any]] = {}
    for name, (path, data) in decoded.items():
        problems += validate_layer_data(data, name, path, town=town, towns=towns)
        for feat in data.get("features", []) if isinstance(data, dict) else []:
            props = feat.get("properties") if isinstance(feat, dict) else None
            if isinstance(props, dict) and isinstance(props.get("id"), str):
                if props["id"] in by_id:
                    problems.append(Problem(str(path), f"id {props['id']}", "id also used in another layer",
                                            "ids must be unique across a town's layers"))
                by_id[props["id"]] = {**props, "_layer": name, "_file": str(path)}
    for fid, props in by_id.items():
        parent = props.get("parent")
        if parent and (parent not in by_id or by_id[parent]["_layer"] != "zones"):
            problems.append(Problem(props["_file"], f"id {fid}", f"parent {parent!r} is not a zone of {town}",
                                    "set parent to the id of a zone in zones.geojson"))
    return problems, by_id


def validate_geodata(config: Config) -> list[Problem]:
    """Validate every town's layers and the figures registry under ``config.geodata_dir``.

    Parameters
    ----------
    config
        Holds ``geodata_dir``.

    Returns
    -------
    list of Problem
        Every problem found; empty when the geodata is valid.
    """
    from .towns import load_towns

    try:
        towns = load_towns(config.geodata_dir / TOWNS_FILE)
    except ZonemapError as exc:
        return [Problem(str(config.geodata_dir / TOWNS_FILE), "", str(exc))]
    problems: list[Problem] = []
    feature_ids: set[str] = set()
    by_town: dict[str, set[str]] = {}
    for town in towns.ids:
        if (config.geodata_dir / town).is_dir():
            decoded, unreadable = read_town_layers(config.geodata_dir / town)
            found, by_id = town_layer_problems(decoded, town, towns.ids)
            problems += unreadable + found
            feature_ids |= set(by_id)
            by_town[town] = set(by_id)
    figures = config.geodata_dir / FIGURES_FILE
    if figures.is_file():
        try:
            table = read_figures_table(figures)
            problems += (check_figures(table, figures, feature_ids, towns=towns.ids)
                         + table_text_problems(table, figures))
        except ZonemapError as exc:
            problems.append(Problem(str(figures), "", str(exc)))
    rings = config.geodata_dir / _rings_file()
    if rings.is_file():
        problems += ring_problems(rings, figures if figures.is_file() else None, by_town, towns.ids)
    return problems


def _rings_file() -> str:
    from .project import RINGS_FILE  # project imports validate: import on use

    return RINGS_FILE


def ring_problems(path: Path, figures: Path | None, features: Mapping[str, Collection[str]] | None,
                  towns: Collection[str] | None) -> list[Problem]:
    """Every problem of a ``rings.json``: format, colours, radii, overlapping bands, centres, cited figures.

    Parameters
    ----------
    path
        The ``rings.json``.
    figures
        The project's figures table (band radii are checked against the figures they cite), or ``None``.
    features
        Feature ids by town id: a ring set's centre must be one of its town's (``None``: not checked,
        for a ``rings.json`` validated on its own).
    towns
        The project's town ids (``None``: not checked).

    Returns
    -------
    list of Problem
        Empty when the ring sets can be built.
    """
    from .figures import load_figures
    from .rings import check_band_figures, check_ring_centres, parse_ring_sets

    try:
        sets = parse_ring_sets(read_json(path), path, towns=towns)
    except ZonemapError as exc:
        return list(exc.problems) or [Problem(str(path), "", str(exc))]
    problems = [] if features is None else check_ring_centres(sets, features, path)
    cited = [f for s in sets for b in s.bands for f in b.figures]
    if cited and figures is None:
        problems.append(Problem(str(path), "", f"bands cite figure(s) {', '.join(cited)} but the project has no "
                                f"{FIGURES_FILE}", f"add them to {FIGURES_FILE} or empty the bands' 'figures'"))
    elif cited and figures is not None:
        with contextlib.suppress(ZonemapError):  # the figures table's own problems are reported with the table
            problems += check_band_figures(sets, load_figures(figures), path)
    return problems


def validate_paths(paths: Iterable[Path | str]) -> list[Problem]:
    """Validate geodata directories, layer files or figure tables.

    Parameters
    ----------
    paths
        Each a geodata directory (validated whole), a ``<layer>.geojson`` file (layer taken
        from its name), a registry ``.csv`` / ``.xlsx`` or a ``rings.json`` (its cited figures checked
        against the ``figures.csv`` next to it).

    Returns
    -------
    list of Problem
        Every problem found.
    """
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            problems += validate_geodata(Config(geodata_dir=path))
        elif not path.exists():
            problems.append(Problem(str(path), "", "no such file or directory", "check the path"))
        elif path.suffix.lower() in (".csv", *XLSX_SUFFIXES):
            try:
                table = read_figures_table(path)
                problems += check_figures(table, path) + table_text_problems(table, path)
            except ZonemapError as exc:
                problems.append(Problem(str(path), "", str(exc)))
        elif path.name == _rings_file():
            figures = path.with_name(FIGURES_FILE)
            problems += ring_problems(path, figures if figures.is_file() else None, None, None)
        else:
            layer = path.name.split(".")[0]
            try:
                problems += validate_layer_data(read_json(path), layer, path)
            except ZonemapError as exc:
                problems.append(Problem(str(path), "", str(exc)))
    return problems
