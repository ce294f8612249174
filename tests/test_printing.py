"""Printed maps (zonemap.printing): files, page size, CJK text, scale bar, literal names, errors.

Expected values are computed here independently: page pixels from millimetres and dpi by hand,
the scale bar's ground length with GeographicLib (pyproj.Geod) from its ends converted to
lon/lat by a Transformer built here, PDF text checked in the PDF's own ToUnicode maps.
"""

from __future__ import annotations

import logging
import re
import struct
import sys
import warnings
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _planner import parcels_lonlat
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from zonemap.config import Config
from zonemap.errors import ConfigError, ZonemapError
from zonemap.maps import collect_layers
from zonemap.printing import MissingFontError, find_cjk_font, nice_length, page_style, print_map, render_page
from zonemap.printing.draw import line_path, polygon_path
from zonemap.project import FileOptions, Project, load_files, load_project
from zonemap.reconcile import reconcile_project
from zonemap.report import figures_for_maps

GEODATA = Path(__file__).resolve().parents[1] / "geodata"
GEOD = Geod(ellps="GRS80")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GLYPH = re.compile(r"Glyph .* missing from")


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(Config(geodata_dir=GEODATA))


@pytest.fixture(scope="module")
def recon(project: Project):
    return figures_for_maps(reconcile_project(project, ["fenggang"]))


def _png_header(data: bytes) -> tuple[int, int, float]:
    """Width, height (IHDR) and dots per inch (pHYs) of a PNG, read by hand."""
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])
    at = data.index(b"pHYs")
    ppm_x, _ppm_y, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    assert unit == 1  # metre
    return width, height, ppm_x * 0.0254


def _no_glyph_warnings(caught: list[warnings.WarningMessage]) -> None:
    missing = [str(w.message) for w in caught if GLYPH.search(str(w.message))]
    assert not missing, missing


