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
    fams = "coverage,beta_coverage,kinetics_cost"
    assert run.main(["--quick", "--json", "--scale", "0.05", "--families", fams]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("speedup_vs_numpy", "points_per_second", "retraces", "peak_rss_mb", "families", "kernels"):
        assert key in out, key
    assert out["speedup_vs_numpy"] > 0 and math.isfinite(out["speedup_vs_numpy"])
    assert out["points_per_second"] > 0 and out["peak_rss_mb"] > 0
    assert out["retraces"] == 0
    for name, fam in out["families"].items():
        assert fam["num_traces"] == 1, name
        assert fam["speedup_vs_loop"] > 0 and fam["loop_points"] > 0, name
        assert fam["max_rel_diff_vs_loop"] < 1e-3, name  # both sides compute the same formula
    assert set(out["families"]) | set(out["skipped"]) == set(fams.split(","))


def test_rss_mode_reports_memory(capsys):
    run = _load()
    assert run.main(["--rss-points", "4e4", "--chunk-size", "4096", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rss_points"] >= 39_000 and out["retraces"] == 0 and out["peak_rss_mb"] > 0
