"""Parcel-by-parcel reconciliation of a whole layer (图数一致, issue 10).

Every feature of a parcel layer (三调 DLTB, 控规 地块...) carries its own stated area; this package
reads such a layer fast (:func:`read_parcels`: only the needed columns, as Arrow; the coordinates
of single-ring polygons straight from their WKB), computes three areas per parcel side by side
(geodesic on CGCS2000, the 三调 procedure, the Gauss–Krüger plane) and which of six methods
reproduces each stated value (:func:`zonemap.methods.diagnose_flat`), gives every parcel a status
(:func:`reconcile_parcels`), and writes the table (:func:`write_parcel_table`: CSV, GeoParquet,
GeoPackage) and a summary (:func:`write_parcel_summary`: HTML, Markdown, JSON). :func:`run_parcels`
does all of it for the CLI.
"""

from __future__ import annotations

from ._dask import DaskOptions, dataset_parts, run_parcels_dask
from ._digest import ParcelSummary, diff_histogram, merge_summaries, summary_of, worst_parcels
from ._layer import PARQUET_SUFFIXES, ParcelLayer, Progress, read_parcels
from ._reconcile import NO_DATA, PARCEL_COLUMNS, PARCEL_STATUSES, REFERENCE_METHODS, ParcelResult, reconcile_parcels
from ._run import run_parcels
from ._summary import SUMMARY_FORMATS, WORST_SHOWN, histogram_svg, write_parcel_summary
from ._write import TABLE_FORMATS, parcel_arrow_table, write_parcel_table

__all__ = [
    "NO_DATA",
    "PARCEL_COLUMNS",
    "PARCEL_STATUSES",
    "PARQUET_SUFFIXES",
    "REFERENCE_METHODS",
    "SUMMARY_FORMATS",
    "TABLE_FORMATS",
    "WORST_SHOWN",
    "DaskOptions",
    "ParcelLayer",
    "ParcelResult",
    "ParcelSummary",
    "Progress",
    "dataset_parts",
    "diff_histogram",
    "histogram_svg",
    "merge_summaries",
    "parcel_arrow_table",
    "read_parcels",
    "reconcile_parcels",
    "run_parcels",
    "run_parcels_dask",
    "summary_of",
    "worst_parcels",
    "write_parcel_summary",
    "write_parcel_table",
]
