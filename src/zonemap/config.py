"""A frozen configuration object passed explicitly to the functions that need it.

There is no global mutable settings module: build a :class:`Config` (or take
:func:`default_config`) and hand it down.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import ConfigError, MissingFileError

__all__ = ["REFERENCE_ENV", "Config", "bundled_geodata_dir", "default_config"]

#: Environment variable naming the reference-layer directory (optional).
REFERENCE_ENV = "ZONEMAP_REFERENCE_DIR"

#: File name of the Dongguan town outlines inside the reference directory.
REFERENCE_TOWNS_FILE = "dongguan_towns.geojson"


def bundled_geodata_dir() -> Path:
    """Return the ``geodata/`` directory of this checkout.

    Returns
    -------
    Path
        ``<repo>/geodata`` for a source or editable install.
    """
    return Path(__file__).resolve().parents[2] / "geodata"


@dataclass(frozen=True)
class Config:
    """Where data lives and how lenient comparisons are.

    Parameters
    ----------
    geodata_dir
        Directory holding ``<town>/<layer>.geojson``, ``figures.csv`` and ``rings.json``.
    reference_dir
        Directory holding reference layers (``dongguan_towns.geojson``), or ``None``
        to work without them.
    about_rel_tol
        Relative tolerance by which the qualifier 约 (about) widens a figure's band.
    output_dir
        Where ``zonemap build`` writes maps and reports.
    reference_accuracy_m
        How far the reference town outlines may be off (their README: median 9 m, 95th
        percentile 70 m against an independent border); used when checking that zones lie
        inside their town.
    tianditu_key
        The 天地图 browser key its base maps need on map pages (``--tianditu-key``,
        ``ZONEMAP_TIANDITU_KEY``); without one those layers are absent.
    csv_encoding
        Encoding of the CSV reports (``--csv-encoding``): UTF-8 with a BOM, which Excel on Chinese
        Windows opens, or ``gbk`` / ``gb18030`` for old Excel.
    """

    geodata_dir: Path
    reference_dir: Path | None = None
    about_rel_tol: float = 0.05
    output_dir: Path = Path("maps")
    reference_accuracy_m: float = 70.0
    tianditu_key: str | None = None
    csv_encoding: str = "utf-8-sig"

    def __post_init__(self) -> None:
        if not 0 <= self.about_rel_tol < 1:
            raise ConfigError(
                f"the 约 tolerance must be in [0, 1), got {self.about_rel_tol} "
                "(fix: pass a fraction such as --about-tol 0.05)"
            )
        if not 0 <= self.reference_accuracy_m < math.inf:
            raise ConfigError(
                f"reference_accuracy_m must be a finite distance >= 0 m, got "
                f"{self.reference_accuracy_m} (fix: give the reference outlines' accuracy in metres)"
            )

    @property
    def reference_towns(self) -> Path | None:
        """Path of the Dongguan town outlines, or ``None`` without a reference directory."""
        if self.reference_dir is None:
            return None
        path = self.reference_dir / REFERENCE_TOWNS_FILE
        return path if path.is_file() else None

    def evolve(self, **changes: object) -> Config:
        """Return a copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def default_config(
    geodata_dir: Path | str | None = None,
    reference_dir: Path | str | None = None,
    **kwargs: object,
) -> Config:
    """Build a :class:`Config` from arguments, the environment and the bundled data.

    Parameters
    ----------
    geodata_dir
        Geodata directory; the bundled ``geodata/`` when omitted.
    reference_dir
        Reference directory; ``$ZONEMAP_REFERENCE_DIR`` when omitted, else none.
    **kwargs
        Other :class:`Config` fields.

    Returns
    -------
    Config
        The configuration.

    Raises
    ------
    MissingFileError
        If a directory that was named does not exist.
    """
    geo = Path(geodata_dir) if geodata_dir is not None else bundled_geodata_dir()
    if not geo.is_dir():
        raise MissingFileError(f"{geo}: geodata directory not found (fix: pass an existing directory)")
    ref_arg = reference_dir if reference_dir is not None else os.environ.get(REFERENCE_ENV)
    ref = Path(ref_arg) if ref_arg else None
    if ref is not None and not ref.is_dir():
        raise MissingFileError(
            f"{ref}: reference directory not found (fix: pass the directory holding "
            f"{REFERENCE_TOWNS_FILE}, or unset {REFERENCE_ENV})"
        )
    return Config(geodata_dir=geo, reference_dir=ref, **kwargs)  # type: ignore[arg-type]
