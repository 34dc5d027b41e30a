r"""Option grids and the per-bin table the solvers search.

An *option* is a strategy value with one setting of its parameters, a model and a hardware
index. An :class:`OptionGrid` is a tuple of :class:`OptionGroup` s, each one
:class:`~ttsim.Strategy` with a *batched* params pytree (leaves of shape ``(J_g,)``) and
``model``/``hardware`` index arrays: any strategy value — ttsim's or a user's — makes a grid.
:func:`option_table` evaluates every option in every difficulty bin once,

.. math:: a_{bj} = \sum_k w_{bk}\,\mathrm{acc}_j(p_{m_j b k}), \qquad
          c_{bj} = \sum_k w_{bk}\,\tfrac1S\sum_s \mathrm{unit}(\mathrm{workload}_j;\ c_{bk}, L_{bks})

(one jitted, ``lax.map``-batched program per strategy and grid shape), and the solvers
(:mod:`ttsim._src.solvers`) search that table.

References: Snell et al., `Scaling LLM Test-Time Compute Optimally
<https://arxiv.org/abs/2408.03314>`_, 2024.
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src.binning import BinnedPopulation, default_float
from ttsim._src.cost_units import CostSpec, ProblemData, get_cost_unit
from ttsim._src.strategy import Strategy

__all__ = (
    "CostLimit",
    "OptionGrid",
    "OptionGroup",
    "OptionTable",
    "as_grid",
    "concat_grids",
    "describe_grid_option",
    "feasibility_mask",
    "option_cost",
    "option_grid",
    "option_table",
)


class OptionGroup(NamedTuple):
    """One strategy with ``J_g`` settings: ``params`` leaves ``(J_g,)``, ``model``/``hardware`` ``(J_g,)`` ints."""

    strategy: Strategy
    params: Any
    model: np.ndarray
    hardware: np.ndarray

    @property
    def num_options(self) -> int:
        return int(self.model.shape[0])


class OptionGrid(NamedTuple):
    """Candidate options for one bin: the groups' options side by side (column order of the table)."""

    groups: tuple

    @property
    def num_options(self) -> int:
        return sum(g.num_options for g in self.groups)

    def locate(self, j: int) -> tuple[int, int]:
        """(group, row within the group) of option ``j``."""
        j = int(j)
        for gi, g in enumerate(self.groups):
            if j < g.num_options:
                return gi, j
            j -= g.num_options
        raise IndexError(f"option {j} out of range")


def _as_list(x, name):
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a number or a non-empty list of numbers")
    return arr


def _index_list(x, name):
    arr = _as_list(x, name)
    if np.any(arr != np.round(arr)) or np.any(arr < 0):
        raise ValueError(f"{name}: must be whole numbers >= 0; got {arr.tolist()}")
    return arr.astype(np.int32)


