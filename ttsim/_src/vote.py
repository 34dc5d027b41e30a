"""Majority (plurality) vote over k i.i.d. samples from a categorical answer distribution.

Answers are categorical: ``probs[..., a]`` is the probability that one sample gives answer a,
index 0 being the correct answer. The vote picks the most frequent answer over k samples;
a tie among t top answers counts 1/t when the correct answer is one of them.

Exact accuracy uses a dynamic programme over counts (O(K^3 A) for a static table size K,
then a gather at k); Monte Carlo draws multinomial count vectors with a seeded key.
"""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.deprecation import renamed_kwargs
from ttsim._src.numerics import float_dtype, is_concrete
from ttsim._src.population import ProblemSet
from ttsim._src.traceable import traceable

EXACT_MAX_K = 256
"""Largest table size ``max_k`` for which ``method="auto"`` uses the exact programme."""

_METHODS = ("auto", "exact", "monte_carlo")
_CHUNK_FROM = 128  # tables larger than this split the correct-count axis into chunks
_NUM_CHUNKS = 8


# ----------------------------------------------------------------------------- answer model


@traceable
def answer_probs(p, q=0.0, num_other: int = 1) -> jax.Array:
    r"""A categorical answer distribution: correct ``p``, a dominant wrong answer ``q``, the rest spread.

    .. math:: \pi = \big(p,\; q,\; \underbrace{\tfrac{1-p-q}{m}, \dots, \tfrac{1-p-q}{m}}_{m\ =\ \mathrm{num\_other}}\big)

    Args:
      p: probability that a sample gives the correct answer, in [0, 1].
      q: probability of the dominant wrong answer, >= 0 with ``p + q <= 1`` (broadcasts with p).
      num_other: number of further wrong answers sharing ``1 - p - q`` evenly (static, >= 1).

    Returns:
      ``broadcast(p, q).shape + (2 + num_other,)``; index 0 is the correct answer.

    Raises:
      ValueError: if p is outside [0, 1], q < 0, p + q > 1 or num_other < 1.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024
    (majority vote plateaus when a wrong answer is common); Wu et al., `Inference Scaling Laws
    <https://arxiv.org/abs/2408.00724>`_, 2024.
    """
    num_other = int(num_other)
    if num_other < 1:
        raise ValueError(f"answer_probs: num_other must be >= 1; got {num_other}")
    dt = float_dtype(p, q)
    p, q = v.broadcast_arrays(v.asarray(p, dt), v.asarray(q, dt))
    v.check_probability("p", p, where="answer_probs")
    v.check_nonnegative("q", q, where="answer_probs")
    pv, qv = v._values(p), v._values(q)
    if pv is not None and qv is not None and np.any(pv + qv > 1.0 + 1e-6):
        i = int(np.argmax((pv + qv).reshape(-1)))
        raise ValueError(
            f"answer_probs: p + q must be <= 1; got p={pv.reshape(-1)[i]!r}, q={qv.reshape(-1)[i]!r}"
        )
    return _answer_probs(p, q, num_other)


@functools.partial(jax.jit, static_argnames=("num_other",))
def _answer_probs(p, q, num_other: int):
    rest = jnp.clip(1.0 - p - q, 0.0, 1.0) / num_other
    others = jnp.broadcast_to(rest[..., None], p.shape + (num_other,))
    return jnp.concatenate([p[..., None], q[..., None], others], axis=-1)


def _check_probs(probs, where: str) -> jax.Array:
    probs = v.asarray(probs)
    probs = v.astype(probs, float_dtype(probs))
    if probs.ndim < 1 or probs.shape[-1] < 2:
        raise ValueError(f"{where}: probs must have a trailing answer axis of size >= 2; got shape {probs.shape}")
    v.check_probability("probs", probs, where=where)
    pv = v._values(probs)
    if pv is not None and pv.size and np.any(np.abs(pv.sum(-1) - 1.0) > 1e-3):
        bad = np.abs(pv.sum(-1) - 1.0).max()
        raise ValueError(f"{where}: probs must sum to 1 over the last axis; largest deviation {bad:.3g}")
    return probs


