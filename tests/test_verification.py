"""GenRM solver/verifier split: exact accuracy vs enumeration and Monte Carlo, limits, frontier."""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import ttsim
from ttsim._src.numerics import enable_x64


def _enumerate_genrm(p, tpr, fpr, s, v, correlation=0.0):
    """Brute force: every correctness pattern and every score vector, uniform pick among the top."""
    if correlation > 0:
        conc = (1 - correlation) / correlation
        law_t = scipy.stats.betabinom(v, tpr * conc, (1 - tpr) * conc).pmf
        law_f = scipy.stats.betabinom(v, fpr * conc, (1 - fpr) * conc).pmf
    else:
        law_t = scipy.stats.binom(v, tpr).pmf
        law_f = scipy.stats.binom(v, fpr).pmf
    total = 0.0
    for pattern in itertools.product([0, 1], repeat=s):
        w_pat = np.prod([p if c else 1 - p for c in pattern])
        for scores in itertools.product(range(v + 1), repeat=s):
            w = w_pat * np.prod([law_t(x) if c else law_f(x) for c, x in zip(pattern, scores, strict=True)])
            top = max(scores)
            tied = [c for c, x in zip(pattern, scores, strict=True) if x == top]
            total += w * sum(tied) / len(tied)
    return total


@pytest.mark.parametrize(
    "p,tpr,fpr,s,v,rho",
    [(0.3, 0.8, 0.3, 3, 2, 0.0), (0.6, 0.55, 0.45, 2, 3, 0.0), (0.1, 0.9, 0.2, 3, 1, 0.0), (0.4, 0.7, 0.4, 3, 2, 0.3),
     (0.0, 0.8, 0.2, 2, 2, 0.0), (1.0, 0.8, 0.2, 2, 2, 0.0), (0.5, 1.0, 0.0, 3, 1, 0.0)],
)
def test_exact_matches_enumeration(p, tpr, fpr, s, v, rho):
    with enable_x64(True):
        got = float(ttsim.genrm_accuracy(jnp.float64(p), tpr, fpr, s, v, correlation=rho))
    np.testing.assert_allclose(got, _enumerate_genrm(p, tpr, fpr, s, v, rho), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "p,tpr,fpr,s,v,rho,tie",
    [(0.3, 0.8, 0.3, 6, 3, 0.0, "uniform"), (0.15, 0.9, 0.2, 12, 5, 0.0, "uniform"),
     (0.3, 0.75, 0.35, 6, 2, 0.0, "vote"), (0.35, 0.7, 0.4, 4, 3, 0.3, "uniform")],
)
def test_exact_matches_monte_carlo(p, tpr, fpr, s, v, rho, tie):
    trials = 100_000 if rho == 0 else 30_000
    probs = ttsim.answer_probs(p, 0.4 * (1 - p), 3) if tie == "vote" else None
    exact = float(ttsim.genrm_accuracy(p, tpr, fpr, s, v, tie_break=tie, probs=probs, correlation=rho))
    mc = float(ttsim.accuracy.simulate_genrm(jax.random.key(7), p, tpr, fpr, s, v, num_trials=trials, tie_break=tie,
                                    probs=probs, correlation=rho))
    assert abs(exact - mc) <= 5 * np.sqrt(exact * (1 - exact) / trials) + 1e-6


def test_limits():
    p, s = jnp.array([0.05, 0.3, 0.7]), 10.0
    # V = 0: all tie, a random pick is right with probability p.
    np.testing.assert_allclose(ttsim.genrm_accuracy(p, 0.9, 0.1, s, 0), p, rtol=1e-6)
    # tpr == fpr: verdicts carry no information.
    np.testing.assert_allclose(ttsim.genrm_accuracy(p, 0.6, 0.6, s, 7), p, rtol=1e-5)
    # V -> infinity with tpr > fpr: the oracle best-of-S, i.e. coverage.
    far = ttsim.genrm_accuracy(p, 0.7, 0.3, s, 400, max_verifications=400)
    np.testing.assert_allclose(far, ttsim.coverage(p, s), atol=1e-4)
    # A perfect verifier needs a single verdict.
    np.testing.assert_allclose(ttsim.genrm_accuracy(p, 1.0, 0.0, s, 1), ttsim.coverage(p, s), rtol=1e-6)
    # Correlated verdicts stay below coverage however many there are.
    corr = ttsim.genrm_accuracy(p, 0.7, 0.3, s, 400, max_verifications=400, correlation=0.3)
    assert np.all(np.asarray(corr) < np.asarray(ttsim.coverage(p, s)) - 1e-3)


