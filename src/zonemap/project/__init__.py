"""A project's data loaded and validated once: towns, layers, figures, rings, reference outlines.

Two ways in, one object out:

- :func:`load_project` reads a project directory (the bundled ``geodata/`` is one)::

      <geodata>/towns.csv                     the towns (id, name_zh, name_en, aliases)
      <geodata>/<town id>/zones.geojson       RFC 7946 layers (each optional):
      <geodata>/<town id>/parcels.geojson       zones, parcels, places, lines
      <geodata>/<town id>/places.geojson
      <geodata>/<town id>/lines.geojson
      <geodata>/figures.csv                   the stated figures (optional)
      <geodata>/rings.json                    ring sets (optional)
      <geodata>/shenzhen/shenzhen.geojson     Shenzhen outlines (optional; bundled copy otherwise)

- :func:`load_files` reads a planner's own layer files (any format
  :func:`zonemap.ingest.import_file` reads) in memory, with their figures from ``--figures``
  and/or an area attribute (``--area-field``), and ring sets from ``--centre``/``--bands``.

Every file is read once; reconciliation, rings, maps and reports all take the
:class:`Project`. Every problem is collected before anything is computed.
"""

from __future__ import annotations

from ._files import (
    FileOptions,
    load_files,
    read_outline,
)
from ._model import (
    FIGURES_FILE,
    LAYOUT,
    RINGS_FILE,
    Project,
)
from ._project import (
    as_project,
    load_project,
)

__all__ = [
    "FIGURES_FILE",
    "LAYOUT",
    "RINGS_FILE",
    "FileOptions",
    "Project",
    "as_project",
    "load_files",
    "load_project",
    "read_outline",
]
