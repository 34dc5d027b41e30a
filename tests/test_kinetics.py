"""End-to-end: the ``kinetics`` reproduction against the paper's headline numbers."""

import pytest

from ttsim.experiments import _common, kinetics


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("kinetics")
    headline = kinetics.run(out)
    return out, headline


def test_outputs_follow_the_schema(results):
    out, headline = results
    assert _common.validate_output_dir(out) == headline
    rows = {r["quantity"]: r for r in headline["comparisons"]}
    row = rows["eFLOPs model-size threshold (B params)"]
    assert row["paper"] == 14.0 and row["difference"] == row["reproduced"] - row["paper"]
    # Issue 13: the compute check is partly circular (prompt lengths and P(14B) were inverted from
    # the shipped costs), the memory check independent.
    assert rows["max relative error vs shipped compute costs"]["kind"] == "calibrated"
    assert rows["max relative error vs shipped memory costs"]["kind"] == "reproduced"
    names = " ".join(c["name"] for c in headline["calibrated_constants"])
    assert "prompt_tokens" in names and "14b" in names


def test_model_size_threshold_matches_paper(results):
    _, h = results
    assert h["threshold_b"] == 14.0  # exact: the paper's ~14B
    assert h["threshold_b_under_flops"] < h["threshold_b"]  # under FLOPs small models look optimal


def test_flops_optimal_choice_costs_up_to_about_3x_more_eflops(results):
    _, h = results
    assert abs(h["flops_vs_eflops_cost_ratio"] - 3.0) <= 0.5  # paper: "up to 3x"


def test_sparse_attention_gain_and_cost_reduction(results):
    _, h = results
    assert 60.0 <= h["sparse_gain_points"] <= 90.0  # paper: "over 60 points" at low cost
    assert 10.0 / 1.5 <= h["sparse_cost_reduction"] <= 10.0 * 1.5  # paper: ~10x cheaper at dense accuracy


def test_pass_at_1_and_cost_validation(results):
    _, h = results
    for model, want in kinetics.PAPER["pass1"].items():
        assert abs(h["pass_at_1"][model] - want) <= 1e-3
    assert h["validation"]["max_relative_error"] < 1e-5  # float32 recomputation of every shipped cost
    # Same conclusions from the shipped costs.
    shipped = h["from_shipped_costs"]
    assert shipped["threshold_b"] == h["threshold_b"]
    assert shipped["flops_vs_eflops_cost_ratio"] == pytest.approx(h["flops_vs_eflops_cost_ratio"], rel=0.05)
