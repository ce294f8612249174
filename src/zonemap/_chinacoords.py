"""Vectorized GCJ-02 and BD-09 datum shifts (private; the public API is :mod:`zonemap.crs`).

GCJ-02 ("Mars coordinates", used by AMap/Gaode, Tencent and Google China) is WGS84 plus a
deliberate, smooth, non-invertible-in-closed-form offset of a few hundred metres. BD-09
(Baidu) is GCJ-02 plus a further polar-coordinate perturbation. The forward formulas below
are the public reverse-engineered ones (as in ``eviltransform`` and the PyPI packages
``coordtransform`` and ``prcoords``); the inverses are solved by fixed-point iteration.

China test: like ``coordtransform``, a point is treated as inside China when
``73.66 < lon < 135.05`` and ``3.86 < lat < 53.55`` (open bounds). GCJ-02 is the identity
outside that rectangle. The rectangle also covers neighbouring countries' border areas;
that is the convention of the public implementations and of the services' own data.
BD-09's extra perturbation is applied everywhere, as Baidu does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CHINA_BBOX",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

Arr = NDArray[np.float64]
_Forward = Callable[[Arr, Arr], tuple[Arr, Arr]]

#: (lon_min, lat_min, lon_max, lat_max), open bounds, of the region where GCJ-02 is offset.
CHINA_BBOX = (73.66, 3.86, 135.05, 53.55)

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

#: Iterative inverses stop when the forward image is this close (degrees, ~0.01 mm).
_INVERSE_TOL_DEG = 1e-10
_MAX_ITER = 30


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether points fall inside :data:`CHINA_BBOX`, where GCJ-02 is offset.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (broadcast together).

    Returns
    -------
    numpy.ndarray
        Boolean mask.
    """
    x, y = _arrays(lon, lat)
    x0, y0, x1, y1 = CHINA_BBOX
    return (x > x0) & (x < x1) & (y > y0) & (y < y1)


def _shift_lat(x: Arr, y: Arr) -> Arr:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: Arr, y: Arr) -> Arr:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: Arr, lat: Arr) -> tuple[Arr, Arr]:
    """GCJ-02 minus WGS84 at WGS84 points (degrees), zero outside China."""
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """Convert WGS84 lon/lat to GCJ-02 (identity outside :data:`CHINA_BBOX`).

    Parameters
    ----------
    lon, lat
        WGS84 degrees; scalars or arrays of any (broadcastable) shape.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes.
    """
    x, y = _arrays(lon, lat)
    dx, dy = _gcj_offset(x, y)
    return x + dx, y + dy


def _solve_inverse(forward: _Forward, tx: Arr, ty: Arr, x: Arr, y: Arr) -> tuple[Arr, Arr]:
    """Fixed-point iteration ``p <- p + (target - forward(p))`` from the start ``(x, y)``."""
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = tx - fx, ty - fy
        x, y = x + ex, y + ey
        err = np.maximum(np.abs(ex), np.abs(ey))
        if not err.size or np.nanmax(err) < _INVERSE_TOL_DEG:
            break
    return x, y


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """Convert GCJ-02 lon/lat to WGS84 by fixed-point iteration of the forward formula.

    The offset varies by less than 1e-4 of the distance moved, so each iteration gains
    about four digits; two or three reach the 1e-10 degree (0.01 mm) stopping tolerance.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitudes and latitudes whose forward image matches the input to ~1e-10 degree.
    """
    gx, gy = _arrays(lon, lat)
    return _solve_inverse(wgs84_to_gcj02, gx, gy, gx.copy(), gy.copy())


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitudes and latitudes.
    """
    x, y = _arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: Arr, lat: Arr) -> tuple[Arr, Arr]:
    """The published one-step BD-09 inverse (metre-level error), a start for iteration."""
    x, y = lon - 0.0065, lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """Convert BD-09 lon/lat to GCJ-02: the published inverse refined by iteration.

    Parameters
    ----------
    lon, lat
        BD-09 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes.
    """
    bx, by = _arrays(lon, lat)
    x0, y0 = _bd09_to_gcj02_approx(bx, by)
    return _solve_inverse(gcj02_to_bd09, bx, by, x0, y0)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """Convert WGS84 lon/lat to BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat
        WGS84 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitudes and latitudes.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """Convert BD-09 lon/lat to WGS84 (through GCJ-02, both steps iterated).

    Parameters
    ----------
    lon, lat
        BD-09 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitudes and latitudes.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
