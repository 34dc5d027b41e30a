r"""Difficulty bins: grouping problems by (true or predicted) pass@1 for the optimizer.

Snell et al. allocate test-time compute per difficulty level: problems are cut into quantile
bins of pass@1 (oracle) or of a noisy prediction of it, and the optimizer picks one option per
bin. :func:`difficulty_bins` makes the bins, :func:`predicted_difficulty` the noisy predictor,
:func:`bin_population` the padded per-bin arrays every table is built from.

References: Snell et al., `Scaling LLM Test-Time Compute Optimally
<https://arxiv.org/abs/2408.03314>`_, 2024.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v

__all__ = ("BinnedPopulation", "bin_population", "default_float", "difficulty_bins", "is_key", "predicted_difficulty")


def default_float():
    """The default float dtype: float32, or float64 when ``jax_enable_x64`` is on (``ttsim --x64``)."""
    return jnp.dtype(jnp.result_type(float))


def is_key(x) -> bool:
    """True for a ``jax.random`` key (typed ``key`` or a raw ``uint32[2]`` from ``PRNGKey``)."""
    if x is None:
        return False
    dt = getattr(x, "dtype", None)
    if dt is None:
        return False
    if jax.dtypes.issubdtype(dt, jax.dtypes.prng_key):
        return True
    return dt == jnp.uint32 and tuple(getattr(x, "shape", ())) == (2,)


_MISSING = object()


def _bins_args(key, score, num_bins, weight, legacy):
    """Accept the new ``(key, score, num_bins, weight)`` and the deprecated ``(score, num_bins, weight, key=)``."""
    unknown = set(legacy) - {"key"}
    if unknown:
        raise TypeError(f"difficulty_bins: unexpected keyword argument(s) {sorted(unknown)}")
    if key is _MISSING:  # difficulty_bins(key=..., score=...)
        if "key" not in legacy:
            raise TypeError("difficulty_bins: missing the key (first argument; None breaks ties by index)")
        key = legacy.pop("key")
        if score is None:
            raise ValueError("score: difficulty_bins needs a score array")
        return key, score, num_bins, weight
    if key is None or is_key(key):
        if "key" in legacy:
            raise TypeError("difficulty_bins: key given twice")
        if score is None:
            raise ValueError("score: difficulty_bins needs a score array after the key")
        return key, score, num_bins, weight
    warnings.warn("difficulty_bins(score, num_bins, weight, key=...) is deprecated; pass the key first: "
                  "difficulty_bins(key, score, num_bins, weight) (key=None breaks ties by index)",
                  DeprecationWarning, stacklevel=3)
    # old positional order (score, num_bins, weight) landed in (key, score, num_bins)
    if score is None:
        old_bins, old_weight = num_bins, weight
    else:
        old_bins = score
        old_weight = weight if weight is not None else (None if isinstance(num_bins, (int, np.integer)) else num_bins)
    return legacy.get("key"), key, int(old_bins), old_weight


def difficulty_bins(key=_MISSING, /, score=None, num_bins: int = 5, weight=None, **legacy) -> jax.Array:
    r"""Quantile bins of a difficulty score: bin 0 holds the easiest problems (highest score).

    Problems are ranked by ``score`` (descending; ties broken at random with ``key``, or by
    index when ``key`` is None) and cut into ``num_bins`` groups of equal total weight, as Snell et al.'s five
    difficulty levels (level 1 = bin 0 = easiest):

    .. math:: \mathrm{bin}_i = \Big\lfloor B\,\frac{W_{<i} + w_i/2}{W} \Big\rfloor

    with :math:`W_{<i}` the weight ranked before problem i.

    Args:
      key: a ``jax.random`` key breaking ties at random, or ``None`` to break them by index
        (required, first; the old form ``difficulty_bins(score, num_bins, weight, key=...)``
        still works with a DeprecationWarning).
      score: ``(P,)`` pass@1 (oracle bins) or a prediction of it (predicted bins).
      num_bins: number of bins B (static, >= 1).
      weight: optional ``(P,)`` problem weights (uniform by default).

    Returns:
      ``(P,)`` int32 bin indices in ``[0, B)``.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    key, score, num_bins, weight = _bins_args(key, score, num_bins, weight, legacy)
    score = np.asarray(score, np.float64)
    if score.ndim != 1 or score.size == 0:
        raise ValueError(f"difficulty_bins: score must be a non-empty 1-D array; got shape {score.shape}")
    if int(num_bins) < 1:
        raise ValueError(f"difficulty_bins: num_bins must be >= 1; got {num_bins}")
    w = np.ones_like(score) if weight is None else np.asarray(weight, np.float64)
    v.check_nonnegative("weight", w, where="difficulty_bins")
    tie = np.arange(score.size) if key is None else np.asarray(jax.random.uniform(key, score.shape))
    order = np.lexsort((tie, -score))
    cum = np.cumsum(w[order]) - 0.5 * w[order]
    bins_sorted = np.minimum((num_bins * cum / w.sum()).astype(np.int64), num_bins - 1)
    bins = np.empty(score.size, np.int32)
    bins[order] = bins_sorted
    return v.asarray(bins)