def test_vote_tie_break_limits():
    probs = ttsim.answer_probs(jnp.array([0.3, 0.5]), jnp.array([0.4, 0.2]), 3)
    s = jnp.array([5.0, 9.0])
    # V = 0: all tied, the vote among them is self-consistency over S.
    np.testing.assert_allclose(
        ttsim.genrm_accuracy(None, 0.8, 0.2, s, 0, tie_break="vote", probs=probs),
        ttsim.majority_vote(probs, s, method="exact"),
        rtol=1e-5,
    )


def test_lambda_to_zero_makes_verifying_free():
    pop = ttsim.empirical_population(jnp.array([0.2, 0.5]))
    budget = jnp.array([4.0, 16.0])
    fr = ttsim.accuracy.genrm_frontier(pop, 0.8, 0.3, 1e-9, budget, max_verifications=12)
    np.testing.assert_array_equal(fr.solutions, budget)  # every solution is still bought
    vs = jnp.arange(1.0, 13.0)
    table = ttsim.accuracy.population_genrm_accuracy(pop, 0.8, 0.3, budget[:, None], vs[None, :], max_verifications=12)
    np.testing.assert_allclose(fr.accuracy, table.max(axis=1), rtol=1e-6)
    # With a perfect verifier and free verification, GenRM reaches coverage of the whole budget.
    fr = ttsim.accuracy.genrm_frontier(pop, 1.0, 0.0, 0.0, budget, max_verifications=12)
    np.testing.assert_allclose(fr.accuracy, ttsim.population_coverage(pop, budget), rtol=1e-6)
    np.testing.assert_allclose(ttsim.accuracy.verification_budget(7.0, 5.0, 0.0), 7.0)


@given(
    p=st.floats(0.0, 1.0),
    tpr=st.floats(0.0, 1.0),
    gap=st.floats(0.0, 1.0),
    v=st.integers(0, 12),
    rho=st.sampled_from([0.0, 0.3]),
)
def test_bounded_monotone_in_s(p, tpr, gap, v, rho):
    fpr = tpr * (1.0 - gap)  # fpr <= tpr
    s = jnp.array([1.0, 2.0, 3.0, 5.0, 8.0, 20.0, 100.0])
    acc = np.asarray(ttsim.genrm_accuracy(p, tpr, fpr, s, v, max_verifications=12, correlation=rho))
    assert np.all(np.isfinite(acc))
    assert np.all(acc >= p - 1e-5)  # a verifier no worse than chance never hurts
    assert np.all(acc <= np.asarray(ttsim.coverage(p, s)) + 1e-5)
    assert np.all(np.diff(acc) >= -2e-5)


