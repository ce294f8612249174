"""Loading a project directory: towns.csv, the town layers, figures.csv, rings.json and the reference outlines."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Config
from ..errors import MissingFileError, Problem, SchemaError, ZonemapError
from ..figures import load_figures, read_figures_table
from ..io import TownData, features_frame, load_reference_towns, read_json
from ..rings import check_band_figures, check_ring_centres, parse_ring_sets
from ..schema import LAYERS, TOWNS_FILE
from ..towns import dongguan_towns, load_towns
from ..validate import read_town_layers, table_text_problems, town_layer_problems
from ._files import _empty_figures, _load_shenzhen, _with_outline, read_outline
from ._model import FIGURES_FILE, LAYOUT, RINGS_FILE, Project

__all__ = [
    "as_project",
    "load_project",
]

log = logging.getLogger(__name__)


def as_project(source: Config | Project) -> Project:
    """A :class:`Project` as is, or loaded from a :class:`~zonemap.config.Config`'s geodata directory."""
    return source if isinstance(source, Project) else load_project(source)


def _read_rings(
    path: Path, figures: pd.DataFrame, towns: Sequence[str], features: Mapping[str, set[str]]
) -> tuple[list[Any], list[Problem]]:
    """Ring sets with every problem :func:`zonemap.validate.ring_problems` reports, from one read."""
    try:
        sets = parse_ring_sets(read_json(path), path, towns=towns)
    except ZonemapError as exc:
        return [], list(exc.problems) or [Problem(str(path), "", str(exc))]
    problems = check_ring_centres(sets, features, path)
    if any(b.figures for s in sets for b in s.bands):
        problems += check_band_figures(sets, figures, path)
    return sets, problems


def load_project(config: Config, towns: Iterable[str] = (), outline: Path | str | None = None) -> Project:
    """Load and validate a project directory (``config.geodata_dir``), reading each file once.

    Parameters
    ----------
    config
        ``geodata_dir`` is the project; ``reference_dir`` the optional reference layers.
    towns
        Only these towns (ids or names); every declared town with a folder when empty.
    outline
        A polygon file outlining the one town worked on (instead of its reference outline).

    Returns
    -------
    Project
        The loaded data.

    Raises
    ------
    MissingFileError
        If the directory lacks its towns table (the message gives the layout).
    SchemaError
        Listing every problem in the layers, figures and ring sets.
    """
    root = config.geodata_dir
    towns_path = root / TOWNS_FILE
    if not towns_path.is_file():
        raise MissingFileError(
            f"{root}: not a zonemap project: no {TOWNS_FILE} (fix: a project directory holds "
            f"{LAYOUT}; `zonemap init DIR --town NAME` writes a skeleton)"
        )
    registry = load_towns(towns_path)
    chosen = [registry.resolve(n).id for n in towns] or list(registry.ids)
    inputs: list[Path] = [towns_path]
    problems: list[Problem] = []
    layers: dict[str, TownData] = {}
    feature_ids: set[str] = set()
    by_town: dict[str, set[str]] = {}
    for tid in chosen:
        folder = root / tid
        if not folder.is_dir():
            log.info("%s: no folder for town %s", root, tid)
            continue
        decoded, unreadable = read_town_layers(folder)
        found, by_id = town_layer_problems(decoded, tid, registry.ids)
        problems += unreadable + found
        feature_ids |= set(by_id)
        by_town[tid] = set(by_id)
        inputs += [p for p, _ in decoded.values()]
        frames = (
            {
                name: features_frame(
                    decoded[name][1].get("features", []) if name in decoded else [],
                    decoded[name][0] if name in decoded else folder / layer.filename,
                )
                for name, layer in LAYERS.items()
            }
            if not (unreadable or found)
            else None
        )
        if frames is not None:
            layers[tid] = TownData(town=tid, frames=frames)
    undeclared = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and any((p / lay.filename).is_file() for lay in LAYERS.values()) and p.name not in registry
    )
    if undeclared:
        problems.append(
            Problem(
                str(towns_path),
                "",
                f"town folder(s) {', '.join(undeclared)} not declared",
                f"add a row per town to {TOWNS_FILE}, or remove the folder",
            )
        )
    figures = _empty_figures()
    figures_path = root / FIGURES_FILE
    if figures_path.is_file():
        inputs.append(figures_path)
        try:
            table = read_figures_table(figures_path)
            problems += table_text_problems(table, figures_path)
            figures = load_figures(figures_path, feature_ids=feature_ids, towns=registry.ids, table=table)
        except ZonemapError as exc:
            problems += list(exc.problems) or [Problem(str(figures_path), "", str(exc))]
        figures = figures[figures["town"].isin(chosen)] if len(figures) else figures
    ring_sets: list[Any] = []
    rings_path = root / RINGS_FILE
    if rings_path.is_file():
        inputs.append(rings_path)
        ring_sets, found = _read_rings(rings_path, figures, registry.ids, by_town)
        problems += found
    if problems:
        raise SchemaError(f"{root}: {len(problems)} problem(s)", problems)
    reference = load_reference_towns(config, registry.merged(dongguan_towns()))
    if config.reference_towns is not None:
        inputs.append(config.reference_towns)
    if outline is not None:
        if len(chosen) != 1:
            raise SchemaError(
                f"--outline {outline}: outlines one town, the project has {len(chosen)} "
                f"({', '.join(chosen)}) (fix: name the town, e.g. zonemap map {chosen[0]} --outline ...)"
            )
        reference = _with_outline(reference, read_outline(outline, registry.get(chosen[0])))
        inputs.append(Path(outline))
    needs_shenzhen = any(s.boundary for s in ring_sets)
    shenzhen = _load_shenzhen(config) if needs_shenzhen or (root / "shenzhen").is_dir() else None
    return Project(
        config,
        registry,
        layers,
        figures,
        tuple(s for s in ring_sets if s.town in chosen),
        reference,
        shenzhen,
        tuple(inputs),
        str(root),
    )
