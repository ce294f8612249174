"""The whole parcel job: read, reconcile, write the table(s) and the summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io import CSV_ENCODING, check_outputs
from ._layer import Progress, read_parcels
from ._reconcile import ParcelResult, reconcile_parcels
from ._summary import SUMMARY_FORMATS, write_parcel_summary
from ._write import TABLE_FORMATS, write_parcel_table

__all__ = ["needs_geometry", "run_parcels"]

log = logging.getLogger(__name__)


def needs_geometry(formats: Iterable[str], accuracy_m: float) -> bool:
    """Whether the WKB must be kept: to write geometries (GeoParquet, GeoPackage) or buffer them (``accuracy_m``)."""
    return accuracy_m > 0 or any(f != "csv" for f in formats)


def run_parcels(
    path: Path | str,
    out_dir: Path | str,
    *,
    formats: Iterable[str] = ("csv",),
    summary: Iterable[str] = SUMMARY_FORMATS,
    accuracy_m: float = 0.0,
    encoding_out: str = CSV_ENCODING,
    stem: str = "parcels",
    force: bool = False,
    progress: Progress | None = None,
    **read_options: Any,
) -> ParcelResult:
    """Reconcile a parcel layer and write ``<stem>.<fmt>`` per format and ``<stem>_summary.*``.

    Parameters
    ----------
    path
        The layer (see :func:`read_parcels`).
    out_dir
        Output directory (created).
    formats
        Per-parcel tables: any of ``csv``, ``parquet``, ``gpkg``.
    summary
        Summary formats: any of ``html``, ``md``, ``json``.
    accuracy_m
        Positional accuracy for :func:`reconcile_parcels`.
    encoding_out
        The CSV's encoding.
    stem
        Output file names.
    force
        Allow replacing read-only outputs.
    progress
        Called as ``progress(stage, share)`` (``read``, ``areas``, ``status``, ``write``, ``done``).
    **read_options
        ``area_field`` (required), ``area_unit``, ``area_decimals``, ``id_field``, ``layer_name``,
        ``crs``, ``encoding``: passed to :func:`read_parcels`.

    Returns
    -------
    ParcelResult
        With ``timings`` of every stage (read, areas, status, write, summary).
    """
    fmts = list(dict.fromkeys(formats))
    bad = [f for f in fmts if f not in TABLE_FORMATS]
    if bad:
        raise ConfigError(f"unknown parcel table format {bad[0]!r} (fix: one of {', '.join(TABLE_FORMATS)})")
    out = Path(out_dir)
    sums = list(dict.fromkeys(summary))
    targets = [out / f"{stem}{TABLE_FORMATS[f]}" for f in fmts]
    summaries = [out / f"{stem}_summary.{f}" for f in sums]
    check_outputs([*targets, *summaries], [path], force=force)
    t0 = time.perf_counter()
    keep = needs_geometry(fmts, accuracy_m)
    # the areas are computed batch by batch while reading: no vertex array of the layer's size is made
    layer = read_parcels(path, progress=progress, keep_geometry=keep, keep_rings=False, **read_options)
    t_read = time.perf_counter() - t0
    result = reconcile_parcels(layer, accuracy_m=accuracy_m, progress=progress)
    result.timings["read"] = t_read
    for i, (fmt, target) in enumerate(zip(fmts, targets, strict=True)):
        t0 = time.perf_counter()
        if progress:
            progress("write", 0.7 + 0.25 * i / max(len(fmts), 1))
        write_parcel_table(result, target, fmt, encoding=encoding_out)
        result.timings[f"write_{fmt}"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if sums:
        write_parcel_summary(result, out, sums, stem=f"{stem}_summary")
    result.timings["summary"] = time.perf_counter() - t0
    if progress:
        progress("done", 1.0)
    log.info("parcels: %s", ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    return result
