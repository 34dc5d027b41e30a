"""Allocating a sample budget across sampling configurations (models, temperatures, prompts).

Given per-problem success estimates ``p_hat[problem, config]`` and a total of ``C`` samples,
choose integer counts ``n[config] >= 0`` with ``sum(n) = C`` that maximise the expected
fraction of problems solved by at least one sample,

.. math:: f(n) = \\sum_i w_i \\Big[1 - \\prod_h (1 - \\hat p_{ih})^{n_h}\\Big].

The objective is vectorised JAX (any number of candidate allocations at once); the discrete
searches (greedy marginal gain, a local-search polish, an exact branch and bound) are
NumPy, driven by that objective's closed form. ``f`` is monotone and DR-submodular on the
integer lattice (its mixed second differences are <= 0), so greedy is within a factor
``1 - 1/e`` of the optimum and usually equal to it; the exact solver says when it is not.
Allocations are scored out of sample with the unbiased estimator (sampling without
replacement from recorded runs): per problem ``1 - prod_h C(runs_h - c_h, n_h) / C(runs_h, n_h)``.

References: Zhang et al., `Scaling LLM Inference with Optimized Sample Compute Allocation
<https://arxiv.org/abs/2410.22480>`_ (OSCA), 2024.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.coverage import pass_at_k
from ttsim._src.numerics import float_dtype, log1m_pow
from ttsim._src.traceable import traceable

__all__ = (
    "Allocation",
    "allocation_objective",
    "allocation_pass_at_k",
    "exact_allocation",
    "greedy_allocation",
    "improve_allocation",
    "oracle_allocation_value",
)


class Allocation(NamedTuple):
    """An integer allocation of samples over configurations.

    Attributes:
      counts: ``(H,)`` int64 samples per configuration (sums to the budget).
      value: the objective :math:`f(n)` on the estimates it was chosen with.
      path: for :func:`greedy_allocation`, ``(C + 1, H)`` greedy counts after each of the
        first ``0..C`` samples (row ``k`` is the greedy allocation of budget ``k``); else ``None``.
      exact: True when the allocation is certified optimal (branch and bound finished).
      nodes: search nodes visited (branch and bound) or moves made (local search).
    """

    counts: np.ndarray
    value: float
    path: np.ndarray | None = None
    exact: bool = False
    nodes: int = 0


# ----------------------------------------------------------------------------- objective


def _check_p_hat(p_hat, where):
    p_hat = v.asarray(p_hat)
    p_hat = v.astype(p_hat, float_dtype(p_hat))
    if p_hat.ndim != 2 or p_hat.shape[0] == 0 or p_hat.shape[1] == 0:
        raise ValueError(f"{where}: p_hat must have shape (problems, configs); got {p_hat.shape}")
    v.check_probability("p_hat", p_hat, where=where)
    return p_hat


def _check_weight(weight, num_problems, where):
    if weight is None:
        return None
    w = np.asarray(weight, dtype=np.float64)
    if w.shape != (num_problems,):
        raise ValueError(f"{where}: weight must have shape ({num_problems},); got {w.shape}")
    v.check_nonnegative("weight", w, where=where)
    if w.sum() <= 0:
        raise ValueError(f"{where}: weight must have a positive sum")
    return w / w.sum()


@traceable
def allocation_objective(p_hat, counts, weight=None) -> jax.Array:
    r"""Expected fraction of problems solved by an allocation of samples over configurations.

    .. math:: f(n) = \sum_i w_i \Big[1 - \exp\Big(\sum_h n_h \log(1 - \hat p_{ih})\Big)\Big]

    computed in log space (exact at :math:`\hat p \in \{0, 1\}`). ``counts`` may hold any
    number of candidate allocations (leading axes): one call scores them all.

    Args:
      p_hat: ``(P, H)`` per-problem, per-configuration success probabilities in [0, 1].
      counts: ``(..., H)`` non-negative sample counts (real values allowed: the relaxation).
      weight: optional ``(P,)`` non-negative problem weights (normalised); uniform by default.

    Returns:
      ``(...)`` objective values in [0, 1].

    References: Zhang et al., `Scaling LLM Inference with Optimized Sample Compute Allocation
    <https://arxiv.org/abs/2410.22480>`_, 2024.
    """
    where = "allocation_objective"
    p_hat = _check_p_hat(p_hat, where)
    counts = v.asarray(counts, p_hat.dtype)
    if counts.ndim < 1 or counts.shape[-1] != p_hat.shape[1]:
        raise ValueError(f"{where}: counts must end in the {p_hat.shape[1]} configurations; got {counts.shape}")
    v.check_nonnegative("counts", counts, where=where)
    w = _check_weight(weight, p_hat.shape[0], where)
    w = jnp.full((p_hat.shape[0],), 1.0 / p_hat.shape[0], p_hat.dtype) if w is None else v.asarray(w, p_hat.dtype)
    return _objective(p_hat, counts, w)


@jax.jit
def _objective(p_hat, counts, w):
    # log_miss[..., i] = sum_h n_h log(1 - p_ih); terms with n_h = 0 contribute 0 even at p = 1.
    log_miss = jnp.sum(log1m_pow(p_hat, counts[..., None, :]), axis=-1)
    return jnp.sum(w * -jnp.expm1(log_miss), axis=-1)


def allocation_pass_at_k(runs, correct, counts, weight=None) -> jax.Array:
    r"""Unbiased estimate of an allocation's pass rate from recorded runs (sampling without replacement).

    .. math:: \widehat{\mathrm{pass}}(n) = \sum_i w_i \Big[1 - \prod_h
              \binom{r_h - c_{ih}}{n_h}\Big/\binom{r_h}{n_h}\Big]

    Each factor is ``1 - pass_at_k(r_h, c_ih, n_h)`` (:func:`ttsim.pass_at_k`); a
    configuration with ``n_h = 0`` contributes 1.

    Args:
      runs: ``(H,)`` recorded runs per configuration (>= 1).
      correct: ``(P, H)`` correct runs per problem and configuration (``0 <= c <= runs``).
      counts: ``(..., H)`` integer allocations with ``counts <= runs``.
      weight: optional ``(P,)`` problem weights; uniform by default.

    Returns:
      ``(...)`` estimated pass rates.

    References: Chen et al., `Evaluating Large Language Models Trained on Code
    <https://arxiv.org/abs/2107.03374>`_, 2021; Zhang et al., `OSCA <https://arxiv.org/abs/2410.22480>`_, 2024.
    """
    where = "allocation_pass_at_k"
    runs = np.asarray(runs, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    if correct.ndim != 2 or runs.shape != (correct.shape[1],):
        raise ValueError(f"{where}: need runs (H,) and correct (P, H); got {runs.shape}, {correct.shape}")
    if counts.ndim < 1 or counts.shape[-1] != runs.shape[0]:
        raise ValueError(f"{where}: counts must end in the {runs.shape[0]} configurations; got {counts.shape}")
    v.check_count("runs", runs, minimum=1, where=where)
    v.check_count("correct", correct, where=where)
    v.check_count("counts", counts, where=where)
    if np.any(correct > runs):
        raise ValueError(f"{where}: correct must be <= runs")
    if np.any(counts > runs):
        h = int(np.argmax(np.any(counts.reshape(-1, runs.shape[0]) > runs, axis=0)))
        raise ValueError(f"{where}: counts[{h}] exceeds the {int(runs[h])} recorded runs of configuration {h}")
    w = _check_weight(weight, correct.shape[0], where)
    w = np.full(correct.shape[0], 1.0 / correct.shape[0]) if w is None else w
    k = counts[..., None, :]  # (..., 1, H) against (P, H)
    pk = pass_at_k(runs, correct, np.maximum(k, 1.0))
    miss = jnp.prod(jnp.where(k > 0, 1.0 - pk, 1.0), axis=-1)
    return jnp.sum(v.asarray(w, miss.dtype) * (1.0 - miss), axis=-1)


# ----------------------------------------------------------------------------- discrete search
# The searches work on a = log(1 - p_hat) (P, H), a <= 0, in float64, with the per-problem
# log-miss L_i = sum_h n_h a_ih: adding one sample of config h changes f by
# sum_i w_i exp(L_i) (1 - exp(a_ih)).


def _log_miss_table(p_hat):
    p = np.asarray(p_hat, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log1p(-p)  # -inf where p = 1


def _value(a, w, counts):
    with np.errstate(invalid="ignore"):
        log_miss = np.where(counts > 0, counts * a, 0.0).sum(-1)
    return float(np.sum(w * -np.expm1(log_miss)))


def _prepare(p_hat, total, weight, max_counts, where):
    p64 = np.asarray(p_hat, dtype=np.float64)  # the searches run in float64 on the caller's values
    p_hat = _check_p_hat(p64, where)
    total_v = np.asarray(total)
    if total_v.ndim != 0:
        raise ValueError(f"{where}: total must be one whole number; got shape {total_v.shape}")
    v.check_count("total", total_v, where=where)
    total = int(total_v)
    num_problems, num_configs = p_hat.shape
    w = _check_weight(weight, num_problems, where)
    w = np.full(num_problems, 1.0 / num_problems) if w is None else w
    if max_counts is None:
        cap = np.full(num_configs, total, dtype=np.int64)
    else:
        cap = np.broadcast_to(np.asarray(max_counts), (num_configs,)).astype(np.float64)
        v.check_count("max_counts", cap, where=where)
        cap = np.minimum(cap, total).astype(np.int64)
    if cap.sum() < total:
        raise ValueError(f"{where}: max_counts allow only {int(cap.sum())} samples; total is {total}")
    return _log_miss_table(p64), w, total, cap


def greedy_allocation(p_hat, total, weight=None, *, max_counts=None) -> Allocation:
    r"""Greedy marginal-gain allocation: add samples one at a time where they help most.

    Step :math:`t` adds one sample to the configuration maximising the marginal gain

    .. math:: \Delta_h(n) = \sum_i w_i \prod_g (1 - \hat p_{ig})^{n_g}\;\hat p_{ih}

    (lowest index on ties). One run yields the greedy allocation of every budget
    ``0..total`` (``Allocation.path``). Since :math:`f` is monotone DR-submodular, the
    result is within :math:`1 - 1/e` of the optimum; :func:`exact_allocation` certifies it.

    Args:
      p_hat: ``(P, H)`` success probabilities. total: the budget ``C`` (whole number).
      weight: optional ``(P,)`` problem weights.
      max_counts: optional per-configuration caps (e.g. the recorded runs, so that the
        unbiased estimator applies).

    References: Zhang et al., `OSCA <https://arxiv.org/abs/2410.22480>`_, 2024.
    """
    a, w, total, cap = _prepare(p_hat, total, weight, max_counts, "greedy_allocation")
    num_configs = a.shape[1]
    gain_factor = -np.expm1(a)  # p_hat, exactly
    log_miss = np.zeros(a.shape[0])
    counts = np.zeros(num_configs, dtype=np.int64)
    path = np.zeros((total + 1, num_configs), dtype=np.int64)
    for t in range(total):
        gains = (w * np.exp(log_miss)) @ gain_factor
        gains = np.where(counts < cap, gains, -np.inf)
        h = int(np.argmax(gains))
        counts[h] += 1
        log_miss = log_miss + a[:, h]
        path[t + 1] = counts
    return Allocation(counts=counts, value=_value(a, w, counts), path=path)


def improve_allocation(p_hat, counts, weight=None, *, max_counts=None, max_moves: int = 10_000) -> Allocation:
    r"""Local search: move single samples between configurations while the objective rises.

    Each step applies the best move :math:`n \to n - e_g + e_h` over all pairs
    :math:`(g, h)` if it increases :math:`f` by more than ``1e-12``; stops at a local
    optimum (a 1-swap optimum, the neighbourhood OSCA's hill climbing explores).

    Args:
      p_hat: ``(P, H)``. counts: ``(H,)`` starting allocation. weight, max_counts: as in
        :func:`greedy_allocation`. max_moves: upper bound on moves.

    References: Zhang et al., `OSCA <https://arxiv.org/abs/2410.22480>`_, 2024.
    """
    counts = np.asarray(counts)
    v.check_count("counts", counts, where="improve_allocation")
    a, w, total, cap = _prepare(p_hat, int(counts.sum()), weight, max_counts, "improve_allocation")
    counts = v.astype(counts, np.int64).copy()
    if counts.shape != (a.shape[1],) or np.any(counts > cap):
        raise ValueError(f"improve_allocation: counts must have shape ({a.shape[1]},) and respect max_counts")
    q = -np.expm1(a)  # p_hat
    moves = 0
    best = _value(a, w, counts)
    while moves < max_moves:
        # Value after moving one sample g -> h: sum_i w_i [1 - miss_i(n - e_g) (1 - p_ih)].
        best_gain, best_move = 1e-12, None
        for g in np.flatnonzero(counts > 0):
            removed = counts.copy()
            removed[g] -= 1
            with np.errstate(invalid="ignore"):
                miss_g = np.exp(np.where(removed > 0, removed * a, 0.0).sum(-1))
            vals = w @ (1.0 - miss_g[:, None] * (1.0 - q))  # (H,)
            vals = np.where(counts < cap, vals, -np.inf)
            vals[g] = -np.inf
            h = int(np.argmax(vals))
            if vals[h] - best > best_gain:
                best_gain, best_move = vals[h] - best, (g, h)
        if best_move is None:
            break
        g, h = best_move
        counts[g] -= 1
        counts[h] += 1
        best = _value(a, w, counts)
        moves += 1
    return Allocation(counts=counts, value=best, nodes=moves)


def exact_allocation(p_hat, total, weight=None, *, max_counts=None, max_nodes: int = 2_000_000) -> Allocation:
    r"""The optimal allocation, by depth-first branch and bound over configurations.

    Configurations are assigned counts in turn (largest greedy count first). At a node with
    per-problem log-miss :math:`L_i`, ``R`` samples left and configurations :math:`J` still
    free, the bound

    .. math:: f \le \sum_i w_i \big[1 - \exp(L_i + R \min_{h\in J} \log(1 - \hat p_{ih}))\big]

    (every problem gets all remaining samples from its own best free configuration) prunes
    and the tangent bound of the concave relaxation, :math:`f(n) + R \max_{h\in J} \partial f/\partial n_h`,
    prune a subtree that cannot beat the incumbent (greedy plus local search). Exact; the
    cost grows with ``total`` and the number of configurations, so use it for small ones.

    Args:
      p_hat, total, weight, max_counts: as in :func:`greedy_allocation`.
      max_nodes: give up (``exact=False``, best found so far) after this many nodes.

    References: Zhang et al., `OSCA <https://arxiv.org/abs/2410.22480>`_, 2024.
    """
    if int(max_nodes) < 1:
        raise ValueError(f"exact_allocation: max_nodes must be >= 1; got {max_nodes}")
    a, w, total, cap = _prepare(p_hat, total, weight, max_counts, "exact_allocation")
    start = greedy_allocation(p_hat, total, weight, max_counts=max_counts)
    start = improve_allocation(p_hat, start.counts, weight, max_counts=max_counts)
    best_value, best_counts = start.value, start.counts.copy()
    num_configs = a.shape[1]
    order = np.argsort(-start.counts, kind="stable")
    a_ord = a[:, order]
    cap_ord = cap[order]
    # suffix_min[j] = min over configs j.. of a (per problem); suffix_cap[j] = capacity left.
    suffix_min = np.minimum.accumulate(a_ord[:, ::-1], axis=1)[:, ::-1]
    suffix_cap = np.cumsum(cap_ord[::-1])[::-1]
    counts = np.zeros(num_configs, dtype=np.int64)
    nodes = 0
    tol = 1e-12

    neg_a = np.where(np.isfinite(a_ord), -a_ord, 1e300)  # -log(1 - p), +inf -> huge

    def bound(log_miss, j, remaining):
        if remaining == 0:
            return float(np.sum(w * -np.expm1(log_miss)))
        with np.errstate(invalid="ignore"):
            per_problem = float(np.sum(w * -np.expm1(log_miss + remaining * suffix_min[:, j])))
        # Concavity of the relaxation: f(n + x) <= f(n) + R * max_h df/dn_h.
        miss = np.exp(log_miss)
        slope = np.max((w * miss) @ neg_a[:, j:])
        tangent = float(np.sum(w * -np.expm1(log_miss))) + remaining * slope
        return min(per_problem, tangent)

    def visit(j, remaining, log_miss):
        nonlocal best_value, best_counts, nodes
        nodes += 1
        if nodes > max_nodes:
            return False
        if j == num_configs - 1:
            counts[j] = remaining
            with np.errstate(invalid="ignore"):
                lm = log_miss + (remaining * a_ord[:, j] if remaining > 0 else 0.0)
            val = float(np.sum(w * -np.expm1(lm)))
            if val > best_value + tol:
                best_value = val
                best_counts = np.empty_like(counts)
                best_counts[order] = counts
            return True
        rest_cap = suffix_cap[j + 1]
        lo = max(0, remaining - rest_cap)
        hi = min(remaining, cap_ord[j])
        for n in range(hi, lo - 1, -1):
            with np.errstate(invalid="ignore"):
                lm = log_miss + (n * a_ord[:, j] if n > 0 else 0.0)
            if bound(lm, j + 1, remaining - n) <= best_value + tol:
                continue
            counts[j] = n
            if not visit(j + 1, remaining - n, lm):
                return False
        counts[j] = 0
        return True

    if bound(np.zeros(a.shape[0]), 0, total) > best_value + tol:
        finished = visit(0, total, np.zeros(a.shape[0]))
    else:
        finished = True
    return Allocation(counts=best_counts, value=_value(a, w, best_counts), exact=finished, nodes=nodes)


@traceable
def oracle_allocation_value(p_hat, total, weight=None) -> jax.Array:
    r"""Upper bound: each problem spends the whole budget on its own best configuration.

    .. math:: f^{\mathrm{oracle}}(C) = \sum_i w_i \big[1 - \min_h (1 - \hat p_{ih})^{C}\big]
              \;\ge\; \max_{\sum_h n_h = C} f(n)

    (for one problem, :math:`\sum_h n_h \log(1-\hat p_{ih})` is minimised by putting every
    sample on the largest :math:`\hat p_{ih}`). ``total`` may be an array of budgets.

    References: Zhang et al., `OSCA <https://arxiv.org/abs/2410.22480>`_, 2024.
    """
    where = "oracle_allocation_value"
    p_hat = _check_p_hat(p_hat, where)
    total = v.asarray(total, p_hat.dtype)
    v.check_nonnegative("total", total, where=where)
    w = _check_weight(weight, p_hat.shape[0], where)
    w = jnp.full((p_hat.shape[0],), 1.0 / p_hat.shape[0], p_hat.dtype) if w is None else v.asarray(w, p_hat.dtype)
    best = jnp.max(p_hat, axis=1)
    return jnp.sum(w * -jnp.expm1(log1m_pow(best, total[..., None])), axis=-1)
