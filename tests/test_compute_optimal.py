"""End-to-end: the ``compute_optimal`` experiment (fast path) and its headline figures."""

import json

from ttsim.experiments import compute_optimal


def test_compute_optimal_fast_path(tmp_path):
    res = compute_optimal.run(tmp_path, seed=0, fast=True)
    for f in ("results.json", "table.md", "table.csv", "figure.png"):
        assert (tmp_path / f).exists(), f
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["compute_saved_oracle_max"] == res["compute_saved_oracle_max"]
    # Snell et al.: compute-optimal allocation saves compute against best-of-N at matched accuracy
    # (paper > 4x with its full menu; the fast path's small menu and budgets <= 64 still save > 2x)
    assert res["compute_saved_oracle_max"] > 2.0
    # predicted (noisy) bins cost some of the saving but never make it worse than uniform
    assert 1.0 <= res["compute_saved_predicted_max"] <= res["compute_saved_oracle_max"] + 0.25
    for entry in res["savings"].values():
        assert entry["all_certified_optimal"]
    # FLOPs-matched: test-time compute wins easy/medium bins at low R, never hard bins at R = 22
    assert res["ttc_win_rate_easy_medium_low_R"] >= 0.5
    assert res["ttc_win_rate_hard_high_R"] == 0.0
    # Kinetics on B200 (I = 562.5) vs H100 (I = 295): the hardware changes the optimal model
    assert res["hardware"]["intensity"]["b200-fp8"] == 562.5
    assert res["hardware_changes_optimal_fraction"] > 0.1
    for d in res["hardware"]["targets_where_optimal_model_differs"]:
        assert d["b200-fp8"] != d["h100-sxm"]
    assert any(r["paper"] == 4.0 for r in res["comparison"])