def _pdf_unicode_maps(data: bytes) -> str:
    """All ToUnicode CMaps of a PDF, decompressed, as text."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text = zlib.decompress(raw)
        except zlib.error:
            continue
        if b"beginbfchar" in text or b"beginbfrange" in text:
            out.append(text.decode("latin-1"))
    return "\n".join(out).upper()


@pytest.mark.parametrize("dpi", [72, 150])
def test_png_page_size_from_dpi_and_no_missing_glyph(project: Project, recon, tmp_path: Path, dpi: int) -> None:
    out = tmp_path / "fenggang.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert print_map(project, "fenggang", out, reconciliation=recon, dpi=dpi) == out
    _no_glyph_warnings(caught)
    width, height, dots = _png_header(out.read_bytes())
    # A4 landscape: 297 x 210 mm; pixels = mm / 25.4 * dpi (matplotlib truncates)
    assert abs(width - 297 / 25.4 * dpi) < 1
    assert abs(height - 210 / 25.4 * dpi) < 1
    assert dots == pytest.approx(dpi, abs=0.05)
    assert not [p for p in tmp_path.iterdir() if p != out]  # no temporary left


def test_a3_png(project: Project, tmp_path: Path) -> None:
    out = print_map(project, "fenggang", tmp_path / "a3.png", size="A3", dpi=50)
    width, height, _ = _png_header(out.read_bytes())
    assert abs(width - 420 / 25.4 * 50) < 1 and abs(height - 297 / 25.4 * 50) < 1


def test_pdf_is_vector_with_cjk_text(project: Project, recon, tmp_path: Path) -> None:
    out = tmp_path / "fenggang.pdf"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        print_map(project, "fenggang", out, reconciliation=recon)
    _no_glyph_warnings(caught)
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    fonts = set(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", data))
    cjk = {f for f in fonts if re.search(rb"CJK|WenQuanYi|SourceHan|HanSans|HanSerif", f)}
    assert cjk, fonts
    assert b"/Subtype /Image" not in data  # vector: no raster inside
    # the title's characters are text in the embedded fonts' ToUnicode maps: 凤 U+51E4, 岗 U+5C97, 镇 U+9547
    cmaps = _pdf_unicode_maps(data)
    for char in "凤岗镇":
        assert f"{ord(char):04X}" in cmaps, char


def test_format_from_suffix_and_explicit(project: Project, tmp_path: Path) -> None:
    out = print_map(project, "fenggang", tmp_path / "map.bin", fmt="pdf")
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(ConfigError, match="png or pdf"):
        print_map(project, "fenggang", tmp_path / "map.svg")
    with pytest.raises(ConfigError, match="--size"):
        print_map(project, "fenggang", tmp_path / "map.png", size="B5")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="--dpi"):
        print_map(project, "fenggang", tmp_path / "map.png", dpi=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.bin"]


def test_scale_bar_true_on_the_ellipsoid(project: Project) -> None:
    layers = collect_layers(project, "fenggang")
    with page_style():
        page = render_page(layers)
    bar = page.scale_bar
    xmin, xmax = page.ax.get_xlim()
    assert bar.length_m == nice_length((xmax - xmin) * 0.25)
    assert bar.length_m in (1000.0, 2000.0, 5000.0)  # a town some km across
    # the bar's boxes, as drawn, span exactly its length in data units
    boxes = [p for p in page.ax.patches if p.get_zorder() == 21]
    assert sum(p.get_width() for p in boxes) == pytest.approx(bar.length_m)
    assert min(p.get_x() for p in boxes) == pytest.approx(bar.x0)
    # its ends on the ground: inverse-projected here, measured with GeographicLib
    to_lonlat = Transformer.from_crs(page.crs, "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_lonlat.transform([bar.x0, bar.x1], [bar.y, bar.y])
    ground = GEOD.inv(lon0, lat0, lon1, lat1)[2]
    assert ground == pytest.approx(bar.length_m, rel=1e-5)
    # the projection is centred on the data, so the scale is true at the map's latitude
    bounds = shapely.total_bounds(
        np.concatenate(
            [
                layers.zones.geometry.values,
                layers.parcels.geometry.values,
                layers.places.geometry.values,
                layers.lines.geometry.values,
            ]
        )
    )
    centre = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    assert Transformer.from_crs("EPSG:4326", page.crs, always_xy=True).transform(*centre) == pytest.approx(
        (0.0, 0.0), abs=1e-6
    )
    # a 1 km east-west step at the centre is 1 km on the ellipsoid (GeographicLib)
    cx, cy = to_lonlat.transform(0.0, 0.0)
    east = Transformer.from_crs("EPSG:4326", page.crs, always_xy=True).transform(GEOD.fwd(cx, cy, 90, 1000)[0], cy)
    assert np.hypot(*east) == pytest.approx(GEOD.inv(cx, cy, GEOD.fwd(cx, cy, 90, 1000)[0], cy)[2], rel=1e-6)


def test_nice_length_by_hand() -> None:
    assert [nice_length(v) for v in (0.9, 1.0, 1999.0, 2000.0, 4999.0, 7300.0, 12000.0)] == [
        0.5,
        1.0,
        1000.0,
        2000.0,
        2000.0,
        5000.0,
        10000.0,
    ]
    with pytest.raises(ValueError):
        nice_length(0.0)


def _planner_project(tmp_path: Path, name0: str) -> Project:
    gdf = parcels_lonlat().drop(columns="geo_area_m2")
    gdf.loc[0, "地块名称"] = name0
    path = tmp_path / "parcels.geojson"
    gdf.to_file(path, driver="GeoJSON")
    opts = FileOptions(town="塘厦", area_field="面积亩", area_decimals=2, id_field="地块编号", name_field="地块名称")
    return load_files([path], opts, Config(geodata_dir=GEODATA))


def test_planner_layer_with_dollar_name_drawn_literally(tmp_path: Path) -> None:
    name = "成本 $x$ 园 \\alpha"
    project = _planner_project(tmp_path, name)
    town = project.town_ids[0]
    recon = figures_for_maps(reconcile_project(project, [town]))
    assert set(recon["status"]) >= {"agrees", "disagrees"}
    out = tmp_path / "out" / "tangxia.png"
    out.parent.mkdir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        print_map(project, town, out, reconciliation=recon, dpi=60)
        layers = collect_layers(project, town, recon)
        with page_style():
            page = render_page(layers, title="塘厦 $T$ 地块")
    _no_glyph_warnings(caught)
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    texts = [t for t in page.ax.texts if t.get_text() == name]
    assert texts, [t.get_text() for t in page.ax.texts]
    # drawn as text, not mathtext: the string is laid out as written
    assert all(t.get_parse_math() is False for t in texts)
    assert all(t._preprocess_math(t.get_text()) == (name, False) for t in texts)
    title = [t for t in page.figure.texts if "$T$" in t.get_text()]
    assert title and title[0]._preprocess_math(title[0].get_text()) == ("塘厦 $T$ 地块", False)
    # parcels are filled by status: the disagreeing parcel in the status colour of the schema
    from zonemap.schema import FIGURE_STATUSES

    faces = {tuple(np.round(p.get_facecolor()[:3], 3)) for p in [*page.ax.patches, *page.ax.artists]}
    import matplotlib.colors as mcolors

    assert tuple(np.round(mcolors.to_rgb(FIGURE_STATUSES["disagrees"].colour), 3)) in faces
    # the legend names the statuses present (schema labels); no empty kind section when parcels show status
    legend = [t.get_text() for t in page.figure.axes[1].get_legend().get_texts()]
    assert FIGURE_STATUSES["disagrees"].label in legend and FIGURE_STATUSES["agrees"].label in legend
    assert "类型 Kind" not in legend


def test_missing_glyph_fails_and_keeps_previous_output(tmp_path: Path) -> None:
    project = _planner_project(tmp_path, "地块\U000f0000")  # a private-use character no font has
    out = tmp_path / "map.png"
    out.write_bytes(b"previous")
    with pytest.raises(MissingFontError, match="cannot be drawn"):
        print_map(project, project.town_ids[0], out, dpi=50)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png", "parcels.geojson"]  # no temporary left


def test_no_cjk_font_is_a_clear_error(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    no_cjk = [
        f for f in font_manager.fontManager.ttflist if not re.search("CJK|WenQuanYi|Source Han|Noto Sans SC", f.name)
    ]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", no_cjk)
    with pytest.raises(MissingFontError, match="fonts-noto-cjk") as info:
        print_map(project, "fenggang", tmp_path / "map.png")
    assert isinstance(info.value, ZonemapError) and info.value.exit_code == 2
    assert not (tmp_path / "map.png").exists()


def test_found_font_is_cjk() -> None:
    from matplotlib import ft2font

    font = find_cjk_font()
    face = ft2font.FT2Font(str(font.path))
    assert all(face.get_char_index(ord(c)) for c in "凤岗镇产业区地块")


def test_basemap_unavailable_warns_and_prints(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "contextily", None)  # import fails as if not installed
    with caplog.at_level(logging.WARNING, logger="zonemap.printing"):
        out = print_map(project, "fenggang", tmp_path / "map.png", dpi=50, basemap=True)
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    assert any("basemap skipped" in r.getMessage() for r in caplog.records)


def _filled(path, points: list[tuple[float, float]]) -> list[bool]:
    """Whether each point is painted when ``path`` is filled black on a 0..32 x 0..32 canvas at 10 px/unit."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch

    fig = Figure(figsize=(3.2, 3.2), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 32)
    ax.set_ylim(0, 32)
    ax.set_axis_off()
    ax.add_patch(PathPatch(path, facecolor="black", edgecolor="none", antialiased=False))
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    return [bool(pixels[319 - int(y * 10), int(x * 10), 0] < 128) for x, y in points]


