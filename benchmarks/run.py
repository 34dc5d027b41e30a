"""ttsim against vectorised numpy/scipy and hand-written jax.jit, and ttsim sweeps against loops.

    python benchmarks/run.py [--quick] [--json] [--families a,b] [--sweeps a,b|none] [--scale X]
    python benchmarks/run.py --rss-points 1e8 [--json]     # one large sweep, peak memory

Two parts, measured in one run:

* **Library overhead** (``benchmarks/overhead.py``; the families of ``--families``): each
  family's public ttsim function, a hand-written ``jax.jit`` of the same formula and one
  vectorised numpy/scipy evaluation on the same grid; reported per family as
  ``ttsim_over_numpy``, ``ttsim_over_hand_jit``, each side's error against an independent
  float64 reference, and ``retraces``. ``speedup_vs_numpy`` is their geometric mean over families.
* **Sweeps** (``benchmarks/families.py``; ``--sweeps``): ttsim evaluates a grid with
  ``ttsim.run_sweep`` (jit + vmap, streamed in chunks, one trace); a researcher's numpy/scipy
  loop evaluates a random subsample of the same points, extrapolated per point
  (``speedup_vs_loop``), plus ttsim's points/s, compile time, traces and agreement.

The peak RSS of the process (``ru_maxrss``) and the load average are recorded too.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

FULL_POINTS = {
    "coverage": 10_000_000,
    "pass_at_k": 10_000_000,
    "beta_coverage": 10_000_000,
    "population_coverage": 1_000_000,
    "majority_vote": 20_000,
    "best_of_n": 300_000,
    "refinement": 10_000_000,
    "kinetics_cost": 10_000_000,
}
QUICK_FACTOR = 0.01


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0 if sys.platform != "darwin" else rss / 2**20  # KiB on Linux, bytes on macOS


def _sample_points(result, num: int, rng) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    total = result.stats.num_points
    idx = np.sort(rng.choice(total, size=min(num, total), replace=False))
    multi = np.unravel_index(idx, result.shape)
    pts = {name: np.asarray(result.axes[name])[i].astype(np.float64) for name, i in zip(result.axes, multi)}
    return idx, pts


def measure_family(fam, *, seed: int = 0) -> dict:
    import ttsim

    r = ttsim.run_sweep(fam.fn, fam.axes, fixed=fam.fixed, chunk_size=fam.chunk_size, progress=False)
    s = r.stats
    values = r.fields[fam.field or "value"].reshape(-1)
    rng = np.random.default_rng(seed)
    idx, pts = _sample_points(r, fam.loop_samples, rng)
    t0 = time.perf_counter()
    loop_vals = np.array([fam.loop({k: float(v[j]) for k, v in pts.items()}) for j in range(idx.size)])
    loop_s = time.perf_counter() - t0
    got = values[idx].astype(np.float64)
    scale = np.maximum(np.abs(loop_vals), 1e-6)  # relative error, absolute below 1e-6
    out = {
        "points": s.num_points,
        "chunk_size": s.chunk_size,
        "num_chunks": s.num_chunks,
        "ttsim_points_per_second": s.num_points / s.run_seconds,
        "ttsim_run_seconds": s.run_seconds,
        "compile_seconds": s.compile_seconds,
        "num_traces": s.num_traces,
        "loop_points": int(idx.size),
        "loop_points_per_second": idx.size / loop_s,
        "speedup_vs_loop": (s.num_points / s.run_seconds) / (idx.size / loop_s),
        "max_abs_diff_vs_loop": float(np.max(np.abs(got - loop_vals))),
        "max_rel_diff_vs_loop": float(np.max(np.abs(got - loop_vals) / scale)),
        "note": fam.note,
    }
    if fam.vectorized is not None:
        vidx, vpts = _sample_points(r, fam.vec_samples, rng)
        fam.vectorized({k: v[:10] for k, v in vpts.items()})  # warm-up
        t0 = time.perf_counter()
        vec_vals = np.asarray(fam.vectorized(vpts), dtype=np.float64)
        vec_s = max(time.perf_counter() - t0, 1e-9)
        out["vectorized_points"] = int(vidx.size)
        out["vectorized_points_per_second"] = vidx.size / vec_s
        out["speedup_vs_vectorized"] = out["ttsim_points_per_second"] / out["vectorized_points_per_second"]
        out["max_abs_diff_vs_vectorized"] = float(np.max(np.abs(values[vidx] - vec_vals)))
    return out


def measure_kernels(quick: bool) -> dict:
    """Population-coverage kernel vs its jnp reference: timed on GPU/TPU, described on CPU."""
    import jax
    import jax.numpy as jnp

    from ttsim import kernels

    backend = jax.default_backend()
    # 1024 x 16384, not larger: on an H200 (jax 0.11.2) XLA's compile of the reference at
    # 4096 x 65536 had not finished after 150 s (benchmarks/README.md).
    num_k, num_p = (256, 4096) if quick else (1024, 16384)
    rng = np.random.default_rng(1)
    k = jnp.asarray(np.geomspace(1, 1e5, num_k), jnp.float32)
    p = jnp.asarray(rng.beta(0.3, 2.0, num_p), jnp.float32)
    w = jnp.full((num_p,), 1.0 / num_p, jnp.float32)

    def timed(f):
        f(k, p, w).block_until_ready()
        reps, t0 = 0, time.perf_counter()
        while reps < 3 or time.perf_counter() - t0 < 0.5:
            f(k, p, w).block_until_ready()
            reps += 1
        return (time.perf_counter() - t0) / reps

    ref_s = timed(kernels.population_coverage_reference)
    out = {
        "kernel": "population_coverage",
        "backend": backend,
        "grid": [num_k, num_p],
        "reference_elements_per_second": num_k * num_p / ref_s,
    }
    if backend in ("gpu", "tpu"):
        ker_s = timed(kernels.population_coverage_pallas)
        diff = float(jnp.max(jnp.abs(kernels.population_coverage_pallas(k, p, w) - kernels.population_coverage_reference(k, p, w))))
        out.update(
            kernel_elements_per_second=num_k * num_p / ker_s,
            kernel_speedup_vs_reference=ref_s / ker_s,
            max_abs_diff=diff,
            default=kernels.population_coverage.__name__ + " -> " + ("pallas" if ker_s < ref_s else "reference (faster)"),
        )
    else:
        out["note"] = "no GPU/TPU here: the kernel runs only in interpret mode (a correctness tool), so only the jnp path is timed"
    return out


def geomean(xs) -> float:
    xs = [x for x in xs if x and x > 0]
    return float(math.exp(sum(math.log(x) for x in xs) / len(xs))) if xs else float("nan")


def run_overhead(names, *, quick: bool, scale: float, seed: int, progress) -> dict:
    """The library-overhead families: ttsim vs hand-written jit vs vectorised numpy."""
    import overhead

    s = scale * (0.02 if quick else 1.0)
    results = {}
    for name in names:
        progress(f"overhead {name} ...")
        results[name] = overhead.measure(name, s, min_seconds=0.1 if quick else 0.5, seed=seed)
    return {
        "speedup_vs_numpy": geomean(r["ttsim_over_numpy"] for r in results.values()),
        "over_hand_jit": geomean(r["ttsim_over_hand_jit"] for r in results.values()),
        "goals": {"ttsim_over_numpy": overhead.GOAL_OVER_NUMPY, "ttsim_over_hand_jit": overhead.GOAL_OVER_HAND_JIT},
        "families": results,
    }


def run_families(names, *, quick: bool, scale: float, seed: int, progress) -> dict:
    import jax
    from families import FAMILIES

    results, skipped = {}, []
    for name in names:
        points = max(64, int(FULL_POINTS[name] * (QUICK_FACTOR if quick else 1.0) * scale))
        fam = FAMILIES[name](points)
        if fam is None:
            skipped.append(name)
            continue
        if quick:  # fewer baseline points in quick mode
            fam = fam._replace(loop_samples=max(10, int(fam.loop_samples * 0.1 * min(1.0, scale * 10))))
        progress(f"{name}: {points:.3g} points ...")
        results[name] = measure_family(fam, seed=seed)
    total_pts = sum(r["points"] for r in results.values())
    total_s = sum(r["ttsim_run_seconds"] for r in results.values())
    return {
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "quick": quick,
        "scale": scale,
        "speedup_vs_loop": geomean(r["speedup_vs_loop"] for r in results.values()),
        "speedup_vs_vectorized": geomean(r.get("speedup_vs_vectorized") for r in results.values()),
        "points_per_second": total_pts / total_s if total_s > 0 else 0.0,
        "retraces": int(sum(r["num_traces"] - 1 for r in results.values())),
        "traces_per_sweep": {n: r["num_traces"] for n, r in results.items()},
        "compile_seconds": {n: r["compile_seconds"] for n, r in results.items()},
        "sweeps": results,
        "skipped": skipped,
    }


def run_rss(points: float, chunk_size: int) -> dict:
    """One coverage sweep of ``points`` points (p x k grid); peak RSS of this process."""
    import ttsim

    side = int(round(math.sqrt(points)))
    axes = {"p": np.linspace(0.0, 1.0, side), "k": np.geomspace(1, 1e6, side)}
    before = peak_rss_mb()
    r = ttsim.run_sweep(ttsim.coverage, axes, chunk_size=chunk_size, progress=False)
    return {
        "rss_points": r.stats.num_points,
        "chunk_size": r.stats.chunk_size,
        "points_per_second": r.stats.num_points / r.stats.run_seconds,
        "compile_seconds": r.stats.compile_seconds,
        "retraces": r.stats.num_traces - 1,
        "result_mb": r.values.nbytes / 2**20,
        "peak_rss_mb_before": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def _print_table(out: dict) -> None:
    from ttsim.cli._common import format_table

    rows = []
    for name, r in out["families"].items():
        rows.append([
            name, r["grid"], f"{r['ttsim_seconds']:.3g}", f"{r['ttsim_over_numpy']:.2f}x", f"{r['ttsim_over_hand_jit']:.2f}x",
            f"{r['ttsim_max_abs_error']:.1e}", f"{r['numpy_max_abs_error']:.1e}", f"{r['hand_jit_max_abs_error']:.1e}",
            r["retraces"],
        ])
    if rows:
        print(format_table(rows, ["family", "grid", "ttsim s", "vs numpy", "vs hand jit", "ttsim err", "numpy err",
                                  "hand err", "retraces"]))
        print(f"\ngeometric mean: ttsim / numpy {out['speedup_vs_numpy']:.2f}x (goal >= {out['goals']['ttsim_over_numpy']:g}x); "
              f"ttsim / hand-written jit {out['over_hand_jit']:.2f}x (goal >= {out['goals']['ttsim_over_hand_jit']:g}x)\n")
    rows = []
    for name, r in out["sweeps"].items():
        rows.append([
            name, f"{r['points']:.3g}", f"{r['ttsim_points_per_second']:.3g}", f"{r['loop_points_per_second']:.3g}",
            f"{r['speedup_vs_loop']:.1f}x", f"{r['speedup_vs_vectorized']:.1f}x" if "speedup_vs_vectorized" in r else "-",
            f"{r['compile_seconds']:.2f}", r["num_traces"], f"{r['max_rel_diff_vs_loop']:.1e}",
        ])
    print(format_table(rows, ["family", "points", "ttsim pt/s", "loop pt/s", "speedup", "vs vectorized",
                              "compile s", "traces", "max rel diff"]))
    print(f"\nbackend {out['backend']}; sweeps: geometric-mean speedup vs numpy/scipy loops {out['speedup_vs_loop']:.1f}x "
          f"(vs vectorized numpy {out['speedup_vs_vectorized']:.1f}x); retraces {out['retraces']}; "
          f"peak RSS {out['peak_rss_mb']:.0f} MB")
    if out["skipped"]:
        print("skipped (not in ttsim yet): " + ", ".join(out["skipped"]))
    k = out.get("kernels")
    if k:
        print(f"kernel {k['kernel']}: reference {k['reference_elements_per_second']:.3g} elements/s; "
              + (f"pallas {k['kernel_elements_per_second']:.3g} elements/s" if "kernel_elements_per_second" in k else k["note"]))


def main(argv=None) -> int:
    from families import FAMILIES
    from overhead import FAMILIES as OVERHEAD

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"grids {QUICK_FACTOR:g} x the full size, fewer baseline points")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--families", default="all",
                    help="library-overhead families, 'all', 'none' or a comma-separated subset of: " + ", ".join(OVERHEAD))
    ap.add_argument("--sweeps", default="all",
                    help="sweep families, 'all', 'none' or a comma-separated subset of: " + ", ".join(FAMILIES))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every grid size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-kernels", action="store_true", help="skip the kernel comparison")
    ap.add_argument("--rss-points", type=float, default=None, help="run only one coverage sweep of this many points")
    ap.add_argument("--chunk-size", type=int, default=1 << 20, help="chunk size for --rss-points")
    args = ap.parse_args(argv)

    def progress(msg):
        if not args.json:
            print(msg, file=sys.stderr, flush=True)

    if args.rss_points is not None:
        out = run_rss(args.rss_points, args.chunk_size)
    else:
        def pick(flag, value, known):
            if value == "none":
                return []
            names = list(known) if value == "all" else [n.strip() for n in value.split(",") if n.strip()]
            unknown = [n for n in names if n not in known]
            if unknown:
                ap.error(f"{flag}: unknown {unknown}; choose from {', '.join(known)}")
            return names

        over_names = pick("--families", args.families, OVERHEAD)
        sweep_names = pick("--sweeps", args.sweeps, FAMILIES)
        if args.scale <= 0:
            ap.error("--scale must be > 0")
        out = run_overhead(over_names, quick=args.quick, scale=args.scale, seed=args.seed, progress=progress)
        sweeps = run_families(sweep_names, quick=args.quick, scale=args.scale, seed=args.seed, progress=progress)
        out.update(sweeps)
        out["retraces"] = sweeps["retraces"] + sum(r["retraces"] for r in out["families"].values())
        if not args.no_kernels:
            out["kernels"] = measure_kernels(args.quick)
        out["peak_rss_mb"] = peak_rss_mb()
        out["cpu_count"] = os.cpu_count()
        out["load_average"] = list(os.getloadavg())  # other work on the machine skews timings
    if args.json:
        json.dump(out, sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
    elif args.rss_points is not None:
        print(json.dumps(out, indent=1))
    else:
        _print_table(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
