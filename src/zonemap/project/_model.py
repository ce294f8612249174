"""The loaded project: towns, layers, figures, rings, reference outlines and Shenzhen, each read once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import Config
from ..errors import SchemaError
from ..io import TownData
from ..schema import FIGURES_FILE, LAYERS, RINGS_FILE, TOWNS_FILE, Town
from ..towns import TownRegistry

__all__ = ["FIGURES_FILE", "LAYOUT", "RINGS_FILE", "Project"]

#: The layout of a project directory, for messages.
LAYOUT = (
    f"{TOWNS_FILE} (id,name_zh,name_en,aliases), <town id>/{{{','.join(LAYERS)}}}.geojson, {FIGURES_FILE}, {RINGS_FILE}"
)


@dataclass(frozen=True)
class Project:
    """Everything zonemap computes from, loaded and checked once.

    Parameters
    ----------
    config
        Tolerances, reference directory, output directory.
    towns
        The towns the data belongs to.
    layers
        Town id -> its layers.
    figures
        The stated figures (loaded registry format, :func:`zonemap.figures.load_figures`).
    ring_sets
        Ring sets of every town.
    reference
        Reference town outlines (``town`` column = project town id where the name matches),
        or ``None``.
    shenzhen
        Shenzhen city and district outlines, or ``None``.
    inputs
        Every file read (outputs must never overwrite one of them).
    label
        What the data is, for messages (a directory or the file names).
    """

    config: Config
    towns: TownRegistry
    layers: Mapping[str, TownData]
    figures: pd.DataFrame
    ring_sets: tuple[Any, ...] = ()
    reference: gpd.GeoDataFrame | None = None
    shenzhen: gpd.GeoDataFrame | None = None
    inputs: tuple[Path, ...] = ()
    label: str = ""
    from_files: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def town_ids(self) -> tuple[str, ...]:
        """Ids of the towns that have layers, in the towns table's order."""
        return tuple(t for t in self.towns.ids if t in self.layers)

    def town(self, town_id: str) -> Town:
        """The :class:`~zonemap.schema.Town` of an id."""
        return self.towns.get(town_id)

    def data(self, town_id: str) -> TownData:
        """The layers of one town.

        Raises
        ------
        SchemaError
            If the project has no layers for that town.
        """
        if town_id not in self.layers:
            raise SchemaError(
                f"{self.label}: no layers for town {town_id!r} "
                f"(fix: use one of {', '.join(self.town_ids) or 'none'}; layout: {LAYOUT})"
            )
        return self.layers[town_id]

    def figures_of(self, town_id: str) -> pd.DataFrame:
        """The stated figures of one town."""
        return self.figures[self.figures["town"] == town_id]

    def ring_sets_of(self, town_id: str) -> list[Any]:
        """The ring sets of one town."""
        return [s for s in self.ring_sets if s.town == town_id]

    def outline(self, town_id: str) -> gpd.GeoDataFrame | None:
        """The town's reference outline rows, or ``None`` when there is none."""
        if self.reference is None:
            return None
        rows = self.reference[self.reference["town"] == town_id]
        return rows if len(rows) else None

    @cached_property
    def dongguan(self) -> shapely.Geometry | None:
        """Union of every reference outline (Dongguan), or ``None``."""
        if self.reference is None or not len(self.reference):
            return None
        return shapely.union_all(np.asarray(self.reference.geometry.array, dtype=object))

    def resolve_towns(self, names: Iterable[str]) -> tuple[str, ...]:
        """Town ids for names as planners write them (all towns with layers when empty)."""
        wanted = tuple(names)
        if not wanted:
            return self.town_ids
        ids = tuple(self.towns.resolve(n).id for n in wanted)
        for tid in ids:
            self.data(tid)
        return ids
