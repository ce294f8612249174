"""Page layout script (private to :mod:`zonemap.maps`): collapsible controls, the first view, labels.

- The layer control and the legend each get a toggle button (a real ``<button>``: keyboard and
  touch); both start collapsed when the map is narrower than 768 px.
- The first view fits the town outline and every feature layer shown, with padding that keeps
  them clear of the controls: each control is cleared along the axis where it costs less of the map.
- Names of zones, parcels and places (without a bracketed gloss) are placed greedily in screen
  space, zones first: a name is drawn only where its box hits no other name, no control and no
  place dot, and (for a polygon) where it fits inside the polygon. Placement runs again after
  every zoom or pan, looks only at anchors in view, biggest polygons first, and stops after a
  fixed number of tries and names, so it costs the same with 50,000 parcels as with 5.

Names are written with ``textContent``: data text is never parsed as HTML.
"""

from __future__ import annotations

__all__ = ["LAYOUT_CSS", "LAYOUT_JS", "NARROW_PX"]

#: Below this map width (px) the layer control and legend start collapsed.
NARROW_PX = 768

LAYOUT_JS = r"""
(function () {
  "use strict";
  var ZM = window.zonemap, NARROW = __NARROW__, seq = 0;
  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var STYLE = [{font: "600 14px " + FONT, h: 18, cls: "zm-label-zone"},
               {font: "600 12px " + FONT, h: 16, cls: "zm-label-parcel"},
               {font: "500 12px " + FONT, h: 16, cls: "zm-label-place"}];
  var MAX_LABELS = 300, MAX_TRIES = 4000, PAD = 2, DOT = 7, CELL = 96;
  function narrow(map) { return map.getContainer().clientWidth < NARROW; }
  function controls(map) { return Array.prototype.slice.call(map.getContainer().querySelectorAll(".leaflet-control")); }
  function collapsible(map, ctl, body, text) {
    var btn = ZM.el("button", "zm-toggle", text), id = "zm-body-" + (++seq);
    btn.type = "button"; body.id = id; btn.setAttribute("aria-controls", id);
    ctl.classList.add("zm-collapsible");
    function set(collapsed) {
      ctl.classList.toggle("zm-collapsed", collapsed); btn.setAttribute("aria-expanded", String(!collapsed));
    }
    L.DomEvent.on(btn, "click", function (e) {
      L.DomEvent.stop(e);
      var open = ctl.classList.contains("zm-collapsed");
      if (open && narrow(map)) { ZM.toggles.forEach(function (t) { t(true); }); }  // one open at a time on a phone
      set(!open);
      if (ZM.relabel) { ZM.relabel(); }
    });
    L.DomEvent.on(ctl, "keydown", function (e) { if (e.key === "Escape") { set(true); btn.focus(); } });
    L.DomEvent.disableClickPropagation(ctl); L.DomEvent.disableScrollPropagation(ctl);
    ctl.insertBefore(btn, ctl.firstChild);
    set(narrow(map));
    ZM.toggles.push(set);
    return set;
  }
  ZM.toggles = [];
  var SKIP_FIT = /^(ring-|shenzhen$|districts$)/;
  function fitPadding(map) {
    // each control is cleared along the axis where clearing it costs the smaller share of the map
    var box = map.getContainer().getBoundingClientRect(), pad = {l: 0, r: 0, t: 0, b: 0};
    controls(map).forEach(function (c) {
      var r = c.getBoundingClientRect(), corner = c.parentNode;
      if (!r.width || !r.height || !corner || !corner.classList) { return; }
      var left = corner.classList.contains("leaflet-left"), top = corner.classList.contains("leaflet-top");
      var dx = left ? r.right - box.left : box.right - r.left, dy = top ? r.bottom - box.top : box.bottom - r.top;
      if (dx / box.width <= dy / box.height) { pad[left ? "l" : "r"] = Math.max(pad[left ? "l" : "r"], dx); }
      else { pad[top ? "t" : "b"] = Math.max(pad[top ? "t" : "b"], dy); }
    });
    var m = 8, w = box.width, h = box.height;
    // never leave less than half the map for the data
    var sx = Math.min(1, 0.5 * w / (pad.l + pad.r + 2 * m)), sy = Math.min(1, 0.5 * h / (pad.t + pad.b + 2 * m));
    return {paddingTopLeft: [(pad.l + m) * sx, (pad.t + m) * sy],
            paddingBottomRight: [(pad.r + m) * sx, (pad.b + m) * sy]};
  }
  ZM.dataBounds = function (map) {
    var b = L.latLngBounds([]);
    Object.keys(ZM.layers).forEach(function (k) {
      var g = ZM.layers[k];
      if (SKIP_FIT.test(k) || !map.hasLayer(g)) { return; }
      var gb = g.getBounds();
      if (gb.isValid()) { b.extend(gb); }
    });
    return b;
  };
  ZM.fit = function (map) {
    var b = ZM.dataBounds(map);
    if (!b.isValid()) { return; }
    map.options.zoomSnap = 0.25;  // a town fills the screen instead of up to half of it
    var opts = fitPadding(map);
    opts.animate = false;
    map.fitBounds(b.getSouthWest().equals(b.getNorthEast()) ? b.pad(0.01) : b, opts);
    ZM.fitted = {zoom: map.getZoom(), padding: [opts.paddingTopLeft, opts.paddingBottomRight]};
  };

  // the map shows a name without its bracketed gloss (金凤凰现代化产业园区（黄洞—塘沥片区…）): the popup has it all
  function shortName(text) { var head = String(text).split(/[\uff08(]/)[0].trim(); return head || String(text); }
  function source(key, layer) {
    var lab = layer.label, n, lat, lng, rlat = null, rlng = null, i;
    if (lab.at) {
      var at = ZM.decode(lab.at.coords, lab.at.scale), room = ZM.decode(lab.room, lab.at.scale);
      n = at.length / 2; lat = new Float64Array(n); lng = new Float64Array(n);
      rlat = new Float64Array(n); rlng = new Float64Array(n);
      for (i = 0; i < n; i++) {
        lat[i] = at[2 * i]; lng[i] = at[2 * i + 1]; rlat[i] = room[2 * i]; rlng[i] = room[2 * i + 1];
      }
    } else {
      var pts = ZM.feats[key]; n = pts.length; lat = new Float64Array(n); lng = new Float64Array(n);
      for (i = 0; i < n; i++) { lat[i] = pts[i].lat; lng[i] = pts[i].lng; }
    }
    var text = new Array(n), order = [];
    for (i = 0; i < n; i++) {
      text[i] = shortName(ZM.prop(layer, "name_zh", i) || ZM.prop(layer, "name_en", i) || "");
      if (text[i]) { order.push(i); }
    }
    if (rlat) { order.sort(function (a, b) { return rlat[b] * rlng[b] - rlat[a] * rlng[a]; }); }  // biggest first
    return {key: key, rank: lab.rank, n: n, lat: lat, lng: lng, rlat: rlat, rlng: rlng, text: text, order: order,
            done: new Float64Array(n)};
  }
  function Grid() { this.cells = {}; }
  Grid.prototype.each = function (b, fn) {
    for (var x = Math.floor(b[0] / CELL); x <= Math.floor(b[2] / CELL); x++) {
      for (var y = Math.floor(b[1] / CELL); y <= Math.floor(b[3] / CELL); y++) {
        if (fn(x + "," + y) === false) { return false; }
      }
    }
    return true;
  };
  Grid.prototype.hits = function (b) {
    var cells = this.cells;
    return !this.each(b, function (c) {
      var list = cells[c] || [];
      for (var i = 0; i < list.length; i++) {
        var o = list[i];
        if (b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) { return false; }
      }
      return true;
    });
  };
  Grid.prototype.add = function (b) {
    var cells = this.cells;
    this.each(b, function (c) { (cells[c] = cells[c] || []).push(b); });
  };

  ZM.labels = function (map) {
    var d = ZM.getData(), sources = [], pool = [], widths = {};
    Object.keys(d.layers).forEach(function (k) {
      if (d.layers[k].label && ZM.layers[k]) { sources.push(source(k, d.layers[k])); }
    });
    sources.sort(function (a, b) { return a.rank - b.rank; });
    var pane = map.createPane("zmLabels");
    pane.style.zIndex = 450; pane.style.pointerEvents = "none";
    var ctx = document.createElement("canvas").getContext("2d");
    function width(text, rank) {
      var k = rank + "|" + text;
      if (!(k in widths)) { ctx.font = STYLE[rank].font; widths[k] = Math.ceil(ctx.measureText(text).width) + 2 * PAD; }
      return widths[k];
    }
    var stamp = 0;
    function redraw() {
      stamp++;
      var t0 = performance.now(), size = map.getSize(), grid = new Grid(), placed = [], tries = 0;
      var box = map.getContainer().getBoundingClientRect(), view = map.getBounds().pad(0.02);
      controls(map).forEach(function (c) {
        var r = c.getBoundingClientRect();
        if (r.width && r.height) {
          grid.add([r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top]);
        }
      });
      sources.forEach(function (s) {  // place dots: names keep off them
        if (s.rlat || !map.hasLayer(ZM.layers[s.key])) { return; }
        for (var i = 0; i < s.n && i < 5000; i++) {
          if (!view.contains([s.lat[i], s.lng[i]])) { continue; }
          var p = map.latLngToContainerPoint([s.lat[i], s.lng[i]]);
          grid.add([p.x - DOT, p.y - DOT, p.x + DOT, p.y + DOT]);
        }
      });
      function free(b) { return b[0] >= 0 && b[1] >= 0 && b[2] <= size.x && b[3] <= size.y && !grid.hits(b); }
      sources.forEach(function (s) {
        if (!map.hasLayer(ZM.layers[s.key])) { return; }
        var st = STYLE[s.rank] || STYLE[2], h = st.h;
        for (var j = 0; j < s.order.length && placed.length < MAX_LABELS && tries < MAX_TRIES; j++) {
          var i = s.order[j];
          if (!view.contains([s.lat[i], s.lng[i]])) { continue; }
          tries++;
          var p = map.latLngToContainerPoint([s.lat[i], s.lng[i]]);
          if (s.rlat) { placePolygon(s, i, p, h); } else { placeStack(s, i, p, h, sameSpot(s, j, p)); }
        }
      });
      function take(s, members, boxes, texts) {
        for (var m = 0; m < boxes.length; m++) { if (!free(boxes[m])) { return false; } }
        boxes.forEach(function (b, m) {
          var text = texts ? texts[m] : s.text[members[m]];
          grid.add(b); placed.push({b: b, text: text, rank: s.rank, key: s.key, i: members[m]});
        });
        return true;
      }
      function placePolygon(s, i, p, h) {
        var w = width(s.text[i], s.rank), q = map.latLngToContainerPoint([s.lat[i] + s.rlat[i], s.lng[i] + s.rlng[i]]);
        var rx = Math.abs(q.x - p.x), ry = Math.abs(q.y - p.y);
        if (w / 2 > rx || h / 2 > ry) { return; }  // wider or taller than the polygon there
        // centred, else slid along the anchor's run, else shifted up or down: a shifted box must lie
        // in the rhombus spanned by the run and the vertical room (inside the polygon where it is convex)
        var slack = rx - w / 2, shifts = [[0, 0], [-slack / 2, 0], [slack / 2, 0], [-slack, 0], [slack, 0],
          [0, -0.25], [0, 0.25], [0, -0.5], [0, 0.5]];
        for (var c = 0; c < shifts.length; c++) {
          var dx = shifts[c][0], dy = shifts[c][1] * ry, reach = Math.abs(dy) + h / 2;
          if (dy && (reach > ry || w / 2 > rx * (1 - reach / ry))) { continue; }
          if (take(s, [i], [[p.x + dx - w / 2, p.y + dy - h / 2, p.x + dx + w / 2, p.y + dy + h / 2]])) { return; }
        }
      }
      function sameSpot(s, j, p) {
        // places drawn on (almost) the same pixel are named together, as one stacked list
        var members = [s.order[j]];
        if (s.done[s.order[j]] === stamp) { return null; }
        for (var k2 = j + 1; k2 < s.order.length && members.length < 12; k2++) {
          var o = s.order[k2];
          if (s.done[o] === stamp) { continue; }
          var po = map.latLngToContainerPoint([s.lat[o], s.lng[o]]);
          if (Math.abs(po.x - p.x) <= 2 && Math.abs(po.y - p.y) <= 2) { members.push(o); s.done[o] = stamp; }
          if (k2 - j > 200) { break; }
        }
        return members;
      }
      function placeStack(s, i, p, h, members) {
        if (!members) { return; }
        if (!stack(s, p, h, members, members.map(function (m) { return s.text[m]; })) && members.length > 1) {
          // no room for every name on the spot: the first one and how many share it (等 N 处 "and N-1 more")
          stack(s, p, h, [members[0]], [s.text[members[0]] + "\u7b49" + members.length + "\u5904"]);
        }
      }
      function stack(s, p, h, members, texts) {
        var ws = texts.map(function (t) { return width(t, s.rank); }), wmax = Math.max.apply(null, ws);
        var H = h * members.length, spots = [[p.x + DOT, p.y - H / 2, 0], [p.x - DOT - wmax, p.y - H / 2, 1],
          [p.x - wmax / 2, p.y - DOT - H, 2], [p.x - wmax / 2, p.y + DOT, 2]];
        for (var c = 0; c < spots.length; c++) {
          var x0 = spots[c][0], y0 = spots[c][1], align = spots[c][2];
          var boxes = ws.map(function (w, m) {
            var x = align === 0 ? x0 : align === 1 ? x0 + wmax - w : x0 + (wmax - w) / 2;
            return [x, y0 + m * h, x + w, y0 + (m + 1) * h];
          });
          if (take(s, members, boxes, texts)) { return true; }
        }
        return false;
      }
      for (var k = 0; k < placed.length; k++) {
        var e = pool[k], pl = placed[k], st2 = STYLE[pl.rank] || STYLE[2];
        if (!e) { e = pool[k] = ZM.el("div", "zm-label"); pane.appendChild(e); }
        e.className = "zm-label " + st2.cls; e.textContent = pl.text;
        e.style.display = ""; e.style.width = (pl.b[2] - pl.b[0]) + "px";
        e.style.height = e.style.lineHeight = st2.h + "px";
        e.style.font = st2.font; e.dataset.key = pl.key; e.dataset.index = pl.i;
        L.DomUtil.setPosition(e, map.containerPointToLayerPoint([pl.b[0], pl.b[1]]).round());
      }
      for (; k < pool.length; k++) { pool[k].style.display = "none"; }
      pane.style.display = "";
      ZM.timings.labels = {ms: performance.now() - t0, tries: tries, placed: placed.length};
    }
    var pending = null;
    ZM.relabel = function () {
      if (pending === null) { pending = requestAnimationFrame(function () { pending = null; redraw(); }); }
    };
    map.on("zoomstart", function () { pane.style.display = "none"; });
    map.on("zoomend moveend overlayadd overlayremove resize", ZM.relabel);
    redraw();
  };

  ZM.layout = function (map, legend) {
    var layers = map.getContainer().querySelector(".leaflet-control-layers");
    if (layers) {
      layers.classList.add("zm-layers");
      collapsible(map, layers, layers.querySelector(".leaflet-control-layers-list"), "\u56fe\u5c42 Layers");
    }
    if (legend) { collapsible(map, legend, legend.querySelector(".zm-legend-body"), "\u56fe\u4f8b Legend"); }
    ZM.labels(map);
    requestAnimationFrame(function () {
      // a fitBounds made before this script (folium's) starts an animated zoom in this frame; it
      // would end on its own view after ours, so it is finished first
      if (map._animatingZoom) { map._onZoomTransitionEnd(); }
      ZM.fit(map);
    });
  };
})();
""".replace("__NARROW__", str(NARROW_PX))

