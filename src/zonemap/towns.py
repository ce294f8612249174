"""Towns as data: a project's towns table, and resolving the names planners type.

A project declares its towns in ``towns.csv`` (columns :data:`zonemap.schema.TOWN_FIELDS`).
:meth:`TownRegistry.resolve` takes any of the ways a planner writes a town: the id
(``tangxia``), the full name (``塘厦镇``), the short name (``塘厦``), the English name
(``Tangxia Town``), an alias, or the pinyin (``tangxia``, ``Tang Xia``), case-insensitively.
An unknown name is refused with the closest known names.

zonemap also ships the names (no geometry) of Dongguan's 35 town-level divisions
(:func:`dongguan_towns`), so a planner's file for any Dongguan town can be named without a
project.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import DataFileError, MissingFileError, Problem, SchemaError
from .schema import TOWN_FIELDS, TOWN_SUFFIXES, TOWNS_FILE, Town

__all__ = ["TownRegistry", "dongguan_towns", "load_towns", "read_towns_text", "short_name", "town_keys"]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_FOLD = re.compile(r"[\s\-_'’·.]+")
_EN_SUFFIX = re.compile(r"(town|subdistrict|street|administration|zhen|jiedao)$")


def short_name(name_zh: str) -> str:
    """The name without its administrative ending: ``塘厦镇`` -> ``塘厦``, ``东城街道`` -> ``东城``."""
    for suffix in TOWN_SUFFIXES:
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix) + 1:
            return name_zh[: -len(suffix)]
    return name_zh


def _fold(text: str) -> str:
    """Lowercase with spaces, hyphens, apostrophes and dots removed (``Chang'an Town`` -> ``changantown``)."""
    return _FOLD.sub("", text.strip().lower())


def _pinyin_keys(name_zh: str) -> set[str]:
    """Every toneless pinyin spelling of a Chinese name (each reading of a heteronym: 厦 -> sha, xia)."""
    from pypinyin import Style, pinyin

    readings = pinyin(name_zh, style=Style.NORMAL, heteronym=True, errors="ignore")
    if not readings or len(readings) > 8:
        return set()
    combos = itertools.islice(itertools.product(*readings), 64)
    return {"".join(c).lower() for c in combos}


def town_keys(town: Town) -> set[str]:
    """The folded keys a town answers to (id, names, short name, aliases, pinyin)."""
    short = short_name(town.name_zh)
    keys = {town.id, town.name_zh, short, *town.aliases, town.name_en}
    keys |= _pinyin_keys(short) | _pinyin_keys(town.name_zh)
    folded = {_fold(k) for k in keys if k}
    if town.name_en:
        folded.add(_EN_SUFFIX.sub("", _fold(town.name_en)))
    return {k for k in folded if k}


@dataclass(frozen=True)
class TownRegistry:
    """An ordered set of towns with name resolution.

    Parameters
    ----------
    towns
        The towns, in the order of their file.
    source
        Where they were read from (for messages).
    """

    towns: tuple[Town, ...]
    source: str = "towns"

    def __iter__(self) -> Iterator[Town]:
        return iter(self.towns)

    def __len__(self) -> int:
        return len(self.towns)

    def __contains__(self, town_id: object) -> bool:
        return any(t.id == town_id for t in self.towns)

    @property
    def ids(self) -> tuple[str, ...]:
        """Town ids in file order."""
        return tuple(t.id for t in self.towns)

    def get(self, town_id: str) -> Town:
        """The town with this id.

        Raises
        ------
        SchemaError
            If no town has this id.
        """
        for t in self.towns:
            if t.id == town_id:
                return t
        raise SchemaError(f"unknown town id {town_id!r} in {self.source} (fix: use one of {', '.join(self.ids)})")

    def find(self, name: str) -> Town | None:
        """The town a name means, or ``None`` (see :meth:`resolve`)."""
        key = _fold(name)
        if not key:
            return None
        exact = [t for t in self.towns if key in {_fold(t.id), _fold(t.name_zh)}]
        if exact:
            return exact[0]
        hits = [t for t in self.towns if key in _keys(t)]
        return hits[0] if len(hits) == 1 else None

    def resolve(self, name: str) -> Town:
        """The town a planner's name means: id, full, short, English or pinyin name, or an alias.

        Parameters
        ----------
        name
            As typed (``塘厦``, ``塘厦镇``, ``tangxia``, ``Tangxia Town``).

        Returns
        -------
        Town
            The one town it names.

        Raises
        ------
        SchemaError
            For an unknown or ambiguous name, with the closest known names.
        """
        found = self.find(name)
        if found is not None:
            return found
        key = _fold(name)
        several = [t for t in self.towns if key and key in _keys(t)]
        if several:
            names = ", ".join(f"{t.name_zh} ({t.id})" for t in several)
            raise SchemaError(f"town {name!r} is ambiguous in {self.source}: {names} (fix: give the full name or id)")
        raise SchemaError(f"unknown town {name!r} in {self.source} (fix: {self.suggest(name)})")

    def suggest(self, name: str) -> str:
        """A hint naming the closest known towns."""
        labels = {f"{t.name_zh} ({t.id})": t for t in self.towns}
        pool = {k: label for label, t in labels.items() for k in _keys(t)}
        close = difflib.get_close_matches(_fold(name), list(pool), n=3, cutoff=0.5)
        near = list(dict.fromkeys(pool[c] for c in close))
        if near:
            return f"did you mean {', '.join(near)}?"
        shown = ", ".join(list(labels)[:8]) + (", ..." if len(labels) > 8 else "")
        return f"use one of {shown}, or declare the town in the project's {TOWNS_FILE} (zonemap init)"

    def merged(self, other: TownRegistry) -> TownRegistry:
        """These towns, then those of ``other`` whose ids are not here yet."""
        extra = tuple(t for t in other.towns if t.id not in self)
        return TownRegistry(self.towns + extra, self.source if not extra else f"{self.source} + {other.source}")


@cache
def _keys(town: Town) -> frozenset[str]:
    return frozenset(town_keys(town))


def read_towns_text(text: str, source: str) -> TownRegistry:
    """Parse a towns table (CSV text with the columns :data:`zonemap.schema.TOWN_FIELDS`).

    Parameters
    ----------
    text
        The CSV text.
    source
        Its file name, for messages.

    Returns
    -------
    TownRegistry
        The towns.

    Raises
    ------
    SchemaError
        Listing every problem (missing columns, bad or duplicate ids, empty names).
    """
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("id", "name_zh") if c not in header]
    if missing:
        raise SchemaError(
            f"{source}: missing column(s) {', '.join(missing)} (fix: the header must be {','.join(TOWN_FIELDS)})"
        )
    problems: list[Problem] = []
    towns: list[Town] = []
    seen: set[str] = set()
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        where = f"row {n}"
        tid, name = row.get("id", ""), row.get("name_zh", "")
        if not _ID.match(tid):
            problems.append(
                Problem(
                    source,
                    where,
                    f"town id {tid!r} is not a lowercase ascii id",
                    "use letters, digits and _ starting with a letter, e.g. tangxia",
                )
            )
        elif tid in seen:
            problems.append(Problem(source, where, f"town id {tid!r} used twice", "give each town its own id"))
        if not name:
            problems.append(Problem(source, where, "empty name_zh", "write the full Chinese name, e.g. 塘厦镇"))
        seen.add(tid)
        aliases = tuple(a.strip() for a in re.split(r"[;；]", row.get("aliases", "")) if a.strip())
        towns.append(Town(tid, name, row.get("name_en", ""), aliases))
    if problems:
        raise SchemaError(f"{source}: {len(problems)} problem(s) in the towns table", problems)
    if not towns:
        raise SchemaError(f"{source}: no towns (fix: add a row per town: {','.join(TOWN_FIELDS)})")
    return TownRegistry(tuple(towns), source)


def load_towns(path: Path | str) -> TownRegistry:
    """Read a project's towns table (UTF-8, a BOM is accepted).

    Raises
    ------
    MissingFileError, DataFileError, SchemaError
        If it is absent, not UTF-8, or malformed.
    """
    p = Path(path)
    if not p.is_file():
        raise MissingFileError(
            f"{p}: towns table not found (fix: a project declares its towns in {TOWNS_FILE} "
            f"with the columns {','.join(TOWN_FIELDS)}; `zonemap init DIR --town NAME` writes one)"
        )
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{p}: not UTF-8 at byte {exc.start} (fix: save the towns table as UTF-8 CSV)") from None
    return read_towns_text(text, str(p))


@cache
def dongguan_towns() -> TownRegistry:
    """The names of Dongguan's 35 towns, streets and management areas (shipped with zonemap, no geometry)."""
    text = resources.files("zonemap").joinpath("data/dongguan_towns.csv").read_text(encoding="utf-8")
    return read_towns_text(text, "Dongguan's town list")
