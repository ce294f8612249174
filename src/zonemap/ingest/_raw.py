"""What a reader returns and takes: the raw geometries and attributes of one file, read options, size limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyproj import CRS

__all__ = ["DECLARED", "IMPLIED", "NONE", "RawData", "ReadOptions", "default_max_bytes"]

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
    """What a reader needs to know beyond the path.

    ``crs_given``: the user passed ``--crs``; ``table``: a PostGIS source's ``[SCHEMA.]TABLE[(GEOMETRY)]``.
    """

    encoding: str | None = None
    layer_name: str | None = None
    points: bool = False
    max_bytes: int = field(default_factory=default_max_bytes)
    crs_given: bool = False
    table: str | None = None


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