def predicted_difficulty(key, p, *, num_samples: int | None = None, logit_noise: float | None = None) -> jax.Array:
    r"""A noisy predictor of pass@1 for predicted-difficulty bins.

    Either the fraction correct of ``num_samples`` fresh samples (a held-out estimate),

    .. math:: \hat p = X / n, \quad X \sim \mathrm{Binomial}(n, p),

    or logit noise, :math:`\hat p = \sigma(\mathrm{logit}(p) + s\,\varepsilon)`,
    :math:`\varepsilon\sim N(0,1)` (p clipped to [1e-6, 1 − 1e-6] first).

    Args:
      key: ``jax.random`` key (required, first; the old order ``(p, key)`` still works with a
        DeprecationWarning).
      p: ``(P,)`` true per-sample success probabilities.
      num_samples: n for the binomial predictor (>= 1).
      logit_noise: s >= 0 for the logit predictor (give exactly one of the two).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (predicted difficulty bins).
    """
    if is_key(p) and not is_key(key):
        warnings.warn("predicted_difficulty(p, key, ...) is deprecated; pass the key first: predicted_difficulty(key, p, ...)",
                      DeprecationWarning, stacklevel=2)
        key, p = p, key
    if not is_key(key):
        raise ValueError("key: predicted_difficulty needs a jax.random key as its first argument")
    p = v.asarray(p, default_float())
    v.check_probability("p", p, where="predicted_difficulty")
    if (num_samples is None) == (logit_noise is None):
        raise ValueError("predicted_difficulty: give exactly one of num_samples and logit_noise")
    if num_samples is not None:
        if int(num_samples) < 1:
            raise ValueError(f"predicted_difficulty: num_samples must be >= 1; got {num_samples}")
        x = jax.random.binomial(key, v.asarray(float(num_samples), p.dtype), p)
        return (x / float(num_samples)).astype(p.dtype)
    v.check_nonnegative("logit_noise", logit_noise, where="predicted_difficulty")
    q = jnp.clip(p, 1e-6, 1.0 - 1e-6)
    return jax.nn.sigmoid(jnp.log(q) - jnp.log1p(-q) + logit_noise * jax.random.normal(key, p.shape))


class BinnedPopulation(NamedTuple):
    """Problems grouped by bin, padded to the largest bin.

    Attributes:
      p: ``(M, B, K)`` per-sample success of each model on the k-th problem of bin b.
      weight: ``(B, K)`` weights within each bin (sum 1 over k; 0 on padding).
      mass: ``(B,)`` share of the population in each bin (sums to 1).
      index: ``(B, K)`` int32 problem index (-1 on padding).
      gen_tokens: ``(M, B, K, S)`` solution lengths in tokens (S observed lengths averaged over).
      prompt_tokens: ``(B, K)`` prompt lengths in tokens.
    """

    p: jax.Array
    weight: jax.Array
    mass: jax.Array
    index: jax.Array
    gen_tokens: jax.Array
    prompt_tokens: jax.Array

    @property
    def num_bins(self) -> int:
        return int(self.mass.shape[0])

    @property
    def problems(self):
        """The bins as one :class:`~ttsim.ProblemSet` with batch shape ``(M, B)`` (padding has weight 0)."""
        from ttsim._src.population import ProblemSet

        return ProblemSet(weight=self.weight, p=self.p)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """``(M, B)``: models by bins."""
        return self.problems.batch_shape

    def expect(self, fn, *args, **kwargs) -> jax.Array:
        r"""Per-bin expectation of a per-problem model, :math:`\sum_k w_{bk} f(p_{mbk}, \dots)`: ``(M, B) + out``.

        The population lift of :meth:`ttsim.ProblemSet.expect` (one ``vmap``), applied to each bin.
        References: Snell et al., 2024 (difficulty bins).
        """
        return self.problems.expect(fn, *args, **kwargs)

    def mean(self) -> jax.Array:
        """Mean per-sample success of each bin, ``(M, B)``."""
        return self.problems.mean()

    def sample(self, key, num: int) -> jax.Array:
        """``num`` draws of p from each bin, ``(num, M, B)`` (see :meth:`ttsim.ProblemSet.sample`)."""
        return self.problems.sample(key, num)


