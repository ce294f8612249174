"""Reading and writing geodata: RFC 7946 GeoJSON, the town layers, atomic writes.

Nothing here modifies an input file. Every output goes to a temporary file in the
destination directory and is renamed over the target only once it is complete, so a
failed or interrupted run leaves the previous output as it was. The writing helpers
(atomic writes, CSV, output-path checks, signal handling, JSON reading) live in
:mod:`zonemap.io._files` and are re-exported here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import Config
from ..errors import DataFileError, MissingFileError, SchemaError
from ..layer_checks import validate_layer_data
from ..schema import LAYERS, OPTIONAL_PROPERTIES, REQUIRED_PROPERTIES
from ..towns import TownRegistry, dongguan_towns
from ._files import write_text
from ._json import read_json

__all__ = [
    "COORD_DECIMALS",
    "TownData",
    "features_frame",
    "load_layer",
    "load_reference_towns",
    "load_town",
    "to_feature_collection",
    "write_geojson",
]

log = logging.getLogger(__name__)

#: Decimal places written for lon/lat: 1e-8 degree is about 1 mm.
COORD_DECIMALS = 8

_PROPERTY_ORDER = (*REQUIRED_PROPERTIES, *OPTIONAL_PROPERTIES)


def to_feature_collection(gdf: gpd.GeoDataFrame, decimals: int = COORD_DECIMALS) -> str:
    """Encode a GeoDataFrame as RFC 7946 GeoJSON text.

    Coordinates are WGS84 lon/lat rounded to ``decimals`` places, polygon exteriors
    counter-clockwise and holes clockwise, with no ``crs`` member.

    Parameters
    ----------
    gdf
        Features; reprojected to EPSG:4326 when in another CRS.
    decimals
        Decimal places kept for coordinates.

    Returns
    -------
    str
        The FeatureCollection, one feature per line.
    """
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    geoms = shapely.transform(geoms, lambda c: np.round(c, decimals))
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    geo_json = shapely.to_geojson(geoms)
    props = gdf.drop(columns=gdf.geometry.name)
    order = [c for c in _PROPERTY_ORDER if c in props.columns]
    props = props[order + [c for c in props.columns if c not in order]]
    records = props.astype(object).where(pd.notna(props), None).to_dict("records")
    lines = [
        f'{{"type":"Feature","properties":{json.dumps(rec, ensure_ascii=False)},"geometry":{g}}}'
        for rec, g in zip(records, geo_json, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def write_geojson(gdf: gpd.GeoDataFrame, path: Path | str, decimals: int = COORD_DECIMALS) -> Path:
    """Write features as RFC 7946 GeoJSON, atomically.

    Parameters
    ----------
    gdf
        Features to write.
    path
        Destination file.
    decimals
        Decimal places kept for coordinates.

    Returns
    -------
    Path
        The written file.
    """
    return write_text(path, to_feature_collection(gdf, decimals))


def features_frame(features: list[dict[str, Any]], path: Path) -> gpd.GeoDataFrame:
    """Decoded (already checked) GeoJSON features as a frame with every schema property and ``source_file``."""
    columns = list(REQUIRED_PROPERTIES)
    if not features:
        return gpd.GeoDataFrame(columns=columns, geometry=[], crs="EPSG:4326")
    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    for col in OPTIONAL_PROPERTIES:
        if col not in gdf.columns:
            gdf[col] = None
    gdf["accuracy_m"] = gdf["accuracy_m"].astype(float)
    gdf["source_file"] = str(path)
    return gdf


def load_layer(path: Path | str, layer: str, town: str | None = None) -> gpd.GeoDataFrame:
    """Load one layer file, validated against the schema.

    Parameters
    ----------
    path
        A ``<layer>.geojson`` file.
    layer
        Layer name (``zones``, ``parcels``, ``places``, ``lines``).
    town
        Expected town id, checked against each feature's ``town``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature, EPSG:4326, with every schema property as a column and
        ``source_file``.

    Raises
    ------
    SchemaError
        Listing every problem found, with feature and fix.
    """
    p = Path(path)
    data = read_json(p)
    problems = validate_layer_data(data, layer, p, town=town)
    if problems:
        raise SchemaError(f"{p}: {len(problems)} problem(s) in layer {layer!r}", problems)
    return features_frame(data.get("features", []), p)


@dataclass(frozen=True)
class TownData:
    """The layers of one town as GeoDataFrames (EPSG:4326), one per entry of :data:`~zonemap.schema.LAYERS`.

    ``frames`` maps a layer name to its features (an absent layer is an empty frame);
    ``zones``, ``parcels``, ``places`` and ``lines`` are shortcuts for ``layer(name)``.
    """

    town: str
    frames: Mapping[str, gpd.GeoDataFrame]

    def __post_init__(self) -> None:
        unknown = set(self.frames) - set(LAYERS)
        if unknown:
            raise ValueError(f"TownData: unknown layer(s) {sorted(unknown)} (layers are {list(LAYERS)})")

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """The features of layer ``name`` (empty when the town has none)."""
        if name not in LAYERS:
            raise KeyError(f"no layer {name!r} (layers are {list(LAYERS)})")
        frame = self.frames.get(name)
        return frame if frame is not None else features_frame([], Path(LAYERS[name].filename))

    @property
    def zones(self) -> gpd.GeoDataFrame:
        """The zones layer."""
        return self.layer("zones")

    @property
    def parcels(self) -> gpd.GeoDataFrame:
        """The parcels layer."""
        return self.layer("parcels")

    @property
    def places(self) -> gpd.GeoDataFrame:
        """The places layer."""
        return self.layer("places")

    @property
    def lines(self) -> gpd.GeoDataFrame:
        """The lines layer."""
        return self.layer("lines")

    @property
    def polygons(self) -> gpd.GeoDataFrame:
        """The polygon layers (zones and parcels) together, with a ``layer`` column."""
        parts = [self.layer(name).assign(layer=name) for name, layer in LAYERS.items() if layer.polygonal]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")

    def features(self) -> gpd.GeoDataFrame:
        """Every feature of every layer, with a ``layer`` column."""
        parts = [self.layer(name).assign(layer=name) for name in LAYERS]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")


def load_town(config: Config, town: str) -> TownData:
    """Load every layer of a town from ``config.geodata_dir / town``.

    Parameters
    ----------
    config
        Where the geodata lives.
    town
        Town id (a folder of ``config.geodata_dir``).

    Returns
    -------
    TownData
        The town's layers; a layer whose file is absent is empty.

    Raises
    ------
    MissingFileError, SchemaError
        For a town without a folder, or invalid layer content.
    """
    folder = config.geodata_dir / town
    if not folder.is_dir():
        raise MissingFileError(
            f"{folder}: no folder for town {town!r} (fix: a project keeps each town's layers in "
            f"<geodata>/<town id>/{{{','.join(LAYERS)}}}.geojson)"
        )
    frames = {}
    for name, layer in LAYERS.items():
        path = folder / layer.filename
        if path.is_file():
            frames[name] = load_layer(path, name, town=town)
        else:
            log.info("%s: no %s layer", folder, name)
            frames[name] = features_frame([], path)
    return TownData(town=town, frames=frames)


def load_reference_towns(config: Config, towns: TownRegistry | None = None) -> gpd.GeoDataFrame | None:
    """Load the Dongguan town outlines from the reference directory, if configured.

    Parameters
    ----------
    config
        Holds ``reference_dir``.
    towns
        The towns whose ids the ``town`` column gives (matched by name; default Dongguan's
        town list).

    Returns
    -------
    geopandas.GeoDataFrame or None
        Columns ``name`` (e.g. 凤岗镇), ``town`` (the matching town id or ``None``) and geometry;
        ``None`` when no reference directory is configured.
    """
    path = config.reference_towns
    if path is None:
        return None
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataFileError(
            f"{path}: cannot read reference layer: {exc} "
            "(fix: point --reference-dir / $ZONEMAP_REFERENCE_DIR at an intact copy)"
        ) from None
    if "name" not in gdf.columns:
        raise SchemaError(
            f"{path}: reference layer has no 'name' property "
            "(fix: use the town outlines whose features name their town, e.g. 凤岗镇)"
        )
    registry = towns or dongguan_towns()
    names = pd.Series(gdf["name"].astype(str).unique())
    by_name = {n: (t.id if (t := registry.find(n)) is not None else None) for n in names}
    gdf["town"] = gdf["name"].astype(str).map(by_name)
    # a declared CRS other than lon/lat is reprojected, not relabelled
    return gdf.set_crs("EPSG:4326") if gdf.crs is None else gdf.to_crs("EPSG:4326")
