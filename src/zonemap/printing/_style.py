"""The web map's kind and status colours and labels, read from :mod:`zonemap.maps`.

Nothing is copied: the names are taken from ``zonemap.maps`` once it re-exports them, until
then from the module defining them (the one place this package reaches past a public path).
"""

from __future__ import annotations

from typing import Any

from .. import maps
from ..maps import _layers

__all__ = ["KIND_COLOURS", "KIND_LABELS", "STATUS_COLOURS", "STATUS_LABELS"]


def _shared(name: str) -> Any:
    return getattr(maps, name, None) or getattr(_layers, name)


KIND_COLOURS: dict[str, str] = _shared("KIND_COLOURS")
KIND_LABELS: dict[str, str] = _shared("KIND_LABELS")
STATUS_COLOURS: dict[str, str] = _shared("STATUS_COLOURS")
STATUS_LABELS: dict[str, str] = _shared("STATUS_LABELS")
