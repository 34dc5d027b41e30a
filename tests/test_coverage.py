"""Coverage, Beta-population coverage, pass@k and the power law against independent references."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.special as sp
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import ttsim


def test_coverage_matches_formula_and_edges():
    p = jnp.array([0.0, 0.1, 0.5, 1.0])
    k = jnp.array([1.0, 3.0, 10.0, 1e6])
    got = ttsim.coverage(p[:, None], k[None, :])
    want = 1 - (1 - np.asarray(p, np.float64)[:, None]) ** np.asarray(k)[None, :]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert np.all(np.isfinite(jax.grad(lambda q: ttsim.coverage(q, 5.0))(jnp.array(1.0))))
    assert np.all(np.isfinite(jax.vmap(jax.grad(lambda q: ttsim.coverage(q, 5.0)))(p)))


@pytest.mark.parametrize("alpha,beta", [(0.3, 2.0), (1.0, 1.0), (2.5, 0.7), (0.05, 5.0)])
def test_beta_coverage_matches_quadrature(alpha, beta):
    ks = np.array([1, 2, 7, 50, 1000])
    got = ttsim.beta_coverage(alpha, beta, ks)
    dist = scipy.stats.beta(alpha, beta)
    want = [
        scipy.integrate.quad(lambda p, k=k: (1 - (1 - p) ** k) * dist.pdf(p), 0, 1, limit=200, points=[1e-6, 1e-3, 0.5])[0]
        for k in ks
    ]
    # measured: relative error <= 2.6e-7 (float32 closed form vs scipy quad in float64)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("alpha,beta", [(0.3, 2.0), (1.0, 1.0), (2.5, 0.7), (0.05, 5.0)])
def test_beta_population_quadrature_matches_closed_form(alpha, beta):
    ks = jnp.array([1.0, 4.0, 32.0, 1000.0])
    pop = ttsim.beta_population(alpha, beta, num_nodes=64)
    # measured (float32): weights sum to 1 within 1.2e-7, coverage and mean within 1.9e-7 relative.
    # Mutation check: 16 nodes instead of 64 for (0.05, 5.0) fails at these tolerances.
    np.testing.assert_allclose(pop.weight.sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(
        ttsim.population_coverage(pop, ks), ttsim.beta_coverage(alpha, beta, ks), rtol=2e-6, atol=1e-8
    )
    np.testing.assert_allclose(pop.mean(), alpha / (alpha + beta), rtol=2e-6)


def test_mixture_coverage_is_weighted_sum():
    w, a, b = jnp.array([0.3, 0.7]), jnp.array([0.5, 2.0]), jnp.array([3.0, 1.0])
    ks = jnp.array([1.0, 10.0, 100.0])
    want = 0.3 * ttsim.beta_coverage(0.5, 3.0, ks) + 0.7 * ttsim.beta_coverage(2.0, 1.0, ks)
    np.testing.assert_allclose(ttsim.accuracy.beta_mixture_coverage(w, a, b, ks), want, rtol=1e-6)
    pop = ttsim.populations.beta_mixture_population(w, a, b)
    np.testing.assert_allclose(ttsim.population_coverage(pop, ks), want, rtol=3e-6)  # measured 2.3e-7


@given(
    alpha=st.floats(1e-3, 1e3),
    beta=st.floats(1e-3, 1e3),
)
def test_beta_coverage_bounded_monotone_finite(alpha, beta):
    ks = jnp.array([1.0, 2.0, 10.0, 100.0, 1e4, 1e6])
    cov = np.asarray(ttsim.beta_coverage(alpha, beta, ks))
    assert np.all(np.isfinite(cov))
    assert np.all((cov >= 0) & (cov <= 1))
    assert np.all(np.diff(cov) >= -1e-6)


@given(p=st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0), k=st.integers(1, 10**6))
def test_coverage_bounded_and_monotone(p, k):
    c1, c2 = ttsim.coverage(p, jnp.float32(k)), ttsim.coverage(p, jnp.float32(k + 1))
    assert np.isfinite(float(c1)) and np.isfinite(float(c2))
    assert 0.0 <= float(c1) <= float(c2) + 1e-7 <= 1.0 + 1e-7
    if p in (0.0, 1.0):
        assert float(c1) == p  # exact at the edges, for every k >= 1


@given(
    p=st.lists(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0), min_size=4, max_size=4),
    n=st.integers(1, 10**6),
)
def test_population_coverage_and_pass_at_k_finite_at_edges(p, n):
    # Empirical populations holding p in {0, 1}, k up to 1e6: no NaN/inf, bounded, monotone in k.
    ks = jnp.array([1.0, 10.0, 1e3, 1e6], jnp.float32)
    cov = np.asarray(ttsim.population_coverage(ttsim.empirical_population(jnp.asarray(p, jnp.float32)), ks))
    assert np.all(np.isfinite(cov)) and np.all((cov >= 0) & (cov <= 1 + 1e-6)) and np.all(np.diff(cov) >= -1e-6)
    c = np.array([0, n, n // 2, 1 if n > 1 else 0])
    kk = np.array([1, max(1, n // 3), n, n])
    est = np.asarray(ttsim.pass_at_k(np.full(4, n), c, kk))
    assert np.all(np.isfinite(est)) and np.all((est >= 0) & (est <= 1))
    assert est[0] == 0.0 and est[1] == 1.0 and est[2] == (1.0 if n // 2 > 0 else 0.0)


@pytest.mark.parametrize("n,c", [(10, 0), (10, 3), (10, 10), (200, 5), (10000, 3), (1000, 999)])
def test_pass_at_k_matches_exact_combinatorics(n, c):
    ks = np.array([k for k in (1, 2, 5, 10, 100, n) if k <= n])
    got = ttsim.pass_at_k(n, c, ks)
    want = [1 - sp.comb(n - c, k, exact=True) / sp.comb(n, k, exact=True) for k in ks]
    np.testing.assert_allclose(got, np.asarray(want, float), rtol=3e-6, atol=1e-9)  # measured 3.3e-7


def test_pass_at_k_rejects_k_above_n():
    with pytest.raises(ValueError, match="k must be <= n"):
        ttsim.pass_at_k(5, 1, 6)


def test_power_law_fit_recovers_parameters():
    k = np.unique(np.logspace(0, 3, 40).astype(int))
    fit = ttsim.accuracy.fit_power_law(k, np.exp(-1.33 * k**-0.43))
    np.testing.assert_allclose([fit.a, fit.b], [-1.33, -0.43], rtol=1e-4)
    np.testing.assert_allclose(ttsim.accuracy.power_law_coverage(-1.33, -0.43, 100.0), np.exp(-1.33 * 100**-0.43), rtol=1e-6)


def test_fit_beta_recovers_parameters():
    rng = np.random.default_rng(1)
    p = rng.beta(0.6, 3.0, 2000)
    c = rng.binomial(200, p)
    fit = ttsim.fit_beta(np.full(2000, 200), c)
    np.testing.assert_allclose([fit.alpha, fit.beta], [0.6, 3.0], rtol=0.1)


def test_k_sweep_traces_once():
    chex.clear_trace_counter()
    calls = []

    @jax.jit
    @chex.assert_max_traces(n=1)
    def f(k):
        calls.append(1)
        return ttsim.beta_coverage(0.5, 2.0, k)

    for k in [1.0, 2.0, 8.0, 64.0]:
        f(jnp.asarray(k, jnp.float32))
    assert len(calls) == 1


def test_pass_at_k_relative_accuracy_large_n():
    # Tiny pass@k values keep their relative accuracy in float32 (reference: float64 gammaln).
    n, c = 1_000_000, 3
    ks = np.array([1, 10, 1000, 100_000])
    want = -np.expm1(sp.gammaln(n - c + 1) - sp.gammaln(n - c - ks + 1) - sp.gammaln(n + 1) + sp.gammaln(n - ks + 1))
    np.testing.assert_allclose(ttsim.pass_at_k(n, c, ks), want, rtol=1e-3)  # measured 2.4e-4
    assert np.all(np.asarray(ttsim.pass_at_k(n, 0, ks)) == 0.0)


def _exact_pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n-c, k)/C(n, k) from Python's exact integers/rationals (math.comb, Fraction)."""
    from fractions import Fraction
    from math import comb

    if n - c < k:
        return 1.0
    if min(k, n - k) <= 300:  # small enough for an exact rational
        return float(1 - Fraction(comb(n - c, k), comb(n, k)))
    # the product form prod_{i<k} (1 - c/(n-i)) in float64 log-space: exact to ~1e-15 relative.
    m = min(c, k)
    big, small = (k, c) if c <= k else (c, k)
    return float(-np.expm1(np.sum(np.log1p(-big / (n - np.arange(m, dtype=np.float64))))))


