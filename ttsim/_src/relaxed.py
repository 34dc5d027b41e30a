r"""Deprecated: the optax relaxation of the allocation problem (``method="relaxed"``).

Each bin gets a real-valued sample count from softmax shares of the extra budget; Adam
differentiates the jitted accuracy model; the result is rounded down to the grid and polished
by the table's local search. Review (issue 13) found that the polish does all the work: with
0 Adam steps the allocations are the same as with 300. It is therefore no longer an advertised
method; use the exact table solvers (``"knapsack"``, ``"exact"``). Kept so that existing calls
keep working, with a DeprecationWarning.

References: Snell et al., `Scaling LLM Test-Time Compute Optimally
<https://arxiv.org/abs/2408.03314>`_, 2024.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src.option_grid import OptionGrid, OptionTable
from ttsim._src.solvers import _feasible

__all__ = ("relaxed_choice",)


@functools.partial(jax.jit, static_argnames=("accuracy", "treedef", "index", "steps", "learning_rate"))
def _relaxed_solve(p, w, m, slope, extra, n_lo, n_hi, leaves, *, accuracy, treedef, index, steps, learning_rate):
    """Adam on softmax budget shares for each extra budget in ``extra`` (K,); returns the real-valued field (K, B)."""
    import optax

    opt = optax.adam(learning_rate)

    def n_of(theta, e):
        return jnp.clip(n_lo + jax.nn.softmax(theta) * e / slope, n_lo, n_hi)

    def loss(theta, e):
        xs = list(leaves)
        xs[index] = n_of(theta, e)[:, None]
        acc = accuracy(p, jax.tree.unflatten(treedef, xs))
        return -jnp.sum(m * jnp.sum(w * acc, axis=-1))

    def solve(e):
        theta0 = jnp.log(slope)  # shares proportional to m_b c1_b: the same extra count in every bin

        def step(carry, _):
            th, st = carry
            g = jax.grad(loss)(th, e)
            up, st = opt.update(g, st, th)
            return (optax.apply_updates(th, up), st), None

        (th, _), _ = jax.lax.scan(step, (theta0, opt.init(theta0)), None, length=steps)
        return n_of(th, e)

    return jax.vmap(solve)(extra)


def relaxed_choice(binned, grid: OptionGrid, table: OptionTable, budgets, *, steps, learning_rate):
    """Relaxation on the one varying parameter of a one-strategy grid; rounded down to the grid. (K, B) choices."""
    if len(grid.groups) != 1:
        raise ValueError("method: 'relaxed' needs options of one strategy/model/hardware that differ in one parameter")
    g = grid.groups[0]
    leaves, treedef = jax.tree.flatten(g.params)
    varying = [i for i, x in enumerate(leaves) if np.unique(np.asarray(x)).size > 1]
    if len(varying) != 1 or np.unique(g.model).size > 1 or np.unique(g.hardware).size > 1:
        raise ValueError("method: 'relaxed' needs options of one strategy/model/hardware that differ in one parameter")
    index = varying[0]
    n_grid = np.asarray(leaves[index], np.float64)
    order = np.argsort(n_grid)
    n_lo, n_hi = n_grid[order[0]], n_grid[order[-1]]
    mass = table.mass
    # per-problem cost is linear in the parameter: c_b(n) = c0_b + c1_b n (checked on the grid)
    c1 = (table.cost[:, order[-1]] - table.cost[:, order[0]]) / max(n_hi - n_lo, 1e-300)
    c0 = table.cost[:, order[0]] - c1 * n_lo
    pred = c0[:, None] + c1[:, None] * n_grid[None, :]
    if not np.allclose(pred, table.cost, rtol=1e-4, atol=1e-9 * max(1.0, np.abs(table.cost).max())):
        raise ValueError("method: 'relaxed' needs a cost linear in n (use unit 'samples', 'tokens' or a Kinetics cost)")
    base = float(np.sum(mass * (c0 + c1 * n_lo)))
    extra = np.maximum(np.asarray(budgets, np.float64) - base, 0.0)
    f = binned.p.dtype
    first = tuple(jnp.asarray(x)[0].astype(f) for x in leaves)
    p = binned.p[int(g.model[0])]
    slope = jnp.asarray(np.maximum(mass * c1, 1e-30), f)
    n_cont = np.asarray(_relaxed_solve(p, binned.weight, jnp.asarray(mass, f), slope, jnp.asarray(extra, f),
                                       jnp.asarray(n_lo, f), jnp.asarray(n_hi, f), first, accuracy=g.strategy.accuracy,
                                       treedef=treedef, index=index, steps=int(steps),
                                       learning_rate=float(learning_rate)), np.float64)
    # round down to the grid (cost is increasing in n), then step bins down until the budget holds
    sorted_n = n_grid[order]
    rank = np.clip(np.searchsorted(sorted_n, n_cont, side="right") - 1, 0, n_grid.size - 1)
    rows = np.arange(mass.size)
    for k, bud in enumerate(np.asarray(budgets, np.float64)):
        while not _feasible(np.sum(mass * table.cost[rows, order[rank[k]]]), bud) and np.any(rank[k] > 0):
            b = int(np.argmax(np.where(rank[k] > 0, mass * table.cost[rows, order[rank[k]]], -np.inf)))
            rank[k, b] -= 1
    return order[rank]


