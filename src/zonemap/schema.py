"""The one place that names zonemap's layers, feature properties, kinds, units and qualifiers.

Everything else (validation, loading, reconciliation, maps) reads these tables instead of
repeating literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple

__all__ = [
    "AREA_FIELD_UNITS",
    "AREA_QUANTITIES",
    "AREA_UNITS_M2",
    "DRAW_ORDER",
    "FIGURES_FILE",
    "FIGURE_COLUMNS",
    "FIGURE_COMMENT_PREFIX",
    "FIGURE_REQUIRED",
    "FIGURE_STATUSES",
    "ID_COLUMNS",
    "IMPORT_LAYERS",
    "LAYERS",
    "LENGTH_QUANTITIES",
    "LENGTH_UNITS_M",
    "MAX_STATED_AREA_M2",
    "MAX_STATED_LENGTH_M",
    "MULTILINE_PROPERTIES",
    "MU_M2",
    "OPTIONAL_PROPERTIES",
    "QUALIFIERS",
    "REQUIRED_PROPERTIES",
    "RINGS_FILE",
    "STATUSES",
    "TOWNS_FILE",
    "TOWN_FIELDS",
    "TOWN_SUFFIXES",
    "UNIT_FORMS",
    "UNIT_SYMBOLS",
    "VALUE_MULTIPLIERS",
    "ZERO_QUANTITIES",
    "FigureStatus",
    "Layer",
    "Qualifier",
    "Status",
    "Town",
    "UnitForm",
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


class UnitForm(NamedTuple):
    """A unit as planners write it: the ascii unit code it means, times a power of ten."""

    code: str
    multiplier: int


#: Every written form of a unit zonemap reads (figures tables, ``--area-unit``), mapped to
#: (ascii unit code, multiplier): ``万平方米`` is ``("m2", 10000)``. Lookup ignores case and
#: width (``KM²``, ``ｍ２`` and ``㎡`` match by their NFKC form). Multipliers are powers of ten,
#: so the digits written keep their meaning: ``1.2万平方米`` is 1.2 (±0.05) x 10⁴ m².
UNIT_FORMS = MappingProxyType(
    {
        form: UnitForm(code, multiplier)
        for code, multiplier, forms in (
            ("m2", 1, "m2 m² ㎡ 平方米 平米"),
            ("m2", 10_000, "万平方米 万平米 万㎡ 万m2"),
            ("mu", 1, "mu 亩"),
            ("mu", 10_000, "万亩"),
            ("ha", 1, "ha hm2 hm² 公顷"),
            ("km2", 1, "km2 km² 平方公里 平方千米"),
            ("m", 1, "m 米"),
            ("km", 1, "km 公里 千米"),
        )
        for form in forms.split()
    }
)

#: Multiplier words written inside a value (``1.2万``, ``1.5亿``); powers of ten.
VALUE_MULTIPLIERS = MappingProxyType({"万": 10_000, "亿": 100_000_000})

#: 第三次全国国土调查 (三调) area fields, always in square metres (图斑面积, 面积, 扣除面积,
#: 图斑地类面积). A layer attribute with another name takes its unit from the unit word in it.
AREA_FIELD_UNITS = MappingProxyType({"TBMJ": "m2", "MJ": "m2", "KCMJ": "m2", "TBDLMJ": "m2"})

#: Largest stated area accepted (m²): 10⁶ km², more than any province (Guangdong is
#: 1.8x10⁵ km²; China 9.6x10⁶ km²). A larger figure is a typo or a unit mistake.
MAX_STATED_AREA_M2 = 1e12

#: Largest stated length accepted (m): 5000 km, China's greatest east-west extent.
MAX_STATED_LENGTH_M = 5e6

#: Quantities whose stated value may be zero (a ring band starting at its centre).
ZERO_QUANTITIES = frozenset({"ring_inner_radius"})

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
    placement
        Where the word stands when written inside a value: ``"before"`` the number
        (``约6.7``), ``"after"`` it (``6.7以上``, ``200余``; ``余`` / ``多`` also before 万 / 亿:
        ``10多万``), or ``""`` (the empty qualifier).
    """

    word: str
    bound: str
    name_en: str
    placement: str = "before"