LAYOUT_CSS = """
.zm-toggle { display: block; width: 100%; min-height: 32px; min-width: 96px; padding: 4px 10px; border: 0;
  background: #fff; font: 600 13px/1.2 system-ui, sans-serif; color: #222; cursor: pointer; text-align: left;
  border-radius: 4px; }
.zm-toggle::after { content: " \\25be"; }
.zm-collapsed .zm-toggle::after { content: " \\25b8"; }
.zm-toggle:focus-visible { outline: 2px solid #2b8cbe; outline-offset: 1px; }
.leaflet-touch .zm-toggle { min-height: 40px; }
.zm-collapsed > .zm-legend-body, .zm-collapsed > .leaflet-control-layers-list { display: none !important; }
.zm-layers > .leaflet-control-layers-toggle { display: none !important; }
.zm-layers.leaflet-control-layers { padding: 0; }
.zm-layers .leaflet-control-layers-list { max-width: 250px; max-height: 32vh; overflow-y: auto; padding: 2px 8px 6px;
  font: 12px/1.3 system-ui, sans-serif; }
.zm-layers .leaflet-control-layers-list label { margin: 2px 0; }
.zonemap-legend.zm-collapsible { padding: 0; }
.zm-legend-body { max-width: 230px; max-height: 26vh; overflow-y: auto; padding: 0 8px 6px; }
.zm-label { position: absolute; white-space: nowrap; text-align: center; overflow: visible; color: #1a1a1a;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; }
.zm-label-zone { color: #3f007d; }
.zm-label-parcel { color: #08306b; }
"""
