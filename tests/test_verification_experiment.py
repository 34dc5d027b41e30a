"""verify_split reproduction end to end (fast path) against Singhi et al.'s headline numbers."""

import numpy as np
import pytest

import ttsim
from ttsim.experiments import _common, verify_split


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("verify_split")
    return out, verify_split.run(out, fast=True)


def test_outputs_follow_the_schema(results):
    out, res = results
    assert _common.validate_output_dir(out) == res
    assert res["paper_values"] == verify_split.PAPER
    assert (out / "quality_map.png").exists()
    # No data ships for this paper and every number depends on the verifier constant d.
    assert {r["kind"] for r in res["comparisons"]} == {"calibrated"}
    names = [c["name"] for c in res["calibrated_constants"]]
    assert any("8x" in n for n in names) and any("3.8%" in n for n in names)


def test_calibration_solves_are_correct(results):
    # Issue 13 replaced "the tuned d lands near 8x" (true by construction) by a check that the
    # calibration does what it says: the d solved for 8x gives 8x and the d solved for the 3.8%
    # gain gives 3.8%, recomputed here from the library's frontier (not from the run's numbers).
    _, res = results
    cal = res["calibration"]
    problems = ttsim.beta_population(verify_split.ALPHA, verify_split.BETA, num_nodes=16)
    budget = 2.0 ** np.arange(0.0, 15.0 + 1e-9, 0.5)
    sc = np.asarray(verify_split._frontier(problems, budget, 64).sc_accuracy)

    def genrm(d):
        tpr, fpr = ttsim.difficulty_scaled_verifier(problems.p, verify_split.TPR, d, verify_split.EXPONENT)
        return np.asarray(ttsim.genrm_frontier(problems, tpr, fpr, verify_split.LAM, budget).accuracy, np.float64)

    peak = sc.max()
    sc_budget = ttsim.compute_to_match(budget, sc, peak - 0.002)
    assert ttsim.compute_to_match(budget, genrm(cal["d_for_8x"]), peak) / sc_budget == pytest.approx(8.0, rel=5e-3)
    gain = np.interp(np.log(128 * sc_budget), np.log(budget), genrm(cal["d_for_gain_3.8pct"])) - peak
    assert gain == pytest.approx(0.038, abs=5e-4)
    # and the model cannot match both paper numbers with one d (stated in the caveats)
    assert cal["compute_multiple_with_d_for_gain"] > 8.0 * 1.5
    assert cal["gain_at_128x_with_d_for_8x"] > 0.038 * 1.5
    assert "one d cannot match both" in " ".join(res["caveats"])


def test_exponents_near_paper_only_with_the_v_cap(results):
    # On the paper's grid (V <= 32) the fit lands near S_opt ~ C^0.57, V_opt ~ C^0.39 (within 0.12) ...
    _, res = results
    assert res["s_opt_exponent"] == pytest.approx(verify_split.PAPER["s_opt_exponent"], abs=0.12)
    assert res["v_opt_exponent"] == pytest.approx(verify_split.PAPER["v_opt_exponent"], abs=0.12)
    assert res["s_opt_exponent"] > res["v_opt_exponent"]
    # ... but only because of the cap: below it the model's own ordering is the opposite (b > a),
    # which is what the table, results.json and the docs say. If this flips, update them.
    assert res["v_opt_exponent_below_cap"] > res["s_opt_exponent_below_cap"]
    table = next(r for r in res["comparisons"] if r["quantity"].startswith("S_opt exponent a, budgets below"))
    assert "NOT REPRODUCED" in table["note"]


def test_gain_positive_and_map_consistent(results):
    _, res = results
    assert 0.0 < res["genrm_gain_at_128x"] < 0.2
    m = np.array(res["quality_map"]["log2_multiple_difficulty_scaled"], dtype=float)
    # Better verifiers (rows) and cheaper verification (columns) never need more compute.
    finite = np.where(np.isfinite(m), m, 1e9)  # "never" ranks above every finite multiple
    assert np.all(np.diff(finite, axis=0) <= 1e-6)
    assert np.all(np.diff(finite, axis=1) >= -1e-6)
