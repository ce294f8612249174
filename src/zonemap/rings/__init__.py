"""Ring sets and distance bands.

The ring data (``_data``), their metric geometry (``_geometry``), the proximity table
(``_proximity``, ``_table``).
"""

from __future__ import annotations

from ._data import (
    RingBand,
    RingSet,
    check_band_figures,
    check_ring_centres,
    parse_ring_sets,
)
from ._geometry import (
    DEFAULT_TOLERANCE_M,
    accuracy_circles,
)
from ._sets import DEFAULT_BORDER_BANDS_KM, centre_ring_set, default_border_set, parse_bands
from ._table import build_rings, load_ring_sets, proximity, proximity_table, ring_geometries, write_proximity

__all__ = [
    "DEFAULT_BORDER_BANDS_KM",
    "DEFAULT_TOLERANCE_M",
    "RingBand",
    "RingSet",
    "accuracy_circles",
    "build_rings",
    "centre_ring_set",
    "check_band_figures",
    "check_ring_centres",
    "default_border_set",
    "load_ring_sets",
    "parse_bands",
    "parse_ring_sets",
    "proximity",
    "proximity_table",
    "ring_geometries",
    "write_proximity",
]
