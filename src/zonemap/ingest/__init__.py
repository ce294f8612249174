"""``zonemap import``.

Reading formats (``_read``), CRS plausibility checks (``_checks``), attributes (``_attrs``),
opt-in repair (``_fix``).
"""

from __future__ import annotations

from ._attrs import (
    DEFAULT_KINDS,
)
from ._checks import (
    DATUM_NOT_VERIFIED,
)
from ._import import import_file, resolve_town, supported_suffixes
from ._options import DEFAULT_ACCURACY_M, ImportOptions, ImportResult, field_decimals
from ._postgis import is_postgis_source, read_postgis_table
from ._postgis_schema import postgis_schema
from ._postgis_sink import postgis_area_peer, write_postgis
from ._raw import ReadOptions, default_max_bytes

__all__ = [
    "DATUM_NOT_VERIFIED",
    "DEFAULT_ACCURACY_M",
    "DEFAULT_KINDS",
    "ImportOptions",
    "ImportResult",
    "ReadOptions",
    "default_max_bytes",
    "field_decimals",
    "import_file",
    "is_postgis_source",
    "postgis_area_peer",
    "postgis_schema",
    "read_postgis_table",
    "resolve_town",
    "supported_suffixes",
    "write_postgis",
]