def option_grid(strategy: Strategy, *, params=None, model=0, hardware=0, **values) -> OptionGrid:
    r"""The options of one strategy: a cross product of value lists, or a batched params pytree.

    .. math:: \{(\theta, m, h)\} = \prod_f \theta_f\text{-list} \times \text{models} \times \text{hardware}

    Either give lists for fields of ``strategy.params`` (a NamedTuple; the other fields keep
    their defaults), e.g. ``option_grid(parallel(), k=[1, 4, 16])``, or ``params``: a pytree
    whose leaves share a leading axis ``J`` (then ``model``/``hardware`` are crossed with it).

    Args:
      strategy: any :class:`~ttsim.Strategy` value.
      params: optional batched params pytree (leaves ``(J, ...)``).
      model, hardware: int or list of ints (indices into the population's models and the cost
        specification's models/hardware).
      **values: numbers or lists for fields of ``strategy.params``.

    Raises:
      ValueError: an unknown field (named), or both ``params`` and field lists.
    """
    if not isinstance(strategy, Strategy):
        raise ValueError(f"strategy: expected a ttsim Strategy value; got {type(strategy).__name__}")
    f = default_float()
    models, hws = _index_list(model, "model"), _index_list(hardware, "hardware")
    if params is not None:
        if values:
            raise ValueError(f"params: give either a batched params pytree or field lists ({', '.join(values)}), not both")
        leaves = jax.tree.leaves(params)
        if not leaves:
            raise ValueError("params: the batched params pytree has no array leaves")
        j = int(np.shape(leaves[0])[0]) if np.ndim(leaves[0]) else 1
        if any((np.shape(x)[:1] or (1,)) != (j,) for x in leaves):
            raise ValueError(f"params: every leaf must have the same leading axis; got {[np.shape(x) for x in leaves]}")
        base = jax.tree.map(lambda x: jnp.reshape(jnp.asarray(x), (j,) + np.shape(x)[1:]), params)
        rows = np.array(list(itertools.product(range(j), models, hws)))
        sel = jnp.asarray(rows[:, 0])
        batched = jax.tree.map(lambda x: jnp.asarray(x)[sel], base)
        return OptionGrid((OptionGroup(strategy, batched, rows[:, 1].astype(np.int32), rows[:, 2].astype(np.int32)),))
    defaults = strategy.params
    fields = getattr(defaults, "_fields", None)
    if fields is None:
        if values:
            raise ValueError(f"{strategy.name}: its params are not a NamedTuple; pass a batched params= pytree")
        fields = ()
    for name in values:
        if name not in fields:
            raise ValueError(f"{name}: not a parameter of strategy {strategy.name!r} (its parameters: {', '.join(fields)})")
    lists = {name: _as_list(x, name) for name, x in values.items()}
    rows = list(itertools.product(*lists.values(), models, hws))
    num = len(rows)
    cols = list(zip(*rows)) if rows else []
    names = list(lists)
    new = {}
    for i, name in enumerate(names):
        new[name] = jnp.asarray(np.asarray(cols[i], np.float64), f)
    batched_fields = []
    for name in fields:
        if name in new:
            batched_fields.append(new[name])
        else:
            x = jnp.asarray(getattr(defaults, name))
            dt = x.dtype if not jnp.issubdtype(x.dtype, jnp.floating) else f
            batched_fields.append(jnp.broadcast_to(x.astype(dt), (num,) + x.shape))
    batched = type(defaults)(*batched_fields) if fields else jax.tree.map(
        lambda x: jnp.broadcast_to(jnp.asarray(x), (num,) + jnp.shape(x)), defaults)
    model_col = np.asarray([r[len(names)] for r in rows], np.int32)
    hw_col = np.asarray([r[len(names) + 1] for r in rows], np.int32)
    return OptionGrid((OptionGroup(strategy, batched, model_col, hw_col),))


def concat_grids(grids) -> OptionGrid:
    """Join option grids (of any strategies) into one grid, columns in the given order."""
    grids = list(grids)
    if not grids:
        raise ValueError("options: need at least one option grid")
    return OptionGrid(tuple(g for grid in grids for g in as_grid(grid).groups))


def as_grid(options, params=None) -> OptionGrid:
    """An :class:`OptionGrid` from a grid, a :class:`~ttsim.Strategy` (its default params: one
    option) or the deprecated ``ttsim.Options`` (with its ``StrategyParams``)."""
    if isinstance(options, OptionGrid):
        return options
    if isinstance(options, Strategy):
        params1 = jax.tree.map(lambda x: jnp.asarray(x)[None], options.params)
        return OptionGrid((OptionGroup(options, params1, np.zeros(1, np.int32), np.zeros(1, np.int32)),))
    from ttsim._src import legacy_options

    if isinstance(options, legacy_options.Options):
        return legacy_options.to_grid(options, params)
    raise ValueError(f"options: expected an OptionGrid (see ttsim.optim.option_grid); got {type(options).__name__}")


