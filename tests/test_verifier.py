"""Verifier models: best-of-N vs scipy quadrature and numpy Monte Carlo, limits, properties; weighted vote."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import ttsim
from ttsim._src.numerics import enable_x64

NORM = scipy.stats.norm


def quad_best_of_n(p, n, mu1, s1=1.0, mu0=0.0, s0=1.0):
    """The best-of-N integral by scipy.integrate.quad (float64, integrand in log-space)."""
    p, n, mu1, s1, mu0, s0 = (float(x) for x in (p, n, mu1, s1, mu0, s0))

    def integrand(x):
        log_g = np.logaddexp(np.log(p) + NORM.logcdf((x - mu1) / s1), np.log1p(-p) + NORM.logcdf((x - mu0) / s0))
        return n * p * NORM.pdf(x, mu1, s1) * np.exp((n - 1) * log_g)

    peak = np.sqrt(2 * np.log(max(n, 2.0)))
    pts = sorted({mu1, mu0 + s0 * peak, mu1 + s1 * peak})
    lo = min(mu0 - 12 * s0, mu1 - 12 * s1)
    hi = max(mu0 + s0 * (peak + 10), mu1 + s1 * (peak + 10))
    return scipy.integrate.quad(integrand, lo, hi, points=pts, limit=500, epsabs=1e-11, epsrel=1e-10)[0]


CASES = [  # (p, n, d')
    (0.3, 1, 1.0),
    (0.3, 10, 1.0),
    (0.01, 1000, 2.0),
    (0.5, 1e6, 0.5),
    (1e-3, 1e6, 3.0),
    (0.9, 100, 0.1),
    (0.5, 10, 30.0),
    (0.2, 50, -1.0),
    (0.05, 64, 1.5),
    (0.7, 3, 4.0),
]


def test_best_of_n_matches_scipy_quad():
    p, n, d = (np.array(c, np.float32) for c in zip(*CASES, strict=True))
    got = np.asarray(ttsim.best_of_n(p, n, d))
    want = np.array([quad_best_of_n(*c) for c in CASES])
    np.testing.assert_allclose(got, want, atol=3e-6, rtol=1e-5)


def test_best_of_n_float64_is_accurate_to_the_bracket_tail():
    with enable_x64(True):
        p, n, d = (np.array(c, np.float64) for c in zip(*CASES, strict=True))
        got = np.asarray(ttsim.best_of_n(p, n, d))
    want = np.array([quad_best_of_n(*c) for c in CASES])
    np.testing.assert_allclose(got, want, atol=1e-8)


@pytest.mark.parametrize("p,n,d", [(0.3, 5, 1.0), (0.1, 20, 2.0), (0.6, 8, 0.3)])
def test_best_of_n_matches_numpy_monte_carlo(p, n, d):
    rng = np.random.default_rng(0)
    trials = 200_000
    correct = rng.random((trials, n)) < p
    scores = rng.standard_normal((trials, n)) + d * correct
    picked = correct[np.arange(trials), np.argmax(scores, axis=1)]
    mc = picked.mean()
    got = float(ttsim.best_of_n(p, n, d))
    assert abs(got - mc) <= 5 * np.sqrt(got * (1 - got) / trials)


def test_limits_and_edges():
    p = jnp.array([0.0, 1.0, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
    n = jnp.array([10.0, 10.0, 1.0, 7.0, 7.0, 7.0, 7.0, 1e6])
    d = jnp.array([1.0, 1.0, 2.0, 0.0, 40.0, jnp.inf, -jnp.inf, 1.0])
    got = np.asarray(ttsim.best_of_n(p, n, d))
    cov = 1 - 0.7**7
    np.testing.assert_allclose(got[:7], [0.0, 1.0, 0.3, 0.3, cov, cov, 0.3**7], atol=2e-6)
    np.testing.assert_allclose(got[7], quad_best_of_n(0.3, 1e6, 1.0), atol=3e-6)
    assert np.all(np.isfinite(jax.vmap(jax.grad(ttsim.best_of_n, argnums=(0, 2)), in_axes=(0, None, None))(p[:3], 100.0, 1.0)))


def test_large_n_finite_and_gradient_matches_finite_difference():
    ns = jnp.array([1.0, 10.0, 1e3, 1e5, 1e6, 1e7])
    acc = np.asarray(ttsim.best_of_n(0.01, ns, 1.0))
    assert np.all(np.isfinite(acc)) and np.all(np.diff(acc) >= -1e-6)
    g = jax.grad(ttsim.best_of_n, argnums=2)(0.2, 50.0, 1.0)
    h = 1e-2
    fd = (ttsim.best_of_n(0.2, 50.0, 1.0 + h) - ttsim.best_of_n(0.2, 50.0, 1.0 - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-2)


GRID_N = jnp.array([1.0, 2.0, 5.0, 20.0, 100.0, 1e3, 1e4, 1e6])
GRID_D = jnp.array([0.0, 0.25, 0.5, 1.0, 2.0, 4.0])


@given(p=st.floats(0.0, 1.0))
def test_bounded_monotone_between_p_and_coverage(p):
    acc = np.asarray(ttsim.best_of_n(jnp.float32(p), GRID_N[:, None], GRID_D[None, :]))
    cov = np.asarray(ttsim.coverage(jnp.float32(p), GRID_N))[:, None]
    assert np.all(np.isfinite(acc))
    assert np.all(acc >= np.float32(p) - 2e-6) and np.all(acc <= cov + 2e-6)
    assert np.all(np.diff(acc, axis=0) >= -2e-6)  # non-decreasing in n (d' >= 0)
    assert np.all(np.diff(acc, axis=1) >= -2e-6)  # non-decreasing in d'


def test_binormal_general_matches_quad_and_special_case():
    p = np.array([0.3, 0.3, 0.1, 0.5], np.float32)
    n = np.array([10.0, 100.0, 30.0, 1e4], np.float32)
    mu1 = np.array([1.0, 1.0, 2.0, 1.0], np.float32)
    s1 = np.array([1.0, 0.5, 2.0, 1.0], np.float32)
    s0 = np.array([1.0, 1.5, 1.0, 1.0], np.float32)
    got = np.asarray(ttsim.accuracy.best_of_n_binormal(p, n, mu1, s1, 0.0, s0))
    want = [quad_best_of_n(*args) for args in zip(p, n, mu1, s1, np.zeros(4), s0, strict=True)]
    np.testing.assert_allclose(got, want, atol=3e-6, rtol=1e-5)
    np.testing.assert_allclose(got[[0, 3]], ttsim.best_of_n(p[[0, 3]], n[[0, 3]], mu1[[0, 3]]), atol=1e-6)
    # A wider wrong-score tail eventually wins: accuracy falls with n.
    falling = np.asarray(ttsim.accuracy.best_of_n_binormal(0.3, jnp.array([10.0, 1e3, 1e6]), 1.0, 0.5, 0.0, 1.5))
    assert np.all(np.diff(falling) < 0)


def test_auc_d_prime_round_trip_and_definition():
    d = jnp.array([-2.0, 0.0, 0.5, 1.0, 3.0])
    auc = np.asarray(ttsim.accuracy.d_prime_to_auc(d))
    # AUC = P(correct score > wrong score) = int phi(x - d) Phi(x) dx.
    want = [scipy.integrate.quad(lambda x, dd=float(dd): NORM.pdf(x - dd) * NORM.cdf(x), -15, 15)[0] for dd in d]
    np.testing.assert_allclose(auc, want, atol=1e-6)
    np.testing.assert_allclose(ttsim.accuracy.auc_to_d_prime(auc), d, atol=2e-5)
    assert float(ttsim.accuracy.auc_to_d_prime(1.0)) == np.inf
    with pytest.raises(ValueError, match="auc"):
        ttsim.accuracy.auc_to_d_prime(1.5)


def test_validation():
    with pytest.raises(ValueError, match="n"):
        ttsim.best_of_n(0.3, 0.5, 1.0)
    with pytest.raises(ValueError, match="p"):
        ttsim.best_of_n(1.3, 5, 1.0)
    with pytest.raises(ValueError, match="sigma0"):
        ttsim.accuracy.best_of_n_binormal(0.3, 5, 1.0, 1.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="transform"):
        ttsim.accuracy.weighted_vote(jax.random.key(0), ttsim.answer_probs(0.5, 0.2), 3, 1.0, transform="max")


def test_population_best_of_n_is_weighted_sum_and_sweeps_once():
    pop = ttsim.empirical_population(jnp.array([0.05, 0.3, 0.8]), jnp.array([2.0, 1.0, 1.0]))
    ns = jnp.array([1.0, 4.0, 64.0])
    got = ttsim.accuracy.population_best_of_n(pop, ns, 1.5)
    per = np.asarray(ttsim.best_of_n(pop.p[None, :], ns[:, None], 1.5))
    np.testing.assert_allclose(got, per @ np.asarray(pop.weight), rtol=1e-5)

    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def sweep(n, d):
        return ttsim.accuracy.population_best_of_n(pop, n, d)

    sweep(ns, jnp.full(3, 1.0))
    sweep(ns * 2, jnp.full(3, 2.0))


# ----------------------------------------------------------------------------- weighted vote


def numpy_weighted_vote(probs, k, d, transform, trials, seed):
    rng = np.random.default_rng(seed)
    num_answers = len(probs)
    answers = rng.choice(num_answers, size=(trials, k), p=probs)
    scores = rng.standard_normal((trials, k)) + d * (answers == 0)
    w = NORM.cdf(scores) if transform == "cdf" else np.exp(d * scores - d * d / 2)
    totals = np.stack([np.where(answers == a, w, 0.0).sum(1) for a in range(num_answers)], axis=1)
    present = np.stack([(answers == a).any(1) for a in range(num_answers)], axis=1)
    totals = np.where(present, totals, -np.inf)
    return np.mean(np.argmax(totals, axis=1) == 0)


def test_weighted_vote_matches_numpy_and_reduces_to_majority_and_coverage():
    probs = np.array([0.35, 0.4, 0.15, 0.1], np.float32)
    ks = np.array([1, 5, 15])
    trials = 8192
    d = np.array([[0.0], [1.0], [12.0]], np.float32)  # rows: d' = 0, 1, 12
    for transform in ("cdf", "likelihood_ratio", "count"):
        got = np.asarray(ttsim.accuracy.weighted_vote(jax.random.key(0), probs, ks[None], d, num_trials=trials, transform=transform))
        se = np.sqrt(np.maximum(got * (1 - got), 1e-3) / trials)
        if transform == "count":  # ignores the scores: plain majority vote
            exact = np.asarray(ttsim.majority_vote(probs, ks))
            assert np.all(np.abs(got - exact[None]) <= 5 * se), (got, exact)
        else:
            ref = np.array([numpy_weighted_vote(probs, int(k), 1.0, transform, trials, 7) for k in ks])
            assert np.all(np.abs(got[1] - ref) <= 5 * np.sqrt(2) * se[1]), (got[1], ref)
        if transform == "likelihood_ratio":  # a near-perfect verifier picks the correct answer when present
            cov = 1 - (1 - 0.35) ** ks
            assert np.all(np.abs(got[2] - cov) <= 5 * np.sqrt(cov * (1 - cov) / trials) + 1e-3), (got[2], cov)
        assert np.all((got >= 0) & (got <= 1))
