"""Majority vote: exact programme vs brute-force enumeration and Monte Carlo, limits, rates, sweeps."""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import ttsim
from ttsim._src.numerics import enable_x64


def brute_force_vote(probs, k):
    """Enumerate all A^k answer sequences (numpy, float64)."""
    probs = np.asarray(probs, np.float64)
    num_answers = len(probs)
    total = 0.0
    for seq in itertools.product(range(num_answers), repeat=k):
        counts = np.bincount(seq, minlength=num_answers)
        top = counts.max()
        if counts[0] == top:
            total += np.prod(probs[list(seq)]) / np.sum(counts == top)
    return total


def _cases(num_answers):
    rng = np.random.default_rng(num_answers)
    cases = [rng.dirichlet(np.ones(num_answers)) for _ in range(3)]
    if num_answers >= 3:
        cases.append(np.r_[0.4, 0.4, np.full(num_answers - 2, 0.2 / (num_answers - 2))])  # tie at the top
        cases.append(np.r_[0.6, 0.4, np.zeros(num_answers - 2)])  # impossible answers
    cases.append(np.r_[1.0, np.zeros(num_answers - 1)])
    cases.append(np.r_[0.0, np.full(num_answers - 1, 1.0 / (num_answers - 1))])
    return np.array(cases)


@pytest.mark.parametrize("num_answers", [2, 3, 4])
def test_exact_matches_brute_force_enumeration(num_answers):
    cases = _cases(num_answers)
    ks = np.arange(1, 7)
    got = ttsim.majority_vote(cases[:, None, :].astype(np.float32), ks[None, :], method="exact")
    want = np.array([[brute_force_vote(c, k) for k in ks] for c in cases])
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_table_entry_zero_is_uniform_guess():
    tab = ttsim.accuracy.majority_vote_table(np.array([0.5, 0.3, 0.2, 0.0]), max_k=3)
    np.testing.assert_allclose(tab[0], 0.25, atol=1e-7)
    np.testing.assert_allclose(tab[1], 0.5, atol=1e-6)


def test_chunked_table_agrees_with_single_chunk_table():
    """Tables above 128 split the correct-count axis into chunks; entries must not depend on max_k."""
    with enable_x64(True):
        probs = np.array([[0.3, 0.3, 0.25, 0.15], [0.5, 0.1, 0.4, 0.0]])
        small = np.asarray(ttsim.accuracy.majority_vote_table(probs, 120))
        large = np.asarray(ttsim.accuracy.majority_vote_table(probs, 200))
    np.testing.assert_allclose(large[:, :121], small, atol=1e-12)


def test_exact_agrees_with_monte_carlo_and_auto_switches():
    probs = np.stack([ttsim.answer_probs(0.4, 0.3, 2), np.array([0.3, 0.35, 0.2, 0.15])]).astype(np.float32)
    ks = np.array([7, 40, 300])
    exact = np.asarray(ttsim.majority_vote(probs[:, None], ks[None], method="exact"))
    trials = 8192
    # max(k) = 300 > EXACT_MAX_K, so "auto" runs Monte Carlo.
    mc = np.asarray(ttsim.majority_vote(probs[:, None], ks[None], key=jax.random.key(1), num_trials=trials))
    se = np.sqrt(np.maximum(exact * (1 - exact), 1e-4) / trials)
    assert np.all(np.abs(mc - exact) <= 5 * se), (mc, exact, se)
    again = ttsim.majority_vote(probs[:, None], ks[None], key=jax.random.key(1), num_trials=trials)
    np.testing.assert_array_equal(mc, again)  # seeded: deterministic
    assert 300 > ttsim._src.vote.EXACT_MAX_K


def test_auto_is_exact_for_small_k():
    probs = ttsim.answer_probs(0.5, 0.3, 1)
    ks = jnp.arange(1, 33)
    np.testing.assert_array_equal(ttsim.majority_vote(probs, ks), ttsim.majority_vote(probs, ks, method="exact"))


def test_answer_probs_layout_and_validation():
    pr = ttsim.answer_probs(jnp.array([0.5, 0.2]), jnp.array([0.3, 0.0]), num_other=2)
    np.testing.assert_allclose(pr, [[0.5, 0.3, 0.1, 0.1], [0.2, 0.0, 0.4, 0.4]], atol=1e-7)
    with pytest.raises(ValueError, match="p \\+ q"):
        ttsim.answer_probs(0.7, 0.4)
    with pytest.raises(ValueError, match="num_other"):
        ttsim.answer_probs(0.5, 0.1, num_other=0)
    with pytest.raises(ValueError, match="q"):
        ttsim.answer_probs(0.5, -0.1)


