"""The status map of a parcel layer (issue 10 point 5): one page, drawn on one canvas, within the map budget.

A layer reconciled parcel by parcel (:func:`zonemap.parcels.reconcile_parcels`) is drawn as one
self-contained page: every parcel filled by its status (colours from
:data:`zonemap.schema.FIGURE_STATUSES`, via :data:`~zonemap.maps.STATUS_COLOURS`), a legend with the
count of each status, the layer's headline and method diagnosis, and on a click the parcel's id,
three areas, difference and method (built in the page from compact arrays with ``textContent``).

**Geometry.** All vertices of all rings, in one polyline-encoded string (the scheme of
:mod:`zonemap.maps._encoding`: lat, lon as zig-zag deltas, five bits per character) on a grid of
:data:`PARCEL_GRID_DEG` degrees (so each vertex is off by at most half of it: 0.14 m north-south,
0.13 m east-west at 23°N) and no closing vertex. The map zooms to :data:`PARCEL_MAX_ZOOM` at most,
where a Web Mercator pixel is 0.27 m at 23°N: no vertex is drawn more than half a pixel from where
it is. Rings are oriented (shells counter-clockwise, holes clockwise) so one non-zero fill draws
holes as holes and overlapping parcels as both filled.

**Values.** Areas are integers in units of :func:`area_resolution` (0.01 m², finer when the stated
areas are): the reference area as is, the other areas, the stated area and the difference as small
offsets from it; statuses and methods one character per parcel; ids as a prefix and numbers when
they are all ``<prefix><number>``, else a list. At 1e5 parcels of ~33 vertices the page is ~13 MB
with Leaflet inlined (``benchmarks/bench_maps.py --parcels``).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from ..io import write_text
from ..parcels import NO_DATA, PARCEL_STATUSES, ParcelResult
from ..schema import FIGURE_STATUSES, FigureStatus
from ._basemaps import tianditu_note
from ._elements import _base_map, _raw_class, _script_class
from ._encoding import script_json
from ._html import inline_assets, offline_assets
from ._layers import STATUS_COLOURS, STATUS_LABELS
from ._measure import add_measure_tool, measure_note
from ._parcels_encode import PARCEL_GRID_DEG, area_resolution, encode_parcel_geometry, encode_parcel_values

if TYPE_CHECKING:
    import folium

    from ..sandiao import Flat

__all__ = [
    "PARCEL_GRID_DEG",
    "PARCEL_MAX_ZOOM",
    "PARCEL_STATUS_COLOURS",
    "area_resolution",
    "build_parcel_map",
    "encode_parcel_geometry",
    "encode_parcel_values",
    "parcel_legend",
    "parcel_map_data",
    "precision_note",
    "render_parcel_map",
    "write_parcel_map",
]

log = logging.getLogger(__name__)


#: The deepest zoom of the page: a pixel is 0.27 m at 23°N, twice the largest rounding of a vertex.
PARCEL_MAX_ZOOM = 19

#: Fill colour per parcel status: the figure statuses' own colours; parcels without a stated area as
#: features without figures are on the other maps.
PARCEL_STATUS_COLOURS = {
    **{s: FIGURE_STATUSES[s].colour for s in PARCEL_STATUSES if s in FIGURE_STATUSES},
    NO_DATA: STATUS_COLOURS["none"],
}
_STATUS_TEXT = {**{s: FIGURE_STATUSES[s].label for s in PARCEL_STATUSES if s in FIGURE_STATUSES}}
_STATUS_TEXT[NO_DATA] = STATUS_LABELS["none"]

#: Drawn last is on top: the parcels that need a look over the ones that agree.
_DRAW_ORDER = (NO_DATA, str(FigureStatus.AGREES), str(FigureStatus.UNDETERMINED), str(FigureStatus.DISAGREES))


def _drawn(result: ParcelResult) -> NDArray[np.intp]:
    layer = result.layer
    has_ring = np.bincount(layer.flat.ring_geom, minlength=len(layer)) > 0
    return np.flatnonzero(~(layer.missing | layer.empty) & has_ring).astype(np.intp)


def _bounds(flat: Flat) -> list[float]:
    """West, south, east, north of every vertex (a window on Dongguan when there is none)."""
    if not flat.lon.size:
        return [113.70, 22.97, 113.80, 23.07]
    return [float(flat.lon.min()), float(flat.lat.min()), float(flat.lon.max()), float(flat.lat.max())]


def _statuses(result: ParcelResult) -> list[dict[str, Any]]:
    return [
        {"word": s, "label": _STATUS_TEXT[s], "colour": PARCEL_STATUS_COLOURS[s], "n": int(result.counts.get(s, 0))}
        for s in PARCEL_STATUSES
    ]


def precision_note(res: float) -> str:
    """What the page's coordinates and numbers are rounded to (legend line)."""
    return (
        f"坐标取整 {PARCEL_GRID_DEG:.7f}°: vertices within {PARCEL_GRID_DEG / 2 * 110_900:.2f} m of the layer's "
        f"(half a pixel at zoom {PARCEL_MAX_ZOOM}, the deepest this map goes); areas to {res:g} m². "
        "The exact values: zonemap reconcile --format csv,gpkg"
    )


