"""Geometry checks and the opt-in repairs of ``zonemap import --fix`` (private).

Without ``fix`` every defect is a :class:`~zonemap.errors.Problem` and nothing is changed.
With it, each repair is applied and described in the change log: invalid geometry through
``shapely.make_valid``, open rings closed, open outlines (LineStrings) turned into polygons,
polygonal parts kept from collections, empty parts dropped. Two normalisations happen
either way and are logged: heights (Z) are dropped and polygon rings are oriented as
RFC 7946 requires (exterior counter-clockwise); neither changes a position or an area.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from ..errors import Problem
from ..schema import LAYERS

__all__ = ["GeometryCheck", "check_geometries"]

_POLYGONAL = ("Polygon", "MultiPolygon")
_FIX_HINT = "repair it in the source, or rerun with --fix"


@dataclass
class GeometryCheck:
    """Geometries after checks (and repairs), the problems left and the change log."""

    geoms: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def _type_names(geoms: np.ndarray) -> np.ndarray:
    names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ],
        dtype=object,
    )
    ids = shapely.get_type_id(geoms)
    return np.where(ids >= 0, names[np.clip(ids, 0, None)], "missing")


def _polygonal_parts(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygon parts of any geometry; drop empty and zero-area parts."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    keep = [p for p in parts if shapely.get_type_id(p) == 3 and not p.is_empty and p.area > 0]
    if len(keep) == 1:
        return keep[0]
    return shapely.MultiPolygon(keep) if keep else shapely.Polygon()


def _outline_to_polygon(geom: shapely.Geometry) -> shapely.Geometry | None:
    coords = shapely.get_coordinates(geom)
    if len(np.unique(coords, axis=0)) < 3:
        return None
    return shapely.Polygon(coords)


class _Checker:
    """Runs the steps over one layer's geometries, collecting problems and changes."""

    def __init__(self, geoms: np.ndarray, labels: list[str], path: str, fix: bool):
        self.geoms = geoms.copy()
        self.labels, self.path, self.fix = labels, path, fix
        self.out = GeometryCheck(self.geoms)
        self.broken = np.zeros(len(geoms), dtype=bool)

    def problem(self, i: int, message: str, hint: str = _FIX_HINT) -> None:
        self.out.problems.append(Problem(self.path, self.labels[i], message, hint))
        self.broken[i] = True

    def change(self, i: int, message: str) -> None:
        self.out.changes.append(f"{self.labels[i]}: {message}")

    def drop_z(self) -> None:
        has_z = np.asarray(shapely.has_z(self.geoms), dtype=bool)
        if has_z.any():
            self.geoms[has_z] = shapely.force_2d(self.geoms[has_z])
            self.out.changes.append(f"dropped heights (Z) from {int(has_z.sum())} feature(s)")

    def empty(self) -> None:
        for i in np.flatnonzero(shapely.is_missing(self.geoms) | shapely.is_empty(self.geoms)).tolist():
            self.problem(i, "geometry is empty or missing", "draw the feature's geometry, or delete the feature")

    def closed_rings(self, closed: dict[int, int]) -> None:
        for i, n in sorted(closed.items()):
            if self.fix:
                self.change(i, f"closed {n} ring(s) by repeating the first point at the end")
            else:
                self.problem(i, f"{n} polygon ring(s) not closed (last point differs from the first)")

    def types(self, layer: str) -> None:
        allowed = LAYERS[layer].geometry_types
        names = _type_names(self.geoms)
        for i in np.flatnonzero(~np.isin(names, list(allowed)) & ~self.broken).tolist():
            self.convert_type(i, str(names[i]), allowed)

    def convert_type(self, i: int, name: str, allowed: frozenset[str]) -> None:
        geom = self.geoms[i]
        new = None
        hint = _FIX_HINT
        if "Polygon" in allowed and name in ("LineString", "LinearRing"):
            new, how = _outline_to_polygon(geom), "open outline (LineString) closed into a Polygon"
            hint = "close the outline in the source, pick the layer of outlines with --layer-name, or --fix"
        elif "Polygon" in allowed and name == "GeometryCollection":
            new, how = _polygonal_parts(geom), "kept the polygon parts of a GeometryCollection"
        elif "Point" in allowed and name == "MultiPoint" and shapely.get_num_geometries(geom) == 1:
            new, how = shapely.get_geometry(geom, 0), "single-point MultiPoint made a Point"
        if new is not None and not new.is_empty and self.fix:
            self.geoms[i] = new
            self.change(i, how)
            return
        want = " or ".join(sorted(allowed))
        if new is None or new.is_empty:
            hint = "import points with --layer places and outlines with --layer zones or parcels"
        self.problem(i, f"geometry is a {name}; this layer needs {want}", hint)

    def validity(self) -> None:
        bad = np.flatnonzero(~np.asarray(shapely.is_valid(self.geoms), dtype=bool) & ~self.broken)
        for i in bad.tolist():
            reason = shapely.is_valid_reason(self.geoms[i])
            if not self.fix:
                self.problem(i, f"invalid geometry: {reason}")
                continue
            repaired = shapely.make_valid(self.geoms[i], method="structure", keep_collapsed=False)
            if shapely.get_type_id(self.geoms[i]) in (3, 6):
                repaired = _polygonal_parts(repaired)
            if repaired.is_empty:
                self.problem(i, f"invalid geometry ({reason}) collapses to nothing when repaired", "redraw the feature")
                continue
            self.geoms[i] = repaired
            self.change(
                i,
                f"repaired invalid geometry ({reason}) into a {repaired.geom_type} of "
                f"{shapely.get_num_geometries(repaired)} part(s)",
            )

    def empty_parts(self) -> None:
        idx = np.flatnonzero(np.isin(shapely.get_type_id(self.geoms), (4, 5, 6)) & ~self.broken)
        if not idx.size:
            return
        parts, owner = shapely.get_parts(self.geoms[idx], return_index=True)
        empty = np.asarray(shapely.is_empty(parts), dtype=bool)
        counts = np.bincount(owner[empty], minlength=len(idx))
        for j in np.flatnonzero(counts).tolist():
            i = int(idx[j])
            if not self.fix:
                self.problem(i, f"{counts[j]} empty part(s) in a {self.geoms[i].geom_type}")
                continue
            kept = parts[(owner == j) & ~empty]
            self.geoms[i] = kept[0] if len(kept) == 1 else type(self.geoms[i])(list(kept))
            self.change(i, f"dropped {counts[j]} empty part(s)")

    def orient(self) -> None:
        ok = ~self.broken & np.isin(shapely.get_type_id(self.geoms), (3, 6))
        oriented = shapely.orient_polygons(self.geoms[ok], exterior_cw=False)
        changed = ~shapely.equals_exact(self.geoms[ok], oriented, 0)
        self.geoms[ok] = oriented
        if changed.any():
            self.out.changes.append(
                f"re-oriented {int(changed.sum())} polygon(s) to RFC 7946 (exterior counter-clockwise, holes clockwise)"
            )


def check_geometries(
    geoms: np.ndarray, layer: str, labels: list[str], path: str, *, fix: bool, closed_rings: dict[int, int]
) -> GeometryCheck:
    """Check (and with ``fix``, repair) the geometries of one imported layer.

    Parameters
    ----------
    geoms
        WGS84 geometries, one per feature (``None`` for none).
    layer
        Target layer, which fixes the allowed geometry types.
    labels, path
        For messages.
    fix
        Apply repairs instead of reporting them.
    closed_rings
        Feature index -> rings the reader had to close.

    Returns
    -------
    GeometryCheck
        Geometries (repaired where ``fix``), the problems left, and the change log.
    """
    c = _Checker(np.asarray(geoms, dtype=object), labels, path, fix)
    c.drop_z()
    c.empty()
    c.closed_rings(closed_rings)
    c.types(layer)
    c.empty_parts()
    c.validity()
    c.orient()
    c.out.geoms = c.geoms
    return c.out
