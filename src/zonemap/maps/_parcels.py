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
import pandas as pd
from numpy.typing import NDArray

from ..io import write_text
from ..methods import AREA_METHODS
from ..parcels import NO_DATA, PARCEL_STATUSES, ParcelResult
from ..schema import FIGURE_STATUSES, FigureStatus
from ._basemaps import tianditu_note
from ._elements import _base_map, _raw_class, _script_class
from ._encoding import polyline_encode, script_json
from ._html import inline_assets, offline_assets
from ._layers import STATUS_COLOURS, STATUS_LABELS
from ._measure import add_measure_tool, measure_note

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

#: Grid the vertices are rounded to (degrees): each is drawn within half of it (0.14 m) of its place.
PARCEL_GRID_DEG = 2.5e-6

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

#: Characters of one-per-parcel codes: 35.. ('#'...), as :mod:`zonemap.maps._encoding` writes them.
_CODE_BASE = 35
_MAX_CHAR_CODES = 57

_AREA_COLUMNS = ("area_m2", "area_sandiao_m2", "area_gk_m2")


def area_resolution(precision_m2: NDArray[np.float64]) -> float:
    """The unit areas are written in: 0.01 m², or the finer power of ten the stated areas were rounded to."""
    finite = precision_m2[np.isfinite(precision_m2) & (precision_m2 > 0)]
    if not finite.size:
        return 0.01
    unit = 2.0 * float(finite.min())  # precision is half a unit of the last digit
    return float(min(0.01, 10.0 ** np.floor(np.log10(unit) + 1e-9)))


def _ring_bounds(flat: Flat) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """First vertex and distinct vertex count (closing vertex dropped) of every ring."""
    ends = np.append(flat.starts[1:], flat.lon.size)
    return flat.starts.astype(np.intp), np.maximum(ends - flat.starts - 1, 0).astype(np.intp)


