"""Adaptive stopping: log estimators vs brute-force orderings, model DP vs brute-force sequences,
Monte Carlo vs exact, ESC closed form, properties, strategies and the CLI."""

from __future__ import annotations

import itertools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttsim._src.adaptive import (
    adaptive_consistency_strategy,
    esc_expected_samples,
    esc_stop_correct,
    esc_strategy,
    stopping_accuracy,
    stopping_accuracy_exact,
)
from ttsim._src.population import empirical_population
from ttsim._src.stopping_logs import _groups, estimate_stopping_arrays
from ttsim._src.stopping_rules import adaptive_consistency_rule, doubling_rule, esc_rule

RULES = [(esc_rule(2), 6), (esc_rule(3), 6), (adaptive_consistency_rule(0.8), 7), (doubling_rule(0.6), 6), (doubling_rule(0.6), 5)]


def _plurality(counts, corr):
    counts = np.asarray(counts)
    if counts.size == 0 or counts.max() == 0:
        return 0.0
    tied = counts == counts.max()
    return (tied & corr).sum() / tied.sum()


def _simulate(rule, seq, corr, max_samples, num_groups):
    """Run a rule step by step on one ordering (group -1 = empty answer)."""
    counts = [0] * num_groups
    aux = -3
    for m, g in enumerate(seq[:max_samples], 1):
        if g >= 0:
            counts[g] += 1
        aux = rule.update(aux, int(g), m)
        stop, answer = rule.stop(tuple(counts), aux, m, max_samples)
        if stop or m == max_samples:
            return (float(corr[answer]) if answer >= 0 else _plurality(counts, corr)), m
    raise AssertionError("never stopped")


def _brute_log(answers, correct, rule, max_samples):
    group, size, corr = _groups(answers, correct)
    res = [_simulate(rule, group[list(perm)], corr, max_samples, len(size)) for perm in itertools.permutations(range(len(group)))]
    return np.mean(res, axis=0)


LOG_ANSWERS = [np.array([0, 0, 1, 1, 2, -1, 0]), np.array([3, 3, 3, 1, -1, -1, 2])]
LOG_CORRECT = [np.array([1, 0, 0, 0, 0, 0, 1]), np.array([0, 0, 0, 1, 0, 0, 0])]


@pytest.mark.parametrize(("rule", "max_samples"), RULES)
def test_log_estimator_exact_matches_all_orderings(rule, max_samples):
    want = np.array([_brute_log(a, c, rule, max_samples) for a, c in zip(LOG_ANSWERS, LOG_CORRECT, strict=True)])
    est = estimate_stopping_arrays(LOG_ANSWERS, LOG_CORRECT, rule, max_samples, method="exact")
    assert est.method == "exact"
    np.testing.assert_allclose(est.per_problem_accuracy, want[:, 0], atol=1e-12)
    np.testing.assert_allclose(est.per_problem_samples, want[:, 1], atol=1e-12)


@pytest.mark.parametrize(("rule", "max_samples"), RULES[::2])
def test_log_estimator_monte_carlo_matches_exact(rule, max_samples):
    ex = estimate_stopping_arrays(LOG_ANSWERS, LOG_CORRECT, rule, max_samples, method="exact")
    mc = estimate_stopping_arrays(LOG_ANSWERS, LOG_CORRECT, rule, max_samples, method="monte_carlo", num_trials=20_000, seed=3)
    assert mc.method == "monte_carlo" and 0 < mc.mc_stderr < 0.01
    assert abs(mc.accuracy - ex.accuracy) < 5 * mc.mc_stderr
    assert abs(mc.mean_samples - ex.mean_samples) < 0.05


def test_log_estimator_errors_name_problem():
    with pytest.raises(ValueError, match="'b'"):
        estimate_stopping_arrays([np.zeros(8), np.zeros(3)], [np.ones(8), np.ones(3)], adaptive_consistency_rule(), 4, problem_names=["a", "b"])
    with pytest.raises(ValueError, match="multiple"):
        estimate_stopping_arrays([np.zeros(8)], [np.ones(8)], esc_rule(3), 4)


