"""Benchmark: ellipsoidal areas + parcel-in-zone containment for N synthetic parcels.

Generates N star-shaped parcels (5-60 vertices, 0.1-10 ha, log-uniform) around Dongguan,
clustered in a few zones of ~3-4 km radius so that most lie inside their zone and some
straddle its edge, then times in the same run:

* zonemap: ``zonemap.areas.ellipsoidal_area`` (and ``area_perimeter``, with perimeters) and the containment
  path (``share_outside_pct``: a boundary grid per zone decides most parcels with one
  point test, prepared ``contains`` for the rest, intersections only for parcels not
  fully inside, measured on the ellipsoid);
* geopandas: ``GeoSeries.to_crs("EPSG:4547").area`` (the Gauss–Krüger anchor);
* GeographicLib: a ``pyproj.Geod.geometry_area_perimeter`` loop over a random subsample,
  extrapolated linearly to N (said so in the table);

and reports the largest relative area difference from GeographicLib on that subsample.
Each timing is the best of ``--repeat`` runs. Prints a Markdown table.

Run: ``python benchmarks/bench_areas.py --n 10000 100000 1000000``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

from zonemap.areas import area_perimeter, ellipsoidal_area
from zonemap.reconcile._topology import share_outside_pct

GEOD = Geod(ellps="GRS80")
ZONES = ((113.95, 22.75, 4000.0), (114.15, 22.68, 3500.0), (114.05, 22.90, 3000.0), (113.80, 23.00, 4000.0))


def star_polygons(
    cx: np.ndarray, cy: np.ndarray, radius_m: np.ndarray, nv: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Star-shaped polygons (vectorized): vertex k at angle 2π(k+u)/n, radius r·U(0.6, 1)."""
    n = cx.size
    total = int(nv.sum())
    owner = np.repeat(np.arange(n), nv)
    first = np.cumsum(nv) - nv
    k = np.arange(total) - first[owner]
    ang = 2 * np.pi * (k + rng.uniform(0.1, 0.9, total)) / nv[owner]
    rad = radius_m[owner] * rng.uniform(0.6, 1.0, total)
    lat0 = cy[owner]
    x = cx[owner] + rad * np.cos(ang) / (111_320.0 * np.cos(np.radians(lat0)))
    y = lat0 + rad * np.sin(ang) / 110_700.0
    # close each ring: repeat its first vertex after its last
    closed = nv + 1
    cowner = np.repeat(np.arange(n), closed)
    ck = np.arange(int(closed.sum())) - (np.cumsum(closed) - closed)[cowner]
    src = first[cowner] + np.where(ck == nv[cowner], 0, ck)
    rings = shapely.linearrings(np.column_stack([x[src], y[src]]), indices=cowner)
    return shapely.polygons(rings)


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N parcels, the zones, and each parcel's zone index."""
    rng = np.random.default_rng(seed)
    zc = np.array(ZONES)
    zones = star_polygons(zc[:, 0], zc[:, 1], zc[:, 2], np.full(len(ZONES), 80), rng)
    parent = rng.integers(0, len(ZONES), n)
    # 98% well inside (zone radius varies within 0.6-1.0 r); 2% near the jagged edge, straddling it
    edge = rng.uniform(0, 1, n) < 0.02
    dist = zc[parent, 2] * np.where(edge, rng.uniform(0.55, 1.0, n), 0.5 * np.sqrt(rng.uniform(0, 1, n)))
    theta = rng.uniform(0, 2 * np.pi, n)
    cy = zc[parent, 1] + dist * np.sin(theta) / 110_700.0
    cx = zc[parent, 0] + dist * np.cos(theta) / (111_320.0 * np.cos(np.radians(cy)))
    area = np.exp(rng.uniform(np.log(1e3), np.log(1e5), n))  # 0.1-10 ha
    nv = rng.integers(5, 61, n)
    parcels = star_polygons(cx, cy, np.sqrt(area / (np.pi * 0.65)), nv, rng)
    return parcels, zones, parent


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run(n: int, repeat: int, sample: int, seed: int) -> dict[str, Any]:
    parcels, zones, parent = make_data(n, seed)
    t_area, area = best_of(lambda: ellipsoidal_area(parcels), repeat)
    t_perim, _ = best_of(lambda: area_perimeter(parcels), repeat)
    t_cont, share = best_of(lambda: share_outside_pct(parcels, zones, parent, area), repeat)
    series = gpd.GeoSeries(parcels, crs="EPSG:4326")
    t_gk, gk = best_of(lambda: series.to_crs("EPSG:4547").area.to_numpy(), 1 if n >= 1_000_000 else repeat)
    idx = np.random.default_rng(seed + 1).choice(n, size=min(sample, n), replace=False)
    t_loop, ref = best_of(lambda: np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in parcels[idx]]), 1)
    return {
        "n": n,
        "vertices": int(shapely.get_num_coordinates(parcels).sum()),
        "t_area": t_area,
        "t_perim": t_perim,
        "t_cont": t_cont,
        "t_gk": t_gk,
        "t_loop": t_loop * n / idx.size,
        "sample": idx.size,
        "max_rel_err": float(np.max(np.abs(area[idx] / ref - 1))),
        "gk_rel_diff": float(np.max(np.abs(gk / area - 1))),
        "outside": int(np.count_nonzero(share > 0)),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    head = (
        "| N parcels | vertices | zonemap area (s) | area + perimeter (s) | containment (s) "
        "| area + containment (s) "
        "| GK `to_crs(4547).area` (s) | GK ÷ zonemap area | GK ÷ (area + containment) "
        "| Geod loop (s, extrapolated) | loop ÷ zonemap area | max rel. err. vs GeographicLib "
        "| GK − ellipsoid (max rel.) | parcels partly outside |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        total = r["t_area"] + r["t_cont"]
        lines.append(
            f"| {r['n']:,} | {r['vertices']:,} | {r['t_area']:.3f} | {r['t_perim']:.3f} | {r['t_cont']:.3f} "
            f"| {total:.3f} "
            f"| {r['t_gk']:.3f} | {r['t_gk'] / r['t_area']:.1f}× | {r['t_gk'] / total:.1f}× "
            f"| {r['t_loop']:.1f} (from {r['sample']:,}) | {r['t_loop'] / r['t_area']:.0f}× "
            f"| {r['max_rel_err']:.1e} | {r['gk_rel_diff']:.1e} | {r['outside']:,} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=2000, help="parcels in the GeographicLib loop")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = [run(n, args.repeat, args.sample, args.seed) for n in args.n]
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"shapely {shapely.__version__}, geopandas {gpd.__version__}"
    )
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
