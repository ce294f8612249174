"""Scale bar and north arrow of a printed map drawn in a local transverse Mercator projection.

The map is drawn in :func:`zonemap.crs.local_metric_crs` (``+proj=tmerc``, scale factor 1 on
its central meridian through the centre of the data), so one data unit is one metre on the
ground there: a bar ``L`` data units long is ``L`` metres, true at the map's latitude (the
scale factor grows as ``1 + x²/2R²`` off the meridian: 1.2e-6 at 10 km). Grid north is true
north on the central meridian; the meridian convergence across a town (< 0.1°) is not drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["ScaleBar", "draw_north_arrow", "draw_scale_bar", "nice_length"]


@dataclass(frozen=True)
class ScaleBar:
    """Where a scale bar was drawn: data coordinates (metres of the map's projection)."""

    x0: float
    x1: float
    y: float
    length_m: float
    label: str


def nice_length(max_m: float) -> float:
    """The longest 1, 2 or 5 × 10^k metres not over ``max_m``.

    Parameters
    ----------
    max_m
        Upper bound in metres (> 0).

    Returns
    -------
    float
        The bar length in metres.
    """
    if not max_m > 0 or not math.isfinite(max_m):
        raise ValueError(f"scale bar bound must be a positive length, got {max_m!r}")
    power = 10.0 ** math.floor(math.log10(max_m))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= max_m)


def _label(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def draw_scale_bar(
    ax: Any,
    *,
    fraction: float = 0.25,
    x_axes: float = 0.04,
    y_axes: float = 0.045,
    segments: int = 4,
    fontsize: float = 8.0,
) -> ScaleBar:
    """Draw an alternating black-and-white scale bar in the lower left of ``ax``.

    Parameters
    ----------
    ax
        A matplotlib axes whose data units are metres (equal aspect), limits already set.
    fraction
        Longest share of the axes width the bar may take.
    x_axes, y_axes
        The bar's left end, in axes fractions.
    segments
        Number of alternating boxes.
    fontsize
        Label size in points.

    Returns
    -------
    ScaleBar
        The bar's ends and length in data units (= metres).
    """
    from matplotlib.patches import Rectangle

    (xmin, xmax), (ymin, ymax) = ax.get_xlim(), ax.get_ylim()
    length = nice_length((xmax - xmin) * fraction)
    x0 = xmin + (xmax - xmin) * x_axes
    y = ymin + (ymax - ymin) * y_axes
    height = (ymax - ymin) * 0.012
    step = length / segments
    ax.add_patch(
        Rectangle(
            (x0 - step * 0.15, y - height * 1.2),
            length + step * 0.3 + step * 0.9,
            height * 5.2,
            facecolor="white",
            edgecolor="none",
            alpha=0.8,
            zorder=20,
        )
    )
    for i in range(segments):
        ax.add_patch(
            Rectangle(
                (x0 + i * step, y),
                step,
                height,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=21,
            )
        )
    for value in (0.0, length / 2, length):
        ax.text(
            x0 + value,
            y + height * 1.6,
            _label(value) if value else "0",
            ha="center",
            va="bottom",
            fontsize=fontsize,
            zorder=22,
        )
    label = _label(length)
    return ScaleBar(x0, x0 + length, y, length, label)


def draw_north_arrow(
    ax: Any, *, x_axes: float = 0.955, y_axes: float = 0.88, size_axes: float = 0.07, fontsize: float = 11.0
) -> None:
    """Draw a north arrow (grid north of the map's projection = true north at its centre).

    Parameters
    ----------
    ax
        The map axes.
    x_axes, y_axes
        The arrow's tail, in axes fractions.
    size_axes
        Arrow length, in axes heights.
    fontsize
        Size of the "N 北" label in points.
    """
    ax.annotate(
        "",
        xy=(x_axes, y_axes + size_axes),
        xytext=(x_axes, y_axes),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=0.9", "color": "black", "lw": 2.2},
        zorder=22,
    )
    ax.text(
        x_axes,
        y_axes + size_axes + 0.012,
        "N 北",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        fontweight="bold",
        zorder=22,
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
    )
