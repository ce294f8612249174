"""Which method made a layer's stated areas, and the 三调 field arithmetic.

A parcel layer's stated areas (TBMJ, 用地面积...) were computed by some program from some
geometry. :func:`diagnose_methods` recomputes every feature's area with each candidate method
and says which ones reproduce the stated value within its precision:

========================  ==============================================================
``geodesic``              ellipsoidal area on CGCS2000 (:func:`zonemap.areas.ellipsoidal_area`,
                          equal to GeographicLib's to ~1e-9)
``sandiao``               the 三调 procedure (:func:`zonemap.sandiao.sandiao_area`)
``gk_plane``              shoelace area in the feature's 3-degree Gauss–Krüger zone
                          (EPSG:4534–4554; 4513–4533 with zone prefix give the same areas)
``utm``                   shoelace area in the feature's UTM zone on WGS84 (EPSG:326xx/327xx)
``web_mercator``          planar area in EPSG:3857 (inflated by ~1/cos²φ: +18 % at 22.8°N)
``sphere``                area on the sphere of mean radius R₁ = (2a + b)/3 = 6371008.7714 m
                          with geodetic latitudes (PostGIS ``ST_Area(geography, false)``, Turf.js)
========================  ==============================================================

How far apart they are decides what can be told apart: at Dongguan the GK plane area is
4–40 ppm above the geodesic one (0.4–4 m² per 10 ha), UTM 49N/50N differ from both by up to
~0.1 %, the sphere by ~0.3 %, Web Mercator by ~18 %. The geodesic area and the 三调 procedure
differ by ~1e-8 on large parcels and up to ~1e-6 on small ones with few vertices, so at a
precision of 0.01 m² they only separate on some parcels: both are listed (``sandiao|geodesic``)
when both match.

:func:`sandiao_field_checks` checks the 三调 attribute arithmetic: 图斑地类面积 TBDLMJ = TBMJ − KCMJ
(图斑面积 minus 扣除面积) and 扣除面积 KCMJ = TBMJ × KCXS (扣除系数), each at the decimals the found
value is stored to.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from ._method_areas import SPHERE_MEAN_RADIUS_M, MethodAreas, method_areas
from .areas import geometry_array
from .errors import SchemaError
from .sandiao import (
    FIELD_CHECK_COLUMNS,
    SANDIAO_FIELDS,
    Flat,
    flatten,
    gk3_epsg,
    per_geometry,
    sandiao_field_checks,
    sphere_signed,
    web_mercator_signed,
)

__all__ = [
    "AREA_METHODS",
    "FIELD_CHECK_COLUMNS",
    "KERNEL_ABS_ACCURACY_M2",
    "KERNEL_REL_ACCURACY",
    "SANDIAO_FIELDS",
    "MethodAreas",
    "diagnose_areas",
    "diagnose_flat",
    "diagnose_methods",
    "method_areas",
    "method_categories",
    "sandiao_field_checks",
    "sphere_area",
    "summarize_methods",
    "web_mercator_area",
]

log = logging.getLogger(__name__)

_Arr = NDArray[np.float64]


#: Candidate methods, in the order they are listed: name -> (area column, what it means for the stated values).
AREA_METHODS: dict[str, tuple[str, str]] = {
    "sandiao": ("area_sandiao_m2", "computed by the 三调 procedure on the CGCS2000 ellipsoid"),
    "geodesic": ("area_m2", "computed on the CGCS2000 ellipsoid"),
    "gk_plane": ("area_gk_m2", "computed on the Gauss–Krüger plane, not the ellipsoid"),
    "utm": ("area_utm_m2", "computed on a UTM plane (WGS84), not the ellipsoid or the Gauss–Krüger zone"),
    "web_mercator": (
        "area_webmerc_m2",
        "computed on Web Mercator, which inflates areas by about 1/cos²(latitude): not a survey area",
    ),
    "sphere": ("area_sphere_m2", "computed on a sphere (R = 6371008.8 m), not the ellipsoid"),
}
_LABELS = {
    "sandiao": "the 三调 procedure area",
    "geodesic": "the geodesic (ellipsoidal) area",
    "gk_plane": "the Gauss–Krüger plane area",
    "utm": "the UTM plane area",
    "web_mercator": "the Web Mercator (EPSG:3857) area",
    "sphere": "the spherical area",
}
#: Accuracy of the area kernels against their exact definitions (GeographicLib for the geodesic area),
#: ``KERNEL_ABS_ACCURACY_M2 + KERNEL_REL_ACCURACY·area``, added to each precision band: measured at most
#: 4e-4 m² up to 10 ha and 1e-8 relative above (see :mod:`zonemap.ellipsoid`).
KERNEL_REL_ACCURACY = 2e-8
KERNEL_ABS_ACCURACY_M2 = 5e-4
_DEG = math.pi / 180


def web_mercator_area(geoms_lonlat: Any) -> _Arr:
    """Planar area (m²) of each polygon in Web Mercator (EPSG:3857: x = aλ, y = a·atanh(sin φ)).

    Parameters
    ----------
    geoms_lonlat
        Polygons in lon/lat degrees.

    Returns
    -------
    numpy.ndarray
        Shoelace areas of the projected vertices; NaN for missing geometries.
    """
    flat = flatten(geoms_lonlat)
    return per_geometry(flat, web_mercator_signed(flat))


def sphere_area(geoms_lonlat: Any, radius_m: float = SPHERE_MEAN_RADIUS_M) -> _Arr:
    """Area (m²) of each polygon on a sphere, geodetic latitudes taken as spherical ones.

    Parameters
    ----------
    geoms_lonlat
        Polygons in lon/lat degrees.
    radius_m
        The sphere's radius; the mean radius of GRS80 by default (PostGIS's and Turf.js's).

    Returns
    -------
    numpy.ndarray
        Areas with great-circle edges (spherical-excess terms of :mod:`zonemap.ellipsoid`,
        exact to ~1e-12 for edges up to 1 km); NaN for missing geometries.
    """
    flat = flatten(geoms_lonlat)
    return per_geometry(flat, sphere_signed(flat, radius_m))


def diagnose_methods(geoms_lonlat: Any, stated_m2: Any, precision_m2: Any) -> pd.DataFrame:
    """Per feature: the area by every candidate method, its difference from the stated area, and the matches.

    Parameters
    ----------
    geoms_lonlat
        Polygons in CGCS2000/WGS84 lon/lat degrees (array-like or GeoSeries; its index is kept).
    stated_m2
        The stated area of each feature (m²); NaN where none is stated.
    precision_m2
        Half a unit of the last stated digit (m²), one per feature or one for all: a method
        matches when ``|area − stated| <= precision + 2e-8·area`` (the second term is the
        kernels' accuracy, KERNEL_ABS_ACCURACY_M2 + KERNEL_REL_ACCURACY·area: 0.0025 m² on 10 ha).

    Returns
    -------
    pandas.DataFrame
        ``stated_m2, precision_m2``, the areas ``area_sandiao_m2, area_m2`` (geodesic),
        ``area_gk_m2, area_utm_m2, area_webmerc_m2, area_sphere_m2``, the differences
        ``diff_<method>_m2`` (area − stated), ``method`` (the matching candidates joined by
        ``|`` in the order of :data:`AREA_METHODS`, ``none`` when none matches, ``no_data``
        when the geometry or the stated value is missing), ``gk_epsg`` and ``utm_epsg``.

    Raises
    ------
    SchemaError
        Stated values or precisions that are not one per feature, or negative precisions.
    """
    arr = geometry_array(geoms_lonlat)
    out = diagnose_flat(flatten(arr), stated_m2, precision_m2, shapely.is_missing(arr))
    if isinstance(geoms_lonlat, pd.Series | pd.DataFrame):
        out.index = geoms_lonlat.index
    return out


def diagnose_areas(found: MethodAreas, stated_m2: Any, precision_m2: Any) -> pd.DataFrame:
    """:func:`diagnose_methods` of features whose areas by each method are known (:func:`method_areas`).

    Parameters
    ----------
    found
        The areas.
    stated_m2, precision_m2
        As for :func:`diagnose_methods`.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`diagnose_methods` (with a default index).
    """
    n = len(found)
    stated, precision = _stated_precision(n, stated_m2, precision_m2)
    areas = found.areas
    out = pd.DataFrame({"stated_m2": stated, "precision_m2": np.array(precision)})
    codes = np.zeros(n, dtype=np.int64)
    # a stated value rounded to its precision lies within it of the exact area; the kernels are within
    # ~1e-8 of exact (GeographicLib, pyproj's shoelace), so that much is added lest a value on the edge of
    # its band be called unmatched
    tol = precision * (1 + 1e-9)
    for bit, (name, (col, _)) in enumerate(AREA_METHODS.items()):
        out[col] = areas[name]
        diff = areas[name] - stated
        out[f"diff_{name}_m2"] = diff
        with np.errstate(invalid="ignore"):
            kernel = KERNEL_ABS_ACCURACY_M2 + KERNEL_REL_ACCURACY * np.abs(areas[name])
            codes |= (np.abs(diff) <= tol + kernel).astype(np.int64) << bit
    codes[~np.isfinite(stated) | ~np.isfinite(areas["geodesic"])] = _NO_DATA_CODE
    out["method"] = method_categories(codes)
    out["gk_epsg"] = gk3_epsg(found.gk_zone)
    out["utm_epsg"] = np.where(found.south, 32700, 32600) + found.utm_zone
    return out


def diagnose_flat(flat: Flat, stated_m2: Any, precision_m2: Any, missing: NDArray[np.bool_]) -> pd.DataFrame:
    """:func:`diagnose_methods` of polygons already flattened (:func:`zonemap.sandiao.flatten`).

    Parameters
    ----------
    flat
        The rings (see :func:`method_areas`).
    stated_m2, precision_m2
        As for :func:`diagnose_methods`.
    missing
        True for each feature without a geometry (its areas are NaN, its method ``no_data``).

    Returns
    -------
    pandas.DataFrame
        The table of :func:`diagnose_methods` (with a default index).
    """
    _stated_precision(flat.geoms.size, stated_m2, precision_m2)  # refuse before the work
    return diagnose_areas(method_areas(flat, missing), stated_m2, precision_m2)


def _stated_precision(n: int, stated_m2: Any, precision_m2: Any) -> tuple[_Arr, _Arr]:
    """The stated values and precisions as one float per feature, or SchemaError."""
    stated = np.asarray(stated_m2, dtype=float).ravel()
    precision = (
        np.broadcast_to(np.asarray(precision_m2, dtype=float), (n,))
        if np.ndim(precision_m2) == 0
        else np.asarray(precision_m2, dtype=float).ravel()
    )
    if stated.size != n or precision.size != n:
        raise SchemaError(
            f"diagnose_methods: {n} geometries but {stated.size} stated values and "
            f"{precision.size} precisions (fix: give one stated area and precision per feature)"
        )
    if np.any(precision < 0):
        i = int(np.flatnonzero(precision < 0)[0])
        raise SchemaError(
            f"diagnose_methods: feature #{i} has a negative precision {precision[i]} "
            "(fix: the precision is half a unit of the last stated digit, >= 0)"
        )
    return stated, precision


_NO_DATA_CODE = 1 << len(AREA_METHODS)


def method_categories(codes: NDArray[np.int64]) -> pd.Categorical:
    """Method words of bit sets over :data:`AREA_METHODS` (bit i: the i-th matches; all bits set + 1: ``no_data``).

    A categorical of the distinct sets present, each ``"sandiao|geodesic"``, ``"none"`` or ``"no_data"``,
    so a million parcels carry a few words, not a million strings.
    """
    names = list(AREA_METHODS)
    present = np.flatnonzero(np.bincount(codes, minlength=_NO_DATA_CODE + 1))
    words = [
        "no_data" if c == _NO_DATA_CODE else "|".join(nm for b, nm in enumerate(names) if c >> b & 1) or "none"
        for c in present
    ]
    index = np.zeros(_NO_DATA_CODE + 1, dtype=np.int32)
    index[present] = np.arange(present.size)
    return pd.Categorical.from_codes(index[codes], categories=words)


def _method_sets(method: pd.Series) -> dict[str, NDArray[np.bool_]]:
    # a few distinct method sets over many features: split each distinct one once
    cat = method.array if isinstance(method.dtype, pd.CategoricalDtype) else pd.Categorical(method.astype(str))
    parts = [str(c).split("|") for c in cat.categories]
    codes = np.asarray(cat.codes)
    return {name: np.array([name in p for p in parts] + [False], dtype=bool)[codes] for name in AREA_METHODS}


_DEFAULT_FIELD = "The stated areas"


def summarize_methods(table: pd.DataFrame, field: str = _DEFAULT_FIELD, noun: str = "features") -> str:
    """One sentence (or two) on which method made a layer's stated areas.

    Parameters
    ----------
    table
        The result of :func:`diagnose_methods`.
    field
        What the stated values are, to start the sentence (``"TBMJ"``).
    noun
        What the features are (``"parcels"``).

    Returns
    -------
    str
        E.g. "TBMJ matches the Gauss–Krüger plane area of EPSG:4547 (= 4526 with zone prefix) to
        ±0.005 m² on 99.8 % of parcels (998 of 1,000): computed on the Gauss–Krüger plane, not the
        ellipsoid. 2 parcels match no method (...)."
    """
    with_data = table["method"] != "no_data"
    sub = table[with_data]
    n = len(sub)
    if n == 0:
        return f"{field}: no {noun} with both a geometry and a stated area."
    sets = _method_sets(sub["method"])
    counts = {name: int(v.sum()) for name, v in sets.items()}
    best = max(counts.values())
    none = int((sub["method"] == "none").sum())
    if best == 0:
        return (
            f"{field} match none of the methods ({', '.join(_LABELS[m] for m in AREA_METHODS)}) "
            f"on any of the {n:,} {noun}: they were not computed from these geometries, or are rounded "
            "more coarsely than their digits say."
        )
    top = [name for name, c in counts.items() if c == best]
    precision = sub["precision_m2"].to_numpy(dtype=float)
    to = f"to ±{precision[0]:g} m²" if np.all(precision == precision[0]) else "within their stated precision"

    def label(name: str) -> str:
        text = _LABELS[name]
        if name == "gk_plane":
            codes = sorted(set(sub.loc[sets[name], "gk_epsg"].astype(int)))
            # 4513-4533 are the same zones with the zone number prefixed to the easting: same areas
            text += " of EPSG:" + ", ".join(f"{c} (= {c - 21} with zone prefix)" for c in codes)
        elif name == "utm":
            codes = sorted(set(sub.loc[sets[name], "utm_epsg"].astype(int)))
            text += " of EPSG:" + ", ".join(str(c) for c in codes)
        return text

    verb = "match" if field == _DEFAULT_FIELD else "matches"
    share = 100.0 * best / n
    pct = f"{share:.1f}".rstrip("0").rstrip(".") if share < 100 else "100"
    if len(top) == 1:
        head = (
            f"{field} {verb} {label(top[0])} {to} on {pct} % of {noun} ({best:,} of {n:,}): {AREA_METHODS[top[0]][1]}."
        )
    else:
        head = (
            f"{field} {verb} {' and '.join(label(t) for t in top)} equally {to} on {pct} % of {noun} "
            f"({best:,} of {n:,}): these methods cannot be told apart at this precision "
            f"({AREA_METHODS[top[0]][1]})."
        )
    rest = []
    others = [(name, c) for name, c in counts.items() if c and name not in top]
    if others and len(top) == 1 and "sandiao" in top and counts.get("geodesic", 0):
        rest.append(
            f"{counts['geodesic']:,} of them also match the geodesic area, which the 三调 procedure "
            "differs from by ~1e-8 to 1e-6"
        )
    elif others and len(top) == 1 and "geodesic" in top and counts.get("sandiao", 0):
        rest.append(f"{counts['sandiao']:,} of them also match the 三调 procedure area")
    if none:
        rest.append(
            f"{none:,} {noun} match no method (off by more than their precision: a typing error, "
            "another geometry, or another program)"
        )
    return head + ("" if not rest else " " + "; ".join(r[0].upper() + r[1:] for r in rest) + ".")