def parcel_map_data(result: ParcelResult) -> dict[str, Any]:
    """Everything the page draws and shows, JSON-ready (see the module notes for the encoding).

    Parameters
    ----------
    result
        From :func:`zonemap.parcels.reconcile_parcels`.

    Returns
    -------
    dict
        ``geom`` (:func:`encode_parcel_geometry`), ``values`` (:func:`encode_parcel_values`),
        ``statuses`` (word, label, colour, count; in :data:`zonemap.parcels.PARCEL_STATUSES` order,
        the codes of ``values["status"]``), ``draw`` (status codes, drawn in that order),
        ``headline``, ``diagnosis``, ``area_field`` and ``precision``.
    """
    drawn = _drawn(result)
    res = area_resolution(result.table["precision_m2"].to_numpy(dtype=float))
    return {
        "bounds": _bounds(result.layer.flat),
        "geom": encode_parcel_geometry(result.layer.flat, drawn),
        "values": encode_parcel_values(result, drawn, res),
        "statuses": _statuses(result),
        "draw": [PARCEL_STATUSES.index(s) for s in _DRAW_ORDER],
        "headline": result.headline,
        "diagnosis": result.diagnosis,
        "area_field": result.layer.area_field,
        "precision": precision_note(res),
    }


def parcel_legend(result: ParcelResult, notes: list[str], precision: str, title: str = "") -> list[dict[str, Any]]:
    """Legend sections in the form the shared page script draws (:func:`zonemap.maps._layers.legend`)."""
    statuses = _statuses(result)
    always = (str(FigureStatus.AGREES), str(FigureStatus.DISAGREES))  # as the headline: these even at 0
    items = [
        {"label": f"{s['label']}: {s['n']:,}", "colour": s["colour"], "shape": "fill"}
        for s in statuses
        if s["word"] != str(FigureStatus.NO_GEOMETRY) and (s["n"] or s["word"] in always)
    ]
    missing = next(s for s in statuses if s["word"] == str(FigureStatus.NO_GEOMETRY))
    if missing["n"]:
        items.append({"label": f"{missing['label']}: {missing['n']:,} (not drawn)", "colour": "#fff", "shape": "note"})
    layer_notes = [result.headline, result.diagnosis]
    if len(result.field_checks):
        layer_notes.append(f"三调 field checks: {len(result.field_checks):,} failing (see the summary report)")
    sections = [
        {"title": f"{title + ': ' if title else ''}面积对账 {result.layer.area_field} vs measured", "items": items},
        {"title": "图层 Layer", "items": [{"label": n, "colour": "#fff", "shape": "note"} for n in layer_notes]},
        {"title": "精度 Precision", "items": [{"label": precision, "colour": "#fff", "shape": "note"}]},
    ]
    if notes:
        sections.append(
            {
                "title": "底图与工具 Base maps and tools",
                "items": [{"label": n, "colour": "#fff", "shape": "note"} for n in notes],
            }
        )
    return sections