def test_pass_at_k_float32_against_exact_values_up_to_ten_million():
    # Issue 18: n = 1e7, c = 3e6, k = 1 used to give -0.0 (exact 0.3) in float32, n = 1e6 gave
    # 0.2598, and 455 of 20,000 random cases were off by > 0.01 (cancellation of two terms of
    # size ~c in the Stirling difference). Measured max error now: 9.2e-8 over 3,000 cases.
    # Mutation check: the old log_gamma_ratio_diff fails on the first three fixed cases.
    rng = np.random.default_rng(0)
    cases = [(10**7, 3 * 10**6, 1), (10**6, 3 * 10**5, 1), (10**7, 10**7 - 1, 1), (10**7, 1, 1),
             (10**7, 5, 10**6), (10**7, 5 * 10**6, 3), (1000, 300, 10)]
    for _ in range(300):
        n = int(10 ** rng.uniform(0, 7))
        c = int(rng.integers(0, n + 1))
        k = int(rng.integers(1, n + 1)) if rng.random() < 0.5 else int(min(n, 10 ** rng.uniform(0, 3)))
        cases.append((n, c, k))
    n, c, k = (np.array(x, np.float32) for x in zip(*cases))
    got = np.asarray(ttsim.pass_at_k(n, c, k), np.float64)
    want = np.array([_exact_pass_at_k(*t) for t in cases])
    np.testing.assert_allclose(got, want, rtol=0, atol=5e-7)


