"""Smoke test of benchmarks/run.py: a tiny grid, JSON keys present, ratios positive (not timed)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def _load():
    spec = importlib.util.spec_from_file_location("ttsim_benchmarks_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_quick_json_has_the_keys_and_positive_ratios(capsys):
    run = _load()
    sweeps = "coverage,beta_coverage,kinetics_cost"
    fams = "beta_coverage,refinement,kinetics_cost"
    assert run.main(["--quick", "--json", "--scale", "0.05", "--families", fams, "--sweeps", sweeps]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("speedup_vs_numpy", "over_hand_jit", "speedup_vs_loop", "points_per_second", "retraces",
                "peak_rss_mb", "families", "sweeps", "kernels"):
        assert key in out, key
    assert out["speedup_vs_numpy"] > 0 and math.isfinite(out["speedup_vs_numpy"])
    assert out["points_per_second"] > 0 and out["peak_rss_mb"] > 0
    assert out["retraces"] == 0
    assert set(out["families"]) == set(fams.split(","))
    for name, fam in out["families"].items():
        for key in ("ttsim_over_numpy", "ttsim_over_hand_jit", "ttsim_max_abs_error", "numpy_max_abs_error",
                    "hand_jit_max_abs_error", "retraces"):
            assert key in fam, (name, key)
        assert fam["ttsim_over_numpy"] > 0 and fam["ttsim_over_hand_jit"] > 0, name
        # every side computes the same quantity: each agrees with the float64 reference
        assert max(fam["ttsim_max_abs_error"], fam["numpy_max_abs_error"], fam["hand_jit_max_abs_error"]) < 1e-3, name
    for name, fam in out["sweeps"].items():
        assert fam["num_traces"] == 1, name
        assert fam["speedup_vs_loop"] > 0 and fam["loop_points"] > 0, name
        assert fam["max_rel_diff_vs_loop"] < 1e-3, name  # both sides compute the same formula
    assert set(out["sweeps"]) | set(out["skipped"]) == set(sweeps.split(","))


def test_every_overhead_family_agrees_with_its_reference():
    """Each family's three implementations compute the quantity its float64 reference computes."""
    import sys

    sys.path.insert(0, str(RUN.parent))
    import overhead

    # Monte Carlo families are checked against their sampling error (trials = 4096: sd <= 0.008);
    # cost families in seconds (values up to ~10 s, float32 relative error ~1e-6); the hand-written
    # float32 pass@k is the naive log-gamma difference, whose cancellation costs ~3e-4 at n = 1000.
    limits = {"majority_vote_monte_carlo": 0.05, "weighted_vote": 0.05, "roofline_cost": 1e-3,
              "kinetics_cost": 1e-3, ("estimators_pass_at_k", "hand_jit"): 3e-3}
    for name in overhead.FAMILIES:
        r = overhead.measure(name, 0.002, min_seconds=0.0)
        assert r["reference_points"] > 0, name
        for side in ("ttsim", "hand_jit", "numpy"):
            err = r[f"{side}_max_abs_error"]
            assert err < limits.get((name, side), limits.get(name, 1e-4)), (name, side, err)


def test_rss_mode_reports_memory(capsys):
    run = _load()
    assert run.main(["--rss-points", "4e4", "--chunk-size", "4096", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rss_points"] >= 39_000 and out["retraces"] == 0 and out["peak_rss_mb"] > 0
