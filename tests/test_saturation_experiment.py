"""End-to-end run of the ``saturation`` experiment (reduced path) and its paper numbers."""

import pytest

from ttsim.experiments import _common, load


@pytest.mark.slow
def test_saturation_experiment_fast(tmp_path):
    exp = load("saturation")
    res = exp.run(tmp_path, seed=0, fast=True)
    for name in ("worst_case.csv", "prediction.csv", "population.csv", "hybrid.csv"):
        assert (tmp_path / name).exists(), name
    assert not (tmp_path / "saturation.png").exists()
    on_disk = _common.validate_output_dir(tmp_path)
    assert on_disk == res
    # Issue 13: closed-form worst case and split-half r are consistency checks, not replications.
    assert {r["kind"] for r in res["comparisons"]} == {"consistency"}
    # The worst-case table (Scaling over Scaling: 37 / 74 / 368), computed, not copied.
    table = {row["eps"]: row["n_star"] for row in res["worst_case"]}
    assert table == {0.01: 37, 0.005: 74, 0.001: 368}
    for row in res["worst_case"]:
        assert row["n_star"] == row["paper_n_star"]
    worst_rows = [c for c in res["comparisons"] if c["quantity"].startswith("worst-case")]
    assert len(worst_rows) == 3 and all(c["difference"] == 0 for c in worst_rows)
    assert res["closed_form_matches_search"]
    # The comparison table puts the worst case beside the paper's and labels r a reliability check.
    table = (tmp_path / "table.md").read_text()
    assert table.count("| worst-case N*") == 3 and "split-half reliability r" in table and "NOT a replication" in table
    # Population level: a measured N* at the last k is flagged as censored.
    for row in res["population_level"]:
        assert row["measured_reached"] == (row["measured_n_star"] < row["k_max"])
    # Predicted vs measured per-problem saturation points correlate on both data sets
    # (the TTSPM paper: r = 0.803 on its data); a broken pipeline gives r near 0.
    for row in res["per_problem_prediction"]:
        if row["eps"] == 0.01:
            assert row["pearson_r"] > 0.6 and row["problems"] > 50, row
    # Hybrids: the hard population spends the smallest budgets on parallel chains (T = 1), the
    # easy one on sequential depth (M = 1 at B = 2).
    assert res["hybrid"]["hard"]["best_chain_length"][:3] == [1, 1, 1]
    assert res["hybrid"]["easy"]["best_num_chains"][1] == 1
    # Token budget: the shortest/longest bounds bracket the independence assumption.
    tb = res["token_budget"]
    for lo_row, mid_row, hi_row in zip(tb["accuracy_lower_longest"], tb["accuracy_uniform"], tb["accuracy_upper_shortest"]):
        for lo, mid, hi in zip(lo_row, mid_row, hi_row):
            assert lo <= mid + 1e-6 and mid <= hi + 1e-6
