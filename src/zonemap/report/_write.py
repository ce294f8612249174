"""The report files a run writes, and their names known before any work."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import ZonemapError
from ..io import CSV_ENCODING, write_csv, write_text
from ..reconcile import Reconciliation
from ._formats import FORMATS, to_json, to_markdown
from ._html import to_html
from ._xlsx import write_xlsx

__all__ = ["FORMATS", "report_paths", "write_reports"]


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
        (a character GBK cannot hold is refused naming its row). See :func:`zonemap.io.csv_text`.

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
        "checks.csv": lambda p: write_csv(result.checks, p, encoding=csv_encoding),
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
