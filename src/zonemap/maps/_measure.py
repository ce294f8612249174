"""The measure tool of the map pages: distances and areas on the WGS84 ellipsoid.

Lengths are sums of geodesic segments and areas geodesic polygon areas, both computed in the
page by GeographicLib's JavaScript port (npm ``geographiclib-geodesic``, MIT, by Charles
Karney: the algorithms behind ``pyproj.Geod``), inlined so that the page works offline.

The package is not vendored: ``npm ci`` at the repository root installs the version pinned in
``package.json``/``package-lock.json`` into ``node_modules``; ``ZONEMAP_GEOGRAPHICLIB_JS``
may name the ``geographiclib-geodesic.min.js`` file instead. Without either, pages are built
without the tool and :func:`measure_note` says how to add it.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import folium

__all__ = ["GEODESIC_PACKAGE", "MEASURE_ENV", "add_measure_tool", "geodesic_js", "measure_note"]

log = logging.getLogger(__name__)

#: The npm package inlined into the pages, and the file of it that is inlined.
GEODESIC_PACKAGE = "geographiclib-geodesic"
_GEODESIC_FILE = "geographiclib-geodesic.min.js"

#: Environment variable naming the library file (instead of ``node_modules``).
MEASURE_ENV = "ZONEMAP_GEOGRAPHICLIB_JS"

#: 1 亩 (mu) = 10000/15 m² (the market mu of the PRC).
MU_M2 = 10000.0 / 15.0

_CSS = """
.zm-measure a.zm-measure-toggle { display: flex; align-items: center; justify-content: center; cursor: pointer; }
.zm-measure.zm-active a.zm-measure-toggle { background: #ffe9a8; }
.zm-measure-panel { display: none; padding: 6px 8px; background: #fff; font: 13px/1.45 system-ui, sans-serif;
  max-width: min(300px, calc(100vw - 80px)); border-top: 1px solid #ccc; }
.zm-measure.zm-active .zm-measure-panel, .zm-measure.zm-has .zm-measure-panel { display: block; }
.zm-measure-panel button { font: inherit; margin: 4px 4px 0 0; min-height: 32px; padding: 2px 10px; cursor: pointer; }
.zm-measure-out div { white-space: normal; }
.leaflet-container.zm-measuring { cursor: crosshair; }
.leaflet-container.zm-measuring .leaflet-tooltip-pane { display: none; }
"""

_JS = r"""
window.zonemapMeasure = function (map) {
  "use strict";
  var G = geodesic.Geodesic.WGS84, MU = MU_M2;
  var pts = [], state = {points: [], distance_m: 0, perimeter_m: 0, area_m2: 0}, active = false;
  var style = {color: "#d0021b", weight: 2.5, interactive: false};
  var line = L.polyline([], style), poly = L.polygon([], L.extend({dashArray: "5 5", fillOpacity: 0.12}, style));
  var dots = L.layerGroup();
  var fmt = function (v, d) { return v.toLocaleString("zh-CN", {minimumFractionDigits: d, maximumFractionDigits: d}); };
  function length(m) { return m < 1000 ? fmt(m, 1) + " m" : fmt(m / 1000, 3) + " km"; }
  function compute() {
    var d = 0, p = G.Polygon(false);
    for (var i = 0; i < pts.length; i++) {
      if (i) d += G.Inverse(pts[i - 1].lat, pts[i - 1].lng, pts[i].lat, pts[i].lng, geodesic.Geodesic.DISTANCE).s12;
      p.AddPoint(pts[i].lat, pts[i].lng);
    }
    var r = pts.length > 2 ? p.Compute(false, true) : {area: 0, perimeter: 0};
    state = {points: pts.map(function (q) { return [q.lat, q.lng]; }), distance_m: d,
             perimeter_m: r.perimeter, area_m2: Math.abs(r.area)};
    window.zonemapMeasure.state = state;
  }
  var Control = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var box = L.DomUtil.create("div", "leaflet-bar zm-measure");
      var btn = L.DomUtil.create("a", "zm-measure-toggle", box);
      btn.href = "#"; btn.setAttribute("role", "button");
      btn.title = "测量距离和面积（椭球面） Measure distance and area (on the ellipsoid)";
      btn.setAttribute("aria-label", btn.title);
      var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg");
      var path = document.createElementNS(NS, "path");
      svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", "20"); svg.setAttribute("height", "20");
      path.setAttribute("d", "M3 16.5 16.5 3 21 7.5 7.5 21z M7 13l2 2 M10 10l2 2 M13 7l2 2");
      path.setAttribute("fill", "none"); path.setAttribute("stroke", "#333"); path.setAttribute("stroke-width", "1.6");
      svg.appendChild(path); btn.appendChild(svg);
      var panel = L.DomUtil.create("div", "zm-measure-panel", box);
      var out = L.DomUtil.create("div", "zm-measure-out", panel);
      var undo = L.DomUtil.create("button", "zm-measure-undo", panel);
      undo.type = "button"; undo.textContent = "撤销 Undo";
      var clear = L.DomUtil.create("button", "zm-measure-clear", panel);
      clear.type = "button"; clear.textContent = "清除 Clear";
      this._box = box; this._out = out;
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.on(btn, "click", function (e) { L.DomEvent.preventDefault(e); this.toggle(); }, this);
      L.DomEvent.on(undo, "click", function () { pts.pop(); this.redraw(); }, this);
      L.DomEvent.on(clear, "click", function () { pts = []; this.redraw(); }, this);
      return box;
    },
    toggle: function () {
      active = !active;
      L.DomUtil[active ? "addClass" : "removeClass"](this._box, "zm-active");
      L.DomUtil[active ? "addClass" : "removeClass"](map.getContainer(), "zm-measuring");
      if (active) { map.doubleClickZoom.disable(); map.closePopup(); } else { map.doubleClickZoom.enable(); }
      this.redraw();
    },
    add: function (latlng) { pts.push(L.latLng(latlng)); this.redraw(); },
    redraw: function () {
      compute();
      line.setLatLngs(pts); poly.setLatLngs(pts.length > 2 ? pts : []);
      dots.clearLayers();
      pts.forEach(function (q) { L.circleMarker(q, L.extend({radius: 4, fillOpacity: 1}, style)).addTo(dots); });
      var rows = [];
      if (!pts.length) rows.push(active ? "点击地图添加点 Click the map to add points" : "");
      if (pts.length > 1) rows.push("距离 Distance: " + length(state.distance_m));
      if (pts.length > 2) {
        rows.push("面积 Area: " + fmt(state.area_m2, 0) + " m² · " + fmt(state.area_m2 / 1e4, 2) + " 公顷 ha · "
                  + fmt(state.area_m2 / MU, 2) + " 亩 mu");
        rows.push("周长 Perimeter: " + length(state.perimeter_m));
      }
      this._out.textContent = "";
      var o = this._out;
      rows.forEach(function (t) { var d = document.createElement("div"); d.textContent = t; o.appendChild(d); });
      L.DomUtil[pts.length ? "addClass" : "removeClass"](this._box, "zm-has");
    }
  });
  var control = new Control();
  control.addTo(map);
  line.addTo(map); poly.addTo(map); dots.addTo(map);
  // While measuring, a click or tap on the map (not on a control, not the end of a pan) adds a point and goes no
  // further: taken in the capture phase, before the data layers (which would open a popup) see it.
  map.getContainer().addEventListener("click", function (e) {
    if (!active || (e.target.closest && e.target.closest(".leaflet-control"))) return;
    e.stopPropagation();
    if (map.dragging && map.dragging.moved()) return;
    control.add(map.mouseEventToLatLng(e));
  }, true);
  map.on("popupopen", function () { if (active) map.closePopup(); });
  window.zonemapMeasure.control = control;
  compute();
  return control;
};
""".replace("MU_M2", repr(MU_M2))


def _candidates() -> list[Path]:
    env = os.environ.get(MEASURE_ENV)
    if env:
        return [Path(env)]
    roots = [*Path(__file__).resolve().parents, Path.cwd()]
    return [root / "node_modules" / GEODESIC_PACKAGE / _GEODESIC_FILE for root in roots]


def geodesic_js() -> str | None:
    """The GeographicLib JavaScript library, or None when it is not installed.

    Looked up in ``$ZONEMAP_GEOGRAPHICLIB_JS``, else in ``node_modules`` beside the package's
    source tree (``npm ci`` at the repository root) or the working directory.

    Returns
    -------
    str or None
        The minified library.
    """
    for path in _candidates():
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            version = re.search(r'version_string="([^"]+)"', text)
            log.debug("measure tool: %s %s from %s", GEODESIC_PACKAGE, version and version.group(1), path)
            return text
    return None


def measure_note() -> str | None:
    """How to add the measure tool when its library is missing, or None when it is installed.

    Returns
    -------
    str or None
        The note.
    """
    if geodesic_js() is not None:
        return None
    return (
        f"测量工具需要 {GEODESIC_PACKAGE}：在仓库根目录运行 npm ci · the measure tool needs the npm package "
        f"{GEODESIC_PACKAGE}: run `npm ci` in the zonemap repository (or set {MEASURE_ENV} to its {_GEODESIC_FILE})"
    )


def _script(code: str) -> str:
    """``code`` as a ``<script>`` element it cannot close early."""
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE) + "</script>"


def add_measure_tool(m: folium.Map) -> bool:
    """Add the geodesic measure control (distance, area in m²/公顷/亩, undo, clear) to a map.

    Parameters
    ----------
    m
        The map.

    Returns
    -------
    bool
        Whether the map has the tool (False, with a log message, when the library is missing); a map
        that has it already (every :func:`~zonemap.maps.build_map` map) is left as it is.
    """
    from branca.element import Element, Figure, MacroElement
    from folium.template import Template

    if getattr(m, "_zonemap_measure", False):
        return True
    lib = geodesic_js()
    if lib is None:
        log.info("%s", measure_note())
        return False

    class Raw(Element):
        _template = Template("{{ this.text }}")

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Call(MacroElement):
        _template = Template(
            "{% macro script(this, kwargs) %}zonemapMeasure({{ this._parent.get_name() }});{% endmacro %}"
        )

    root = cast(Figure, m.get_root())
    root.header.add_child(Raw(f"<style>{_CSS}</style>"), name="zonemap_measure_css")
    # UMD wrapper: with define/module hidden the library sets window.geodesic even beside require.js
    wrapped = f"(function (define, module) {{ {lib}\n}})();"
    root.html.add_child(Raw(_script(wrapped) + _script(_JS)), name="zonemap_measure_js")
    Call().add_to(m)
    m._zonemap_measure = True  # type: ignore[attr-defined]
    return True