def bin_population(p, bins, num_bins: int | None = None, *, weight=None, gen_tokens=1.0, prompt_tokens=0.0,
                   max_per_bin: int | None = None) -> BinnedPopulation:
    r"""Group problems into bins for the optimizer.

    .. math:: m_b = \sum_{i\in b} w_i, \qquad w_{bk} = w_{i_k} / m_b

    Args:
      p: ``(P,)`` or ``(M, P)`` per-sample success of M models on P problems (a
        :class:`~ttsim.ProblemSet` is accepted too; its weights are used).
      bins: ``(P,)`` bin index of each problem (e.g. :func:`difficulty_bins`). To allocate per
        problem, pass ``arange(P)``.
      num_bins: B (default: max(bins) + 1).
      weight: optional ``(P,)`` problem weights.
      gen_tokens: solution length in tokens: scalar, ``(P,)``, ``(M, P)`` or ``(M, P, S)``
        (S observed lengths per problem; costs are averaged over them).
      prompt_tokens: scalar or ``(P,)`` prompt length in tokens.
      max_per_bin: pad every bin to this many slots (static shapes across populations, so the
        jitted models compile once); default: the largest bin.
    """
    where = "bin_population"
    if hasattr(p, "p") and hasattr(p, "weight"):
        weight = p.weight if weight is None else weight
        p = p.p
    p = np.asarray(p, np.float64)
    if p.ndim == 1:
        p = p[None]
    if p.ndim != 2 or p.shape[1] == 0:
        raise ValueError(f"{where}: p must have shape (P,) or (M, P); got {p.shape}")
    v.check_probability("p", p, where=where)
    m, num_p = p.shape
    bins = np.asarray(bins)
    if bins.shape != (num_p,) or not np.issubdtype(bins.dtype, np.integer):
        raise ValueError(f"{where}: bins must be ({num_p},) integers; got {bins.shape} {bins.dtype}")
    nb = int(bins.max()) + 1 if num_bins is None else int(num_bins)
    if bins.min() < 0 or bins.max() >= nb:
        raise ValueError(f"{where}: bins must lie in [0, {nb}); got range [{bins.min()}, {bins.max()}]")
    w = np.full(num_p, 1.0 / num_p) if weight is None else np.asarray(weight, np.float64)
    if w.shape != (num_p,):
        raise ValueError(f"{where}: weight must have shape ({num_p},); got {w.shape}")
    v.check_nonnegative("weight", w, where=where)
    w = w / w.sum()
    g = np.asarray(gen_tokens, np.float64)
    if g.ndim == 0:
        g = np.full((m, num_p, 1), float(g))
    elif g.ndim == 1:
        g = np.broadcast_to(g[None, :, None], (m, num_p, 1))
    elif g.ndim == 2:
        g = np.broadcast_to(g[:, :, None], (m, num_p, 1))
    if g.shape[:2] != (m, num_p):
        raise ValueError(f"{where}: gen_tokens must broadcast to (M, P[, S]) = ({m}, {num_p}); got {np.shape(gen_tokens)}")
    v.check_nonnegative("gen_tokens", g, where=where)
    c = np.broadcast_to(np.asarray(prompt_tokens, np.float64), (num_p,))
    v.check_nonnegative("prompt_tokens", c, where=where)
    counts = np.bincount(bins, minlength=nb)
    k = max(1, int(counts.max()))
    if max_per_bin is not None:
        if int(max_per_bin) < k:
            raise ValueError(f"{where}: max_per_bin={max_per_bin} but a bin holds {k} problems")
        k = int(max_per_bin)
    index = np.full((nb, k), -1, np.int32)
    for b in range(nb):
        members = np.flatnonzero(bins == b)
        index[b, : members.size] = members
    safe = np.where(index >= 0, index, 0)
    pad = index < 0
    mass = np.array([w[bins == b].sum() for b in range(nb)])
    wb = np.where(pad, 0.0, w[safe])
    wb = wb / np.where(mass > 0, mass, 1.0)[:, None]
    f = default_float()  # float32, or float64 under jax_enable_x64 (ttsim --x64)
    return BinnedPopulation(
        p=v.asarray(np.where(pad[None], 0.0, p[:, safe]), f),
        weight=v.asarray(wb, f),
        mass=v.asarray(mass, f),
        index=v.asarray(index),
        gen_tokens=v.asarray(np.where(pad[None, :, :, None], 0.0, g[:, safe]), f),
        prompt_tokens=v.asarray(np.where(pad, 0.0, c[safe]), f),
    )


