"""Flattened rings, and plane areas in a projection (GK or local transverse Mercator)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from ..areas import flat_rings, geometry_array
from ..ellipsoid import E2 as _E2
from ..ellipsoid import A as _A
from ..ellipsoid import F as _F
from ..ellipsoid import ring_sums
from ..errors import CRSError
from ._flat import Flat, flatten, per_geometry
from ._zones import geometry_zones

__all__ = [
    "gk_plane_area",
    "shoelace",
    "tm_plane_area",
    "tm_signed",
]

_Arr = NDArray[np.float64]

_DEG = math.pi / 180


_EP2 = _E2 / (1 - _E2)

#: Rings whose bounding box is wider than this (m) get the projected shoelace in gk_plane_area (edges up to 1 km:
#: the chord/geodesic sliver formula and the geodesic kernel stay within ~1e-8).
_LOCAL_MAX_M = 1000.0

#: ... or with an edge longer than this (m): the geodesic kernel's error grows with edge length (~1e-8 at 300 m).
_LOCAL_MAX_EDGE_M = 300.0

_CHUNK = 1 << 14


def _tmerc(lon0: float, k0: float = 1.0, a: float = _A, f: float = _F) -> Transformer:
    """Forward transverse Mercator (degrees -> metres, false easting 500 km) on the given ellipsoid."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=tmerc +lat_0=0 +lon_0={lon0!r} +k={k0!r} +x_0=500000 +y_0=0 +a={a!r} +rf={1 / f!r}"
    )


def _vertex_ring(starts: NDArray[np.intp], nv: int) -> NDArray[np.intp]:
    counts = np.diff(np.append(starts, nv))
    return np.repeat(np.arange(starts.size), counts)


def _point_scale(dlon_rad: _Arr, lat_rad: _Arr, ep2: float = _EP2) -> _Arr:
    """Point scale k/k0 of the transverse Mercator at (Δλ, φ): Snyder (1987) eq. 8-11, error < 1e-10 within ±3°."""
    c = np.cos(lat_rad)
    a2 = (dlon_rad * c) ** 2
    t = np.tan(lat_rad) ** 2
    cc = ep2 * c * c
    return (
        1
        + (1 + cc) * a2 / 2
        + (5 - 4 * t + 42 * cc + 13 * cc * cc - 28 * ep2) * a2 * a2 / 24
        + (61 - 148 * t + 16 * t * t) * a2 * a2 * a2 / 720
    )


def shoelace(x: _Arr, y: _Arr, starts: NDArray[np.intp], junk: NDArray[np.bool_]) -> _Arr:
    """Signed shoelace area of each closed ring of flat x, y arrays (about each ring's first vertex)."""
    vring = _vertex_ring(starts, x.size)
    x = x - x[starts][vring]
    y = y - y[starts][vring]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[junk] = 0.0
    return np.asarray(np.add.reduceat(np.append(cross, 0.0), starts) * 0.5, dtype=np.float64)


def tm_plane_area(
    geoms_lonlat: Any, lon0_deg: Any, *, k0: float = 1.0, a: float = _A, f: float = _F, exact: bool = False
) -> _Arr:
    """Shoelace area (m²) of each polygon in a transverse Mercator plane (GK, UTM...).

    Parameters
    ----------
    geoms_lonlat
        Polygons in lon/lat degrees.
    lon0_deg
        Central meridian, one for all or one per geometry.
    k0
        Scale on the central meridian (1 for Gauss–Krüger, 0.9996 for UTM).
    a, f
        Ellipsoid (GRS80/CGCS2000 by default; WGS84 for UTM: ``f=1/298.257223563``).
    exact
        Project every vertex (pyproj) instead of the ``∫ k² dA`` evaluation for small rings.

    Returns
    -------
    numpy.ndarray
        Plane areas; 0 for empty geometries, NaN for missing ones.
    """
    flat = flatten(geoms_lonlat)
    lon0 = np.broadcast_to(np.asarray(lon0_deg, dtype=float), flat.geoms.shape)
    return per_geometry(flat, tm_signed(flat, lon0[flat.ring_geom], k0=k0, a=a, f=f, exact=exact))


