"""Benchmark of ``ttsim estimate`` on a large synthetic sample log.

Writes a log of ``--problems`` x ``--samples`` rows (default 10^4 x 10^3 = 10^7 rows) with
``problem,sample,answer,correct,tokens`` columns, then runs ``ttsim estimate FILE --json`` in
a child process (default k grid, intervals and maj@k) and reports wall time, rows/s,
problems/s and the child's peak RSS. Run::

    python benchmarks/logs.py --json            # the full 10^7-row log
    python benchmarks/logs.py --problems 1000   # a quick 10^6-row check
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def write_log(path: str, num_problems: int, num_samples: int, seed: int = 0) -> int:
    """A synthetic log: per problem p ~ Beta(0.6, 1.2) right, the rest over 9 wrong answers
    (Zipf-like shares) with 5% empty answers. Written block by block; returns the file size."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    wrong_share = 1.0 / np.arange(1, 10) ** 1.5
    wrong_share /= wrong_share.sum()
    answers = np.array(["", "right"] + [f"wrong{i}" for i in range(1, 10)], dtype=object)
    block = max(1, 1_000_000 // num_samples)
    with pacsv.CSVWriter(path, pa.schema([(c, pa.string()) for c in ("problem", "sample", "answer", "correct", "tokens")])) as out:
        for start in range(0, num_problems, block):
            m = min(block, num_problems - start)
            p = rng.beta(0.6, 1.2, size=m)[:, None]
            u = rng.random((m, num_samples))
            right = u < p
            wrong = 2 + np.searchsorted(np.cumsum(wrong_share), rng.random((m, num_samples)), side="right").clip(0, 8)
            code = np.where(right, 1, wrong)
            code = np.where(rng.random((m, num_samples)) < 0.05, 0, code)
            prob = np.repeat(np.arange(start, start + m), num_samples).astype(str)
            samp = np.tile(np.arange(num_samples), m).astype(str)
            tokens = rng.integers(100, 4000, size=m * num_samples).astype(str)
            out.write_table(
                pa.table(
                    {
                        "problem": pa.array(prob.astype(object)),
                        "sample": pa.array(samp.astype(object)),
                        "answer": pa.array(answers[code.ravel()]),
                        "correct": pa.array(right.ravel().astype(np.int8).astype(str).astype(object)),
                        "tokens": pa.array(tokens.astype(object)),
                    }
                )
            )
    return os.path.getsize(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=10_000)
    ap.add_argument("--samples", type=int, default=1_000)
    ap.add_argument("--extra", default="", help="extra arguments for ttsim estimate (quoted)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "log.csv")
        t0 = time.perf_counter()
        size = write_log(path, args.problems, args.samples)
        t_write = time.perf_counter() - t0
        cmd = [sys.executable, "-m", "ttsim.cli", "estimate", path, "--json", *args.extra.split()]
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")]))
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        est = json.loads(proc.stdout)
    rows = args.problems * args.samples
    result = {
        "rows": rows,
        "problems": args.problems,
        "samples_per_problem": args.samples,
        "file_mb": round(size / 1e6, 1),
        "write_s": round(t_write, 1),
        "estimate_wall_s": round(wall, 1),
        "rows_per_s": round(rows / wall),
        "problems_per_s": round(args.problems / wall, 1),
        "peak_rss_mb": round(peak_kb / 1024),
        "maj_method": est["maj_method"],
        "maj_num_trials": est.get("maj_num_trials"),
        "cpu_count": os.cpu_count(),
        "ttsim": est.get("file") and repo,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
