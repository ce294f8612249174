"""File ground.

RFC 7946 GeoJSON and the town layers (``_geojson``), atomic writes, CSV, JSON reading and output
checks (``_files``).
"""

from __future__ import annotations

from ._files import CSV_ENCODING, atomic_write, clear_stale_temp_files, csv_text, write_csv, write_text
from ._geojson import (
    COORD_DECIMALS,
    TownData,
    features_frame,
    load_layer,
    load_reference_towns,
    load_town,
    to_feature_collection,
    write_geojson,
)
from ._json import MAX_JSON_BYTES, read_json
from ._outputs import check_outputs, install_signal_handlers

__all__ = [
    "COORD_DECIMALS",
    "CSV_ENCODING",
    "MAX_JSON_BYTES",
    "TownData",
    "atomic_write",
    "check_outputs",
    "clear_stale_temp_files",
    "csv_text",
    "features_frame",
    "install_signal_handlers",
    "load_layer",
    "load_reference_towns",
    "load_town",
    "read_json",
    "to_feature_collection",
    "write_csv",
    "write_geojson",
    "write_text",
]
