"""The main job: load and validate a project once, then write the reconciliation report and maps."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import Config
from .project import Project, load_project
from .reconcile import Reconciliation, reconcile_project
from .report import FORMATS, figures_for_maps, report_paths, summary, write_reports
from .schema import LAYERS

__all__ = ["BuildResult", "build", "build_project", "output_paths", "write_maps", "write_reconciliation"]

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
    notes: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Human-readable lines describing the build."""
        lines = [
            f"{town}: " + ", ".join(f"{n} {layer}" for layer, n in layers.items())
            for town, layers in self.counts.items()
        ]
        lines += [f"wrote {p}" for p in self.outputs]
        if self.reference:
            lines.append(self.reference)
        lines += self.notes
        if self.reconciliation:
            lines.append(f"reconciliation: {self.reconciliation} (see {self.report_path})")
        return lines


def build(config: Config) -> BuildResult:
    """Load and validate the project in ``config.geodata_dir``; write every output to ``config.output_dir``.

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
        If the geodata does not validate (every problem listed).
    """
    return build_project(load_project(config))


def build_project(project: Project) -> BuildResult:
    """Write the reports, one map per town and the index of a loaded project.

    Parameters
    ----------
    project
        The data; its ``config.output_dir`` receives the outputs.

    Returns
    -------
    BuildResult
        Counts, written files and the number of failed checks.
    """
    result = BuildResult(reference=_reference_line(project.config))
    for town in project.town_ids:
        data = project.data(town)
        result.counts[town] = {name: len(getattr(data, name)) for name in LAYERS}
    recon = write_reconciliation(project, result)
    write_maps(project, result, figures_for_maps(recon))
    return result


def output_paths(project: Project) -> list[Path]:
    """Every file :func:`build_project` writes, known before any work (for output checks)."""
    out = project.config.output_dir
    pages = [out / f"{t}.{ext}" for ext in ("html", "pdf") for t in project.town_ids]
    return [*report_paths(out, FORMATS).values(), *pages, out / "index.html"]


def write_reconciliation(project: Project, result: BuildResult) -> Reconciliation:
    """Reconcile every town and write the reports (all formats) to ``config.output_dir``.

    Parameters
    ----------
    project
        The loaded data.
    result
        Receives the written paths, ``report_path`` (the HTML report) and the number of
        disagreeing figures plus failed checks in ``failed_checks``.

    Returns
    -------
    Reconciliation
        The result tables.
    """
    recon = reconcile_project(project)
    paths = write_reports(recon, project.config.output_dir, FORMATS, csv_encoding=project.config.csv_encoding)
    result.outputs += paths
    result.report_path = next(p for p in paths if p.suffix == ".html")
    result.failed_checks += recon.n_failed
    result.reconciliation = summary(recon)
    log.info("reconciliation: %s", result.reconciliation)
    return recon


def _reference_line(config: Config) -> str:
    if config.reference_towns is None:
        return (
            "reference layers: none (zones not checked against town outlines; "
            "set ZONEMAP_REFERENCE_DIR or --reference-dir)"
        )
    return f"reference layers: {config.reference_towns}"


def write_maps(project: Project, result: BuildResult, reconciliation: pd.DataFrame | None = None) -> None:
    """Write ``<town>.html`` for every town and ``index.html`` linking maps and reports.

    Parameters
    ----------
    project
        The loaded data; maps go to ``config.output_dir``.
    result
        Collects the written paths; files already in ``outputs`` are linked as reports.
    reconciliation
        The reconciliation table, shown in the maps' figure cards and colours when given.
    """
    from .maps import write_index, write_map

    out = project.config.output_dir
    reports = list(result.outputs)
    maps = [write_map(project, town, out, offline=True, reconciliation=reconciliation) for town in project.town_ids]
    result.outputs += [*maps, write_index(out, maps, reports, project.towns)]
    result.outputs += write_prints(project, reconciliation, result)


def write_prints(project: Project, reconciliation: pd.DataFrame | None, result: BuildResult) -> list[Path]:
    """Print every town's map to ``<town>.pdf`` beside its page, when matplotlib is installed.

    Without the ``print`` extra the build says so in its summary and writes the rest.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        result.notes.append("printed maps: skipped (pip install -e '.[print]' for <town>.pdf)")
        return []
    from .printing import print_map

    out = project.config.output_dir
    return [print_map(project, t, out / f"{t}.pdf", reconciliation=reconciliation) for t in project.town_ids]
