"""Population fits (beta-binomial MLE, Beta mixtures, empirical plug-in) against independent references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import ttsim
from ttsim._src.numerics import enable_x64


def test_beta_binomial_log_likelihood_matches_scipy():
    n = np.array([1, 5, 40, 1000, 1000])
    c = np.array([0, 5, 13, 0, 999])
    for a, b in [(0.05, 3.0), (1.0, 1.0), (7.5, 0.3)]:
        with enable_x64(True):
            got = np.asarray(ttsim.populations.beta_binomial_log_likelihood(jnp.float64(a), jnp.float64(b), n, c))
        # jax.scipy.special.betaln is accurate to ~1e-7 absolute in float64 (e.g. betaln(12.5, 0.3)).
        np.testing.assert_allclose(got, scipy.stats.betabinom.logpmf(c, n, a, b), rtol=1e-7, atol=1e-6)


def test_fit_beta_mixture_recovers_two_components():
    # 35% hard problems ~ Beta(0.5, 20), 65% easy ones ~ Beta(6, 2); 600 problems, 100 samples each.
    rng = np.random.default_rng(3)
    num = 600
    hard = rng.random(num) < 0.35
    p = np.where(hard, rng.beta(0.5, 20.0, num), rng.beta(6.0, 2.0, num))
    n = np.full(num, 100)
    c = rng.binomial(n, p)
    fit = ttsim.populations.fit_beta_mixture(n, c, 2, seed=0)
    w, a, b = (np.asarray(x, np.float64) for x in (fit.mix_weight, fit.alpha, fit.beta))
    np.testing.assert_allclose(w.sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(w, [0.35, 0.65], atol=0.06)  # ~3 standard errors; components sorted by mean
    np.testing.assert_allclose(a / (a + b), [0.5 / 20.5, 6.0 / 8.0], rtol=0.1)
    # The single Beta is nested in the mixture: the mixture's likelihood cannot be lower.
    single = ttsim.fit_beta(n, c)
    assert float(fit.log_likelihood) >= float(single.log_likelihood) - 1e-3
    # The mixture's coverage tracks the coverage of the drawn problems.
    ks = np.array([1.0, 10.0, 100.0])
    want = (1 - (1 - p[:, None]) ** ks[None]).mean(0)
    np.testing.assert_allclose(ttsim.accuracy.beta_mixture_coverage(fit.mix_weight, fit.alpha, fit.beta, ks), want, atol=0.02)


def test_fit_empirical_is_the_plug_in_and_errors_name_arguments():
    pop = ttsim.populations.fit_empirical([10, 4, 8], [3, 0, 8])
    np.testing.assert_allclose(pop.p, [0.3, 0.0, 1.0])
    np.testing.assert_allclose(pop.weight, np.full(3, 1 / 3))
    with pytest.raises(ValueError, match="c must be <= n"):
        ttsim.fit_beta([5, 5], [6, 1])
    with pytest.raises(ValueError, match="num_components"):
        ttsim.populations.fit_beta_mixture([5, 5], [1, 1], 0)


def test_populations_jit_and_vmap_over_their_parameters():
    alphas, betas = jnp.array([0.2, 1.0, 5.0]), jnp.array([3.0, 1.0, 0.4])
    ks = jnp.array([1.0, 8.0, 64.0])

    @jax.jit
    def cov(a, b):
        return ttsim.population_coverage(ttsim.beta_population(a, b, num_nodes=32), ks)

    batched = jax.vmap(cov)(alphas, betas)
    looped = np.stack([np.asarray(ttsim.beta_coverage(float(a), float(b), ks)) for a, b in zip(alphas, betas)])
    np.testing.assert_allclose(batched, looped, rtol=3e-6, atol=1e-8)  # measured 3.2e-7
    emp = jax.vmap(lambda p: ttsim.population_coverage(ttsim.empirical_population(p), ks))(jnp.array([[0.0, 1.0], [0.5, 0.5]]))
    np.testing.assert_allclose(emp, [[0.5, 0.5, 0.5], 1 - 0.5 ** np.asarray(ks)], rtol=1e-6)
