"""A parcel layer's rows in batches: attributes as Arrow, rings straight from the WKB, areas per batch."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from ..crs import WGS84, convert_lonlat
from ..errors import CRSError, DataFileError, SchemaError
from ..ingest import ReadOptions, read_postgis_table
from ..methods import MethodAreas, method_areas
from ..sandiao import Flat
from ._wkb import NotPolygonError, geoarrow_rings, wkb_rings

__all__ = ["PARQUET_SUFFIXES", "GeometryRead", "no_rings", "read_geometry", "source_batches"]

#: Suffixes read as GeoParquet through pyarrow (the pyogrio wheels carry no Parquet driver).
PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")

#: Rows per batch when only the areas are kept: ~1e6 vertices, so every temporary stays under glibc's
#: 32 MB mmap threshold and is reused from one batch to the next instead of being mapped afresh.
BATCH_ROWS = 1 << 15


@dataclass(frozen=True, eq=False)
class GeometryRead:
    """What :func:`read_geometry` made of the batches (see :class:`zonemap.parcels.ParcelLayer`)."""

    attributes: pa.Table
    flat: Flat | None
    areas: MethodAreas | None
    wkb: pa.ChunkedArray | None
    missing: NDArray[np.bool_]
    empty: NDArray[np.bool_]
    multi_ring: bool
    vertices: int


def no_rings(n: int) -> Flat:
    """A :class:`zonemap.sandiao.Flat` of ``n`` features without a vertex."""
    none = np.zeros(0, dtype=np.intp)
    return Flat(np.zeros(0), np.zeros(0), none, none, np.zeros(0, bool), np.zeros(0, bool), np.empty(n, dtype=object))


def _whole_table(
    path: Path, columns: list[str], geom: str | None, layer_name: str | None, encoding: str | None
) -> pa.Table:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        # memory-mapped: the column chunks are decoded from the page cache, not first copied into read buffers
        return pq.read_table(path, columns=[*columns, str(geom)], memory_map=True)
    import pyogrio

    try:
        _, table = pyogrio.read_arrow(path, layer=layer_name, columns=columns, encoding=encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataFileError(
            f"{path}: cannot decode attributes: {exc} (fix: pass the right --encoding, e.g. GBK)"
        ) from None
    names = table.column_names
    gcol = geom if geom in names else next((n for n in ("wkb_geometry", "geometry") if n in names), None)
    if gcol is None:
        raise SchemaError(f"{path}: the layer has no geometry column (fix: a parcel layer needs polygons)")
    return table.rename_columns([("geometry" if n == gcol else n) for n in names]).select([*columns, "geometry"])


def _geometry_named(path: Path, table: pa.Table, geom: str | None, columns: list[str]) -> pa.Table:
    names = table.column_names
    gcol = geom if geom in names else next((n for n in ("wkb_geometry", "geometry") if n in names), None)
    if gcol is None:
        raise SchemaError(f"{path}: the layer has no geometry column (fix: a parcel layer needs polygons)")
    return table.rename_columns([("geometry" if n == gcol else n) for n in names]).select([*columns, "geometry"])


def _ogr_batches(
    path: Path, columns: list[str], geom: str | None, layer_name: str | None, encoding: str | None
) -> Iterator[pa.Table]:
    import pyogrio

    try:
        with pyogrio.open_arrow(
            path, layer=layer_name, columns=columns, encoding=encoding, batch_size=BATCH_ROWS, use_pyarrow=True
        ) as (meta, reader):
            gname = meta.get("geometry_name") or geom
            empty = True
            for batch in reader:
                empty = False
                yield _geometry_named(path, pa.Table.from_batches([batch]), gname, columns)
            if empty:
                yield _geometry_named(path, pa.Table.from_batches([], schema=reader.schema), gname, columns)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataFileError(
            f"{path}: cannot decode attributes: {exc} (fix: pass the right --encoding, e.g. GBK)"
        ) from None


def source_batches(
    path: Path,
    source: str,
    pg: ReadOptions | None,
    columns: list[str],
    geom: str | None,
    layer_name: str | None,
    encoding: str | None,
    whole: bool,
) -> Iterator[pa.Table]:
    """The layer's ``columns`` and its geometry (as column ``geometry``): one table, or batches of rows.

    ``whole`` reads it in one piece; otherwise GeoParquet and OGR layers come in batches of
    :data:`BATCH_ROWS` (a PostGIS table is fetched whole either way, then sliced). ``source`` is the path as given
    (a ``PG:``/``postgresql://`` string for PostGIS).
    """
    if pg is not None:
        table = read_postgis_table(source, pg, columns)[0]
        if whole or table.num_rows <= BATCH_ROWS:
            yield table
        else:  # fetched whole; sliced (zero-copy) so the batches' kernels run side by side
            for start in range(0, table.num_rows, BATCH_ROWS):
                yield table.slice(start, BATCH_ROWS)
    elif whole:
        yield _whole_table(path, columns, geom, layer_name, encoding)
    elif path.suffix.lower() in PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path, memory_map=True)
        if pf.metadata.num_rows == 0:
            yield _whole_table(path, columns, geom, layer_name, encoding)
            return
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=[*columns, str(geom)]):
            yield _geometry_named(path, pa.Table.from_batches([batch]), geom, columns)
    else:
        yield from _ogr_batches(path, columns, geom, layer_name, encoding)


def _lonlat(path: Path, crs: CRS | str, x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[Any, Any]:
    if isinstance(crs, str):
        return convert_lonlat(x, y, crs, "wgs84")
    if crs.is_geographic:
        return x, y
    lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(x, y)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise CRSError(
            f"{path}: coordinates cannot be converted from {crs.name}: some fall outside its area of use "
            "(fix: check that the declared CRS is the one the data is in, or pass --crs)"
        )
    return lon, lat


def _rings(path: Path, table: pa.Table, id_col: str | None, offset: int) -> tuple[Any, pa.Array | pa.ChunkedArray]:
    """The rings of a batch and its geometries as WKB (geoarrow ``polygon`` columns converted)."""
    gcol = table.column("geometry")
    try:
        if pa.types.is_list(gcol.type):  # GeoParquet geoarrow 'polygon'
            return geoarrow_rings(gcol)
        return wkb_rings(gcol), gcol
    except NotPolygonError as exc:
        row = offset + exc.index
        ident = table.column(id_col)[exc.index].as_py() if id_col else None
        raise SchemaError(
            f"{path}: feature #{row} (id {ident if ident is not None else '#' + str(row)}) is a {exc.kind}, "
            f"not a polygon ({exc.count} such{' in its batch' if offset or table.num_rows == BATCH_ROWS else ''}) "
            "(fix: a parcel layer holds Polygon/MultiPolygon features; drop or convert the others)"
        ) from None


def read_geometry(
    path: Path,
    crs: CRS | str,
    batches: Iterator[pa.Table],
    columns: list[str],
    id_col: str | None,
    keep_geometry: bool,
    keep_rings: bool,
    progress: Callable[[float], None] | None = None,
) -> GeometryRead:
    """Read every batch: its attributes, its rings in lon/lat (kept, or their areas by every method).

    Parameters
    ----------
    path
        For messages.
    crs
        The data's CRS (or ``gcj02`` / ``bd09``).
    batches
        From :func:`source_batches`.
    columns, id_col
        The attribute columns kept, the id column among them.
    keep_geometry, keep_rings
        As for :func:`zonemap.parcels.read_parcels`.
    progress
        Called with the share of the rows read when their number is known.

    Returns
    -------
    GeometryRead
    """
    attrs, flats, missing, empty = [], [], [], []
    wkbs: list[pa.Array] = []
    areas: list[MethodAreas] = []
    pending: deque[Future[MethodAreas]] = deque()
    multi, vertices, offset = False, 0, 0
    # the batches' areas are computed two at a time while the next one is read (numpy releases the GIL)
    cores = min(2, os.cpu_count() or 1)
    with ThreadPoolExecutor(cores) as pool:
        for table in batches:
            rings, as_wkb = _rings(path, table, id_col, offset)
            lon, lat = _lonlat(path, crs, rings.x, rings.y)
            junk = np.zeros(max(lon.size - 1, 0), dtype=bool)
            if rings.starts.size > 1:
                junk[rings.starts[1:] - 1] = True
            flat = Flat(lon, lat, rings.starts, rings.ring_geom, rings.is_hole, junk, np.empty(table.num_rows, object))
            multi = multi or bool(rings.is_hole.any()) or bool(np.bincount(rings.ring_geom).max(initial=0) > 1)
            if keep_rings:
                flats.append(flat)
            else:
                pending.append(pool.submit(method_areas, flat, rings.missing | rings.empty, 1))
                while len(pending) > cores:
                    areas.append(pending.popleft().result())
            attrs.append(table.select(columns))
            if keep_geometry:
                wkbs.extend(as_wkb.chunks if isinstance(as_wkb, pa.ChunkedArray) else [as_wkb])
            missing.append(rings.missing)
            empty.append(rings.empty)
            vertices += int(lon.size)
            offset += table.num_rows
            if progress:
                progress(offset)
        areas.extend(f.result() for f in pending)
    return GeometryRead(
        attributes=pa.concat_tables(attrs),
        flat=_concat_flats(flats) if keep_rings else None,
        areas=None if keep_rings else MethodAreas.concat(areas),
        wkb=pa.chunked_array(wkbs, type=wkbs[0].type)
        if wkbs
        else (pa.chunked_array([], pa.binary()) if keep_geometry else None),
        missing=np.concatenate(missing),
        empty=np.concatenate(empty),
        multi_ring=multi,
        vertices=vertices,
    )


def _chunks(arrays: list[pa.Array]) -> pa.ChunkedArray:
    return pa.chunked_array(arrays, type=arrays[0].type) if arrays else pa.chunked_array([], pa.binary())


def _concat_flats(flats: list[Flat]) -> Flat:
    """Consecutive batches' rings as one :class:`zonemap.sandiao.Flat`."""
    if len(flats) == 1:
        return flats[0]
    nv = np.cumsum([0, *(f.lon.size for f in flats)])
    ng = np.cumsum([0, *(f.geoms.size for f in flats)])
    starts = np.concatenate([f.starts + nv[i] for i, f in enumerate(flats)]).astype(np.intp)
    lon = np.concatenate([f.lon for f in flats])
    junk = np.zeros(max(lon.size - 1, 0), dtype=bool)
    if starts.size > 1:
        junk[starts[1:] - 1] = True
    return Flat(
        lon,
        np.concatenate([f.lat for f in flats]),
        starts,
        np.concatenate([f.ring_geom + ng[i] for i, f in enumerate(flats)]).astype(np.intp),
        np.concatenate([f.is_hole for f in flats]),
        junk,
        np.empty(int(ng[-1]), dtype=object),
    )