def test_beta_coverage_float32_against_scipy_float64_large_parameters():
    # Closed form 1 - B(a, b + k)/B(a, b) evaluated in float64 by scipy.special.betaln, on the
    # float32-rounded inputs. Error before the fix: 1.7e-5 (and 4.7e-5 reported at a, b ~ 1e3);
    # measured now: 1.3e-7 over a, b in [1e-3, 1e3], k in [1, 1e6].
    from scipy.special import betaln

    rng = np.random.default_rng(1)
    a = (10 ** rng.uniform(-3, 3, 600)).astype(np.float32)
    b = (10 ** rng.uniform(-3, 3, 600)).astype(np.float32)
    k = np.floor(10 ** rng.uniform(0, 6, 600)).astype(np.float32)
    a[:100], b[:100] = (10 ** rng.uniform(2.5, 3, (2, 100))).astype(np.float32)
    a64, b64, k64 = (x.astype(np.float64) for x in (a, b, k))
    want = -np.expm1(betaln(a64, b64 + k64) - betaln(a64, b64))
    got = np.asarray(ttsim.beta_coverage(a, b, k), np.float64)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_population_coverage_never_exceeds_one():
    # Beta quadrature weights sum to 1 + O(1e-7) in float32; coverage must stay in [0, 1].
    pop = ttsim.beta_population(jnp.geomspace(0.05, 50.0, 40), jnp.geomspace(50.0, 0.05, 40))
    cov = np.asarray(ttsim.population_coverage(pop, jnp.geomspace(1.0, 1e6, 30)[:, None]))
    assert cov.max() <= 1.0 and cov.min() >= 0.0
