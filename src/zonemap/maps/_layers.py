"""Layer payloads, styles and legend of the zonemap pages (private to :mod:`zonemap.maps`).

A payload is a plain dict the page script turns into Leaflet layers: encoded geometry,
column-wise properties, the fields shown in tooltips/popups, and how to colour features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..schema import FIGURE_STATUSES
from ._encoding import encode_geometries, encode_label_anchors, encode_properties

__all__ = [
    "KIND_COLOURS",
    "LABELLED",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "LayerSpec",
    "legend",
    "payload",
    "polygon_fields",
]

#: Fill colours by feature kind (zones, parcels, places, lines).
KIND_COLOURS = {
    "zone": "#6a51a3",
    "parcel": "#2b8cbe",
    "park": "#41ab5d",
    "project": "#fe9929",
    "platform": "#2b8cbe",
    "station": "#e7298a",
    "ring_centre": "#d7301f",
    "business_district": "#8c6bb1",
    "institution": "#1b9e77",
    "landmark": "#666666",
    "rail": "#e7298a",
    "metro": "#7570b3",
    "road": "#b15928",
    "expressway": "#e6550d",
    "axis": "#636363",
    "city": "#cb181d",
    "district": "#fb6a4a",
    "outline": "#252525",
}
#: Outline colours by reconciliation status of a feature's stated figures.
#: (from :data:`zonemap.schema.FIGURE_STATUSES`: the statuses comparing a polygon's own area, and "none")
STATUS_COLOURS = {**{w: s.colour for w, s in FIGURE_STATUSES.items() if s.rank > 0}, "none": "#4d4d4d"}
STATUS_LABELS = {**{w: s.label for w, s in FIGURE_STATUSES.items()}, "none": "无数字 no stated figure"}

KIND_LABELS = {
    "zone": "产业区 zone",
    "parcel": "地块 parcel",
    "park": "公园 park",
    "project": "项目 project",
    "platform": "平台 platform",
    "station": "站点 station",
    "ring_centre": "圈层中心 ring centre",
    "business_district": "商圈 business district",
    "institution": "机构 institution",
    "landmark": "地标 landmark",
    "rail": "铁路 rail",
    "metro": "地铁 metro",
    "road": "道路 road",
    "expressway": "高速 expressway",
    "axis": "轴线 axis",
}

#: Layers whose features are named on the map, in placement priority (a zone's name wins a collision).
LABELLED = ("zones", "parcels", "places")

_COMMON_FIELDS = [
    ("kind", "类型 Kind", "text", False),
    ("id", "编号 ID", "text", True),
    ("parent", "所属 Part of", "text", True),
    ("status", "状态 Status", "text", True),
]
_TAIL_FIELDS = [
    ("accuracy_m", "几何精度 Geometry accuracy", "pm", False),
    ("geometry_source", "几何来源 Geometry source", "text", True),
    ("notes", "备注 Notes", "text", True),
]


@dataclass
class LayerSpec:
    """One toggleable map layer: its features and how to show them."""

    key: str
    label: str
    frame: gpd.GeoDataFrame
    fields: Sequence[tuple[str, str, str, bool]]
    style: Mapping[str, Any]
    fill: Mapping[str, Any] | None = None
    stroke: Mapping[str, Any] | None = None
    show: bool = True
    interactive: bool = True
    extra_columns: Sequence[str] = field(default_factory=tuple)


def polygon_fields(bands: pd.DataFrame | None = None, proximity: bool = False) -> list[tuple[str, str, str, bool]]:
    """Tooltip/popup fields of zones and parcels.

    Parameters
    ----------
    bands
        Ring bands (columns ``band``, ``name_zh``, ``name_en``) whose share is shown.
    proximity
        Whether Shenzhen distance and nearest district columns are present.

    Returns
    -------
    list of tuple
        ``(column, label, format, popup_only)``.
    """
    fields = [*_COMMON_FIELDS, ("area_m2", "测算面积 Measured area", "area", False)]
    if proximity:
        fields += [
            ("sz_distance_m", "距深圳边界 To Shenzhen boundary", "m", False),
            ("sz_side", "相对深圳 Side of Shenzhen", "text", True),
            ("sz_district", "最近深圳区 Nearest Shenzhen district", "text", True),
        ]
    if bands is not None:
        fields += [
            (f"share_{b}", f"{zh} {en} 占比 share", "pct", True)
            for b, zh, en in zip(bands["band"], bands["name_zh"], bands["name_en"], strict=True)
        ]
    return fields + _TAIL_FIELDS


def payload(spec: LayerSpec, decimals: int, bulk_threshold: int = 5000) -> dict[str, Any]:
    """The JSON-ready payload of a layer.

    Parameters
    ----------
    spec
        The layer.
    decimals
        Decimal places of degrees kept.
    bulk_threshold
        Polygon layers with more features are drawn as one canvas path per style (the
        page finds the feature under the pointer itself) instead of a Leaflet layer each.

    Returns
    -------
    dict
        ``geom``, ``props``, ``fields``, ``style``, ``fill``, ``stroke``, ``interactive``, ``bulk``,
        ``label`` (``None``, or the priority ``rank`` of the layer's names and, for polygons, the
        anchors ``at`` and ``room`` of :func:`~zonemap.maps._encoding.encode_label_anchors`).
    """
    frame = spec.frame
    style_cols = [c.get("col") or c.get("by") for c in (spec.fill, spec.stroke) if c]
    wanted = ["name_zh", "name_en", "figures", *(f[0] for f in spec.fields), *style_cols, *spec.extra_columns]
    cols = [c for c in dict.fromkeys(wanted) if c in frame.columns]
    props = pd.DataFrame(frame[cols]).copy()
    for col in props.columns:
        if col == "area_m2" or col.endswith("_distance_m"):
            props[col] = props[col].astype(float).round(0)
        elif col.startswith("share_"):
            props[col] = props[col].astype(float).round(4)
    present = set(cols)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    geom = encode_geometries(geoms, decimals)
    return {
        "label": _label(spec, geoms, geom["type"], decimals),
        "geom": geom,
        "bulk": geom["type"] == "polygon" and len(frame) > bulk_threshold,
        "props": encode_properties(props),
        "fields": [list(f) for f in spec.fields if f[0] in present],
        "style": dict(spec.style),
        "fill": dict(spec.fill) if spec.fill else None,
        "stroke": dict(spec.stroke) if spec.stroke else None,
        "interactive": spec.interactive,
    }


def _label(spec: LayerSpec, geoms: np.ndarray, kind: str, decimals: int) -> dict[str, Any] | None:
    """How the page names a layer's features: priority rank, and anchors for polygons (points use themselves)."""
    if spec.key not in LABELLED or not len(geoms) or "name_zh" not in spec.frame.columns or kind == "line":
        return None
    label: dict[str, Any] = {"rank": LABELLED.index(spec.key)}
    if kind == "polygon":
        label.update(encode_label_anchors(geoms, decimals))
    return label


