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

from ..crs import CHINA_BBOX, convert_datum, local_metric_crs, parse_crs, to_lonlat, to_metric, to_wgs84
from ..crs import DONGGUAN_CENTRE as _CENTRE
from ..errors import Problem

__all__ = [
    "DATUM_NOT_VERIFIED",
    "Border",
    "CrsChoice",
    "DatumFinding",
    "check_geographic",
    "check_landing",
    "choose_crs",
    "convert",
    "datum_finding",
    "datum_test",
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


@dataclass(frozen=True)
class DatumFinding:
    """Evidence that data follows a reference outline only after a datum shift.

    Distances are from the data's vertices to the outline's border: ``*_median_m`` their
    median, ``*_spread_m`` their median absolute deviation, as WGS84 (``as_is``) and after
    converting from ``datum``.
    """

    datum: str
    vertices: int
    as_is_median_m: float
    as_is_spread_m: float
    shifted_median_m: float
    shifted_spread_m: float

    def message(self, outline_name: str) -> str:
        """Describe the finding for a person (``outline_name``: 凤岗镇, Shenzhen (深圳市)...)."""
        service = "AMap/Gaode or Tencent (GCJ-02)" if self.datum == "gcj02" else "Baidu (BD-09)"
        return (
            f"the features follow the reference border of {outline_name} only after a {self.datum} -> WGS84 "
            f"conversion ({self.vertices} vertices within 1.5 km of it lie {self.as_is_median_m:.0f} "
            f"± {self.as_is_spread_m:.0f} m from it as WGS84, {self.shifted_median_m:.0f} "
            f"± {self.shifted_spread_m:.0f} m as {self.datum}): it looks traced on {service}"
        )


#: A datum test outcome: the data fits the outline as WGS84, a shift fits it better, or nothing can be said.
DatumVerdict = Literal["wgs84", "shifted", "unknown"]

#: Vertices this close (m) to an outline's border are evidence for or against a datum shift.
NEAR_BORDER_M = 1500.0

#: What import says when no outline could test the datum (issue 12.8).
DATUM_NOT_VERIFIED = (
    "datum not verified: no reference features near this data; AMap/Tencent coordinates are "
    "GCJ-02, Baidu BD-09: pass --crs if so"
)


def _sample_vertices(geoms: np.ndarray, n: int = 5000) -> np.ndarray:
    """Up to ``n`` vertices spread evenly over the data, as points."""
    pts = shapely.get_coordinates(geoms)
    if len(pts) > n:
        pts = pts[np.linspace(0, len(pts) - 1, n).astype(int)]
    return np.asarray(shapely.points(pts), dtype=object)


@dataclass(frozen=True)
class Border:
    """An outline's border ready for distance tests: lon/lat, and in a local metric projection.

    Build it once per outline (:meth:`of`); :func:`datum_test` takes it in place of the outline.
    """

    boundary: shapely.Geometry
    line: shapely.Geometry
    to_metric: Transformer

    @classmethod
    def of(cls, outline: shapely.Geometry) -> Border:
        """The border of a WGS84 outline (polygon or multipolygon)."""
        crs = local_metric_crs(np.array([outline], dtype=object))
        boundary = shapely.boundary(outline)
        return cls(
            boundary,
            to_metric(np.array([boundary], dtype=object), crs)[0],
            Transformer.from_crs(4326, crs, always_xy=True),
        )

    def distances(self, points: np.ndarray) -> np.ndarray:
        """Metres from each lon/lat point to the border."""
        xy = shapely.get_coordinates(points)
        x, y = self.to_metric.transform(xy[:, 0], xy[:, 1])
        return np.asarray(shapely.distance(shapely.points(np.column_stack([x, y])), self.line), dtype=float)


def _median_spread(d: np.ndarray) -> tuple[float, float]:
    med = float(np.median(d))
    return med, float(np.median(np.abs(d - med)))


def datum_test(geoms: np.ndarray, outline: shapely.Geometry | Border) -> tuple[DatumVerdict, DatumFinding | None]:
    """Test whether data follows a WGS84 outline as WGS84, or better as GCJ-02 or BD-09.

    A feature traced along a border (on it, or at a steady distance from it) keeps a nearly
    constant distance to the border in the right datum; a datum shift of several hundred
    metres makes that distance swing. Only vertices within :data:`NEAR_BORDER_M` of the
    border count; data far from it gives no evidence either way.

    Parameters
    ----------
    geoms
        The imported geometries taken as WGS84.
    outline
        A reference outline (WGS84): a town, Shenzhen, Dongguan; or its :class:`Border`.

    Returns
    -------
    tuple of (str, DatumFinding or None)
        ``("wgs84", None)`` when the distances to the border are steady as WGS84 (spread
        at most 60 m); ``("shifted", finding)`` when converting from GCJ-02 or BD-09 cuts
        the spread from over 60 m to under a third of that and under 30 m; ``("unknown",
        None)`` when fewer than 8 vertices (or a fifth of them) lie near the border, or
        neither reading is steady.
    """
    geoms = geoms[~shapely.is_missing(geoms)]
    if not len(geoms):
        return "unknown", None
    border = outline if isinstance(outline, Border) else Border.of(outline)
    lon0, lat0, lon1, lat1 = shapely.total_bounds(geoms)
    pad = NEAR_BORDER_M / 90_000.0  # metres to degrees, generously (1 degree of latitude is 111 km)
    if not shapely.intersects(shapely.box(lon0 - pad, lat0 - pad, lon1 + pad, lat1 + pad), border.boundary):
        return "unknown", None
    points = _sample_vertices(geoms)
    as_is = border.distances(points)
    near = as_is < NEAR_BORDER_M
    if near.sum() < 8 or near.mean() < 0.2:
        return "unknown", None
    base = _median_spread(as_is[near])
    if base[1] <= 60.0:
        return "wgs84", None
    best = None
    for datum in ("gcj02", "bd09"):  # only the sampled vertices near the border are converted
        moved = np.asarray(convert_datum(points[near], datum, "wgs84"), dtype=object)
        shifted = _median_spread(border.distances(moved))
        if shifted[1] < min(base[1] / 3, 30.0) and (best is None or shifted[1] < best.shifted_spread_m):
            best = DatumFinding(datum, int(near.sum()), *base, *shifted)
    return ("shifted", best) if best is not None else ("unknown", None)


def datum_finding(geoms: np.ndarray, outline: shapely.Geometry | Border) -> DatumFinding | None:
    """The GCJ-02 / BD-09 finding of :func:`datum_test`, or ``None``."""
    return datum_test(geoms, outline)[1]


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
