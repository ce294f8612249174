"""The stated-figure registry (reading, parsing values and units, checks, ``--area-field``) and the
text extractor :mod:`zonemap.figures.extract`.
"""

from __future__ import annotations

from ._registry import (
    LOADED_COLUMNS,
    XLSX_SUFFIXES,
    area_field_figures,
    check_figures,
    decimals_as_written,
    load_figures,
    parse_values,
    read_figures_table,
    unit_form,
)

__all__ = [
    "LOADED_COLUMNS",
    "XLSX_SUFFIXES",
    "area_field_figures",
    "check_figures",
    "decimals_as_written",
    "load_figures",
    "parse_values",
    "read_figures_table",
    "unit_form",
]