QUALIFIERS = MappingProxyType(
    {
        q.word: q
        for q in (
            Qualifier("", "exact", "as stated", ""),
            Qualifier("约", "about", "about"),
            Qualifier("大约", "about", "about"),
            Qualifier("左右", "about", "or so", "after"),
            Qualifier("以上", "at_least", "or more", "after"),
            Qualifier("超", "at_least", "over"),
            Qualifier("超过", "at_least", "over"),
            Qualifier("逾", "at_least", "over"),
            Qualifier("突破", "at_least", "over"),
            Qualifier("不少于", "at_least", "no less than"),
            Qualifier("不低于", "at_least", "no less than"),
            Qualifier("余", "at_least", "more than", "after"),
            Qualifier("多", "at_least", "more than", "after"),
            Qualifier("不超过", "at_most", "no more than"),
            Qualifier("以内", "at_most", "within", "after"),
            Qualifier("以下", "at_most", "or less", "after"),
            Qualifier("近", "at_most", "nearly"),
            Qualifier("不足", "at_most", "under"),
            Qualifier("不到", "at_most", "under"),
        )
    }
)


@dataclass(frozen=True)
class Layer:
    """A geodata layer: file name, geometry types, feature kinds, import default, how it is drawn.

    ``default_kind``: an imported feature's kind when nothing says otherwise (none: not an import
    target; :data:`IMPORT_LAYERS`). ``label_zh``/``label_en`` name it in controls, legends and print;
    ``weight`` (CSS px; print 0.8 of it in pt) and ``fill_opacity`` style it; ``status_fill`` fills it by
    reconciliation status when it has stated figures. Maps and print draw every layer in
    :data:`DRAW_ORDER`: a new layer needs only its entry here.
    """

    name: str
    geometry_types: frozenset[str]
    kinds: frozenset[str]
    default_kind: str | None = None
    label_zh: str = ""
    label_en: str = ""
    weight: float = 1.5
    fill_opacity: float = 0.0
    status_fill: bool = False

    @property
    def polygonal(self) -> bool:
        """Whether the layer holds polygons (measured and reconciled)."""
        return self.geometry_types <= _POLYGONS

    @property
    def family(self) -> str:
        """``polygon``, ``line`` or ``point``: how the layer is drawn."""
        if self.polygonal:
            return "polygon"
        return "line" if self.geometry_types <= _LINES else "point"

    @property
    def label(self) -> str:
        """The bilingual name, e.g. ``产业区 Zones``."""
        return f"{self.label_zh} {self.label_en}".strip()

    @property
    def filename(self) -> str:
        """The layer's file name in a town directory."""
        return f"{self.name}.geojson"


_POLYGONS = frozenset({"Polygon", "MultiPolygon"})
_LINES = frozenset({"LineString", "MultiLineString"})
_PLACE_KINDS = frozenset({"platform", "project", "station", "ring_centre", "business_district", "institution"})
_PLACE_KINDS |= {"park", "landmark"}

_PARCEL_KINDS = frozenset({"parcel", "park", "project"})
_LINE_KINDS = frozenset({"rail", "metro", "road", "expressway", "axis"})

LAYERS = MappingProxyType(
    {
        layer.name: layer
        for layer in (
            Layer("zones", _POLYGONS, frozenset({"zone"}), "zone", "产业区", "Zones", 2.5, 0.2),
            Layer("parcels", _POLYGONS, _PARCEL_KINDS, "parcel", "地块", "Parcels", 1.5, 0.45, status_fill=True),
            Layer("places", frozenset({"Point"}), _PLACE_KINDS, "landmark", "地点", "Places", 1.5, 0.95),
            Layer("lines", _LINES, _LINE_KINDS, None, "线路", "Lines", 3),
        )
    }
)

#: The order layers are drawn in, bottom to top: areas, then lines, then points (each in LAYERS order).
DRAW_ORDER = tuple(sorted(LAYERS, key=lambda name: ("polygon", "line", "point").index(LAYERS[name].family)))


#: Layers a planner's own data can be imported into (``zonemap import --layer``).
IMPORT_LAYERS = tuple(name for name, layer in LAYERS.items() if layer.default_kind is not None)


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

#: File names of a project's towns table, figures registry and ring sets inside its geodata directory.
TOWNS_FILE, FIGURES_FILE, RINGS_FILE = "towns.csv", "figures.csv", "rings.json"

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
OPTIONAL_PROPERTIES = MappingProxyType({"parent": str, "status": str, "notes": str, "source": str, "quote": str})

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
        How bad, for a feature's worst-first colour: 1 agrees, 2 undetermined, 3 disagrees; 0 for
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "word", str(self.word))  # a FigureStatus member, stored as its plain word

    @property
    def label(self) -> str:
        """Both languages: ``"一致 agrees"``."""
        return f"{self.label_zh} {self.label_en}"


