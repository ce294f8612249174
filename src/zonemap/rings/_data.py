"""Reading and checking ``geodata/rings.json``: ring sets as data (private to :mod:`zonemap.rings`).

The format is described in the README: each ring set has either a ``centre`` (the id of a
Point feature: annuli around it) or a ``boundary`` (``"shenzhen"``: distance bands from the
Shenzhen city boundary on one ``side``), and a list of bands with ``inner_km``/``outer_km``.
A band's ``figures`` name the registry rows that state its radii; their values must agree.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import Problem, SchemaError
from ..textsafe import escape_char, unsafe_chars

__all__ = [
    "BOUNDARIES",
    "MAX_RADIUS_KM",
    "SIDES",
    "RingBand",
    "RingSet",
    "check_band_figures",
    "check_ring_centres",
    "parse_ring_sets",
]

#: Boundary layers a ring set may measure from.
BOUNDARIES = frozenset({"shenzhen"})
#: Sides of a boundary a band set may lie on ("outside" is the Dongguan side of Shenzhen).
SIDES = frozenset({"outside"})

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Largest band radius accepted (km); a larger one is a unit mistake (metres written as km).
MAX_RADIUS_KM = 1000.0


@dataclass(frozen=True)
class RingBand:
    """One band of a ring set: the area between ``inner_km`` and ``outer_km``."""

    id: str
    name_zh: str
    name_en: str
    inner_km: float
    outer_km: float
    colour: str
    figures: tuple[str, ...] = ()


@dataclass(frozen=True)
class RingSet:
    """A set of bands around a centre feature or from a boundary."""

    id: str
    name_zh: str
    name_en: str
    town: str
    bands: tuple[RingBand, ...]
    centre: str | None = None
    boundary: str | None = None
    side: str = "outside"
    source: str = ""
    quote: str = ""
    centre_lonlat: tuple[float, float] | None = None


def _text(obj: dict[str, Any], key: str, bad: Any, required: bool = True) -> str:
    value = obj.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        bad(
            f"{key!r} must be a non-empty string" if required else f"{key!r} must be a string",
            f"give the ring set or band a {key}",
        )
        return ""
    found = unsafe_chars(value, allow_newlines=key == "quote")
    if found:
        bad(
            f"{key!r} holds control or bidi character(s) {' '.join(escape_char(c) for _, c in found)}",
            "delete them (they come from copying out of Word, Excel or a PDF)",
        )
    return value


def _number(obj: dict[str, Any], key: str, bad: Any) -> float:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        bad(f"{key!r} must be a number >= 0, got {value!r}", f"write {key} in kilometres, e.g. 0.5")
        return math.nan
    return float(value)


def _reporter(path: str, where: str, problems: list[Problem]) -> Callable[[str, str], None]:
    """A ``bad(message, hint)`` that records a problem at ``where`` in ``path``."""

    def bad(msg: str, hint: str) -> None:
        problems.append(Problem(path, where, msg, hint))

    return bad


def _parse_band(raw: Any, where: str, path: str, problems: list[Problem]) -> RingBand | None:
    bad = _reporter(path, where, problems)

    if not isinstance(raw, dict):
        bad("band is not an object", 'write each band as {"id": ..., "inner_km": ..., ...}')
        return None
    band_id = _text(raw, "id", bad)
    if band_id and not _ID.match(band_id):
        bad(f"band id {band_id!r} is not lower-case ascii", "use letters, digits, '-' and '_'")
    inner, outer = _number(raw, "inner_km", bad), _number(raw, "outer_km", bad)
    if inner >= outer:
        bad(f"inner_km {inner} is not less than outer_km {outer}", "swap or fix the radii")
    if outer > MAX_RADIUS_KM:
        bad(f"outer_km {outer:g} is more than {MAX_RADIUS_KM:g} km", "write the radii in kilometres, e.g. 0.5, not 500")
    colour = _text(raw, "colour", bad)
    if colour and not _COLOUR.match(colour):
        bad(f"colour {colour!r} is not #rrggbb", "write the colour as 6 hex digits, e.g. #d7301f")
    figures = raw.get("figures", [])
    if not isinstance(figures, list) or not all(isinstance(f, str) for f in figures):
        bad("'figures' must be a list of figure ids", "list the figure_ids stating the band radii, or []")
        figures = []
    return RingBand(
        band_id, _text(raw, "name_zh", bad), _text(raw, "name_en", bad), inner, outer, colour, tuple(figures)
    )


def _parse_set(
    raw: Any, where: str, path: str, problems: list[Problem], towns: Collection[str] | None
) -> RingSet | None:
    bad = _reporter(path, where, problems)

    if not isinstance(raw, dict):
        bad("ring set is not an object", "see the rings.json format in the README")
        return None
    set_id = _text(raw, "id", bad)
    town = _text(raw, "town", bad)
    if town and towns is not None and town not in towns:
        bad(f"unknown town {town!r}", f"use one of {', '.join(towns)} (the project's towns)")
    centre, boundary = raw.get("centre"), raw.get("boundary")
    if (centre is None) == (boundary is None):
        bad("needs exactly one of 'centre' and 'boundary'", 'give a centre Point feature id, or boundary "shenzhen"')
    if boundary is not None and boundary not in BOUNDARIES:
        bad(f"unknown boundary {boundary!r}", f"use one of {', '.join(sorted(BOUNDARIES))}")
    side = raw.get("side", "outside")
    if side not in SIDES:
        bad(f"unknown side {side!r}", f"use one of {', '.join(sorted(SIDES))}")
    raw_bands = raw.get("bands")
    if not isinstance(raw_bands, list) or not raw_bands:
        bad("'bands' must be a non-empty list", "list the bands from the centre outwards")
        raw_bands = []
    bands = [_parse_band(b, f"{where} band #{j} ({_label(b)})", path, problems) for j, b in enumerate(raw_bands)]
    ordered = sorted((b for b in bands if b is not None and b.inner_km < b.outer_km), key=lambda b: b.inner_km)
    for a, b in itertools.pairwise(ordered):
        if b.inner_km < a.outer_km:
            bad(
                f"bands {a.id} ({a.inner_km:g}-{a.outer_km:g} km) and {b.id} ({b.inner_km:g}-{b.outer_km:g} km) "
                "overlap",
                "make each band start where the previous one ends",
            )
    return RingSet(
        set_id,
        _text(raw, "name_zh", bad),
        _text(raw, "name_en", bad),
        town,
        tuple(b for b in bands if b is not None),
        centre=centre,
        boundary=boundary,
        side=side,
        source=_text(raw, "source", bad, required=False),
        quote=_text(raw, "quote", bad, required=False),
    )


def _label(raw: Any) -> str:
    return f"id {raw.get('id')}" if isinstance(raw, dict) else "?"


def parse_ring_sets(data: Any, path: Path | str, towns: Collection[str] | None = None) -> list[RingSet]:
    """Turn decoded ``rings.json`` content into :class:`RingSet` objects.

    Parameters
    ----------
    data
        The decoded JSON.
    path
        The file, for messages.
    towns
        The project's town ids a ring set may name (not checked when ``None``).

    Returns
    -------
    list of RingSet
        In file order.

    Raises
    ------
    SchemaError
        Listing every problem found (file, ring set, band, what and how to fix).
    """
    p = str(path)
    problems: list[Problem] = []
    raw_sets = data.get("ring_sets") if isinstance(data, dict) else None
    if not isinstance(raw_sets, list):
        raise SchemaError(f"{p}: no 'ring_sets' list (fix: write {{\"ring_sets\": [...]}}, see the README)")
    sets = [_parse_set(s, f"ring set #{i} ({_label(s)})", p, problems, towns) for i, s in enumerate(raw_sets)]
    ids = [b.id for s in sets if s for b in s.bands] + [s.id for s in sets if s]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem(p, f"id {dup}", "ring set or band id used more than once", "give each its own id"))
    if problems:
        raise SchemaError(f"{p}: {len(problems)} problem(s) in the ring sets", problems)
    return [s for s in sets if s is not None]


def check_band_figures(sets: list[RingSet], figures: pd.DataFrame, path: Path | str) -> list[Problem]:
    """Check that each band's radii equal the figures it cites.

    Parameters
    ----------
    sets
        Parsed ring sets.
    figures
        The registry from :func:`zonemap.figures.load_figures` (uses ``figure_id``,
        ``quantity`` and ``stated_m``).
    path
        ``rings.json``, for messages.

    Returns
    -------
    list of Problem
        One per missing figure, wrong quantity or radius that differs from the stated value.
    """
    p = str(path)
    by_id = {str(r["figure_id"]): r for r in figures.to_dict("records")}
    problems: list[Problem] = []
    for rs in sets:
        for band in rs.bands:
            where = f"ring set {rs.id} band {band.id}"
            radii = {"ring_inner_radius": band.inner_km * 1000, "ring_outer_radius": band.outer_km * 1000}
            for fid in band.figures:
                if fid not in by_id:
                    problems.append(
                        Problem(
                            p,
                            where,
                            f"figure {fid!r} is not in the figures table",
                            "add it to figures.csv or fix the id",
                        )
                    )
                    continue
                row = by_id[fid]
                if row["quantity"] not in radii:
                    problems.append(
                        Problem(
                            p,
                            where,
                            f"figure {fid!r} states {row['quantity']}, not a ring radius",
                            "cite ring_inner_radius / ring_outer_radius figures only",
                        )
                    )
                    continue
                expected = radii[row["quantity"]]
                if not math.isclose(float(row["stated_m"]), expected, abs_tol=1e-6):
                    problems.append(
                        Problem(
                            p,
                            where,
                            f"{row['quantity']} is {expected:g} m here but figure {fid!r} states "
                            f"{row['value']} {row['unit']} ({float(row['stated_m']):g} m)",
                            "make the band radii equal the stated figure",
                        )
                    )
    return problems


def check_ring_centres(sets: list[RingSet], features: Mapping[str, Collection[str]], path: Path | str) -> list[Problem]:
    """Check that every ring set's centre is a feature of its town.

    Parameters
    ----------
    sets
        Parsed ring sets.
    features
        Feature ids by town id (the project's layers).
    path
        ``rings.json``, for messages.

    Returns
    -------
    list of Problem
        One per centre that names no feature of the ring set's town.
    """
    problems: list[Problem] = []
    for rs in sets:
        if rs.centre is None or rs.centre_lonlat is not None:
            continue
        ids = features.get(rs.town, ())
        if rs.centre not in ids:
            problems.append(
                Problem(
                    str(path),
                    f"ring set {rs.id}",
                    f"centre {rs.centre!r} is not a feature of town {rs.town!r}",
                    "name the id of a Point in the town's places.geojson, or fix the town",
                )
            )
    return problems
