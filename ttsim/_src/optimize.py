r"""Compute-optimal allocation of a test-time budget across difficulty bins (or problems).

Problems are grouped into ``B`` difficulty bins (:mod:`ttsim._src.binning`); an *allocation*
gives every bin one option from a grid of ``J`` options — any strategy values with their
parameters, a model and a hardware index (:mod:`ttsim._src.option_grid`). With bin masses
:math:`m_b`, per-bin mean accuracy :math:`a_{bj}` and mean cost :math:`c_{bj}` (per problem, in
a registered cost unit, :mod:`ttsim._src.cost_units`),

.. math:: \max_{j_1..j_B} \sum_b m_b\,a_{b j_b} \quad\text{s.t.}\quad \sum_b m_b\,c_{b j_b} \le C,
          \qquad j_b \in \mathcal F_b,

a multiple-choice knapsack; the budget :math:`C` is the *average cost per problem* and
:math:`\mathcal F_b` the options every per-option constraint (a latency target, …) allows in
bin b. :func:`optimize_allocation` builds the :math:`B\times J` table once and hands it to a
solver value (:mod:`ttsim._src.solvers`: ``"knapsack"`` by default, ``"exact"``,
``"lagrangian"``, ``"uniform"``, or any registered :class:`~ttsim.optim.Solver`). Every
allocation returned satisfies the budget: its cost (float64) is ``<= budget``.

References: Snell et al., `Scaling LLM Test-Time Compute Optimally
<https://arxiv.org/abs/2408.03314>`_, 2024; Sinha & Zoltners, The multiple-choice knapsack
problem, Operations Research 27(3), 1979.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from ttsim._src.binning import (
    BinnedPopulation,
    bin_population,
    difficulty_bins,
    predicted_difficulty,
)
from ttsim._src.cost_units import CostSpec, cost_spec, cost_units
from ttsim._src.option_grid import OptionTable, as_grid, option_cost, option_table
from ttsim._src.solvers import (
    OptimizeResult,
    _polish,
    _result,
    allocate,
    check_budgets,
    get_solver,
    knapsack_solver,
    solve_table,
    solvers,
)

__all__ = (
    "BinnedPopulation",
    "CostSpec",
    "OptimizeResult",
    "OptionTable",
    "allocate",
    "bin_population",
    "cost_spec",
    "difficulty_bins",
    "optimize_allocation",
    "option_cost",
    "option_table",
    "predicted_difficulty",
)


def __getattr__(name):  # the registries are open: these tuples are a snapshot of the names
    if name == "COST_UNITS":
        return cost_units()
    if name == "METHODS":
        return solvers()
    raise AttributeError(name)


def optimize_allocation(binned: BinnedPopulation, options, budget, *, params=None, spec: CostSpec | None = None,
                        method="knapsack", compare_exact: bool = False, max_exact_points: int = 4_000_000,
                        chunk_size: int | None = None, max_nodes: int = 200_000, constraints=(), feasible=None,
                        relaxed_steps: int = 300, learning_rate: float = 0.05, progress: bool = False) -> OptimizeResult:
    r"""Search for the compute-optimal allocation of a budget across difficulty bins.

    .. math:: \max_{j_1..j_B} \sum_b m_b\,a_{b j_b} \quad\text{s.t.}\quad \sum_b m_b\,c_{b j_b} \le C,
              \quad j_b \in \mathcal F_b

    Args:
      binned: problems grouped by bin (:func:`~ttsim.bin_population`).
      options: the option grid (:func:`ttsim.optim.option_grid`, :func:`ttsim.optim.concat_grids`)
        of any strategy values; the deprecated ``ttsim.Options`` still works.
      budget: scalar or ``(K,)`` budgets: average cost per problem in ``spec.unit`` (any
        registered unit: samples, tokens, FLOPs, seconds, dollars, …).
      params: ``StrategyParams`` for the deprecated ``ttsim.Options`` only.
      spec: cost unit and cost models (:func:`~ttsim.cost_spec`).
      method: a registered solver name (``"knapsack"`` default, ``"exact"``, ``"lagrangian"``,
        ``"uniform"``) or a :class:`~ttsim.optim.Solver` value. ``"relaxed"`` is deprecated.
      compare_exact: also run the exhaustive table search (if ``J^B <= max_exact_points``) and
        report its accuracy, the gap and its wall time.
      max_nodes: branch-and-bound node limit (knapsack).
      constraints: :class:`~ttsim.optim.CostLimit` values (e.g. a latency target): options whose
        mean cost per problem in the limit's unit exceeds it are infeasible in that bin.
      feasible: optional boolean mask ``(J,)`` or ``(B, J)`` of allowed options.
      chunk_size, progress: accepted for compatibility (the exhaustive search is on the table).
      relaxed_steps, learning_rate: Adam settings of the deprecated relaxation.

    Returns:
      :class:`~ttsim.OptimizeResult`.

    Raises:
      ValueError: an unknown method, a budget below the cheapest allocation, bad shapes, a bin
        where no option meets the constraints.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    if method == "relaxed":
        warnings.warn("method='relaxed' is deprecated: its relaxation does not beat its own start and the "
                      "polish does all the work; use 'knapsack' (exact when certified) or 'exact'",
                      DeprecationWarning, stacklevel=2)
    else:
        solver = get_solver(method)
        if solver.name == "knapsack" and int(max_nodes) != 200_000:
            solver = knapsack_solver(int(max_nodes))
    grid = as_grid(options, params)
    table = option_table(binned, grid, spec=spec, constraints=constraints, feasible=feasible)
    budgets = check_budgets(budget, table if table.feasible is None else _masked(table), "optimize_allocation")
    B, J = table.accuracy.shape
    grid_points = float(J) ** B
    if method == "exact" and grid_points > max_exact_points:
        raise ValueError(f"max_exact_points: the exhaustive grid has J^B = {J}^{B} = {grid_points:.3g} points, more than "
                         f"max_exact_points = {max_exact_points:g}; raise it or use method='knapsack'")
    if method == "relaxed":
        res = _relaxed(binned, grid, table, budgets, relaxed_steps, learning_rate)
    else:
        from ttsim._src.solvers import exact_solver

        if solver.name == "exact":
            solver = exact_solver(int(max_exact_points))
        res = solve_table(table, budgets, solver, where="optimize_allocation")
    if compare_exact and grid_points <= max_exact_points:
        ref = res if res.method == "exact" else solve_table(table, budgets, "exact", where="optimize_allocation")
        res = res._replace(exact_accuracy=ref.accuracy.copy(), gap=ref.accuracy - res.accuracy,
                           exact_evaluations=int(J**B), exact_seconds=ref.seconds)
    return res


def _masked(table: OptionTable) -> OptionTable:
    from ttsim._src.solvers import _apply_mask

    return _apply_mask(table)[0]


def _relaxed(binned, grid, table, budgets, steps, learning_rate):
    from ttsim._src.relaxed import relaxed_choice

    if table.feasible is not None:
        raise ValueError("constraints: the deprecated 'relaxed' method takes no constraints")
    t0 = time.perf_counter()
    rounded = relaxed_choice(binned, grid, table, budgets, steps=int(steps), learning_rate=float(learning_rate))
    A, C = table.mass[:, None] * table.accuracy, table.mass[:, None] * table.cost
    choices = [_polish(A, C, bud, ch).astype(np.int32) for bud, ch in zip(budgets, rounded)]
    B, J = table.accuracy.shape
    evals = int(steps) * B * len(budgets) + B * J
    res = _result(np.stack(choices), table.accuracy, table.cost, table.mass, budgets, np.full(budgets.shape, np.nan),
                  np.zeros(budgets.shape, bool), evaluations=evals, method="relaxed")
    return res._replace(seconds=time.perf_counter() - t0)

