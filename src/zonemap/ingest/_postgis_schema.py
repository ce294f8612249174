"""What a PostGIS table holds, without reading its rows (private): for the parcel reader's column choice."""

from __future__ import annotations

from pyproj import CRS

from ._postgis import _crs, _open, _srid
from ._raw import ReadOptions

__all__ = ["postgis_schema"]


def postgis_schema(source: str, opts: ReadOptions | None = None) -> tuple[list[str], CRS | None, dict[str, int], str]:
    """A PostGIS table's attribute names, declared CRS and numeric scales.

    Parameters
    ----------
    source
        ``PG:...`` or ``postgresql://...`` (see :func:`zonemap.ingest.read_postgis_table`).
    opts
        ``table`` / ``layer_name`` pick the table.

    Returns
    -------
    tuple
        Attribute names (the geometry column excluded), the CRS of its SRID (``None`` when unknown),
        the scale of each ``numeric(p, s)`` column (its decimals), and the source as messages name it
        (password redacted) with ``:schema.table``.

    Raises
    ------
    DataFileError
        Cannot connect, no PostGIS, no such table, no or several geometry columns.
    """
    src, conn, layer = _open(source, opts or ReadOptions())
    try:
        cur = conn.cursor()
        srid = 4326 if layer.geography and not layer.srid else _srid(cur, src, layer)
        crs = _crs(cur, srid)
    finally:
        conn.close()
    decimals = {name: scale for name, _, scale in layer.columns if scale >= 0}
    return [c[0] for c in layer.columns], crs, decimals, f"{src.shown}:{layer.schema}.{layer.table}"