def _parcel_layer_class() -> type:
    from folium.map import Layer
    from folium.template import Template

    class ParcelLayer(Layer):
        """The parcels, drawn by the page script on one canvas."""

        _template = Template(
            "{% macro script(this, kwargs) %}"
            "var {{ this.get_name() }} = zonemapParcels.layer({{ this._parent.get_name() }});"
            "{% endmacro %}"
        )

        def __init__(self, name: str) -> None:
            super().__init__(name=name, overlay=True, control=True, show=True)
            self._name = "ParcelLayer"

    return ParcelLayer


def build_parcel_map(result: ParcelResult, *, title: str, tianditu_key: str | None = None) -> folium.Map:
    """The folium map of a reconciled parcel layer (see :func:`render_parcel_map`)."""
    from branca.element import Figure
    from folium.map import LayerControl

    from ._pagejs import CSS, JS, READY_JS
    from ._parcelsjs import PARCEL_CSS, PARCEL_JS

    data = parcel_map_data(result)
    notes = [n for n in (tianditu_note(tianditu_key), measure_note()) if n]
    shared = {
        "town": {"id": title, "name_zh": title, "name_en": ""},
        "layers": {},
        "legend": parcel_legend(result, notes, data["precision"], title),
    }
    m = _base_map(data["bounds"], tianditu_key=tianditu_key)
    m.options["max_zoom"] = PARCEL_MAX_ZOOM
    add_measure_tool(m)
    root = cast(Figure, m.get_root())
    raw_cls, script_cls = _raw_class(), _script_class()
    root.header.add_child(raw_cls(f"<style>{CSS}{PARCEL_CSS}</style>"), name="zonemap_css")
    root.html.add_child(
        raw_cls(
            f'<script type="application/json" id="zonemap-data">{script_json(shared)}</script>'
            f'<script type="application/json" id="zonemap-parcels">{script_json(data)}</script>'
            f"<script>{JS}</script><script>{PARCEL_JS}</script>"
        ),
        name="zonemap_data",
    )
    n = data["values"]["n"]
    _parcel_layer_class()(f"地块 Parcels ({n:,})").add_to(m)
    LayerControl(collapsed=False, position="topright").add_to(m)
    script_cls(f"zonemap.legend({m.get_name()});zonemapParcels.ready();{READY_JS}").add_to(m)
    root.title = html.escape(f"{title} 地块对账 parcel reconciliation — zonemap")
    return m


def render_parcel_map(
    result: ParcelResult, *, offline: bool = True, tianditu_key: str | None = None, title: str | None = None
) -> str:
    """The status map of a reconciled parcel layer as one HTML page.

    Parameters
    ----------
    result
        From :func:`zonemap.parcels.reconcile_parcels`.
    offline
        Inline Leaflet and the plugins (no network needed but for base tiles); else link their CDNs.
    tianditu_key
        The 天地图 key its base maps need.
    title
        The page's name (default: the layer file's stem).

    Returns
    -------
    str
        The page.
    """
    from branca.element import Figure

    m = build_parcel_map(result, title=title or result.layer.path.stem, tianditu_key=tianditu_key)
    page = cast(Figure, m.get_root()).render()
    return inline_assets(page, offline_assets()) if offline else page


def write_parcel_map(
    result: ParcelResult,
    path: Path | str,
    *,
    offline: bool = True,
    tianditu_key: str | None = None,
    title: str | None = None,
) -> Path:
    """Write :func:`render_parcel_map`'s page to ``path`` (atomically); returns the path."""
    page = render_parcel_map(result, offline=offline, tianditu_key=tianditu_key, title=title)
    out = write_text(Path(path), page)
    log.info("%s: %d parcels, %.1f MB", out, len(result.table), out.stat().st_size / 1e6)
    return out
