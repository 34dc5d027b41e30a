"""Thinking-token budgets from real sample logs, alone and combined with parallel sampling.

A per-sample token budget ``B`` truncates every sample longer than ``B`` tokens; a truncated
sample counts as wrong. With ``c_B`` of a problem's ``n`` samples both correct and within
budget, the accuracy of ``k`` samples per problem at budget ``B`` is the unbiased pass@k
``1 - C(n - c_B, k) / C(n, k)`` (Chen et al.), averaged over problems, so a log gives a whole
(samples × tokens per sample) grid. When only per-problem correct counts are known (not
which samples were correct), :func:`token_budget_accuracy_unlabelled` brackets the answer.

Samples are held as padded ``(P, S)`` matrices (``valid`` marks real entries); build them
with :func:`sample_matrix` (from a :class:`ttsim.SampleLog`) or :func:`pad_lengths`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from ttsim._src import validation as v
from ttsim._src.coverage import _pass_at_k
from ttsim._src.deprecation import renamed_kwargs
from ttsim._src.numerics import float_dtype

_ASSIGNMENTS = ("shortest", "uniform", "longest")


class SampleMatrix(NamedTuple):
    """Samples of a log as padded matrices: ``correct``/``tokens``/``valid`` are ``(P, S)``; ``problem`` lists the P ids."""

    problem: list
    correct: np.ndarray
    tokens: np.ndarray
    valid: np.ndarray


def sample_matrix(log) -> SampleMatrix:
    r"""Pad a :class:`ttsim.SampleLog` into ``(P, S)`` matrices (problems in order of first appearance).

    .. math:: \mathrm{correct}_{ij},\ \mathrm{tokens}_{ij}\ \text{for sample } j < n_i \text{ of problem } i

    Raises:
      ValueError: a row without a token count (naming the log's source, the problem and the sample).

    References: Chen et al., `Evaluating Large Language Models Trained on Code
    <https://arxiv.org/abs/2107.03374>`_, 2021 (per-sample logs behind pass@k).
    """
    tokens = np.asarray(log.tokens, dtype=np.float64)
    if np.any(np.isnan(tokens)):
        i = int(np.argmax(np.isnan(tokens)))
        src = f"{log.source}: " if getattr(log, "source", "") else ""
        raise ValueError(
            f"{src}tokens: missing token count for problem {log.problem[i]!r}, sample {log.sample[i]!r} "
            "(a token budget needs the tokens column on every row)"
        )
    problems = list(dict.fromkeys(np.asarray(log.problem).tolist()))
    index = {p: i for i, p in enumerate(problems)}
    idx = np.fromiter((index[p] for p in log.problem), dtype=np.int64, count=len(log.problem))
    n = np.bincount(idx, minlength=len(problems))
    s = int(n.max()) if n.size else 0
    slot = np.zeros_like(idx)
    seen = np.zeros(len(problems), dtype=np.int64)
    for r, i in enumerate(idx):  # position of each row within its problem
        slot[r] = seen[i]
        seen[i] += 1
    correct = np.zeros((len(problems), s))
    tok = np.zeros((len(problems), s))
    valid = np.zeros((len(problems), s), dtype=bool)
    correct[idx, slot] = np.asarray(log.correct, dtype=np.float64)
    tok[idx, slot] = tokens
    valid[idx, slot] = True
    return SampleMatrix(problem=problems, correct=correct, tokens=tok, valid=valid)


def pad_lengths(lengths) -> tuple[np.ndarray, np.ndarray]:
    r"""Pad per-problem lists of sample lengths into ``(tokens, valid)`` matrices of shape ``(P, S)``.

    .. math:: \mathrm{tokens}_{ij} = L_{ij}\ (j < n_i), \quad \mathrm{valid}_{ij} = [j < n_i]

    References: Kinetics: Rethinking Test-Time Scaling Laws, 2025 (per-sample generation lengths).
    """
    rows = [np.asarray(x, dtype=np.float64).reshape(-1) for x in lengths]
    if not rows:
        raise ValueError("pad_lengths: lengths must hold at least one problem")
    s = max(r.size for r in rows)
    tokens = np.zeros((len(rows), s))
    valid = np.zeros((len(rows), s), dtype=bool)
    for i, r in enumerate(rows):
        if np.any(~np.isfinite(r)) or np.any(r < 0):
            raise ValueError(f"pad_lengths: problem {i} has a negative or missing length")
        tokens[i, : r.size] = r
        valid[i, : r.size] = True
    return tokens, valid


def _check_matrix(tokens, valid, where, correct=None):
    tokens = np.asarray(tokens, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    if tokens.ndim != 2 or valid.shape != tokens.shape:
        raise ValueError(f"{where}: tokens and valid must be (P, S) matrices of one shape; got {tokens.shape}, {valid.shape}")
    if correct is not None:
        correct = np.asarray(correct, dtype=np.float64)
        if correct.shape != tokens.shape:
            raise ValueError(f"{where}: correct must have shape {tokens.shape}; got {correct.shape}")
        if np.any((correct != 0) & (correct != 1)):
            raise ValueError(f"{where}: correct must be 0/1")
    if np.any(valid.sum(-1) == 0):
        raise ValueError(f"{where}: every problem needs at least one valid sample")
    v.check_nonnegative("tokens", np.where(valid, tokens, 0.0), where=where)
    return tokens, valid, correct


def _check_k(k, n_min, where):
    v.check_count("k", k, minimum=1, where=where)
    kv = v._values(k)
    if kv is not None and kv.size and np.max(kv) > n_min:
        raise ValueError(f"{where}: k must be <= the smallest number of samples per problem ({n_min}); got {np.max(kv)}")


@renamed_kwargs(budget="token_limit")
def budget_counts(correct, tokens, valid, token_limit) -> jax.Array:
    r"""Per-problem count of samples that are correct and fit in the token budget.

    .. math:: c_B(i) = \textstyle\sum_j \mathrm{correct}_{ij}\,[\mathrm{tokens}_{ij} \le B]

    Args:
      correct, tokens, valid: ``(P, S)`` (see :func:`sample_matrix`).
      token_limit: the per-sample token budget B, tokens (array; any shape). Formerly ``budget=``.

    Returns:
      ``token_limit.shape + (P,)`` float counts.

    References: Kinetics: Rethinking Test-Time Scaling Laws, 2025 (generation-length budgets).
    """
    tokens, valid, correct = _check_matrix(tokens, valid, "budget_counts", correct)
    dt = float_dtype(tokens, token_limit)
    budget = v.asarray(token_limit, dt)
    v.check_nonnegative("token_limit", budget, where="budget_counts")
    return _budget_counts(v.asarray(correct * valid, dt), v.asarray(tokens, dt), budget)


@jax.jit
def _budget_counts(correct, tokens, budget):
    fits = tokens <= budget[..., None, None]
    return jnp.sum(correct * fits, axis=-1)


@renamed_kwargs(budget="token_limit")
def token_budget_accuracy(correct, tokens, valid, token_limit, k) -> jax.Array:
    r"""Accuracy of ``k`` samples per problem, each truncated at ``token_limit`` tokens (truncated = wrong).

    .. math:: \mathrm{acc}(k, B) = \frac{1}{P}\sum_i \Big[1 - \binom{n_i - c_B(i)}{k}\Big/\binom{n_i}{k}\Big]

    the unbiased pass@k with the within-budget correct count :math:`c_B` (:func:`budget_counts`).
    ``token_limit`` and ``k`` broadcast (use ``token_limit[:, None]`` and ``k[None, :]`` for a grid): one trace.

    Args:
      correct, tokens, valid: ``(P, S)`` sample matrices.
      token_limit: the per-sample token budget B (>= 0); formerly ``budget=``.
      k: samples per problem, whole numbers in [1, min_i n_i].

    References: Chen et al., `Evaluating Large Language Models Trained on Code
    <https://arxiv.org/abs/2107.03374>`_, 2021; Kinetics: Rethinking Test-Time Scaling Laws, 2025.
    """
    where = "token_budget_accuracy"
    tokens, valid, correct = _check_matrix(tokens, valid, where, correct)
    dt = float_dtype(tokens, token_limit, k)
    budget = v.asarray(token_limit, dt)
    k = v.asarray(k, dt)
    v.check_nonnegative("token_limit", budget, where=where)
    _check_k(k, int(valid.sum(-1).min()), where)
    return _token_budget_accuracy(
        v.asarray(correct * valid, dt), v.asarray(tokens, dt), v.asarray(valid), budget, k
    )


@jax.jit
def _token_budget_accuracy(correct, tokens, valid, budget, k):
    budget, k = jnp.broadcast_arrays(budget, k)
    n = jnp.sum(valid, axis=-1).astype(tokens.dtype)
    c = _budget_counts(correct, tokens, budget)
    return jnp.mean(_pass_at_k(n, c, k[..., None]), axis=-1)


def _log_comb(n, r):
    ok = (r >= 0) & (r <= n)
    rr = jnp.where(ok, r, 0.0)
    return jnp.where(ok, gammaln(n + 1.0) - gammaln(rr + 1.0) - gammaln(n - rr + 1.0), -jnp.inf)


@renamed_kwargs(budget="token_limit", n_correct="c")
def token_budget_accuracy_unlabelled(c, tokens, valid, token_limit, k, *, assignment: str = "uniform") -> jax.Array:
    r"""Token-budget accuracy when only each problem's correct count is known, not which samples.

    With :math:`m_B` of a problem's n samples within budget and c correct in all,
    the within-budget correct count :math:`c_B` is unknown; ``assignment`` says which samples
    are taken to be the correct ones:

    - ``"shortest"``: the c shortest, :math:`c_B = \min(c, m_B)` — an upper bound;
    - ``"longest"``: the c longest, :math:`c_B = \max(0, c - (n - m_B))` — a lower bound;
    - ``"uniform"``: a uniformly random c-subset, independent of length, so
      :math:`c_B \sim \mathrm{Hypergeometric}(n, c, m_B)` and the result is
      :math:`\mathbb{E}\,[1 - \binom{n-c_B}{k}/\binom{n}{k}]`.

    .. math:: \mathrm{acc}(k, B) = \frac{1}{P}\sum_i \mathbb{E}\Big[1 - \binom{n_i - c_B(i)}{k}\Big/\binom{n_i}{k}\Big]

    Since pass@k rises with :math:`c_B`, the three are ordered: longest <= uniform <= shortest.

    Args:
      c: ``(P,)`` correct samples per problem (<= the problem's valid samples); formerly ``n_correct=``.
      tokens, valid: ``(P, S)`` lengths (see :func:`pad_lengths`).
      budget, k: as in :func:`token_budget_accuracy` (they broadcast).
      assignment: ``"shortest"``, ``"uniform"`` or ``"longest"`` (static).

    References: Kinetics: Rethinking Test-Time Scaling Laws, 2025 (AIME24 generation lengths);
    Chen et al., `Evaluating Large Language Models Trained on Code <https://arxiv.org/abs/2107.03374>`_, 2021.
    """
    where = "token_budget_accuracy_unlabelled"
    if assignment not in _ASSIGNMENTS:
        raise ValueError(f"{where}: assignment must be one of {_ASSIGNMENTS}; got {assignment!r}")
    tokens, valid, _ = _check_matrix(tokens, valid, where)
    c = np.asarray(c, dtype=np.float64)
    n = valid.sum(-1)
    if c.shape != n.shape:
        raise ValueError(f"{where}: c must have shape {n.shape}; got {c.shape}")
    v.check_count("c", c, minimum=0, where=where)
    if np.any(c > n):
        i = int(np.argmax(c > n))
        raise ValueError(f"{where}: c must be <= the number of samples; problem {i} has {c[i]:g} > {n[i]}")
    dt = float_dtype(tokens, token_limit, k)
    budget = v.asarray(token_limit, dt)
    k = v.asarray(k, dt)
    v.check_nonnegative("token_limit", budget, where=where)
    _check_k(k, int(n.min()), where)
    return _unlabelled(v.asarray(c, dt), v.asarray(tokens, dt), v.asarray(valid), budget, k, assignment)


@functools.partial(jax.jit, static_argnums=5)
def _unlabelled(c, tokens, valid, budget, k, assignment):
    budget, k = jnp.broadcast_arrays(budget, k)
    n = jnp.sum(valid, axis=-1).astype(tokens.dtype)
    m = jnp.sum(valid & (tokens <= budget[..., None, None]), axis=-1).astype(tokens.dtype)
    kk = k[..., None]
    if assignment == "shortest":
        return jnp.mean(_pass_at_k(n, jnp.minimum(c, m), kk), axis=-1)
    if assignment == "longest":
        return jnp.mean(_pass_at_k(n, jnp.maximum(c - (n - m), 0.0), kk), axis=-1)
    j = jnp.arange(tokens.shape[-1] + 1, dtype=tokens.dtype)  # possible c_B values
    cc, nn, mm = c[..., None], n[..., None], m[..., None]
    log_pmf = _log_comb(cc, j) + _log_comb(nn - cc, mm - j) - _log_comb(nn, mm)
    pmf = jnp.exp(log_pmf)
    jv = jnp.minimum(j, cc)  # keep pass@k's arguments valid where the pmf is 0
    acc = _pass_at_k(nn, jv, kk[..., None])
    return jnp.mean(jnp.sum(pmf * acc, axis=-1), axis=-1)


@renamed_kwargs(budget="token_limit")
def truncation_rate(tokens, valid, token_limit) -> jax.Array:
    r"""Fraction of samples longer than the budget (per-problem fractions averaged over problems).

    .. math:: \tau(B) = \frac{1}{P}\sum_i \frac{1}{n_i}\sum_{j<n_i} [\mathrm{tokens}_{ij} > B]

    References: Kinetics: Rethinking Test-Time Scaling Laws, 2025.
    """
    tokens, valid, _ = _check_matrix(tokens, valid, "truncation_rate")
    dt = float_dtype(tokens, token_limit)
    budget = v.asarray(token_limit, dt)
    v.check_nonnegative("token_limit", budget, where="truncation_rate")
    return _truncation_rate(v.asarray(tokens, dt), v.asarray(valid), budget)


@jax.jit
def _truncation_rate(tokens, valid, budget):
    over = valid & (tokens > budget[..., None, None])
    return jnp.mean(jnp.sum(over, -1) / jnp.sum(valid, -1), axis=-1)


@renamed_kwargs(budget="token_limit")
def mean_tokens_used(tokens, valid, token_limit) -> jax.Array:
    r"""Mean tokens a sample consumes under the budget (a truncated sample spends all ``B``).

    .. math:: \bar L(B) = \frac{1}{P}\sum_i \frac{1}{n_i}\sum_{j<n_i} \min(\mathrm{tokens}_{ij}, B)

    ``k`` samples per problem therefore cost :math:`k\,\bar L(B)` generated tokens on average.

    References: Kinetics: Rethinking Test-Time Scaling Laws, 2025.
    """
    tokens, valid, _ = _check_matrix(tokens, valid, "mean_tokens_used")
    dt = float_dtype(tokens, token_limit)
    budget = v.asarray(token_limit, dt)
    v.check_nonnegative("token_limit", budget, where="mean_tokens_used")
    return _mean_tokens_used(v.asarray(tokens, dt), v.asarray(valid), budget)


@jax.jit
def _mean_tokens_used(tokens, valid, budget):
    used = jnp.where(valid, jnp.minimum(tokens, budget[..., None, None]), 0.0)
    return jnp.mean(jnp.sum(used, -1) / jnp.sum(valid, -1), axis=-1)
