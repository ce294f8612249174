"""The HTML reconciliation page a planner reads at a glance: headline first, chart, tinted rows, on a phone too."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from test_report import EVIL
from test_report import result as _result

from zonemap.reconcile import Reconciliation
from zonemap.report import to_html, write_reports
from zonemap.schema import FIGURE_STATUSES

result = _result  # the two-figure reconciliation of test_report, as a fixture here


class Page(HTMLParser):
    """Start tags in document order with their attributes, and the text inside each SVG ``<text>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self._in_text = False
        self.headline = ""
        self._in_headline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_text = tag == "text"
        self._in_headline = tag == "p" and ("class", "headline") in attrs

    def handle_endtag(self, tag: str) -> None:
        self._in_text = self._in_headline = False

    def handle_data(self, data: str) -> None:
        if self._in_text:
            self.texts.append(data)
        if self._in_headline:
            self.headline += data


def parse(page: str) -> Page:
    p = Page()
    p.feed(page)
    return p


def symlog(p: float) -> float:
    """The axis written out: sign(p) · log10(1 + |p| / 1 %)."""
    return math.copysign(math.log10(1 + abs(p) / 1.0), p)


def expected_x(p: float, top: float, left: float, right: float) -> float:
    """Where a relative difference p (%) lies on an axis from −100 % to ``top`` drawn from ``left`` to ``right``."""
    return left + (symlog(p) - symlog(-100.0)) / (symlog(top) - symlog(-100.0)) * (right - left)


def pct_attr(value: str) -> float:
    assert value.endswith("%"), value
    return float(value[:-1])


def test_headline_and_chips_come_before_the_chart_and_the_table(result: Reconciliation) -> None:
    page = parse(to_html(result))
    order = [t for t, _ in page.tags]
    assert order.index("p") < order.index("svg") < order.index("table")
    assert page.headline.startswith("2 figure(s): ")
    chips = [a for t, a in page.tags if t == "li" and a.get("class") == "chip"]
    statuses = result.figures["status"].value_counts()
    assert len(chips) == len(statuses)
    colours = {FIGURE_STATUSES[w].colour for w in statuses.index}
    assert {re.search(r"--c:(#[0-9a-f]{6})", a["style"]).group(1) for a in chips} == colours


def test_every_status_row_is_tinted_and_headers_are_bilingual(result: Reconciliation) -> None:
    html_page = to_html(result)
    page = parse(html_page)
    rows = [a for t, a in page.tags if t == "tr" and "style" in a]
    n_figs, n_checks = len(result.figures), len(result.checks)
    assert len(rows) == n_figs + n_checks
    want = [FIGURE_STATUSES[s].colour for s in result.figures["status"]]
    want += [FIGURE_STATUSES["agrees" if ok else "disagrees"].colour for ok in result.checks["passed"]]
    assert [a["style"] for a in rows] == [f"--c:{c}" for c in want]
    for header in ("编号 figure", "文件数 stated", "量算 measured", "状态 status", "检查 check", "通过 passed"):
        assert f"<th>{header}</th>" in html_page
    assert "一致 agrees" in html_page
    # provenance collapsed: quotes and sources inside <details>
    details = html_page.split("<details>")
    assert len(details) == n_figs + 1 and all("</details>" in d for d in details[1:])
    assert all("test.txt" not in d.split("</details>")[1] for d in details[1:])


def test_the_chart_puts_each_figure_where_the_numbers_say(result: Reconciliation) -> None:
    # make the two figures differ: +486 % and −2 %, as in the bundled data
    f = result.figures.copy()
    f.loc[0, "measured_m2"] = f.loc[0, "stated_m2"] * 5.86
    f.loc[1, "measured_m2"] = f.loc[1, "stated_m2"] * 0.98
    f["area_inner_m2"] = np.maximum(f["measured_m2"] - 1000.0, 0.0)
    f["area_outer_m2"] = f["measured_m2"] + 1000.0
    page = parse(to_html(Reconciliation(f, result.checks)))
    svg = next(a for t, a in page.tags if t == "svg")
    axis = next(a for t, a in page.tags if t == "line" and a.get("class") == "axis")
    left, right = pct_attr(axis["x1"]), pct_attr(axis["x2"])
    stated, measured = f["stated_m2"].to_numpy(), f["measured_m2"].to_numpy()
    pct = (measured - stated) / stated * 100.0
    np.testing.assert_allclose(pct, [486.0, -2.0], rtol=1e-9)
    outer = (f["area_outer_m2"].to_numpy() - stated) / stated * 100.0
    top = 10 ** math.ceil(math.log10(max(100.0, *pct, *outer)))  # the smallest power of ten holding every mark
    assert top == 1000 and float(svg["data-axis-top"]) == top
    dots = [a for t, a in page.tags if t == "circle" and a.get("class") == "measured"]
    assert len(dots) == len(f)  # one mark per figure
    xs = [pct_attr(a["cx"]) for a in dots]
    np.testing.assert_allclose(xs, [expected_x(p, top, left, right) for p in pct], atol=0.006)
    stated_marks = [a for t, a in page.tags if t == "line" and a.get("class") == "stated"]
    assert len(stated_marks) == len(f)
    np.testing.assert_allclose([pct_attr(a["x1"]) for a in stated_marks], expected_x(0.0, top, left, right), atol=0.006)
    # −2 % reads: left of the stated mark by more than a dot's width on a 360 px chart
    assert (expected_x(0.0, top, left, right) - xs[1]) / 100 * 360 > 11
    # the labels show the data as text: the subject's <img> is in a label, never an element
    assert any(EVIL[:8] in t for t in page.texts) and "img" not in {t for t, _ in page.tags}
    assert any("+486.0 %" in t for t in page.texts) and any("−2.0 %" in t for t in page.texts)


@pytest.mark.browser
def test_the_bundled_page_fits_a_phone_and_a_desktop(browser, tmp_path: Path) -> None:
    from zonemap.config import default_config
    from zonemap.reconcile import reconcile_towns

    res = reconcile_towns(default_config())
    (path,) = write_reports(res, tmp_path, ["html"])
    n_figs = len(res.figures)
    for width, height in ((390, 844), (1400, 900)):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(path.as_uri())
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll_width <= width, f"{scroll_width} px wide at {width} px"
        dots = page.evaluate(
            """() => [...document.querySelectorAll('circle.measured')].map(c => {
                 const r = c.getBoundingClientRect(), s = c.ownerSVGElement.getBoundingClientRect();
                 return [r.left + r.width / 2 - s.left, s.width]; })"""
        )
        assert len(dots) == int(res.figures["measured_m2"].notna().sum())
        assert all(0 <= x <= w for x, w in dots)
        # nothing the data says sticks out of the chart: every label ends inside it
        overflow = page.evaluate(
            """() => { const s = document.querySelector('svg.chart').getBoundingClientRect();
                 return [...document.querySelectorAll('svg.chart text')]
                   .filter(t => t.getBoundingClientRect().right > s.right + 0.5).map(t => t.textContent); }"""
        )
        assert overflow == []
        top = page.evaluate("document.querySelector('svg.chart').getBoundingClientRect().top + scrollY")
        assert top < height  # the chart starts on the first screen
        rows = page.evaluate("document.querySelectorAll('table.figures > tbody > tr').length")
        assert rows == n_figs
        page.screenshot(path=str(tmp_path / f"reconciliation_{width}x{height}.png"), full_page=True)
        page.close()
