"""Benchmark: the 三调 procedure area, the Gauss–Krüger plane area and the method diagnosis for N parcels.

Same synthetic parcels as ``bench_areas.py`` (star-shaped, 5–60 vertices, 33.5 on average,
0.1–10 ha, around Dongguan), timed in the same run:

* anchor: ``zonemap.areas.ellipsoidal_area`` (the geodesic kernel);
* ``zonemap.sandiao.sandiao_area`` (三调 procedure: GK zone 38, >70 m segments split in the plane);
* ``zonemap.sandiao.gk_plane_area`` (EPSG:4547 plane area; ``exact=True`` projects every vertex);
* ``zonemap.methods.diagnose_methods`` (six candidate areas, differences, matches);
* ``zonemap.methods.sandiao_field_checks`` on a TBMJ/KCXS/KCMJ/TBDLMJ table of N rows;

and reports the largest relative difference between the 三调 and geodesic areas and between
the fast and exact GK plane areas. Each timing is the best of ``--repeat`` runs (one run at
1e6 unless ``--repeat-large``). Prints a Markdown table.

Run: ``python benchmarks/bench_sandiao.py --n 10000 100000 1000000``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shapely
from bench_areas import make_data

from zonemap.areas import ellipsoidal_area
from zonemap.methods import diagnose_methods, sandiao_field_checks
from zonemap.sandiao import gk_plane_area, sandiao_area


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def field_table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tbmj = np.round(rng.uniform(100, 1e5, n), 2)
    kcxs = np.round(rng.choice([0.0, 0.05, 0.1, 0.1523], n), 4)
    kcmj = np.round(tbmj * kcxs, 2)
    return pd.DataFrame(
        {"BSM": np.arange(n), "TBMJ": tbmj, "KCXS": kcxs, "KCMJ": kcmj, "TBDLMJ": np.round(tbmj - kcmj, 2)}
    )


def run(n: int, repeat: int, seed: int) -> dict[str, Any]:
    parcels, _, _ = make_data(n, seed)
    t_geo, geo = best_of(lambda: ellipsoidal_area(parcels), repeat)
    t_sd, sd = best_of(lambda: sandiao_area(parcels), repeat)
    t_gk, gk = best_of(lambda: gk_plane_area(parcels), repeat)
    t_gke, gke = best_of(lambda: gk_plane_area(parcels, exact=True), 1)
    stated = np.round(gk, 2)
    t_diag, table = best_of(lambda: diagnose_methods(parcels, stated, 0.005), 1)
    frame = field_table(n, seed)
    t_fields, _ = best_of(lambda: sandiao_field_checks(frame), repeat)
    return {
        "n": n,
        "vertices": int(shapely.get_num_coordinates(parcels).sum()),
        "t_geo": t_geo,
        "t_sd": t_sd,
        "t_gk": t_gk,
        "t_gke": t_gke,
        "t_diag": t_diag,
        "t_fields": t_fields,
        "sd_geo": float(np.max(np.abs(sd / geo - 1))),
        "gk_fast": float(np.max(np.abs(gk / gke - 1))),
        "gk_share": float((table["method"].str.contains("gk_plane")).mean()),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    head = (
        "| N parcels | vertices | geodesic (s) | 三调 (s) | 三调 ÷ geodesic | GK plane (s) | GK exact (s) "
        "| diagnosis, 6 methods (s) | field checks (s) | 三调 vs geodesic (max rel.) "
        "| GK fast vs exact (max rel.) | planted GK found |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['vertices']:,} | {r['t_geo']:.3f} | {r['t_sd']:.3f} | {r['t_sd'] / r['t_geo']:.1f}× "
            f"| {r['t_gk']:.3f} | {r['t_gke']:.3f} | {r['t_diag']:.2f} | {r['t_fields']:.3f} "
            f"| {r['sd_geo']:.1e} | {r['gk_fast']:.1e} | {100 * r['gk_share']:.1f} % |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repeat-large", type=int, default=1, help="repeats at N >= 1e6")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = [run(n, args.repeat_large if n >= 1_000_000 else args.repeat, args.seed) for n in args.n]
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}, "
        f"numpy {np.__version__}, shapely {shapely.__version__}"
    )
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
