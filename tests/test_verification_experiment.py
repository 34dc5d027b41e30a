"""verify_split reproduction end to end (fast path) against Singhi et al.'s headline numbers."""

import json

import numpy as np
import pytest

from ttsim.experiments import verify_split


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("verify_split")
    return out, verify_split.run(out, fast=True)


def test_outputs_written(results):
    out, res = results
    for name in ("figure.png", "quality_map.png", "table.md", "table.csv", "results.json"):
        assert (out / name).exists(), name
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk["paper"] == verify_split.PAPER


def test_crossover_near_paper(results):
    # The verifier's discrimination was chosen on a coarse grid to land near 8x: within a factor 1.5.
    _, res = results
    assert 8.0 / 1.5 <= res["compute_multiple_to_match_sc"] <= 8.0 * 1.5


def test_exponents_near_paper_only_with_the_v_cap(results):
    # On the paper's grid (V <= 32) the fit lands near S_opt ~ C^0.57, V_opt ~ C^0.39 (within 0.12) ...
    _, res = results
    assert res["s_opt_exponent"] == pytest.approx(verify_split.PAPER["s_opt_exponent"], abs=0.12)
    assert res["v_opt_exponent"] == pytest.approx(verify_split.PAPER["v_opt_exponent"], abs=0.12)
    assert res["s_opt_exponent"] > res["v_opt_exponent"]
    # ... but only because of the cap: below it the model's own ordering is the opposite (b > a),
    # which is what the table, results.json and the docs say. If this flips, update them.
    assert res["v_opt_exponent_below_cap"] > res["s_opt_exponent_below_cap"]
    caveats = " ".join(res["caveats"])
    assert "tuned" in caveats and "capped" in caveats


def test_table_states_what_was_tuned(results):
    out, _ = results
    table = (out / "table.md").read_text()
    assert "TUNED, not reproduced" in table and "ONLY because V is capped" in table


def test_gain_positive_and_map_consistent(results):
    _, res = results
    assert 0.0 < res["genrm_gain_at_128x"] < 0.2
    m = np.array(res["quality_map"]["log2_multiple_difficulty_scaled"], dtype=float)
    # Better verifiers (rows) and cheaper verification (columns) never need more compute.
    finite = np.where(np.isfinite(m), m, 1e9)  # "never" ranks above every finite multiple
    assert np.all(np.diff(finite, axis=0) <= 1e-6)
    assert np.all(np.diff(finite, axis=1) >= -1e-6)
