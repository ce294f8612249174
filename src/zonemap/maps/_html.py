"""HTML helpers for the map pages (private): offline inlining and the index page.

Offline pages get Leaflet and plugin JavaScript/CSS inlined from the assets bundled in the
installed ``folium-offline`` package (module ``offlinefolium``), looked up by the CDN URL
folium would have linked. Nothing is fetched from a network and nothing is copied into
this repository.
"""

from __future__ import annotations

import html
import os
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import MissingFileError

__all__ = ["index_href", "index_page", "inline_assets", "offline_assets"]

_SCRIPT_SRC = re.compile(r'<script\s+src="(https?://[^"]+)"\s*>\s*</script>')
_CSS_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="(https?://[^"]+)"\s*/?>')


def offline_assets() -> Mapping[str, str]:
    """The JavaScript/CSS assets bundled with ``folium-offline``, keyed by CDN URL.

    Returns
    -------
    Mapping
        URL to file content.

    Raises
    ------
    MissingFileError
        When ``folium-offline`` is not installed.
    """
    try:
        from offlinefolium import elements
    except ImportError:
        raise MissingFileError(
            "offline maps need the Leaflet assets of the folium-offline package "
            "(fix: reinstall zonemap, whose core dependencies include folium-offline: pip install -e .)"
        ) from None
    return elements._res


def _raw_text_safe(code: str, tag: str) -> str:
    """``code`` made unable to close the ``<script>`` or ``<style>`` element it is placed in."""
    return re.sub(rf"</({tag})", r"<\\/\1", code, flags=re.IGNORECASE)


def inline_assets(page: str, assets: Mapping[str, str]) -> str:
    """Replace ``<script src>``/``<link>`` tags pointing at CDN URLs by the assets' content.

    Parameters
    ----------
    page
        The HTML page.
    assets
        URL to content (see :func:`offline_assets`).

    Returns
    -------
    str
        The page with every external script and stylesheet inlined.

    Raises
    ------
    MissingFileError
        If the page links an asset that is not available locally.
    """
    missing = sorted({u for rx in (_SCRIPT_SRC, _CSS_LINK) for u in rx.findall(page) if u not in assets})
    if missing:
        raise MissingFileError(
            f"no local copy of {', '.join(missing)} (fix: upgrade folium-offline to match folium, "
            "or build without --offline)"
        )
    page = _SCRIPT_SRC.sub(lambda m: f"<script>{_raw_text_safe(assets[m.group(1)], 'script')}</script>", page)
    return _CSS_LINK.sub(lambda m: f"<style>{_raw_text_safe(assets[m.group(1)], 'style')}</style>", page)


def index_href(path: Path | str, base: Path | str) -> str:
    """The link from an index in ``base`` to ``path``: relative to the index, URL-quoted.

    Both are resolved against the current directory first, so a relative output directory
    (``maps``, the default) gives ``fenggang.html``, not ``maps/fenggang.html``; a file outside
    ``base`` gets ``../`` steps. The link works from ``file://`` and from any web server.

    Parameters
    ----------
    path
        The linked file (absolute, or relative to the current directory).
    base
        The directory the index is written to (same).

    Returns
    -------
    str
        A relative URL (``/``-separated, each segment percent-encoded).
    """
    rel = os.path.relpath(Path(path).resolve(), Path(base).resolve())
    return urllib.parse.quote(Path(rel).as_posix(), safe="/")


def index_page(title: str, maps: Sequence[tuple[str, Path]], reports: Sequence[tuple[str, Path]], base: Path) -> str:
    """A small HTML page linking the maps and reports.

    Parameters
    ----------
    title
        Page title.
    maps, reports
        ``(label, path)`` pairs; each is linked relative to ``base`` (see :func:`index_href`).
    base
        Directory the index is written to.

    Returns
    -------
    str
        The page; every label and path is HTML-escaped.
    """

    def items(entries: Sequence[tuple[str, Path]]) -> str:
        rows = []
        for label, path in entries:
            href = index_href(path, base)
            rows.append(f'<li><a href="{html.escape(href, quote=True)}">{html.escape(label)}</a></li>')
        return "\n".join(rows) or "<li>(none)</li>"

    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:48em;margin:2em auto;padding:0 1em}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<h2>地图 Maps</h2><ul>
{items(maps)}
</ul>
<h2>对账报告 Reconciliation reports</h2><ul>
{items(reports)}
</ul>
</body></html>
"""
