"""A figure's status from its measured area, its stated band and the geometry's bounds."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..schema import FigureStatus

__all__ = ["AGREES", "CLASSIFIED", "DISAGREES", "UNDETERMINED", "classify", "classify_codes"]

# the words as plain strings (they fill status columns, CSV, JSON and XLSX cells)
AGREES, UNDETERMINED, DISAGREES = (
    str(s) for s in (FigureStatus.AGREES, FigureStatus.UNDETERMINED, FigureStatus.DISAGREES)
)

#: The statuses :func:`classify_codes` numbers 0, 1, 2.
CLASSIFIED = (AGREES, UNDETERMINED, DISAGREES)


def classify_codes(
    area: np.ndarray,
    stated: np.ndarray,
    band: np.ndarray,
    inner: np.ndarray,
    outer: np.ndarray,
    bound: np.ndarray | None = None,
) -> NDArray[np.int8]:
    """:func:`classify` as codes into :data:`CLASSIFIED` (0 agrees, 1 undetermined, 2 disagrees).

    ``bound`` None means every figure is two-sided (``exact``), without a per-figure array of words.
    """
    low, high = stated - band, stated + band
    if bound is None:
        agrees = (area >= low) & (area <= high)
        disagrees = (outer < low) | (inner > high)
    else:
        at_least, at_most = bound == "at_least", bound == "at_most"
        agrees = np.where(at_least, area >= low, np.where(at_most, area <= high, (area >= low) & (area <= high)))
        too_small, too_large = outer < low, inner > high
        disagrees = np.where(at_least, too_small, np.where(at_most, too_large, too_small | too_large))
    code = np.where(disagrees, np.int8(2), np.int8(1))
    code[agrees] = 0
    return code


def classify(
    area: np.ndarray, stated: np.ndarray, band: np.ndarray, inner: np.ndarray, outer: np.ndarray, bound: np.ndarray
) -> np.ndarray:
    """Status of each figure from the measured area, the stated band and the geometry's bounds (all m²).

    Parameters
    ----------
    area
        Measured area A.
    stated
        Stated area S.
    band
        Effective precision band h (already widened for 约).
    inner, outer
        Areas of the polygon shrunk and grown by its positional accuracy (A_in <= A <= A_out).
    bound
        ``exact``/``about`` (two-sided), ``at_least`` or ``at_most`` (one-sided).

    Returns
    -------
    numpy.ndarray
        ``agrees``, ``undetermined`` or ``disagrees`` per figure.
    """
    return np.array(CLASSIFIED)[classify_codes(area, stated, band, inner, outer, bound)]
