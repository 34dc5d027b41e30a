"""Properties a scaling law should satisfy (numpy only): monotone, bounded, concave, saturating, limits.

Each ``check_*`` function raises ``AssertionError`` naming the property, the curve, the inputs
and the first violating point; with ``raise_on_failure=False`` it returns a
:class:`PropertyResult` instead. See :mod:`ttsim.testing`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np


class PropertyResult(NamedTuple):
    """Outcome of a property check.

    Attributes:
      ok: True when the property holds.
      property: the property's name (e.g. ``"monotone non-decreasing"``).
      name: what was checked (e.g. ``"coverage(k)"``).
      message: the failure message ("" when ``ok``).
      index: index of the first violating point (a tuple), or None.
      details: the values around the violation (a dict).
    """

    ok: bool
    property: str
    name: str
    message: str = ""
    index: tuple | None = None
    details: dict | None = None


def _fmt(x) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.7g}"
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6, threshold=12)
    return repr(x)


def _inputs_text(inputs) -> str:
    if inputs is None:
        return ""
    if isinstance(inputs, dict):
        return "; inputs: " + ", ".join(f"{k}={_fmt(np.asarray(v)) if np.ndim(v) else _fmt(v)}" for k, v in inputs.items())
    return f"; inputs: {inputs}"


def _finish(prop: str, name: str, problem: str | None, index, details, inputs, raise_on_failure) -> PropertyResult:
    if problem is None:
        return PropertyResult(True, prop, name)
    message = f"property '{prop}' violated by {name}: {problem}{_inputs_text(inputs)}"
    result = PropertyResult(False, prop, name, message, index, details)
    if raise_on_failure:
        raise AssertionError(message)
    return result


def _as_float(values, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numeric array values") from None


def _first(mask: np.ndarray):
    """Index (tuple) of the first True entry in C order, or None."""
    flat = np.flatnonzero(mask.reshape(-1))
    return None if flat.size == 0 else tuple(int(i) for i in np.unravel_index(flat[0], mask.shape))


def _axis_values(x: np.ndarray, along, axis: int, name: str):
    """Move ``axis`` last; return (moved values, grid along the axis or None)."""
    x = np.moveaxis(x, axis, -1)
    if along is None:
        return x, None
    grid = _as_float(along, "along").reshape(-1)
    if grid.size != x.shape[-1]:
        raise ValueError(f"{name}: along has {grid.size} points but the checked axis has {x.shape[-1]}")
    return x, grid


def _point(idx: tuple, axis: int, ndim: int, j: int) -> tuple:
    """Original index of point ``j`` on the checked axis, given the index of the moved array."""
    full = list(idx[:-1])
    full.insert(axis % ndim, j)
    return tuple(full)


def _at(grid, j) -> str:
    return f" (at {_fmt(grid[j])})" if grid is not None else ""


def check_monotone(
    values,
    along=None,
    *,
    axis: int = -1,
    increasing: bool = True,
    strict: bool = False,
    atol: float = 1e-6,
    name: str = "values",
    inputs=None,
    raise_on_failure: bool = True,
) -> PropertyResult:
    r"""Check that ``values`` never decrease (or never increase) along ``axis``.

    .. math:: v_{j+1} - v_j \ge -\mathrm{atol} \quad(\text{strict: } > 0)

    Args:
      values: array; the property is checked along ``axis``, for every other index.
      along: optional grid of the checked axis (e.g. the budgets), used in the message.
      axis: the budget axis.
      increasing: True for non-decreasing, False for non-increasing.
      strict: require a strict change of more than ``atol``.
      atol: allowed numerical slack.
      name: what the values are (e.g. ``"coverage(k)"``), for the message.
      inputs: what produced the values (dict or text), for the message.
      raise_on_failure: raise ``AssertionError`` (default) or return the failed result.

    Returns:
      :class:`PropertyResult`. NaN values fail.
    """
    if strict:
        prop = "strictly increasing" if increasing else "strictly decreasing"
    else:
        prop = "monotone non-decreasing" if increasing else "monotone non-increasing"
    x = _as_float(values, name)
    if x.ndim == 0:
        raise ValueError(f"{name}: need at least one axis to check monotonicity")
    ndim = x.ndim
    x, grid = _axis_values(x, along, axis, name)
    nan = _first(np.isnan(x))
    if nan is not None:
        return _finish(prop, name, f"NaN at index {_point(nan, axis, ndim, nan[-1])}", nan, {}, inputs, raise_on_failure)
    d = np.diff(x, axis=-1)
    sign = 1.0 if increasing else -1.0
    bad = (sign * d <= atol) if strict else (sign * d < -atol)
    idx = _first(bad)
    if idx is None:
        return _finish(prop, name, None, None, None, inputs, raise_on_failure)
    j = idx[-1]
    prev, cur = x[idx[:-1] + (j,)], x[idx[:-1] + (j + 1,)]
    i0, i1 = _point(idx, axis, ndim, j), _point(idx, axis, ndim, j + 1)
    rel = "<=" if strict and increasing else ">=" if strict else "<" if increasing else ">"
    problem = (
        f"first violation at index {i1}{_at(grid, j + 1)}: value {_fmt(cur)} {rel} {_fmt(prev)} at index "
        f"{i0}{_at(grid, j)} (change {_fmt(cur - prev)}, atol {atol:g})"
    )
    details = {"previous": float(prev), "value": float(cur), "previous_index": i0}
    if grid is not None:
        details.update(previous_at=float(grid[j]), at=float(grid[j + 1]))
    return _finish(prop, name, problem, i1, details, inputs, raise_on_failure)


assert_monotone = check_monotone


def check_monotone_in_budget(
    fn: Callable,
    budgets,
    *,
    increasing: bool = True,
    atol: float = 1e-6,
    name: str | None = None,
    inputs=None,
    raise_on_failure: bool = True,
) -> PropertyResult:
    """Evaluate ``fn(budgets)`` on the sorted ``budgets`` and check it is monotone in the budget.

    ``fn`` maps a ``(B,)`` array of budgets (samples, steps, tokens, FLOPs, ...) to ``(..., B)``
    values (budget axis last). See :func:`check_monotone`.
    """
    b = np.sort(_as_float(budgets, "budgets").reshape(-1))
    label = name or f"{getattr(fn, '__name__', 'fn')}(budget)"
    values = np.asarray(fn(b), dtype=np.float64)
    return check_monotone(
        values, along=b, increasing=increasing, atol=atol, name=label, inputs=inputs, raise_on_failure=raise_on_failure
    )


def check_bounded(
    values,
    lo: float = 0.0,
    hi: float = 1.0,
    *,
    along=None,
    axis: int = -1,
    atol: float = 1e-6,
    name: str = "values",
    inputs=None,
    raise_on_failure: bool = True,
) -> PropertyResult:
    """Check ``lo - atol <= values <= hi + atol`` everywhere (NaN fails); [0, 1] by default."""
    prop = f"bounded in [{lo:g}, {hi:g}]"
    x = _as_float(values, name)
    bad = np.isnan(x) | (x < lo - atol) | (x > hi + atol)
    idx = _first(np.atleast_1d(bad))
    if idx is None:
        return _finish(prop, name, None, None, None, inputs, raise_on_failure)
    val = np.atleast_1d(x)[idx]
    where = ""
    if along is not None and x.ndim:
        grid = _as_float(along, "along").reshape(-1)
        j = idx[axis % x.ndim]
        if j < grid.size:
            where = f" (at {_fmt(grid[j])})"
    kind = "NaN" if np.isnan(val) else ("below the lower bound" if val < lo else "above the upper bound")
    problem = f"first violation at index {idx}{where}: value {_fmt(val)} is {kind} (atol {atol:g})"
    return _finish(prop, name, problem, idx, {"value": float(val)}, inputs, raise_on_failure)


def check_concave(
    values,
    along=None,
    *,
    axis: int = -1,
    atol: float = 1e-6,
    name: str = "values",
    inputs=None,
    raise_on_failure: bool = True,
) -> PropertyResult:
    r"""Check diminishing returns: the slope between neighbouring points never increases.

    .. math:: \frac{v_{j+2} - v_{j+1}}{x_{j+2} - x_{j+1}} \le \frac{v_{j+1} - v_j}{x_{j+1} - x_j} + \mathrm{atol}

    (concavity on the grid ``along``; equally spaced when ``along`` is None). Use it where the
    theory says the returns diminish (coverage in k, a Markov chain that approaches its limit
    monotonically), not for S-shaped curves such as majority vote at p near 1/2.
    """
    prop = "concave (diminishing returns)"
    x = _as_float(values, name)
    if x.ndim == 0:
        raise ValueError(f"{name}: need at least one axis to check concavity")
    ndim = x.ndim
    x, grid = _axis_values(x, along, axis, name)
    g = np.arange(x.shape[-1], dtype=np.float64) if grid is None else grid
    if np.any(np.diff(g) <= 0):
        raise ValueError(f"{name}: along must be strictly increasing")
    nan = _first(np.isnan(x))
    if nan is not None:
        return _finish(prop, name, f"NaN at index {_point(nan, axis, ndim, nan[-1])}", nan, {}, inputs, raise_on_failure)
    slope = np.diff(x, axis=-1) / np.diff(g)
    bad = np.diff(slope, axis=-1) > atol
    idx = _first(bad)
    if idx is None:
        return _finish(prop, name, None, None, None, inputs, raise_on_failure)
    j = idx[-1]
    s0, s1 = slope[idx[:-1] + (j,)], slope[idx[:-1] + (j + 1,)]
    i1, i2 = _point(idx, axis, ndim, j + 1), _point(idx, axis, ndim, j + 2)
    problem = (
        f"first violation at index {i2}{_at(grid, j + 2)}: the slope rises from {_fmt(s0)} (before index {i1}) "
        f"to {_fmt(s1)} (values {_fmt(x[idx[:-1] + (j,)])}, {_fmt(x[idx[:-1] + (j + 1,)])}, {_fmt(x[idx[:-1] + (j + 2,)])}; atol {atol:g})"
    )
    return _finish(prop, name, problem, i2, {"slope_before": float(s0), "slope_after": float(s1)}, inputs, raise_on_failure)


check_diminishing_returns = check_concave


def _saturation_points(curve, eps, n):
    import ttsim

    vals = np.asarray(curve, np.float64)
    grid = np.arange(1, vals.shape[-1] + 1) if n is None else np.asarray(n)
    out = [np.asarray(ttsim.saturation_point(vals, float(e), grid=grid), np.float64) for e in eps]
    return np.stack(out, axis=-1), grid


def check_saturation_moves_with_eps(
    eps,
    *,
    curve=None,
    n=None,
    saturation_fn: Callable | None = None,
    require_reached: bool = True,
    name: str = "saturation point",
    inputs=None,
    raise_on_failure: bool = True,
) -> PropertyResult:
    r"""Check that a saturation point exists for every ε and does not grow as ε grows.

    .. math:: N^*(\varepsilon) = \min\{N : F(N+1) - F(N) < \varepsilon\}, \qquad
              \varepsilon_1 < \varepsilon_2 \Rightarrow N^*(\varepsilon_1) \ge N^*(\varepsilon_2)

    Give either ``curve`` (accuracy values on the grid ``n``, default 1..L; the saturation
    points come from :func:`ttsim.saturation_point`) or ``saturation_fn`` (a function mapping
    an array of ε to N*, e.g. a closed form under test).

    Args:
      eps: thresholds > 0 (any order; sorted here).
      curve: ``(..., L)`` accuracy curve (leading axes are independent curves).
      n: grid of the curve (strictly increasing).
      saturation_fn: ``fn(eps) -> N*`` (same shape as ``eps``).
      require_reached: with ``curve``, fail when the gain never drops below some ε on the grid
        (:func:`ttsim.saturation_point` then returns the last grid point); with
        ``saturation_fn``, fail on non-finite or non-positive N*.

    References: Scaling over Scaling (TTSPM), 2025 (saturation of the marginal gain).
    """
    prop = "saturation point exists and is non-increasing in eps"
    e = np.sort(_as_float(eps, "eps").reshape(-1))
    if (curve is None) == (saturation_fn is None):
        raise ValueError("check_saturation_moves_with_eps: give exactly one of curve or saturation_fn")
    if curve is not None:
        points, grid = _saturation_points(curve, e, n)
        if require_reached:
            idx = _first(points >= grid[-1])
            if idx is not None:
                problem = (
                    f"no saturation point on the grid for eps={_fmt(e[idx[-1]])} (index {idx}): the marginal gain "
                    f"stays >= eps up to N={_fmt(grid[-1])}"
                )
                return _finish(prop, name, problem, idx, {"eps": float(e[idx[-1]])}, inputs, raise_on_failure)
    else:
        points = np.asarray(saturation_fn(e), np.float64)
        if require_reached:
            idx = _first(~np.isfinite(points) | (points <= 0))
            if idx is not None:
                problem = f"N*={_fmt(points[idx])} at eps={_fmt(e[idx[-1]])} (index {idx}) is not a finite positive point"
                return _finish(prop, name, problem, idx, {"eps": float(e[idx[-1]])}, inputs, raise_on_failure)
    res = check_monotone(points, along=e, increasing=False, atol=0.0, name=f"{name} N*(eps)", raise_on_failure=False)
    if res.ok:
        return _finish(prop, name, None, None, None, inputs, raise_on_failure)
    j = res.index[-1]
    problem = (
        f"N* grows with eps: N*={_fmt(res.details['value'])} at eps={_fmt(e[j])} (index {res.index}) > "
        f"N*={_fmt(res.details['previous'])} at the smaller eps={_fmt(e[j - 1])}"
    )
    return _finish(prop, name, problem, res.index, res.details, inputs, raise_on_failure)


def check_limits(
    fn: Callable,
    *,
    at_zero: float | None = 0.0,
    at_one: float | None = 1.0,
    approach: Sequence[float] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5),
    atol: float = 1e-5,
    name: str | None = None,
    inputs=None,
    raise_on_failure: bool = True,
) -> PropertyResult:
    r"""Check the limits of ``fn(p)`` at p → 0 and p → 1.

    At each end: ``fn`` is finite along ``p = approach`` (resp. ``1 - approach``), the
    distance to the limit does not grow as p approaches the end, and ``fn`` at the end equals
    the limit (within ``atol``):

    .. math:: f(0) = \text{at\_zero},\quad f(1) = \text{at\_one},\quad
              |f(\delta_{j+1}) - f(0)| \le |f(\delta_j) - f(0)| + \mathrm{atol}

    ``fn`` takes a ``(m,)`` array of p and returns ``(..., m)`` values (or ``(m,)``). Pass
    ``None`` to skip an end. E.g. coverage: 0 at p = 0 and 1 at p = 1 (k >= 1).
    """
    prop = "limits at p -> 0 and p -> 1"
    label = name or f"{getattr(fn, '__name__', 'fn')}(p)"
    deltas = np.sort(_as_float(approach, "approach").reshape(-1))[::-1]
    for end, limit in ((0.0, at_zero), (1.0, at_one)):
        if limit is None:
            continue
        ps = np.concatenate([deltas if end == 0.0 else 1.0 - deltas, [end]])
        vals = np.asarray(fn(ps.astype(np.float32)), np.float64)
        vals = vals.reshape(-1, ps.size)
        bad = _first(~np.isfinite(vals))
        if bad is not None:
            problem = f"non-finite value {_fmt(vals[bad])} at p={_fmt(ps[bad[-1]])} (index {bad})"
            return _finish(prop, label, problem, bad, {"p": float(ps[bad[-1]])}, inputs, raise_on_failure)
        endv = vals[:, -1]
        off = _first(np.abs(endv - limit) > atol)
        if off is not None:
            problem = f"value at p={end:g} is {_fmt(endv[off])}, expected the limit {limit:g} (atol {atol:g}; row {off})"
            return _finish(prop, label, problem, off, {"p": end, "value": float(endv[off])}, inputs, raise_on_failure)
        dist = np.abs(vals - limit)
        grow = _first(np.diff(dist, axis=-1) > atol)
        if grow is not None:
            r, j = grow[0], grow[-1]
            problem = (
                f"moves away from the limit {limit:g} as p -> {end:g}: |f - limit| = {_fmt(dist[r, j + 1])} at "
                f"p={_fmt(ps[j + 1])} > {_fmt(dist[r, j])} at p={_fmt(ps[j])} (row {r})"
            )
            return _finish(prop, label, problem, (r, j + 1), {"p": float(ps[j + 1])}, inputs, raise_on_failure)
    return _finish(prop, label, None, None, None, inputs, raise_on_failure)


def _num_problems(problems) -> int:
    if hasattr(problems, "num_problems"):
        return int(problems.num_problems)
    import jax

    leaves = [x for x in jax.tree_util.tree_leaves(problems) if np.ndim(x) >= 1]
    if not leaves:
        raise ValueError("check_order_invariance: problems has no array with a problem axis")
    return int(np.shape(leaves[0])[-1])


def _permute(problems, perm: np.ndarray, num: int):
    import jax

    def f(x):
        if np.ndim(x) >= 1 and np.shape(x)[-1] == num:
            return np.take(np.asarray(x), perm, axis=-1)
        return x

    return jax.tree_util.tree_map(f, problems)


def check_order_invariance(
    fn: Callable,
    problems,
    *,
    num_permutations: int = 3,
    seed: int = 0,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    name: str | None = None,
    inputs=None,
    raise_on_failure: bool = True,
) -> PropertyResult:
    """Check that a population-level value does not depend on the order of the problems.

    Every array leaf of ``problems`` (a :class:`ttsim.ProblemSet`, a tuple ``(n, c)``, any
    pytree) whose last axis has the problem count is permuted the same way; ``fn(problems)``
    must not change beyond ``atol + rtol * |value|``. The reversal is always tried, then
    ``num_permutations`` seeded random permutations.
    """
    prop = "invariant to the order of problems"
    label = name or f"{getattr(fn, '__name__', 'fn')}(problems)"
    num = _num_problems(problems)
    base = np.asarray(fn(problems), np.float64)
    rng = np.random.default_rng(seed)
    perms = [np.arange(num)[::-1]] + [rng.permutation(num) for _ in range(int(num_permutations))]
    for perm in perms:
        got = np.asarray(fn(_permute(problems, perm, num)), np.float64)
        if got.shape != base.shape:
            problem = f"output shape changes from {base.shape} to {got.shape} under permutation {perm.tolist()}"
            return _finish(prop, label, problem, None, {"permutation": perm.tolist()}, inputs, raise_on_failure)
        bad = _first(np.atleast_1d(~np.isclose(got, base, rtol=rtol, atol=atol, equal_nan=True)))
        if bad is not None:
            b, g = np.atleast_1d(base)[bad], np.atleast_1d(got)[bad]
            problem = (
                f"under permutation {perm.tolist()} the output at index {bad} changes from {_fmt(b)} to {_fmt(g)} "
                f"(rtol {rtol:g}, atol {atol:g})"
            )
            return _finish(prop, label, problem, bad, {"permutation": perm.tolist(), "before": float(b), "after": float(g)}, inputs, raise_on_failure)
    return _finish(prop, label, None, None, None, inputs, raise_on_failure)


def check_cost_monotone(
    cost_fn: Callable,
    tokens,
    samples,
    *,
    fields: Sequence[str] | None = None,
    atol: float = 0.0,
    rtol: float = 1e-6,
    name: str | None = None,
    inputs=None,
    raise_on_failure: bool = True,
) -> PropertyResult:
    r"""Check that a cost never decreases with more tokens or more samples.

    ``cost_fn(tokens, samples)`` is called once with ``tokens[:, None]`` and ``samples[None, :]``
    (sorted) and returns an array or a NamedTuple of arrays (e.g. :class:`ttsim.Cost`) of shape
    ``(T, S)``; every field (or those in ``fields``; NaN fields such as dollars without a price
    are skipped) must be non-decreasing along both axes, up to ``atol + rtol * |cost|``.
    """
    prop = "cost monotone in tokens and samples"
    label = name or f"{getattr(cost_fn, '__name__', 'cost_fn')}(tokens, samples)"
    t = np.sort(_as_float(tokens, "tokens").reshape(-1))
    s = np.sort(_as_float(samples, "samples").reshape(-1))
    out = cost_fn(t[:, None], s[None, :])
    items = out._asdict().items() if hasattr(out, "_asdict") else [("cost", out)]
    for field, val in items:
        if fields is not None and field not in fields:
            continue
        x = np.broadcast_to(np.asarray(val, np.float64), (t.size, s.size))
        if np.all(np.isnan(x)):
            continue
        for axis, grid, what in ((0, t, "tokens"), (1, s, "samples")):
            tol = atol + rtol * np.abs(np.moveaxis(x, axis, -1)[..., :-1])
            d = np.diff(np.moveaxis(x, axis, -1), axis=-1)
            bad = _first(np.isnan(d) | (d < -tol))
            if bad is not None:
                j = bad[-1]
                other = bad[0]
                fixed = f"samples={_fmt(s[other])}" if axis == 0 else f"tokens={_fmt(t[other])}"
                xm = np.moveaxis(x, axis, -1)
                problem = (
                    f"{field} decreases with {what} at {fixed}: {_fmt(xm[other, j + 1])} at {what}={_fmt(grid[j + 1])} "
                    f"< {_fmt(xm[other, j])} at {what}={_fmt(grid[j])}"
                )
                idx = (j + 1, other) if axis == 0 else (other, j + 1)
                return _finish(prop, label, problem, idx, {"field": field, "along": what}, inputs, raise_on_failure)
    return _finish(prop, label, None, None, None, inputs, raise_on_failure)


