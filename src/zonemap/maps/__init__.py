"""Leaflet (folium) maps.

Layers (``_layers``), compact encoding (``_encoding``), the page script (``_pagejs``), HTML
assembly and offline assets (``_html``), pages (``_page``); the status map of a parcel layer
reconciled parcel by parcel (``_parcels``, its script ``_parcelsjs``).
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
from ._parcels import (
    PARCEL_GRID_DEG,
    PARCEL_MAX_ZOOM,
    PARCEL_STATUS_COLOURS,
    parcel_map_data,
    render_parcel_map,
    write_parcel_map,
)

__all__ = [
    "KIND_COLOURS",
    "KIND_LABELS",
    "PARCEL_GRID_DEG",
    "PARCEL_MAX_ZOOM",
    "PARCEL_STATUS_COLOURS",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "MapLayers",
    "build_map",
    "collect_layers",
    "figure_cards",
    "parcel_map_data",
    "render_map",
    "render_parcel_map",
    "write_index",
    "write_map",
    "write_parcel_map",
]
