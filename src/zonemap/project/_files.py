"""A planner's own layer files as a project: ``--figures``, ``--area-field`` and ``--centre`` rings, read in memory."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import Config
from ..errors import DataFileError, MissingFileError, SchemaError
from ..figures import LOADED_COLUMNS, load_figures, rounding_decimals
from ..io import TownData, features_frame, load_reference_towns
from ..schema import LAYERS, TOWNS_FILE, Town
from ..towns import TownRegistry, dongguan_towns, load_towns
from ._model import Project

__all__ = ["FileOptions", "load_files", "read_outline"]

log = logging.getLogger(__name__)


def _load_shenzhen(config: Config) -> gpd.GeoDataFrame | None:
    from ..shenzhen import load_shenzhen  # the Shenzhen layer is optional

    return load_shenzhen(config)


def _empty_figures() -> pd.DataFrame:
    """A figures table with no rows, in the loaded registry format."""
    return pd.DataFrame(columns=list(LOADED_COLUMNS))


def read_outline(path: Path | str, town: Town) -> gpd.GeoDataFrame:
    """A town outline from a planner's polygon file (any format GDAL reads), as a reference row.

    Parameters
    ----------
    path
        The file; its polygons are united. A file without a CRS must be lon/lat degrees.
    town
        The town it outlines.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``name`` (the town's Chinese name), ``town`` (its id), geometry in EPSG:4326.

    Raises
    ------
    MissingFileError, DataFileError
        If the file is absent, unreadable or holds no polygon.
    """
    p = Path(path)
    if not p.is_file():
        raise MissingFileError(f"{p}: outline file not found (fix: check the --outline path)")
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataFileError(
            f"{p}: cannot read the outline: {exc} (fix: give a GeoJSON, GeoPackage or "
            "Shapefile of the town's boundary polygon)"
        ) from None
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    polys = geoms[np.isin(shapely.get_type_id(geoms), (3, 6))] if len(geoms) else geoms
    if not len(polys):
        raise DataFileError(f"{p}: no polygon in the outline file (fix: give the town's boundary polygon)")
    if gdf.crs is None:
        x0, y0, x1, y1 = shapely.total_bounds(polys)
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise DataFileError(
                f"{p}: the outline has no coordinate system and is not lon/lat degrees "
                "(fix: save it with its CRS, e.g. a .prj next to the .shp)"
            )
        crs: Any = "EPSG:4326"
    else:
        crs = gdf.crs
    outline = gpd.GeoSeries([shapely.union_all(polys)], crs=crs).to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"name": [town.name_zh], "town": [town.id]}, geometry=outline.values, crs="EPSG:4326")


def _with_outline(reference: gpd.GeoDataFrame | None, outline: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """The reference outlines with the planner's own outline of one town in place of the reference one."""
    if outline is None:
        return reference
    if reference is None:
        return outline
    rest = reference[reference["town"] != outline["town"].iloc[0]]
    return gpd.GeoDataFrame(pd.concat([rest, outline], ignore_index=True), crs="EPSG:4326")


@dataclass(frozen=True)
class FileOptions:
    """How to read a planner's layer files directly (the shared options of reconcile, map, rings).

    Parameters
    ----------
    town
        The town the data belongs to (any name :meth:`TownRegistry.resolve` takes); optional.
    layer
        ``parcels`` (default) or ``zones``.
    crs, encoding, layer_name, id_field, name_field, accuracy_m, fix, swap_xy
        As for :class:`zonemap.ingest.ImportOptions`.
    parent, parent_field
        The zone id of every feature, or the column holding it.
    figures
        A figures table (registry format, CSV or XLSX).
    area_field, area_unit, area_decimals
        An attribute holding each feature's stated area, its unit (default from the field
        name) and its precision in decimals (default: the field's declared decimals).
    centre, centre_feature, bands_km
        Rings around a point (lon, lat) or a feature, with these (inner, outer) bands in km.
    outline
        A polygon file outlining the town (instead of the reference layer's outline).
    table
        The table of a PostGIS source (read parcel by parcel, see :mod:`zonemap.parcels`).
    """

    town: str | None = None
    layer: str = "parcels"
    crs: str | None = None
    encoding: str | None = None
    layer_name: str | None = None
    id_field: str | None = None
    name_field: str | None = None
    accuracy_m: float | None = None
    fix: bool = False
    swap_xy: bool = False
    parent: str | None = None
    parent_field: str | None = None
    figures: Path | None = None
    area_field: str | None = None
    area_unit: str | None = None
    area_decimals: int | None = None
    centre: tuple[float, float] | None = None
    centre_feature: str | None = None
    bands_km: tuple[tuple[float, float], ...] | None = None
    outline: Path | None = None
    table: str | None = None


def _file_town(opts: FileOptions, registry: TownRegistry, paths: Sequence[Path]) -> Town:
    if opts.town:
        return registry.resolve(opts.town)
    stem = paths[0].stem
    return Town("layer", stem, stem)


def _read_file(
    path: Path, opts: FileOptions, town: Town, registry: TownRegistry, config: Config
) -> tuple[gpd.GeoDataFrame, list[str], dict[str, int]]:
    from ..ingest import DEFAULT_ACCURACY_M, ImportOptions, import_file

    extra: dict[str, Any] = {}
    for name in ("parent", "parent_field"):
        if getattr(opts, name) is not None:
            extra[name] = getattr(opts, name)
    iopts = ImportOptions(
        layer=opts.layer,
        town=town.id,
        crs=opts.crs,
        id_column=opts.id_field,
        name_column=opts.name_field,
        encoding=opts.encoding,
        layer_name=opts.layer_name,
        accuracy_m=DEFAULT_ACCURACY_M if opts.accuracy_m is None else opts.accuracy_m,
        fix=opts.fix,
        swap_xy=opts.swap_xy,
        towns=registry,
        **extra,
    )
    result = import_file(path, iopts, config=config)
    decimals = dict(getattr(result, "field_decimals", None) or {})
    return result.features, list(result.warnings), decimals


def _file_figures(
    frame: gpd.GeoDataFrame, opts: FileOptions, town: Town, decimals: Mapping[str, int], label: str
) -> pd.DataFrame:
    from ..figures import area_field_figures

    parts = []
    ids = set(frame["id"].astype(str))
    if opts.figures is not None:
        parts.append(load_figures(opts.figures, feature_ids=ids, default_town=town.id, ids_from=label))
    if opts.area_field is not None:
        if opts.area_field not in frame.columns:
            raise SchemaError(
                f"{label}: no attribute {opts.area_field!r} for --area-field (fix: use one of "
                f"{', '.join(str(c) for c in frame.columns if c != frame.geometry.name)})"
            )
        dec = opts.area_decimals
        if dec is None and opts.area_field in decimals:
            dec = rounding_decimals(frame[opts.area_field], decimals[opts.area_field], label, opts.area_field)
        rows = area_field_figures(
            frame, opts.area_field, id_column="id", unit=opts.area_unit, decimals=dec, town=town.id, source=label
        )
        # a layer's own area attribute was computed from this very geometry: the comparison is arithmetic
        rows["accuracy_m"] = 0.0 if opts.accuracy_m is None else float(opts.accuracy_m)
        parts.append(rows)
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_figures()
    out = pd.concat(parts, ignore_index=True)
    dup = out["figure_id"][out["figure_id"].duplicated()]
    if len(dup):
        raise SchemaError(f"{label}: figure id {dup.iloc[0]!r} occurs twice (fix: give each figure its own id)")
    return out


def _file_rings(opts: FileOptions, town: Town, frame: gpd.GeoDataFrame) -> list[Any]:
    from ..rings import centre_ring_set, default_border_set

    sets = [default_border_set(town.id, None if opts.centre or opts.centre_feature else opts.bands_km)]
    if opts.centre is not None or opts.centre_feature is not None:
        if opts.centre_feature is not None and opts.centre_feature not in set(frame["id"].astype(str)):
            raise SchemaError(
                f"--centre-feature {opts.centre_feature!r} is not a feature id of the layer "
                "(fix: name one of its ids, or give --centre LON,LAT)"
            )
        sets.append(centre_ring_set(town.id, opts.bands_km, lonlat=opts.centre, feature=opts.centre_feature))
    return sets


def load_files(paths: Sequence[Path | str], opts: FileOptions, config: Config) -> Project:
    """Read a planner's layer files (and figures) into a :class:`Project`, in memory.

    Parameters
    ----------
    paths
        Layer files (GeoJSON, GeoPackage, Shapefile, KML, DXF, CSV, GeoParquet), all of one layer.
    opts
        Reading, figure and ring options.
    config
        Reference directory and tolerances; its geodata directory's towns (if it is a
        project) join Dongguan's town list for resolving ``opts.town``.

    Returns
    -------
    Project
        One town holding the files' features in ``opts.layer``.

    Raises
    ------
    ZonemapError
        Unreadable files, implausible coordinates, bad ids, figures whose subjects are
        not in the layer, each naming file, feature or row and a fix.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise SchemaError("no layer file given (fix: name a file, e.g. zonemap reconcile parcels.shp)")
    if opts.layer not in ("zones", "parcels"):
        raise SchemaError(
            f"--layer {opts.layer!r}: reconcile, map and rings read polygons (fix: --layer parcels or zones)"
        )
    towns_file = config.geodata_dir / TOWNS_FILE
    registry = load_towns(towns_file).merged(dongguan_towns()) if towns_file.is_file() else dongguan_towns()
    town = _file_town(opts, registry, files)
    if town.id not in registry:
        registry = registry.merged(TownRegistry((town,), "the layer file"))
    frames, notes, decimals = [], [], {}
    for path in files:
        frame, warnings, dec = _read_file(path, opts, town, registry, config)
        frame["town"] = town.id
        frames.append(frame)
        notes += warnings
        decimals.update(dec)
    frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    label = ", ".join(str(p) for p in files)
    dup = frame["id"][frame["id"].duplicated()]
    if len(dup):
        raise SchemaError(
            f"{label}: feature id {dup.iloc[0]!r} occurs in more than one file "
            f"({len(dup)} such) (fix: ids must be unique across the files read together)"
        )
    figures = _file_figures(frame, opts, town, decimals, label)
    empty = features_frame([], files[0])
    layer_frames = {name: (frame if name == opts.layer else empty.copy()) for name in LAYERS}
    reference = load_reference_towns(config, registry)
    if opts.outline is not None:
        reference = _with_outline(reference, read_outline(opts.outline, town))
    inputs = [*files, *(p for p in (opts.figures, opts.outline) if p is not None)]
    if config.reference_towns is not None:
        inputs.append(config.reference_towns)
    return Project(
        config,
        registry,
        {town.id: TownData(town=town.id, frames=layer_frames)},
        figures,
        tuple(_file_rings(opts, town, frame)),
        reference,
        _load_shenzhen(config),
        tuple(inputs),
        label,
        from_files=True,
        notes=tuple(notes),
    )
