"""Reading a parcel layer fast: only the needed columns, as Arrow, coordinates straight from the WKB."""

from __future__ import annotations

import difflib
import json
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from ..crs import convert_lonlat, parse_crs, to_lonlat
from ..errors import ConfigError, CRSError, DataFileError, MissingFileError, SchemaError
from ..figures import area_field_figures, rounding_decimals
from ..ingest import ReadOptions, field_decimals, is_postgis_source, postgis_schema
from ..methods import MethodAreas
from ..sandiao import SANDIAO_FIELDS, Flat
from ..schema import ID_COLUMNS
from ._batches import PARQUET_SUFFIXES, no_rings, read_geometry, source_batches
from ._values import ids_text, numbers, text_precision

__all__ = ["PARQUET_SUFFIXES", "ParcelLayer", "Progress", "read_parcels"]

log = logging.getLogger(__name__)

#: A progress hook: called with the stage's name and the share of the whole job done (0-1).
Progress = Callable[[str, float], None]

_SHOWN = 5


@dataclass(frozen=True, eq=False)
class ParcelLayer:
    """A parcel layer as read: ids, lon/lat rings, stated areas and the 三调 columns.

    Attributes
    ----------
    path
        The file read.
    ids
        Feature ids as text (the id field, else ``#<row>``).
    wkb
        The geometries as read (WKB, in ``source_crs``), kept for writing them back; ``None`` when
        read with ``keep_geometry=False`` (a CSV-only run: half the memory).
    flat
        The rings in CGCS2000/WGS84 lon/lat (:class:`zonemap.sandiao.Flat`; its ``geoms`` are
        placeholders, see :attr:`geometry`). Without vertices when read with ``keep_rings=False``:
        :attr:`areas` then holds what the kernels made of them.
    missing, empty
        Per feature: no geometry; an empty one.
    stated_m2, precision_m2
        The stated area (NaN where empty) and half a unit of its last digit, in m².
    source_crs
        The CRS the file is in (or ``gcj02`` / ``bd09``).
    area_field, area_unit, area_decimals, id_field
        What was read: the field, its unit as written, its decimals (None for text values, whose
        digits count), the id field (None: row numbers).
    sandiao
        The 三调 columns present (TBMJ, KCXS, KCMJ, TBDLMJ), as floats.
    """

    path: Path
    ids: NDArray[np.object_]
    wkb: pa.ChunkedArray | None
    flat: Flat
    missing: NDArray[np.bool_]
    empty: NDArray[np.bool_]
    stated_m2: NDArray[np.float64]
    precision_m2: NDArray[np.float64]
    source_crs: CRS | str
    area_field: str
    area_unit: str
    area_decimals: int | None
    id_field: str | None
    sandiao: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    #: Every parcel's area by each candidate method, when computed while reading (``keep_rings=False``).
    areas: MethodAreas | None = None
    #: Whether some parcel has more than one ring (holes or parts): the layer is not all simple polygons.
    multi_ring: bool = False

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def lonlat_wkb(self) -> bool:
        """Whether :attr:`wkb` is already lon/lat (WGS84 or CGCS2000), so it can be written as it is."""
        return isinstance(self.source_crs, CRS) and self.source_crs.is_geographic

    @cached_property
    def geometry(self) -> NDArray[np.object_]:
        """Shapely geometries in lon/lat (built on first use only: the table needs none)."""
        if self.wkb is None:
            raise ConfigError(f"{self.path}: geometries were not kept (fix: read_parcels(..., keep_geometry=True))")
        geoms = shapely.from_wkb(np.asarray(self.wkb.to_numpy(zero_copy_only=False), dtype=object))
        if self.lonlat_wkb:
            return np.asarray(geoms, dtype=object)
        if isinstance(self.source_crs, str):
            return np.asarray(
                shapely.transform(
                    geoms, lambda xy: np.column_stack(convert_lonlat(xy[:, 0], xy[:, 1], str(self.source_crs), "wgs84"))
                ),
                dtype=object,
            )
        return np.asarray(to_lonlat(geoms, self.source_crs), dtype=object)


