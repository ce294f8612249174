"""zonemap: industrial-zone geodata, area reconciliation and Shenzhen-proximity maps for Dongguan.

The most used functions are importable from the package; the heavier ones (areas,
reconciliation, rings, maps, import) are loaded on first use so that ``zonemap validate``
stays quick. Submodules are always modules (``zonemap.reconcile`` is the package, its
layer function is ``zonemap.reconcile_layer``), so a lazy name never changes meaning after
some other import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import Config, default_config
from .errors import (
    CheckFailed,
    ConfigError,
    CRSError,
    DataFileError,
    MissingFileError,
    OutputPathError,
    Problem,
    SchemaError,
    ZonemapError,
)
from .figures import load_figures
from .io import TownData, load_reference_towns, load_town, write_geojson
from .validate import validate_geodata, validate_paths

if TYPE_CHECKING:
    from .areas import add_area_columns, ellipsoidal_area
    from .crs import to_wgs84
    from .ingest import import_file
    from .maps import build_map, render_map, write_map
    from .project import load_files, load_project
    from .reconcile import reconcile as reconcile_layer
    from .reconcile import reconcile_project, reconcile_towns
    from .report import write_reports
    from .rings import load_ring_sets, proximity_table
    from .shenzhen import load_shenzhen

#: Lazy public names: name -> (module, attribute in that module).
_LAZY: dict[str, tuple[str, str]] = {
    "add_area_columns": ("areas", "add_area_columns"),
    "ellipsoidal_area": ("areas", "ellipsoidal_area"),
    "reconcile_layer": ("reconcile", "reconcile"),
    "reconcile_towns": ("reconcile", "reconcile_towns"),
    "reconcile_project": ("reconcile", "reconcile_project"),
    "load_project": ("project", "load_project"),
    "load_files": ("project", "load_files"),
    "write_reports": ("report", "write_reports"),
    "proximity_table": ("rings", "proximity_table"),
    "load_ring_sets": ("rings", "load_ring_sets"),
    "build_map": ("maps", "build_map"),
    "render_map": ("maps", "render_map"),
    "write_map": ("maps", "write_map"),
    "import_file": ("ingest", "import_file"),
    "load_shenzhen": ("shenzhen", "load_shenzhen"),
    "to_wgs84": ("crs", "to_wgs84"),
}

__all__ = [
    "CRSError",
    "CheckFailed",
    "Config",
    "ConfigError",
    "DataFileError",
    "MissingFileError",
    "OutputPathError",
    "Problem",
    "SchemaError",
    "TownData",
    "ZonemapError",
    "add_area_columns",
    "build_map",
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
    "reconcile_layer",
    "reconcile_project",
    "reconcile_towns",
    "render_map",
    "to_wgs84",
    "validate_geodata",
    "validate_paths",
    "write_geojson",
    "write_map",
    "write_reports",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Resolve a lazy public name on first use (PEP 562)."""
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the eager and the lazy public names, so editors and ``dir()`` see them."""
    return sorted(set(globals()) | set(_LAZY))