class FigureStatus(StrEnum):
    """The status words, a closed set (stored as plain strings); :data:`FIGURE_STATUSES` describes each."""

    AGREES = "agrees"
    UNDETERMINED = "undetermined"
    DISAGREES = "disagrees"
    NO_GEOMETRY = "no_geometry"
    PART_WITHIN = "part_within_whole"
    PART_EXCEEDS = "part_exceeds_whole"


#: Every status a stated figure can get, by word.
FIGURE_STATUSES = MappingProxyType(
    {
        s.word: s
        for s in (
            Status(FigureStatus.AGREES, "一致", "agrees", "#1a9850", 1, False),
            Status(
                FigureStatus.UNDETERMINED, "待定", "undetermined (geometry too coarse to tell)", "#d08c00", 2, False
            ),
            Status(FigureStatus.DISAGREES, "不一致", "disagrees", "#d73027", 3, True),
            Status(FigureStatus.NO_GEOMETRY, "无图形", "no geometry", "#4d4d4d", 0, False),
            Status(FigureStatus.PART_WITHIN, "部分未超整体", "part within whole", "#1a9850", 0, False),
            Status(FigureStatus.PART_EXCEEDS, "部分超过整体", "part exceeds whole", "#d73027", 0, True),
        )
    }
)

#: Text properties that may hold line breaks and tabs (every other text property is one line).
MULTILINE_PROPERTIES = frozenset({"notes", "quote", "source"})

#: Attribute columns taken as the feature id when ``zonemap import`` gets no ``--id-column``, in order of
#: preference, matched case-insensitively: ``id``, 地块编号 (parcel number), 编号 (number), DKBH / DKBM
#: (地块编号 / 地块编码 in pinyin initials), BSM (标识码, the feature code of 三调 / cadastral data), TBBH
#: (图斑编号, the patch number of land-survey data).
ID_COLUMNS = ("id", "地块编号", "编号", "dkbh", "dkbm", "bsm", "tbbh")

#: A figures-table row whose first cell starts with this is a comment (``zonemap init``'s example row).
FIGURE_COMMENT_PREFIX = "#"


# --------------------------------------------------------------------------- figures in prose (zonemap.figures.extract)

#: Words that say what a figure in prose measures, each mapped to its quantity: the cue nearest
#: before the number in its clause wins (``占地2780亩`` -> area, ``新增产业用地1946亩`` ->
#: new_industrial_land, ``白地567.5亩`` -> vacant_land). A figure with no cue is an ``area``. A cue
#: mapped to a quantity outside :data:`AREA_QUANTITIES` (``建筑面积``: floor area, not land) sends the
#: figure to the non-area table under that kind.
QUANTITY_CUES = MappingProxyType(
    {
        "面积": "area",
        "总面积": "area",
        "规划面积": "area",
        "占地面积": "area",
        "占地": "area",
        "用地面积": "land_area",
        "用地": "land_area",
        "土地": "land_area",
        "储备用地": "land_area",
        "收储土地": "land_area",
        "新增产业用地": "new_industrial_land",
        "新增工业用地": "new_industrial_land",
        "产业用地": "land_area",
        "白地": "vacant_land",
        "闲置用地": "vacant_land",
        "闲置土地": "vacant_land",
        "建筑面积": "floor_area",
        "总建筑面积": "floor_area",
        "楼面面积": "floor_area",
    }
)

#: Units that make a number in prose something other than an area or a length, with its kind
#: (money, count, percent, time). Such numbers are never area figures (``zonemap figures extract --all``
#: lists them). ``万`` / ``亿`` before them are read as :data:`VALUE_MULTIPLIERS` (``400亿元``).
NON_AREA_UNITS = MappingProxyType(
    {
        **dict.fromkeys(("元", "亿元", "万元", "美元", "亿美元", "万美元", "港元", "欧元"), "money"),
        **dict.fromkeys(
            (
                "家",
                "个",
                "项",
                "宗",
                "人",
                "名",
                "头",
                "只",
                "对",
                "座",
                "条",
                "所",
                "户",
                "栋",
                "批",
                "件",
                "台",
                "套",
                "位",
                "次",
                "场",
                "倍",
            ),
            "count",
        ),
        **dict.fromkeys(("%", "％", "个百分点"), "percent"),
        **dict.fromkeys(("年", "月", "日", "天", "小时", "分钟"), "time"),
    }
)

__all__ += ["NON_AREA_UNITS", "QUANTITY_CUES"]