def describe_grid_option(grid: OptionGrid, j: int, model_names=None, hardware_names=None) -> dict:
    """A plain dict describing option ``j``: strategy name, its parameter values, model, hardware."""
    gi, r = grid.locate(j)
    g = grid.groups[gi]
    out: dict = {"strategy": g.strategy.name}
    for path, leaf in jax.tree_util.tree_flatten_with_path(g.params)[0]:
        val = np.asarray(leaf)[r]
        if np.ndim(val) == 0:
            name = ".".join(str(getattr(k, "name", getattr(k, "key", getattr(k, "idx", k)))) for k in path)
            x = float(f"{float(val):.7g}")  # float32 parameters print as typed (0.02, not 0.0199999996)
            out[name] = int(x) if x.is_integer() else x
    m, h = int(g.model[r]), int(g.hardware[r])
    out["model"] = model_names[m] if model_names else m
    out["hardware"] = hardware_names[h] if hardware_names else h
    return out


# ------------------------------------------------------------------------------ accuracy


def _map_padded(fn, xs, batch_size: int):
    """``jax.lax.map(fn, xs, batch_size=b)`` with the leading axis padded to a multiple of b.

    Without a remainder ``lax.map`` traces ``fn`` once (a remainder is a second, vmapped trace),
    so a table build traces the user's accuracy once whatever the number of options.
    """
    num = jax.tree.leaves(xs)[0].shape[0]
    b = max(1, min(int(batch_size), num))
    pad = (-num) % b
    if pad:
        xs = jax.tree.map(lambda x: jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)]), xs)
    out = jax.lax.map(fn, xs, batch_size=b)
    return jax.tree.map(lambda y: y[:num], out)


def _group_accuracy_impl(accuracy, p, weight, fixed, varying, model, batch_size, treedef, is_varying, one_model):
    """Per-bin accuracy of a group's options: ``lax.map`` over the options' varying params.

    Leaves equal across the group (``fixed``) stay unbatched, as does ``p`` when every option
    uses one model, so work that depends only on them is done once (e.g. a vote table).
    """

    def params_of(var):
        it_f, it_v = iter(fixed), iter(var)
        return jax.tree.unflatten(treedef, [next(it_v) if v else next(it_f) for v in is_varying])

    if one_model:
        pm = p[model[0]]

        def one(var):
            return jnp.sum(weight * jnp.clip(accuracy(pm, params_of(var)), 0.0, 1.0), axis=-1)

        return _map_padded(one, varying, batch_size).T  # (B, J_g)

    def one_m(args):
        var, m = args
        acc = jnp.clip(accuracy(p[m], params_of(var)), 0.0, 1.0)  # (B, K)
        return jnp.sum(weight * acc, axis=-1)

    return _map_padded(one_m, (varying, model), batch_size).T  # (B, J_g)


_group_accuracy = jax.jit(_group_accuracy_impl,
                          static_argnames=("accuracy", "batch_size", "treedef", "is_varying", "one_model"))


def _cast(x, dtype):
    x = jnp.asarray(x)
    return x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x


def _grid_accuracy(binned: BinnedPopulation, grid: OptionGrid, batch_size: int) -> np.ndarray:
    cols = []
    for g in grid.groups:
        if g.num_options == 0:
            continue
        if int(g.model.max()) >= binned.p.shape[0]:
            raise ValueError(f"options: model index {int(g.model.max())} but the population has {binned.p.shape[0]} model(s)")
        params = jax.tree.map(lambda x: _cast(x, binned.p.dtype), g.params)
        leaves, treedef = jax.tree.flatten(params)
        is_varying = tuple(bool(np.ndim(x) == 0 or np.any(np.asarray(x) != np.asarray(x)[:1])) for x in leaves)
        if not any(is_varying):  # one option (or all alike): map over every leaf
            is_varying = (True,) * len(leaves)
        fixed = [x[0] for x, v in zip(leaves, is_varying) if not v]
        varying = [x for x, v in zip(leaves, is_varying) if v]
        acc = _group_accuracy(g.strategy.accuracy, binned.p, binned.weight, fixed, varying, jnp.asarray(g.model),
                              int(batch_size), treedef, is_varying, bool(np.all(g.model == g.model[0])))
        acc = np.asarray(acc, np.float64)
        if not np.all(np.isfinite(acc)):
            j = int(np.flatnonzero(~np.all(np.isfinite(acc), axis=0))[0])
            raise ValueError(f"options: strategy {g.strategy.name!r} gives a non-finite accuracy for its option {j} "
                             "(a parameter outside the model's range?)")
        cols.append(acc)
    return np.concatenate(cols, axis=1)


