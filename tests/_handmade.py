"""Hand-made geodata for the rings and maps tests (written under tmp_path only).

A rectangular "Shenzhen" (two districts) west of a few Fenggang-like features whose
distances and band shares can be worked out by hand. Coordinates are invented test values,
not real places.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely

from zonemap.config import Config
from zonemap.io import write_geojson

PROBE = "<img src=x onerror=alert(1)>"
#: The only elements the HTML reconciliation report is built of: data text never adds one.
REPORT_HTML_TAGS = frozenset(
    [
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "section",
        "h1",
        "h2",
        "p",
        "ul",
        "li",
        "span",
        "b",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "details",
        "summary",
        "svg",
        "g",
        "rect",
        "line",
        "circle",
        "text",
    ]
)
#: The east edge of the test "Shenzhen" (a meridian).
SZ_EDGE_LON = 114.10
SZ_BOX = (113.90, 22.50, SZ_EDGE_LON, 22.70)
CENTRE = (114.118, 22.612)

_BASE = {"town": "fenggang", "geometry_source": "hand-made test geometry", "accuracy_m": 5.0}


def _frame(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([{**_BASE, **r} for r in rows], geometry="geometry", crs="EPSG:4326")


def shenzhen_frame() -> gpd.GeoDataFrame:
    """The test Shenzhen: a city box split into two districts at lon 114.00."""
    x0, y0, x1, y1 = SZ_BOX
    rows = [
        {
            "id": "sz-city",
            "name_zh": "深圳市",
            "name_en": "Shenzhen",
            "kind": "city",
            "adcode": "440300",
            "geometry": shapely.box(x0, y0, x1, y1),
        },
        {
            "id": "sz-district-440307",
            "name_zh": "龙岗区",
            "name_en": "Longgang District",
            "kind": "district",
            "adcode": "440307",
            "geometry": shapely.box(114.00, y0, x1, y1),
        },
        {
            "id": "sz-district-440303",
            "name_zh": "罗湖区",
            "name_en": "Luohu District",
            "kind": "district",
            "adcode": "440303",
            "geometry": shapely.box(x0, y0, 114.00, y1),
        },
    ]
    return _frame(rows)


def town_frames(probe_name: str = PROBE) -> dict[str, gpd.GeoDataFrame]:
    """Zones, parcels, places and lines of the test town."""
    e = SZ_EDGE_LON
    zones = _frame(
        [
            {
                "id": "fg-zone-a",
                "name_zh": "甲区",
                "name_en": "Zone A",
                "kind": "zone",
                "geometry": shapely.box(e + 0.005, 22.600, e + 0.015, 22.610),
            },
            {
                "id": "fg-zone-probe",
                "name_zh": probe_name,
                "name_en": probe_name,
                "kind": "zone",
                "notes": probe_name,
                "geometry": shapely.box(e + 0.020, 22.640, e + 0.030, 22.650),
            },
        ]
    )
    parcels = _frame(
        [
            {
                "id": "fg-parcel-straddle",
                "name_zh": "跨界地块",
                "name_en": "Straddling parcel",
                "kind": "parcel",
                "parent": "fg-zone-a",
                "geometry": shapely.box(e - 0.002, 22.650, e + 0.002, 22.652),
            },
            {
                "id": "fg-parcel-far",
                "name_zh": "远地块",
                "name_en": "Far parcel",
                "kind": "project",
                "geometry": shapely.box(e + 0.040, 22.660, e + 0.042, 22.662),
            },
        ]
    )
    places = _frame(
        [
            {
                "id": "fg-place-centre",
                "name_zh": "圈层中心",
                "name_en": "Ring centre",
                "kind": "ring_centre",
                "geometry": shapely.Point(*CENTRE),
            },
            {
                "id": "fg-place-probe",
                "name_zh": probe_name,
                "name_en": "Probe place",
                "kind": "landmark",
                "geometry": shapely.Point(e + 0.03, 22.63),
            },
        ]
    )
    lines = _frame(
        [
            {
                "id": "fg-line-road",
                "name_zh": "测试路",
                "name_en": "Test road",
                "kind": "road",
                "geometry": shapely.LineString([(e + 0.001, 22.62), (e + 0.05, 22.63), (e + 0.06, 22.66)]),
            },
        ]
    )
    return {"zones": zones, "parcels": parcels, "places": places, "lines": lines}


RINGS = {
    "ring_sets": [
        {
            "id": "test-centre",
            "name_zh": "测试圈层",
            "name_en": "Test rings",
            "town": "fenggang",
            "centre": "fg-place-centre",
            "source": "test",
            "quote": "0.5—1km甲圈、1—2km乙圈",
            "bands": [
                {
                    "id": "c-a",
                    "name_zh": "甲圈",
                    "name_en": "Ring A",
                    "inner_km": 0.5,
                    "outer_km": 1.0,
                    "colour": "#d7301f",
                    "figures": ["fg-fig-a-inner", "fg-fig-a-outer"],
                },
                {
                    "id": "c-b",
                    "name_zh": "乙圈",
                    "name_en": "Ring B",
                    "inner_km": 1.0,
                    "outer_km": 2.0,
                    "colour": "#fc8d59",
                    "figures": [],
                },
            ],
        },
        {
            "id": "test-border",
            "name_zh": "距深圳距离带",
            "name_en": "Border bands",
            "town": "fenggang",
            "boundary": "shenzhen",
            "side": "outside",
            "source": "test",
            "quote": "",
            "bands": [
                {
                    "id": "b-0-1",
                    "name_zh": "0—1公里",
                    "name_en": "0–1 km",
                    "inner_km": 0,
                    "outer_km": 1,
                    "colour": "#08519c",
                    "figures": [],
                },
                {
                    "id": "b-1-2",
                    "name_zh": "1—2公里",
                    "name_en": "1–2 km",
                    "inner_km": 1,
                    "outer_km": 2,
                    "colour": "#3182bd",
                    "figures": [],
                },
            ],
        },
    ]
}

FIGURES_CSV = """figure_id,town,subject,quantity,value,unit,qualifier,source,quote,part_of,notes
fg-fig-a-area,fenggang,fg-zone-a,area,1.1,km2,约,test,甲区面积约1.1平方公里,,
fg-fig-a-inner,fenggang,fg-place-centre,ring_inner_radius,0.5,km,,test,0.5—1km甲圈,,
fg-fig-a-outer,fenggang,fg-place-centre,ring_outer_radius,1,km,,test,0.5—1km甲圈,,
"""


def write_geodata(
    root: Path, probe_name: str = PROBE, rings: dict[str, object] | None = None, figures_csv: str = FIGURES_CSV
) -> Config:
    """Write the hand-made geodata under ``root`` and return a config for it."""
    town = root / "fenggang"
    town.mkdir(parents=True, exist_ok=True)
    (root / "dongcheng").mkdir(exist_ok=True)
    for name, frame in town_frames(probe_name).items():
        write_geojson(frame, town / f"{name}.geojson")
    write_geojson(shenzhen_frame(), root / "shenzhen" / "shenzhen.geojson")
    (root / "rings.json").write_text(
        json.dumps(RINGS if rings is None else rings, ensure_ascii=False), encoding="utf-8"
    )
    (root / "figures.csv").write_text(figures_csv, encoding="utf-8")
    (root / "towns.csv").write_text(
        "id,name_zh,name_en,aliases\nfenggang,凤岗镇,Fenggang Town,\ndongcheng,东城街道,Dongcheng Subdistrict,\n",
        encoding="utf-8",
    )
    return Config(geodata_dir=root)