def _check_k(k, where: str, dt) -> jax.Array:
    k = v.asarray(k)
    v.check_count("k", k, minimum=1, where=where)
    return v.astype(k, dt)


# ----------------------------------------------------------------------------- exact programme


def _safe_xlogy(x, y):
    # x * log(y) with 0 * log(0) = 0 and -inf for x > 0, y = 0; finite gradients everywhere.
    ok = y > 0
    ys = jnp.where(ok, y, 1.0)
    return jnp.where(x == 0, 0.0, jnp.where(ok, x * jnp.log(ys), -jnp.inf))


def _safe_xlog1my(x, y):
    # x * log(1 - y), same conventions at y = 1.
    ok = y < 1
    ys = jnp.where(ok, y, 0.0)
    return jnp.where(x == 0, 0.0, jnp.where(ok, x * jnp.log1p(-ys), -jnp.inf))


@functools.lru_cache(maxsize=32)
def _log_choose_table(size: int) -> np.ndarray:
    # log C(n, j) for n, j in [0, size); -inf where j > n. float64 on the host, exact enough.
    n = np.arange(size, dtype=np.float64)
    lf = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, size, dtype=np.float64)))])
    tab = lf[:, None] - lf[None, :] - lf[np.maximum(n[:, None] - n[None, :], 0).astype(int)]
    return np.where(n[None, :] <= n[:, None], tab, -np.inf)


def _binom_table(size: int, prob, dt) -> jax.Array:
    """``T[n, j] = C(n, j) prob^j (1 - prob)^(n - j)`` for n, j in [0, size)."""
    logc = v.asarray(_log_choose_table(size), dt)
    n = jnp.arange(size, dtype=dt)[:, None]
    j = jnp.arange(size, dtype=dt)[None, :]
    valid = j <= n
    logp = logc + _safe_xlogy(j, prob) + _safe_xlog1my(jnp.where(valid, n - j, 0.0), prob)
    return jnp.where(valid, jnp.exp(jnp.where(valid, logp, -jnp.inf)), 0.0)


