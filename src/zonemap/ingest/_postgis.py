"""PostGIS as a source and a sink (private), through psycopg 3: the pyogrio wheels carry no PostgreSQL driver.

A source is GDAL's ``PG:"dbname=zm host=/tmp/x tables=public.parcels"`` (libpq keywords plus GDAL's
``tables`` and ``schemas``; ``tables=schema.table(geom)`` names the geometry column) or a libpq URL
``postgresql://user@host/db`` with the table given separately (``ReadOptions.table``, the CLI's
``--table``). The table comes from ``table``, else ``tables=``, else ``layer_name``, else it is the
database's only geometry table. Its geometry is fetched as WKB (``ST_AsBinary``) through a binary
cursor a chunk at a time, with the other columns as Arrow arrays of the declared types (numeric as
float64, its scale kept as the field's decimals), in primary-key order when there is one. The CRS is
the column's SRID (``geometry_columns``, else the one SRID the rows carry) as ``spatial_ref_sys``
states it. Messages name the source with its password replaced by ``***``.
The sink, :func:`zonemap.ingest._postgis_sink.write_postgis`, is beside this module.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import shapely
from pyproj import CRS

from ..errors import DataFileError
from ._raw import DECLARED, NONE, RawData, ReadOptions

__all__ = ["PgSource", "is_postgis_source", "parse_source", "read_postgis", "read_postgis_table"]

log = logging.getLogger(__name__)

#: Rows fetched at a time: the Python objects of one chunk only are alive at once.
_CHUNK = 50_000
_URL = re.compile(r"^postgres(?:ql)?:/", re.IGNORECASE)
#: GDAL's PG keywords that are not libpq's.
_GDAL_KEYS = ("tables", "schemas", "active_schema", "list_all_tables")
_INSTALL = "pip install -e '.[postgis]' (psycopg 3)"
#: Arrow types of the PostgreSQL types read as they are; any other type is read as its text.
_ARROW = {t: pa.int64() for t in ("int2", "int4", "int8")} | {t: pa.float64() for t in ("float4", "float8", "numeric")}
_ARROW |= {t: pa.string() for t in ("text", "varchar", "bpchar", "name")} | {"bool": pa.bool_(), "date": pa.date32()}
_ARROW |= {"timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC")}


def is_postgis_source(path: object) -> bool:
    """Whether a PATH names a PostGIS source (``PG:...``, ``postgresql://...``, ``postgres://...``)."""
    text = str(path)
    return text[:3].upper() == "PG:" or _URL.match(text) is not None


@dataclass(frozen=True)
class PgSource:
    """A parsed source: libpq connection string, the table asked for, what messages show."""

    conninfo: str
    shown: str
    tables: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()


def _split_keywords(text: str) -> dict[str, str]:
    """``key=value`` pairs as libpq writes them (values in single quotes with backslash escapes)."""
    out: dict[str, str] = {}
    for m in re.finditer(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)", text):
        value = m.group(2)
        if value.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out[m.group(1).lower()] = value
    return out


def _shown(kw: dict[str, str]) -> str:
    return "PG:" + " ".join(f"{k}={'***' if k == 'password' else v}" for k, v in kw.items())


def parse_source(text: str) -> PgSource:
    """Parse a ``PG:`` or URL source into libpq's connection string and GDAL's table options.

    Parameters
    ----------
    text
        ``PG:dbname=zm host=/tmp/x tables=public.parcels`` (quotes around the part after ``PG:``
        allowed) or ``postgresql://user:pw@host:5432/db?sslmode=...``. A URL whose ``//`` a path
        normalisation collapsed to ``/`` (``Path("postgresql://h/db")``) is read as ``//`` again.

    Returns
    -------
    PgSource
    """
    if _URL.match(text):
        if not re.match(r"^[^:]+://", text):
            text = re.sub(r"^([^:]+):/", r"\1://", text)
        shown = re.sub(r"(//[^/:@]*):[^@/]*@", r"\1:***@", text)
        shown = re.sub(r"(password=)[^&]*", r"\1***", shown, flags=re.IGNORECASE)
        return PgSource(text, shown)
    body = text[3:].strip()
    if len(body) >= 2 and body[0] == body[-1] and body[0] in "\"'":
        body = body[1:-1]
    kw = _split_keywords(body)
    gdal = {k: kw.pop(k) for k in _GDAL_KEYS if k in kw}
    conninfo = " ".join(
        f"{k}='{v.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'" for k, v in kw.items()
    )
    return PgSource(
        conninfo,
        _shown({**kw, **gdal}),
        tuple(t.strip() for t in gdal.get("tables", "").split(",") if t.strip()),
        tuple(s.strip() for s in gdal.get("schemas", "").split(",") if s.strip()),
    )


def _connect(src: PgSource) -> Any:
    try:
        import psycopg
    except ImportError:
        raise DataFileError(f"{src.shown}: reading PostGIS needs psycopg (fix: {_INSTALL})") from None
    try:
        conn = psycopg.connect(src.conninfo, connect_timeout=10)
    except psycopg.Error as exc:
        raise DataFileError(
            f"{src.shown}: cannot connect: {str(exc).strip()} (fix: check dbname, host (a socket directory or a "
            "name), port and user, that the server runs, and the password: PGPASSWORD or ~/.pgpass)"
        ) from None
    conn.read_only = True
    return conn


@dataclass(frozen=True)
class _Layer:
    schema: str
    table: str
    geom: str
    geography: bool
    srid: int
    columns: list[tuple[str, str, int]]  # name, type name, numeric scale (-1: none)
    order: list[str]
    oid: int


def _table_wanted(src: PgSource, opts: ReadOptions) -> str | None:
    """``--table``, else the one of ``tables=`` (or the one ``--layer-name`` picks), else ``--layer-name``."""
    if opts.table and src.tables and opts.table not in src.tables:
        raise DataFileError(f"{src.shown}: --table {opts.table} is not among tables= (fix: give the table once)")
    if opts.table or len(src.tables) <= 1:
        return opts.table or (src.tables[0] if src.tables else opts.layer_name)
    if opts.layer_name in src.tables:
        return opts.layer_name
    raise DataFileError(
        f"{src.shown}: names {len(src.tables)} tables ({', '.join(src.tables)}) (fix: choose one with "
        "--layer-name NAME, or tables=ONE)"
    )


def _geometry_tables(cur: Any, schemas: tuple[str, ...]) -> list[str]:
    cur.execute(
        "SELECT f_table_schema || '.' || f_table_name, f_table_schema = ANY(current_schemas(false)) "
        "FROM geometry_columns WHERE cardinality(%(s)s::text[]) = 0 OR f_table_schema = ANY(%(s)s) "
        "UNION SELECT f_table_schema || '.' || f_table_name, f_table_schema = ANY(current_schemas(false)) "
        "FROM geography_columns WHERE cardinality(%(s)s::text[]) = 0 OR f_table_schema = ANY(%(s)s) ORDER BY 1",
        {"s": list(schemas)},
    )
    return [str(name) for name, _ in cur.fetchall()]


def _resolve(cur: Any, src: PgSource, wanted: str | None) -> _Layer:
    """Find the table and its one geometry column; refuse with the tables at hand."""
    from psycopg import sql

    tables = _geometry_tables(cur, src.schemas)
    listed = ", ".join(tables[:10]) + (" ..." if len(tables) > 10 else "") or "none"
    if wanted is None:
        if len(tables) != 1:
            raise DataFileError(
                f"{src.shown}: no table given and the database holds {len(tables)} tables with geometry ({listed}) "
                "(fix: name one with --table SCHEMA.TABLE, or tables=SCHEMA.TABLE in the PG: string)"
            )
        wanted = tables[0]
    m = re.fullmatch(r"\s*(?:([^.(]+)\.)?([^.(]+?)\s*(?:\(\s*([^)]+?)\s*\))?\s*", wanted)
    if m is None:
        raise DataFileError(f"{src.shown}: cannot read table name {wanted!r} (fix: write SCHEMA.TABLE or TABLE)")
    schema, name, geom = m.groups()
    oid = None
    candidates: list[str | None] = [schema] if schema else [*src.schemas] or [None]
    for sch in candidates:
        ident = sql.Identifier(sch, name) if sch else sql.Identifier(name)
        cur.execute("SELECT to_regclass(%s)::oid", [ident.as_string(cur)])
        oid = cur.fetchone()[0]
        if oid is not None:
            break
    if oid is None:
        raise DataFileError(
            f"{src.shown}: no table {wanted!r} (fix: --table one of the tables with geometry: {listed}; "
            "names are case-sensitive)"
        )
    cur.execute(
        "SELECT n.nspname, c.relname, has_table_privilege(c.oid, 'SELECT') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s",
        [oid],
    )
    schema, name, readable = cur.fetchone()
    if not readable:  # geometry_columns hides such tables: say so rather than "no geometry column"
        raise DataFileError(
            f"{src.shown}: table {schema}.{name}: this user may not read it (fix: GRANT SELECT ON it, or connect as "
            "a user who may)"
        )
    cur.execute(
        "SELECT f_geometry_column, srid, false FROM geometry_columns WHERE f_table_schema = %(s)s AND "
        "f_table_name = %(t)s UNION ALL SELECT f_geography_column, srid, true FROM geography_columns "
        "WHERE f_table_schema = %(s)s AND f_table_name = %(t)s",
        {"s": schema, "t": name},
    )
    geoms = {str(g): (int(s or 0), bool(geog)) for g, s, geog in cur.fetchall()}
    where = f"{src.shown}: table {schema}.{name}"
    if not geoms:
        raise DataFileError(f"{where} has no geometry column (fix: choose a table with geometry: {listed})")
    if geom is None and len(geoms) > 1:
        raise DataFileError(
            f"{where} has {len(geoms)} geometry columns ({', '.join(geoms)}) (fix: choose one as "
            f"--table {schema}.{name}({next(iter(geoms))}), or tables={schema}.{name}(COLUMN) in the PG: string)"
        )
    if geom is not None and geom not in geoms:
        raise DataFileError(f"{where} has no geometry column {geom!r} (fix: one of {', '.join(geoms)})")
    geom = geom or next(iter(geoms))
    cur.execute(
        "SELECT a.attname, t.typname, CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 "
        "THEN (a.atttypmod - 4) & 65535 ELSE -1 END FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        [oid],
    )
    columns = [(str(a), str(t), int(s)) for a, t, s in cur.fetchall() if a not in geoms]
    cur.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s AND i.indisprimary ORDER BY a.attnum",
        [oid],
    )
    order = [str(r[0]) for r in cur.fetchall()]
    return _Layer(schema, name, geom, geoms[geom][1], geoms[geom][0], columns, order, int(oid))