# ------------------------------------------------------------------------------ cost


def option_cost(binned: BinnedPopulation, options, spec: CostSpec | None = None, params=None) -> np.ndarray:
    r"""Mean cost per problem of each option in each bin, ``(B, J)`` float64, in ``spec.unit``.

    .. math:: c_{bj} = \sum_k w_{bk}\,\frac1S\sum_s \mathrm{unit}\big(\mathrm{workload}_j;\ c_{bk}, L_{bks}\big)

    where :math:`L_{bks}` are the observed solution lengths and the unit is a registered
    :class:`~ttsim.optim.CostUnit` (every phase of the workload priced by the unit's model).

    Args:
      binned: :class:`~ttsim.BinnedPopulation`.
      options: an :class:`OptionGrid` (or the deprecated ``ttsim.Options``).
      spec: :class:`~ttsim.CostSpec` (default: samples).
      params: ``StrategyParams`` for the deprecated ``ttsim.Options`` only.

    References: Sadhukhan et al., `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025.
    """
    grid = as_grid(options, params)
    spec = CostSpec() if spec is None else spec
    unit = get_cost_unit(spec.unit)
    num_models = binned.p.shape[0]
    wsum = np.asarray(binned.weight, np.float64)  # renormalised in float64: a bin's cost is an exact mean
    wsum = wsum / np.where(wsum.sum(1, keepdims=True) > 0, wsum.sum(1, keepdims=True), 1.0)
    prompt = binned.prompt_tokens[:, :, None, None]  # (B, K, 1, 1)
    cols = []
    for g in grid.groups:
        out = np.zeros((binned.num_bins, g.num_options), np.float64)
        if g.num_options and int(g.model.max()) >= num_models:
            raise ValueError(f"options: model index {int(g.model.max())} but the population has {num_models} model(s)")
        if unit.needs_model and g.num_options and int(g.model.max()) >= len(spec.models):
            raise ValueError(f"models: option uses model {int(g.model.max())} but the cost spec lists {len(spec.models)}")
        if unit.needs_hardware and g.num_options and int(g.hardware.max()) >= len(spec.hardware):
            raise ValueError(f"hardware: option uses hardware {int(g.hardware.max())} but the cost spec lists "
                             f"{len(spec.hardware)}")
        for m in np.unique(g.model):
            for h in np.unique(g.hardware[g.model == m]):
                sel = np.flatnonzero((g.model == m) & (g.hardware == h))
                sub = jax.tree.map(lambda x, s=sel: jnp.asarray(x)[s], g.params)
                workload = g.strategy.workload(sub)
                L = binned.gen_tokens[int(m)][..., None]  # (B, K, S, 1)
                model = spec.models[int(m)] if len(spec.models) > m else None
                hw = spec.hardware[int(h)] if len(spec.hardware) > h else (spec.hardware[0] if spec.hardware else None)
                if hw is None and unit.needs_model:  # FLOPs and bytes do not depend on the chip
                    from ttsim._src import registry

                    hw = registry.get_hardware("h100-sxm")
                data = ProblemData(prompt, L, spec.kv_for(int(m)) if model is not None else None)
                per = unit.cost(workload, data, model, hw)  # (B, K, S, J_sel)
                per = jnp.broadcast_to(per, L.shape[:-1] + (sel.size,))
                per_problem = np.asarray(jnp.mean(per, axis=2), np.float64)  # (B, K, J_sel)
                out[:, sel] = np.einsum("bk,bkj->bj", wsum, per_problem)
        cols.append(out)
    return np.concatenate(cols, axis=1)


