"""Imperfect verifiers: best-of-N selection and score-weighted voting with a binormal verifier.

A verifier gives each sample a score; a correct sample's score is drawn from N(μ1, σ1²), a wrong
one's from N(μ0, σ0²). The equal-variance case is parametrised by the sensitivity
d′ = (μ1 − μ0)/σ, with AUC = Φ(d′/√2).
"""

from __future__ import annotations

import functools
import inspect
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp, ndtr, ndtri

from ttsim._src import validation as v
from ttsim._src.deprecation import renamed_kwargs
from ttsim._src.numerics import float_dtype, is_concrete, one_minus_pow
from ttsim._src.population import ProblemSet
from ttsim._src.traceable import traceable
from ttsim._src.vote import (
    _check_k,
    _check_probs,
    _resolve_max_k,
    _vote_win,
    default_key,
    trial_batches,
)

_NUM_NODES = 128  # Gauss-Legendre nodes on the bracketed score interval
_BISECT_STEPS = 40
_TAIL = 1e-9  # probability mass of the maximum score left outside the bracket, each side
_Z = 8.5  # the correct-score density is negligible beyond mu1 +- _Z sigma1 (N * Phi(-8.5) < 1e-10)


# ----------------------------------------------------------------------------- d' and AUC


def auc_to_d_prime(auc) -> jax.Array:
    r"""Sensitivity d′ of an equal-variance binormal verifier with the given AUC.

    .. math:: d' = \sqrt2\,\Phi^{-1}(\mathrm{AUC})

    AUC = 1 gives +∞, AUC = 0 gives −∞, AUC = 1/2 gives 0.

    References: Green & Swets, Signal Detection Theory and Psychophysics, 1966 (binormal ROC).
    """
    auc = v.asarray(auc)
    auc = v.astype(auc, float_dtype(auc))
    v.check_probability("auc", auc, where="auc_to_d_prime")
    return _auc_to_d_prime(auc)


@jax.jit
def _auc_to_d_prime(auc):
    return jnp.sqrt(2.0).astype(auc.dtype) * ndtri(auc)


def d_prime_to_auc(d_prime) -> jax.Array:
    r"""AUC of an equal-variance binormal verifier: :math:`\mathrm{AUC} = \Phi(d'/\sqrt2)`.

    The probability that a random correct sample outscores a random wrong one.

    References: Green & Swets, Signal Detection Theory and Psychophysics, 1966 (binormal ROC).
    """
    d = v.asarray(d_prime)
    d = v.astype(d, float_dtype(d))
    v.check_in_range("d_prime", d, -np.inf, np.inf, where="d_prime_to_auc")
    return _d_prime_to_auc(d)


@jax.jit
def _d_prime_to_auc(d):
    return ndtr(d / jnp.sqrt(2.0).astype(d.dtype))


# ----------------------------------------------------------------------------- best-of-N core


def _bucketed(fn, *arrays):
    """Call the jitted elementwise ``fn`` on flat inputs padded to a power-of-two length.

    Concrete inputs of different shapes then share a handful of compiled programs; traced
    inputs (inside the caller's jit/vmap/grad) go straight through.
    """
    arrays = v.broadcast_arrays(*arrays)
    if not all(is_concrete(a) for a in arrays):
        return fn(*arrays)
    shape = arrays[0].shape
    size = int(np.prod(shape))
    bucket = max(8, 1 << max(size - 1, 0).bit_length())
    flat = [jnp.pad(a.reshape(-1), (0, bucket - size), mode="edge") if size else jnp.zeros(bucket, a.dtype) for a in arrays]
    return fn(*flat)[:size].reshape(shape)


def _log_cdf(x, p, mu1, s1, mu0, s0):
    """log G(x) and log(-log G(x)) for the mixture score CDF G = p Φ((x-μ1)/σ1) + (1-p) Φ((x-μ0)/σ0).

    Both are accurate wherever G > ~1e-30 (all the quadrature and bracketing visit): near G = 1
    through the survival S = 1 - G, as log1p(-S) and log S + log1p(S/2).
    """
    tiny = jnp.finfo(x.dtype).tiny
    z1 = (x - mu1) / s1
    z0 = (x - mu0) / s0
    g = p * ndtr(z1) + (1.0 - p) * ndtr(z0)
    s = p * ndtr(-z1) + (1.0 - p) * ndtr(-z0)
    log_g = jnp.where(s < 0.5, jnp.log1p(-jnp.minimum(s, 0.5)), jnp.log(jnp.maximum(g, tiny)))
    small = s < 1e-4
    log_neg_log_g = jnp.where(
        small,
        jnp.log(jnp.maximum(s, tiny)) + jnp.log1p(0.5 * jnp.minimum(s, 1e-4)),
        jnp.log(jnp.maximum(-log_g, tiny)),
    )
    return log_g, log_neg_log_g


