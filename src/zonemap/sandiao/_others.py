"""Ring kernels of the other candidate methods of :mod:`zonemap.methods`: Web Mercator and the sphere."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..ellipsoid import A as _A
from ..ellipsoid import edge_terms
from ._flat import Flat
from ._plane import _DEG, _Arr

__all__ = ["sphere_signed", "web_mercator_signed"]

_EDGE_CHUNK = 1 << 15  # edges per chunk: the temporaries stay in cache and are reused, not page-faulted


def _edge_sums(flat: Flat, terms_of: Callable[[_Arr, _Arr], _Arr], workers: int | None = None) -> _Arr:
    """Per-ring sums of per-edge terms ``terms_of(lon, lat)`` (n + 1 vertices -> n edges), in threaded chunks.

    Chunks hold whole rings (~``_EDGE_CHUNK`` vertices), so no array of the size of the layer is made.
    """
    starts, nv, nr = flat.starts, flat.lon.size, flat.starts.size
    out = np.zeros(nr)
    cuts = np.unique(np.append(np.searchsorted(starts, np.arange(0, nv, _EDGE_CHUNK)), nr))
    bounds = [(int(r0), int(r1)) for r0, r1 in itertools.pairwise(cuts) if r1 > r0]

    def one(b: tuple[int, int]) -> None:
        r0, r1 = b
        v0, v1 = int(starts[r0]), int(starts[r1]) if r1 < nr else nv
        local = starts[r0:r1] - v0
        terms = terms_of(flat.lon[v0:v1], flat.lat[v0:v1])
        terms[local[1:] - 1] = 0.0  # the edges joining one ring to the next
        out[r0:r1] = np.add.reduceat(np.append(terms, 0.0), local)

    nthreads = workers or min(2, os.cpu_count() or 1)
    if nthreads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(nthreads) as pool:  # numpy releases the GIL
            list(pool.map(one, bounds))
    else:
        for bnd in bounds:
            one(bnd)
    return out


def web_mercator_signed(flat: Flat, workers: int | None = None) -> _Arr:
    """Signed Web Mercator area (m²) of each ring of ``flat`` (x = aλ, y = a·atanh(sin φ))."""
    if not flat.starts.size:
        return np.zeros(0)
    # trapezoids (x1 + x2)(y2 - y1) / 2 with x about one meridian of the layer: a closed ring's sum does not
    # depend on it, and the offsets of tens of km keep the products' rounding at ~1e-8 m²
    lon0 = float(flat.lon[0])

    def terms_of(lon: _Arr, lat: _Arr) -> _Arr:
        x = (lon - lon0) * (_DEG * _A)
        y = np.arctanh(np.sin(lat * _DEG)) * _A
        return np.asarray((x[:-1] + x[1:]) * (y[1:] - y[:-1]) * 0.5, dtype=np.float64)

    return _edge_sums(flat, terms_of, workers)


def sphere_signed(flat: Flat, radius_m: float, workers: int | None = None) -> _Arr:
    """Signed area (m²) of each ring of ``flat`` on a sphere of ``radius_m``, geodetic latitudes as spherical."""
    if not flat.starts.size:
        return np.zeros(0)

    def terms_of(lon: _Arr, lat: _Arr) -> _Arr:
        y = np.sin(lat * _DEG)
        return np.asarray(edge_terms(np.diff(lon) * _DEG, y[:-1], y[1:]) * radius_m**2, dtype=np.float64)

    return _edge_sums(flat, terms_of, workers)
