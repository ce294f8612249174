"""Peak memory of ``zonemap import`` on a large GeoJSON (issue 12.9), against decoding it whole with ``json``.

Usage::

    python benchmarks/bench_import_memory.py --mb 150 [--keep DIR]

Writes a synthetic FeatureCollection of parcels (irregular 20-vertex polygons around Fenggang, coordinates
at 8 decimals, properties 地块编号 / 地块名称 / 用地性质 / 面积亩 / 权属单位) of about ``--mb`` MB, then runs,
each in a fresh Python process whose peak resident set size (``ru_maxrss``) is read afterwards:

- ``python -c "import json; json.load(...)"``: what reading the file whole costs (the anchor; the old reader
  did this, then more);
- ``zonemap import FILE --layer parcels --town fenggang --out OUT``: the whole import, output written.

Prints the file size, both peaks, their ratio to the file size and the import's wall time.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_geojson(path: Path, target_mb: float, seed: int = 7) -> int:
    """Write about ``target_mb`` MB of parcels; return the feature count."""
    rng = np.random.default_rng(seed)
    per_feature = 760  # bytes, measured for this layout
    n = max(1, int(target_mb * 1e6 / per_feature))
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"type":"FeatureCollection","features":[\n')
        chunk = 10_000
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            cx = 114.05 + rng.random(m) * 0.2
            cy = 22.70 + rng.random(m) * 0.10
            angles = (np.arange(20) + 0.8 * rng.random((m, 20))) / 20 * 2 * np.pi  # star-shaped, simple
            radius = 0.0003 * (0.6 + 0.4 * rng.random((m, 20)))
            xs = cx[:, None] + radius * np.cos(angles)
            ys = cy[:, None] + radius * np.sin(angles)
            lines = []
            for i in range(m):
                ring = ",".join(f"[{x:.8f},{y:.8f}]" for x, y in zip(xs[i], ys[i], strict=True))
                ring += f",[{xs[i, 0]:.8f},{ys[i, 0]:.8f}]"
                k = start + i
                props = (
                    f'{{"地块编号":"FG-{k:07d}","地块名称":"测试地块{k}","用地性质":"M1 一类工业用地",'
                    f'"面积亩":{rng.random() * 100:.2f},"权属单位":"凤岗镇集体"}}'
                )
                lines.append(
                    f'{{"type":"Feature","properties":{props},'
                    f'"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}'
                )
            fh.write(",\n".join(lines))
            fh.write(",\n" if start + m < n else "\n")
        fh.write("]}\n")
    return n


def peak_rss_mb(args: list[str]) -> tuple[float, float]:
    """Run ``args`` in a fresh process; return (its peak RSS in MB, wall seconds)."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:]); w = time.perf_counter() - t; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, w, p.returncode)"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    kb, wall, rc = out.stdout.split()[-3:]
    if rc != "0":
        raise SystemExit(f"{args[:3]} failed: {out.stderr[-2000:]}")
    return int(kb) / 1024, float(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=150.0)
    parser.add_argument("--keep", type=Path, default=None, help="Directory to write the files to (kept).")
    a = parser.parse_args()
    folder = a.keep or Path(tempfile.mkdtemp(prefix="zonemap-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / "parcels.geojson"
    t = time.perf_counter()
    n = write_geojson(src, a.mb)
    size_mb = src.stat().st_size / 2**20
    print(f"wrote {n} features, {size_mb:.1f} MiB in {time.perf_counter() - t:.1f} s")
    json_peak, _ = peak_rss_mb([sys.executable, "-c", f"import json; json.load(open({str(src)!r}))"])
    zonemap = str(Path(sys.executable).with_name("zonemap"))
    imp_peak, imp_wall = peak_rss_mb(
        [zonemap, "import", str(src), "--layer", "parcels", "--town", "fenggang", "--out", str(folder / "out.geojson")]
    )
    base, _ = peak_rss_mb([sys.executable, "-c", "import zonemap.ingest"])
    print(
        "| file (MiB) | features | json.load peak (MiB) | ÷ file | zonemap import peak (MiB) | ÷ file "
        "| import wall (s) | interpreter + imports (MiB) |"
    )
    print(
        f"| {size_mb:.0f} | {n:,} | {json_peak:.0f} | {json_peak / size_mb:.1f}× | {imp_peak:.0f} | "
        f"{imp_peak / size_mb:.1f}× | {imp_wall:.1f} | {base:.0f} |"
    )
    print(f"ru_maxrss of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
