"""Static cartographic maps of a town as PNG or PDF (matplotlib), for reports and meetings.

Same layers and colours as the web map, a legend, a scale bar true at the map's latitude, a
north arrow, a title, a source-and-accuracy line, Chinese text in a real CJK font.
"""

from __future__ import annotations

from .fonts import CJK_FAMILIES, CjkFont, MissingFontError, find_cjk_font
from .layout import FORMATS, PAGE_SIZES_MM, PrintedMap, page_style, print_map, render_page
from .scalebar import ScaleBar, nice_length

__all__ = [
    "CJK_FAMILIES",
    "FORMATS",
    "PAGE_SIZES_MM",
    "CjkFont",
    "MissingFontError",
    "PrintedMap",
    "ScaleBar",
    "find_cjk_font",
    "nice_length",
    "page_style",
    "print_map",
    "render_page",
]
