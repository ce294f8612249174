"""The JavaScript and CSS the zonemap pages run (private to :mod:`zonemap.maps`).

The script reads the layer data from ``<script type="application/json" id="zonemap-data">``,
decodes the polyline-encoded coordinates, draws every layer on Leaflet's canvas renderer and
builds tooltips, popups and the legend with ``document.createElement`` and ``textContent``
only: text from the data is never parsed as HTML.
"""

from __future__ import annotations

from ..schema import FIGURE_STATUSES
from ._layoutjs import LAYOUT_CSS, LAYOUT_JS

__all__ = ["CSS", "JS", "READY_JS"]

JS = (
    r"""
(function () {
  "use strict";
  var ZM = window.zonemap = {layers: {}, data: null, timings: {}};
  function data() {
    if (!ZM.data) {
      var t = performance.now();
      ZM.data = JSON.parse(document.getElementById("zonemap-data").textContent);
      ZM.timings.parse = performance.now() - t;
    }
    return ZM.data;
  }
  function decode(str, scale) {
    var out = new Float64Array(str.length), n = 0, i = 0, acc = [0, 0], k = 0;
    while (i < str.length) {
      var result = 0, shift = 0, b;
      do { b = str.charCodeAt(i++) - 63; result += (b & 31) * Math.pow(2, shift); shift += 5; } while (b >= 32);
      var v = (result % 2) ? -(result + 1) / 2 : result / 2;
      acc[k] += v; out[n++] = acc[k] / scale; k = 1 - k;
    }
    return out.subarray(0, n);
  }
  function shapes(g) {
    var xy = decode(g.coords, g.scale), pos = 0, vi = 0, ri = 0, pi = 0, feats = [];
    function run(nv) {
      var pts = new Array(nv);
      for (var j = 0; j < nv; j++) { pts[j] = new L.LatLng(xy[pos], xy[pos + 1]); pos += 2; }
      return pts;
    }
    if (g.type === "point") {
      for (var p = 0; p < xy.length; p += 2) { feats.push(new L.LatLng(xy[p], xy[p + 1])); }
      return feats;
    }
    var nf = g.parts ? g.parts.length : (g.type === "polygon" ? (g.rings ? g.rings.length : g.nv.length) : g.nv.length);
    for (var f = 0; f < nf; f++) {
      var np = g.parts ? g.parts[f] : 1, parts = [];
      for (var q = 0; q < np; q++, pi++) {
        if (g.type === "polygon") {
          var nr = g.rings ? g.rings[pi] : 1, rings = [];
          for (var r = 0; r < nr; r++) { rings.push(run(g.nv[vi++])); }
          parts.push(rings);
        } else { parts.push(run(g.nv[vi++])); }
      }
      feats.push(np === 1 ? parts[0] : parts);
    }
    return feats;
  }
  function prop(layer, col, i) {
    var c = layer.props[col];
    if (c === undefined || c === null) { return null; }
    if (Array.isArray(c)) { return c[i]; }
    if ("k" in c) { return c.k; }
    return c.v[c.s !== undefined ? c.s.charCodeAt(i) - 35 : c.c[i]];
  }
  function colour(spec, layer, i) {
    if (!spec) { return null; }
    if (spec.col) { return prop(layer, spec.col, i) || spec.default; }
    var v = prop(layer, spec.by, i);
    return (spec.map && Object.prototype.hasOwnProperty.call(spec.map, v)) ? spec.map[v] : spec.default;
  }
  function styleFor(layer, i) {
    var s = Object.assign({}, layer.style), fill = colour(layer.fill, layer, i);
    var stroke = colour(layer.stroke, layer, i);
    if (fill) { s.fillColor = fill; }
    if (stroke) { s.color = stroke; }
    return s;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fmt(kind, v) {
    if (v === null || v === undefined || v === "") { return null; }
    if (kind === "area") {
      return (v / 1e6).toFixed(3) + " km\u00b2 / " + Math.round(v / (1e4 / 15)).toLocaleString("en") + " \u4ea9 mu";
    }
    if (kind === "pm") { return "\u00b1 " + Number(v).toLocaleString("en", {maximumFractionDigits: 1}) + " m"; }
    if (kind === "m") { return Math.round(v).toLocaleString("en") + " m"; }
    if (kind === "pct") { return v > 0 ? (100 * v).toFixed(1) + " %" : null; }
    return String(v);
  }
  function figures(box, list, full) {
    if (!list || !list.length) { return; }
    list.forEach(function (fig) {
      var d = el("div", "zm-fig zm-status-" + String(fig.status || "none").replace(/[^a-z_]/g, ""));
      d.appendChild(el("span", "zm-badge", fig.status_label || fig.status || ""));
      d.appendChild(el("span", "zm-stated", "\u6240\u8ff0 stated " + fig.stated));
      if (fig.measured) { d.appendChild(el("div", "zm-measured", "\u6d4b\u7b97 measured " + fig.measured)); }
      if (full && fig.quote) { d.appendChild(el("q", "zm-quote", fig.quote)); }
      box.appendChild(d);
    });
  }
  function card(key, i, full) {
    var layer = data().layers[key], box = el("div", "zm-card");
    box.appendChild(el("div", "zm-title", prop(layer, "name_zh", i)));
    box.appendChild(el("div", "zm-subtitle", prop(layer, "name_en", i)));
    var table = el("table", "zm-fields");
    layer.fields.forEach(function (f) {
      if (f[3] && !full) { return; }
      var v = fmt(f[2], prop(layer, f[0], i));
      if (v === null) { return; }
      var tr = el("tr"); tr.appendChild(el("th", null, f[1])); tr.appendChild(el("td", null, v)); table.appendChild(tr);
    });
    box.appendChild(table);
    figures(box, prop(layer, "figures", i), full);
    return box;
  }
  ZM.card = card; ZM.decode = decode; ZM.el = el; ZM.getData = data; ZM.prop = prop; ZM.feats = {};
  function popupWidth() { return Math.max(200, Math.min(360, window.innerWidth - 60)); }
  function single(key, layer, feats, group) {
    for (var i = 0; i < feats.length; i++) {
      var st = styleFor(layer, i), shape;
      if (layer.geom.type === "polygon") { shape = new L.Polygon(feats[i], st); }
      else if (layer.geom.type === "line") { shape = new L.Polyline(feats[i], st); }
      else { shape = new L.CircleMarker(feats[i], st); }
      shape._zmKey = key; shape._zmIndex = i;
      group.addLayer(shape);
    }
    if (layer.interactive !== false) {
      group.bindTooltip(function (l) { return card(key, l._zmIndex, false); }, {sticky: true, className: "zm-tooltip"});
      group.bindPopup(function (l) { return card(key, l._zmIndex, true); }, {maxWidth: popupWidth()});
    }
  }
  function ringsOf(f) { return Array.isArray(f[0][0]) ? [].concat.apply([], f) : f; }
  function inside(rings, lat, lng) {
    var c = false;
    rings.forEach(function (r) {
      for (var a = 0, b = r.length - 1; a < r.length; b = a++) {
        if ((r[a].lat > lat) !== (r[b].lat > lat) &&
            lng < (r[b].lng - r[a].lng) * (lat - r[a].lat) / (r[b].lat - r[a].lat) + r[a].lng) { c = !c; }
      }
    });
    return c;
  }
  var CHUNK = 256;
  function bulk(key, layer, feats, group, map) {
    // Big polygon layers: one canvas path per style instead of one Leaflet layer per feature;
    // the feature under the pointer is found by bounding box, then point in polygon.
    var styles = {}, order = [], chunks = [], n = feats.length, box = new Float64Array(4 * n), i, j;
    for (i = 0; i < n; i++) {
      var st = styleFor(layer, i), k = st.fillColor + "|" + st.color, f = feats[i], rs = ringsOf(f);
      // chunks of CHUNK features: one canvas path with very many sub-paths fills slowly
      if (!styles[k] || styles[k].idx.length >= CHUNK) {
        if (!styles[k]) { order.push(k); }
        styles[k] = {style: st, latlngs: [], idx: []}; chunks.push(styles[k]);
      }
      (Array.isArray(f[0][0]) ? f : [f]).forEach(function (part) { styles[k].latlngs.push(part); });
      styles[k].idx.push(i);
      var s = Infinity, w = Infinity, no = -Infinity, e = -Infinity;
      rs.forEach(function (r) {
        for (j = 0; j < r.length; j++) {
          s = Math.min(s, r[j].lat); no = Math.max(no, r[j].lat); w = Math.min(w, r[j].lng); e = Math.max(e, r[j].lng);
        }
      });
      box[4 * i] = s; box[4 * i + 1] = w; box[4 * i + 2] = no; box[4 * i + 3] = e;
    }
    chunks.forEach(function (c) {
      var poly = new L.Polygon(c.latlngs, c.style);
      poly._zmKey = key; poly._zmBulk = c.idx; group.addLayer(poly);
    });
    group._zmCount = n;
    function hit(ll) {
      for (var q = n - 1; q >= 0; q--) {
        if (ll.lat >= box[4 * q] && ll.lat <= box[4 * q + 2] && ll.lng >= box[4 * q + 1] && ll.lng <= box[4 * q + 3] &&
            inside(ringsOf(feats[q]), ll.lat, ll.lng)) { return q; }
      }
      return -1;
    }
    if (layer.interactive === false) { return; }
    var tip = L.tooltip({sticky: true, className: "zm-tooltip"}), cur = -1;
    group.on("mousemove mouseover", function (e) {
      var q = hit(e.latlng);
      if (q < 0) { map.closeTooltip(tip); cur = -1; return; }
      if (q !== cur) { cur = q; tip.setContent(card(key, q, false)); }
      tip.setLatLng(e.latlng);
      if (!map.hasLayer(tip)) { map.openTooltip(tip); }
    });
    group.on("mouseout", function () { map.closeTooltip(tip); cur = -1; });
    group.on("click", function (e) {
      var q = hit(e.latlng);
      if (q >= 0) { L.popup({maxWidth: popupWidth()}).setLatLng(e.latlng).setContent(card(key, q, true)).openOn(map); }
    });
    ZM.hit[key] = hit;
  }
  ZM.hit = {};
  ZM.layer = function (map, key) {
    var t1 = performance.now(), layer = data().layers[key], feats = shapes(layer.geom), group = L.featureGroup();
    var t2 = performance.now();
    ZM.feats[key] = feats;
    if (layer.bulk) { bulk(key, layer, feats, group, map); } else { single(key, layer, feats, group); }
    ZM.layers[key] = group;
    ZM.timings[key] = {decode: t2 - t1, build: performance.now() - t2};
    return group;
  };
  ZM.legend = function (map) {
    var ctl = L.control({position: "bottomright"});
    ctl.onAdd = function () {
      var div = el("div", "zonemap-legend leaflet-control"), body = el("div", "zm-legend-body");
      div.appendChild(body);
      data().legend.forEach(function (sec) {
        body.appendChild(el("div", "zm-legend-title", sec.title));
        sec.items.forEach(function (it) {
          var row = el("div", "zm-legend-row"), sw = el("span", "zm-swatch zm-swatch-" + (it.shape || "fill"));
          sw.style.background = it.shape === "line" ? "transparent" : it.colour;
          sw.style.borderColor = it.colour;
          row.appendChild(sw); row.appendChild(el("span", null, it.label)); body.appendChild(row);
        });
      });
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
    ZM.layout(map, ctl.getContainer());  // the last control: collapsible controls, first view, names
    return ctl;
  };
})();
"""
    + LAYOUT_JS
)