def _bracket(fn, targets, lo, hi):
    # fn decreasing; bisection for fn(x) = targets[i] on [lo, hi], all targets in one loop.
    lo = jnp.broadcast_to(lo, targets.shape)
    hi = jnp.broadcast_to(hi, targets.shape)

    def body(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        above = fn(mid) > targets
        return jnp.where(above, mid, lo), jnp.where(above, hi, mid)

    lo, hi = jax.lax.fori_loop(0, _BISECT_STEPS, body, (lo, hi))
    return 0.5 * (lo + hi)


def _best_of_n_one(p, n, mu1, s1, mu0, s0):
    """Best-of-n accuracy for scalar parameters with 0 < p < 1, finite means and scales."""
    dt = p.dtype
    # The bracket only decides where to put the nodes: no derivatives flow through it.
    ps, ns, m1, sd1, m0, sd0 = (jax.lax.stop_gradient(x) for x in (p, n, mu1, s1, mu0, s0))
    logn = jnp.log(ns)
    def h(x):
        return _log_cdf(x, ps, m1, sd1, m0, sd0)[1]

    # Bracket of the maximum score M (CDF G^n): P(M < lo) = P(M > hi) = _TAIL.
    # -n log G(lo) = -log(_TAIL), -n log G(hi) = -log1p(-_TAIL) ~ _TAIL.
    t_lo = jnp.log(-jnp.log(v.asarray(_TAIL, dt))) - logn
    t_hi = jnp.log(v.asarray(_TAIL, dt)) - logn
    u = jnp.log(v.asarray(_TAIL, dt)) / ns  # Φ^{-1}(e^u) = Φ^{-1}(_TAIL^{1/n}), either tail
    q_lo = jnp.where(u < -0.7, ndtri(jnp.exp(jnp.minimum(u, -0.7))), -ndtri(-jnp.expm1(jnp.maximum(u, -0.7))))
    q_hi = -ndtri(v.asarray(_TAIL, dt) / ns)  # Φ^{-1}(1 - _TAIL/n), roughly
    lo0 = jnp.minimum(m1 + sd1 * q_lo, m0 + sd0 * q_lo) - 1.0
    hi0 = jnp.maximum(m1 + sd1 * q_hi, m0 + sd0 * q_hi) + 1.0
    lo, hi = _bracket(h, jnp.stack([t_lo, t_hi]), lo0, hi0)
    # Only where the correct-score density lives does the integrand matter.
    a = jnp.maximum(lo, m1 - _Z * sd1)
    b = jnp.maximum(a, jnp.minimum(hi, m1 + _Z * sd1))
    gx, gw = np.polynomial.legendre.leggauss(_NUM_NODES)
    half = 0.5 * (b - a)
    x = a + half * (v.asarray(gx, dt) + 1.0)
    log_w = jnp.log(v.asarray(gw, dt)) + jnp.log(jnp.maximum(half, jnp.finfo(dt).tiny))
    z1 = (x - mu1) / s1
    log_f1 = -0.5 * z1 * z1 - 0.5 * jnp.log(2.0 * jnp.pi).astype(dt) - jnp.log(s1)
    log_g, _ = _log_cdf(x, p, mu1, s1, mu0, s0)
    log_terms = logn + jnp.log(p) + log_f1 + (n - 1.0) * log_g + log_w
    acc = jnp.exp(logsumexp(log_terms))
    return jnp.where(b > a, jnp.clip(acc, 0.0, 1.0), 0.0)


@jax.jit
def _best_of_n_binormal(p, n, mu1, s1, mu0, s0):
    p, n, mu1, s1, mu0, s0 = jnp.broadcast_arrays(p, n, mu1, s1, mu0, s0)
    shape = p.shape
    interior = (p > 0) & (p < 1)
    ps = jnp.where(interior, p, 0.5)
    args = [x.reshape(-1) for x in (ps, n, mu1, s1, mu0, s0)]
    acc = jax.vmap(_best_of_n_one)(*args).reshape(shape)
    return jnp.where(interior, acc, jnp.where(p >= 1, 1.0, 0.0))


@jax.jit
def _best_of_n_dprime(p, n, d):
    p, n, d = jnp.broadcast_arrays(p, n, d)
    finite = jnp.isfinite(d)
    ds = jnp.where(finite, d, 0.0)
    one, zero = jnp.ones_like(p), jnp.zeros_like(p)
    acc = _best_of_n_binormal(p, n, ds, one, zero, one)
    # d' = +inf: any correct sample wins (coverage); d' = -inf: only an all-correct pool wins.
    plus = one_minus_pow(p, n)
    minus = jnp.exp(n * jnp.log(jnp.where(p > 0, p, 1.0)))
    minus = jnp.where(p > 0, minus, 0.0)
    return jnp.where(finite, acc, jnp.where(d > 0, plus, minus))


@traceable
@renamed_kwargs(n="k")
def best_of_n(p, k, d_prime) -> jax.Array:
    r"""Accuracy of picking the highest-scoring of k samples with an equal-variance binormal verifier.

    Each sample is correct with probability p; its verifier score is N(d′, 1) if correct and
    N(0, 1) if wrong. The chosen sample is correct with probability

    .. math:: \mathrm{BoN}(p, k, d') = k\int_{-\infty}^{\infty} p\,\varphi(x - d')\,
              \big[p\,\Phi(x - d') + (1 - p)\,\Phi(x)\big]^{k-1}\,dx
              = \mathbb{E}\big[\Pr(\text{correct}\mid\text{score} = M_k)\big],

    M_k the maximum score. Evaluated by 128-node Gauss–Legendre quadrature in log-space on the
    interval holding all but 1e-9 of M_n's mass on each side (found by bisection on
    :math:`\log(-k\log G)`) intersected with :math:`d' \pm 8.5`; so k up to 1e6 and beyond stays
    finite and accurate (about 1e-6). Limits: d′ = 0 gives p, d′ → +∞ gives coverage
    :math:`1-(1-p)^k` (d′ = ±∞ are accepted), k = 1 gives p. Non-decreasing in k and d′ for
    d′ ≥ 0, and → 1 as k → ∞ when p > 0, d′ > 0 (the posterior is increasing in the score).

    Args:
      p: per-sample success probability in [0, 1].
      k: number of samples drawn, real >= 1 (whole numbers for the literal model); formerly
        ``n=`` (deprecated keyword).
      d_prime: verifier sensitivity d′ (any real, ±∞ allowed); see :func:`auc_to_d_prime`.
      All three broadcast.

    Returns:
      ``broadcast(p, k, d_prime).shape`` accuracies in [0, 1].

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (best-of-N against a verifier); Brown et al.,
    `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024 (the verifier gap).
    """
    where = "best_of_n"
    dt = float_dtype(p, k, d_prime)
    p, n, d = (v.asarray(x, dt) for x in (p, k, d_prime))
    v.check_probability("p", p, where=where)
    v.check_in_range("k", n, 1.0, np.inf, hi_open=True, where=where)
    dv = v._values(d)
    if dv is not None and np.any(np.isnan(dv)):
        raise ValueError(f"{where}: d_prime must not be NaN")
    return _bucketed(_best_of_n_dprime, p, n, d)


@traceable
@renamed_kwargs(n="k")
def best_of_n_binormal(p, k, mu1, sigma1, mu0=0.0, sigma0=1.0) -> jax.Array:
    r"""Best-of-k accuracy with a general binormal verifier: correct ~ N(μ1, σ1²), wrong ~ N(μ0, σ0²).

    .. math:: \mathrm{BoN} = k\int p\,\tfrac{1}{\sigma_1}\varphi\!\big(\tfrac{x-\mu_1}{\sigma_1}\big)\,
              \Big[p\,\Phi\!\big(\tfrac{x-\mu_1}{\sigma_1}\big) + (1-p)\,\Phi\!\big(\tfrac{x-\mu_0}{\sigma_0}\big)\Big]^{k-1}dx

    Same quadrature as :func:`best_of_n` (which is the case μ1 = d′, σ1 = σ0 = 1, μ0 = 0).
    With σ0 > σ1 the accuracy eventually *falls* with k: the largest scores come from the
    wider wrong-score tail.

    Args:
      p: per-sample success probability in [0, 1]. k: samples drawn, real >= 1 (formerly ``n=``).
      mu1, sigma1: mean and standard deviation (> 0) of a correct sample's score.
      mu0, sigma0: the same for a wrong sample. All broadcast.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024; Green & Swets, Signal Detection Theory, 1966.
    """
    where = "best_of_n_binormal"
    dt = float_dtype(p, k, mu1, sigma1, mu0, sigma0)
    p, n, mu1, sigma1, mu0, sigma0 = (v.asarray(x, dt) for x in (p, k, mu1, sigma1, mu0, sigma0))
    v.check_probability("p", p, where=where)
    v.check_in_range("k", n, 1.0, np.inf, hi_open=True, where=where)
    v.check_in_range("mu1", mu1, -np.inf, np.inf, lo_open=True, hi_open=True, where=where)
    v.check_in_range("mu0", mu0, -np.inf, np.inf, lo_open=True, hi_open=True, where=where)
    v.check_positive("sigma1", sigma1, where=where)
    v.check_positive("sigma0", sigma0, where=where)
    return _bucketed(_best_of_n_binormal, p, n, mu1, sigma1, mu0, sigma0)


@traceable
@renamed_kwargs(n="k")
def population_best_of_n(problems: ProblemSet, k, d_prime) -> jax.Array:
    r"""Best-of-k accuracy of a population: :math:`\sum_i w_i\,\mathrm{BoN}(p_i, k, d')`.

    The output has shape ``batch + broadcast(k, d_prime).shape`` (population batch axes lead);
    k and d′ are array arguments, so a sweep is one trace. Lifted by
    :meth:`ttsim.ProblemSet.expect` over :func:`best_of_n`.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    where = "population_best_of_n"
    dt = float_dtype(problems.p, k, d_prime)
    k, d = (v.asarray(x, dt) for x in (k, d_prime))
    v.check_in_range("k", k, 1.0, np.inf, hi_open=True, where=where)
    dv = v._values(d)
    if dv is not None and np.any(np.isnan(dv)):
        raise ValueError(f"{where}: d_prime must not be NaN")
    return _population_best_of_n(problems, *v.broadcast_arrays(k, d))


@jax.jit
def _population_best_of_n(problems, k, d):
    def one(p, k, d):
        return _best_of_n_dprime(*jnp.broadcast_arrays(p, k, d))

    return jnp.clip(problems.expect(one, k, d), 0.0, 1.0)


# ----------------------------------------------------------------------------- weighted vote

_TRANSFORMS = ("cdf", "likelihood_ratio", "score", "count")


def _transform_scores(s, d, transform: str):
    if transform == "cdf":
        return ndtr(s)
    if transform == "likelihood_ratio":
        return jnp.exp(d * s - 0.5 * d * d)
    if transform == "score":
        return s
    return jnp.ones_like(s)


@functools.partial(jax.jit, static_argnames=("num_trials", "batch", "max_k", "transform"))
def _weighted_vote_mc(probs, k, d, key, num_trials: int, batch: int, max_k: int, transform: str):
    out_shape = jnp.broadcast_shapes(probs.shape[:-1], k.shape, d.shape)
    num_answers = probs.shape[-1]
    probs = jnp.broadcast_to(probs, out_shape + (num_answers,))
    k = jnp.broadcast_to(k, out_shape)
    d = jnp.broadcast_to(d, out_shape)
    num_batches = -(-num_trials // batch)
    keys = jax.random.split(key, num_batches)
    edges = jnp.cumsum(probs, axis=-1)[..., :-1]  # answer = number of edges below a uniform draw
    used = jnp.arange(max_k) < k[..., None]  # out_shape + (max_k,)
    draw_shape = (batch,) + out_shape + (max_k,)
    size = int(np.prod(draw_shape))

    def one(bkey):
        ka, ks = jax.random.split(bkey)
        # Flat draws, reshaped: multi-dimensional draw shapes compile several times slower on CPU.
        unif = jax.random.uniform(ka, (size,), probs.dtype).reshape(draw_shape)
        noise = jax.random.normal(ks, (size,), probs.dtype).reshape(draw_shape)
        answers = jnp.sum(unif[..., None] >= edges[..., None, :], axis=-1)
        answers = jnp.minimum(answers, num_answers - 1)
        score = noise + jnp.where(answers == 0, d[..., None], 0.0)
        weight = jnp.where(used, _transform_scores(score, d[..., None], transform), 0.0)
        onehot = answers[..., None] == jnp.arange(num_answers)
        onehot = onehot & used[..., None]
        totals = jnp.sum(jnp.where(onehot, weight[..., None], 0.0), axis=-2)
        present = jnp.any(onehot, axis=-2)
        totals = jnp.where(present, totals, -jnp.inf)
        return jnp.sum(_vote_win(totals), axis=0)

    total = jnp.sum(jax.lax.map(one, keys), axis=0)
    return (total / (num_batches * batch)).astype(probs.dtype)


def _is_key(x) -> bool:
    if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        return True
    return getattr(x, "dtype", None) == np.uint32 and np.shape(x)[-1:] == (2,)


def weighted_vote(*args, **kwargs) -> jax.Array:
    """Dispatch: ``weighted_vote(key, probs, k, d_prime, ...)``; the old ``(probs, k, d_prime, key=...)`` warns."""
    if args and _is_key(args[0]):
        return _weighted_vote(*args, **kwargs)
    key = kwargs.pop("key", None)
    warnings.warn(
        "weighted_vote(probs, k, d_prime, key=...) is deprecated; the key comes first: "
        "weighted_vote(key, probs, k, d_prime, ...)",
        DeprecationWarning,
        stacklevel=2,
    )
    return _weighted_vote(default_key(key, "weighted_vote"), *args, **kwargs)


def _weighted_vote(
    key, probs, k, d_prime, *, num_trials: int = 4096, transform: str = "cdf", max_k=None
) -> jax.Array:
    r"""Accuracy of a verifier-weighted vote over k samples (Monte Carlo with a seeded key).

    Sample i gives answer :math:`a_i \sim \pi` and gets a verifier score
    :math:`s_i \sim N(d'\,\mathbf 1\{a_i = 0\}, 1)`; each answer's weight is the sum of a
    transform of its samples' scores, and the heaviest answer wins (ties split evenly):

    .. math:: \hat a = \arg\max_a \sum_{i : a_i = a} h(s_i), \qquad
              \mathrm{acc} = \Pr(\hat a = 0)

    ``transform`` h: ``"cdf"`` (default) :math:`h = \Phi(s)`, a reward in (0, 1) like a reward
    model's probability (Wu et al.'s weighted majority vote sums reward-model scores);
    ``"likelihood_ratio"`` :math:`h = e^{d's - d'^2/2} = f_1(s)/f_0(s)`, which approaches
    best-of-n for large d′; ``"score"`` the raw score; ``"count"`` h = 1, i.e. plain majority
    vote (a consistency check). Answers without samples never win.

    Args:
      key: ``jax.random`` key (required, first).
      probs: ``(..., A)`` answer distribution, index 0 correct.
      k: number of samples (whole numbers >= 1).
      d_prime: verifier sensitivity d′ (finite). probs batch, k and d′ broadcast.
      num_trials: Monte Carlo trials per entry (static); standard error <= sqrt(m(1-m)/trials).
      transform: the per-sample weight (static), one of ``"cdf"``, ``"likelihood_ratio"``,
        ``"score"``, ``"count"``.
      max_k: static number of sample slots (default ``max(k)``); needed when k is traced.

    Returns:
      ``broadcast(probs.shape[:-1], k.shape, d_prime.shape)`` accuracies in [0, 1].

    References: Wu et al., `Inference Scaling Laws <https://arxiv.org/abs/2408.00724>`_, 2024
    (weighted majority voting with a reward model); Snell et al., `Scaling LLM Test-Time
    Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    where = "weighted_vote"
    if transform not in _TRANSFORMS:
        raise ValueError(f"{where}: transform must be one of {_TRANSFORMS}; got {transform!r}")
    probs = _check_probs(probs, where)
    k = _check_k(k, where, probs.dtype)
    d = v.asarray(d_prime, probs.dtype)
    v.check_in_range("d_prime", d, -np.inf, np.inf, lo_open=True, hi_open=True, where=where)
    try:
        jnp.broadcast_shapes(probs.shape[:-1], k.shape, d.shape)
    except ValueError:
        raise ValueError(
            f"{where}: probs batch {probs.shape[:-1]}, k{k.shape} and d_prime{d.shape} do not broadcast"
        ) from None
    num_trials = int(num_trials)
    if num_trials < 1:
        raise ValueError(f"{where}: num_trials must be >= 1; got {num_trials}")
    if max_k is None and is_concrete(k):
        slots = int(np.asarray(k).max())
    else:
        slots = _resolve_max_k(k, max_k, where)
        if slots is None:
            raise ValueError(f"{where}: k is traced; pass a static max_k")
    out_size = int(np.prod(jnp.broadcast_shapes(probs.shape[:-1], k.shape, d.shape)))
    num_batches, batch = trial_batches(num_trials, out_size * slots * probs.shape[-1], 256)
    return _weighted_vote_mc(probs, k, d, key, num_batches * batch, batch, slots, transform)


weighted_vote.__doc__ = _weighted_vote.__doc__
weighted_vote.__signature__ = inspect.signature(_weighted_vote)
