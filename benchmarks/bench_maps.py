"""Map size, build time and headless-Chromium paint time for synthetic parcel layers.

Compares zonemap's page (polyline-encoded layer data, canvas renderer, one script-built
layer) with plain folium as-is (``folium.GeoJson(gdf)`` on a default ``folium.Map``),
measured in the same run. Paint time = navigation start until two animation frames after
the page's ``load`` event (every layer has been added and drawn by then), with all network
requests answered locally: CDN assets from the installed folium-offline copies, tiles aborted.

Parcel map case (``--case parcels``, issue 10 point 5): ``zonemap map FILE --area-field TBMJ`` on the
synthetic layer of ``bench_reconcile.layer_files`` (star-shaped parcels of ~33 coordinates scattered
over Dongguan, 1 % with a planted 1–3 % error; GeoPackage cached under ``--work``), run as a process
(wall time, best of ``--repeat``), the page's size, and its paint time in headless Chromium at
1400×900: navigation start (``performance.timeOrigin``) until ``window.zonemapParcels.painted``, the
animation frame after the parcel canvas finished its first full draw of the fitted first view (HTML
parsed, Leaflet and the data script run, every vertex decoded, every parcel drawn). Budget: 1e5
parcels <= 15 MB and <= 3 s.

Run: ``python benchmarks/bench_maps.py [--case town|parcels|all] [--sizes 1000 10000 100000]
[--folium-max 10000] [--parcel-sizes 10000 100000]``.
Writes nothing outside a temporary directory (and the layer cache); prints Markdown tables.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAINTED = """window.addEventListener('load', () => requestAnimationFrame(() => requestAnimationFrame(() => {
  window.__painted = performance.now(); })));"""


def synthetic_parcels(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` irregular octagons (~60 m across) on a grid around Fenggang, with schema properties."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    cx = 114.10 + (i % side) * 0.0009
    cy = 22.68 + (i // side) * 0.0008
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    radius = 0.0003 * (0.7 + 0.3 * rng.random((n, 8)))
    xs = cx[:, None] + radius * np.cos(angles) / np.cos(np.radians(22.7))
    ys = cy[:, None] + radius * np.sin(angles)
    coords = np.stack([xs, ys], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)
    geoms = shapely.polygons(coords)
    kinds = np.array(["parcel", "park", "project"])[rng.integers(0, 3, n)]
    return gpd.GeoDataFrame(
        {
            "id": [f"fg-parcel-{k:06d}" for k in i],
            "name_zh": [f"测试地块{k}" for k in i],
            "name_en": [f"Test parcel {k}" for k in i],
            "kind": kinds,
            "town": "fenggang",
            "geometry_source": "synthetic benchmark geometry",
            "accuracy_m": 5.0,
            "parent": [f"fg-zone-{k % 3}" for k in i],
            "status": "planned",
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def build_zonemap(parcels: gpd.GeoDataFrame) -> str:
    """The zonemap page for a parcel layer (areas measured as in a real build)."""
    from zonemap.areas import ellipsoidal_area
    from zonemap.maps import MapLayers, render_map

    empty = parcels.iloc[:0]
    parcels = parcels.assign(area_m2=ellipsoidal_area(parcels.geometry.values), figure_status="none")
    return render_map(MapLayers("fenggang", empty, parcels, empty, empty), offline=True)


def build_folium(parcels: gpd.GeoDataFrame) -> str:
    """Plain folium as-is: one GeoJson layer with default options."""
    import folium

    b = parcels.total_bounds
    m = folium.Map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=13)
    folium.GeoJson(parcels).add_to(m)
    return m.get_root().render()


def paint_ms(browser, path: Path, assets: dict[str, str]) -> float:
    """Navigation start to painted, in ms, with CDN assets served locally and tiles aborted."""
    page = browser.new_page()
    page.add_init_script(PAINTED)

    def handle(route):
        url = route.request.url
        if url in assets:
            ctype = "text/css" if url.endswith(".css") else "application/javascript"
            route.fulfill(status=200, body=assets[url], content_type=ctype)
        else:
            route.abort()

    page.route(re.compile(r"^https?://"), handle)
    page.goto(path.as_uri(), timeout=300_000)
    page.wait_for_function("window.__painted !== undefined", timeout=300_000, polling=50)
    ms = float(page.evaluate("window.__painted"))
    page.close()
    return ms


PARCELS_PAINTED = "window.zonemapParcels && window.zonemapParcels.painted !== undefined"


def parcel_paint(browser, path: Path) -> dict[str, float]:
    """Paint time of a parcel map (ms from navigation start) and its parts, at 1400x900, tiles aborted."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.goto(path.as_uri(), timeout=300_000)
    page.wait_for_function(PARCELS_PAINTED, timeout=300_000, polling=50)
    out = page.evaluate(
        """() => ({painted: zonemapParcels.painted, parse: zonemapParcels.timings.parse,
        decode: zonemapParcels.timings.decode, draw: zonemapParcels.lastDraw.ms,
        drawn: zonemapParcels.lastDraw.parcels})"""
    )
    page.close()
    return {k: float(v) for k, v in out.items()}


