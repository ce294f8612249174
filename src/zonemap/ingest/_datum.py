"""The datum test: is a layer WGS84, or GCJ-02/BD-09 taken for it, judged against the reference border."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from pyproj import Transformer

from ..crs import convert_datum, local_metric_crs, to_metric

__all__ = [
    "NEAR_BORDER_M",
    "Border",
    "DatumFinding",
    "DatumVerdict",
    "coincidence_test",
    "datum_finding",
    "datum_test",
]


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


#: A re-traced feature lies on its original within this many metres (median over vertices).
ON_FEATURE_M = 5.0


def coincidence_test(geoms: np.ndarray, features: Border) -> tuple[DatumVerdict, DatumFinding | None]:
    """Test whether data re-traces a project's own accurate features, as WGS84 or only after a shift.

    A parcel fabric is too dense for :func:`datum_test` (a vertex moved 600 m lands near some
    other parcel's edge), but a trace of the same features lies ON them in the right datum:
    median vertex distance under :data:`ON_FEATURE_M`, and at least ten times that otherwise.

    Returns
    -------
    tuple of (str, DatumFinding or None)
        ``("wgs84", None)`` when the data lies on the features as WGS84; ``("shifted",
        finding)`` when it does only after a GCJ-02 / BD-09 conversion; else ``("unknown", None)``.
    """
    geoms = geoms[~shapely.is_missing(geoms)]
    if not len(geoms):
        return "unknown", None
    points = _sample_vertices(geoms)
    as_is = features.distances(points)
    near = as_is < NEAR_BORDER_M
    if near.sum() < 8 or near.mean() < 0.2:
        return "unknown", None
    base = _median_spread(as_is[near])
    if base[0] <= ON_FEATURE_M:
        return "wgs84", None
    for datum in ("gcj02", "bd09"):
        moved = np.asarray(convert_datum(points[near], datum, "wgs84"), dtype=object)
        shifted = _median_spread(features.distances(moved))
        if shifted[0] <= ON_FEATURE_M and base[0] >= 10 * max(shifted[0], ON_FEATURE_M / 10):
            return "shifted", DatumFinding(datum, int(near.sum()), *base, *shifted)
    return "unknown", None
