"""The stated-figure registry and the text extractor.

Reading tables, parsing values and units, checks, ``--area-field`` rows, and the text extractor
:mod:`zonemap.figures.extract`.
"""

from __future__ import annotations

from ._area_field import area_field_figures, rounding_decimals
from ._derive import LOADED_COLUMNS
from ._read import XLSX_SUFFIXES, read_figures_table
from ._registry import check_figures, load_figures
from ._values import decimals_as_written, parse_values, unit_form

__all__ = [
    "LOADED_COLUMNS",
    "XLSX_SUFFIXES",
    "area_field_figures",
    "check_figures",
    "decimals_as_written",
    "load_figures",
    "parse_values",
    "read_figures_table",
    "rounding_decimals",
    "unit_form",
]
