"""zonemap: industrial-zone geodata, area reconciliation and Shenzhen-proximity maps for Dongguan."""

from __future__ import annotations

from .config import Config, default_config
from .errors import CheckFailed, CRSError, DataFileError, MissingFileError, SchemaError, ZonemapError
from .figures import load_figures
from .io import TownData, load_reference_towns, load_town, write_geojson
from .validate import validate_geodata, validate_paths

__all__ = [
    "CRSError",
    "CheckFailed",
    "Config",
    "DataFileError",
    "MissingFileError",
    "SchemaError",
    "TownData",
    "ZonemapError",
    "default_config",
    "load_figures",
    "load_reference_towns",
    "load_town",
    "validate_geodata",
    "validate_paths",
    "write_geojson",
]

__version__ = "0.1.0"
