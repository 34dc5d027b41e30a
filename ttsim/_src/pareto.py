"""Pareto fronts: the non-dominated choices over (cost, accuracy) or any number of objectives."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.traceable import traceable


@traceable
def pareto_front(cost, accuracy) -> jax.Array:
    r"""Mask of the points no other point beats on both cost and accuracy.

    Point ``i`` is on the front unless some ``j`` has

    .. math:: \mathrm{cost}_j \le \mathrm{cost}_i,\quad \mathrm{acc}_j \ge \mathrm{acc}_i,
              \quad\text{one of them strict.}

    Exact duplicates are both kept. Points with a NaN cost or accuracy are never on the
    front. ``O(n log n)`` (a sort and a running maximum), jit-able.

    Args:
      cost: shape ``(n,)``, lower is better.
      accuracy: shape ``(n,)``, higher is better.

    Returns:
      Boolean mask of shape ``(n,)``.

    References:
      Pareto optimality as used for accuracy-vs-cost frontiers in Sadhukhan et al.,
      `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025.
    """
    cost = v.asarray(cost)
    accuracy = v.asarray(accuracy)
    if cost.ndim != 1:
        raise ValueError(f"pareto_front: cost must be 1-D; got shape {cost.shape}")
    v.check_same_shape(("cost", "accuracy"), cost, accuracy, where="pareto_front")
    if cost.shape[0] == 0:
        return jnp.zeros((0,), bool)
    return _pareto_front(cost, accuracy)


@jax.jit
def _pareto_front(cost, accuracy):
    dt = jnp.result_type(cost, accuracy, jnp.float32)
    cost = cost.astype(dt)
    acc = accuracy.astype(dt)
    bad = jnp.isnan(cost) | jnp.isnan(acc)
    c = jnp.where(bad, jnp.inf, cost)
    a = jnp.where(bad, -jnp.inf, acc)
    order = jnp.lexsort((-a, c))  # cost ascending, ties by accuracy descending
    cs, as_ = c[order], a[order]
    n = cs.shape[0]
    idx = jnp.arange(n)
    new_group = jnp.concatenate([jnp.ones((1,), bool), cs[1:] != cs[:-1]])
    start = jax.lax.cummax(jnp.where(new_group, idx, 0))
    running = jax.lax.cummax(as_)
    before = jnp.concatenate([jnp.full((1,), -jnp.inf, dt), running[:-1]])  # max over earlier points
    best_cheaper = before[start]  # max accuracy among strictly cheaper points
    dominated = (best_cheaper >= as_) | (as_[start] > as_)
    on_front = jnp.zeros((n,), bool).at[order].set(~dominated)
    return on_front & ~bad


class CheapestChoice(NamedTuple):
    """The cheapest point reaching a target accuracy (see :func:`cheapest_reaching`).

    Attributes:
      cost: its cost (``inf`` when no point reaches the target).
      index: its index into the points (``-1`` when none does).
    """

    cost: jax.Array
    index: jax.Array


def best_accuracy_within(cost, accuracy, budget) -> jax.Array:
    r"""Best accuracy among the points whose cost fits each budget (the front as a step function).

    .. math:: a^\star(b) = \max\{\,\mathrm{acc}_i : \mathrm{cost}_i \le b\,\}

    ``-inf`` where no point fits. NaN points are ignored. ``O(n \cdot |budget|)``.

    Deprecated: the same as ``best_within(cost, accuracy, budget).accuracy``.

    Args:
      cost: shape ``(n,)``.
      accuracy: shape ``(n,)``.
      budget: budgets, any shape.

    Returns:
      Array of ``budget``'s shape.

    References:
      Sadhukhan et al., `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025 (accuracy at equal cost).
    """
    warnings.warn("ttsim.best_accuracy_within is deprecated; use ttsim.best_within(cost, accuracy, budget).accuracy",
                  DeprecationWarning, stacklevel=2)
    cost, accuracy = _check_points(cost, accuracy, "best_accuracy_within")
    return _best_within(cost, accuracy, v.asarray(budget, jnp.result_type(cost, jnp.float32))).accuracy


def _check_points(cost, accuracy, where):
    """Validated ``(n,)`` cost and accuracy arrays (ValueError naming the function)."""
    cost, accuracy = v.asarray(cost), v.asarray(accuracy)
    if cost.ndim != 1:
        raise ValueError(f"{where}: cost must be 1-D; got shape {cost.shape}")
    v.check_same_shape(("cost", "accuracy"), cost, accuracy, where=where)
    return cost, accuracy


@traceable
def cheapest_reaching(cost, accuracy, target) -> CheapestChoice:
    r"""Cheapest point whose accuracy reaches each target.

    .. math:: i^\star(a) = \arg\min\{\,\mathrm{cost}_i : \mathrm{acc}_i \ge a\,\}

    Args:
      cost: shape ``(n,)``.
      accuracy: shape ``(n,)``.
      target: target accuracies, any shape.

    Returns:
      :class:`CheapestChoice` with ``target``'s shape (``inf`` / ``-1`` where unreachable).

    References:
      Sadhukhan et al., `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025 (cost at equal accuracy).
    """
    cost, accuracy = _check_points(cost, accuracy, "cheapest_reaching")
    return _cheapest_reaching(cost, accuracy, v.asarray(target))


@jax.jit
def _cheapest_reaching(cost, accuracy, target):
    ok = (accuracy >= target[..., None]) & ~jnp.isnan(cost)
    masked = jnp.where(ok, cost, jnp.inf)
    idx = jnp.argmin(masked, axis=-1)
    best = jnp.min(masked, axis=-1)
    return CheapestChoice(best, jnp.where(jnp.any(ok, axis=-1), idx, -1))


def _reference_front(cost, accuracy) -> np.ndarray:
    """Plain O(n^2) definition, for tests."""
    cost = np.asarray(cost, float)
    acc = np.asarray(accuracy, float)
    out = np.zeros(cost.shape, bool)
    for i in range(cost.size):
        if np.isnan(cost[i]) or np.isnan(acc[i]):
            continue
        dom = (cost <= cost[i]) & (acc >= acc[i]) & ((cost < cost[i]) | (acc > acc[i]))
        out[i] = not np.any(dom)
    return out


# ----------------------------------------------------------------------- optimizer helpers


class BudgetChoice(NamedTuple):
    """The compute-optimal point for each budget (see :func:`best_within`).

    Attributes:
      accuracy: best accuracy within the budget (``-inf`` when nothing fits).
      cost: the chosen point's cost (``inf`` when nothing fits).
      index: the chosen point's index (``-1`` when nothing fits); ties go to the cheaper point.
    """

    accuracy: jax.Array
    cost: jax.Array
    index: jax.Array


@traceable
def best_within(cost, accuracy, budget) -> BudgetChoice:
    r"""The compute-optimal choice at each budget: the most accurate point that fits, cheapest on ties.

    .. math:: i^\star(b) = \arg\max\{\,\mathrm{acc}_i : \mathrm{cost}_i \le b\,\},
              \quad\text{ties} \to \min \mathrm{cost}_i

    With points from several strategies × models × hardware, ``index`` names the
    compute-optimal strategy at each budget.

    Args:
      cost: shape ``(n,)``.
      accuracy: shape ``(n,)``.
      budget: budgets, any shape.

    Returns:
      :class:`BudgetChoice` with ``budget``'s shape.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (the compute-optimal strategy per budget).
    """
    cost, accuracy = _check_points(cost, accuracy, "best_within")
    return _best_within(cost, accuracy, v.asarray(budget, jnp.result_type(cost, jnp.float32)))


@jax.jit
def _best_within(cost, accuracy, budget):
    ok = (cost <= budget[..., None]) & ~jnp.isnan(accuracy) & ~jnp.isnan(cost)
    score = jnp.where(ok, accuracy, -jnp.inf)
    best = jnp.max(score, axis=-1)
    tie = ok & (score >= best[..., None])
    idx = jnp.argmin(jnp.where(tie, cost, jnp.inf), axis=-1)
    any_ok = jnp.any(ok, axis=-1)
    chosen_cost = jnp.take_along_axis(jnp.broadcast_to(cost, score.shape), idx[..., None], -1)[..., 0]
    return BudgetChoice(best, jnp.where(any_ok, chosen_cost, jnp.inf), jnp.where(any_ok, idx, -1))


def front_indices(cost, accuracy) -> np.ndarray:
    r"""Indices of the Pareto front (:func:`pareto_front`), ordered by increasing cost.

    .. math:: \{\,i : \nexists j,\ \mathrm{cost}_j \le \mathrm{cost}_i,\ \mathrm{acc}_j \ge \mathrm{acc}_i,\ \text{one strict}\,\}

    A host-side helper for tables and figures: along the returned order both cost and
    accuracy are non-decreasing.

    References: Sadhukhan et al., `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025.
    """
    mask = np.asarray(pareto_front(cost, accuracy))
    idx = np.flatnonzero(mask)
    c = np.asarray(cost, np.float64)[idx]
    a = np.asarray(accuracy, np.float64)[idx]
    return idx[np.lexsort((a, c))]


# ----------------------------------------------------------------------- many objectives


@traceable
def pareto_front_nd(objectives, maximize=None) -> jax.Array:
    r"""Mask of the non-dominated rows of an ``(n, d)`` objective matrix (any number of objectives).

    Row ``i`` is on the front unless some row ``j`` is at least as good in every objective and
    strictly better in one (better = larger where ``maximize`` is True, smaller elsewhere):

    .. math:: j \succ i \iff \forall d:\ s_d x_{jd} \ge s_d x_{id}\ \wedge\ \exists d:\ s_d x_{jd} > s_d x_{id},
              \qquad s_d = \pm 1

    E.g. columns (accuracy, dollars, latency) with ``maximize=(True, False, False)``. Exact
    duplicates are both kept; a row with a NaN is never on the front. ``O(n^2 d)``, jit-able.
    With two columns (cost, accuracy) and ``maximize=(False, True)`` it equals
    :func:`pareto_front`.

    Args:
      objectives: ``(n, d)`` array.
      maximize: ``(d,)`` booleans (static; default: minimise every column).

    Returns:
      Boolean mask of shape ``(n,)``.

    References: Deb, Multi-Objective Optimization Using Evolutionary Algorithms, Wiley 2001
    (Pareto dominance); Sadhukhan et al., `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025.
    """
    x = v.asarray(objectives)
    if x.ndim != 2:
        raise ValueError(f"pareto_front_nd: objectives must be (n, d); got shape {x.shape}")
    d = x.shape[1]
    sense = np.ones(d) if maximize is None else np.where(np.asarray(maximize, bool), -1.0, 1.0)
    if sense.shape != (d,):
        raise ValueError(f"pareto_front_nd: maximize must have {d} entries; got {np.shape(maximize)}")
    if x.shape[0] == 0:
        return jnp.zeros((0,), bool)
    return _pareto_nd(x, v.asarray(sense, jnp.result_type(x, jnp.float32)))


@jax.jit
def _pareto_nd(x, sense):
    y = x.astype(sense.dtype) * sense  # every column: smaller is better
    bad = jnp.any(jnp.isnan(y), axis=1)
    y = jnp.where(bad[:, None], jnp.inf, y)

    def dominated(yi):
        le = jnp.all(y <= yi, axis=1)
        lt = jnp.any(y < yi, axis=1)
        return jnp.any(le & lt & ~bad)

    return ~jax.lax.map(dominated, y, batch_size=256) & ~bad