def _srid(cur: Any, src: PgSource, layer: _Layer) -> int:
    """The column's SRID, else the one SRID its rows carry (0: none stated)."""
    from psycopg import sql

    if layer.srid:
        return layer.srid
    cur.execute(
        sql.SQL("SELECT DISTINCT ST_SRID({g}) FROM {t} WHERE {g} IS NOT NULL LIMIT 3").format(
            g=sql.Identifier(layer.geom), t=sql.Identifier(layer.schema, layer.table)
        )
    )
    srids = sorted(int(r[0]) for r in cur.fetchall())
    if len(srids) > 1:
        raise DataFileError(
            f"{src.shown}: table {layer.schema}.{layer.table}: column {layer.geom} mixes SRIDs {srids} (fix: bring the "
            "rows to one with ST_Transform, or read a view that does)"
        )
    return srids[0] if srids else 0


def _crs(cur: Any, srid: int) -> CRS | None:
    if not srid:
        return None
    cur.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = %s", [srid])
    row = cur.fetchone()
    if row is None:
        return CRS.from_epsg(srid)
    auth, code, wkt = row
    return CRS.from_authority(auth, code) if auth and code else CRS.from_wkt(wkt)


def _fetch(cur: Any, layer: _Layer, columns: list[str] | None) -> pa.Table:
    """The chosen columns and the geometry (WKB, column ``geometry``) as Arrow, a chunk of rows at a time."""
    from psycopg import sql

    cols = [c for c in layer.columns if columns is None or c[0] in columns]
    exprs = [sql.SQL("ST_AsBinary({})").format(sql.Identifier(layer.geom))]
    for name, typ, _ in cols:
        cast = {"numeric": "::float8", "float4": "::float8"}.get(typ, "" if typ in _ARROW else "::text")
        exprs.append(sql.SQL("{}" + cast).format(sql.Identifier(name)))
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(exprs), sql.Identifier(layer.schema, layer.table))
    if layer.order:
        query += sql.SQL(" ORDER BY {}").format(sql.SQL(", ").join(map(sql.Identifier, layer.order)))
    types = [pa.binary(), *(_ARROW.get(t, pa.string()) for _, t, _ in cols)]
    names = ["geometry", *(c[0] for c in cols)]
    cur.execute(query, binary=True)
    batches = []
    while rows := cur.fetchmany(_CHUNK):
        arrays = [pa.array(list(v), type=t) for v, t in zip(zip(*rows, strict=True), types, strict=True)]
        batches.append(pa.RecordBatch.from_arrays(arrays, names=names))
    schema = pa.schema(list(zip(names, types, strict=True)))
    return pa.Table.from_batches(batches, schema=schema)