def _ring_moments(
    lon: _Arr, lat: _Arr, st: NDArray[np.intp], lon_f: _Arr, lat_f: _Arr, sxr: _Arr, syr: _Arr
) -> NDArray[np.float64]:
    """Per-ring sums in a local metric frame for the rings starting at ``st`` (local indices) of a chunk.

    Rows: extent (m), longest edge², 2·area, 6·A·cx, 6·A·cy, 12·∫x² dA, Σ L²·Δy·(x0 + x1), Σ L²·Δy.
    """
    counts = np.diff(np.append(st, lon.size))
    ex = lon - np.repeat(lon_f, counts)
    ex *= np.repeat(sxr, counts)
    ny = lat - np.repeat(lat_f, counts)
    ny *= np.repeat(syr, counts)
    junk = np.zeros(max(lon.size - 1, 0), dtype=bool)
    junk[st[1:] - 1] = True
    x0, x1, y0, y1 = ex[:-1], ex[1:], ny[:-1], ny[1:]

    def ring_sum(values: _Arr) -> _Arr:
        values[junk] = 0.0
        return np.asarray(np.add.reduceat(np.append(values, 0.0), st), dtype=np.float64)

    dxe, dyn = x1 - x0, y1 - y0
    seg2 = dxe * dxe + dyn * dyn
    cross = x0 * y1 - x1 * y0
    out = np.empty((8, st.size))
    out[0] = np.maximum(
        np.maximum.reduceat(ex, st) - np.minimum.reduceat(ex, st),
        np.maximum.reduceat(ny, st) - np.minimum.reduceat(ny, st),
    )
    seg2[junk] = 0.0
    out[1] = np.maximum.reduceat(np.append(seg2, 0.0), st)
    out[3] = ring_sum((x0 + x1) * cross)
    out[4] = ring_sum((y0 + y1) * cross)
    out[5] = ring_sum((x0 * x0 + x0 * x1 + x1 * x1) * cross)
    out[2] = ring_sum(cross)
    dyn *= seg2
    out[7] = ring_sum(dyn.copy())
    dyn *= x0 + x1
    out[6] = ring_sum(dyn)
    return out


def tm_signed(
    flat: Flat,
    ring_lon0: NDArray[np.floating[Any]],
    *,
    k0: float = 1.0,
    a: float = _A,
    f: float = _F,
    exact: bool = False,
    geodesic_signed: _Arr | None = None,
    cache: dict[str, _Arr] | None = None,
) -> _Arr:
    """Signed plane area (m²) of each ring of ``flat`` (see :func:`tm_plane_area`).

    ``geodesic_signed`` are the rings' signed geodesic areas when already computed
    (``zonemap.ellipsoid.ring_sums``), reused by the ``∫ k² dA`` evaluation. ``cache``, a dict
    passed to every call on the same ``flat``, keeps the ring moments (they do not depend on the
    projection), so a second projection (UTM after GK) costs a fraction of the first.
    """
    starts = flat.starts
    if not starts.size:
        return np.zeros(0)
    lon, lat, nv, nr = flat.lon, flat.lat, flat.lon.size, starts.size
    signed = np.zeros(nr)
    # local metric frame about each ring's first vertex (for the moments; ~1e-4 relative is enough)
    lon_f, lat_f = lon[starts], lat[starts]
    cos_f = np.cos(lat_f * _DEG)
    w = np.sqrt(1 - _E2 * (1 - cos_f * cos_f))
    n_r = _A / w
    m_r = _A * (1 - _E2) / w**3
    sxr, syr = _DEG * n_r * cos_f, _DEG * m_r
    moments = cache.get("moments") if cache is not None else None
    if moments is None:
        # ring-aligned chunks of ~_CHUNK vertices keep the temporaries in cache
        cuts = np.unique(np.append(np.searchsorted(starts, np.arange(0, nv, 4 * _CHUNK)), nr))
        cuts = cuts[cuts > 0] if cuts.size and cuts[0] == 0 else cuts
        moments = np.empty((8, nr))
        r0 = 0
        for r1 in cuts:
            r1 = int(r1)
            v0, v1 = int(starts[r0]), int(starts[r1]) if r1 < nr else nv
            moments[:, r0:r1] = _ring_moments(
                lon[v0:v1], lat[v0:v1], starts[r0:r1] - v0, lon_f[r0:r1], lat_f[r0:r1], sxr[r0:r1], syr[r0:r1]
            )
            r0 = r1
        if cache is not None:
            cache["moments"] = moments
    extent, longest2, a2, sx, sy, sxx, bend1, bend2 = moments
    # ∫ k² dA uses the GRS80 geodesic area: other ellipsoids (Xian-80, Krassovsky) are projected
    grs80_like = abs(a - _A) < 1e-6 and abs(f - _F) < 1e-9
    big = (exact or not grs80_like) | (extent > _LOCAL_MAX_M) | (longest2 > _LOCAL_MAX_EDGE_M**2)
    small = ~big
    if small.any():
        area_e = geodesic_signed if geodesic_signed is not None else ring_sums(lon, lat, starts, perimeter=False)[0]
        # edges straight in the plane, not geodesics: a geodesic's image bends towards the central
        # meridian with curvature ∂ln k/∂n ≈ x/R², enclosing L³κ/12 more or less than the chord
        east_f = (lon_f - ring_lon0) * sxr  # ≈ distance of the first vertex from the CM
        bend = bend1 * 0.5 + east_f * bend2
        with np.errstate(invalid="ignore", divide="ignore"):
            cx = np.where(a2 != 0, sx / (3 * a2), 0.0)
            cy = np.where(a2 != 0, sy / (3 * a2), 0.0)
            ixx = sxx / 12 - a2 / 2 * cx * cx  # ∫ (x - cx)² dA, signed like a2
        clat = lat_f * _DEG + cy / m_r
        clon = lon_f * _DEG + cx / (n_r * cos_f)
        ep2 = (f * (2 - f)) / (1 - f) ** 2
        k = k0 * _point_scale(clon - ring_lon0 * _DEG, clat, ep2)
        r2 = n_r * m_r  # Gaussian radius² (∂²k²/∂x² = 2 k0²/R²)
        with np.errstate(invalid="ignore"):
            corr = np.where(a2 != 0, k0 * k0 * np.abs(ixx) / r2 * np.sign(area_e), 0.0)
        corr += k0 * k0 * bend / (12.0 * r2)
        signed[small] = (area_e * k * k + corr)[small]
    if big.any():
        vring = _vertex_ring(starts, nv)
        vbig = big[vring]
        for z in np.unique(ring_lon0[big]):
            vsel = vbig & (ring_lon0[vring] == z)
            fwd = _tmerc(float(z), k0, a, f)
            x, y = np.asarray(fwd.transform(lon[vsel], lat[vsel]))
            rsel = np.flatnonzero(big & (ring_lon0 == z))
            sub_counts = np.diff(np.append(starts, nv))[rsel]
            sub_starts = (np.cumsum(sub_counts) - sub_counts).astype(np.intp)
            sub_junk = np.zeros(max(x.size - 1, 0), dtype=bool)
            sub_junk[sub_starts[1:] - 1] = True
            signed[rsel] = shoelace(np.asarray(x, dtype=float), np.asarray(y, dtype=float), sub_starts, sub_junk)
    return signed