def run_parcels(sizes: list[int], repeat: int, work: Path) -> list[dict[str, float]]:
    """``zonemap map`` on the synthetic parcel layers: wall time, page size, paint time (median of ``repeat``)."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_reconcile import layer_files

    zonemap = shutil.which("zonemap", path=str(Path(sys.executable).parent)) or "zonemap"
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n in sizes:
            gpkg = Path(layer_files(n, 0, work)["gpkg"])
            cmd = [zonemap, "map", str(gpkg), "--area-field", "TBMJ", "--area-decimals", "2", "--out", tmp]
            walls = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                walls.append(time.perf_counter() - t0)
            page = Path(tmp) / f"{gpkg.stem}.html"
            paints = [parcel_paint(browser, page) for _ in range(repeat)]
            med = {k: float(np.median([p[k] for p in paints])) for k in paints[0]}
            rows.append({"n": n, "wall_s": min(walls), "mb": page.stat().st_size / 1e6, **med})
            r = rows[-1]
            print(
                f"{n:>7} parcels  map {r['wall_s']:6.2f} s  {r['mb']:6.2f} MB  paint {r['painted'] / 1000:5.2f} s "
                f"(parse {r['parse']:.0f} ms, decode {r['decode']:.0f} ms, draw {r['draw']:.0f} ms, "
                f"{r['drawn']:,.0f} drawn)",
                flush=True,
            )
        browser.close()
    return rows


def parcel_table(rows: list[dict[str, float]]) -> str:
    """The parcel-map rows as Markdown, with the budget verdicts."""
    head = (
        "| parcels | zonemap map (s) | page (MB) | paint (s) | JSON parse (ms) | decode (ms) | draw (ms) | "
        "within 15 MB / 3 s |\n|---:|---:|---:|---:|---:|---:|---:|---|"
    )
    lines = [
        f"| {r['n']:,} | {r['wall_s']:.2f} | {r['mb']:.2f} | {r['painted'] / 1000:.2f} | {r['parse']:.0f} | "
        f"{r['decode']:.0f} | {r['draw']:.0f} | {'yes' if r['mb'] <= 15 and r['painted'] <= 3000 else 'no'} |"
        for r in rows
    ]
    return "\n".join([head, *lines])


def run(sizes: list[int], folium_max: int, repeat: int) -> list[tuple]:
    from playwright.sync_api import sync_playwright

    from zonemap.maps._html import offline_assets

    assets = dict(offline_assets())
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n in sizes:
            parcels = synthetic_parcels(n)
            builders = [("zonemap", build_zonemap)] + ([("folium as-is", build_folium)] if n <= folium_max else [])
            for label, fn in builders:
                t0 = time.perf_counter()
                page = fn(parcels)
                build_s = time.perf_counter() - t0
                path = Path(tmp) / f"{label.split()[0]}-{n}.html"
                path.write_text(page, encoding="utf-8")
                paints = [paint_ms(browser, path, assets) for _ in range(repeat)]
                rows.append((n, label, path.stat().st_size / 1e6, build_s, float(np.median(paints))))
                print(
                    f"{n:>7} {label:<13} {rows[-1][2]:8.2f} MB  build {build_s:6.2f} s  "
                    f"paint {rows[-1][4] / 1000:6.2f} s",
                    flush=True,
                )
        browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--folium-max", type=int, default=10_000, help="largest n also built with plain folium")
    parser.add_argument("--repeat", type=int, default=3, help="paint measurements per page (median)")
    parser.add_argument("--case", choices=["town", "parcels", "all"], default="all", help="which pages to measure")
    parser.add_argument("--parcel-sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/zonemap-bench"), help="synthetic layer cache")
    args = parser.parse_args()
    if args.case in ("parcels", "all"):
        print(parcel_table(run_parcels(args.parcel_sizes, args.repeat, args.work)))
    if args.case == "parcels":
        return
    rows = run(args.sizes, args.folium_max, args.repeat)
    print("\n| parcels | page | size (MB) | build (s) | paint (s) |\n|---:|---|---:|---:|---:|")
    for n, label, mb, build_s, paint in rows:
        print(f"| {n:,} | {label} | {mb:.2f} | {build_s:.2f} | {paint / 1000:.2f} |")
    by = {(n, label): (mb, paint) for n, label, mb, _, paint in rows}
    for n in args.sizes:
        if (n, "folium as-is") in by:
            (a, pa), (b, pb) = by[(n, "zonemap")], by[(n, "folium as-is")]
            print(f"{n:,} parcels: zonemap page is {b / a:.1f}x smaller and paints {pb / pa:.1f}x faster")


if __name__ == "__main__":
    main()
