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
from ._raw import default_max_bytes

__all__ = [
    "DATUM_NOT_VERIFIED",
    "DEFAULT_ACCURACY_M",
    "DEFAULT_KINDS",
    "ImportOptions",
    "ImportResult",
    "default_max_bytes",
    "field_decimals",
    "import_file",
    "resolve_town",
    "supported_suffixes",
]
