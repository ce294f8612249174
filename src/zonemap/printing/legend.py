"""Legend, labels and the source-and-accuracy line of a printed map."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from ..maps import MapLayers
from ..schema import LAYERS
from ._style import KIND_COLOURS, KIND_LABELS, STATUS_COLOURS, STATUS_LABELS

__all__ = [
    "LEGEND_WIDTH",
    "MAX_LABELS",
    "clean_text",
    "draw_labels",
    "draw_legend",
    "legend_entries",
    "source_line",
    "subtitle",
]

#: Legend labels wrap at this many columns, a Chinese character counting two (two lines at most).
LEGEND_WIDTH = 36
#: At most this many feature names are drawn (largest zones and parcels first, then places).
MAX_LABELS = 120

#: Corners of the map frame no name is drawn over (axes fractions x0, y0, x1, y1): scale bar, north arrow.
RESERVED_AXES_BOXES = ((0.0, 0.0, 0.32, 0.13), (0.9, 0.78, 1.0, 1.0))

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: object) -> str:
    """Data text as drawn: control and bidirectional-override characters become spaces.

    Text is drawn with mathtext off (``text.parse_math = False``), so ``$...$``, backslashes
    and braces appear literally.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return _CONTROL.sub(" ", str(value)).strip()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int, max_lines: int | None = None) -> list[str]:
    """Break text into lines of at most ``width`` columns, Chinese characters counting two.

    Breaks at spaces where it can, anywhere between wide characters otherwise; a line cut by
    ``max_lines`` ends with "…".

    Parameters
    ----------
    text
        Plain text.
    width
        Columns per line (>= 4).
    max_lines
        Keep at most this many lines.

    Returns
    -------
    list of str
    """
    lines: list[str] = []
    line = ""
    for word in re.findall(r"\S+\s*", text):
        while word:
            room = width - _width(line)
            if _width(word.rstrip()) <= room:
                line, word = line + word, ""
            elif line and _width(word.rstrip()) <= width and not re.match(r"[^\x00-\u2e7f]", word):
                lines.append(line.rstrip())
                line = ""
            else:  # too long for any line, or Chinese text: cut at the column limit
                cut = 0
                while cut < len(word) and _width(word[: cut + 1]) <= room:
                    cut += 1
                if cut == 0:  # not even one character fits: a new line (or one character per line)
                    if line:
                        lines.append(line.rstrip())
                        line = ""
                        continue
                    cut = 1
                line += word[:cut]
                word = word[cut:]
                lines.append(line.rstrip())
                line = ""
    if line.strip():
        lines.append(line.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _width(last) > width - 2:
            last = last[:-1]
        lines[-1] = last.rstrip() + " …"
    return lines


def _section(title: str) -> tuple[Any, str]:
    from matplotlib.patches import Patch

    return Patch(visible=False), title


def _seen(frame: pd.DataFrame | None, key: str, in_view: Mapping[str, NDArray[np.bool_]] | None) -> pd.DataFrame:
    if frame is None or not len(frame):
        return pd.DataFrame(columns=list(frame.columns) if frame is not None else [])
    if in_view is None or key not in in_view:
        return frame
    return frame[np.asarray(in_view[key], dtype=bool)]


def legend_entries(
    layers: MapLayers, status_fill: bool, in_view: Mapping[str, NDArray[np.bool_]] | None = None
) -> list[tuple[Any, str]]:
    """The legend's (handle, label) pairs: kinds, statuses, ring bands, Shenzhen, outline.

    Parameters
    ----------
    layers
        What the map draws.
    status_fill
        Whether parcels are filled by reconciliation status.
    in_view
        Layer key (``zones``, ``rings``, ``shenzhen``...) to a mask of its features inside the
        map frame; only what can be seen is explained. ``None``: everything.

    Returns
    -------
    list of tuple
        Section titles are invisible handles (drawn bold by :func:`draw_legend`).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    out: list[tuple[Any, str]] = [_section("类型 Kind")]
    for key, layer in LAYERS.items():
        frame = _seen(layers.layer(key), key, in_view)
        if not len(frame):
            continue
        for kind in pd.unique(frame["kind"].astype(str)):
            colour = KIND_COLOURS.get(kind, "#777777")
            handle: Any
            if layer.family == "line":
                handle = Line2D([], [], color=colour, linewidth=2.2)
            elif layer.family == "point":
                handle = Line2D(
                    [], [], marker="o", linestyle="none", markerfacecolor=colour, markeredgecolor="white", markersize=8
                )
            elif layer.status_fill and status_fill:
                continue
            else:
                handle = Patch(facecolor=colour, alpha=max(layer.fill_opacity, 0.3), edgecolor=colour)
            out.append((handle, KIND_LABELS.get(kind, clean_text(kind))))
    shown = [_seen(layers.layer(key), key, in_view) for key, layer in LAYERS.items() if layer.polygonal]
    statuses = pd.unique(
        pd.concat(
            [f["figure_status"] for f in shown if "figure_status" in f.columns and len(f)] or [pd.Series(dtype=object)]
        )
    )
    if any(s != "none" for s in statuses):  # no figures: nothing to say about them
        out.append(_section("面积对账 Stated vs measured area"))
        for status in [s for s in STATUS_COLOURS if s in set(statuses)]:
            colour = STATUS_COLOURS[status]
            handle = (
                Patch(facecolor=colour, alpha=0.45, edgecolor=colour, linewidth=1.5)
                if status_fill
                else Patch(facecolor="none", edgecolor=colour, linewidth=2)
            )
            out.append((handle, STATUS_LABELS.get(status, status)))
    rings = _seen(layers.rings, "rings", in_view)
    if len(rings):
        for _set, group in rings.groupby("ring_set", sort=False):
            first = group.iloc[0]
            out.append(_section(clean_text(f"{first['ring_set_name_zh']} {first['ring_set_name_en']}")))
            for zh, en, colour in zip(group["name_zh"], group["name_en"], group["colour"], strict=True):
                out.append(
                    (
                        Patch(facecolor=colour, alpha=0.3, edgecolor=colour),
                        clean_text(f"{clean_text(zh)} {clean_text(en)}"),
                    )
                )
    context = []
    shenzhen = _seen(layers.shenzhen, "shenzhen", in_view)
    if len(shenzhen) and (shenzhen["kind"] == "city").any():
        context.append(
            (
                Line2D([], [], color=KIND_COLOURS["city"], linewidth=2, linestyle=(0, (6, 3))),
                "深圳市界 Shenzhen boundary",
            )
        )
    if len(_seen(layers.outline, "outline", in_view)):
        context.append(
            (
                Line2D([], [], color=KIND_COLOURS["outline"], linewidth=1.8, linestyle=(0, (5, 2.5))),
                "镇街界 Town outline",
            )
        )
    if context:
        out += [_section("边界 Boundaries"), *context]
    # a section whose entries all moved elsewhere (parcels filled by status) is dropped
    return [e for i, e in enumerate(out) if e[0].get_visible() or (i + 1 < len(out) and out[i + 1][0].get_visible())]


def draw_legend(ax: Any, entries: Sequence[tuple[Any, str]], fontsize: float) -> Any:
    """Draw the legend in its own (axis-less) panel, section titles in bold.

    Parameters
    ----------
    ax
        The legend panel.
    entries
        From :func:`legend_entries`.
    fontsize
        Entry size in points.

    Returns
    -------
    matplotlib.legend.Legend
    """
    ax.set_axis_off()
    handles = [h for h, _ in entries]
    labels = ["\n".join(wrap(lab, LEGEND_WIDTH, max_lines=2)) or " " for _, lab in entries]
    leg = ax.legend(
        handles,
        labels,
        loc="upper left",
        frameon=False,
        fontsize=fontsize,
        handlelength=1.8,
        handleheight=1.0,
        borderaxespad=0.0,
        labelspacing=0.45,
        title="图例 Legend",
        title_fontproperties={"weight": "bold", "size": fontsize * 1.25},
    )
    leg._legend_box.align = "left"  # section titles flush with the entries
    for handle, text in zip(handles, leg.get_texts(), strict=True):
        if not handle.get_visible():
            text.set_fontweight("bold")
            text.set_x(-28)
    return leg


def _candidates(layers: MapLayers, metric: dict[str, Any]) -> list[tuple[str, str, float, float]]:
    """(layer, name, x, y) of the names to try, best first, at most :data:`MAX_LABELS`."""
    out: list[tuple[str, str, float, float]] = []
    for key in (name for name, layer in LAYERS.items() if layer.family != "line"):
        frame, geoms = layers.layer(key), metric.get(key)
        if geoms is None or not len(frame):
            continue
        names = frame["name_zh"].fillna("").astype(str).to_numpy()
        order = np.argsort(-shapely.area(geoms), kind="stable")[: MAX_LABELS - len(out)]
        anchors = shapely.get_coordinates(shapely.point_on_surface(geoms[order]))
        out += [
            (key, clean_text(n), float(x), float(y))
            for n, (x, y) in zip(names[order], anchors, strict=True)
            if clean_text(n)
        ]
    return out[:MAX_LABELS]


def draw_labels(ax: Any, layers: MapLayers, metric: dict[str, Any], fontsize: float) -> int:
    """Draw feature names (Chinese) that fit without overlapping each other.

    Parameters
    ----------
    ax
        The map axes (limits set).
    layers
        The features.
    metric
        Layer key to its geometries in the map's projection.
    fontsize
        Base size in points (zone names 1.15×, places 0.9×).

    Returns
    -------
    int
        Number of names drawn.
    """
    from matplotlib import patheffects
    from matplotlib.transforms import Bbox

    renderer = ax.figure.canvas.get_renderer()
    axes_box = ax.get_window_extent(renderer)
    halo = [patheffects.withStroke(linewidth=2.8, foreground="white")]
    # the scale bar (lower left) and north arrow (upper right) keep their corners
    placed: list[Any] = [
        Bbox.from_extents(*ax.transAxes.transform((x0, y0)), *ax.transAxes.transform((x1, y1)))
        for x0, y0, x1, y1 in RESERVED_AXES_BOXES
    ]
    scale = {"zones": 1.15, "parcels": 1.0, "places": 0.9}
    for key, name, x, y in _candidates(layers, metric):
        kw: dict[str, Any] = {"ha": "center", "va": "center"}
        if key == "places":
            kw = {"ha": "left", "va": "center", "xytext": (6, 0), "textcoords": "offset points"}
        text = ax.annotate(
            name,
            (x, y),
            fontsize=fontsize * scale[key],
            zorder=30,
            path_effects=halo,
            fontweight="bold" if key == "zones" else "normal",
            annotation_clip=True,
            **kw,
        )
        box = text.get_window_extent(renderer).expanded(1.05, 1.15)
        inside = box.x0 >= axes_box.x0 and box.x1 <= axes_box.x1 and box.y0 >= axes_box.y0 and box.y1 <= axes_box.y1
        if not inside or any(box.overlaps(b) for b in placed):
            text.remove()
            continue
        placed.append(box)
    return len(placed) - len(RESERVED_AXES_BOXES)


def subtitle(layers: MapLayers) -> str:
    """What the map shows, e.g. ``产业区、地块 Zones, parcels``, from the layers drawn."""
    drawn = [(layers.layer(name), layer.label_zh, layer.label_en.lower()) for name, layer in LAYERS.items()]
    shown = [
        (zh, en) for frame, zh, en in (*drawn, (layers.rings, "圈层", "rings")) if frame is not None and len(frame)
    ]
    if not shown:
        return ""
    return "、".join(zh for zh, _ in shown) + " " + ", ".join(en for _, en in shown).capitalize()


def source_line(layers: MapLayers) -> str:
    """The source-and-accuracy line: accuracy range, reference layer, Shenzhen, geometry sources.

    The short facts come first so that a long list of sources cut at the page's end loses
    only sources.

    Parameters
    ----------
    layers
        What the map draws.

    Returns
    -------
    str
        Plain text (drawn literally).
    """
    frames = [f for f in (layers.zones, layers.parcels, layers.places, layers.lines) if len(f)]
    parts, sources = [], []
    if frames:
        data = pd.concat([f[["geometry_source", "accuracy_m"]] for f in frames], ignore_index=True)
        sources = [s for s in (clean_text(v) for v in pd.unique(data["geometry_source"].dropna().astype(str))) if s]
        acc = pd.to_numeric(data["accuracy_m"], errors="coerce").dropna()
        if len(acc):
            lo, hi = float(acc.min()), float(acc.max())
            parts.append(
                f"几何精度 Geometry accuracy ±{lo:g} m" if lo == hi else f"几何精度 Geometry accuracy ±{lo:g}–{hi:g} m"
            )
    if layers.outline is not None and len(layers.outline):
        src = clean_text(layers.outline["geometry_source"].iloc[0]) if "geometry_source" in layers.outline else ""
        parts.append(
            f"镇街界 Town outline: {src}"
            if "reference layer" in src
            else f"镇街界 Town outline: reference layer{f' ({src})' if src else ''}"
        )
    if layers.shenzhen is not None and len(layers.shenzhen):
        sz = layers.shenzhen[layers.shenzhen["kind"] == "city"]  # the districts are not drawn
        src = "; ".join(clean_text(s) for s in pd.unique(sz["geometry_source"].dropna().astype(str)))
        acc = pd.to_numeric(sz["accuracy_m"], errors="coerce").dropna() if "accuracy_m" in sz else pd.Series()
        parts.append(f"深圳界 Shenzhen boundary: {src}" + (f", ±{float(acc.max()):g} m" if len(acc) else ""))
    if frames:
        parts.append("几何来源 Geometry source: " + ("; ".join(sources) or "not stated"))
    return " · ".join(parts)