def _open(source: str, opts: ReadOptions) -> tuple[PgSource, Any, _Layer]:
    src = parse_source(source)
    conn = _connect(src)
    try:
        cur = conn.cursor()
        cur.execute("SELECT to_regproc('postgis_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            raise DataFileError(
                f"{src.shown}: the database has no PostGIS (fix: CREATE EXTENSION postgis, or check dbname)"
            )
        layer = _resolve(cur, src, _table_wanted(src, opts))
        cur.execute("SELECT pg_total_relation_size(%s)", [layer.oid])
        size = int(cur.fetchone()[0] or 0)
        if size > opts.max_bytes:
            raise DataFileError(
                f"{src.shown}: table {layer.schema}.{layer.table} is {size / 2**20:.3g} MiB, larger than the "
                f"{opts.max_bytes / 2**20:.3g} MiB import limit (fix: read a view of part of it, or raise the limit "
                "with --max-mb if the machine has the memory)"
            )
    except Exception:
        conn.close()
        raise
    return src, conn, layer


def _read(source: str, opts: ReadOptions, columns: list[str] | None) -> tuple[pa.Table, CRS | None, str, _Layer]:
    import psycopg

    src, conn, layer = _open(source, opts)
    try:
        with conn:
            cur = conn.cursor()
            srid = 4326 if layer.geography and not layer.srid else _srid(cur, src, layer)
            crs, table = _crs(cur, srid), _fetch(cur, layer, columns)
    except psycopg.Error as exc:
        msg = f"{src.shown}: cannot read table {layer.schema}.{layer.table}: {str(exc).strip()}"
        raise DataFileError(f"{msg} (fix: check the user may SELECT from it)") from None
    log.info("%s: table %s.%s, geometry %s, SRID %d", src.shown, layer.schema, layer.table, layer.geom, srid)
    return table, crs, f"{src.shown}:{layer.schema}.{layer.table}", layer


