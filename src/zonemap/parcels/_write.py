"""The per-parcel table as CSV (pyarrow), GeoParquet (pyarrow) and GeoPackage (pyogrio, Arrow), written atomically."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS

from ..crs import WGS84
from ..errors import ConfigError, DataFileError, OutputPathError
from ..io import CSV_ENCODING, atomic_write
from ..textsafe import FORMULA_START, neutralise_csv_series
from ._layer import Progress
from ._reconcile import ParcelResult

__all__ = ["TABLE_FORMATS", "parcel_arrow_table", "write_parcel_table"]

log = logging.getLogger(__name__)

#: Formats of :func:`write_parcel_table` and the suffix of each.
TABLE_FORMATS = {"csv": ".csv", "parquet": ".parquet", "gpkg": ".gpkg"}

_GEO_VERSION = "1.0.0"


def _safe_text(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Text cells neutralised against formula injection exactly as :func:`zonemap.io.csv_text` does.

    Only cells whose first character could start a formula (or a quote that may precede one) go
    through :func:`zonemap.textsafe.neutralise_csv_series`; the rest cannot change.
    """
    text = pc.cast(values, pa.string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    first = pc.utf8_slice_codeunits(text, 0, 1)
    risky = np.asarray(pc.fill_null(pc.is_in(first, pa.array(list(FORMULA_START + "'"))), False), dtype=bool)
    if not risky.any():
        return text
    out = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    idx = np.flatnonzero(risky)
    out[idx] = neutralise_csv_series(pd.Series(out[idx], dtype=object)).to_numpy(dtype=object)
    return pa.array(out, type=pa.string())


def parcel_arrow_table(result: ParcelResult, *, neutralise: bool = False) -> pa.Table:
    """The per-parcel table as Arrow: numbers as float64 (NaN as null), text as strings.

    Parameters
    ----------
    result
        From :func:`reconcile_parcels`.
    neutralise
        Neutralise formula-leading text (for CSV; binary formats keep the exact text).
    """
    cols: dict[str, pa.Array] = {}
    for name in result.table.columns:
        col = result.table[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = pa.array(np.asarray(col.cat.categories, dtype=object), type=pa.string())
            cols[name] = pc.take(cats, pa.array(col.cat.codes.to_numpy(), type=pa.int32()))
        elif pd.api.types.is_numeric_dtype(col.dtype):
            cols[name] = pa.array(col.to_numpy(dtype=float), from_pandas=True)
        else:
            arr = pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            cols[name] = _safe_text(arr) if neutralise else arr
    return pa.table(cols)


#: Rows from which the CSV text is made in two halves side by side (pyarrow's writer runs without the GIL).
_SPLIT_ROWS = 200_000


def _csv_bytes(table: pa.Table) -> bytes:
    """The table as CSV text (UTF-8, header first); big tables written as two halves on two threads."""
    import pyarrow.csv as pcsv

    def text(part: pa.Table, header: bool) -> bytes:
        buf = io.BytesIO()
        pcsv.write_csv(part, buf, pcsv.WriteOptions(include_header=header, quoting_style="needed"))
        return buf.getvalue()

    n = table.num_rows
    if n < _SPLIT_ROWS or (os.cpu_count() or 1) < 2:
        return text(table, True)
    half = n // 2
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(text, table.slice(0, half), True)
        second = pool.submit(text, table.slice(half), False)
        return first.result() + second.result()


def _csv(result: ParcelResult, path: Path, encoding: str) -> None:

    table = parcel_arrow_table(result, neutralise=True)
    data = memoryview(_csv_bytes(table))
    enc = encoding.lower().replace("_", "-")
    bom = b"\xef\xbb\xbf" if enc in ("utf-8-sig", "utf8-sig") else b""
    if not bom and enc not in ("utf-8", "utf8"):
        try:
            data = memoryview(bytes(data).decode("utf-8").encode(encoding))
        except LookupError:
            raise DataFileError(
                f"{path}: unknown text encoding {encoding!r} (fix: use utf-8-sig, utf-8 or gbk)"
            ) from None
        except UnicodeEncodeError as exc:
            text = bytes(data).decode("utf-8")
            ch = text[exc.start]
            row = text.count("\n", 0, exc.start)
            raise DataFileError(
                f"{path}: row {row}: character {ch!r} (U+{ord(ch):04X}) cannot be written in {encoding.upper()} "
                "(fix: write UTF-8, the default, or GB18030, which holds every character)"
            ) from None
    with atomic_write(path, "wb") as fh:
        fh.write(bom)
        fh.write(data)


def _geometry(result: ParcelResult) -> tuple[pa.Array, CRS]:
    """Lon/lat WKB of every parcel and its CRS (the file's own when geographic, else WGS84)."""
    layer = result.layer
    if layer.lonlat_wkb and isinstance(layer.source_crs, CRS) and layer.wkb is not None:
        wkb = layer.wkb.combine_chunks()
        return (pc.cast(wkb, pa.binary()) if pa.types.is_large_binary(wkb.type) else wkb), layer.source_crs
    return pa.array(shapely.to_wkb(layer.geometry), type=pa.binary()), WGS84


def _geometry_types(result: ParcelResult) -> list[str]:
    return [] if result.layer.multi_ring else ["Polygon"]


def _parquet(result: ParcelResult, path: Path) -> None:
    import pyarrow.parquet as pq

    wkb, crs = _geometry(result)
    table = parcel_arrow_table(result).append_column("geometry", wkb)
    geo = {
        "version": _GEO_VERSION,
        "primary_column": "geometry",
        "columns": {
            "geometry": {"encoding": "WKB", "geometry_types": _geometry_types(result), "crs": crs.to_json_dict()}
        },
    }
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    with atomic_write(path, "wb") as fh:
        pq.write_table(table, fh, compression="snappy")


def _gpkg(result: ParcelResult, path: Path) -> None:
    import pyogrio

    wkb, crs = _geometry(result)
    table = parcel_arrow_table(result).append_column("geometry", wkb)
    gtype = "Polygon" if _geometry_types(result) else "Unknown"
    if path.exists() and (path.is_symlink() or not path.is_file()):
        raise OutputPathError(f"{path}: exists and is not a regular file (fix: choose another output path)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.name[:120]}.zm{os.getpid()}-", dir=path.parent))
    tmp = tmpdir / path.name
    try:
        pyogrio.write_arrow(
            table, tmp, layer=path.stem, driver="GPKG", geometry_name="geometry", geometry_type=gtype, crs=crs.to_wkt()
        )
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputPathError(f"{path}: cannot write: {exc.strerror or exc} (fix: check the folder and disk)") from None
    finally:
        for leftover in tmpdir.iterdir() if tmpdir.exists() else ():
            with contextlib.suppress(OSError):
                leftover.unlink()
        with contextlib.suppress(OSError):
            tmpdir.rmdir()


def write_parcel_table(
    result: ParcelResult, path: Path | str, fmt: str, *, encoding: str = CSV_ENCODING, progress: Progress | None = None
) -> Path:
    """Write the per-parcel table, atomically (temporary file, then rename).

    Parameters
    ----------
    result
        From :func:`reconcile_parcels`.
    path
        The output file.
    fmt
        ``csv`` (UTF-8 with BOM by default, or ``encoding``; text cells that could start a
        formula get a leading ``'``), ``parquet`` (GeoParquet 1.0, WKB, lon/lat) or ``gpkg``
        (GeoPackage, one layer named after the file).
    encoding
        The CSV's encoding: ``utf-8-sig``, ``utf-8``, ``gbk``, ``gb18030``.
    progress
        Called as ``progress("write", share)``.

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        An unknown format.
    DataFileError, OutputPathError
        A character the encoding cannot hold; a path that cannot be written.
    """
    out = Path(path)
    if fmt not in TABLE_FORMATS:
        raise ConfigError(f"unknown parcel table format {fmt!r} (fix: one of {', '.join(TABLE_FORMATS)})")
    if progress:
        progress("write", 0.0)
    if fmt == "csv":
        _csv(result, out, encoding)
    elif fmt == "parquet":
        _parquet(result, out)
    else:
        _gpkg(result, out)
    log.info("wrote %s", out)
    return out
