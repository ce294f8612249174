"""Leaflet (folium) maps.

Layers (``_layers``), compact encoding (``_encoding``), the page script (``_pagejs``), HTML
assembly and offline assets (``_html``), pages (``_page``).
"""

from __future__ import annotations

from ._collect import MapLayers, collect_layers, figure_cards
from ._layers import (
    KIND_COLOURS,
    KIND_LABELS,
    STATUS_COLOURS,
    STATUS_LABELS,
)
from ._page import build_map, render_map, write_index, write_map

__all__ = [
    "KIND_COLOURS",
    "KIND_LABELS",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "MapLayers",
    "build_map",
    "collect_layers",
    "figure_cards",
    "render_map",
    "write_index",
    "write_map",
]
