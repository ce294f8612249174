"""The stated-vs-measured chart of the HTML report: one inline SVG, one row per figure.

Every figure shares one axis, the relative difference ``(area - stated) / stated`` in per cent, on a
symmetric log scale (linear within ±:data:`LINEAR_PCT`, logarithmic beyond) so that +486 % and −2 %
both read. The axis runs from −100 % (an area cannot be negative) to the smallest power of ten
(at least 100 %) that holds every mark. Each row draws the stated value (always at 0), its precision
band (± ``band_m2``), the measured area as a dot in the status colour and the geometry's bounds
(``area_inner_m2`` to ``area_outer_m2``) as a whisker. Horizontal positions are percentages of the
chart's width, so it fills any screen with its text at its own size.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from rich.cells import cell_len

from ..reconcile import Reconciliation
from ..schema import FIGURE_STATUSES

__all__ = ["AXIS_LEFT_PCT", "AXIS_RIGHT_PCT", "LINEAR_PCT", "MAX_CHART_ROWS", "axis_x", "chart_svg", "symlog"]

#: Half-width of the linear part of the symmetric log axis, in per cent.
LINEAR_PCT = 1.0
#: Where the axis starts and ends, in per cent of the chart's width.
AXIS_LEFT_PCT = 2.0
AXIS_RIGHT_PCT = 98.0
#: At most this many figures are drawn (failing first); the table below has every row.
MAX_CHART_ROWS = 60

_ROW_H = 44
_TOP = 8
_AXIS_H = 34
_LABEL_COLS = 48  # display columns of a row's label (CJK counts 2): fits a 390 px phone at 12 px
_NARROW_PX = 360.0  # the narrowest chart the tick labels must fit (a 390 px phone)
_TICK_CHAR_PX = 7.4  # width of a tick label character at 11 px
_TICK_GAP_PX = 10.0
_FALLBACK = "#777777"


def symlog(pct: np.ndarray | float) -> np.ndarray:
    """``sign(p) · log10(1 + |p| / LINEAR_PCT)``: the axis position of a relative difference ``p`` in %."""
    p = np.asarray(pct, dtype=float)
    return np.sign(p) * np.log10(1.0 + np.abs(p) / LINEAR_PCT)


def _axis_top(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    top = max(100.0, float(finite.max())) if finite.size else 100.0
    return float(10.0 ** np.ceil(np.log10(top)))


def axis_x(pct: np.ndarray | float, top_pct: float) -> np.ndarray:
    """Horizontal position (% of the chart width) of a relative difference on an axis from −100 % to ``top_pct``."""
    lo, hi = symlog(-100.0), symlog(top_pct)
    p = np.clip(np.asarray(pct, dtype=float), -100.0, top_pct)
    return AXIS_LEFT_PCT + (symlog(p) - lo) / (hi - lo) * (AXIS_RIGHT_PCT - AXIS_LEFT_PCT)


def _pct(area: pd.Series, stated: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (area.to_numpy(dtype=float) - stated) / stated * 100.0


def _fit(text: str, cols: int) -> str:
    """``text`` cut to ``cols`` display columns with an ellipsis (CJK characters count two)."""
    if cell_len(text) <= cols:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > cols - 1:
            break
        out += ch
    return out + "…"


def _tick_text(p: float) -> str:
    return "0" if p == 0 else f"{p:+.0f}%".replace("-", "−")


def _ticks(top: float) -> list[tuple[float, float, bool]]:
    """``(pct, x, labelled)`` of the ticks: 0, ±1, ±10, ±100 and each power of ten up to ``top``.

    A tick is labelled when its text keeps :data:`_TICK_GAP_PX` from every label already placed on a
    chart :data:`_NARROW_PX` wide, in the order 0, the axis ends, then the larger powers first.
    """
    powers = 10.0 ** np.arange(0, round(float(np.log10(top))) + 1)
    pcts = np.concatenate([-powers[powers <= 100][::-1], [0.0], powers])
    xs = axis_x(pcts, top)
    width = np.array([len(_tick_text(p)) for p in pcts.tolist()]) * _TICK_CHAR_PX / _NARROW_PX * 100.0
    left = np.where(xs <= AXIS_LEFT_PCT, xs, np.where(xs >= AXIS_RIGHT_PCT, xs - width, xs - width / 2))
    right = left + width
    gap = _TICK_GAP_PX / _NARROW_PX * 100.0
    zero = int(np.flatnonzero(pcts == 0)[0])
    first = [zero, 0, len(pcts) - 1]
    rest = sorted(set(range(len(pcts))) - set(first), key=lambda i: -abs(pcts[i]))
    priority = [*first, *rest]
    kept: list[int] = []
    for i in priority:
        if all(left[i] >= right[j] + gap or right[i] + gap <= left[j] for j in kept):
            kept.append(i)
    labelled = np.isin(np.arange(len(pcts)), kept)
    return list(zip(pcts.tolist(), xs.tolist(), labelled.tolist(), strict=True))


def _f(x: float) -> str:
    return f"{x:.2f}%"


def chart_svg(result: Reconciliation, people: pd.DataFrame) -> str:
    """The inline SVG chart, or ``""`` when no figure has a stated area.

    Parameters
    ----------
    result
        The reconciliation (numbers at full precision).
    people
        :func:`~zonemap.report.display_figures` of ``result`` (the texts the labels show).
    """
    f = result.figures.reset_index(drop=True)
    if f.empty:
        return ""
    failing = f["status"].map(lambda s: FIGURE_STATUSES[s].fails_strict if s in FIGURE_STATUSES else False)
    order = np.argsort(~failing.to_numpy(dtype=bool), kind="stable")[:MAX_CHART_ROWS]
    f, people = f.iloc[order].reset_index(drop=True), people.iloc[order].reset_index(drop=True)
    stated = f["stated_m2"].to_numpy(dtype=float)
    measured = _pct(f["measured_m2"], stated)
    inner, outer = _pct(f["area_inner_m2"], stated), _pct(f["area_outer_m2"], stated)
    band = f["band_m2"].to_numpy(dtype=float) / stated * 100.0
    top = _axis_top(np.concatenate([measured, outer, band]))
    x = {name: axis_x(v, top) for name, v in (("m", measured), ("i", inner), ("o", outer), ("b", band))}
    x_band_lo = axis_x(-band, top)
    x0 = float(axis_x(0.0, top))
    height = _TOP + _ROW_H * len(f) + _AXIS_H
    rows = []
    names = f["subject_name"].astype(object).where(f["subject_name"].notna(), f["subject"]).astype(str)
    for i in range(len(f)):
        st = FIGURE_STATUSES.get(str(f.at[i, "status"]))
        colour = st.colour if st else _FALLBACK
        y = _TOP + _ROW_H * i
        yt = y + 30
        name = names.iat[i].split(" / ")[0].strip() or str(f.at[i, "subject"])
        has_m = bool(np.isfinite(measured[i]))
        tail = str(people.at[i, "stated"])
        if has_m:
            tail += f" → {people.at[i, 'measured']} ({measured[i]:+,.1f} %)".replace("-", "−")
        label = _fit(name, max(_LABEL_COLS - cell_len(tail) - 2, 8)) + "  " + tail
        fid = html.escape(str(people.at[i, "figure"]))
        parts = [
            f'<g class="row" data-figure="{fid}"><rect class="tint" x="0" y="{y + 2}" width="100%" '
            f'height="{_ROW_H - 4}" fill="{colour}" fill-opacity="0.08"/>',
            f'<text class="lbl" x="{_f(AXIS_LEFT_PCT)}" y="{y + 16}">{html.escape(label)}</text>',
            f'<line class="track" x1="{_f(AXIS_LEFT_PCT)}" x2="{_f(AXIS_RIGHT_PCT)}" y1="{yt}" y2="{yt}"/>',
        ]
        if np.isfinite(band[i]):
            lo_b, hi_b = float(x_band_lo[i]), float(x["b"][i])
            parts.append(
                f'<rect class="band" x="{_f(lo_b)}" y="{yt - 6}" width="{_f(max(hi_b - lo_b, 0.0))}" height="12"/>'
            )
        parts.append(f'<line class="stated" x1="{_f(x0)}" x2="{_f(x0)}" y1="{yt - 9}" y2="{yt + 9}"/>')
        if has_m:
            xi, xo, xm = float(x["i"][i]), float(x["o"][i]), float(x["m"][i])
            if np.isfinite(inner[i]) and np.isfinite(outer[i]):
                parts.append(
                    f'<line class="whisker" x1="{_f(xi)}" x2="{_f(xo)}" y1="{yt}" y2="{yt}" stroke="{colour}"/>'
                    f'<line class="cap" x1="{_f(xi)}" x2="{_f(xi)}" y1="{yt - 5}" y2="{yt + 5}" stroke="{colour}"/>'
                    f'<line class="cap" x1="{_f(xo)}" x2="{_f(xo)}" y1="{yt - 5}" y2="{yt + 5}" stroke="{colour}"/>'
                )
            tip = f"{people.at[i, 'figure']}: {people.at[i, 'measured']} ({people.at[i, 'status']})"
            parts.append(
                f'<circle class="measured" cx="{_f(xm)}" cy="{yt}" r="5.5" fill="{colour}">'
                f"<title>{html.escape(tip)}</title></circle>"
            )
        else:
            xn = max(x0, float(x["b"][i]) if np.isfinite(band[i]) else x0) + 1.5
            anchor = "start" if xn < 60 else "end"
            xn = xn if xn < 60 else float(x_band_lo[i]) - 1.5
            parts.append(
                f'<text class="note" x="{_f(xn)}" y="{yt + 4}" fill="{colour}" text-anchor="{anchor}">'
                "无自身图形 no own polygon</text>"
            )
        rows.append("".join(parts) + "</g>")
    ya = _TOP + _ROW_H * len(f) + 4
    axis = [f'<line class="axis" x1="{_f(AXIS_LEFT_PCT)}" x2="{_f(AXIS_RIGHT_PCT)}" y1="{ya}" y2="{ya}"/>']
    for p, xt, labelled in _ticks(top):
        grid = "zero" if p == 0 else "grid"
        axis.append(f'<line class="{grid}" x1="{_f(xt)}" x2="{_f(xt)}" y1="{_TOP}" y2="{ya + 4}"/>')
        if labelled:
            anchor = "start" if xt <= AXIS_LEFT_PCT else "end" if xt >= AXIS_RIGHT_PCT else "middle"
            axis.append(f'<text class="tick" x="{_f(xt)}" y="{ya + 18}" text-anchor="{anchor}">{_tick_text(p)}</text>')
    shown = "" if len(order) == len(result.figures) else f" ({len(order)} of {len(result.figures)}, failing first)"
    title = f"文件数与量算面积对比 stated vs measured{shown}"
    return (
        f'<svg class="chart" role="img" width="100%" height="{height}" '
        f'data-axis-top="{top:g}"><title>{html.escape(title)}</title>{"".join(axis)}{"".join(rows)}</svg>'
    )