def _brute_model(pi, rule, max_samples):
    acc = smp = 0.0
    corr = np.zeros(len(pi), bool)
    corr[0] = True
    for seq in itertools.product(range(len(pi)), repeat=max_samples):
        pr = np.prod(pi[list(seq)])
        s, m = _simulate(rule, list(seq), corr, max_samples, len(pi))
        acc += pr * s
        smp += pr * m
    return acc, smp


@pytest.mark.parametrize(("rule", "max_samples"), [(doubling_rule(2 / 3), 8), (esc_rule(2), 6), (adaptive_consistency_rule(0.9), 6)])
def test_model_exact_matches_all_sequences(rule, max_samples):
    pi = np.array([0.2, 0.3, 0.25, 0.25])
    acc, smp = _brute_model(pi, rule, max_samples)
    ex = stopping_accuracy_exact(pi, rule, max_samples)
    assert ex.accuracy == pytest.approx(acc, abs=1e-12)
    assert ex.mean_samples == pytest.approx(smp, abs=1e-10)


@pytest.mark.parametrize(("rule", "max_samples"), [(esc_rule(4), 16), (adaptive_consistency_rule(0.95), 16), (doubling_rule(2 / 3), 16)])
def test_model_monte_carlo_matches_exact(rule, max_samples):
    probs = np.array([[0.2, 0.3, 0.25, 0.25], [0.6, 0.2, 0.1, 0.1]])
    ex = stopping_accuracy_exact(probs, rule, max_samples)
    mc = stopping_accuracy(jax.random.key(0), probs, rule, max_samples, num_trials=20_000)
    # standard errors: accuracy <= 0.0035, samples <= 0.05 (measured spread over seeds ~0.04)
    np.testing.assert_allclose(np.asarray(mc.accuracy), ex.accuracy, atol=0.015)
    np.testing.assert_allclose(np.asarray(mc.mean_samples), ex.mean_samples, atol=0.2)


def test_esc_closed_form_matches_exact_dp():
    probs = np.array([[0.2, 0.3, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1], [1.0, 0.0, 0.0, 0.0]])
    ex = stopping_accuracy_exact(probs, esc_rule(3), 12)
    np.testing.assert_allclose(np.asarray(esc_expected_samples(probs, 3, 12)), ex.mean_samples, rtol=1e-5)
    # stopping early on the correct answer is part of the accuracy
    assert np.all(np.asarray(esc_stop_correct(probs, 3, 12)) <= ex.accuracy + 1e-6)
    with pytest.raises(ValueError, match="multiple"):
        esc_expected_samples(probs, 5, 12)


@settings(max_examples=15, deadline=None)
@given(
    p=st.floats(0.0, 1.0),
    share=st.floats(0.0, 1.0),
    which=st.sampled_from(["esc", "adaptive", "doubling"]),
)
def test_properties_samples_below_max_accuracy_below_coverage(p, share, which):
    rule, m = {"esc": (esc_rule(2), 6), "adaptive": (adaptive_consistency_rule(0.9), 6), "doubling": (doubling_rule(0.6), 6)}[which]
    q = share * (1 - p)
    rest = (1 - p - q) / 2
    pi = np.array([p, q, rest, rest])
    ex = stopping_accuracy_exact(pi / pi.sum(), rule, m)
    assert 1 <= ex.mean_samples <= m + 1e-9
    assert ex.accuracy <= 1 - (1 - p) ** m + 1e-9


