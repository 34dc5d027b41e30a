"""Pallas kernels (interpret mode on CPU) against their jnp references and float64 numpy."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ttsim
from ttsim import kernels

RTOL, ATOL = 1e-5, 1e-6  # stated agreement of kernel and reference in float32


def _numpy_coverage(k, p, w):
    """float64 numpy: sum_j w_j (1 - (1 - p_j)^k_i), with 0^0 = 1."""
    k, p, w = (np.asarray(x, np.float64) for x in (k, p, w))
    kk, pp = k[:, None], p[None, :]
    below = pp < 1
    cov = np.where(below, -np.expm1(kk * np.log1p(-np.where(below, pp, 0.0))), (kk > 0).astype(np.float64))
    return np.sum(w[None, :] * cov, axis=1)


@pytest.mark.parametrize(
    "num_k, num_p, block_k, block_p",
    [(1, 1, 8, 128), (37, 300, 8, 128), (64, 256, 64, 256), (130, 129, 16, 128)],
)
def test_pallas_interpret_matches_reference_and_numpy(num_k, num_p, block_k, block_p):
    rng = np.random.default_rng(num_k * 1000 + num_p)
    p = rng.beta(0.3, 1.5, num_p).astype(np.float32)
    p[: min(3, num_p)] = [0.0, 1.0, 1e-7][: min(3, num_p)]  # edges: p = 0, p = 1, tiny p
    w = rng.uniform(0.1, 1.0, num_p).astype(np.float32)
    w /= w.sum()
    k = np.concatenate([[0.0, 1.0, 0.5], np.geomspace(1, 1e6, max(0, num_k - 3))])[:num_k].astype(np.float32)
    got = kernels.population_coverage_pallas(k, p, w, interpret=True, block_k=block_k, block_p=block_p)
    ref = kernels.population_coverage_reference(k, p, w)
    assert got.shape == (num_k,) and got.dtype == jnp.float32
    np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got, _numpy_coverage(k, p, w), rtol=RTOL, atol=ATOL)
    assert np.all(np.isfinite(np.asarray(got)))


def test_reference_equals_library_population_coverage():
    problems = ttsim.empirical_population(np.array([0.01, 0.3, 0.7, 1.0]), np.array([4.0, 1.0, 1.0, 2.0]))
    k = jnp.asarray([1.0, 3.0, 100.0], jnp.float32)
    np.testing.assert_allclose(
        kernels.population_coverage_reference(k, problems.p, problems.weight),
        ttsim.population_coverage(problems, k),
        rtol=1e-6,
    )


def test_dispatch_picks_reference_on_cpu_and_kernel_when_asked():
    k = np.array([1.0, 4.0], np.float32)
    p = np.array([0.2, 0.5], np.float32)
    w = np.array([0.5, 0.5], np.float32)
    assert jax.default_backend() == "cpu"
    np.testing.assert_array_equal(kernels.population_coverage(k, p, w), kernels.population_coverage_reference(k, p, w))
    np.testing.assert_allclose(kernels.population_coverage(k, p, w, interpret=True),
                               kernels.population_coverage_reference(k, p, w), rtol=RTOL, atol=ATOL)


def test_kernel_vmaps_and_rejects_bad_shapes():
    p = jnp.asarray([0.1, 0.6, 0.9], jnp.float32)
    w = jnp.full((3,), 1 / 3, jnp.float32)
    ks = jnp.asarray([[1.0, 2.0], [5.0, 50.0]], jnp.float32)
    got = jax.vmap(lambda k: kernels.population_coverage_pallas(k, p, w, interpret=True, block_k=8, block_p=128))(ks)
    want = jax.vmap(lambda k: kernels.population_coverage_reference(k, p, w))(ks)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    with pytest.raises(ValueError, match="population_coverage"):
        kernels.population_coverage_reference(ks, p, w)
    with pytest.raises(ValueError, match="block"):
        kernels.population_coverage_pallas(ks[0], p, w, block_k=0)


@settings(max_examples=8)
@given(
    p=hnp.arrays(np.float32, 16, elements=st.floats(0, 1, width=32)),
    k=hnp.arrays(np.float32, 8, elements=st.floats(0, 1e5, width=32)),
)
def test_kernel_property_bounded_monotone_and_equal_to_reference(p, k):
    w = np.full(16, 1 / 16, np.float32)
    k = np.sort(k)
    got = np.asarray(kernels.population_coverage_pallas(k, p, w, interpret=True, block_k=8, block_p=128))
    np.testing.assert_allclose(got, kernels.population_coverage_reference(k, p, w), rtol=RTOL, atol=ATOL)
    assert np.all((got >= -ATOL) & (got <= 1 + ATOL))
    assert np.all(np.diff(got) >= -ATOL)  # coverage never falls with more samples


def test_tpu_expm1_fallback_matches_expm1():
    # The kernel uses Kahan's exp/log form of expm1 only on TPU (Mosaic has no expm1); on GPU it
    # uses expm1 itself, because with the GPU's approximate exp/log the trick lost ~1e-4 there.
    from ttsim.kernels.population_coverage import _neg_expm1

    x = -np.concatenate([[0.0, 1e-30, 1e-8, 1e-4], np.geomspace(1e-3, 80.0, 200), [np.inf]]).astype(np.float32)
    got = np.asarray(_neg_expm1(jnp.asarray(x)), np.float64)
    want = -np.expm1(x.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)


def test_library_kernel_path_matches_xla_path_values_and_gradients():
    # The path ttsim.population_coverage takes on GPU/TPU, run in the Pallas interpreter.
    import jax
    import jax.numpy as jnp

    import ttsim
    from ttsim._src import coverage as cov_mod

    pop = ttsim.empirical_population(jnp.array([0.0, 0.01, 0.3, 0.9, 1.0]), jnp.array([1.0, 2.0, 1.0, 1.0, 3.0]))
    k = jnp.array([[1.0, 2.0], [7.5, 100.0]])
    got = cov_mod._population_coverage_kernel(pop, k, interpret=True)
    np.testing.assert_allclose(got, cov_mod._population_coverage(pop, k), rtol=1e-6, atol=1e-7)

    def via_kernel(p, w, kk):
        return jnp.sum(cov_mod._population_coverage_kernel(ttsim.ProblemSet(weight=w, p=p), kk, interpret=True))

    def via_xla(p, w, kk):
        return jnp.sum(cov_mod._population_coverage(ttsim.ProblemSet(weight=w, p=p), kk))

    g_kernel = jax.grad(via_kernel, argnums=(0, 1, 2))(pop.p, pop.weight, k)
    g_xla = jax.grad(via_xla, argnums=(0, 1, 2))(pop.p, pop.weight, k)
    for a, b in zip(g_kernel, g_xla):
        assert np.all(np.isfinite(np.asarray(a)))
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("k_value", [0.25, 0.5, 1.0, 3.5])
def test_kernel_gradient_in_p_for_real_k_matches_finite_differences(k_value):
    # d/dp_i sum_j w_j [1 - (1 - p_j)^k] = w_i k (1 - p_i)^(k - 1): for 0 < k < 1 this grows as
    # p -> 1 (k = 0.5, p = 0.9: 0.5 * 0.1^-0.5 = 1.581); the old JVP used (1-p)^max(k-1, 0).
    # Mutation check: restoring max(k - 1, 0) in the JVP fails this test for k in {0.25, 0.5}.
    from ttsim._src import coverage as cov_mod

    p = np.array([0.05, 0.3, 0.6, 0.9], np.float32)
    w = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    k = jnp.array([k_value], jnp.float32)

    def via_kernel(pp):
        return cov_mod._population_coverage_kernel(ttsim.ProblemSet(weight=jnp.asarray(w), p=pp), k, interpret=True)[0]

    got = np.asarray(jax.grad(via_kernel)(jnp.asarray(p)), np.float64)
    p64, w64 = p.astype(np.float64), w.astype(np.float64)

    def f64(pp):
        return np.sum(w64 * -np.expm1(k_value * np.log1p(-pp)))

    h = 1e-6
    fd = np.array([(f64(p64 + h * e) - f64(p64 - h * e)) / (2 * h) for e in np.eye(len(p))])
    np.testing.assert_allclose(got, fd, rtol=2e-6)
    np.testing.assert_allclose(got, w64 * k_value * (1 - p64) ** (k_value - 1), rtol=2e-6)