def _kind_items(specs: Sequence[LayerSpec]) -> list[dict[str, str]]:
    kinds: dict[str, str] = {}
    for spec in specs:
        by_status = (spec.fill or {}).get("by") == "figure_status"  # its fill is in the status section
        if spec.key in ("zones", "parcels", "places", "lines") and "kind" in spec.frame.columns and not by_status:
            for kind in spec.frame["kind"].dropna().unique():
                kinds.setdefault(str(kind), "line" if spec.key == "lines" else "fill")
    return [
        {"label": KIND_LABELS.get(k, k), "colour": KIND_COLOURS.get(k, "#777777"), "shape": s} for k, s in kinds.items()
    ]


def legend(specs: Sequence[LayerSpec], rings: pd.DataFrame | None, notes: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Legend sections: feature kinds, reconciliation status, each ring set, Shenzhen.

    Parameters
    ----------
    specs
        The map's layers.
    rings
        Band table (``ring_set``, ``ring_set_name_zh``/``_en``, ``name_zh``, ``name_en``,
        ``colour``), or ``None``.
    notes
        Lines on what the page lacks and how to add it, shown last without a swatch.

    Returns
    -------
    list of dict
        ``{"title": ..., "items": [{"label", "colour", "shape"}]}``; labels are plain text.
    """
    filled = any((spec.fill or {}).get("by") == "figure_status" for spec in specs)
    shape = "fill" if filled else "line"
    sections = [
        {"title": "类型 Kind", "items": _kind_items(specs)},
        {
            "title": f"面积对账 Stated area vs measured ({'parcels filled, zones outlined' if filled else 'outline'})",
            "items": [{"label": STATUS_LABELS[s], "colour": c, "shape": shape} for s, c in STATUS_COLOURS.items()],
        },
    ]
    sections = [sec for sec in sections if sec["items"]]
    if rings is not None and len(rings):
        for _set_id, group in rings.groupby("ring_set", sort=False):
            first = group.iloc[0]
            sections.append(
                {
                    "title": f"{first['ring_set_name_zh']} {first['ring_set_name_en']}",
                    "items": [
                        {"label": f"{zh} {en}", "colour": c, "shape": "fill"}
                        for zh, en, c in zip(group["name_zh"], group["name_en"], group["colour"], strict=True)
                    ],
                }
            )
    if any(s.key == "shenzhen" for s in specs):
        sections.append(
            {
                "title": "深圳 Shenzhen",
                "items": [
                    {"label": "深圳市界 city boundary", "colour": KIND_COLOURS["city"], "shape": "line"},
                    {"label": "深圳各区 districts", "colour": KIND_COLOURS["district"], "shape": "line"},
                ],
            }
        )
    if notes:
        items = [{"label": n, "colour": "#ffffff", "shape": "note"} for n in notes]
        sections.append({"title": "底图与工具 Base maps and tools", "items": items})
    return sections
