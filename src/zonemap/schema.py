"""The one place that names zonemap's layers, feature properties, kinds, units and qualifiers.

Everything else (validation, loading, reconciliation, maps) reads these tables instead of
repeating literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

__all__ = [
    "AREA_QUANTITIES",
    "AREA_UNITS_M2",
    "FIGURE_COLUMNS",
    "FIGURE_REQUIRED",
    "FIGURE_STATUSES",
    "IMPORT_LAYERS",
    "LAYERS",
    "LENGTH_QUANTITIES",
    "LENGTH_UNITS_M",
    "MULTILINE_PROPERTIES",
    "MU_M2",
    "OPTIONAL_PROPERTIES",
    "QUALIFIERS",
    "REQUIRED_PROPERTIES",
    "STATUSES",
    "TOWN_FIELDS",
    "TOWNS_FILE",
    "TOWN_SUFFIXES",
    "UNIT_SYMBOLS",
    "Layer",
    "Qualifier",
    "Status",
    "Town",
    "unit_text",
]

#: One mu (亩) in square metres, exactly 10000/15 (666.666... m²).
MU_M2 = Fraction(10000, 15)

#: Area units and their size in square metres (exact fractions, converted to float on use).
AREA_UNITS_M2 = MappingProxyType(
    {
        "m2": Fraction(1),
        "mu": MU_M2,
        "ha": Fraction(10_000),
        "km2": Fraction(1_000_000),
    }
)

#: How unit codes are written for people (the data keeps the ascii codes).
UNIT_SYMBOLS = MappingProxyType({"km2": "km²", "m2": "m²"})


def unit_text(unit: str) -> str:
    """The unit as people write it: ``"km2"`` -> ``"km²"``; other codes unchanged."""
    return UNIT_SYMBOLS.get(unit, unit)


#: Length units and their size in metres.
LENGTH_UNITS_M = MappingProxyType({"m": Fraction(1), "km": Fraction(1000)})

#: Quantities measured as an area (compared with polygon areas).
AREA_QUANTITIES = frozenset({"area", "new_industrial_land", "vacant_land", "land_area"})

#: Quantities measured as a length (ring radii).
LENGTH_QUANTITIES = frozenset({"ring_inner_radius", "ring_outer_radius"})


@dataclass(frozen=True)
class Qualifier:
    """How a qualifier word bends the comparison of a stated figure.

    Parameters
    ----------
    word
        The qualifier as written in the source (``约``, ``以上``...; ``""`` for none).
    bound
        ``"about"`` (two-sided, widened by the about-tolerance), ``"exact"`` (two-sided,
        stated precision only), ``"at_least"`` or ``"at_most"`` (one-sided).
    name_en
        English gloss, for reports.
    """

    word: str
    bound: str
    name_en: str


QUALIFIERS = MappingProxyType(
    {
        q.word: q
        for q in (
            Qualifier("", "exact", "as stated"),
            Qualifier("约", "about", "about"),
            Qualifier("以上", "at_least", "or more"),
            Qualifier("超", "at_least", "over"),
            Qualifier("超过", "at_least", "over"),
            Qualifier("突破", "at_least", "over"),
            Qualifier("不少于", "at_least", "no less than"),
            Qualifier("不超过", "at_most", "no more than"),
            Qualifier("以内", "at_most", "within"),
        )
    }
)


@dataclass(frozen=True)
class Layer:
    """A geodata layer: its file name, allowed geometry types and feature kinds."""

    name: str
    geometry_types: frozenset[str]
    kinds: frozenset[str]

    @property
    def filename(self) -> str:
        return f"{self.name}.geojson"


_POLYGONS = frozenset({"Polygon", "MultiPolygon"})

LAYERS = MappingProxyType(
    {
        layer.name: layer
        for layer in (
            Layer("zones", _POLYGONS, frozenset({"zone"})),
            Layer("parcels", _POLYGONS, frozenset({"parcel", "park", "project"})),
            Layer(
                "places",
                frozenset({"Point"}),
                frozenset(
                    {
                        "platform",
                        "project",
                        "station",
                        "ring_centre",
                        "business_district",
                        "institution",
                        "park",
                        "landmark",
                    }
                ),
            ),
            Layer(
                "lines",
                frozenset({"LineString", "MultiLineString"}),
                frozenset({"rail", "metro", "road", "expressway", "axis"}),
            ),
        )
    }
)


#: Layers a planner's own data can be imported into (``zonemap import --layer``).
IMPORT_LAYERS = ("zones", "parcels", "places")


@dataclass(frozen=True)
class Town:
    """A town (镇), street (街道) or other area a project has data for.

    Towns are data: a project declares its own in :data:`TOWNS_FILE` (columns
    :data:`TOWN_FIELDS`); nothing in the code names a particular town.

    Parameters
    ----------
    id
        Short ascii id used in file names and the ``town`` property (``fenggang``).
    name_zh
        Full Chinese name (``凤岗镇``).
    name_en
        English name (``Fenggang Town``).
    aliases
        Other names it goes by (``东莞港`` for 虎门港管委会).
    """

    id: str
    name_zh: str
    name_en: str = ""
    aliases: tuple[str, ...] = ()


#: Columns of a project's towns file, in order (``aliases`` separated by ``;``).
TOWN_FIELDS = ("id", "name_zh", "name_en", "aliases")

#: File name of a project's towns table inside its geodata directory.
TOWNS_FILE = "towns.csv"

#: Endings of Chinese town-level names dropped to get the short name (塘厦镇 -> 塘厦).
TOWN_SUFFIXES = ("街道办事处", "管委会", "街道", "社区", "镇", "乡")

#: Properties every feature must have, with their Python types.
REQUIRED_PROPERTIES = MappingProxyType(
    {
        "id": str,
        "name_zh": str,
        "name_en": str,
        "kind": str,
        "town": str,
        "geometry_source": str,
        "accuracy_m": float,
    }
)

#: Properties a feature may have.
OPTIONAL_PROPERTIES = MappingProxyType(
    {"parent": str, "status": str, "notes": str, "source": str, "quote": str}
)

STATUSES = frozenset({"existing", "planned", "under_construction", "renewal"})

#: Columns of the stated-figure registry (``geodata/figures.csv``), in order.
FIGURE_COLUMNS = (
    "figure_id",
    "town",
    "subject",
    "quantity",
    "value",
    "unit",
    "qualifier",
    "source",
    "quote",
    "part_of",
    "notes",
)

#: Registry columns that must not be empty.
FIGURE_REQUIRED = ("figure_id", "town", "subject", "quantity", "value", "unit", "source", "quote")

# TRANSITIONAL: removed once every module reads towns from the project (zonemap.towns).
TOWNS = MappingProxyType(
    {t.id: t for t in (Town("fenggang", "凤岗镇", "Fenggang Town"), Town("dongcheng", "东城街道", "Dongcheng Subdistrict"))}
)


@dataclass(frozen=True)
class Status:
    """A reconciliation status of a stated figure, named once for data, reports and maps.

    Parameters
    ----------
    word
        The status as stored in data (``status`` column of the reconciliation tables).
    label_zh, label_en
        How people read it (terminal, reports, map legend).
    colour
        ``#rrggbb`` for maps and the terminal.
    rank
        How bad, for a feature's worst-first colour: 1 agrees, 2 consistent, 3 disagrees; 0 for
        statuses that do not compare a polygon's own area.
    fails_strict
        Whether the status fails ``--strict``.
    """

    word: str
    label_zh: str
    label_en: str
    colour: str
    rank: int
    fails_strict: bool

    @property
    def label(self) -> str:
        """Both languages: ``"一致 agrees"``."""
        return f"{self.label_zh} {self.label_en}"


#: Every status a stated figure can get, by word.
FIGURE_STATUSES = MappingProxyType(
    {
        s.word: s
        for s in (
            Status("agrees", "一致", "agrees", "#1a9850", 1, False),
            Status("consistent", "待定", "consistent (undetermined)", "#d08c00", 2, False),
            Status("disagrees", "不一致", "disagrees", "#d73027", 3, True),
            Status("no_geometry", "无图形", "no geometry", "#4d4d4d", 0, False),
            Status("part_within_whole", "部分未超整体", "part within whole", "#1a9850", 0, False),
            Status("part_exceeds_whole", "部分超过整体", "part exceeds whole", "#d73027", 0, True),
        )
    }
)

#: Text properties that may hold line breaks and tabs (every other text property is one line).
MULTILINE_PROPERTIES = frozenset({"notes", "quote", "source"})
