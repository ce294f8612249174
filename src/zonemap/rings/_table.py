"""Ring layouts and distance bands, and the proximity table of zones and parcels.

Ring sets are data (``geodata/rings.json``): annuli around a centre feature (the Luoshan
Science Park 0.5–1 / 1–2 / 2–3 km layout of the Fenggang text) or bands at given
distances from the Shenzhen city boundary on the Dongguan side. Geometry is built in a
local transverse Mercator projection with enough segments that every band edge lies within
:data:`DEFAULT_TOLERANCE_M` of its true (geodesic) distance.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import Config
from ..crs import local_metric_crs
from ..errors import SchemaError
from ..io import CSV_ENCODING, TownData, write_csv, write_text
from ..schema import RINGS_FILE

if TYPE_CHECKING:
    from ..project import Project
from ._data import RingBand, RingSet
from ._geometry import DEFAULT_TOLERANCE_M, annuli, boundary_bands
from ._proximity import band_shares, boundary_distance, boundary_side, nearest

__all__ = [
    "DEFAULT_TOLERANCE_M",
    "RINGS_FILE",
    "RingBand",
    "RingSet",
    "build_rings",
    "load_ring_sets",
    "proximity",
    "proximity_table",
    "ring_geometries",
    "write_proximity",
]

log = logging.getLogger(__name__)


_RING_COLUMNS = [
    "ring_set",
    "ring_set_name_zh",
    "ring_set_name_en",
    "band",
    "name_zh",
    "name_en",
    "inner_km",
    "outer_km",
    "colour",
    "source",
    "quote",
]


def _as_project(source: Config | Project) -> Project:
    """The project as is, or loaded from a config (the rings family's one import on use).

    The project family sits below this module: it parses ring sets with the rings family's parsers.
    """
    from ..project import as_project

    return as_project(source)


def load_ring_sets(source: Config | Project, town: str | None = None) -> list[RingSet]:
    """The ring sets of a project (``rings.json``, band radii checked against the figures they cite).

    Parameters
    ----------
    source
        A loaded :class:`~zonemap.project.Project`, or a :class:`~zonemap.config.Config`
        whose geodata directory is loaded.
    town
        Only ring sets of this town when given.

    Returns
    -------
    list of RingSet
        Empty when the project has none.
    """
    project = _as_project(source)
    return [s for s in project.ring_sets if town is None or s.town == town]


def _centre_point(ring_set: RingSet, features: gpd.GeoDataFrame) -> shapely.Point:
    if ring_set.centre_lonlat is not None:
        return shapely.Point(ring_set.centre_lonlat)
    match = features[features["id"] == ring_set.centre]
    if len(match) != 1 or match.geometry.iloc[0] is None or match.geometry.iloc[0].is_empty:
        raise SchemaError(
            f"ring set {ring_set.id}: centre {ring_set.centre!r} is not a feature of town {ring_set.town} "
            "(fix: name the id of a feature in the town's places layer)"
        )
    geom = match.geometry.iloc[0]
    return geom if geom.geom_type == "Point" else geom.representative_point()


def _city(shenzhen: gpd.GeoDataFrame | None, ring_set_id: str = "") -> shapely.Geometry:
    if shenzhen is None or not (shenzhen["kind"] == "city").any():
        raise SchemaError(
            f"ring set {ring_set_id or '?'}: needs the Shenzhen city outline "
            "(fix: provide geodata/shenzhen/shenzhen.geojson with a feature of kind 'city')"
        )
    return shapely.union_all(shenzhen.loc[shenzhen["kind"] == "city"].geometry.values)


def _window(data: TownData, reach_km: float) -> shapely.Geometry:
    """The town's bounding box grown by ``reach_km`` (a display window, not a measurement)."""
    geoms = data.features().geometry.values
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    dlat = reach_km / 110.574
    dlon = reach_km / (111.320 * np.cos(np.radians((ymin + ymax) / 2)))
    return shapely.box(xmin - dlon, ymin - dlat, xmax + dlon, ymax + dlat)


def ring_geometries(
    ring_set: RingSet,
    data: TownData,
    shenzhen: gpd.GeoDataFrame | None = None,
    clip: shapely.Geometry | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> gpd.GeoDataFrame:
    """Build the band polygons of one ring set.

    Parameters
    ----------
    ring_set
        The ring set.
    data
        The town's layers (the centre feature is looked up here).
    shenzhen
        Shenzhen outline and districts (:func:`zonemap.shenzhen.load_shenzhen`), needed for
        boundary ring sets.
    clip
        WGS84 polygon boundary bands are clipped to (e.g. Dongguan); default: the town's
        bounding box grown by the outermost band.
    tolerance_m
        Largest error of band edges.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per band (columns ``ring_set``, ``band``, names, ``inner_km``, ``outer_km``,
        ``colour``, ``source``, ``quote``), EPSG:4326.
    """
    radii = [(b.inner_km * 1000.0, b.outer_km * 1000.0) for b in ring_set.bands]
    if ring_set.centre is not None:
        geoms = annuli(_centre_point(ring_set, data.features()), radii, tolerance_m)
    else:
        city = _city(shenzhen, ring_set.id)
        reach = max(b.outer_km for b in ring_set.bands)
        # the data's extent centres the metric projection (only its bounds count: no union of every feature)
        bounds = shapely.total_bounds(data.features().geometry.values)
        region = shapely.box(*bounds) if np.all(np.isfinite(bounds)) else city
        window = clip if clip is not None else _window(data, reach + 1.0)
        geoms = boundary_bands(city, radii, region, window, tolerance_m)
    rows = [
        [
            ring_set.id,
            ring_set.name_zh,
            ring_set.name_en,
            b.id,
            b.name_zh,
            b.name_en,
            b.inner_km,
            b.outer_km,
            b.colour,
            ring_set.source,
            ring_set.quote,
        ]
        for b in ring_set.bands
    ]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=_RING_COLUMNS), geometry=list(geoms), crs="EPSG:4326")