def read_postgis_table(
    source: str, opts: ReadOptions | None = None, columns: list[str] | None = None
) -> tuple[pa.Table, CRS | None, str]:
    """A PostGIS table's attributes and WKB geometry as Arrow (the fast path for parcel layers).

    Parameters
    ----------
    source
        ``PG:...`` or ``postgresql://...`` (see :func:`parse_source`).
    opts
        ``table`` / ``layer_name`` pick the table, ``max_bytes`` bounds its size.
    columns
        Attribute columns to read (all when ``None``).

    Returns
    -------
    tuple of (pyarrow.Table, CRS or None, str)
        ``geometry`` (WKB, null where a row has none) and the columns, the declared CRS, the
        source as messages name it (password redacted) with ``:schema.table``.
    """
    table, crs, shown, _ = _read(source, opts or ReadOptions(), columns)
    return table, crs, shown


def read_postgis(source: str, opts: ReadOptions) -> RawData:
    """Read a PostGIS table into :class:`RawData`, as the file readers do.

    Parameters
    ----------
    source
        ``PG:...`` or ``postgresql://...`` (see :func:`parse_source`).
    opts
        ``table`` (or ``layer_name``) picks the table; ``max_bytes`` bounds its size.

    Returns
    -------
    RawData
        Every column but the geometry as attributes, geometries, ``feature #i`` labels in
        primary-key order, the SRID's CRS, numeric scales as field decimals.

    Raises
    ------
    DataFileError
        Cannot connect, no PostGIS, no such table, no or two geometry columns, mixed SRIDs,
        too large, not readable; each naming the source (password redacted) and the fix.
    """
    table, crs, _, layer = _read(source, opts, None)
    wkb = table.column("geometry")
    geoms = np.concatenate(
        [shapely.from_wkb(chunk.to_numpy(zero_copy_only=False)) for chunk in wkb.chunks] or [np.empty(0, object)]
    )
    attrs = table.drop_columns(["geometry"]).to_pandas(date_as_object=False)
    return RawData(
        attrs=attrs,
        geoms=np.asarray(geoms, dtype=object),
        labels=[f"feature #{i}" for i in range(len(attrs))],
        crs=crs,
        crs_source=DECLARED if crs is not None else NONE,
        field_decimals={name: scale for name, _, scale in layer.columns if scale >= 0},
    )