@pytest.mark.parametrize("shapely_2_0", [False, True])
def test_polygon_path_keeps_holes_and_lines_open(shapely_2_0: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.path import Path as MplPath

    if shapely_2_0:  # without orient_polygons (shapely < 2.1) the path falls back to normalize
        monkeypatch.delattr(shapely, "orient_polygons", raising=False)

    outer = shapely.box(0, 0, 10, 10)
    ring = shapely.Polygon(outer.exterior.coords, [shapely.box(3, 3, 7, 7).exterior.coords[::-1]])
    other = shapely.MultiPolygon([shapely.box(20, 0, 21, 1), shapely.box(30, 0, 31, 1)])
    path = polygon_path(np.array([ring, other, shapely.Point(0, 0)], dtype=object))
    # 4 rings of 5 vertices each (closed), one MOVETO and one CLOSEPOLY per ring
    assert len(path.vertices) == 20
    assert (path.codes == MplPath.MOVETO).sum() == 4 and (path.codes == MplPath.CLOSEPOLY).sum() == 4
    # filled as drawn (Agg, non-zero rule): inside the ring yes, in the hole no, both parts of the multipolygon
    assert _filled(path, [(1, 1), (5, 5), (20.5, 0.5), (30.5, 0.5), (25, 0.5)]) == [True, False, True, True, False]
    lines = line_path(np.array([shapely.LineString([(0, 0), (1, 1), (2, 0)]), outer], dtype=object))
    assert (lines.codes == MplPath.MOVETO).sum() == 2 and len(lines.vertices) == 3 + 5
    assert not (lines.codes == MplPath.CLOSEPOLY).any()


def test_town_outline_in_view_with_reference(reference_config: Config, tmp_path: Path) -> None:
    project = load_project(reference_config)
    layers = collect_layers(project, "fenggang")
    assert layers.outline is not None
    with page_style():
        page = render_page(layers)
    outline = gpd.GeoSeries(layers.outline.geometry.values, crs=4326).to_crs(page.crs)
    xmin, ymin, xmax, ymax = outline.total_bounds
    (x0, x1), (y0, y1) = page.ax.get_xlim(), page.ax.get_ylim()
    assert x0 < xmin and xmax < x1 and y0 < ymin and ymax < y1
    # the outline fills the frame in one direction (at most the 6 % margin on each side)
    assert max((xmax - xmin) / (x1 - x0), (ymax - ymin) / (y1 - y0)) > 1 / 1.13


def _columns(text: str) -> int:
    """Display columns by hand: East Asian wide/full-width characters count two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def test_wrap_counts_chinese_as_two_columns() -> None:
    from zonemap.printing.legend import wrap

    assert wrap("待定 undetermined (geometry too coarse to tell)", 36) == [
        "待定 undetermined (geometry too",
        "coarse to tell)",
    ]
    chinese = "金凤凰现代化产业园区黄洞塘沥片区城中村改造项目"  # 23 characters, 46 columns
    assert wrap(chinese, 36) == [chinese[:18], chinese[18:]]
    cut = wrap(chinese * 3, 36, max_lines=2)
    assert len(cut) == 2 and cut[1].endswith(" …") and _columns(cut[1]) <= 36


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 凤岗镇产业区 xyz-")), max_size=120), st.integers(4, 60))
def test_wrap_keeps_text_and_width(text: str, width: int) -> None:
    from zonemap.printing.legend import wrap

    lines = wrap(text, width)
    assert all(_columns(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("town", ["fenggang", "dongcheng"])
def test_legend_explains_what_is_in_the_frame(project: Project, town: str) -> None:
    layers = collect_layers(project, town)
    with page_style():
        page = render_page(layers)
    legend = [t.get_text() for t in page.figure.axes[1].get_legend().get_texts()]
    (x0, x1), (y0, y1) = page.ax.get_xlim(), page.ax.get_ylim()
    frame = gpd.GeoSeries([shapely.box(x0, y0, x1, y1)], crs=page.crs).to_crs(4326).iloc[0]
    city = layers.shenzhen[layers.shenzhen["kind"] == "city"].geometry
    assert ("深圳市界 Shenzhen boundary" in legend) == bool(city.intersects(frame).any())
    bands = layers.rings[layers.rings.intersects(frame)] if layers.rings is not None else []
    for zh in bands["name_zh"] if len(bands) else []:
        assert any(label.startswith(zh) for label in legend), zh
    assert len(legend) > 3


def test_names_do_not_overlap_each_other_or_the_furniture(project: Project, recon) -> None:
    layers = collect_layers(project, "fenggang", recon)
    with page_style():
        page = render_page(layers)
        renderer = page.figure.canvas.get_renderer()
        names = [t for t in page.ax.texts if t.get_zorder() == 30]
        boxes = [t.get_window_extent(renderer) for t in names]
        furniture = [t.get_window_extent(renderer) for t in page.ax.texts if t.get_zorder() == 22]
    assert page.labels == len(names) >= 6  # the three zones, parcels and places, as many as fit
    drawn = {t.get_text() for t in names}
    assert set(layers.zones["name_zh"]) <= drawn  # zone names come first
    for i, a in enumerate(boxes):
        assert not any(a.overlaps(b) for b in boxes[i + 1 :]), names[i].get_text()
        assert not any(a.overlaps(f) for f in furniture), names[i].get_text()
        assert page.ax.get_window_extent(renderer).contains(a.x0, a.y0)


def test_cli_print_and_build_write_the_printed_maps(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from zonemap.cli import main

    res = CliRunner().invoke(main, ["print", "fenggang", "--format", "png", "--dpi", "60", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    png = (tmp_path / "fenggang.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # A4 landscape at 60 dpi: 297 mm x 210 mm / 25.4 mm per inch x 60 px per inch
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (int(297 / 25.4 * 60), int(210 / 25.4 * 60))  # Agg truncates
    res = CliRunner().invoke(main, ["print", "fenggang", "--format", "png", "--out", str(tmp_path)])
    assert res.exit_code == 0  # replaces its own earlier output
    out = tmp_path / "build"
    res = CliRunner().invoke(main, ["build", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for town in ("fenggang", "dongcheng"):
        assert (out / f"{town}.pdf").read_bytes()[:5] == b"%PDF-"
