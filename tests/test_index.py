"""index.html links what the build wrote, relative to the index itself, for any --out; every page is offline."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner

from zonemap.cli import main
from zonemap.maps._html import index_href


@pytest.mark.parametrize(
    ("path", "base", "expected"),
    [
        ("maps/fenggang.html", "maps", "fenggang.html"),  # the default --out, relative (was maps/maps/...)
        ("a/b/c/fenggang.html", "a/b/c", "fenggang.html"),
        ("a/report.html", "a/b", "../report.html"),
        ("maps/凤岗 #1.html", "maps", "%E5%87%A4%E5%B2%97%20%231.html"),  # UTF-8 percent-encoded, '#' too
    ],
)
def test_index_href_is_relative_to_the_index(tmp_path, monkeypatch, path, base, expected):
    monkeypatch.chdir(tmp_path)
    assert index_href(path, base) == expected
    assert index_href(tmp_path / path, tmp_path / base) == expected  # absolute paths give the same link
    assert index_href(tmp_path / path, base) == expected  # and a mix of both


def _offline(html: str) -> bool:
    return not re.search(r"<script[^>]+src=|<link[^>]+href=[\"']?https?:", html)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("out", [None, "nested/dir/out", "ABSOLUTE"], ids=["default", "nested", "absolute"])
def test_build_index_links_resolve_in_the_browser(tmp_path, monkeypatch, browser, geodata_dir, out):
    monkeypatch.chdir(tmp_path)
    args = ["build", "--geodata", str(geodata_dir)]
    if out == "ABSOLUTE":
        out_dir = tmp_path / "abs out"
        args += ["--out", str(out_dir)]
    elif out:
        out_dir = tmp_path / out
        args += ["--out", out]
    else:
        out_dir = tmp_path / "maps"  # the default
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    index = out_dir / "index.html"
    assert index.is_file(), result.output
    pages = sorted(out_dir.glob("*.html"))
    assert {"index.html", "fenggang.html", "dongcheng.html", "reconciliation.html"} <= {p.name for p in pages}
    for page_path in pages:  # every page works with no network
        assert _offline(page_path.read_text(encoding="utf-8")), page_path.name
    page = browser.new_page()
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.goto(index.as_uri())
    hrefs = page.eval_on_selector_all("a", "els => els.map(a => a.getAttribute('href'))")
    written = {p.name for p in out_dir.iterdir() if p.suffix in (".html", ".md", ".json", ".csv", ".xlsx")}
    assert hrefs and {unquote(h) for h in hrefs} <= written  # links only to files the build wrote, beside the index
    assert {"fenggang.html", "dongcheng.html", "reconciliation.html"} <= set(hrefs)
    for i, href in enumerate(hrefs):
        if not href.endswith(".html"):
            continue  # downloads (xlsx, csv...) are checked by name above
        page.goto(index.as_uri())
        page.locator("a").nth(i).click()
        page.wait_for_load_state("load")
        opened = Path(unquote(urlparse(page.url).path))
        assert opened == (out_dir / unquote(href)).resolve() and opened.is_file(), (href, page.url)
        if href in ("fenggang.html", "dongcheng.html"):
            page.wait_for_function("window.zonemapRendered !== undefined", timeout=30_000)
            assert page.locator(".zonemap-legend").count() == 1
        else:
            assert page.title() and page.locator("body").inner_text().strip()
    page.close()