def _norm(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _find(names: list[str], wanted: str) -> str | None:
    """The column named ``wanted``: exactly, else ignoring case and width."""
    if wanted in names:
        return wanted
    hits = [n for n in names if _norm(n) == _norm(wanted)]
    return hits[0] if len(hits) == 1 else None


def _schema(path: Path, layer_name: str | None, encoding: str | None) -> tuple[list[str], str | None, Any]:
    """(attribute names, geometry column, CRS as declared) without reading features."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException) as exc:
            raise DataFileError(f"{path}: cannot read as Parquet: {exc} (fix: check the file)") from None
        geo = json.loads((schema.metadata or {}).get(b"geo", b"{}") or b"{}")
        col = geo.get("primary_column")
        if col is None:
            raise DataFileError(
                f"{path}: a Parquet file without GeoParquet 'geo' metadata (fix: write it as GeoParquet)"
            )
        meta = geo.get("columns", {}).get(col, {})
        if str(meta.get("encoding", "WKB")).lower() not in ("wkb", "polygon"):
            raise DataFileError(
                f"{path}: geometry encoding {meta.get('encoding')!r} is not read (fix: write the GeoParquet "
                "with WKB geometry, geopandas' default, or geoarrow 'polygon')"
            )
        # GeoParquet: a missing crs means OGC:CRS84 (lon/lat WGS84), an explicit null an unknown one
        crs = meta.get("crs", "OGC:CRS84")
        return [n for n in schema.names if n != col], col, None if crs is None else json.dumps(crs)
    import pyogrio

    try:
        info = pyogrio.read_info(path, layer=layer_name, encoding=encoding)
    except Exception as exc:  # pyogrio raises several types for unreadable files and layers
        raise DataFileError(
            f"{path}: cannot read: {exc} (fix: check the file opens in QGIS, or --layer-name)"
        ) from None
    return [str(f) for f in info["fields"]], info.get("geometry_name") or None, info.get("crs")


def _row_count(path: Path, layer_name: str | None) -> int | None:
    """The number of features, when the file says it without a read (for the progress of a batched read)."""
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        import pyogrio

        n = int(pyogrio.read_info(path, layer=layer_name)["features"])
    except Exception:  # only the progress bar needs it: unknown is fine
        return None
    return n if n > 0 else None


def _unit_precision(
    path: Path, field_name: str, stated: NDArray[np.float64], unit: str | None, decimals: int | None, is_text: bool
) -> tuple[float, str, int]:
    """(m² per unit, unit as written, decimals) by :func:`zonemap.figures.area_field_figures`' own rules.

    One value is run through it: the first non-whole one if any (so an undeclared number of decimals
    is refused as it refuses it), else the first; its unit and precision are those of every value.
    """
    finite = np.flatnonzero(np.isfinite(stated) & (stated > 0))
    if not finite.size:
        return 1.0, unit or field_name, decimals or 0
    frac = finite[stated[finite] != np.round(stated[finite])]
    i = int(frac[0] if frac.size else finite[0])
    one = pd.DataFrame({"id": ["x"], field_name: [float(stated[i])]})
    # text values keep their own written digits (the decimals only matter for the unit lookup here); a
    # declared number (GDAL writes floats as N(24,15)) counts only as far as the values are rounded
    if not is_text and decimals is not None:
        decimals = rounding_decimals(pd.Series(stated[finite]), decimals, str(path), field_name)
    dec_in = 0 if is_text else decimals
    if is_text:
        one[field_name] = 1.0
    row = area_field_figures(one, field_name, unit=unit, decimals=dec_in, source=str(path)).iloc[0]
    dec = int(row["decimals"])
    return float(row["unit_m2"]), str(row["unit_as_written"]), dec


def read_parcels(
    path: Path | str,
    *,
    area_field: str,
    area_unit: str | None = None,
    area_decimals: int | None = None,
    id_field: str | None = None,
    layer_name: str | None = None,
    crs: Any = None,
    encoding: str | None = None,
    table: str | None = None,
    keep_geometry: bool = True,
    keep_rings: bool = True,
    progress: Progress | None = None,
) -> ParcelLayer:
    """Read a parcel layer's ids, geometries and stated areas, and nothing else.

    Parameters
    ----------
    path
        GeoPackage, Shapefile, GeoJSON... (pyogrio, Arrow) or GeoParquet (pyarrow; WKB or geoarrow `polygon` encoding).
    area_field
        The stated-area attribute (``TBMJ``, ``面积亩``...), found exactly, else ignoring case.
    area_unit
        Its unit as written; by default from the field name (:func:`zonemap.figures.area_field_figures`).
    area_decimals
        Its decimals; by default the Shapefile's declared ones, else 0 for whole numbers (others refused).
    id_field
        The id attribute; by default the first of :data:`zonemap.schema.ID_COLUMNS`, else row numbers.
    layer_name
        The layer of a multi-layer file.
    crs
        The data's CRS when the file declares none (or declares it wrongly); any form
        :func:`zonemap.crs.parse_crs` takes.
    encoding
        Attribute encoding (Shapefiles without ``.cpg``: ``GBK``).
    table
        For a PostGIS source (``PG:"dbname=... tables=..."``, ``postgresql://...``): the table
        (``schema.table``, ``table(geometry)``); numeric(p, s) columns declare their decimals.
    keep_geometry
        Keep the WKB for writing geometries and buffering (:attr:`ParcelLayer.wkb`); ``False``
        frees it once the coordinates are read.
    keep_rings
        Keep every vertex (:attr:`ParcelLayer.flat`, needed to draw the parcels); ``False`` reads
        the layer in batches of rows and keeps only each parcel's area by every candidate method
        (:attr:`ParcelLayer.areas`, :func:`zonemap.methods.method_areas`): the memory of a few
        batches instead of the layer's vertices, what a reconciliation needs.
    progress
        Called as ``progress("read", share)``.

    Returns
    -------
    ParcelLayer
        Empty stated values and missing or empty geometries are kept (as NaN / flags).

    Raises
    ------
    MissingFileError, DataFileError, SchemaError, CRSError
        No such file; unreadable; a missing field, a non-numeric value, a non-polygon; no or an unknown CRS.
    """
    pg = is_postgis_source(str(path))
    p = Path(path)
    pg_decimals: dict[str, int] = {}
    pg_opts: ReadOptions | None = None
    geom: str | None
    declared: Any
    if pg:
        pg_opts = ReadOptions(layer_name=layer_name, table=table)
        names, pg_crs, pg_decimals, shown = postgis_schema(str(path), pg_opts)
        geom, declared, p = "geometry", None if pg_crs is None else pg_crs.to_json(), Path(shown)
    elif not p.exists():
        raise MissingFileError(f"{p}: no such file (fix: check the path)")
    else:
        names, geom, declared = _schema(p, layer_name, encoding)
    found = _find(names, area_field)
    if found is None:
        near = difflib.get_close_matches(area_field, names, n=3)
        raise SchemaError(
            f"{p}: no attribute {area_field!r} (fix: --area-field one of the layer's attributes"
            f"{': ' + ', '.join(near) if near else ''})"
        )
    if id_field is not None and _find(names, id_field) is None:
        raise SchemaError(f"{p}: no id attribute {id_field!r} (fix: --id-field one of {', '.join(names[:12])})")
    id_col = _find(names, id_field) if id_field else next((c for w in ID_COLUMNS if (c := _find(names, w))), None)
    extra = [c for w in SANDIAO_FIELDS if (c := _find(names, w)) is not None and c != found]
    columns = list(dict.fromkeys([c for c in (id_col, found, *extra) if c is not None]))
    if crs is not None:
        source: CRS | str = parse_crs(crs)
    elif declared is None:
        raise CRSError(f"{p}: the layer declares no coordinate system (fix: pass it with --crs, e.g. --crs EPSG:4490)")
    else:
        source = parse_crs(declared)
    if progress:
        progress("read", 0.0)
    batches = source_batches(p, str(path), pg_opts, columns, geom, layer_name, encoding, whole=keep_rings)
    total = None if pg or keep_rings or progress is None else _row_count(p, layer_name)
    hook = None if progress is None or not total else (lambda rows: progress("read", 0.3 * rows / total))
    geo = read_geometry(p, source, batches, columns, id_col, keep_geometry, keep_rings, hook)
    if progress:
        progress("read", 0.3)
    arrow = geo.attributes
    n = arrow.num_rows
    ids = (
        np.asarray(pc.cast(arrow.column(id_col), pa.string()).to_numpy(zero_copy_only=False), dtype=object)
        if id_col
        else np.char.add("#", np.arange(n).astype(str)).astype(object)
    )
    if id_col is not None and arrow.column(id_col).null_count:
        nulls = np.asarray(arrow.column(id_col).is_null().to_numpy(zero_copy_only=False), dtype=bool)
        ids[nulls] = np.char.add("#", np.flatnonzero(nulls).astype(str)).astype(object)
    values = numbers(p, arrow, found, ids)
    nonpos = np.isfinite(values) & (values <= 0)
    if nonpos.any():
        raise SchemaError(
            f"{p}: attribute {found!r} is zero or negative for {ids_text(ids, nonpos)} "
            "(fix: correct the stated areas, or clear them to leave those parcels unchecked)"
        )
    if area_decimals is None and p.suffix.lower() in (".shp", ".dbf"):
        area_decimals = field_decimals(p, found, encoding)
    elif area_decimals is None and found in pg_decimals:
        area_decimals = pg_decimals[found]
    is_text = pa.types.is_string(arrow.column(found).type) or pa.types.is_large_string(arrow.column(found).type)
    unit_m2, unit_written, decimals = _unit_precision(p, found, values, area_unit, area_decimals, is_text)
    stated = values * unit_m2
    if is_text:
        precision = text_precision(arrow.column(found), unit_m2)
    else:
        precision = np.where(np.isfinite(values), 0.5 * 10.0**-decimals * unit_m2, np.nan)
    flat = geo.flat if geo.flat is not None else no_rings(n)
    sandiao = {w: numbers(p, arrow, c, ids) for w in SANDIAO_FIELDS if (c := _find([found, *extra], w))}
    del arrow
    if not keep_geometry:
        pa.default_memory_pool().release_unused()
    log.info("%s: %d parcels, %d vertices, %s in %s", p, n, geo.vertices, found, unit_written)
    return ParcelLayer(
        path=p,
        ids=ids,
        wkb=geo.wkb,
        flat=flat,
        missing=geo.missing,
        empty=geo.empty,
        stated_m2=stated,
        precision_m2=precision,
        source_crs=source,
        area_field=found,
        area_unit=unit_written,
        area_decimals=None if is_text else decimals,
        id_field=id_col,
        sandiao=sandiao,
        areas=geo.areas,
        multi_ring=geo.multi_ring,
    )
