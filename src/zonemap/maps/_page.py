"""Leaflet (folium) maps of a town: zones, parcels, rings, Shenzhen proximity, figures.

Each page holds its layers as one compact JSON document (polyline-encoded coordinates at
``10**-decimals`` degrees, column-wise properties) and a small script that draws them on
Leaflet's canvas renderer. Tooltips, popups and the legend are built with ``textContent``
only, so no text from the data is ever parsed as HTML; layer names shown by Leaflet's
layer control are HTML-escaped. ``offline=True`` inlines Leaflet and the plugin assets from
the installed ``folium-offline`` package, giving one self-contained file (base tiles aside).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import Config
from ..crs import DONGGUAN_CENTRE
from ..io import write_text
from ..project import Project
from ..rings import accuracy_circles
from ..schema import DRAW_ORDER, LAYERS
from ..towns import TownRegistry
from ._basemaps import tianditu_note
from ._collect import MapLayers, collect_layers
from ._elements import _base_map, _layer_class, _raw_class, _script_class
from ._encoding import DEFAULT_DECIMALS, script_json
from ._html import index_page, inline_assets, offline_assets
from ._layers import KIND_COLOURS, STATUS_COLOURS, LayerSpec, legend, payload, polygon_fields
from ._measure import add_measure_tool, measure_note

if TYPE_CHECKING:
    import folium

__all__ = [
    "build_map",
    "render_map",
    "write_index",
    "write_map",
]

log = logging.getLogger(__name__)


def _polygon_style(fill_opacity: float, weight: float) -> dict[str, Any]:
    return {"weight": weight, "opacity": 0.9, "fillOpacity": fill_opacity, "smoothFactor": 1.0}


def _feature_specs(layers: MapLayers) -> list[LayerSpec]:
    """One toggleable layer per schema layer, in draw order; the accuracy circles sit under the points."""
    polygonal = [name for name in DRAW_ORDER if LAYERS[name].polygonal]
    proximity = any("sz_distance_m" in layers.layer(name).columns for name in polygonal)
    fields = polygon_fields(layers.rings, proximity)
    kind_fill = {"by": "kind", "map": KIND_COLOURS, "default": "#777777"}
    status_stroke = {"by": "figure_status", "map": STATUS_COLOURS, "default": STATUS_COLOURS["none"]}
    point_fields = [
        ("kind", "类型 Kind", "text", False),
        ("id", "编号 ID", "text", True),
        ("accuracy_m", "几何精度 Geometry accuracy", "pm", False),
        ("geometry_source", "几何来源 Geometry source", "text", True),
        ("notes", "备注 Notes", "text", True),
    ]
    kind_stroke = {"by": "kind", "map": KIND_COLOURS, "default": "#555555"}
    specs = []
    for name in DRAW_ORDER:
        layer, frame = LAYERS[name], layers.layer(name)
        if layer.family == "polygon":
            # a layer whose features carry stated figures is filled by status: the reconciliation at a glance
            fill = status_stroke if layer.status_fill and _has_status(frame) else kind_fill
            style = _polygon_style(layer.fill_opacity, layer.weight)
            specs.append(LayerSpec(name, layer.label, frame, fields, style, fill, status_stroke))
        elif layer.family == "line":
            style = {"weight": layer.weight, "opacity": 0.9}
            specs.append(LayerSpec(name, layer.label, frame, point_fields, style, stroke=kind_stroke))
        else:
            specs.append(
                LayerSpec(
                    f"{name}_accuracy" if name != "places" else "accuracy",
                    "位置精度 Position accuracy (circle of accuracy_m)",
                    _accuracy_frame(frame),
                    point_fields,
                    {"weight": 1.5, "fill": False, "dashArray": "4 4"},
                    show=False,
                    interactive=False,
                    stroke=kind_stroke,
                )
            )
            style = {"radius": 6, "weight": layer.weight, "color": "#ffffff", "fillOpacity": layer.fill_opacity}
            specs.append(LayerSpec(name, layer.label, frame, point_fields, style, kind_fill))
    return specs


def _has_status(frame: gpd.GeoDataFrame) -> bool:
    return "figure_status" in frame.columns and bool((frame["figure_status"] != "none").any())


def _accuracy_frame(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each place's circle of positional uncertainty (radius ``accuracy_m``, true metres)."""
    if places.empty:
        return places
    circles = accuracy_circles(places.geometry.to_numpy(), places["accuracy_m"].to_numpy(dtype=float))
    return places.set_geometry(gpd.GeoSeries(circles, index=places.index, crs="EPSG:4326"))