def _reversed(flat: Flat, starts: NDArray[np.intp], counts: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Rings to reverse so that shells run counter-clockwise and holes clockwise (lon east, lat north)."""
    ring = np.repeat(np.arange(starts.size), counts)
    first = starts[ring]
    k = np.arange(ring.size) - (np.cumsum(counts) - counts)[ring]
    here = first + k
    nxt = np.where(k + 1 == counts[ring], first, here + 1)
    x0, y0 = flat.lon[first], flat.lat[first]
    x, y = flat.lon[here] - x0, flat.lat[here] - y0
    xn, yn = flat.lon[nxt] - x0, flat.lat[nxt] - y0
    signed = np.bincount(ring, weights=x * yn - xn * y, minlength=starts.size)
    return np.asarray(np.where(flat.is_hole, signed > 0, signed < 0), dtype=bool)


def _vertex_order(flat: Flat, rings: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices into ``flat`` of the drawn vertices of ``rings`` in order (each oriented), and their counts."""
    starts, counts = _ring_bounds(flat)
    flip = _reversed(flat, starts, counts)[rings]
    s, c = starts[rings], counts[rings]
    ring = np.repeat(np.arange(rings.size), c)
    k = np.arange(ring.size) - (np.cumsum(c) - c)[ring]
    return np.where(flip[ring], s[ring] + c[ring] - 1 - k, s[ring] + k), c


def _deltas(values: NDArray[np.int64]) -> str:
    """A sequence of integers as polyline-encoded differences (small for slowly varying values)."""
    v = np.asarray(values, dtype=np.int64)
    return polyline_encode(np.diff(v, prepend=np.int64(0)))


def encode_parcel_geometry(flat: Flat, drawn: NDArray[np.intp]) -> dict[str, Any]:
    """The rings of the ``drawn`` parcels (indices into the layer, ascending) as polyline strings.

    Returns
    -------
    dict
        ``scale`` (1 / :data:`PARCEL_GRID_DEG`), ``coords`` (lat, lon of every drawn vertex, deltas),
        ``nv`` (vertices per ring, deltas) and ``rings`` (rings per parcel; ``None`` when all one).
    """
    order = np.argsort(flat.ring_geom, kind="stable")
    rings = order[np.isin(flat.ring_geom[order], drawn)]
    idx, counts = _vertex_order(flat, rings)
    scale = round(1.0 / PARCEL_GRID_DEG)
    ints = np.round(np.column_stack([flat.lat[idx], flat.lon[idx]]) * scale).astype(np.int64)
    steps = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()  # lat, lon: each from its last
    per_parcel = np.bincount(np.searchsorted(drawn, flat.ring_geom[rings]), minlength=drawn.size)
    return {
        "scale": scale,
        "coords": polyline_encode(steps),
        "nv": _deltas(counts),
        "rings": None if bool((per_parcel == 1).all()) else polyline_encode(per_parcel),
    }


def _compact_ids(ids: NDArray[np.object_]) -> dict[str, Any]:
    """``{"prefix", "width", "num"}`` when every id is one prefix and a (zero-padded) number; else ``{"list"}``."""
    text = [str(v) for v in ids]
    if not text:
        return {"list": []}
    first, last = min(text), max(text)  # the common prefix of all is that of the first and last in order
    same = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    prefix = first[:same]
    tails = [t[len(prefix) :] for t in text]
    if all(t.isascii() and t.isdigit() for t in tails) and max(map(len, tails)) <= 15:
        nums = np.array([int(t) for t in tails], dtype=np.int64)
        width = len(tails[0]) if len(set(map(len, tails))) == 1 else 0
        if all(str(n).zfill(width) == t for n, t in zip(nums.tolist(), tails, strict=True)):
            return {"prefix": prefix, "width": width, "num": _deltas(nums)}
    return {"list": text}


def _codes(values: NDArray[np.int64]) -> Any:
    """Small non-negative codes, one character each (``ord(ch) - 35``) when they fit, else polyline-encoded."""
    if values.size and int(values.max()) >= _MAX_CHAR_CODES:
        return {"c": polyline_encode(values)}
    return (values.astype(np.int64) + _CODE_BASE).astype(np.uint8).tobytes().decode("ascii")


def _offsets(values: NDArray[np.float64], base: NDArray[np.int64], res: float) -> dict[str, Any]:
    """``round(values / res) - base`` (polyline) and the positions of missing values (deltas; 0 written there)."""
    missing = ~np.isfinite(values)
    q = np.where(missing, 0, np.round(np.where(missing, 0.0, values) / res).astype(np.int64) - base)
    return {"q": polyline_encode(q), "nan": _deltas(np.flatnonzero(missing))}


def encode_parcel_values(result: ParcelResult, drawn: NDArray[np.intp], res: float) -> dict[str, Any]:
    """Ids, statuses, methods, areas, stated areas and differences of the ``drawn`` parcels, compactly.

    Areas are integers in units of ``res``: ``ref`` (the reference method's area, that ``diff_m2`` is
    taken against) as is; every other area, the stated area and ``ref − stated`` as offsets from it,
    and the difference as its offset from ``ref − stated`` (so each is the table's value rounded to
    ``res``, not a sum of rounded values).
    """
    t = result.table.iloc[drawn]
    ref_col = AREA_METHODS[result.reference][0]
    ref_area = t[ref_col].to_numpy(dtype=float)
    a = np.round(np.nan_to_num(ref_area) / res).astype(np.int64)
    stated = t["stated_m2"].to_numpy(dtype=float)
    s_q = np.where(np.isfinite(stated), np.round(np.nan_to_num(stated) / res).astype(np.int64), a)
    methods, method_codes = np.unique(t["method"].astype(str).to_numpy(), return_inverse=True)
    return {
        "n": int(drawn.size),
        "res": res,
        "decimals": max(0, round(float(-np.log10(res)))),
        "ref": ref_col,
        "ids": _compact_ids(t["id"].to_numpy(dtype=object)),
        "status": _codes(t["status"].cat.codes.to_numpy(dtype=np.int64)),
        "methods": methods.tolist(),
        "method": _codes(method_codes.astype(np.int64)),
        "areas": {
            ref_col: {"q": polyline_encode(a), "nan": _deltas(np.flatnonzero(~np.isfinite(ref_area)))},
            **{c: _offsets(t[c].to_numpy(dtype=float), a, res) for c in _AREA_COLUMNS if c != ref_col},
        },
        "stated": _offsets(stated, a, res),
        "diff": _offsets(t["diff_m2"].to_numpy(dtype=float), a - s_q, res),
        "decisive_cm": _decisive(t),
    }


def _decisive(t: pd.DataFrame) -> dict[str, str] | None:
    """The accuracy that would decide each undetermined parcel, in cm (floored: no more than there is).

    ``{"at": positions (deltas), "q": values}``; ``None`` without an accuracy (no column).
    """
    if "decisive_accuracy_m" not in t.columns:
        return None
    values = t["decisive_accuracy_m"].to_numpy(dtype=float)
    at = np.flatnonzero(np.isfinite(values))
    return {"at": _deltas(at), "q": polyline_encode(np.floor(values[at] * 100 + 1e-9).astype(np.int64))}


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
