"""``zonemap init``: a project skeleton for any town, that every command accepts with ``--geodata DIR``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .errors import DataFileError, SchemaError, ZonemapError
from .io import write_text
from .project import FIGURES_FILE, LAYOUT, RINGS_FILE
from .schema import FIGURE_COLUMNS, FIGURE_COMMENT_PREFIX, LAYERS, TOWN_FIELDS, TOWNS_FILE, Town
from .towns import dongguan_towns

__all__ = ["InitResult", "init_project"]

log = logging.getLogger(__name__)

#: The example row of a new figures table: a comment row (first cell starts with
#: :data:`~zonemap.schema.FIGURE_COMMENT_PREFIX`), shown to the planner, skipped by every reader.
EXAMPLE_FIGURE_ID = f"{FIGURE_COMMENT_PREFIX}example"


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_project` wrote."""

    town: Town
    written: tuple[Path, ...]


def _town(name: str, town_id: str | None, name_en: str | None) -> Town:
    known = dongguan_towns().find(name)
    if known is not None and town_id is None:
        return known
    if town_id is None:
        raise SchemaError(
            f"town {name!r} is not one of Dongguan's towns (fix: {dongguan_towns().suggest(name)}; "
            "for another town give its id: --town-id xxx --name-en 'Xxx Town')"
        )
    return Town(town_id, name if known is None else known.name_zh, name_en or (known.name_en if known else ""))


def _csv_row(values: list[str]) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v for v in values)


def _readme(town: Town) -> str:
    return f"""# zonemap project: {town.name_zh} {town.name_en}

Layout ({LAYOUT}):

| file | holds |
|---|---|
| `{TOWNS_FILE}` | the towns: `{",".join(TOWN_FIELDS)}` (aliases separated by `;`) |
| `{town.id}/zones.geojson` | zone polygons (RFC 7946, WGS84) |
| `{town.id}/parcels.geojson` | parcel polygons; `parent` = the id of their zone |
| `{town.id}/places.geojson`, `{town.id}/lines.geojson` | points and lines shown on the map |
| `{FIGURES_FILE}` | stated figures: `{",".join(FIGURE_COLUMNS)}`; delete the example row |
| `{RINGS_FILE}` | ring sets around a place or from the Shenzhen boundary |

Bring a layer in with `zonemap import FILE --layer parcels --town {town.id} --out {town.id}/parcels.geojson`,
then `zonemap validate .` and `zonemap build --geodata .`.
"""


def init_project(
    directory: Path | str, town: str, *, town_id: str | None = None, name_en: str | None = None
) -> InitResult:
    """Write a project skeleton for one town.

    Parameters
    ----------
    directory
        The new project directory (created; must not hold a project already).
    town
        The town: a Dongguan town by any name (塘厦, 塘厦镇, tangxia), or a new name with ``town_id``.
    town_id, name_en
        Id and English name of a town zonemap does not know.

    Returns
    -------
    InitResult
        The town and the files written.

    Raises
    ------
    DataFileError
        If the directory already holds a project file (nothing is overwritten).
    SchemaError
        For an unknown town without ``town_id``.
    """
    root = Path(directory)
    t = _town(town, town_id, name_en)
    from .towns import read_towns_text

    towns_csv = _csv_row(list(TOWN_FIELDS)) + "\n" + _csv_row([t.id, t.name_zh, t.name_en, ";".join(t.aliases)]) + "\n"
    try:
        read_towns_text(towns_csv, TOWNS_FILE)
    except ZonemapError as exc:
        raise SchemaError(f"--town-id {t.id!r}: {exc}") from None
    example = {
        "figure_id": EXAMPLE_FIGURE_ID,
        "town": t.id,
        "subject": "REPLACE-WITH-A-FEATURE-ID",
        "quantity": "area",
        "value": "12.5",
        "unit": "公顷",
        "qualifier": "约",
        "source": "example: name the document",
        "quote": "example: copy the sentence that states the figure",
        "part_of": "",
        "notes": "EXAMPLE ROW (a comment: its figure_id starts with #): copy it without the #",
    }
    empty = '{"type":"FeatureCollection","features":[]}\n'
    files = {
        TOWNS_FILE: towns_csv,
        FIGURES_FILE: _csv_row(list(FIGURE_COLUMNS)) + "\n" + _csv_row([example[c] for c in FIGURE_COLUMNS]) + "\n",
        RINGS_FILE: json.dumps({"ring_sets": []}, indent=2) + "\n",
        "README.md": _readme(t),
        **{f"{t.id}/{layer.filename}": empty for layer in LAYERS.values()},
    }
    existing = [name for name in files if (root / name).exists()]
    if existing:
        raise DataFileError(
            f"{root}: already holds {', '.join(existing)} (fix: choose a new directory; "
            "zonemap init never overwrites a project)"
        )
    written = tuple(write_text(root / name, text) for name, text in files.items())
    log.info("wrote a project for %s in %s", t.id, root)
    return InitResult(t, written)
