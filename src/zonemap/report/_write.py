"""The report files a run writes, and their names known before any work."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..errors import ZonemapError
from ..io import CSV_ENCODING, write_csv, write_text
from ..reconcile import Reconciliation
from ._formats import FORMATS, to_json, to_markdown
from ._html import to_html
from ._xlsx import write_xlsx

__all__ = ["FORMATS", "report_paths", "write_reports"]

#: A unit the checks write after a number (``"2,250,000 m²"``, ``"约2.25 km²"``): the program's wording.
_UNIT_AFTER_NUMBER = re.compile(r"(?<=\d )(k?m)²")


def _units_for(checks: pd.DataFrame, encoding: str) -> pd.DataFrame:
    """The checks with the program's ``m²``/``km²`` in ``detail`` written ``m2``/``km2`` where ``encoding`` lacks ``²``.

    GBK has no ``²``; the sentence the program wrote then reads in the units' ascii codes (the data's own
    ``unit`` column) instead of being refused. A ``²`` anywhere else is the data's and is refused as usual.
    """
    try:
        "²".encode(encoding)
    except UnicodeEncodeError:
        pass
    except LookupError:
        return checks  # write_csv names the unknown encoding
    else:
        return checks
    if "detail" not in checks.columns or checks.empty:
        return checks
    detail = checks["detail"].astype(object).where(checks["detail"].isna(), checks["detail"].astype(str))
    return checks.assign(detail=detail.str.replace(_UNIT_AFTER_NUMBER, r"\g<1>2", regex=True))


def write_reports(
    result: Reconciliation,
    out_dir: Path | str,
    formats: Iterable[str] = FORMATS,
    stem: str = "reconciliation",
    csv_encoding: str = CSV_ENCODING,
) -> list[Path]:
    """Write the report in each format to ``out_dir``.

    Parameters
    ----------
    result
        The reconciliation.
    out_dir
        Destination directory (created).
    formats
        Any of :data:`FORMATS`; ``csv`` writes ``<stem>_figures.csv`` and ``<stem>_checks.csv``.
    stem
        File name stem.
    csv_encoding
        Of the CSV files: UTF-8 with a BOM by default (Excel on Chinese Windows), or e.g. ``"gbk"``
        (a character GBK cannot hold is refused naming its row and column; the checks' own ``m²`` and
        ``km²`` are then written ``m2``, ``km2``). See :func:`zonemap.io.csv_text`.

    Returns
    -------
    list of Path
        The files written.
    """
    paths = report_paths(out_dir, formats, stem)
    writers = {
        "md": lambda p: write_text(p, to_markdown(result)),
        "html": lambda p: write_text(p, to_html(result)),
        "json": lambda p: write_text(p, to_json(result)),
        "figures.csv": lambda p: write_csv(result.figures, p, encoding=csv_encoding),
        "checks.csv": lambda p: write_csv(_units_for(result.checks, csv_encoding), p, encoding=csv_encoding),
        "xlsx": lambda p: write_xlsx(result, p),
    }
    return [writers[key](path) for key, path in paths.items()]


def report_paths(
    out_dir: Path | str, formats: Iterable[str] = FORMATS, stem: str = "reconciliation"
) -> dict[str, Path]:
    """The files :func:`write_reports` writes, by part, known before any work (for output checks).

    Raises
    ------
    ZonemapError
        For an unknown format.
    """
    out = Path(out_dir)
    paths: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "csv":
            paths |= {f"{name}.csv": out / f"{stem}_{name}.csv" for name in ("figures", "checks")}
        elif fmt in FORMATS:
            paths[fmt] = out / f"{stem}.{fmt}"
        else:
            raise ZonemapError(f"unknown report format {fmt!r} (fix: use any of {', '.join(FORMATS)})")
    return paths