def _exact_row(probs: jax.Array, max_k: int) -> jax.Array:
    """Accuracy of the plurality vote for k = 0..max_k, for one answer distribution ``probs`` (A,)."""
    dt = probs.dtype
    size = max_k + 1
    num_answers = probs.shape[-1]
    p0, wrong = probs[0], probs[1:]
    wsum = jnp.sum(wrong)
    pos = wsum > 0
    pi = jnp.where(pos, wrong / jnp.where(pos, wsum, 1.0), 1.0 / (num_answers - 1))
    tail = jnp.cumsum(pi[::-1])[::-1]
    # Sequential (stick-breaking) conditionals: answer j takes Bin(remaining, rho_j).
    rho = jnp.clip(jnp.where(tail > 0, pi / jnp.where(tail > 0, tail, 1.0), 1.0), 0.0, 1.0)
    # 1/(1 + T) = int_0^1 x^T dx with T <= A - 1 tied wrong answers: Gauss-Legendre is exact.
    num_nodes = max(1, math.ceil(num_answers / 2))
    gx, gw = np.polynomial.legendre.leggauss(num_nodes)
    x = v.asarray((gx + 1.0) / 2.0, dt)
    xw = v.asarray(gw / 2.0, dt)
    # B_j[r, m] = P(wrong answer j takes m of the r samples still to place) = Bin(m; r, rho_j).
    tabs = [_binom_table(size, rho[j], dt) for j in range(num_answers - 2)]
    idx = jnp.arange(size)
    diff = idx[:, None] - idx[None, :]
    # u[c, r] = E[prod_j w_c(n_j) | r samples over the wrong answers], with
    # w_c(m) = 1{m < c} + x 1{m = c}: every wrong count <= c, ties weighted by x (then integrated).
    # The c axis is cut into chunks; chunk [lo, hi) needs only r <= max_k - lo and m <= hi - 1,
    # which cuts the O(max_k^3) work about fourfold for large tables.
    chunks = [0, size] if size <= _CHUNK_FROM else np.linspace(0, size, _NUM_CHUNKS + 1).round().astype(int).tolist()
    pieces = []
    for lo, hi in zip(chunks[:-1], chunks[1:], strict=True):
        if hi <= lo:
            continue
        rows = size - lo  # r in [0, rows)
        width = min(hi, rows)  # m in [0, width)
        r_idx = np.arange(rows)
        m_idx = np.arange(width)
        src = v.asarray(np.maximum(r_idx[:, None] - m_idx[None, :], 0))  # r - m
        subs = [t[:rows, :width] for t in tabs]
        r_ar = v.asarray(r_idx)
        m_ar = v.asarray(m_idx)

        def per_c(c, src=src, subs=subs, r_ar=r_ar, m_ar=m_ar):
            w = jnp.where(m_ar < c, 1.0, 0.0)[None, :] + x[:, None] * (m_ar == c)[None, :]
            vals = (jnp.where(r_ar < c, 1.0, 0.0)[None, :] + x[:, None] * (r_ar == c)[None, :]).astype(dt)
            for j in reversed(range(num_answers - 2)):
                vals = jnp.sum(subs[j][None] * w[:, None, :].astype(dt) * vals[:, src], axis=-1)
            return jnp.sum(xw[:, None] * vals, axis=0)

        piece = jax.lax.map(per_c, jnp.arange(lo, hi))  # (hi - lo, rows)
        pieces.append(jnp.pad(piece, ((0, 0), (0, size - rows))))
    u = jnp.concatenate(pieces, axis=0)  # u[c, r]
    bin0 = _binom_table(size, p0, dt)  # bin0[k, c] = P(correct count = c | k samples)
    rest = jnp.clip(diff, 0, max_k)  # k - c
    gathered = u[idx[None, :], rest]  # [k, c] -> u[c, k - c]
    return jnp.sum(jnp.where(diff >= 0, bin0 * gathered, 0.0), axis=1)


@functools.partial(jax.jit, static_argnames=("max_k",))
def _exact_table(probs: jax.Array, max_k: int) -> jax.Array:
    flat = probs.reshape((-1, probs.shape[-1]))
    tab = jax.vmap(lambda row: _exact_row(row, max_k))(flat)
    tab = jnp.clip(tab, 0.0, 1.0)  # a sum of probabilities: remove float rounding past [0, 1]
    return tab.reshape(probs.shape[:-1] + (max_k + 1,))


@functools.partial(jax.jit, static_argnames=("max_k",))
def _majority_vote_exact(probs: jax.Array, k: jax.Array, max_k: int) -> jax.Array:
    table = _exact_table(probs, max_k)
    out_shape = jnp.broadcast_shapes(probs.shape[:-1], k.shape)
    table = jnp.broadcast_to(table, out_shape + table.shape[-1:])
    kidx = jnp.clip(jnp.broadcast_to(k, out_shape).astype(jnp.int32), 0, max_k)
    return jnp.take_along_axis(table, kidx[..., None], axis=-1)[..., 0]


def majority_vote_table(probs, max_k: int) -> jax.Array:
    r"""Exact plurality-vote accuracy for every k = 0..max_k: ``probs.shape[:-1] + (max_k + 1,)``.

    Entry k = 0 is the uniform guess 1/A. See :func:`majority_vote` for the model; this is its
    exact programme without the gather.

    .. math:: \mathrm{maj}(k) = \sum_{c=0}^{k}\binom{k}{c}p_0^c(1-p_0)^{k-c}\,
              \mathbb{E}\Big[\tfrac{\mathbf 1\{\max_{j\ge1} n_j \le c\}}{1+\#\{j\ge1: n_j = c\}}
              \,\Big|\, \textstyle\sum_{j\ge1} n_j = k-c\Big]

    References: Wu et al., `Inference Scaling Laws <https://arxiv.org/abs/2408.00724>`_, 2024.
    """
    probs = _check_probs(probs, "majority_vote_table")
    max_k = int(max_k)
    if max_k < 0:
        raise ValueError(f"majority_vote_table: max_k must be >= 0; got {max_k}")
    return _exact_table(probs, max_k)