def test_majority_vote_validation():
    probs = ttsim.answer_probs(0.5, 0.2)
    with pytest.raises(ValueError, match="method"):
        ttsim.majority_vote(probs, 3, method="magic")
    with pytest.raises(ValueError, match="k"):
        ttsim.majority_vote(probs, 0)
    with pytest.raises(ValueError, match="k"):
        ttsim.majority_vote(probs, 2.5)
    with pytest.raises(ValueError, match="sum to 1"):
        ttsim.majority_vote(np.array([0.5, 0.2, 0.1]), 3)
    with pytest.raises(ValueError, match="max_k"):
        ttsim.majority_vote(probs, 40, max_k=16)
    with pytest.raises(ValueError, match="max_k"):
        jax.jit(lambda k: ttsim.majority_vote(probs, k))(jnp.float32(3))


def test_limit_cases():
    probs = np.array(
        [[0.5, 0.3, 0.2, 0.0], [0.4, 0.4, 0.2, 0.0], [0.3, 0.3, 0.3, 0.1], [0.2, 0.5, 0.3, 0.0], [1.0, 0.0, 0.0, 0.0]]
    )
    np.testing.assert_allclose(ttsim.accuracy.majority_vote_limit(probs), [1.0, 0.5, 1 / 3, 0.0, 1.0])


def test_rate_formula_cases():
    rate = np.asarray(ttsim.accuracy.majority_vote_rate(np.array([[0.5, 0.3, 0.2], [0.4, 0.4, 0.2], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])))
    np.testing.assert_allclose(rate[0], -np.log(1 - (np.sqrt(0.5) - np.sqrt(0.3)) ** 2), rtol=1e-5)
    assert rate[1] == 0.0 and np.isinf(rate[2]) and np.isinf(rate[3])


