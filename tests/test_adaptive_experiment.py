"""The adaptive experiment on one shipped log: output layout, kinds, and the rules' savings."""

from __future__ import annotations

import json

import numpy as np

from ttsim.experiments import adaptive


def test_adaptive_experiment_one_log(tmp_path, monkeypatch):
    logs = adaptive._logs()
    assert len(logs) >= 5  # every shipped Epoch AI log is read
    monkeypatch.setattr(adaptive, "_logs", lambda: {"otis_aime_o3_mini": logs["otis_aime_o3_mini"]})
    monkeypatch.setattr(adaptive, "PRM_KS", (4, 16, 256))  # the N the comparison rows read
    monkeypatch.setattr(adaptive, "PRM_TRIALS", 1024)
    res = adaptive.run(tmp_path, seed=0)
    for name in ("figure.png", "table.md", "table.csv", "data.csv", "results.json"):
        assert (tmp_path / name).exists(), name
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == "adaptive" and saved["calibrated_constants"]
    assert {c["kind"] for c in saved["comparisons"]} <= {"reproduced", "consistency", "calibrated"}
    log = res["logs"]["otis_aime_o3_mini"]
    assert log["max_samples"] == 16
    for rule in ("esc", "adaptive", "doubling"):
        r = log["rules"][rule]
        assert r["estimator"] == "exact"
        assert r["mean_samples"] < 12  # every rule saves at least a quarter of the 16 samples
        assert abs(r["accuracy"] - log["maj_at_max"]) < 0.01  # at maj@16's accuracy
        assert abs(r["model_mean_samples"] - r["mean_samples"]) < 1.0  # model with calibrated share

    # PRM search at the calibrated constants: the Hugging Face ordering, labelled calibrated
    prm_rows = [c for c in saved["comparisons"] if c["quantity"].startswith("PRM search")]
    assert prm_rows and all(c["kind"] == "calibrated" and c["reproduced"] > 0 for c in prm_rows)
    names = {c["name"] for c in saved["calibrated_constants"]}
    assert {"prm.hack_share", "prm.hack_margin"} <= names
    acc = {s: np.asarray(v) for s, v in res["prm_search"]["accuracy"].items()}
    assert acc["beam"][1, 0] > acc["best_of_n"][1, 0] + 0.3  # N = 16, p = 0.05
    assert acc["dvts"][2, 2] > acc["beam"][2, 2] + 0.15  # N = 256, p = 0.5
