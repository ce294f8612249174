"""The folium elements a page is made of.

Data layers drawn by the page script, literal HTML, scripts, the base map.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._basemaps import add_basemaps

if TYPE_CHECKING:
    import folium

_LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"


_LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"


def _layer_class() -> type:
    from folium.map import Layer
    from folium.template import Template

    class DataLayer(Layer):
        """A layer drawn by the page script from the embedded JSON."""

        _template = Template(
            "{% macro script(this, kwargs) %}"
            "var {{ this.get_name() }} = zonemap.layer({{ this._parent.get_name() }}, {{ this.key|tojson }});"
            "{% endmacro %}"
        )

        def __init__(self, key: str, name: str, show: bool) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "DataLayer"
            self.key = key

    return DataLayer


def _raw_class() -> type:
    from branca.element import Element
    from folium.template import Template

    class Raw(Element):
        """Literal HTML (a plain branca Element would treat the text as a Jinja template)."""

        _template = Template("{{ this.text }}")

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    return Raw


def _script_class() -> type:
    from branca.element import MacroElement
    from folium.template import Template

    class Script(MacroElement):
        """Literal JavaScript placed in the map script where the element is added."""

        _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    return Script


def _base_map(bounds: Sequence[float], *, tianditu_key: str | None = None) -> folium.Map:
    """The Leaflet map with its base layers (see :func:`add_basemaps`), fitted to ``bounds``."""
    import folium
    from folium import plugins

    xmin, ymin, xmax, ymax = bounds
    m = folium.Map(
        location=[(ymin + ymax) / 2, (xmin + xmax) / 2],
        zoom_start=13,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    m.default_js = [("leaflet", _LEAFLET_JS)]  # no jQuery/Bootstrap/icon fonts: nothing here uses them
    m.default_css = [("leaflet_css", _LEAFLET_CSS)]
    add_basemaps(m, tianditu_key=tianditu_key)
    plugins.Fullscreen(position="topleft").add_to(m)
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    return m