def build_rings(source: Config | Project, town: str) -> gpd.GeoDataFrame:
    """Every ring set of a town as band polygons.

    Parameters
    ----------
    source
        The project (or a config to load it from); boundary bands are clipped to Dongguan
        when reference layers are configured.
    town
        Town id.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per band of every ring set of the town (see :func:`ring_geometries`).
    """
    project = _as_project(source)
    sets = project.ring_sets_of(town)
    data = project.data(town)
    clip = project.dongguan if any(s.boundary for s in sets) else None
    frames = [ring_geometries(s, data, project.shenzhen, clip) for s in sets]
    if not frames:
        return gpd.GeoDataFrame(pd.DataFrame(columns=_RING_COLUMNS), geometry=[], crs="EPSG:4326")
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


def _default_area() -> Callable[[np.ndarray], np.ndarray]:
    from ..areas import ellipsoidal_area

    return ellipsoidal_area


def proximity(
    polygons: gpd.GeoDataFrame,
    rings: gpd.GeoDataFrame,
    shenzhen: gpd.GeoDataFrame | None,
    area_m2: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """The proximity table of polygons: Shenzhen boundary distance, nearest district, band shares.

    Parameters
    ----------
    polygons
        Zones and parcels (columns ``id``, ``name_zh``, ``name_en``, ``kind``, optionally
        ``layer``), EPSG:4326.
    rings
        Band polygons from :func:`build_rings`.
    shenzhen
        Shenzhen city outline (kind ``city``) and districts (kind ``district``), or ``None``.
    area_m2
        Vectorized ellipsoidal area; default :func:`zonemap.areas.ellipsoidal_area`.

    Returns
    -------
    pandas.DataFrame
        One row per polygon: ``layer``, ``id``, ``name_zh``, ``name_en``, ``kind``,
        ``area_m2``, ``sz_distance_m`` (to the Shenzhen boundary), ``sz_side``
        (outside/crosses/inside), ``sz_district_id`` / ``_zh`` / ``_en`` and
        ``sz_district_distance_m`` (nearest district), and ``share_<band id>`` (fraction
        of the area in each band).
    """
    area_fn = area_m2 or _default_area()
    geoms = np.asarray(polygons.geometry.values, dtype=object)
    cols = [c for c in ("layer", "id", "name_zh", "name_en", "kind") if c in polygons.columns]
    table = pd.DataFrame(polygons[cols]).reset_index(drop=True)
    table["area_m2"] = np.asarray(area_fn(geoms), dtype=float) if len(geoms) else np.array([], dtype=float)
    if shenzhen is not None and len(geoms):
        _add_shenzhen(table, geoms, shenzhen)
    shares = band_shares(geoms, np.asarray(rings.geometry.values, dtype=object), area_fn)
    for j, band in enumerate(rings["band"]):
        table[f"share_{band}"] = shares[:, j]
    return table


def _add_shenzhen(table: pd.DataFrame, geoms: np.ndarray, shenzhen: gpd.GeoDataFrame) -> None:
    city = _city(shenzhen)
    crs = local_metric_crs(geoms)
    table["sz_distance_m"] = boundary_distance(geoms, city, crs)
    table["sz_side"] = boundary_side(geoms, city)
    districts = shenzhen[shenzhen["kind"] == "district"].reset_index(drop=True)
    idx, dist = nearest(geoms, np.asarray(districts.geometry.values, dtype=object), crs)
    for col in ("id", "name_zh", "name_en"):
        values = np.array([*districts[col].tolist(), None], dtype=object)  # idx -1 -> None
        table[f"sz_district_{col.removeprefix('name_')}"] = values[idx]
    table["sz_district_distance_m"] = dist


def proximity_table(source: Config | Project, town: str, rings: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """The proximity table of a town's zones and parcels (see :func:`proximity`).

    Parameters
    ----------
    source
        The project (or a config to load it from).
    town
        Town id.
    rings
        The town's bands from :func:`build_rings` (built when omitted).

    Returns
    -------
    pandas.DataFrame
        One row per zone and parcel, with a ``town`` column first.
    """
    project = _as_project(source)
    data = project.data(town)
    rings = rings if rings is not None else build_rings(project, town)
    table = proximity(data.polygons, rings, project.shenzhen)
    table.insert(0, "town", town)
    return table


def write_proximity(
    table: pd.DataFrame,
    csv_path: Path | str | None = None,
    json_path: Path | str | None = None,
    encoding: str = CSV_ENCODING,
) -> list[Path]:
    """Write a proximity table as CSV (:func:`zonemap.io.write_csv`) and/or JSON records, atomically.

    Parameters
    ----------
    table
        From :func:`proximity_table`.
    csv_path, json_path
        Destinations (skipped when ``None``).
    encoding
        Of the CSV: UTF-8 with a BOM by default (Excel), or e.g. ``"gbk"``; text cells that a
        spreadsheet would run as a formula are neutralised. Non-finite numbers are ``null`` in JSON.

    Returns
    -------
    list of Path
        The files written.
    """
    written: list[Path] = []
    if csv_path is not None:
        written.append(write_csv(table, csv_path, encoding=encoding))
    if json_path is not None:
        finite = table.replace([np.inf, -np.inf], np.nan)
        records = finite.astype(object).where(pd.notna(finite), None).to_dict("records")
        write_text(json_path, json.dumps(records, ensure_ascii=False, indent=1) + "\n")
        written.append(Path(json_path))
    return written
