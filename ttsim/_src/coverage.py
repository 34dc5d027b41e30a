"""Coverage (pass@k) for one problem, over populations, from counts, and its power law."""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype, log_gamma_ratio_diff, one_minus_pow
from ttsim._src.population import ProblemSet
from ttsim._src.traceable import traceable


@traceable
def coverage(p, k) -> jax.Array:
    r"""Probability that at least one of ``k`` independent samples is correct.

    .. math:: \mathrm{cov}(p, k) = 1 - (1 - p)^k

    Computed as ``-expm1(k * log1p(-p))``: exact at p ∈ {0, 1}, accurate for k up to 1e6+,
    finite gradients everywhere. ``p`` and ``k`` broadcast; ``k`` may be real (>= 0).

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    dt = float_dtype(p, k)
    p = v.asarray(p, dt)
    k = v.asarray(k, dt)
    v.check_probability("p", p, where="coverage")
    v.check_nonnegative("k", k, where="coverage")
    return one_minus_pow(p, k)


@traceable
def population_coverage(problems: ProblemSet, k) -> jax.Array:
    r"""Coverage of a population for each entry of ``k``: :math:`\sum_i w_i [1 - (1-p_i)^k]`.

    Output has ``k``'s shape (population batch axes lead, if any). ``k`` is an array
    argument: a sweep over k is one trace. On GPU/TPU a single population is evaluated by the
    fused Pallas kernel of :mod:`ttsim.kernels` (differentiable: its JVP is the jnp formula);
    elsewhere XLA's own fusion of the same formula is used.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    k = v.asarray(k, float_dtype(problems.p, k))
    v.check_nonnegative("k", k, where="population_coverage")
    if problems.p.ndim == 1 and jax.default_backend() in ("gpu", "cuda", "rocm", "tpu"):
        return _population_coverage_kernel(problems, k, interpret=False)
    return _population_coverage(problems, k)


def _population_coverage_kernel(problems: ProblemSet, k: jax.Array, *, interpret: bool) -> jax.Array:
    """Single population through the Pallas kernel (``interpret=True`` runs it on any backend)."""
    p, w = problems.p, problems.weight.astype(problems.p.dtype)
    out = _kernel_coverage(k.reshape(-1).astype(p.dtype), p, w, interpret).reshape(k.shape)
    return jnp.clip(out, 0.0, 1.0)


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def _kernel_coverage(k, p, w, interpret):
    from ttsim.kernels.population_coverage import population_coverage_pallas

    return population_coverage_pallas(k, p, w, interpret=interpret)


@_kernel_coverage.defjvp
def _kernel_coverage_jvp(interpret, primals, tangents):
    # The tangent is the JVP of the jnp formula sum_i w_i [1 - (1 - p_i)^k] itself, so it is
    # right for every real k >= 0 (d/dp = k (1 - p)^(k - 1), also for 0 < k < 1), and zero in
    # p at p = 1 as on the jnp path. XLA fuses the elementwise terms into the reduction over
    # problems: no K x P array is materialised.
    k, p, w = primals
    out = _kernel_coverage(k, p, w, interpret)
    _, tangent = jax.jvp(_coverage_sum, primals, tangents)
    return out, tangent


def _coverage_sum(k, p, w):
    return jnp.sum(w * one_minus_pow(p, k[:, None]), axis=1)


@jax.jit
def _population_coverage(problems: ProblemSet, k: jax.Array) -> jax.Array:
    # The weighted sum over problems as one fused reduction (log1p(-p) once per problem, one
    # multiply and expm1 per (k, problem) pair): the generic lift ProblemSet.expect would
    # materialise the (problems x k) array before its contraction.
    p = problems.p
    flat_k = k.reshape(-1).astype(p.dtype)

    def one(pp, ww):
        return _coverage_sum(flat_k, pp, ww.astype(pp.dtype))

    for _ in p.shape[:-1]:
        one = jax.vmap(one)
    out = one(p, problems.weight)
    return jnp.clip(out.reshape(p.shape[:-1] + k.shape), 0.0, 1.0)


