"""The main job: validate the geodata, then write the reconciliation report and maps."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import Config
from .errors import SchemaError
from .io import load_town
from .reconcile import Reconciliation, reconcile_towns
from .report import FORMATS, figures_for_maps, summary, write_reports
from .schema import TOWNS
from .validate import validate_geodata

__all__ = ["BuildResult", "build", "write_maps", "write_reconciliation"]

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What :func:`build` wrote and found."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    failed_checks: int = 0
    report_path: Path | None = None
    reconciliation: str = ""
    reference: str = ""

    def summary_lines(self) -> list[str]:
        """Human-readable lines describing the build."""
        lines = [
            f"{town}: " + ", ".join(f"{n} {layer}" for layer, n in layers.items())
            for town, layers in self.counts.items()
        ]
        lines += [f"wrote {p}" for p in self.outputs]
        if self.reference:
            lines.append(self.reference)
        if self.reconciliation:
            lines.append(f"reconciliation: {self.reconciliation} (see {self.report_path})")
        return lines


def build(config: Config) -> BuildResult:
    """Validate the geodata and write every output to ``config.output_dir``.

    Parameters
    ----------
    config
        Data locations and output directory.

    Returns
    -------
    BuildResult
        Counts, written files and the number of failed checks.

    Raises
    ------
    SchemaError
        If the geodata does not validate.
    """
    problems = validate_geodata(config)
    if problems:
        raise SchemaError(f"{config.geodata_dir}: {len(problems)} problem(s)", problems)
    result = BuildResult(reference=_reference_line(config))
    for town in TOWNS:
        data = load_town(config, town)
        result.counts[town] = {
            name: len(getattr(data, name)) for name in ("zones", "parcels", "places", "lines")
        }
    recon = write_reconciliation(config, result)
    write_maps(config, result, figures_for_maps(recon))
    return result


def write_reconciliation(config: Config, result: BuildResult) -> Reconciliation:
    """Reconcile every town and write the reports (all formats) to ``config.output_dir``.

    Parameters
    ----------
    config
        Data locations and ``output_dir``.
    result
        Receives the written paths, ``report_path`` (the HTML report) and the number of
        disagreeing figures plus failed checks in ``failed_checks``.

    Returns
    -------
    Reconciliation
        The result tables.
    """
    recon = reconcile_towns(config, TOWNS)
    paths = write_reports(recon, config.output_dir, FORMATS)
    result.outputs += paths
    result.report_path = next(p for p in paths if p.suffix == ".html")
    result.failed_checks += recon.n_failed
    result.reconciliation = summary(recon)
    log.info("reconciliation: %s", result.reconciliation)
    return recon


def _reference_line(config: Config) -> str:
    if config.reference_towns is None:
        return ("reference layers: none (zones not checked against town outlines; "
                "set ZONEMAP_REFERENCE_DIR or --reference-dir)")
    return f"reference layers: {config.reference_towns}"


def write_maps(config: Config, result: BuildResult, reconciliation: pd.DataFrame | None = None) -> None:
    """Write ``<town>.html`` for every town and ``index.html`` linking maps and reports.

    Parameters
    ----------
    config
        Data locations and ``output_dir``.
    result
        Collects the written paths; files already in ``outputs`` are linked as reports.
    reconciliation
        The reconciliation table, shown in the maps' figure cards when given.
    """
    from .maps import write_index, write_map

    reports = list(result.outputs)
    maps = [write_map(config, town, config.output_dir, offline=True, reconciliation=reconciliation)
            for town in TOWNS]
    result.outputs += [*maps, write_index(config.output_dir, maps, reports)]
