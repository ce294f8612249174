"""The web map's kind and status colours and labels (named once, in :mod:`zonemap.maps`)."""

from __future__ import annotations

from ..maps import KIND_COLOURS, KIND_LABELS, STATUS_COLOURS, STATUS_LABELS

__all__ = ["KIND_COLOURS", "KIND_LABELS", "STATUS_COLOURS", "STATUS_LABELS"]
