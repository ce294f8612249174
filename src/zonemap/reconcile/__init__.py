"""Reconcile polygons with stated area figures (图数一致).

Figure rows and statuses, part-whole rules, topology checks.
"""

from __future__ import annotations

from ._checks import CHECK_COLUMNS, CONTAINMENT_TOL_PCT
from ._classify import CLASSIFIED, classify, classify_codes
from ._partwhole import (
    PART_EXCEEDS,
    PART_WITHIN,
)
from ._rows import (
    AGREES,
    DISAGREES,
    FAILING_STATUSES,
    FIGURE_RESULT_COLUMNS,
    NO_GEOMETRY,
    UNDETERMINED,
    Reconciliation,
    reconcile,
    reconcile_project,
    reconcile_towns,
)

__all__ = [
    "AGREES",
    "CHECK_COLUMNS",
    "CLASSIFIED",
    "CONTAINMENT_TOL_PCT",
    "DISAGREES",
    "FAILING_STATUSES",
    "FIGURE_RESULT_COLUMNS",
    "NO_GEOMETRY",
    "PART_EXCEEDS",
    "PART_WITHIN",
    "UNDETERMINED",
    "Reconciliation",
    "classify",
    "classify_codes",
    "reconcile",
    "reconcile_project",
    "reconcile_towns",
]
