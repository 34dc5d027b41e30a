"""Peak host memory of a large streamed sweep (not a test: run it by hand, record the numbers).

    python benchmarks/sweep_memory.py [--points 1e9] [--chunk-size 4194304] [--out DIR] [--keep]
    /usr/bin/time -v python benchmarks/sweep_memory.py        # the kernel's view of peak RSS

Sweeps ``ttsim.coverage`` over a square (p, k) grid of about ``--points`` points with ``out_dir``,
so every chunk is written to the zarr store as it finishes and the host never holds the grid.
Prints one JSON object: points, chunks, seconds, points/s, store size on disk, and the peak RSS
of this process (``ru_maxrss``) before and after the sweep. The store is deleted afterwards
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import tempfile
import time


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # ru_maxrss: KiB on Linux


def _du(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=float, default=1e9, help="grid size (a square p x k grid)")
    ap.add_argument("--chunk-size", type=int, default=1 << 22, help="points per chunk")
    ap.add_argument("--out", default=None, help="output folder (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the store")
    args = ap.parse_args(argv)

    import numpy as np

    import ttsim
    from ttsim import sweep

    side = math.isqrt(int(args.points))
    axes = {"p": np.linspace(0.0, 1.0, side), "k": np.linspace(1.0, 1e4, side)}
    out = args.out or tempfile.mkdtemp(prefix="ttsim-sweep-memory-")
    before = _peak_rss_gb()
    t0 = time.perf_counter()
    try:
        r = sweep.run_sweep(ttsim.coverage, axes, chunk_size=args.chunk_size, out_dir=out,
                            progress=False)
        seconds = time.perf_counter() - t0
        report = {
            "points": r.stats.num_points,
            "grid": list(r.shape),
            "chunks": r.stats.num_chunks,
            "chunk_size": r.stats.chunk_size,
            "devices": r.stats.num_devices,
            "seconds": round(seconds, 1),
            "points_per_second": r.stats.points_per_second,
            "compile_seconds": round(r.stats.compile_seconds, 2),
            "num_traces": r.stats.num_traces,
            "in_memory": isinstance(r.values, np.ndarray),
            "store_gb": round(_du(os.path.join(out, "results.zarr")) / 1e9, 2),
            "summary": r.summary["value"],
            "peak_rss_gb_before": round(before, 3),
            "peak_rss_gb": round(_peak_rss_gb(), 3),
        }
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
