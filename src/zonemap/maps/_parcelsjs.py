"""The script and CSS of the parcel status map (private to :mod:`zonemap.maps`).

The script reads ``<script type="application/json" id="zonemap-parcels">`` (see
:mod:`zonemap.maps._parcels`), decodes every vertex once into Web Mercator pixels at zoom 0
(Float32, relative to its parcel's bounding box, Float64), and draws all parcels on one
``L.Canvas`` subclass: per status, in the page's draw order, parcels smaller than 4 px as one path
of squares, the others as oriented rings filled with the non-zero rule, 512 to a path. A click
finds the parcel by bounding box then ring crossing (the top-most drawn first) and builds its card
from the value arrays, decoded on the first click, with ``textContent`` only.

``window.zonemapParcels.painted`` is ``performance.now()`` (ms since navigation start) at the
animation frame after the first full draw of the fitted view: the benchmark's paint time.
"""

from __future__ import annotations

__all__ = ["PARCEL_CSS", "PARCEL_JS"]

PARCEL_JS = r"""
(function () {
  "use strict";
  var ZP = window.zonemapParcels = {timings: {}, draws: 0, armed: false};
  var DATA = null, G = null, V = null, SMALL = 4, CHUNK = 512, DOT_CHUNK = 4096;
  function data() {
    if (!DATA) {
      var t = performance.now();
      DATA = JSON.parse(document.getElementById("zonemap-parcels").textContent);
      ZP.timings.parse = performance.now() - t;
    }
    return DATA;
  }
  function Reader(str) { this.s = str; this.i = 0; }
  Reader.prototype.next = function () {  // one integer of Google's polyline scheme
    var s = this.s, result = 0, mul = 1, b;
    do { b = s.charCodeAt(this.i++) - 63; result += (b & 31) * mul; mul *= 32; } while (b >= 32);
    return (result % 2) ? -(result + 1) / 2 : result / 2;
  };
  function ints(str, n, deltas) {
    var r = new Reader(str || ""), out = new Float64Array(n), acc = 0;
    for (var i = 0; i < n && r.i < r.s.length; i++) { var v = r.next(); acc = deltas ? acc + v : v; out[i] = acc; }
    return out;
  }
  function count(str) {  // integers in a polyline string: characters without the continuation bit
    var n = 0;
    for (var i = 0; i < str.length; i++) { if (str.charCodeAt(i) - 63 < 32) { n++; } }
    return n;
  }
  function codes(c, n) {
    if (typeof c === "string") {
      var out = new Int32Array(n);
      for (var i = 0; i < n; i++) { out[i] = c.charCodeAt(i) - 35; }
      return out;
    }
    return Int32Array.from(ints(c.c, n, false));
  }
  function geometry() {
    var t0 = performance.now(), d = data(), g = d.geom, n = d.values.n;
    var nr = count(g.nv), nv = ints(g.nv, nr, true), per = g.rings ? ints(g.rings, n, false) : null;
    var ringStart = new Int32Array(nr + 1), parcelRing = new Int32Array(n + 1), r, p;
    for (r = 0; r < nr; r++) { ringStart[r + 1] = ringStart[r] + nv[r]; }
    for (p = 0; p < n; p++) { parcelRing[p + 1] = parcelRing[p] + (per ? per[p] : 1); }
    var total = ringStart[nr], X = new Float32Array(total), Y = new Float32Array(total);
    var box = new Float64Array(4 * n), rd = new Reader(g.coords), lat = 0, lon = 0, scale = g.scale;
    var sx = new Float64Array(64), sy = new Float64Array(64), D2R = Math.PI / 180, K = 256 / (4 * Math.PI);
    for (p = 0; p < n; p++) {
      var v0 = ringStart[parcelRing[p]], v1 = ringStart[parcelRing[p + 1]], m = v1 - v0, j;
      if (m > sx.length) { sx = new Float64Array(2 * m); sy = new Float64Array(2 * m); }
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (j = 0; j < m; j++) {
        lat += rd.next(); lon += rd.next();
        var sin = Math.sin(lat / scale * D2R), x = (lon / scale / 360 + 0.5) * 256;
        var y = 128 - K * Math.log((1 + sin) / (1 - sin));  // Leaflet's EPSG:3857 at zoom 0
        sx[j] = x; sy[j] = y;
        if (x < x0) { x0 = x; } if (x > x1) { x1 = x; } if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
      }
      for (j = 0; j < m; j++) { X[v0 + j] = sx[j] - x0; Y[v0 + j] = sy[j] - y0; }
      box[4 * p] = x0; box[4 * p + 1] = y0; box[4 * p + 2] = x1; box[4 * p + 3] = y1;
    }
    var status = codes(d.values.status, n), by = d.statuses.map(function () { return []; });
    for (p = 0; p < n; p++) { by[status[p]].push(p); }
    ZP.timings.decode = performance.now() - t0;
    return {n: n, X: X, Y: Y, box: box, ringStart: ringStart, parcelRing: parcelRing, status: status,
            by: by.map(function (a) { return Int32Array.from(a); })};
  }
  function dotSize(code) {  // the parcels that need a look stay visible at any zoom
    var w = data().statuses[code].word;
    return w === "disagrees" || w === "undetermined" ? 3 : 2;
  }
  function rings(ctx, p, px, py, k) {
    for (var r = G.parcelRing[p]; r < G.parcelRing[p + 1]; r++) {
      var a = G.ringStart[r], b = G.ringStart[r + 1];
      ctx.moveTo(px + G.X[a] * k, py + G.Y[a] * k);
      for (var v = a + 1; v < b; v++) { ctx.lineTo(px + G.X[v] * k, py + G.Y[v] * k); }
      ctx.closePath();
    }
  }
  function draw(layer) {
    if (!ZP.armed || !G) { return; }
    var t0 = performance.now(), map = layer._map, ctx = layer._ctx, b = layer._bounds, o = map.getPixelOrigin();
    var k = Math.pow(2, map.getZoom()), wx0 = (b.min.x + o.x) / k, wy0 = (b.min.y + o.y) / k;
    var wx1 = (b.max.x + o.x) / k, wy1 = (b.max.y + o.y) / k, drawn = 0, big = [], box = G.box;
    data().draw.forEach(function (code) {
      var list = G.by[code], colour = data().statuses[code].colour, dot = dotSize(code), nd = 0, j, p;
      ctx.fillStyle = colour; ctx.strokeStyle = colour; ctx.lineWidth = 1; ctx.globalAlpha = 0.85;
      ctx.beginPath(); big.length = 0;
      for (j = 0; j < list.length; j++) {
        p = list[j];
        if (box[4 * p + 2] < wx0 || box[4 * p] > wx1 || box[4 * p + 3] < wy0 || box[4 * p + 1] > wy1) { continue; }
        drawn++;
        var w = (box[4 * p + 2] - box[4 * p]) * k, h = (box[4 * p + 3] - box[4 * p + 1]) * k;
        if (w >= SMALL || h >= SMALL) { big.push(p); continue; }
        var s = Math.max(dot, w, h), cx = (box[4 * p] + box[4 * p + 2]) / 2 * k - o.x;
        ctx.rect(cx - s / 2, (box[4 * p + 1] + box[4 * p + 3]) / 2 * k - o.y - s / 2, s, s);
        if (++nd % DOT_CHUNK === 0) { ctx.fill(); ctx.beginPath(); }
      }
      if (nd % DOT_CHUNK) { ctx.fill(); }
      for (j = 0; j < big.length; j += CHUNK) {
        ctx.beginPath();
        for (var q = j; q < Math.min(j + CHUNK, big.length); q++) {
          p = big[q];
          rings(ctx, p, box[4 * p] * k - o.x, box[4 * p + 1] * k - o.y, k);
        }
        ctx.globalAlpha = 0.45; ctx.fill(); ctx.globalAlpha = 0.9; ctx.stroke();
      }
    });
    ctx.globalAlpha = 1;
    ZP.draws++;
    ZP.lastDraw = {parcels: drawn, ms: performance.now() - t0, zoom: map.getZoom()};
  }
  function inside(p, x, y) {  // crossing number over the parcel's rings (x, y relative to its box)
    var c = false, X = G.X, Y = G.Y;
    for (var r = G.parcelRing[p]; r < G.parcelRing[p + 1]; r++) {
      var a = G.ringStart[r], e = G.ringStart[r + 1];
      for (var i = a, j = e - 1; i < e; j = i++) {
        if ((Y[i] > y) !== (Y[j] > y) && x < (X[j] - X[i]) * (y - Y[i]) / (Y[j] - Y[i]) + X[i]) { c = !c; }
      }
    }
    return c;
  }
  function hit(map, latlng) {
    if (!G) { return -1; }
    var k = Math.pow(2, map.getZoom()), w = map.project(latlng, 0), order = data().draw, box = G.box;
    for (var oi = order.length - 1; oi >= 0; oi--) {
      var list = G.by[order[oi]], half = (dotSize(order[oi]) / 2 + 1) / k;
      for (var j = list.length - 1; j >= 0; j--) {
        var p = list[j], x0 = box[4 * p], y0 = box[4 * p + 1], x1 = box[4 * p + 2], y1 = box[4 * p + 3];
        if ((x1 - x0) * k < SMALL && (y1 - y0) * k < SMALL) {
          var hx = Math.max(half, (x1 - x0) / 2 + 1 / k), hy = Math.max(half, (y1 - y0) / 2 + 1 / k);
          if (Math.abs(w.x - (x0 + x1) / 2) <= hx && Math.abs(w.y - (y0 + y1) / 2) <= hy) { return p; }
        } else if (w.x >= x0 && w.x <= x1 && w.y >= y0 && w.y <= y1 && inside(p, w.x - x0, w.y - y0)) { return p; }
      }
    }
    return -1;
  }
  function column(c, base, n) {  // an offset column: base + q, NaN where missing
    var q = ints(c.q, n, false), out = new Float64Array(n), miss = ints(c.nan, count(c.nan || ""), true);
    for (var i = 0; i < n; i++) { out[i] = (base ? base[i] : 0) + q[i]; }
    for (i = 0; i < miss.length; i++) { out[miss[i]] = NaN; }
    return out;
  }
  function values() {  // decoded on the first click only
    if (V) { return V; }
    var v = data().values, n = v.n, areas = {}, ids = v.ids, ref = column(v.areas[v.ref], null, n);
    Object.keys(v.areas).forEach(function (c) { areas[c] = c === v.ref ? ref : column(v.areas[c], ref, n); });
    var stated = column(v.stated, ref, n), gap = new Float64Array(n);
    for (var i = 0; i < n; i++) { gap[i] = ref[i] - stated[i]; }
    var num = ids.list ? null : ints(ids.num, n, true), decisive = new Float64Array(n).fill(NaN);
    if (v.decisive_cm) {
      var at = ints(v.decisive_cm.at, count(v.decisive_cm.at), true), cm = ints(v.decisive_cm.q, at.length, false);
      for (i = 0; i < at.length; i++) { decisive[at[i]] = cm[i]; }
    }
    V = {areas: areas, stated: stated, diff: column(v.diff, gap, n), method: codes(v.method, n), decisive: decisive,
         id: function (p) {
           if (ids.list) { return String(ids.list[p]); }
           var s = String(num[p]);
           while (s.length < ids.width) { s = "0" + s; }
           return ids.prefix + s;
         }};
    return V;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fixed(q, dec) {  // an integer count of 10^-dec units, written exactly with thousands separators
    if (!isFinite(q)) { return "\u2014"; }
    var neg = q < 0, a = Math.abs(Math.round(q)), unit = Math.pow(10, dec), whole = Math.floor(a / unit);
    var frac = dec ? "." + String(a - whole * unit + unit).slice(1) : "";
    return (neg ? "\u2212" : "") + whole.toLocaleString("en") + frac;
  }
  var LABELS = {area_m2: "\u692d\u7403\u9762\u79ef", area_sandiao_m2: "\u4e09\u8c03\u9762\u79ef",
                area_gk_m2: "\u9ad8\u65af\u5e73\u9762\u9762\u79ef"};  // 椭球面积, 三调面积, 高斯平面面积
  function card(p) {
    var d = data(), v = d.values, val = values(), st = d.statuses[G.status[p]], box = el("div", "zp-card");
    box.appendChild(el("div", "zp-title", val.id(p)));
    var badge = el("span", "zp-badge", st.label);
    badge.style.background = st.colour; box.appendChild(badge);
    var table = el("table", "zp-fields"), dec = v.decimals;
    function row(label, text) {
      var tr = el("tr");
      tr.appendChild(el("th", null, label)); tr.appendChild(el("td", null, text)); table.appendChild(tr);
    }
    row("\u7f16\u53f7 id", val.id(p));
    row("\u6240\u8ff0 stated_m2 (" + d.area_field + ")", fixed(val.stated[p], dec) + " m\u00b2");
    ["area_m2", "area_sandiao_m2", "area_gk_m2"].forEach(function (c) {
      if (!val.areas[c]) { return; }
      row(LABELS[c] + " " + c + (c === v.ref ? " \u2190 diff" : ""), fixed(val.areas[c][p], dec) + " m\u00b2");
    });
    var diff = val.diff[p], stated = val.stated[p];
    row("\u5dee\u503c diff_m2", isFinite(diff) ? fixed(diff, dec) + " m\u00b2" : "\u2014");
    var pct = isFinite(diff) && stated ? 100 * diff / stated : NaN, shown = Math.abs(pct).toFixed(2);
    row("\u5dee\u503c diff_pct", isFinite(pct) ? (pct < 0 && +shown ? "\u2212" : "") + shown + " %" : "\u2014");
    row("\u72b6\u6001 status", st.word);
    if (isFinite(val.decisive[p])) {  // 需精度: the boundary accuracy that would tell agrees from disagrees
      row("\u9700\u7cbe\u5ea6 decisive_accuracy_m", "\u2264 " + fixed(val.decisive[p], 2) + " m");
    }
    row("\u65b9\u6cd5 method", v.methods[val.method[p]]);
    box.appendChild(table);
    return box;
  }
  ZP.card = card; ZP.hit = hit;
  var Layer = L.Canvas.extend({
    _draw: function () { draw(this); },
    _onMouseMove: function (e) {
      var map = this._map;
      if (!map || map.dragging.moving() || map._animatingZoom) { return; }
      var on = hit(map, map.mouseEventToLatLng(e)) >= 0;
      L.DomUtil[on ? "addClass" : "removeClass"](this._container, "leaflet-interactive");
    },
    getBounds: function () { var b = data().bounds; return L.latLngBounds([b[1], b[0]], [b[3], b[2]]); }
  });
  function popupWidth() { return Math.max(200, Math.min(340, window.innerWidth - 60)); }
  ZP.layer = function (map) {
    G = geometry();
    var layer = ZP.canvas = new Layer({padding: 0.1});
    map.on("click", function (e) {
      if (!map.hasLayer(layer) || map.getContainer().classList.contains("zm-measuring")) { return; }
      var p = hit(map, e.latlng);
      if (p >= 0) { L.popup({maxWidth: popupWidth()}).setLatLng(e.latlng).setContent(card(p)).openOn(map); }
    });
    window.zonemap.layers.parcels = layer;  // the shared script fits the first view to it
    return layer;  // folium adds it to the map (and to the layer control)
  };
  ZP.ready = function () {  // after the shared script's first fit (queued before this frame's callback)
    requestAnimationFrame(function () {
      ZP.armed = true;
      if (ZP.canvas._map) { ZP.canvas._redraw(); }
      requestAnimationFrame(function () { ZP.painted = performance.now(); });
    });
  };
})();
"""

PARCEL_CSS = """
.zp-card { font: 12px/1.35 system-ui, "Noto Sans CJK SC", sans-serif; min-width: 190px; }
.zp-title { font-weight: 600; font-size: 13px; word-break: break-all; }
.zp-badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; margin: 3px 0 4px; }
.zp-fields th { text-align: left; font-weight: normal; color: #555; padding-right: 8px; vertical-align: top; }
.zp-fields td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.zonemap-legend .zm-legend-body { max-width: 300px; max-height: 46vh; }
@media (max-width: 480px) { .zonemap-legend .zm-legend-body { max-width: calc(100vw - 80px); max-height: 52vh; } }
"""