def test_strategies_jit_and_workload():
    s = esc_strategy(jax.random.key(0), window=4, max_samples=16, num_trials=512)
    acc = jax.jit(s.accuracy)(jnp.array([0.0, 0.5, 1.0]), s.params)
    assert acc.shape == (3,) and float(acc[0]) == 0.0 and float(acc[2]) == 1.0
    (ph,) = s.workload(s.params).phases
    assert float(ph.count * ph.length) == pytest.approx(16.0)  # no population: worst case M
    pop = empirical_population(jnp.array([0.9, 0.95]))
    a = adaptive_consistency_strategy(jax.random.key(1), max_samples=16, num_trials=512, problems=pop)
    (ph,) = a.workload(a.params).phases
    assert float(ph.count) == 1.0 and 3.0 < float(ph.length) < 8.0 and ph.role == "solver"


def test_cli_stopping(capsys, tmp_path):
    from ttsim.cli import main

    rows = ["problem,sample,answer,correct,tokens"]
    for i, a in enumerate(["1", "1", "2", "1", "", "1", "3", "1"]):
        rows.append(f"a,{i},{a},{int(a == '1')},")
    for i, a in enumerate(["4", "5", "4", "4", "6", "4", "4", "5"]):
        rows.append(f"b,{i},{a},{int(a == '5')},")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["estimate", str(path), "--stopping", "esc", "--window", "2", "--json", "--bootstrap", "0"]) == 0
    st_ = json.loads(capsys.readouterr().out)["stopping"]
    assert st_["method"] == "esc" and st_["max_samples"] == 8
    for key in ("accuracy", "mean_samples", "maj_at_max"):
        assert 0.0 <= st_[key] <= 8.0
    assert st_["mean_samples"] < 8
    assert main(["estimate", str(path), "--stopping", "adaptive", "--max-samples", "9", "--json"]) == 2
    err = capsys.readouterr().err
    assert "--max-samples" in err and "'a'" in err and len(err.strip().splitlines()) == 1


@settings(max_examples=20, deadline=None)
@given(
    answers=st.lists(st.integers(-1, 3), min_size=4, max_size=8),
    right=st.integers(0, 3),
    which=st.sampled_from(["esc", "adaptive", "doubling"]),
)
def test_log_properties_samples_below_max_accuracy_below_coverage(answers, right, which):
    from math import comb

    a = np.array(answers)
    c = (a == right).astype(int)
    m = {"esc": 4, "adaptive": len(a), "doubling": len(a)}[which]
    rule = {"esc": esc_rule(2), "adaptive": adaptive_consistency_rule(0.8), "doubling": doubling_rule(0.6)}[which]
    est = estimate_stopping_arrays([a], [c], rule, m, method="exact")
    n, good = len(a), int(c.sum())
    coverage = 1 - comb(n - good, m) / comb(n, m)  # some right answer among M drawn
    assert 1 <= est.mean_samples <= m + 1e-12
    assert est.accuracy <= coverage + 1e-12


def test_strategies_run_through_the_optimizer():
    import ttsim
    import ttsim.optim as to
    import ttsim.strategies as ts
    from ttsim._src.prm_search import prm_search_strategy

    p = np.array([0.1, 0.4, 0.8, 0.9])
    binned = to.bin_population(p, np.array([0, 0, 1, 1]), 2)
    pop = ttsim.empirical_population(p)
    esc = esc_strategy(jax.random.key(0), window=4, max_samples=16, num_trials=256, problems=pop)
    beam = prm_search_strategy(jax.random.key(1), "beam", 8, num_trials=128, num_steps=4)
    grid = to.concat_grids([to.option_grid(esc), to.option_grid(beam, d_prime=[0.5, 1.0]), to.option_grid(ts.majority_vote(), k=[1, 16])])
    table = to.option_table(binned, grid)
    cost = table.mass @ table.cost
    assert cost[0] < 16 and cost[1] == pytest.approx(16.0) and cost[-1] == pytest.approx(16.0)
    res = to.optimize_allocation(binned, grid, np.array([8.0]))
    assert np.all(np.asarray(res.cost) <= 8.0 + 1e-9)