READY_JS = """
requestAnimationFrame(function () { requestAnimationFrame(function () {
  window.zonemapRendered = performance.now();
}); });
"""

CSS = """
.zm-card { font: 12px/1.35 system-ui, sans-serif; max-width: 340px; }
.zm-title { font-weight: 600; font-size: 13px; }
.zm-subtitle { color: #444; margin-bottom: 4px; }
.zm-fields th { text-align: left; font-weight: normal; color: #555; padding-right: 8px; vertical-align: top; }
.zm-fig { border-top: 1px solid #ddd; margin-top: 4px; padding-top: 3px; }
.zm-badge { display: inline-block; padding: 0 5px; border-radius: 3px; margin-right: 5px; color: #fff;
  background: #777; }
.zm-quote { display: block; color: #333; font-style: italic; margin-top: 2px; white-space: normal; }
.zm-tooltip { white-space: normal; min-width: 200px; }
.zonemap-legend { background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px; font: 12px/1.4 system-ui,
  sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
.zm-legend-title { font-weight: 600; margin-top: 4px; }
.zm-swatch { display: inline-block; width: 14px; height: 10px; margin-right: 6px; border: 2px solid;
  vertical-align: middle; }
.zm-swatch-line { height: 0; border-width: 2px 0 0 0; }
.zm-swatch-note { display: none; }
"""
# one badge colour per status, from the status table
CSS += "".join(f".zm-status-{w} .zm-badge {{ background: {st.colour}; }}\n" for w, st in FIGURE_STATUSES.items())
CSS += LAYOUT_CSS
