"""Coordinate reference systems: EPSG codes via pyproj, GCJ-02 / BD-09, local metric projections.

Two kinds of coordinate system reach zonemap:

- anything pyproj knows (EPSG codes such as 4326, 4490, 4547, 4526, 32650; WKT; PROJ strings),
  converted with pyproj;
- the Chinese web-map datums ``gcj02`` (AMap/Gaode, Tencent) and ``bd09`` (Baidu), which no
  EPSG code describes, converted with the vectorized formulas of :mod:`zonemap._chinacoords`
  (GCJ-02 is the identity outside the China rectangle :data:`CHINA_BBOX`).

:func:`parse_crs` turns a user's code into one of these, :func:`to_wgs84` converts data from
either kind to WGS84 lon/lat, and :func:`convert_datum` moves geometries between ``wgs84``,
``gcj02`` and ``bd09``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError

from ._chinacoords import (
    CHINA_BBOX,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from .errors import CRSError

__all__ = [
    "CGCS2000",
    "CHINA_BBOX",
    "DATUMS",
    "DONGGUAN_CENTRE",
    "GRS80_ELLPS",
    "WGS84",
    "Datum",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert_datum",
    "convert_lonlat",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "local_metric_crs",
    "parse_crs",
    "to_lonlat",
    "to_metric",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Approximate centre of Dongguan (lon, lat), used only to rank CRS guesses when no
#: reference outline is available and to centre a map with nothing on it. Not a surveyed
#: or official position.
DONGGUAN_CENTRE = (113.85, 22.90)

#: CGCS2000 geographic CRS; its ellipsoid (GRS80 parameters) is the one areas are computed on.
CGCS2000 = CRS.from_epsg(4490)
GRS80_ELLPS = "GRS80"
WGS84 = CRS.from_epsg(4326)

#: Lon/lat datums zonemap converts between itself.
Datum: TypeAlias = Literal["wgs84", "gcj02", "bd09"]
DATUMS: tuple[Datum, ...] = ("wgs84", "gcj02", "bd09")

#: Accepted spellings (lower case, without ``-``, ``_``, spaces) of the special datums.
_DATUM_ALIASES: dict[str, Literal["gcj02", "bd09"]] = {
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "bd": "bd09",
}

_CRS_HINT = (
    "use an EPSG code pyproj knows (e.g. 4326, 4490, 4547, 'EPSG:4526'), a WKT or PROJ string, "
    "or 'gcj02' (AMap/Gaode) / 'bd09' (Baidu)"
)

_Arr = NDArray[np.float64]
_LonLatFunc = Callable[[ArrayLike, ArrayLike], tuple[_Arr, _Arr]]


def _identity(lon: ArrayLike, lat: ArrayLike) -> tuple[_Arr, _Arr]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


_CONVERTERS: dict[tuple[str, str], _LonLatFunc] = {
    ("wgs84", "gcj02"): wgs84_to_gcj02,
    ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("gcj02", "bd09"): gcj02_to_bd09,
    ("bd09", "gcj02"): bd09_to_gcj02,
    ("wgs84", "bd09"): wgs84_to_bd09,
    ("bd09", "wgs84"): bd09_to_wgs84,
}


def _check_datum(name: str) -> Datum:
    if name not in DATUMS:
        raise CRSError(f"unknown datum {name!r} (fix: use one of {', '.join(DATUMS)})")
    return name


def convert_lonlat(lon: ArrayLike, lat: ArrayLike, src: str, dst: str) -> tuple[_Arr, _Arr]:
    """Convert lon/lat arrays between the ``wgs84``, ``gcj02`` and ``bd09`` datums.

    Parameters
    ----------
    lon, lat
        Degrees in ``src``; scalars or arrays.
    src, dst
        Datum names from :data:`DATUMS`.

    Returns
    -------
    tuple of numpy.ndarray
        Longitudes and latitudes in ``dst``.
    """
    key = (_check_datum(src), _check_datum(dst))
    return _CONVERTERS.get(key, _identity)(lon, lat)


def convert_datum(data: Any, src: str, dst: str) -> Any:
    """Convert geometries between the ``wgs84``, ``gcj02`` and ``bd09`` datums.

    Parameters
    ----------
    data
        A shapely geometry, an array of them, a GeoSeries or a GeoDataFrame, in ``src`` lon/lat.
    src, dst
        Datum names from :data:`DATUMS`.

    Returns
    -------
    same type as ``data``
        Converted copy; GeoSeries/GeoDataFrames are labelled EPSG:4326 (the lon/lat CRS
        closest to GCJ-02 and BD-09, which have no EPSG code).
    """
    src, dst = _check_datum(src), _check_datum(dst)

    def func(x: _Arr, y: _Arr) -> tuple[_Arr, _Arr]:
        return convert_lonlat(x, y, src, dst)

    if isinstance(data, gpd.GeoDataFrame | gpd.GeoSeries):
        out = data.copy()
        geoms = shapely.transform(np.asarray(data.geometry.array), func, interleaved=False)
        if isinstance(out, gpd.GeoDataFrame):
            out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index, crs=WGS84)
            return out.set_crs(WGS84, allow_override=True)
        return gpd.GeoSeries(geoms, index=out.index, crs=WGS84, name=out.name)
    return shapely.transform(data, func, interleaved=False)


def parse_crs(code: object) -> CRS | Literal["gcj02", "bd09"]:
    """Turn a user's coordinate-system code into a pyproj CRS or a special datum name.

    Parameters
    ----------
    code
        An EPSG number (``4547``), ``"EPSG:4526"``, a bare number as text, WKT, a PROJ
        string, a pyproj CRS, ``"wgs84"``, or a GCJ-02/BD-09 alias (case-insensitive,
        ``-``/``_`` ignored: ``"GCJ-02"``, ``"gcj02"``, ``"BD-09"``, ``"bd09ll"``).

    Returns
    -------
    pyproj.CRS or {"gcj02", "bd09"}
        The CRS, or the special datum's name.

    Raises
    ------
    CRSError
        The code is empty or unknown to pyproj, with a hint listing accepted forms.
    """
    if isinstance(code, CRS):
        return code
    if code is None or isinstance(code, bool) or (isinstance(code, str) and not code.strip()):
        raise CRSError(f"no coordinate system given (fix: {_CRS_HINT})")
    user: Any = code
    if isinstance(code, str):
        key = code.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        if key in _DATUM_ALIASES:
            return _DATUM_ALIASES[key]
        if key == "wgs84":
            return WGS84
        user = f"EPSG:{key}" if key.isdigit() else code.strip()
    try:
        return CRS.from_user_input(user)
    except (PyprojCRSError, TypeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CRSError(f"unknown coordinate system {code!r}: {reason} (fix: {_CRS_HINT})") from None


def _transform_geoms(geoms: Any, src: CRS | str, dst: CRS | str = WGS84) -> Any:
    """Transform geometries from ``src`` to ``dst`` (x/y order); non-finite where pyproj fails."""
    transformer = Transformer.from_crs(src, dst, always_xy=True)

    def func(x: _Arr, y: _Arr) -> tuple[_Arr, _Arr]:
        tx, ty = transformer.transform(x, y)
        return np.asarray(tx, dtype=np.float64), np.asarray(ty, dtype=np.float64)

    return shapely.transform(geoms, func, interleaved=False)


def _check_finite(out: Any, crs: object) -> Any:
    geoms = np.asarray(getattr(out, "geometry", out), dtype=object)
    coords = shapely.get_coordinates(geoms)
    if coords.size and not np.isfinite(coords).all():
        raise CRSError(
            f"coordinates cannot be converted from {crs}: some fall outside its area of use "
            "(fix: check that the declared CRS is the one the data is in)"
        )
    return out


def to_wgs84(data: Any, crs: object = None) -> Any:
    """Convert geometries from any supported coordinate system to WGS84 lon/lat.

    Parameters
    ----------
    data
        A GeoDataFrame, GeoSeries, shapely geometry or array of geometries.
    crs
        The coordinate system ``data`` is in (anything :func:`parse_crs` accepts). When
        omitted, a GeoDataFrame's or GeoSeries' own CRS is used.

    Returns
    -------
    same type as ``data``
        WGS84 lon/lat; GeoSeries/GeoDataFrames are labelled EPSG:4326.

    Raises
    ------
    CRSError
        No CRS given or found, an unknown code, or coordinates that do not convert.
    """
    if crs is None:
        crs = getattr(data, "crs", None)
        if crs is None:
            raise CRSError(f"the data has no coordinate system (fix: declare it: {_CRS_HINT})")
    parsed = parse_crs(crs)
    if isinstance(parsed, str):
        return _check_finite(convert_datum(data, parsed, "wgs84"), crs)
    if isinstance(data, gpd.GeoDataFrame | gpd.GeoSeries):
        out = data.set_crs(parsed, allow_override=True).to_crs(WGS84)
    else:
        out = _transform_geoms(data, parsed)
    return _check_finite(out, crs)


def to_metric(geoms: Any, crs: CRS) -> Any:
    """Project WGS84 lon/lat geometries (an array of them) into the metric ``crs``."""
    return np.asarray(_transform_geoms(np.asarray(geoms, dtype=object), WGS84, crs), dtype=object)


def to_lonlat(geoms: Any, crs: CRS) -> Any:
    """Project geometries (an array of them) in ``crs`` back to WGS84 lon/lat."""
    return np.asarray(_transform_geoms(np.asarray(geoms, dtype=object), crs, WGS84), dtype=object)


def local_metric_crs(geoms: object) -> CRS:
    """A transverse Mercator CRS on GRS80 centred on the data, for metric buffers.

    Scale error stays below 1e-5 within ~30 km of the centre, so a 3 km buffer built in
    it is within a few centimetres of its geodesic size around Dongguan.

    Parameters
    ----------
    geoms
        Shapely geometries (or array/GeoSeries of them) in WGS84 lon/lat.

    Returns
    -------
    pyproj.CRS
        ``+proj=tmerc`` with ``lon_0``/``lat_0`` at the centre of the data's bounds.
    """
    arr = np.asarray(getattr(geoms, "values", geoms), dtype=object).ravel()
    xmin, ymin, xmax, ymax = shapely.total_bounds(arr)
    lon0, lat0 = (xmin + xmax) / 2, (ymin + ymax) / 2
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 +x_0=0 +y_0=0 +ellps={GRS80_ELLPS} +units=m +no_defs"
    )