def _ring_specs(layers: MapLayers) -> list[LayerSpec]:
    rings = layers.rings
    if rings is None or not len(rings):
        return []
    frame = rings.assign(
        kind="ring band", range=[f"{a:g}–{b:g} km" for a, b in zip(rings["inner_km"], rings["outer_km"], strict=True)]
    )
    fields = [
        ("range", "范围 Range", "text", False),
        ("ring_set_name_zh", "圈层 Ring set", "text", False),
        ("ring_set_name_en", "Ring set", "text", True),
        ("quote", "原文 Source text", "text", True),
        ("source", "来源 Source", "text", True),
    ]
    return [
        LayerSpec(
            f"ring-{set_id}",
            f"{group['ring_set_name_zh'].iloc[0]} {group['ring_set_name_en'].iloc[0]}",
            group,
            fields,
            {"weight": 1, "opacity": 0.8, "fillOpacity": 0.22},
            {"col": "colour", "default": "#999999"},
            {"col": "colour", "default": "#999999"},
        )
        for set_id, group in frame.groupby("ring_set", sort=False)
    ]


def _context_specs(layers: MapLayers) -> list[LayerSpec]:
    specs = []
    name_fields = [
        ("kind", "类型 Kind", "text", False),
        ("geometry_source", "几何来源 Geometry source", "text", True),
        ("accuracy_m", "几何精度 Geometry accuracy", "pm", True),
    ]
    sz = layers.shenzhen
    if sz is not None and len(sz):
        city, districts = sz[sz["kind"] == "city"], sz[sz["kind"] == "district"]
        specs.append(
            LayerSpec(
                "shenzhen",
                "深圳市界 Shenzhen boundary",
                city,
                name_fields,
                {"weight": 3, "color": KIND_COLOURS["city"], "fill": False, "dashArray": "8 4"},
                interactive=False,
            )
        )
        specs.append(
            LayerSpec(
                "districts",
                "深圳各区 Shenzhen districts",
                districts,
                name_fields,
                {
                    "weight": 1,
                    "color": KIND_COLOURS["district"],
                    "fillOpacity": 0.04,
                    "fillColor": KIND_COLOURS["district"],
                },
                show=False,
            )
        )
    if layers.outline is not None and len(layers.outline):
        specs.append(
            LayerSpec(
                "outline",
                "镇街界 Town outline",
                layers.outline,
                [],
                {"weight": 2.5, "color": KIND_COLOURS["outline"], "fill": False, "dashArray": "6 3"},
                interactive=False,
            )
        )
    return specs


def _notes(tianditu_key: str | None) -> list[str]:
    """Legend lines on what the page lacks and how to add it (天地图 key, measure tool)."""
    return [n for n in (tianditu_note(tianditu_key), measure_note()) if n]


def _bounds(layers: MapLayers) -> list[float]:
    if layers.outline is not None and len(layers.outline):
        frames = [layers.outline]
    else:
        frames = [f for f in layers.frames.values() if len(f)]
    if not frames:  # nothing to show: a window on Dongguan
        lon, lat = DONGGUAN_CENTRE
        return [lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05]
    geoms = np.concatenate([np.asarray(f.geometry.values, dtype=object) for f in frames])
    return [float(v) for v in shapely.total_bounds(geoms)]


