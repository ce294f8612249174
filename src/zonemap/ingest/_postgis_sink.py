"""PostGIS as a sink (private): results written back with ``COPY``, and the ``ST_Area(geography)`` benchmark peer.

:func:`write_postgis` writes a results frame with ``COPY`` (CSV made by pyarrow, the geometry as hex
EWKB) into a table of a random name, renamed into place in the same transaction.
"""

from __future__ import annotations

import logging
import secrets
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from ..errors import DataFileError
from ._postgis import is_postgis_source, parse_source

__all__ = ["postgis_area_peer", "write_postgis"]

log = logging.getLogger(__name__)


def _pg_type(series: pd.Series) -> str:
    kind = series.dtype.kind
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    if kind in "iu":
        return "bigint"
    if kind == "f":
        return "double precision"
    if kind == "M":
        return "timestamptz" if getattr(series.dtype, "tz", None) is not None else "timestamp"
    return "text"


def _csv_table(frame: pd.DataFrame, geometry: str | None, srid: int) -> pa.Table:
    """The frame as Arrow for CSV: text for object columns, the geometry as hex EWKB (data never becomes SQL)."""
    arrays, names = [], []
    for name in frame.columns:
        col = frame[name]
        if name == geometry:
            geoms = shapely.set_srid(np.asarray(col, dtype=object), srid)
            arrays.append(_hex(pa.array(shapely.to_wkb(geoms, include_srid=True), type=pa.binary())))
        elif _pg_type(col) == "text":
            arrays.append(pa.array(col.astype(object).where(col.notna(), None).map(_text, na_action="ignore")))
        else:
            arrays.append(pa.Array.from_pandas(col))
        names.append(str(name))
    return pa.Table.from_arrays(arrays, names=names)


def _hex(wkb: pa.BinaryArray) -> pa.StringArray:
    """Hex text of each value, from one ``bytes.hex`` of the whole buffer (GEOS' hex writer is 10x slower)."""
    if wkb.offset:  # a slice: copy to a fresh array, whose buffers start at its first value
        wkb = wkb.take(pa.array(np.arange(len(wkb))))
    validity, offsets, data = wkb.buffers()
    ends = np.frombuffer(offsets, dtype=np.int32, count=len(wkb) + 1, offset=wkb.offset * 4)
    text = data.to_pybytes()[ends[0] : ends[-1]].hex().encode("ascii") if data is not None else b""
    return pa.StringArray.from_buffers(
        len(wkb), pa.py_buffer(((ends - ends[0]) * 2).astype(np.int32)), pa.py_buffer(text), validity, wkb.null_count
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def write_postgis(
    frame: pd.DataFrame,
    dsn: str,
    table: str,
    *,
    geometry: str | None = None,
    replace: bool = False,
    srid: int | None = None,
) -> int:
    """Write per-feature results as a new PostGIS table, atomically, with ``COPY``.

    The rows go to a table of a random name first, which is renamed to ``table`` (the old one
    dropped when ``replace``) in the same transaction: readers see the old table or the whole
    new one. Column types follow the dtypes (bigint, double precision, boolean, timestamp,
    text; NaN and missing values as NULL); names are quoted identifiers, values CSV data.

    Parameters
    ----------
    frame
        One row per feature (``id, stated_m2, area_m2, diff_m2, status, method``...).
    dsn
        libpq keywords, a ``postgresql://`` URL or a ``PG:`` source.
    table
        ``SCHEMA.TABLE`` or ``TABLE`` (in the first schema of the search path).
    geometry
        A column of shapely geometries to write as ``geometry(Geometry, srid)`` with a GiST
        index; by default a GeoDataFrame's active geometry, else none.
    replace
        Replace an existing table; without it an existing table is refused.
    srid
        The geometry's SRID; by default the frame's CRS as EPSG, else 4326.

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    DataFileError
        Cannot connect, the table exists (without ``replace``), the server refuses the rows.
    """
    import psycopg
    from psycopg import sql

    src = parse_source(dsn if is_postgis_source(dsn) else "PG:" + dsn)
    if geometry is None and hasattr(frame, "geometry") and getattr(frame, "_geometry_column_name", None):
        geometry = str(frame._geometry_column_name)
    if srid is None:
        crs = getattr(frame, "crs", None) if geometry is not None else None
        srid = (crs.to_epsg() if crs is not None else None) or 4326
    schema, _, name = table.rpartition(".")
    where = f"{src.shown}: table {table}"
    cols = [
        sql.SQL("{} {}").format(
            sql.Identifier(str(c)),
            sql.SQL(f"geometry(Geometry, {int(srid)})" if c == geometry else _pg_type(frame[c])),
        )
        for c in frame.columns
    ]
    buffer = pa.BufferOutputStream()
    import pyarrow.csv as pcsv

    pcsv.write_csv(_csv_table(frame, geometry, srid), buffer, pcsv.WriteOptions(include_header=False))
    tmp_name = f"{name[:40]}__zonemap_{secrets.token_hex(4)}"
    target = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    tmp = sql.Identifier(schema, tmp_name) if schema else sql.Identifier(tmp_name)
    try:
        with psycopg.connect(src.conninfo, connect_timeout=10) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [target.as_string(cur)])
            if (cur.fetchone() or (False,))[0] and not replace:
                raise DataFileError(f"{where} exists (fix: choose another table name, or replace it explicitly)")
            cur.execute(sql.SQL("CREATE TABLE {} ({})").format(tmp, sql.SQL(", ").join(cols)))
            with cur.copy(sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(tmp)) as copy:
                copy.write(buffer.getvalue().to_pybytes())
            if replace:
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
            cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(tmp, sql.Identifier(name)))
            if geometry is not None:
                cur.execute(sql.SQL("CREATE INDEX ON {} USING gist ({})").format(target, sql.Identifier(geometry)))
    except psycopg.OperationalError as exc:
        raise DataFileError(f"{where}: cannot connect: {str(exc).strip()} (fix: check the DSN)") from None
    except psycopg.Error as exc:
        raise DataFileError(
            f"{where}: the server refused the rows: {str(exc).strip()} (fix: check the table name and permissions)"
        ) from None
    log.info("%s: wrote %d row(s)", where, len(frame))
    return len(frame)