def _sanov_rate(probs, correct_is_mode):
    """Independent reference: min KL(Q || P) over the event, by scipy's SLSQP (float64)."""
    probs = np.asarray(probs, np.float64)
    keep = probs > 0
    p = probs[keep]
    idx = np.flatnonzero(keep)

    def q_of(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    def kl(z):
        q = q_of(z)
        return float(np.sum(q * np.log(q / p)))

    best = np.inf
    wrong = range(1, len(p))
    events = [[j] for j in wrong] if correct_is_mode else [list(wrong)]
    for event in events:  # correct mode: a miss needs some q_j >= q_0; else a win needs q_0 >= all q_j
        sign = -1.0 if correct_is_mode else 1.0
        cons = [{"type": "ineq", "fun": lambda z, j=j, s=sign: s * (q_of(z)[0] - q_of(z)[j])} for j in event]
        res = scipy.optimize.minimize(kl, np.log(p), constraints=cons, method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
        best = min(best, res.fun)
    assert idx[0] == 0
    return best


@pytest.mark.parametrize(
    "probs",
    [[0.5, 0.3, 0.2, 0.0], [0.4, 0.35, 0.15, 0.1], [0.3, 0.45, 0.25, 0.0], [0.3, 0.36, 0.34, 0.0], [0.2, 0.4, 0.38, 0.02], [0.25, 0.3, 0.3, 0.15]],
)
def test_rate_matches_sanov_minimisation(probs):
    limit = float(ttsim.accuracy.majority_vote_limit(np.array(probs)))
    with enable_x64(True):
        rate = float(ttsim.accuracy.majority_vote_rate(np.array(probs, np.float64)))
    np.testing.assert_allclose(rate, _sanov_rate(probs, limit == 1.0), rtol=1e-5)


@pytest.mark.parametrize(
    "probs",
    [
        [0.5, 0.3, 0.2, 0.0],  # correct is the mode: 1 - maj(k) decays at the pairwise rate
        [0.2, 0.4, 0.38, 0.02],  # two wrong answers above the geometric mean: water-filling, |S| = 2
    ],
)
def test_rate_matches_slope_of_exact_curve(probs):
    """Fit log|maj(k) - limit| = -I k + a log k + b on the exact (float64) curve; compare I."""
    with enable_x64(True):
        probs = np.asarray(probs, np.float64)
        tab = np.asarray(ttsim.accuracy.majority_vote_table(probs, max_k=300))
        limit = float(ttsim.accuracy.majority_vote_limit(probs))
        rate = float(ttsim.accuracy.majority_vote_rate(probs))
    ks = np.arange(150, 301)
    gap = np.abs(tab[ks] - limit)
    assert np.all(gap > 0)
    design = np.stack([ks, np.log(ks), np.ones_like(ks, dtype=float)], axis=1)
    coef, *_ = np.linalg.lstsq(design, np.log(gap), rcond=None)
    assert abs(-coef[0] - rate) <= 0.05 * rate, (-coef[0], rate)


@given(p=st.floats(0.0, 1.0), q_frac=st.floats(0.0, 1.0), other_frac=st.floats(0.0, 1.0))
def test_bounded_and_chernoff_bounds_give_convergence(p, q_frac, other_frac):
    """maj(k) in [0, 1]; 1 - maj(k) <= (A-1) e^{-k I} when correct is the mode, maj(k) <= e^{-k I} when not."""
    q = q_frac * (1 - p)
    probs = np.array([p, q, other_frac * (1 - p - q), (1 - other_frac) * (1 - p - q)], np.float32)
    probs = probs / probs.sum()
    ks = np.arange(1, 97)
    acc = np.asarray(ttsim.majority_vote(probs, ks, max_k=96))
    assert np.all(np.isfinite(acc)) and np.all(acc >= -1e-6) and np.all(acc <= 1 + 1e-6)
    rate = float(ttsim.accuracy.majority_vote_rate(probs))
    limit = float(ttsim.accuracy.majority_vote_limit(probs))
    if limit == 1.0 and np.isfinite(rate):
        assert np.all(1 - acc <= 3 * np.exp(-ks * rate) + 1e-5)
    elif limit == 0.0 and np.isfinite(rate):
        assert np.all(acc <= np.exp(-ks * rate) + 1e-5)
    elif np.isinf(rate):
        np.testing.assert_allclose(acc, limit, atol=1e-6)


def test_k_sweep_traces_once_and_vmaps_over_p():
    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def sweep(p, ks):
        return ttsim.majority_vote(ttsim.answer_probs(p, 0.25, 2), ks, max_k=32)

    ps = jnp.linspace(0.1, 0.7, 5)
    a = sweep(ps[:, None], jnp.arange(1, 33, dtype=jnp.float32)[None])
    b = sweep(ps[:, None] * 0.9, jnp.arange(32, 0, -1, dtype=jnp.float32)[None])
    assert a.shape == b.shape == (5, 32)
    via_vmap = jax.vmap(lambda p: ttsim.majority_vote(ttsim.answer_probs(p, 0.25, 2), jnp.arange(1, 33), max_k=32))(ps)
    np.testing.assert_allclose(via_vmap, a, atol=1e-6)


def test_gradients_finite_and_match_finite_differences():
    def acc(p):
        return ttsim.majority_vote(ttsim.answer_probs(p, 0.2 * (1 - p), 2), jnp.float32(9), max_k=16)

    grads = jax.vmap(jax.grad(acc))(jnp.array([0.0, 0.3, 1.0]))
    assert np.all(np.isfinite(grads))
    h = 1e-3
    fd = (acc(0.3 + h) - acc(0.3 - h)) / (2 * h)
    np.testing.assert_allclose(grads[1], fd, rtol=2e-2)


def test_population_majority_vote_is_weighted_sum():
    pop = ttsim.empirical_population(jnp.array([0.2, 0.5, 0.9]), jnp.array([1.0, 2.0, 1.0]))
    ks = jnp.array([1, 5, 11])
    got = ttsim.accuracy.population_majority_vote(pop, ks, wrong_mode_share=0.6, num_other=2)
    probs = ttsim.answer_probs(pop.p, 0.6 * (1 - pop.p), 2)
    per = np.asarray(ttsim.majority_vote(probs[None], ks[:, None]))  # [k, problem]
    np.testing.assert_allclose(got, per @ np.asarray(pop.weight), rtol=1e-5)
    assert got.shape == ks.shape



@settings(max_examples=15)
@given(
    raw=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
    correct_rank=st.integers(0, 3),
)
def test_vote_tends_to_one_when_correct_leads_and_to_zero_when_a_wrong_answer_does(raw, correct_rank):
    """maj(k) -> 1 if p exceeds every wrong answer's probability, -> 0 if a wrong answer dominates."""
    order = np.sort(np.asarray(raw, np.float64))[::-1]
    if order.sum() == 0:
        return
    order = order / order.sum()
    assume(order[0] - order[1] >= 0.2)  # a clear leader, so k = 256 is near the limit
    # The correct answer (index 0) takes rank `correct_rank`: the leader when it is 0.
    probs = np.r_[order[correct_rank], np.delete(order, correct_rank)]
    ks = np.array([16, 64, 256])
    acc = np.asarray(ttsim.majority_vote(probs.astype(np.float32), ks, max_k=256), np.float64)
    limit = 1.0 if correct_rank == 0 else 0.0
    assert float(ttsim.accuracy.majority_vote_limit(probs.astype(np.float32))) == limit
    dist = np.abs(acc - limit)
    # Approaches the limit as k grows, up to the float32 rounding of the exact DP near 1
    # (measured 1.6e-6 at k = 256 for probs (0.852, 0.148, 0, 0)).
    assert np.all(np.diff(dist) <= 1e-5), (probs, acc)
    assert dist[-1] <= 0.02, (probs, acc)