# ------------------------------------------------------------------------------ the table


class OptionTable(NamedTuple):
    """Per-bin accuracy and cost of every option: ``accuracy (B, J)``, ``cost (B, J)``, ``mass (B,)``.

    ``feasible`` (optional ``(B, J)`` bool): options a constraint rules out in a bin (False);
    ``None`` means every option is allowed.
    """

    accuracy: np.ndarray
    cost: np.ndarray
    mass: np.ndarray
    feasible: np.ndarray | None = None


class CostLimit(NamedTuple):
    """A per-option constraint: the option's mean cost per problem in ``unit`` must be ``<= limit``.

    E.g. ``CostLimit("latency_seconds", 30.0)`` once a latency unit is registered: options whose
    per-query latency exceeds 30 s are infeasible in that bin. ``spec`` (optional) gives the
    models/hardware for the unit (default: the optimizer's cost spec with ``unit`` replaced).
    """

    unit: str
    limit: float
    spec: CostSpec | None = None


def feasibility_mask(binned: BinnedPopulation, options, constraints=(), spec: CostSpec | None = None,
                     feasible=None, params=None) -> np.ndarray | None:
    r"""``(B, J)`` mask of the options every constraint allows (None when there is no constraint).

    .. math:: \mathrm{ok}_{bj} = \mathrm{feasible}_{bj} \wedge \bigwedge_u \big[c^{(u)}_{bj} \le \mathrm{limit}_u\big]

    Args:
      binned, options: as in :func:`option_table`.
      constraints: :class:`CostLimit` values (each priced by its registered unit).
      spec: the optimizer's cost spec (models/hardware reused by the limits).
      feasible: optional boolean mask ``(J,)`` or ``(B, J)``.
    """
    grid = as_grid(options, params)
    B, J = binned.num_bins, grid.num_options
    mask = None
    if feasible is not None:
        f = np.asarray(feasible)
        if f.dtype != bool or f.shape not in ((J,), (B, J)):
            raise ValueError(f"feasible: must be a boolean mask of shape ({J},) or ({B}, {J}); got {f.dtype} {f.shape}")
        mask = np.broadcast_to(f, (B, J)).copy()
    if isinstance(constraints, CostLimit):
        constraints = (constraints,)
    for c in constraints:
        if not isinstance(c, CostLimit):
            raise ValueError(f"constraints: expected CostLimit values; got {type(c).__name__}")
        base = c.spec if c.spec is not None else (spec or CostSpec())._replace(unit=get_cost_unit(c.unit).name)
        values = option_cost(binned, grid, base, params)
        ok = values <= float(c.limit) * (1 + 1e-12)
        mask = ok if mask is None else (mask & ok)
    return mask


def option_table(binned: BinnedPopulation, options, *, params=None, spec: CostSpec | None = None,
                 batch_size: int = 64, constraints=(), feasible=None) -> OptionTable:
    r"""Evaluate every option in every bin once: the :math:`B\times J` table the solvers search.

    .. math:: a_{bj} = \sum_k w_{bk}\,\mathrm{acc}_j(p_{m_j bk}), \qquad c_{bj} \text{ from } :func:`option_cost`

    Args:
      binned: :class:`~ttsim.BinnedPopulation`.
      options: :class:`OptionGrid` (J options of any strategies), or the deprecated ``Options``.
      params: ``StrategyParams`` for the deprecated ``Options`` only.
      spec: :class:`~ttsim.CostSpec` (the budget's unit).
      batch_size: options evaluated together (``jax.lax.map`` batch; bounds memory).
      constraints, feasible: per-option constraints (see :func:`feasibility_mask`).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    grid = as_grid(options, params)
    spec = CostSpec() if spec is None else spec
    acc = _grid_accuracy(binned, grid, batch_size)
    cost = option_cost(binned, grid, spec)
    mass = np.asarray(binned.mass, np.float64)
    mask = feasibility_mask(binned, grid, constraints, spec, feasible)
    return OptionTable(acc, cost, mass / mass.sum(), mask)