def build_map(
    layers: MapLayers,
    *,
    decimals: int = DEFAULT_DECIMALS,
    bulk_threshold: int = 5000,
    tianditu_key: str | None = None,
) -> folium.Map:
    """Build a town map as a folium ``Map`` that more layers can be added to.

    A notebook can add its own layer as ``GeoDataFrame.explore(m=...)`` allows, then
    render the page with :func:`render_map`.

    Parameters
    ----------
    layers
        What to draw.
    decimals
        Decimal places of degrees kept for coordinates (6 is ~0.1 m).
    bulk_threshold
        Polygon layers with more features than this are drawn as one canvas path per style.
    tianditu_key
        The 天地图 key its base maps need (without one they are absent and the legend says how to add them).

    Returns
    -------
    folium.Map
        The map with zonemap's data, script, layer control and legend.
    """
    from branca.element import Figure
    from folium.map import LayerControl

    from ._pagejs import CSS, JS, READY_JS

    specs = _ring_specs(layers) + _context_specs(layers) + _feature_specs(layers)
    specs = [s for s in specs if len(s.frame)]
    name_zh, name_en = layers.town_name_zh or layers.town, layers.town_name_en
    data = {
        "town": {"id": layers.town, "name_zh": name_zh, "name_en": name_en},
        "layers": {s.key: payload(s, decimals, bulk_threshold) for s in specs},
        "legend": legend(specs, layers.rings, notes=_notes(tianditu_key)),
    }
    m = _base_map(_bounds(layers), tianditu_key=tianditu_key)
    add_measure_tool(m)
    root = cast(Figure, m.get_root())

    raw_cls = _raw_class()
    root.header.add_child(raw_cls(f"<style>{CSS}</style>"), name="zonemap_css")
    root.html.add_child(
        raw_cls(f'<script type="application/json" id="zonemap-data">{script_json(data)}</script><script>{JS}</script>'),
        name="zonemap_data",
    )
    layer_cls, script_cls = _layer_class(), _script_class()
    for s in specs:
        layer_cls(s.key, html.escape(s.label), s.show).add_to(m)
    LayerControl(collapsed=False, position="topright").add_to(m)
    script_cls(f"zonemap.legend({m.get_name()});{READY_JS}").add_to(m)  # after every layer
    root.title = " ".join(p for p in (name_zh, name_en, "— zonemap") if p)
    return m


def render_map(
    layers: MapLayers | folium.Map,
    *,
    offline: bool = False,
    decimals: int = DEFAULT_DECIMALS,
    bulk_threshold: int = 5000,
    tianditu_key: str | None = None,
) -> str:
    """Render a town map as one HTML page.

    Parameters
    ----------
    layers
        What to draw, or a map from :func:`build_map` (with any layers a notebook added).
    offline
        Inline Leaflet and plugin assets (from ``folium-offline``) instead of linking CDNs.
    decimals
        Decimal places of degrees kept for coordinates (6 is ~0.1 m); ignored for a built map.
    bulk_threshold
        Polygon layers with more features than this are drawn as one canvas path per style;
        ignored for a built map.
    tianditu_key
        See :func:`build_map`; ignored for a built map.

    Returns
    -------
    str
        The HTML page.
    """
    from branca.element import Figure

    m = (
        build_map(layers, decimals=decimals, bulk_threshold=bulk_threshold, tianditu_key=tianditu_key)
        if isinstance(layers, MapLayers)
        else layers
    )
    page = cast(Figure, m.get_root()).render()
    return inline_assets(page, offline_assets()) if offline else page


def write_map(
    source: Config | Project,
    town: str,
    out_dir: Path | str,
    *,
    offline: bool = True,
    reconciliation: pd.DataFrame | None = None,
    name: str | None = None,
) -> Path:
    """Write ``<out_dir>/<town>.html``, atomically.

    Parameters
    ----------
    source
        The loaded project (or a config to load it from).
    town
        Town id.
    out_dir
        Output directory.
    offline
        Inline Leaflet and plugins (see :func:`render_map`): the page works with no network.
    reconciliation
        The reconciliation table, for figure cards and status colours.
    name
        File stem (default: the town id).

    Returns
    -------
    Path
        The written page.
    """
    key = source.tianditu_key if isinstance(source, Config) else source.config.tianditu_key
    page = render_map(collect_layers(source, town, reconciliation), offline=offline, tianditu_key=key)
    return write_text(Path(out_dir) / f"{name or town}.html", page)


def write_index(
    out_dir: Path | str, maps: Sequence[Path], reports: Sequence[Path] = (), towns: TownRegistry | None = None
) -> Path:
    """Write ``<out_dir>/index.html`` linking the maps and reconciliation reports.

    Parameters
    ----------
    out_dir
        Output directory.
    maps, reports
        Files to link (labelled by town name for maps, by file name for reports).
    towns
        Names for the map labels (a map named after a town id shows the town's name).

    Returns
    -------
    Path
        The written index.
    """
    base = Path(out_dir)
    labels = {t.id: f"{t.name_zh} {t.name_en}" for t in (towns or ())}
    map_entries = [(labels.get(Path(p).stem, Path(p).stem), Path(p)) for p in maps]
    report_entries = [(Path(p).name, Path(p)) for p in reports]
    return write_text(base / "index.html", index_page("zonemap", map_entries, report_entries, base))
