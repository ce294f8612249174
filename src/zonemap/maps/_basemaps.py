"""Base maps of the map pages: OSM, CARTO, Esri, 天地图 Tianditu and 高德 AMap drawn aligned with WGS84.

OSM, CARTO and Esri (and AMap's URLs and attribution) come from ``xyzservices``, which
``folium`` depends on. xyzservices has no Tianditu: its WMTS ``_w`` (Web Mercator) tile sets
are written out here. Tianditu draws CGCS2000, which differs from WGS84 by centimetres, so it
needs no correction; it needs a key (``tk``), and without one its layers are left out and
:func:`tianditu_note` says how to add one.

AMap tiles are drawn in GCJ-02: WGS84 data would sit about 600 m off at Fenggang. The
``L.GridLayer.GcjTiles`` layer below draws them in cells of :data:`GCJ_CELL_PX` pixels, each
moved by the GCJ-02 -> WGS84 shift computed at the cell's centre with the formula of
:mod:`zonemap._chinacoords` ported to JavaScript (:data:`GCJ_JS`).

Why the shift varies by less than 1 px across a cell at every zoom: in pixels the shift is the
offset in metres divided by the ground resolution, and a cell spans ``GCJ_CELL_PX`` times the
resolution, so the change of the shift across a cell is ``|grad offset| * GCJ_CELL_PX`` pixels
at every zoom where the offset is linear over a cell, whatever the zoom. The offset's gradient
is at most ~4e-3 m/m inside China (its sine terms, e.g. ``20 sin(6 pi x) * 2/3`` metres per
degree ``x``), which gives < 0.6 px across a 64 px cell and < 0.3 px from its centre to a
corner (a 256 px tile would vary by up to ~2 px, hence the smaller cells). At zooms where a
cell spans degrees the whole offset is under 1 px (0.9 px at zoom 7, the 600 m shift is
0.5 px there). tests/test_basemaps.py measures both over China and Dongguan.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    import folium

__all__ = ["GCJ_CELL_PX", "GCJ_JS", "add_basemaps", "basemap_names", "tianditu_note"]

#: Side of the cells AMap tiles are cut into, each shifted by its own GCJ-02 offset (pixels).
GCJ_CELL_PX = 64

_TIANDITU_KEY = re.compile(r"[0-9a-fA-F]{32}")

_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk="
)

_TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>'

_NAMES = {
    "osm": "OpenStreetMap",
    "carto": "浅色 Light (CartoDB Positron)",
    "esri": "卫星 Satellite (Esri World Imagery)",
    "amap": "高德地图 AMap (GCJ-02 → WGS84)",
    "amap_sat": "高德卫星 AMap satellite (GCJ-02 → WGS84)",
    "tdt_vec": "天地图 Tianditu",
    "tdt_img": "天地图影像 Tianditu imagery",
}

GCJ_JS = r"""
(function () {
  "use strict";
  // GCJ-02, ported from zonemap/_chinacoords.py (Krasovsky ellipsoid, the public forward formula)
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function inChina(lon, lat) { return lon > 73.66 && lon < 135.05 && lat > 3.86 && lat < 53.55; }
  function shiftLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function shiftLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
  }
  function toGcj(lon, lat) {
    if (!inChina(lon, lat)) return [lon, lat];
    var dlat = shiftLat(lon - 105.0, lat - 35.0), dlon = shiftLon(lon - 105.0, lat - 35.0);
    var radlat = lat / 180.0 * PI, magic = 1.0 - EE * Math.sin(radlat) * Math.sin(radlat);
    var sqrtmagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtmagic) * PI);
    dlon = (dlon * 180.0) / (A / sqrtmagic * Math.cos(radlat) * PI);
    return [lon + dlon, lat + dlat];
  }
  function toWgs(glon, glat) {  // fixed-point iteration of the forward formula, as in _chinacoords
    var x = glon, y = glat;
    for (var i = 0; i < 30; i++) {
      var f = toGcj(x, y), ex = glon - f[0], ey = glat - f[1];
      x += ex; y += ey;
      if (Math.max(Math.abs(ex), Math.abs(ey)) < 1e-10) break;
    }
    return [x, y];
  }
  window.zonemapGcj = {toGcj: toGcj, toWgs: toWgs};

  // Tiles drawn in GCJ-02, cut into cells of `cell` px, each moved so that the GCJ-02 place at
  // its centre sits over the WGS84 place it stands for (see zonemap/maps/_basemaps.py for why
  // the shift varies < 1 px across a cell at every zoom).
  L.GridLayer.GcjTiles = L.GridLayer.extend({
    options: {cell: CELL_PX, sourceSize: 256, subdomains: "1234"},
    initialize: function (url, options) {
      L.setOptions(this, options);
      this.options.tileSize = this.options.cell;
      this._url = url;
      if (typeof this.options.subdomains === "string") this.options.subdomains = this.options.subdomains.split("");
      L.GridLayer.prototype.initialize.call(this, this.options);
    },
    gcjShift: function (coords) {  // pixels to move the cell `coords` by, at zoom coords.z
      var c = L.point((coords.x + 0.5) * this.options.cell, (coords.y + 0.5) * this.options.cell);
      var g = this._map.unproject(c, coords.z), w = toWgs(g.lng, g.lat);
      return this._map.project(L.latLng(w[1], w[0]), coords.z).subtract(c);
    },
    _getTiledPixelBounds: function (center) {  // the GCJ-02 cells that land on screen: the view moved by the offset
      var b = L.GridLayer.prototype._getTiledPixelBounds.call(this, center), z = this._tileZoom;
      var g = toGcj(center.lng, center.lat), m = this._map;
      var back = m.project(L.latLng(g[1], g[0]), z).subtract(m.project(center, z));
      var pad = L.point(this.options.cell, this.options.cell);
      return L.bounds(b.min.add(back).subtract(pad), b.max.add(back).add(pad));
    },
    _getTilePos: function (coords) {
      return L.GridLayer.prototype._getTilePos.call(this, coords).add(this.gcjShift(coords));
    },
    createTile: function (coords, done) {
      var n = this.options.sourceSize / this.options.cell, sx = Math.floor(coords.x / n), sy = Math.floor(coords.y / n);
      var subs = this.options.subdomains, cell = this.options.cell;
      var div = document.createElement("div"), img = document.createElement("img");
      div.style.overflow = "hidden";
      img.alt = "";
      img.setAttribute("role", "presentation");
      img.style.position = "absolute";
      img.style.width = img.style.height = this.options.sourceSize + "px";
      img.style.left = -(coords.x - sx * n) * cell + "px";
      img.style.top = -(coords.y - sy * n) * cell + "px";
      img.onload = function () { done(null, div); };
      img.onerror = function (e) { done(e, div); };
      img.src = L.Util.template(this._url, {s: subs[Math.abs(sx + sy) % subs.length], x: sx, y: sy, z: coords.z});
      div.appendChild(img);
      return div;
    }
  });
})();
""".replace("CELL_PX", str(GCJ_CELL_PX))


def _elements() -> tuple[type, type]:
    from branca.element import MacroElement
    from folium.map import Layer
    from folium.template import Template

    class JsLayer(Layer):
        """A base layer made by a line of trusted JavaScript (``code``)."""

        _template = Template(
            "{% macro script(this, kwargs) %}var {{ this.get_name() }} = {{ this.code }};{% endmacro %}"
        )

        def __init__(self, code: str, name: str) -> None:
            super().__init__(name=name, overlay=False, control=True, show=False)
            self._name = "BaseLayer"
            self.code = code

    class Script(MacroElement):
        """Literal JavaScript placed in the map script where the element is added."""

        _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    return JsLayer, Script


def _check_key(key: str) -> None:
    if not _TIANDITU_KEY.fullmatch(key):
        raise ConfigError(
            "the 天地图 Tianditu key (--tianditu-key or ZONEMAP_TIANDITU_KEY) is not 32 hexadecimal digits "
            "(fix: copy the browser-side key (浏览器端) from https://console.tianditu.gov.cn/ or leave it unset)"
        )


def basemap_names(tianditu_key: str | None) -> list[str]:
    """The base layers' names as the layer control lists them, in order.

    Parameters
    ----------
    tianditu_key
        The Tianditu key, or None (its layers are then absent).

    Returns
    -------
    list of str
        Layer names.
    """
    keys = ["osm", "carto", "esri", "amap", "amap_sat"] + (["tdt_vec", "tdt_img"] if tianditu_key else [])
    return [_NAMES[k] for k in keys]


def tianditu_note(tianditu_key: str | None) -> str | None:
    """The line the legend shows when the Tianditu layers are absent, or None when a key is given.

    Parameters
    ----------
    tianditu_key
        The Tianditu key, or None.

    Returns
    -------
    str or None
        How to add the Tianditu layers.
    """
    if tianditu_key:
        return None
    return (
        "天地图底图需要密钥：zonemap build --tianditu-key KEY 或设置 ZONEMAP_TIANDITU_KEY"
        " · Tianditu base maps need a key: --tianditu-key KEY or ZONEMAP_TIANDITU_KEY"
        " (free at console.tianditu.gov.cn)"
    )


def _xyz(name: str) -> tuple[str, dict[str, object]]:
    """URL template and Leaflet options of an xyzservices provider, its own placeholders filled."""
    import xyzservices.providers as xyz

    p = xyz.query_name(name)
    url = re.sub(r"[?&]key=\{apikey\}", "", str(p["url"]))  # CARTO's optional key placeholder
    for k in ("variant",):
        if k in p:
            url = url.replace("{" + k + "}", str(p[k]))
    opts: dict[str, object] = {"attribution": p.get("html_attribution", p.get("attribution", ""))}
    opts["maxNativeZoom"] = p.get("max_zoom", 18)  # beyond it Leaflet scales tiles up instead of asking for more
    if "subdomains" in p:
        opts["subdomains"] = p["subdomains"]
    opts["maxZoom"] = 20
    return url, opts


def _tile_js(url: str, opts: dict[str, object], cls: str = "L.tileLayer") -> str:
    return f"{cls}({json.dumps(url)}, {json.dumps(opts, ensure_ascii=False)})".replace("</", "<\\/")


def _amap(name: str) -> str:
    """AMap from xyzservices (``webrd01``/``webst01``, http) on https over the four subdomains."""
    url, opts = _xyz(name)
    url = re.sub(r"^https?://(webrd|webst)0\d\.", r"https://\g<1>0{s}.", url)
    opts.update(subdomains="1234", maxNativeZoom=18)
    return _tile_js(url, opts, "new L.GridLayer.GcjTiles")


def add_basemaps(m: folium.Map, *, tianditu_key: str | None = None) -> None:
    """Add the base layers to a map: OSM (shown), CARTO, Esri, AMap corrected to WGS84, Tianditu with a key.

    Parameters
    ----------
    m
        The map (made with ``tiles=None``).
    tianditu_key
        The Tianditu browser key (32 hexadecimal digits); None leaves the Tianditu layers out.

    Raises
    ------
    ConfigError
        If the key is not 32 hexadecimal digits.
    """
    if tianditu_key:
        _check_key(tianditu_key)
    layer_cls, script_cls = _elements()
    script_cls(GCJ_JS).add_to(m)
    for key, name in (("osm", "OpenStreetMap.Mapnik"), ("carto", "CartoDB.Positron"), ("esri", "Esri.WorldImagery")):
        url, opts = _xyz(name)
        layer = layer_cls(_tile_js(url, opts), _NAMES[key])
        if key == "osm":
            layer.show = True
        layer.add_to(m)
    layer_cls(_amap("Gaode.Normal"), _NAMES["amap"]).add_to(m)
    layer_cls(_amap("Gaode.Satellite"), _NAMES["amap_sat"]).add_to(m)
    if tianditu_key:
        opts = {"subdomains": "01234567", "maxZoom": 20, "maxNativeZoom": 18, "attribution": _TIANDITU_ATTR}
        for key, base, note in (("tdt_vec", "vec", "cva"), ("tdt_img", "img", "cia")):
            tiles = [_tile_js(_TIANDITU.replace("{layer}", lyr) + tianditu_key, opts) for lyr in (base, note)]
            layer_cls(f"L.layerGroup([{', '.join(tiles)}])", _NAMES[key]).add_to(m)