def postgis_area_peer(dsn: str, table: str, *, geometry: str = "geom") -> tuple[np.ndarray, float]:
    """The benchmark peer: ``ST_Area(geography)`` per feature, computed and fetched by the server.

    Projected geometries are brought to CGCS2000 lon/lat first (``ST_Transform(geom, 4490)``).

    Parameters
    ----------
    dsn
        libpq keywords, a URL or a ``PG:`` source.
    table
        ``SCHEMA.TABLE`` or ``TABLE``.
    geometry
        The geometry column.

    Returns
    -------
    tuple of (numpy.ndarray, float)
        The areas in m² (table order, by ``ctid``) and the wall time of query and fetch in seconds.
    """
    import psycopg
    from psycopg import sql

    src = parse_source(dsn if is_postgis_source(dsn) else "PG:" + dsn)
    schema, _, name = table.rpartition(".")
    target = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    g = sql.Identifier(geometry)
    with psycopg.connect(src.conninfo) as conn, conn.cursor(binary=True) as cur:
        cur.execute(
            sql.SQL(
                "SELECT s.proj4text LIKE '%%+proj=longlat%%' FROM (SELECT ST_SRID({g}) AS srid FROM {t} "
                "WHERE {g} IS NOT NULL LIMIT 1) r JOIN spatial_ref_sys s USING (srid)"
            ).format(g=g, t=target)
        )
        row = cur.fetchone()
        lonlat = sql.SQL("{}") if row is None or row[0] else sql.SQL("ST_Transform({}, 4490)")
        query = sql.SQL("SELECT ST_Area({}::geography) FROM {} ORDER BY ctid").format(lonlat.format(g), target)
        start = time.perf_counter()
        cur.execute(query)
        areas = np.array([r[0] for r in cur.fetchall()], dtype=float)
        return areas, time.perf_counter() - start
