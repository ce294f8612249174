"""zonemap: industrial-zone geodata, area reconciliation and Shenzhen-proximity maps for Dongguan.

The most used functions are importable from the package; the heavier ones (areas,
reconciliation, rings, maps, import) are loaded on first use so that ``zonemap validate``
stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

from .config import Config, default_config
from .errors import (
    CheckFailed,
    CRSError,
    DataFileError,
    MissingFileError,
    SchemaError,
    ZonemapError,
)
from .figures import load_figures
from .io import TownData, load_reference_towns, load_town, write_geojson
from .validate import validate_geodata, validate_paths

_LAZY = {
    "add_area_columns": "areas",
    "ellipsoidal_area": "areas",
    "reconcile": "reconcile",
    "reconcile_towns": "reconcile",
    "reconcile_project": "reconcile",
    "load_project": "project",
    "load_files": "project",
    "write_reports": "report",
    "proximity_table": "rings",
    "load_ring_sets": "rings",
    "write_map": "maps",
    "import_file": "ingest",
    "load_shenzhen": "shenzhen",
    "to_wgs84": "crs",
}

__all__ = [
    "CRSError",
    "CheckFailed",
    "Config",
    "DataFileError",
    "MissingFileError",
    "SchemaError",
    "TownData",
    "ZonemapError",
    "add_area_columns",
    "default_config",
    "ellipsoidal_area",
    "import_file",
    "load_figures",
    "load_files",
    "load_project",
    "load_reference_towns",
    "load_ring_sets",
    "load_shenzhen",
    "load_town",
    "proximity_table",
    "reconcile",
    "reconcile_project",
    "reconcile_towns",
    "to_wgs84",
    "validate_geodata",
    "validate_paths",
    "write_geojson",
    "write_map",
    "write_reports",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
