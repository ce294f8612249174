"""The printed map page: title, map frame, legend panel, scale bar, north arrow, sources.

The map is drawn in :func:`zonemap.crs.local_metric_crs` of what it shows (a transverse
Mercator on GRS80 through the centre of the town outline, or of the data where no outline is
known), so distances on the page are true at the map's latitude and the scale bar is a plain
length in data units (see :mod:`zonemap.printing.scalebar`).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import shapely

from ..crs import local_metric_crs, to_metric
from ..errors import ConfigError
from ..io import atomic_write
from ..maps import MapLayers, collect_layers
from ..project import Project, as_project
from ..schema import DRAW_ORDER, LAYERS
from ._style import KIND_COLOURS, STATUS_COLOURS
from .draw import draw_lines, draw_points, draw_polygons
from .fonts import find_cjk_font, glyph_warnings_as_error
from .legend import clean_text, draw_labels, draw_legend, legend_entries, source_line, subtitle, wrap
from .scalebar import ScaleBar, draw_north_arrow, draw_scale_bar

if TYPE_CHECKING:
    from pyproj import CRS

    from ..config import Config

__all__ = ["FORMATS", "PAGE_SIZES_MM", "PrintedMap", "page_style", "print_map", "render_page"]

log = logging.getLogger(__name__)

#: Landscape page sizes (width, height) in millimetres.
PAGE_SIZES_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
FORMATS = ("png", "pdf")
MM_PER_INCH = 25.4

# page layout in figure fractions: map frame, legend panel, title and footer bands
_MAP_BOX = (0.025, 0.085, 0.715, 0.80)
_LEGEND_BOX = (0.76, 0.085, 0.225, 0.80)
_FOOTER_LINES = 4


@dataclass
class PrintedMap:
    """A drawn page, before saving: the figure, its map axes, projection and scale bar."""

    figure: Any
    ax: Any
    crs: CRS
    scale_bar: ScaleBar
    labels: int


def _metric_layers(layers: MapLayers, crs: CRS) -> dict[str, Any]:
    frames = {
        **layers.frames,
        "rings": layers.rings,
        "shenzhen": layers.shenzhen,
        "outline": layers.outline,
    }
    return {
        k: to_metric(np.asarray(f.geometry.values, dtype=object), crs)
        for k, f in frames.items()
        if f is not None and len(f)
    }


def _extent_geoms(layers: MapLayers) -> Any:
    if layers.outline is not None and len(layers.outline):
        frames = [layers.outline]
    else:
        frames = [f for f in layers.frames.values() if len(f)]
    if not frames:
        raise ConfigError(
            f"town {layers.town!r} has no features and no outline to print "
            "(fix: add zones/parcels/places, or configure a reference directory with its outline)"
        )
    return np.concatenate([np.asarray(f.geometry.values, dtype=object) for f in frames])


def _centre(layers: MapLayers) -> tuple[float, float]:
    """Lon/lat of the centre of what the map shows (the projection's origin)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(_extent_geoms(layers))
    return float(xmin + xmax) / 2, float(ymin + ymax) / 2


def _fit_extent(bounds: Any, box_w_in: float, box_h_in: float, pad: float = 0.06) -> tuple[float, ...]:
    """Bounds padded and widened to the frame's aspect (equal scale on both axes)."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    w, h = max(xmax - xmin, 200.0) * (1 + 2 * pad), max(ymax - ymin, 200.0) * (1 + 2 * pad)
    if w / h < box_w_in / box_h_in:
        w = h * box_w_in / box_h_in
    else:
        h = w * box_h_in / box_w_in
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def _colours(frame: pd.DataFrame, column: str, colours: dict[str, str], default: str) -> Any:
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=object)
    return frame[column].astype(object).map(colours).fillna(default).to_numpy(dtype=object)


def _draw_layers(ax: Any, layers: MapLayers, metric: dict[str, Any], status_fill: bool) -> None:
    if "rings" in metric and layers.rings is not None:
        colour = layers.rings["colour"].fillna("#999999").to_numpy(dtype=object)
        draw_polygons(ax, metric["rings"], colour, colour, alpha=0.18, linewidth=0.6, zorder=1)
    if "shenzhen" in metric and layers.shenzhen is not None:
        city = (layers.shenzhen["kind"] == "city").to_numpy()
        draw_lines(
            ax,
            metric["shenzhen"][city],
            np.full(int(city.sum()), KIND_COLOURS["city"], dtype=object),
            linewidth=2.0,
            zorder=2,
            linestyle=(0, (6, 3)),
        )
    if "outline" in metric:
        draw_lines(
            ax,
            metric["outline"],
            np.full(len(metric["outline"]), KIND_COLOURS["outline"], dtype=object),
            linewidth=1.8,
            zorder=3,
            linestyle=(0, (5, 2.5)),
        )
    none = STATUS_COLOURS["none"]
    for zorder, name in enumerate(DRAW_ORDER, start=4):
        layer, frame = LAYERS[name], layers.layer(name)
        if name not in metric:
            continue
        if layer.family == "polygon":
            by_status = status_fill and layer.status_fill
            fill = _colours(
                frame,
                "figure_status" if by_status else "kind",
                STATUS_COLOURS if by_status else KIND_COLOURS,
                none if by_status else "#777777",
            )
            outline = _colours(frame, "figure_status", STATUS_COLOURS, none)
            draw_polygons(
                ax, metric[name], fill, outline, alpha=layer.fill_opacity, linewidth=0.8 * layer.weight, zorder=zorder
            )
        elif layer.family == "line":
            colours = _colours(frame, "kind", KIND_COLOURS, "#555555")
            draw_lines(ax, metric[name], colours, linewidth=0.8 * layer.weight, zorder=zorder)
        else:
            draw_points(ax, metric[name], _colours(frame, "kind", KIND_COLOURS, "#777777"), size=60, zorder=zorder)


def _add_basemap(ax: Any, crs: CRS) -> None:
    try:
        import contextily
        import xyzservices.providers as xyz
    except ImportError:
        log.warning("basemap skipped: contextily/xyzservices are not installed (pip install contextily)")
        return
    try:
        contextily.add_basemap(ax, crs=crs.to_wkt(), source=xyz.OpenStreetMap.Mapnik, zorder=0, attribution_size=6)
    except Exception as exc:  # network unreachable, tile server refusing: the map prints without
        log.warning("basemap skipped: tiles could not be fetched (%s)", exc)


def render_page(layers: MapLayers, *, size: str = "A4", title: str | None = None, basemap: bool = False) -> PrintedMap:
    """Draw the printed map of ``layers`` on a landscape page (call inside :func:`page_style`).

    Parameters
    ----------
    layers
        What to draw (from :func:`zonemap.maps.collect_layers`).
    size
        ``"A4"`` or ``"A3"``.
    title
        Page title (default: the town's Chinese and English names).
    basemap
        Draw OpenStreetMap tiles under the data when contextily can fetch them.

    Returns
    -------
    PrintedMap
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w_mm, h_mm = PAGE_SIZES_MM[size]
    w_in, h_in = w_mm / MM_PER_INCH, h_mm / MM_PER_INCH
    k = w_mm / 297.0  # type sizes grow with the page
    fig = Figure(figsize=(w_in, h_in))
    FigureCanvasAgg(fig)  # text extents for placing labels; savefig picks the PDF canvas itself
    ax = fig.add_axes(_MAP_BOX)
    crs = local_metric_crs(_extent_geoms(layers))
    metric = _metric_layers(layers, crs)
    extent_m = to_metric(_extent_geoms(layers), crs)
    x0, x1, y0, y1 = _fit_extent(shapely.total_bounds(extent_m), w_in * _MAP_BOX[2], h_in * _MAP_BOX[3])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(1.0)
    ax.set_facecolor("#fbfbf8")
    status_fill = any(
        "figure_status" in (f := layers.layer(name)).columns and bool((f["figure_status"] != "none").any())
        for name, layer in LAYERS.items()
        if layer.status_fill
    )
    if basemap:
        _add_basemap(ax, crs)
    _draw_layers(ax, layers, metric, status_fill)
    bar = draw_scale_bar(ax, fontsize=8 * k)
    draw_north_arrow(ax, fontsize=11 * k)
    name = " ".join(p for p in (clean_text(layers.town_name_zh or layers.town), clean_text(layers.town_name_en)) if p)
    fig.text(0.025, 0.945, clean_text(title) if title else name, fontsize=20 * k, fontweight="bold", va="center")
    lon0, lat0 = _centre(layers)
    fig.text(
        0.025,
        0.905,
        f"{subtitle(layers)} · 横轴墨卡托投影 Transverse Mercator, GRS80 (CGCS2000), "
        f"centre {lon0:.4f}°E {lat0:.4f}°N: scale true at the map's centre",
        fontsize=8.5 * k,
        color="#333333",
        va="center",
    )
    view = shapely.box(x0, y0, x1, y1)
    in_view = {key: shapely.intersects(geoms, view) for key, geoms in metric.items()}
    draw_legend(fig.add_axes(_LEGEND_BOX), legend_entries(layers, status_fill, in_view), fontsize=8 * k)
    footer = wrap("来源与精度 Sources and accuracy — " + source_line(layers), int(235 * k), _FOOTER_LINES)
    fig.text(0.025, 0.066, "\n".join(footer), fontsize=6.5 * k, color="#333333", va="top", linespacing=1.3)
    fig.text(0.98, 0.945, "zonemap", fontsize=8 * k, color="#777777", ha="right", va="center")
    labels = draw_labels(ax, layers, metric, fontsize=8 * k)
    return PrintedMap(fig, ax, crs, bar, labels)


def page_style() -> AbstractContextManager[Any]:
    """The matplotlib settings printed maps are drawn under (use as a ``with`` block).

    Text in the CJK font found by :func:`~zonemap.printing.fonts.find_cjk_font` (DejaVu Sans
    for symbols it lacks), mathtext off so ``$...$`` in names is drawn literally, TrueType
    (Type 42) fonts embedded in PDFs so their text stays text.

    Returns
    -------
    contextlib.AbstractContextManager

    Raises
    ------
    MissingFontError
        No CJK font is installed.
    """
    import matplotlib

    font = find_cjk_font()
    return matplotlib.rc_context(
        {
            "font.family": [font.family, "DejaVu Sans"],
            "text.parse_math": False,
            "text.usetex": False,
            "pdf.fonttype": 42,
            "axes.unicode_minus": False,
        }
    )


def _format(out: Path, fmt: str | None) -> str:
    chosen = (fmt or out.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise ConfigError(
            f"{out}: cannot print to format {chosen or '(none)'!r} "
            f"(fix: --format png or pdf, or a file name ending in .png/.pdf)"
        )
    return chosen


def print_map(
    source: Config | Project,
    town: str,
    out: Path | str,
    *,
    fmt: Literal["png", "pdf"] | None = None,
    size: Literal["A4", "A3"] = "A4",
    dpi: int = 200,
    title: str | None = None,
    reconciliation: pd.DataFrame | None = None,
    basemap: bool = False,
) -> Path:
    """Print a town's map to a PNG or PDF page, atomically.

    Parameters
    ----------
    source
        The loaded project (or a config to load it from).
    town
        Town id.
    out
        Output file.
    fmt
        ``"png"`` or ``"pdf"`` (vector); default from the suffix of ``out``.
    size
        Landscape ``"A4"`` (297 × 210 mm) or ``"A3"`` (420 × 297 mm).
    dpi
        Resolution of a PNG (50–1200).
    title
        Page title (default: the town's names, Chinese and English).
    reconciliation
        The reconciliation table (:func:`zonemap.report.figures_for_maps`): parcels are filled by
        status and zones outlined by it when given.
    basemap
        Draw OpenStreetMap tiles under the data when contextily is installed and the tiles are
        reachable; otherwise a warning is logged and the map prints without.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    MissingFontError
        No CJK font is installed, or a character of the text has no glyph in the fonts.
    ConfigError
        Unknown format or size, dpi out of range, nothing to print.
    """
    out = Path(out)
    chosen = _format(out, fmt)
    if size not in PAGE_SIZES_MM:
        raise ConfigError(f"page size {size!r} is not known (fix: --size {' or '.join(PAGE_SIZES_MM)})")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 50 <= dpi <= 1200:
        raise ConfigError(f"dpi {dpi!r} is out of range (fix: --dpi between 50 and 1200, e.g. 200)")
    style = page_style()  # before any work: no CJK font, no map
    layers = collect_layers(as_project(source), town, reconciliation)
    with style, atomic_write(out, "wb") as fh, glyph_warnings_as_error(str(out)):
        # the glyph check closes first: a missing character removes the temporary file, not the output
        page = render_page(layers, size=size, title=title, basemap=basemap)
        meta = (
            {
                "Title": clean_text(title) if title else f"{layers.town_name_zh} {layers.town_name_en}",
                "Creator": "zonemap",
            }
            if chosen == "pdf"
            else {"Software": "zonemap"}
        )
        page.figure.savefig(fh, format=chosen, dpi=dpi, metadata=meta)
    log.info("printed %s (%s %s, %d names)", out, size, chosen, page.labels)
    return out
