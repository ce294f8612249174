"""Check geodata against the schema and collect every problem with file, feature and fix.

Validation never stops at the first problem: a planner fixing a file wants the whole list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .config import Config
from .errors import Problem, ZonemapError
from .figures import XLSX_SUFFIXES, check_figures, load_figures, read_figures_table
from .io import read_json
from .layer_checks import CONTROL_HINT, control_message, validate_layer_data
from .rings import check_band_figures, check_ring_centres, parse_ring_sets
from .schema import FIGURES_FILE, LAYERS, MULTILINE_PROPERTIES, RINGS_FILE, TOWNS_FILE
from .textsafe import unsafe_chars, unsafe_pattern
from .towns import load_towns

__all__ = [
    "read_town_layers",
    "ring_problems",
    "table_text_problems",
    "town_layer_problems",
    "validate_geodata",
    "validate_layer_data",
    "validate_paths",
]


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
            problems.append(Problem(str(path), f"row {row}", control_message(repr(str(col)), found), CONTROL_HINT))
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


def town_layer_problems(
    decoded: Mapping[str, tuple[Path, Any]], town: str, towns: Collection[str] | None = None
) -> tuple[list[Problem], dict[str, dict[str, Any]]]:
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
                    problems.append(
                        Problem(
                            str(path),
                            f"id {props['id']}",
                            "id also used in another layer",
                            "ids must be unique across a town's layers",
                        )
                    )
                by_id[props["id"]] = {**props, "_layer": name, "_file": str(path)}
    for fid, props in by_id.items():
        parent = props.get("parent")
        if parent and (parent not in by_id or by_id[parent]["_layer"] != "zones"):
            problems.append(
                Problem(
                    props["_file"],
                    f"id {fid}",
                    f"parent {parent!r} is not a zone of {town}",
                    "set parent to the id of a zone in zones.geojson",
                )
            )
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
            problems += check_figures(table, figures, feature_ids, towns=towns.ids) + table_text_problems(
                table, figures
            )
        except ZonemapError as exc:
            problems.append(Problem(str(figures), "", str(exc)))
    rings = config.geodata_dir / RINGS_FILE
    if rings.is_file():
        problems += ring_problems(rings, figures if figures.is_file() else None, by_town, towns.ids)
    return problems


def ring_problems(
    path: Path, figures: Path | None, features: Mapping[str, Collection[str]] | None, towns: Collection[str] | None
) -> list[Problem]:
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
    try:
        sets = parse_ring_sets(read_json(path), path, towns=towns)
    except ZonemapError as exc:
        return list(exc.problems) or [Problem(str(path), "", str(exc))]
    problems = [] if features is None else check_ring_centres(sets, features, path)
    cited = [f for s in sets for b in s.bands for f in b.figures]
    if cited and figures is None:
        problems.append(
            Problem(
                str(path),
                "",
                f"bands cite figure(s) {', '.join(cited)} but the project has no {FIGURES_FILE}",
                f"add them to {FIGURES_FILE} or empty the bands' 'figures'",
            )
        )
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
        elif path.name == RINGS_FILE:
            figures = path.with_name(FIGURES_FILE)
            problems += ring_problems(path, figures if figures.is_file() else None, None, None)
        else:
            layer = path.name.split(".")[0]
            try:
                problems += validate_layer_data(read_json(path), layer, path)
            except ZonemapError as exc:
                problems.append(Problem(str(path), "", str(exc)))
    return problems