def _tm_params(epsg: int) -> tuple[float, float, float, float] | None:
    """(lon_0, k0, a, f) of a transverse Mercator EPSG CRS, or None for other projections."""
    try:
        crs = CRS.from_epsg(epsg)
    except Exception as exc:  # pyproj raises its own CRSError
        raise CRSError(f"unknown EPSG code {epsg}: {exc} (fix: give a projected CRS code, e.g. 4547)") from None
    if not crs.is_projected:
        raise CRSError(
            f"EPSG:{epsg} ({crs.name}) is not a projected CRS (fix: give a plane coordinate system, e.g. 4547 or 4526)"
        )
    op = crs.coordinate_operation
    if op is None or op.method_name.lower() != "transverse mercator":
        return None
    values = {p.name.lower(): float(p.value) for p in op.params}
    ell = crs.ellipsoid
    if ell is None or "longitude of natural origin" not in values:
        return None
    f = 1 / ell.inverse_flattening if ell.inverse_flattening else 0.0
    k0 = values.get("scale factor at natural origin", 1.0)
    return values["longitude of natural origin"], k0, float(ell.semi_major_metre), f


def gk_plane_area(geoms_lonlat: Any, *, epsg: int | None = None, exact: bool = False) -> _Arr:
    """Plane (shoelace) area (m²) of each polygon in its 3-degree CGCS2000 Gauss–Krüger zone.

    Parameters
    ----------
    geoms_lonlat
        Polygons in lon/lat degrees.
    epsg
        Projected CRS to measure in for every feature (4547, 4526, 32650, 3857...); by
        default each feature's 3-degree zone from the centre of its bounding box
        (EPSG:4534–4554; Dongguan: 4547). The zone prefix of 4513–4533 shifts eastings only,
        so 4526 gives the same areas as 4547.
    exact
        Project every vertex instead of the ``∫ k² dA`` evaluation for rings under 1 km.

    Returns
    -------
    numpy.ndarray
        Plane areas; 0 for empty geometries, NaN for missing ones.

    Raises
    ------
    CRSError
        An unknown or non-projected EPSG code, or a feature outside zones 25–45.
    """
    arr = geometry_array(geoms_lonlat)
    if epsg is None:
        flat = flatten(arr)
        ring_lon0 = 3.0 * geometry_zones(flat, None)[flat.ring_geom]
        return per_geometry(flat, tm_signed(flat, ring_lon0, exact=exact))
    tm = _tm_params(int(epsg))
    if tm is not None:
        lon0, k0, a, f = tm
        return tm_plane_area(arr, lon0, k0=k0, a=a, f=f, exact=exact)
    transformer = Transformer.from_crs("EPSG:4490", f"EPSG:{int(epsg)}", always_xy=True)
    coords, starts, ring_geom, is_hole = flat_rings(arr)
    area = np.zeros(arr.size)
    if starts.size:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        junk = np.zeros(coords.shape[0] - 1, dtype=bool)
        junk[starts[1:] - 1] = True
        signed = shoelace(np.asarray(x, dtype=float), np.asarray(y, dtype=float), starts, junk)
        ring_area = np.where(is_hole, -np.abs(signed), np.abs(signed))
        area = np.asarray(np.bincount(ring_geom, weights=ring_area, minlength=arr.size), dtype=np.float64)
    area[shapely.is_missing(arr)] = np.nan
    return area