@traceable
def beta_coverage(alpha, beta, k) -> jax.Array:
    r"""Closed-form coverage of a Beta(α, β) population after ``k`` samples.

    .. math:: \mathbb{E}_{p\sim\mathrm{Beta}(\alpha,\beta)}[1-(1-p)^k] = 1 - \frac{B(\alpha, \beta+k)}{B(\alpha,\beta)}

    The log-ratio is :math:`\log\Gamma(\beta+k) - \log\Gamma(\alpha+\beta+k) - \log\Gamma(\beta) +
    \log\Gamma(\alpha+\beta)`, with the large-argument differences taken by a Stirling
    expansion so that k up to 1e6 and α, β in [1e-3, 1e3] stay accurate in float32.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    dt = float_dtype(alpha, beta, k)
    alpha, beta, k = (v.asarray(x, dt) for x in (alpha, beta, k))
    v.check_positive("alpha", alpha, where="beta_coverage")
    v.check_positive("beta", beta, where="beta_coverage")
    v.check_nonnegative("k", k, where="beta_coverage")
    return _beta_coverage(alpha, beta, k)


@jax.jit
def _beta_coverage(alpha, beta, k):
    log_miss = log_gamma_ratio_diff(beta, k, alpha)
    return jnp.clip(-jnp.expm1(jnp.minimum(log_miss, 0.0)), 0.0, 1.0)


def beta_mixture_coverage(mix_weight, alpha, beta, k) -> jax.Array:
    r"""Coverage of a Beta mixture: :math:`\sum_j \pi_j [1 - B(\alpha_j,\beta_j+k)/B(\alpha_j,\beta_j)]`.

    ``mix_weight``, ``alpha``, ``beta`` share a trailing component axis; the output has ``k``'s shape.

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025 (Beta mixtures of per-problem pass@1).
    """
    dt = float_dtype(alpha, beta, k)
    mix_weight, alpha, beta, k = (v.asarray(x, dt) for x in (mix_weight, alpha, beta, k))
    v.check_nonnegative("mix_weight", mix_weight, where="beta_mixture_coverage")
    pi = mix_weight / jnp.sum(mix_weight, -1, keepdims=True)
    return jnp.sum(pi * beta_coverage(alpha, beta, k[..., None]), axis=-1)


def pass_at_k(n, c, k) -> jax.Array:
    r"""Unbiased pass@k estimator from ``c`` correct out of ``n`` samples (Chen et al., 2021).

    .. math:: \widehat{\mathrm{pass@}k} = 1 - \binom{n-c}{k}\Big/\binom{n}{k}
              = 1 - \exp\big[\log\Gamma(n-c+1) - \log\Gamma(n-c-k+1) - \log\Gamma(n+1) + \log\Gamma(n-k+1)\big]

    Equal to 1 when ``n - c < k``. The gamma differences are taken without cancellation,
    so n up to 1e7 is accurate in float32. ``n``, ``c``, ``k`` broadcast (k <= n required).

    References: Chen et al., `Evaluating Large Language Models Trained on Code
    <https://arxiv.org/abs/2107.03374>`_, 2021; Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    dt = float_dtype(n, c, k)
    n, c, k = (v.asarray(x, dt) for x in (n, c, k))
    v.check_count("n", n, minimum=1, where="pass_at_k")
    v.check_count("c", c, minimum=0, where="pass_at_k")
    v.check_count("k", k, minimum=1, where="pass_at_k")
    nv, cv, kv = v._values(n), v._values(c), v._values(k)
    if nv is not None and cv is not None and np.any(cv > nv):
        raise ValueError("pass_at_k: c must be <= n")
    if nv is not None and kv is not None and np.any(np.broadcast_to(kv, np.broadcast_shapes(kv.shape, nv.shape)) > nv):
        raise ValueError(f"pass_at_k: k must be <= n; got k={np.max(kv)} with min(n)={np.min(nv)}")
    return _pass_at_k(n, c, k)


@jax.jit
def _pass_at_k(n, c, k):
    miss_possible = n - c >= k
    base = jnp.where(miss_possible, n - c - k + 1.0, 1.0)
    log_ratio = log_gamma_ratio_diff(base, k, c)
    return jnp.where(miss_possible, -jnp.expm1(jnp.minimum(log_ratio, 0.0)), 1.0)


# ------------------------------------------------------------------- exponentiated power law


def power_law_coverage(a, b, k) -> jax.Array:
    r"""Exponentiated power law of coverage in the number of samples.

    .. math:: c(k) = \exp(a\,k^{b}), \qquad a < 0,\; b < 0

    Equivalently :math:`-\log c(k) = -a\,k^{b}` is a power law in k.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    dt = float_dtype(a, b, k)
    a, b, k = (v.asarray(x, dt) for x in (a, b, k))
    v.check_positive("k", k, where="power_law_coverage")
    return jnp.exp(a * jnp.power(k, b))


class PowerLawFit(NamedTuple):
    """Fitted exponentiated power law ``c(k) = exp(a * k**b)`` and its RMS error in log-space."""

    a: jax.Array
    b: jax.Array
    rmse_log: jax.Array


def fit_power_law(k, cov, weight=None) -> PowerLawFit:
    r"""Fit :math:`c(k) = \exp(a k^b)` to a coverage curve.

    Least squares on :math:`\log(-\log c) = \log(-a) + b\log k` (a straight line in log-log
    coordinates, as in Large Language Monkeys), then refined by least squares on
    :math:`\log c` itself. Points with coverage 0 or 1 carry no information and are dropped.

    Args:
      k: ``(K,)`` sample counts (>= 1). cov: ``(K,)`` coverage in [0, 1].
      weight: optional ``(K,)`` non-negative weights of the points.

    Returns:
      :class:`PowerLawFit` with ``a < 0``, ``b`` and the RMS of ``log c`` residuals.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    k = np.asarray(k, dtype=np.float64)
    cov = np.asarray(cov, dtype=np.float64)
    if k.ndim != 1 or k.shape != cov.shape:
        raise ValueError(f"fit_power_law: k and cov must be 1-D of equal length; got {k.shape}, {cov.shape}")
    v.check_positive("k", k, where="fit_power_law")
    v.check_probability("cov", cov, where="fit_power_law")
    w = np.ones_like(k) if weight is None else np.asarray(weight, dtype=np.float64)
    keep = (cov > 0) & (cov < 1) & (w > 0)
    if keep.sum() < 2:
        raise ValueError("fit_power_law: need at least two points with 0 < cov < 1")
    x, y, w = np.log(k[keep]), np.log(-np.log(cov[keep])), w[keep]
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
    theta0 = np.array([intercept, slope])

    def resid(theta):
        return np.sqrt(w) * (-np.exp(theta[0]) * np.exp(theta[1] * x) - np.log(cov[keep]))

    res = scipy.optimize.least_squares(resid, theta0)
    a, b = -np.exp(res.x[0]), res.x[1]
    rmse = float(np.sqrt(np.mean((a * np.exp(b * x) - np.log(cov[keep])) ** 2)))
    return PowerLawFit(a=jnp.asarray(a, jnp.float32), b=jnp.asarray(b, jnp.float32), rmse_log=jnp.asarray(rmse))
