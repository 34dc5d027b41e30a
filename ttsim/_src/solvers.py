r"""Solvers as values: searching the per-bin option table for the best allocation of a budget.

With bin masses :math:`m_b`, per-bin accuracy :math:`a_{bj}` and cost :math:`c_{bj}` (the
:class:`~ttsim.OptionTable`), an allocation picks one option :math:`j_b` per bin:

.. math:: \max_{j_1..j_B} \sum_b m_b\,a_{b j_b} \quad\text{s.t.}\quad \sum_b m_b\,c_{b j_b} \le C,

a multiple-choice knapsack (the budget :math:`C` is the average cost per problem). A
:class:`Solver` is a value ``solve(table, budget) -> OptimizeResult``; :func:`register_solver`
adds one (no dispatch to edit). Registered:

* ``"exact"``: every one of the :math:`J^B` allocations of the table is scored (chunked, float64);
  the reference, for small grids.
* ``"knapsack"`` (default): greedy marginal gain on each bin's upper concave hull (the LP
  relaxation's bound and an incumbent), polished by single- and pair-bin moves, then certified
  or improved by branch and bound on the LP bound. Exact whenever ``certified``.
* ``"lagrangian"``: bisection on a multiplier λ, each bin maximising :math:`a_{bj}-\lambda c_{bj}`,
  then polished; its dual value is an upper bound.
* ``"uniform"``: the same option in every bin (the best-of-N baseline).

A table may carry a ``feasible`` mask (per-option constraints such as a latency target): a
solver sees each infeasible entry replaced by a copy of that bin's cheapest feasible option, so
no solver needs to know about constraints, and the choice is mapped back.

References: Sinha & Zoltners, The multiple-choice knapsack problem, Operations Research 27(3),
1979 (LP relaxation by convex hulls); Snell et al., `Scaling LLM Test-Time Compute Optimally
<https://arxiv.org/abs/2408.03314>`_, 2024.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ttsim._src.option_grid import OptionTable

__all__ = (
    "OptimizeResult",
    "Solver",
    "allocate",
    "exact_solver",
    "get_solver",
    "knapsack_solver",
    "lagrangian_solver",
    "register_solver",
    "solvers",
    "uniform_solver",
)

_REL_TOL = 1e-9  # budget comparisons are done in float64 with this relative slack


def _feasible(total, budget):
    return total <= budget + _REL_TOL * np.maximum(1.0, np.abs(budget))


def _hull(cost, acc):
    """Indices of the upper concave hull of (cost, acc), from the cheapest-best point upward."""
    order = np.lexsort((-acc, cost))
    hull: list[int] = []
    for j in order:
        if hull and acc[j] <= acc[hull[-1]]:
            continue  # dominated (or equal cost, lower accuracy)
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop b if it lies on or below the chord a -> j
            if (acc[b] - acc[a]) * (cost[j] - cost[a]) <= (acc[j] - acc[a]) * (cost[b] - cost[a]):
                hull.pop()
            else:
                break
        hull.append(int(j))
    return hull


class _Increments(NamedTuple):
    start: np.ndarray  # (B,) hull start option per bin
    bin: np.ndarray  # (I,) bin of each increment, sorted by slope (desc)
    to: np.ndarray  # (I,) option reached
    dcost: np.ndarray
    dacc: np.ndarray


def _increments(A, C) -> _Increments:
    bins, to, dc, da, start = [], [], [], [], []
    for b in range(A.shape[0]):
        h = _hull(C[b], A[b])
        start.append(h[0])
        for x, y in zip(h[:-1], h[1:]):
            bins.append(b)
            to.append(y)
            dc.append(C[b, y] - C[b, x])
            da.append(A[b, y] - A[b, x])
    dc, da = np.asarray(dc, np.float64), np.asarray(da, np.float64)
    slope = np.where(dc > 0, da / np.where(dc > 0, dc, 1.0), np.inf)
    order = np.lexsort((np.asarray(bins), -slope)) if len(bins) else np.zeros(0, int)
    return _Increments(np.asarray(start), np.asarray(bins, int)[order], np.asarray(to, int)[order], dc[order], da[order])


def _greedy(A, C, budget, inc: _Increments):
    """Greedy marginal gain on the hulls; returns (choice, LP upper bound)."""
    choice = inc.start.copy()
    spent = C[np.arange(A.shape[0]), choice].sum()
    value = A[np.arange(A.shape[0]), choice].sum()
    bound = None
    blocked = np.zeros(A.shape[0], bool)
    for b, j, dc, da in zip(inc.bin, inc.to, inc.dcost, inc.dacc):
        if blocked[b]:
            continue
        if _feasible(spent + dc, budget):
            choice[b] = j
            spent += dc
            value += da
        else:
            if bound is None:  # first increment that does not fit: LP takes a fraction of it
                frac = max(0.0, budget - spent) / dc if dc > 0 else 0.0
                bound = value + frac * da
            blocked[b] = True
    return choice, (value if bound is None else bound)


def _polish(A, C, budget, choice, *, max_pair_size: int = 4_000_000):
    """Local search: best improving single-bin move, then pair move, until none improves."""
    B, J = A.shape
    rows = np.arange(B)
    choice = choice.copy()
    while True:
        cur_a, cur_c = A[rows, choice], C[rows, choice]
        total = cur_c.sum()
        gain = A - cur_a[:, None]
        new_total = total - cur_c[:, None] + C
        ok = new_total <= budget + _REL_TOL * max(1.0, abs(budget))
        g = np.where(ok, gain, -np.inf)
        best = np.unravel_index(np.argmax(g), g.shape)
        if g[best] > 1e-12:
            choice[best[0]] = best[1]
            continue
        if B < 2 or B * B * J * J > max_pair_size:
            return choice
        # pair moves: bins b1 < b2 change together
        dA = gain  # (B, J)
        dC = C - cur_c[:, None]
        tot = total + dC[:, :, None, None] + dC[None, None, :, :]
        gg = dA[:, :, None, None] + dA[None, None, :, :]
        mask = np.triu(np.ones((B, B), bool), 1)[:, None, :, None]
        ok2 = (tot <= budget + _REL_TOL * max(1.0, abs(budget))) & mask
        gg = np.where(ok2, gg, -np.inf)
        best = np.unravel_index(np.argmax(gg), gg.shape)
        if gg[best] > 1e-12:
            choice[best[0]] = best[1]
            choice[best[2]] = best[3]
            continue
        return choice


def _branch_and_bound(A, C, budget, incumbent, *, max_nodes: int):
    """Exact MCKP by depth-first branch and bound with the LP (hull) bound; returns (choice, certified)."""
    B, J = A.shape
    rows = np.arange(B)
    best_choice = incumbent.copy()
    best_val = A[rows, incumbent].sum()
    min_cost = C.min(axis=1)
    suffix_min = np.concatenate([np.cumsum(min_cost[::-1])[::-1], [0.0]])  # sum of min cost of bins >= d
    # LP bound data for each suffix of bins: hull starts and sorted increments
    suffix = []
    for d in range(B + 1):
        if d == B:
            suffix.append((0.0, 0.0, np.zeros(1), np.zeros(1), np.zeros(0), np.zeros(0)))
            continue
        inc = _increments(A[d:], C[d:])
        base_a = A[d:][np.arange(B - d), inc.start].sum()
        base_c = C[d:][np.arange(B - d), inc.start].sum()
        cc = np.concatenate([[0.0], np.cumsum(inc.dcost)])
        ca = np.concatenate([[0.0], np.cumsum(inc.dacc)])
        suffix.append((base_a, base_c, cc, ca, inc.dcost, inc.dacc))

    def lp_bound(d, remaining):
        base_a, base_c, cc, ca, dcost, dacc = suffix[d]
        r = max(remaining - base_c, 0.0)  # the hull starts at each bin's cheapest option
        i = int(np.searchsorted(cc, r, side="right")) - 1
        val = ca[i]
        if i < dcost.size and dcost[i] > 0:
            val += dacc[i] * min(1.0, (r - cc[i]) / dcost[i])
        return base_a + val

    order_j = np.argsort(-A, axis=1, kind="stable")
    nodes = 0
    choice = np.zeros(B, int)
    tol = _REL_TOL * max(1.0, abs(budget))
    certified = True

    def visit(d, spent, value):
        nonlocal best_val, nodes, certified
        if nodes >= max_nodes:
            certified = False
            return
        nodes += 1
        if d == B:
            if value > best_val + 1e-12:
                best_val = value
                best_choice[:] = choice
            return
        if value + lp_bound(d, budget - spent) <= best_val + 1e-12:
            return
        for j in order_j[d]:
            c = spent + C[d, j]
            if c + suffix_min[d + 1] > budget + tol:
                continue
            choice[d] = j
            visit(d + 1, c, value + A[d, j])

    visit(0, 0.0, 0.0)
    return best_choice, certified


def _lagrangian_choice(A, C, budget, *, iterations: int = 100):
    """Bisect λ to the smallest multiplier whose per-bin argmax meets the budget; returns (choice, dual bound).

    Vectorised over a batch of multipliers (float64 on the host, so feasibility is decided
    exactly as everywhere else).
    """

    def pick(lam):  # lam (L,) -> (L, B) per-bin argmax of A - lam C, ties to the cheaper option
        score = A[None] - lam[:, None, None] * C[None]
        best = score.max(axis=2, keepdims=True)
        cand = score >= best - 1e-15 * np.maximum(1.0, np.abs(best))
        return np.argmin(np.where(cand, C[None], np.inf), axis=2)

    def total_cost(lam):
        j = pick(lam)
        return np.take_along_axis(C[None], j[:, :, None], 2)[..., 0].sum(1)

    def dual(lam):
        return (A[None] - lam[:, None, None] * C[None]).max(axis=2).sum(1) + lam * budget

    if _feasible(total_cost(np.zeros(1))[0], budget):
        lam = 0.0
    else:
        span = max(float(A.max() - A.min()), 1e-12)
        pos = C[C > 0]
        lo, hi = 0.0, 4.0 * span / (pos.min() if pos.size else 1.0) + 1.0
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            if _feasible(total_cost(np.array([mid]))[0], budget):
                hi = mid
            else:
                lo = mid
        lam = hi
    grid = np.concatenate([np.linspace(0.0, 1.0, 65) ** 2 * 2.0 * max(lam, 1e-12), [lam]])
    return pick(np.array([lam]))[0], float(dual(grid).min())


class OptimizeResult(NamedTuple):
    """The optimizer's answer for each budget (leading axis K = number of budgets).

    Attributes:
      choice: ``(K, B)`` int32 option index chosen for each bin (the allocation).
      accuracy: ``(K,)`` population accuracy of the allocation.
      cost: ``(K,)`` its average cost per problem (always ``<= budget``).
      budget: ``(K,)`` the budgets.
      bin_accuracy: ``(K, B)`` accuracy within each bin.
      bin_cost: ``(K, B)`` cost per problem within each bin.
      bound: ``(K,)`` an upper bound on the best achievable accuracy (LP / dual; the
        accuracy itself for ``"exact"``).
      exact_accuracy: ``(K,)`` the exhaustive search's accuracy (NaN when not run).
      gap: ``(K,)`` ``exact_accuracy - accuracy`` (NaN when the exhaustive search was not run).
      evaluations: bin-model evaluations used by the method (one = one option's accuracy model
        on one bin's problems; B·J for every table solver).
      exact_evaluations: allocations scored by the exhaustive table search, :math:`J^B` (0 when
        not run).
      certified: ``(K,)`` bool, True where the method proved its allocation optimal.
      method: the method's name.
      seconds: wall time of the solver on the table (the table build excluded).
      exact_seconds: wall time of the exhaustive table search when it was run (``compare_exact``).
    """

    choice: np.ndarray
    accuracy: np.ndarray
    cost: np.ndarray
    budget: np.ndarray
    bin_accuracy: np.ndarray
    bin_cost: np.ndarray
    bound: np.ndarray
    exact_accuracy: np.ndarray
    gap: np.ndarray
    evaluations: int
    exact_evaluations: int
    certified: np.ndarray
    method: str
    seconds: float = float("nan")
    exact_seconds: float = float("nan")



def _result(choice, acc, cost, mass, budgets, bound, certified, *, evaluations, method, exact_acc=None, exact_evals=0):
    B = acc.shape[0]
    rows = np.arange(B)
    bin_acc = acc[rows[None, :], choice]
    bin_cost = cost[rows[None, :], choice]
    tot_a = (mass * bin_acc).sum(1)
    tot_c = (mass * bin_cost).sum(1)
    if np.any(tot_c > budgets + _REL_TOL * np.maximum(1.0, np.abs(budgets))):
        raise AssertionError("internal error: allocation exceeds the budget")
    exact = np.full(budgets.shape, np.nan) if exact_acc is None else np.asarray(exact_acc, np.float64)
    return OptimizeResult(
        choice=choice, accuracy=tot_a, cost=tot_c, budget=budgets, bin_accuracy=bin_acc, bin_cost=bin_cost,
        bound=bound, exact_accuracy=exact, gap=exact - tot_a, evaluations=int(evaluations),
        exact_evaluations=int(exact_evals), certified=np.asarray(certified, bool), method=method,
    )



class Solver(NamedTuple):
    """A solver value: ``solve(table, budget) -> OptimizeResult`` (``budget``: ``(K,)`` float64).

    Attributes:
      name: registry name (``method=`` of :func:`~ttsim.optimize_allocation`).
      solve: the function; it may assume validated finite tables and budgets the cheapest
        allocation meets, and must return allocations that meet the budget.
      exact: True when the solver proves optimality (its ``bound`` is the optimum).
    """

    name: str
    solve: Callable[[OptionTable, np.ndarray], OptimizeResult]
    exact: bool = False


_SOLVERS: dict[str, Solver] = {}


def register_solver(solver: Solver, *, overwrite: bool = False) -> Solver:
    """Add ``solver`` to the registry under ``solver.name`` (ValueError if taken, unless ``overwrite``)."""
    if not isinstance(solver, Solver):
        raise ValueError(f"solver: expected a ttsim Solver value; got {type(solver).__name__}")
    if solver.name in _SOLVERS and not overwrite:
        raise ValueError(f"solver: a solver named {solver.name!r} is already registered (pass overwrite=True)")
    _SOLVERS[solver.name] = solver
    return solver


def get_solver(method) -> Solver:
    """The registered solver ``method`` (a :class:`Solver` is returned as is); ValueError otherwise."""
    if isinstance(method, Solver):
        return method
    name = "exact" if method == "table_exact" else method
    if name not in _SOLVERS:
        raise ValueError(f"method: must be one of {', '.join(_SOLVERS)}; got {method!r}")
    return _SOLVERS[name]


def solvers() -> tuple[str, ...]:
    """Names of the registered solvers."""
    return tuple(_SOLVERS)


def _scaled(table: OptionTable):
    acc = np.asarray(table.accuracy, np.float64)
    cost = np.asarray(table.cost, np.float64)
    mass = np.asarray(table.mass, np.float64)
    return acc, cost, mass, mass[:, None] * acc, mass[:, None] * cost


def _finish(table, choices, budgets, bounds, certified, name, evaluations=None):
    acc, cost, mass, _, _ = _scaled(table)
    B, J = acc.shape
    return _result(np.stack(choices).astype(np.int32), acc, cost, mass, budgets, np.asarray(bounds, np.float64),
                   np.asarray(certified, bool), evaluations=B * J if evaluations is None else evaluations, method=name)


def knapsack_solver(max_nodes: int = 200_000) -> Solver:
    """Greedy on the hulls + polish + branch and bound (exact when ``certified``; node limit ``max_nodes``)."""
    if int(max_nodes) < 1:
        raise ValueError(f"knapsack_solver: max_nodes must be >= 1 (the branch-and-bound node limit); got {max_nodes}")

    def solve(table, budgets):
        _, _, _, A, C = _scaled(table)
        inc = _increments(A, C)
        choices, bounds, cert = [], [], []
        for bud in budgets:
            ch, bound = _greedy(A, C, bud, inc)
            ch = _polish(A, C, bud, ch)
            ch, ok = _branch_and_bound(A, C, bud, ch, max_nodes=int(max_nodes))
            choices.append(ch)
            bounds.append(bound)
            cert.append(ok)
        return _finish(table, choices, budgets, bounds, cert, "knapsack")

    return Solver("knapsack", solve, exact=True)


def lagrangian_solver() -> Solver:
    """Bisection on the multiplier, per-bin argmax of a - λc, then polish (dual value as bound)."""

    def solve(table, budgets):
        _, _, _, A, C = _scaled(table)
        choices, bounds = [], []
        for bud in budgets:
            ch, bound = _lagrangian_choice(A, C, bud)
            choices.append(_polish(A, C, bud, np.asarray(ch)))
            bounds.append(bound)
        return _finish(table, choices, budgets, bounds, np.zeros(len(budgets), bool), "lagrangian")

    return Solver("lagrangian", solve)


def uniform_solver() -> Solver:
    """The same option in every bin: the best uniform choice within the budget (ties to the cheaper)."""

    def solve(table, budgets):
        _, _, _, A, C = _scaled(table)
        B = A.shape[0]
        tot_a, tot_c = A.sum(0), C.sum(0)
        choices = []
        for bud in budgets:
            feas = _feasible(tot_c, bud)
            score = np.where(feas, tot_a, -np.inf)
            best = score.max()
            choices.append(np.full(B, int(np.argmin(np.where(score >= best, tot_c, np.inf)))))
        return _finish(table, choices, budgets, np.full(len(budgets), np.nan), np.zeros(len(budgets), bool), "uniform")

    return Solver("uniform", solve)


def _enumerate(A, C, budgets, chunk: int = 1 << 18):
    """Best allocation of every budget by scoring all J^B allocations (float64, chunked)."""
    B, J = A.shape
    total = J**B
    powers = np.array([J ** (B - 1 - b) for b in range(B)], np.int64)
    rows = np.arange(B)
    tol = _REL_TOL * np.maximum(1.0, np.abs(budgets))
    best_a = np.full(budgets.shape, -np.inf)
    best_c = np.full(budgets.shape, np.inf)
    best_i = np.zeros(budgets.shape, np.int64)
    for start in range(0, total, chunk):
        lin = np.arange(start, min(total, start + chunk), dtype=np.int64)
        digits = (lin[:, None] // powers[None, :]) % J
        ta = A[rows, digits].sum(1)
        tc = C[rows, digits].sum(1)
        for k, bud in enumerate(budgets):
            score = np.where(tc <= bud + tol[k], ta, -np.inf)
            m = score.max()
            i = int(np.argmin(np.where(score >= m, tc, np.inf)))
            if m > best_a[k] or (m == best_a[k] and tc[i] < best_c[k]):
                best_a[k], best_c[k], best_i[k] = m, tc[i], lin[i]
    return (best_i[:, None] // powers[None, :]) % J, best_a, total


def exact_solver(max_points: int = 4_000_000) -> Solver:
    """Score every one of the J^B allocations of the table (the reference; ValueError above ``max_points``)."""

    def solve(table, budgets):
        _, _, _, A, C = _scaled(table)
        B, J = A.shape
        if J**B > max_points:
            raise ValueError(f"max_exact_points: the exhaustive grid has J^B = {J}^{B} = {float(J) ** B:.3g} points, more "
                             f"than max_exact_points = {max_points:g}; raise it or use method='knapsack'")
        choice, best, total = _enumerate(A, C, np.asarray(budgets, np.float64))
        res = _finish(table, list(choice), budgets, best, np.ones(len(budgets), bool), "exact")
        return res._replace(exact_accuracy=res.accuracy.copy(), gap=np.zeros_like(res.accuracy),
                            exact_evaluations=int(total))

    return Solver("exact", solve, exact=True)


register_solver(exact_solver())
register_solver(knapsack_solver())
register_solver(lagrangian_solver())
register_solver(uniform_solver())


# ------------------------------------------------------------------------------ constraints


def _apply_mask(table: OptionTable):
    """The table a solver sees (infeasible entries -> a copy of the bin's cheapest feasible option)
    and the map back to the original columns (``rep[b, j]``)."""
    B, J = np.shape(table.accuracy)
    rep = np.tile(np.arange(J), (B, 1))
    if table.feasible is None:
        return table, rep
    mask = np.broadcast_to(np.asarray(table.feasible, bool), (B, J))
    if not np.all(mask.any(axis=1)):
        b = int(np.flatnonzero(~mask.any(axis=1))[0])
        raise ValueError(f"constraints: no option meets the constraints in bin {b}")
    cost = np.asarray(table.cost, np.float64)
    acc = np.asarray(table.accuracy, np.float64)
    for b in range(B):
        ok = np.flatnonzero(mask[b])
        cheapest = ok[np.lexsort((-acc[b, ok], cost[b, ok]))[0]]
        rep[b, ~mask[b]] = cheapest
    rows = np.arange(B)[:, None]
    return OptionTable(acc[rows, rep], cost[rows, rep], np.asarray(table.mass, np.float64), None), rep


def check_table(table: OptionTable):
    """Validated float64 (accuracy, cost, mass) of a table (ValueError naming the problem)."""
    acc = np.asarray(table.accuracy, np.float64)
    cost = np.asarray(table.cost, np.float64)
    mass = np.asarray(table.mass, np.float64)
    if acc.ndim != 2 or acc.shape != cost.shape or mass.shape != acc.shape[:1]:
        raise ValueError(f"table: accuracy/cost must be (B, J) and mass (B,); got {acc.shape}, {cost.shape}, {mass.shape}")
    if np.any(~np.isfinite(acc)) or np.any(~np.isfinite(cost)) or np.any(cost < 0):
        raise ValueError("table: accuracy and cost must be finite, cost >= 0")
    return acc, cost, mass


def check_budgets(budget, table: OptionTable, where: str) -> np.ndarray:
    """Validated ``(K,)`` float64 budgets; ValueError when one is below the cheapest allocation."""
    budgets = np.atleast_1d(np.asarray(budget, np.float64))
    if budgets.ndim != 1:
        raise ValueError(f"{where}: budget must be a number or a 1-D array; got shape {budgets.shape}")
    if not np.all(np.isfinite(budgets)):
        raise ValueError(f"{where}: budget must be finite")
    C = np.asarray(table.mass, np.float64)[:, None] * np.asarray(table.cost, np.float64)
    floor = C.min(axis=1).sum()
    if np.any(~_feasible(floor, budgets)):
        raise ValueError(f"budget: {budgets.min():g} is below the cheapest allocation's cost {floor:g} (per problem)")
    return budgets


def solve_table(table: OptionTable, budget, method="knapsack", *, where: str = "allocate") -> OptimizeResult:
    """Run a solver on a table: validate, apply the feasibility mask, time it, map choices back."""
    acc, cost, mass = check_table(table)
    solver = get_solver(method)
    table = OptionTable(acc, cost, mass / mass.sum(), table.feasible)
    seen, rep = _apply_mask(table)
    budgets = check_budgets(budget, seen, where)
    t0 = time.perf_counter()
    res = solver.solve(seen, budgets)
    seconds = time.perf_counter() - t0
    if table.feasible is not None:  # report the original columns
        choice = rep[np.arange(rep.shape[0])[None, :], res.choice].astype(np.int32)
        res = res._replace(choice=choice)
    return res._replace(seconds=seconds)


def allocate(table: OptionTable, budget, *, method="knapsack", max_nodes: int = 200_000) -> OptimizeResult:
    r"""Best allocation from a precomputed :class:`~ttsim.OptionTable` (any source of per-bin curves).

    .. math:: \max_{j} \sum_b m_b a_{b j_b} \ \text{s.t.}\ \sum_b m_b c_{b j_b} \le C

    Args:
      table: per-bin ``accuracy``/``cost`` ``(B, J)``, ``mass`` ``(B,)`` and an optional
        ``feasible`` mask.
      budget: scalar or ``(K,)`` average cost per problem.
      method: a registered solver name (:func:`solvers`) or a :class:`Solver` value;
        ``"table_exact"`` is an alias of ``"exact"``.
      max_nodes: branch-and-bound node limit of the default knapsack solver.

    References: Sinha & Zoltners, The multiple-choice knapsack problem, Oper. Res. 1979.
    """
    if method == "knapsack" and int(max_nodes) != 200_000:
        method = knapsack_solver(int(max_nodes))
    return solve_table(table, budget, method)