# ----------------------------------------------------------------------------- Monte Carlo


def _vote_win(counts: jax.Array) -> jax.Array:
    top = jnp.max(counts, axis=-1)
    ties = jnp.sum(counts == top[..., None], axis=-1)
    return jnp.where(counts[..., 0] == top, 1.0 / ties, 0.0)


@functools.partial(jax.jit, static_argnames=("num_trials", "batch"))
def _majority_vote_mc(probs, k, key, num_trials: int, batch: int) -> jax.Array:
    out_shape = jnp.broadcast_shapes(probs.shape[:-1], k.shape)
    probs = jnp.broadcast_to(probs, out_shape + probs.shape[-1:])
    k = jnp.broadcast_to(k, out_shape).astype(probs.dtype)
    num_batches = -(-num_trials // batch)
    keys = jax.random.split(key, num_batches)

    def one(bkey):
        kb = jnp.broadcast_to(k, (batch,) + out_shape)
        pb = jnp.broadcast_to(probs, (batch,) + probs.shape)
        counts = jax.random.multinomial(bkey, kb, pb)
        return jnp.sum(_vote_win(counts), axis=0)

    total = jnp.sum(jax.lax.map(one, keys), axis=0)
    return (total / (num_batches * batch)).astype(probs.dtype)


# ----------------------------------------------------------------------------- public API


def _resolve_method(k, max_k, method: str, num_trials, where: str):
    """``(num_trials, table_k, method)`` with ``"auto"`` resolved; ValueError naming what is missing."""
    num_trials = int(num_trials)
    if num_trials < 1:
        raise ValueError(f"{where}: num_trials must be >= 1; got {num_trials}")
    table_k = _resolve_max_k(k, max_k, where)
    if method == "auto":
        if table_k is None:
            raise ValueError(f"{where}: k is traced; pass a static max_k (or method='monte_carlo')")
        method = "exact" if table_k <= EXACT_MAX_K else "monte_carlo"
    if method == "exact" and table_k is None:
        raise ValueError(f"{where}: k is traced; pass a static max_k for method='exact'")
    return num_trials, table_k, method


def _resolve_max_k(k, max_k, where: str):
    if max_k is not None:
        max_k = int(max_k)
        if max_k < 1:
            raise ValueError(f"{where}: max_k must be >= 1; got {max_k}")
        kv = v._values(k)
        if kv is not None and kv.size and kv.max() > max_k:
            raise ValueError(f"{where}: k must be <= max_k={max_k}; got max(k)={kv.max()!r}")
        return max_k
    if not is_concrete(k):
        return None
    kv = np.asarray(k)
    return int(-(-max(int(kv.max()), 1) // 16) * 16) if kv.size else 16


def majority_vote(probs, k, *, method: str = "auto", key=None, num_trials: int = 4096, max_k=None) -> jax.Array:
    r"""Expected accuracy of the plurality vote over ``k`` i.i.d. samples from ``probs``.

    With counts :math:`n \sim \mathrm{Multinomial}(k, \pi)` over the A answers (index 0 correct),

    .. math:: \mathrm{maj}(k) = \mathbb{E}\Big[\frac{\mathbf 1\{n_0 = \max_a n_a\}}{\#\{a : n_a = \max_b n_b\}}\Big]

    (a t-way tie at the top that includes the correct answer counts 1/t).

    ``"exact"`` conditions on :math:`n_0 = c \sim \mathrm{Bin}(k, \pi_0)` and places the other
    :math:`k - c` samples answer by answer (stick-breaking binomials), keeping only placements
    with every wrong count :math:`\le c`; the tie weight is
    :math:`1/(1+T) = \int_0^1 x^T dx`, integrated exactly by Gauss–Legendre. This fills a table
    for k = 0..``max_k`` in :math:`O(\mathrm{max\_k}^3 A)` time and :math:`O(\mathrm{max\_k}^2)`
    memory per distribution and gathers at ``k``, so a sweep over k is one trace. ``"monte_carlo"`` draws ``num_trials`` count vectors per entry with
    ``jax.random.multinomial`` (standard error :math:`\le\sqrt{m(1-m)/\mathrm{trials}}`).
    ``"auto"`` is exact when the table size is at most ``EXACT_MAX_K`` (256), else Monte Carlo.

    Args:
      probs: ``(..., A)`` answer distribution, A >= 2, rows summing to 1; index 0 is correct
        (see :func:`answer_probs`).
      k: number of samples (whole numbers >= 1), any shape broadcasting with ``probs.shape[:-1]``.
      method: ``"auto"``, ``"exact"`` or ``"monte_carlo"`` (static).
      key: ``jax.random`` key, required for Monte Carlo (omitting it is deprecated: it warns and
        uses ``jax.random.key(0)``); unused by the exact programme.
      num_trials: Monte Carlo trials per entry (static; rounded up to equal batches).
      max_k: static table size for the exact programme; defaults to ``max(k)`` rounded up to a
        multiple of 16. Required for ``"exact"``/``"auto"`` when ``k`` is traced (under jit/vmap).

    Returns:
      ``broadcast(probs.shape[:-1], k.shape)`` accuracies in [0, 1].

    Raises:
      ValueError: on invalid probs/k, an unknown method, or a traced ``k`` without ``max_k``.

    References: Wu et al., `Inference Scaling Laws <https://arxiv.org/abs/2408.00724>`_, 2024;
    Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    where = "majority_vote"
    if method not in _METHODS:
        raise ValueError(f"{where}: method must be one of {_METHODS}; got {method!r}")
    probs = _check_probs(probs, where)
    k = _check_k(k, where, probs.dtype)
    try:
        jnp.broadcast_shapes(probs.shape[:-1], k.shape)
    except ValueError:
        raise ValueError(f"{where}: k{k.shape} does not broadcast with probs batch shape {probs.shape[:-1]}") from None
    num_trials, table_k, method = _resolve_method(k, max_k, method, num_trials, where)
    if method == "exact":
        return _majority_vote_exact(probs, k, table_k)
    key = default_key(key, where)
    out_size = int(np.prod(jnp.broadcast_shapes(probs.shape[:-1], k.shape)))
    num_batches, batch = trial_batches(num_trials, out_size * probs.shape[-1], 1024)
    return _majority_vote_mc(probs, k, key, num_batches * batch, batch)


def default_key(key, where: str):
    """``key``, or (deprecated) ``jax.random.key(0)`` with a DeprecationWarning when it is None."""
    if key is None:
        warnings.warn(
            f"{where}: Monte Carlo without key= is deprecated (it used jax.random.key(0)); pass a jax.random key",
            DeprecationWarning,
            stacklevel=3,
        )
        return jax.random.key(0)
    return key


def trial_batches(num_trials: int, elements_per_trial: int, max_batch: int, budget: int = 1 << 22):
    """Split Monte Carlo trials into ``num_batches`` equal batches of at most ``max_batch`` trials,
    keeping ``batch * elements_per_trial`` near ``budget`` (bounded memory); total >= num_trials."""
    cap = max(1, min(max_batch, budget // max(elements_per_trial, 1)))
    num_batches = -(-num_trials // cap)
    return num_batches, -(-num_trials // num_batches)


@traceable
def majority_vote_limit(probs, *, tol: float = 1e-6) -> jax.Array:
    r"""The k → ∞ limit of the plurality-vote accuracy.

    .. math:: \lim_{k\to\infty}\mathrm{maj}(k) = \begin{cases} 1 & \pi_0 > \max_{j\ge1}\pi_j \\
              1/t & \pi_0 = \max_a \pi_a \text{ shared by } t \text{ answers} \\ 0 & \text{otherwise}\end{cases}

    Probabilities within ``tol`` of the top one count as tied (absorbs float rounding).

    Args:
      probs: ``(..., A)`` answer distribution, index 0 correct.
      tol: absolute tolerance for ties at the top.

    Returns:
      ``probs.shape[:-1]`` limits.

    References: Wu et al., `Inference Scaling Laws <https://arxiv.org/abs/2408.00724>`_, 2024.
    """
    probs = _check_probs(probs, "majority_vote_limit")
    return _majority_vote_limit(probs, float(tol))


@jax.jit
def _majority_vote_limit(probs, tol):
    top = jnp.max(probs, axis=-1, keepdims=True)
    at_top = probs >= top - tol
    t = jnp.sum(at_top, axis=-1)
    return jnp.where(at_top[..., 0], 1.0 / t, 0.0).astype(probs.dtype)


@traceable
def majority_vote_rate(probs, *, tol: float = 1e-6) -> jax.Array:
    r"""Exponential rate at which the plurality-vote accuracy approaches its k → ∞ limit.

    :math:`|\mathrm{maj}(k) - \lim\mathrm{maj}| = \exp(-k\,I + o(k))` with the large-deviation
    (Chernoff–Cramér) rate of the vote picking the wrong winner. When the correct answer is the
    mode, a miss needs some wrong count to reach the correct one; the comparison
    :math:`n_0 - n_j` is a sum of k steps of +1 (prob :math:`\pi_0`), −1 (:math:`\pi_j`) or 0,
    whose Chernoff bound is tight, so

    .. math:: I = \min_{j\ge1} -\log\big(1 - (\sqrt{\pi_0} - \sqrt{\pi_j})^2\big).

    When a wrong answer is the mode, a win needs :math:`n_0 \ge n_j` for all j; by Sanov's
    theorem and convex duality :math:`I = -\log\min_{\lambda\ge0} \mathbb{E}\,e^{\lambda\cdot g}`,
    which water-fills: with S the wrong answers above the geometric mean
    :math:`u = (\pi_0\prod_{j\in S}\pi_j)^{1/(|S|+1)}`,
    :math:`I = -\log\big((|S|+1)\,u + \sum_{j\notin S\cup\{0\}}\pi_j\big)` (the first case's
    pairwise formula is the case |S| = 1). At a tie at the top the approach is sub-exponential
    (I = 0); if :math:`\pi_0 \in \{0, 1\}` the accuracy is constant (I = ∞).

    This is the exact exponent of the bound Wu et al. state as
    :math:`\Pr(\text{miss the mode}) \le |A|\,e^{-k\delta^2/2}` (δ the probability gap), which it
    sharpens.

    Args:
      probs: ``(..., A)`` answer distribution, index 0 correct.
      tol: absolute tolerance for ties at the top.

    Returns:
      ``probs.shape[:-1]`` rates I >= 0 (nats per sample).

    References: Wu et al., `Inference Scaling Laws <https://arxiv.org/abs/2408.00724>`_, 2024
    (accuracy converges exponentially to its limit); Cover & Thomas, Elements of Information
    Theory, ch. 11 (Sanov, Chernoff).
    """
    probs = _check_probs(probs, "majority_vote_rate")
    return _majority_vote_rate(probs, float(tol))


@jax.jit
def _majority_vote_rate(probs, tol):
    p0 = probs[..., 0]
    wrong = jnp.sort(probs[..., 1:], axis=-1)[..., ::-1]  # descending
    top_wrong = wrong[..., 0]
    # Correct answer is the mode: min over j of the pairwise Chernoff rate.
    gap = (jnp.sqrt(p0)[..., None] - jnp.sqrt(wrong)) ** 2
    pair = -jnp.log1p(-jnp.minimum(gap, 1.0))
    rate_mode = jnp.min(pair, axis=-1)
    # A wrong answer is the mode: water-filling over the top-s wrong answers, s = 1..A-1.
    logs = _safe_log(wrong)
    cum_log = jnp.cumsum(logs, axis=-1)
    s = jnp.arange(1, wrong.shape[-1] + 1, dtype=probs.dtype)
    log_u = (_safe_log(p0)[..., None] + cum_log) / (s + 1.0)
    u = jnp.exp(log_u)
    rest = jnp.sum(wrong, axis=-1, keepdims=True) - jnp.cumsum(wrong, axis=-1)
    z = (s + 1.0) * u + jnp.maximum(rest, 0.0)
    feasible = (wrong >= u) & (wrong > 0)  # the s-th largest wrong probability is above the geometric mean
    z_min = jnp.min(jnp.where(feasible, z, 1.0), axis=-1)
    rate_not_mode = -jnp.log(jnp.clip(z_min, 0.0, 1.0))
    rate = jnp.where(p0 > top_wrong + tol, rate_mode, jnp.where(p0 < top_wrong - tol, rate_not_mode, 0.0))
    constant = (p0 <= 0.0) | (p0 >= 1.0)
    return jnp.where(constant, jnp.inf, rate).astype(probs.dtype)


def _safe_log(x):
    ok = x > 0
    return jnp.where(ok, jnp.log(jnp.where(ok, x, 1.0)), -jnp.inf)


@renamed_kwargs(dominant_share="wrong_mode_share")
def population_majority_vote(
    problems: ProblemSet,
    k,
    *,
    wrong_mode_share=0.3,
    num_other: int = 1,
    method: str = "auto",
    key=None,
    num_trials: int = 4096,
    max_k=None,
) -> jax.Array:
    r"""Plurality-vote accuracy of a population: :math:`\sum_i w_i\,\mathrm{maj}(\pi_i, k)`.

    Problem i answers correctly with probability :math:`p_i`; its wrong mass :math:`1 - p_i`
    splits into a dominant wrong answer :math:`q_i = s\,(1-p_i)` (``wrong_mode_share`` s) and
    ``num_other`` answers sharing the rest evenly (:func:`answer_probs`).

    .. math:: \mathrm{maj}_{\mathrm{pop}}(k) = \sum_i w_i\,\mathrm{maj}\big(\mathrm{answer\_probs}(p_i, s(1-p_i), m), k\big)

    Lifted by :meth:`ttsim.ProblemSet.expect`; Monte Carlo gives each problem its own key
    (split from ``key``).

    Args:
      problems: the population (batch axes lead).
      k: sample counts (whole numbers >= 1); the output has shape ``batch + k.shape``.
      wrong_mode_share: s in [0, 1] (default 0.3, as everywhere in ttsim); formerly
        ``dominant_share=`` (deprecated keyword, whose default was 0.5).
      num_other, method, key, num_trials, max_k: as in :func:`answer_probs` / :func:`majority_vote`.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024;
    Wu et al., `Inference Scaling Laws <https://arxiv.org/abs/2408.00724>`_, 2024.
    """
    where = "population_majority_vote"
    if method not in _METHODS:
        raise ValueError(f"{where}: method must be one of {_METHODS}; got {method!r}")
    v.check_probability("wrong_mode_share", wrong_mode_share, where=where)
    p = problems.p
    share = v.asarray(wrong_mode_share, p.dtype)
    if share.ndim != 0:
        raise ValueError(f"{where}: wrong_mode_share must be a scalar; got shape {share.shape}")
    num_other = int(num_other)
    if num_other < 1:
        raise ValueError(f"{where}: num_other must be >= 1; got {num_other}")
    k = _check_k(k, where, p.dtype)
    num_trials, table_k, method = _resolve_method(k, max_k, method, num_trials, where)
    if method == "exact":

        def one(p, k, share):
            probs = _answer_probs(p, share * (1.0 - p), num_other)
            return _majority_vote_exact(probs, k, table_k)

        return _lift(problems, one, k, share)
    key = default_key(key, where)
    num_batches, batch = trial_batches(num_trials, int(np.prod(k.shape)) * (2 + num_other), 1024)

    def one_mc(p, k, share, *, key):
        probs = _answer_probs(p, share * (1.0 - p), num_other)
        return _majority_vote_mc(probs, k, key, num_batches * batch, batch)

    return _lift(problems, one_mc, k, share, key=key)


def _lift(problems, fn, *args, key=None):
    return jnp.clip(problems.expect(fn, *args, key=key), 0.0, 1.0)
