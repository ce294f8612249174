"""Coordinate plausibility checks behind :mod:`zonemap.ingest` (private).

Imported data must land in Dongguan. Before converting, the numbers are checked against the
coordinate system they are said to be in: swapped latitude/longitude, projected metres
declared (or taken) as degrees, a missing CRS, points outside China. When a reference town
outline is at hand, data that lines up with it only after a GCJ-02 or BD-09 -> WGS84
conversion is flagged as traced on a Chinese web map. Every finding names the file, the
feature and the ``--crs`` (or other option) that fixes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer

from ..crs import CHINA_BBOX, parse_crs, to_lonlat, to_wgs84
from ..crs import DONGGUAN_CENTRE as _CENTRE
from ..errors import Problem

__all__ = [
    "DATUM_NOT_VERIFIED",
    "CrsChoice",
    "check_geographic",
    "check_landing",
    "choose_crs",
    "convert",
    "guess_projected",
]

log = logging.getLogger(__name__)

Spec = CRS | Literal["gcj02", "bd09"]


#: Projected CRSs planners' files around Dongguan come in, most likely first.
_CANDIDATES = (4547, 4526, 32650, 32649, 4509, 4498, 4497, 3857, 2383)

#: A guessed CRS "fits" when the data's median point lands this close to the anchor.
_FIT_KM = 60.0

_GEOD = Geod(ellps="WGS84")
_WGS84_LONLAT = CRS.from_epsg(4326)


@dataclass(frozen=True)
class CrsChoice:
    """The coordinate system the data is taken to be in, and why.

    Parameters
    ----------
    spec
        A pyproj CRS or ``"gcj02"`` / ``"bd09"``.
    source
        ``"--crs"`` (the user), ``"declared"`` (the file), ``"implied"`` (the format),
        or ``"assumed"`` (nothing said; the numbers look like lon/lat degrees).
    """

    spec: Spec
    source: str

    @property
    def label(self) -> str:
        """Short name: ``EPSG:4547``, ``gcj02``..."""
        if isinstance(self.spec, str):
            return self.spec
        auth = self.spec.to_authority()
        return ":".join(auth) if auth else self.spec.name

    @property
    def geographic(self) -> bool:
        """Whether the coordinates are degrees (lon/lat)."""
        return isinstance(self.spec, str) or bool(self.spec.is_geographic)


def _distance_km(lon: float, lat: float, anchor: tuple[float, float]) -> float:
    if not (np.isfinite(lon) and np.isfinite(lat)) or abs(lat) > 90:
        return float("inf")
    return float(_GEOD.inv(lon, lat, *anchor)[2]) / 1000.0


def guess_projected(xy: np.ndarray, anchor: tuple[float, float] = _CENTRE) -> list[str]:
    """Name the projected CRSs under which these numbers land near ``anchor``.

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in unknown metres.
    anchor
        Where the data should be (lon, lat): the town, or Dongguan.

    Returns
    -------
    list of str
        ``"EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)"``..., best first; empty
        when no candidate fits.
    """
    if xy.size == 0:
        return []
    x, y = np.median(xy[:, 0]), np.median(xy[:, 1])
    fits = []
    for rank, code in enumerate(_CANDIDATES):
        crs = CRS.from_epsg(code)
        lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
        dist = _distance_km(lon, lat, anchor)
        if dist < _FIT_KM:
            fits.append((dist > 5.0, rank, f"EPSG:{code} ({crs.name})"))
    return [name for *_, name in sorted(fits)]


def _projected_hint(xy: np.ndarray, anchor: tuple[float, float]) -> str:
    guesses = guess_projected(xy, anchor)
    if not guesses:
        return (
            "find the file's coordinate system (the .prj, the CAD drawing's notes, the surveyor) "
            "and pass it with --crs, e.g. --crs EPSG:4547"
        )
    others = f"; other fits: {', '.join(guesses[1:])}" if len(guesses) > 1 else ""
    return f"pass --crs {guesses[0].split(' ')[0]}: the numbers fit {guesses[0]}{others}"


def _at(geoms: np.ndarray, i: int) -> str:
    """The first coordinate of feature ``i``, for messages."""
    x, y = shapely.get_coordinates(geoms[i])[0]
    return f"x={x:.1f}, y={y:.1f}" if max(abs(x), abs(y)) > 1000 else f"x={x:.6f}, y={y:.6f}"


def check_geographic(
    geoms: np.ndarray, choice: CrsChoice | None, labels: list[str], path: str, anchor: tuple[float, float]
) -> list[Problem]:
    """Check degree coordinates (or coordinates with no CRS) for the usual mistakes.

    Parameters
    ----------
    geoms
        Geometries as read.
    choice
        The CRS they are said to be in, or ``None`` when nothing says.
    labels
        Feature labels for messages.
    path
        The file, for messages.
    anchor
        Where the data should be (lon, lat), for ranking CRS guesses.

    Returns
    -------
    list of Problem
        Swapped axes, projected metres, outside China; empty when every feature is plausible.
    """
    bounds = shapely.bounds(geoms)
    ok = ~np.isnan(bounds).any(axis=1)
    x0, y0, x1, y1 = CHINA_BBOX
    minx, miny, maxx, maxy = bounds.T
    inside = ok & (minx > x0) & (maxx < x1) & (miny > y0) & (maxy < y1)
    swapped = ok & ~inside & (miny > x0) & (maxy < x1) & (minx > y0) & (maxx < y1)
    metres = (
        ok & ~swapped & ((np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1))
    )
    said = "has no coordinate system" if choice is None else f"is taken as {choice.label} ({choice.source})"
    problems = []
    if metres.any():
        hint = _projected_hint(shapely.get_coordinates(geoms[metres]), anchor)
        problems += [
            Problem(path, labels[i], f"coordinates are metres, not degrees ({_at(geoms, i)}); the file {said}", hint)
            for i in np.flatnonzero(metres).tolist()
        ]
    problems += [
        Problem(
            path,
            labels[i],
            f"latitude and longitude look swapped ({_at(geoms, i)})",
            "swap the columns in the source, or rerun with --swap-xy",
        )
        for i in np.flatnonzero(swapped).tolist()
    ]
    outside = ok & ~inside & ~swapped & ~metres
    problems += [
        Problem(
            path,
            labels[i],
            f"lies outside China ({_at(geoms, i)}) while the file {said}",
            "check the coordinate order and --crs of the source",
        )
        for i in np.flatnonzero(outside).tolist()
    ]
    return problems


def check_landing(
    raw: np.ndarray, wgs: np.ndarray, choice: CrsChoice, labels: list[str], path: str, anchor: tuple[float, float]
) -> list[Problem]:
    """Check that projected data, once converted, lands in China.

    Parameters
    ----------
    raw
        Geometries in the source CRS.
    wgs
        The same converted to WGS84 (non-finite where the conversion failed).
    choice
        The source CRS.
    labels, path
        For messages.
    anchor
        Where the data should be (lon, lat), for CRS guesses.

    Returns
    -------
    list of Problem
        One per feature that does not land in China.
    """
    bounds = shapely.bounds(wgs)
    x0, y0, x1, y1 = CHINA_BBOX
    with np.errstate(invalid="ignore"):
        inside = (bounds[:, 0] > x0) & (bounds[:, 2] < x1) & (bounds[:, 1] > y0) & (bounds[:, 3] < y1)
    present = ~shapely.is_missing(wgs) & ~shapely.is_empty(wgs)
    bad = np.flatnonzero(present & ~inside)
    if not bad.size:
        return []
    hint = _projected_hint(shapely.get_coordinates(raw[bad]), anchor)
    return [
        Problem(path, labels[i], f"with {choice.label} ({choice.source}) it lands outside China ({_at(raw, i)})", hint)
        for i in bad.tolist()
    ]


def choose_crs(user: object, declared: CRS | None, source: str) -> CrsChoice | None:
    """Pick the CRS: the user's ``--crs`` first, then what the file declares or implies.

    Parameters
    ----------
    user
        The ``--crs`` value, or ``None``.
    declared
        The file's CRS, or ``None``.
    source
        ``"declared"``, ``"implied"`` or ``"none"``.

    Returns
    -------
    CrsChoice or None
        ``None`` when nothing names a CRS.
    """
    if user is not None:
        spec = parse_crs(user)
        if declared is not None and source == "declared" and not (isinstance(spec, CRS) and spec.equals(declared)):
            # GCJ-02/BD-09 traces are routinely labelled WGS84: overriding that is the normal case
            web_trace = isinstance(spec, str) and declared.is_geographic
            log.log(
                logging.INFO if web_trace else logging.WARNING,
                "--crs %s overrides the file's own CRS (%s)",
                user,
                declared.name,
            )
        return CrsChoice(spec, "--crs")
    if declared is None:
        return None
    return CrsChoice(declared, source)


#: What import says when no outline could test the datum (issue 12.8).
DATUM_NOT_VERIFIED = (
    "datum not verified: no reference features near this data; AMap/Tencent coordinates are "
    "GCJ-02, Baidu BD-09: pass --crs if so"
)


def convert(geoms: np.ndarray, choice: CrsChoice) -> np.ndarray:
    """Convert geometries to WGS84 lon/lat (non-finite coordinates where that fails).

    Parameters
    ----------
    geoms
        Geometries in ``choice``'s CRS.
    choice
        Their coordinate system.

    Returns
    -------
    numpy.ndarray
        WGS84 geometries.
    """
    if isinstance(choice.spec, str):
        return np.asarray(to_wgs84(geoms, choice.spec), dtype=object)
    if choice.spec.equals(_WGS84_LONLAT, ignore_axis_order=True):
        return np.asarray(geoms, dtype=object)  # already WGS84 lon/lat: no copy of every geometry
    return to_lonlat(geoms, choice.spec)  # no finiteness check here: check_landing names each feature