def test_population_and_per_problem_verifier():
    pop = ttsim.beta_population(0.7, 1.3, num_nodes=8)
    tpr, fpr = ttsim.accuracy.difficulty_scaled_verifier(pop.p, 0.8, 0.5)
    got = ttsim.accuracy.population_genrm_accuracy(pop, tpr, fpr, jnp.array([3.0, 9.0]), jnp.array([2.0, 4.0]), max_verifications=4)
    per_problem = ttsim.genrm_accuracy(pop.p, tpr, fpr, jnp.array([[3.0], [9.0]]), jnp.array([[2.0], [4.0]]),
                                       max_verifications=4)  # (2, P)
    want = np.sum(np.asarray(pop.weight) * np.asarray(per_problem), axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(fpr, 0.8 - 0.5 * pop.p, rtol=1e-6)


def test_vmappable_over_verifier_and_lambda_one_trace():
    pop = ttsim.empirical_population(jnp.array([0.2, 0.6]))
    budget = jnp.array([2.0, 8.0, 32.0])
    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def sweep(tprs, lams):
        f = lambda t, lam: ttsim.accuracy.genrm_frontier(pop, t, 0.3, lam, budget, max_verifications=6).accuracy  # noqa: E731
        return jax.vmap(jax.vmap(f, in_axes=(None, 0)), in_axes=(0, None))(tprs, lams)

    tprs, lams = jnp.array([0.5, 0.8, 0.95]), jnp.array([0.5, 1.0, 2.0, 4.0])
    out = sweep(tprs, lams)
    sweep(tprs + 0.01, lams * 1.5)  # new values, no retrace
    for i, j in ((0, 0), (2, 3)):
        ref = ttsim.accuracy.genrm_frontier(pop, tprs[i], 0.3, lams[j], budget, max_verifications=6).accuracy
        np.testing.assert_allclose(out[i, j], ref, rtol=1e-6)


def test_frontier_respects_budget_and_sc():
    pop = ttsim.beta_population(0.5, 0.5, num_nodes=6)
    budget = jnp.array([1.0, 3.0, 10.0, 40.0, 150.0])
    fr = ttsim.accuracy.verify_split_frontier(
        pop, 0.8, 0.3, 2.0, budget, max_verifications=8, sc_max_solutions=32, wrong_mode_share=0.5
    )
    ok = np.isfinite(np.asarray(fr.genrm_accuracy))
    assert not ok[0] and ok[1:].all()  # C = 1 cannot buy a verified solution when lam = 2
    cost = ttsim.accuracy.verification_budget(fr.genrm_solutions[ok], fr.genrm_verifications[ok], 2.0)
    assert np.all(np.asarray(cost) <= np.asarray(budget)[ok] + 1e-4)
    sc = ttsim.accuracy.population_majority_vote(pop, jnp.minimum(budget, 32.0), wrong_mode_share=0.5, num_other=8, method="exact")
    np.testing.assert_allclose(fr.sc_accuracy, sc, rtol=1e-6)
    table_best = np.nanmax(np.asarray(fr.genrm_table)[ok], axis=1)
    np.testing.assert_allclose(np.asarray(fr.genrm_accuracy)[ok], table_best, rtol=1e-6)


def test_crossover_and_exponent_helpers():
    c = 2.0 ** np.arange(0, 11)
    np.testing.assert_allclose(ttsim.accuracy.compute_to_match(c, np.log2(c) / 10, 0.35), 2**3.5, rtol=1e-9)
    assert np.isnan(ttsim.accuracy.compute_to_match(c, np.log2(c) / 10, 2.0))
    fr = ttsim.accuracy.SplitFrontier(
        budget=c, sc_accuracy=np.minimum(np.log2(c) / 10, 0.4), genrm_accuracy=np.log2(c) / 20,
        genrm_solutions=c, genrm_verifications=c, genrm_table=None, best_strategy_accuracy=None,
    )
    cross = ttsim.accuracy.verifying_crossover(fr, plateau_tol=0.0)
    assert cross.sc_peak_budget == pytest.approx(16.0) and cross.genrm_match_budget == pytest.approx(256.0)
    assert cross.compute_multiple == pytest.approx(16.0)
    ex = ttsim.accuracy.fit_split_exponents(c, 3.0 * c**0.57, 0.5 * c**0.39)
    assert ex.a == pytest.approx(0.57) and ex.b == pytest.approx(0.39) and ex.s_coef == pytest.approx(3.0)


def test_solutions_for_budget():
    np.testing.assert_array_equal(ttsim.accuracy.solutions_for_budget(jnp.array([9.0, 10.0, 2.0]), 2.0, 2.0), [1.0, 2.0, 0.0])
    np.testing.assert_allclose(ttsim.accuracy.solutions_for_budget(10.0, 2.0, 2.0, integer=False), 2.0)


@pytest.mark.parametrize(
    "kwargs,match",
    [({"tpr": 1.2}, "tpr"), ({"num_verifications": 9, "max_verifications": 4}, "max_verifications"),
     ({"tie_break": "best"}, "tie_break"), ({"tie_break": "vote"}, "probs"), ({"num_solutions": 0.5}, "num_solutions"),
     ({"correlation": 1.0}, "correlation"), ({"num_verifications": 1.5}, "num_verifications")],
)
def test_validation(kwargs, match):
    args = {"p": 0.3, "tpr": 0.8, "fpr": 0.2, "num_solutions": 4, "num_verifications": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        ttsim.genrm_accuracy(**args)
