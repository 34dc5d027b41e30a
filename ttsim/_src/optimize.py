r"""Compute-optimal allocation of a test-time budget across difficulty bins (or problems).

The problem. Problems are grouped into ``B`` difficulty bins (quantiles of pass@1, or of a
noisy predictor of it, as in Snell et al.). An *allocation* gives every bin ``b`` one option
``j_b`` from a grid of ``J`` options (strategy, N/T/M/S/V, model, hardware; see
:mod:`ttsim._src.strategies`). With bin masses :math:`m_b`, per-bin mean accuracy
:math:`a_{bj}` and per-bin mean cost :math:`c_{bj}` (per problem, in the chosen unit),

.. math:: \max_{j_1..j_B} \sum_b m_b\,a_{b j_b} \quad\text{s.t.}\quad \sum_b m_b\,c_{b j_b} \le C,

a multiple-choice knapsack; the budget :math:`C` is the *average cost per problem*.

How it is searched (every method returns the same :class:`OptimizeResult`):

* ``"exact"``: every one of the :math:`J^B` allocations is evaluated — the accuracy models are
  run for each grid point (vectorised, in fixed-size chunks) — and the best feasible one is
  kept, ties broken by lower cost. The reference; :math:`B\cdot J^B` bin-model evaluations.
* ``"knapsack"`` (default): the :math:`B\times J` table is evaluated once; greedy marginal gain
  along each bin's upper concave hull gives the LP relaxation's bound and an incumbent, which
  is polished by single- and pair-bin moves and then certified (or improved) by branch and
  bound on the LP bound. Exact whenever ``certified``; :math:`B\cdot J` evaluations.
* ``"lagrangian"``: for a multiplier λ each bin independently maximises
  :math:`a_{bj} - \lambda c_{bj}`; λ is bisected to the smallest value meeting the budget
  (vectorised over budgets), then polished. Its dual value is an upper bound.
* ``"relaxed"``: a differentiable relaxation with optax — softmax shares of the budget give
  each bin a real-valued N, the jitted accuracy model is differentiated, and the result is
  rounded down to the grid and polished.
* ``"uniform"``: the same option for every bin (the best-of-N baseline).

Every allocation returned satisfies the budget: its cost (float64) is ``<= budget``.

References: Snell et al., `Scaling LLM Test-Time Compute Optimally
<https://arxiv.org/abs/2408.03314>`_, 2024; Sinha & Zoltners, The multiple-choice knapsack
problem, Operations Research 27(3), 1979 (LP relaxation by convex hulls).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import enable_x64
from ttsim._src.strategies import (
    STRATEGIES,
    Options,
    StrategyParams,
    option_accuracy,
    option_workload,
    strategy_params,
    take_options,
    vote_table,
)

COST_UNITS = ("samples", "tokens", "flops", "memory_bytes", "eflops", "seconds", "dollars")
METHODS = ("exact", "knapsack", "lagrangian", "relaxed", "uniform")
_REL_TOL = 1e-9  # budget comparisons are done in float64 with this relative slack


# ------------------------------------------------------------------------------- difficulty


def difficulty_bins(score, num_bins: int = 5, weight=None, *, key=None) -> jax.Array:
    r"""Quantile bins of a difficulty score: bin 0 holds the easiest problems (highest score).

    Problems are ranked by ``score`` (descending; ties broken at random with ``key``, or by
    index) and cut into ``num_bins`` groups of equal total weight, as Snell et al.'s five
    difficulty levels (level 1 = bin 0 = easiest):

    .. math:: \mathrm{bin}_i = \Big\lfloor B\,\frac{W_{<i} + w_i/2}{W} \Big\rfloor

    with :math:`W_{<i}` the weight ranked before problem i.

    Args:
      score: ``(P,)`` pass@1 (oracle bins) or a prediction of it (predicted bins).
      num_bins: number of bins B (static, >= 1).
      weight: optional ``(P,)`` problem weights (uniform by default).
      key: optional ``jax.random`` key to break ties at random.

    Returns:
      ``(P,)`` int32 bin indices in ``[0, B)``.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
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
    return jnp.asarray(bins)


def predicted_difficulty(p, key, *, num_samples: int | None = None, logit_noise: float | None = None) -> jax.Array:
    r"""A noisy predictor of pass@1 for predicted-difficulty bins.

    Either the fraction correct of ``num_samples`` fresh samples (a held-out estimate),

    .. math:: \hat p = X / n, \quad X \sim \mathrm{Binomial}(n, p),

    or logit noise, :math:`\hat p = \sigma(\mathrm{logit}(p) + s\,\varepsilon)`,
    :math:`\varepsilon\sim N(0,1)` (p clipped to [1e-6, 1 − 1e-6] first).

    Args:
      p: ``(P,)`` true per-sample success probabilities.
      key: ``jax.random`` key.
      num_samples: n for the binomial predictor (>= 1).
      logit_noise: s >= 0 for the logit predictor (give exactly one of the two).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (predicted difficulty bins).
    """
    p = jnp.asarray(p, jnp.float32)
    v.check_probability("p", p, where="predicted_difficulty")
    if (num_samples is None) == (logit_noise is None):
        raise ValueError("predicted_difficulty: give exactly one of num_samples and logit_noise")
    if num_samples is not None:
        if int(num_samples) < 1:
            raise ValueError(f"predicted_difficulty: num_samples must be >= 1; got {num_samples}")
        x = jax.random.binomial(key, float(num_samples), p)
        return x / float(num_samples)
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
    return BinnedPopulation(
        p=jnp.asarray(np.where(pad[None], 0.0, p[:, safe]), jnp.float32),
        weight=jnp.asarray(wb, jnp.float32),
        mass=jnp.asarray(mass, jnp.float32),
        index=jnp.asarray(index),
        gen_tokens=jnp.asarray(np.where(pad[None, :, :, None], 0.0, g[:, safe]), jnp.float32),
        prompt_tokens=jnp.asarray(np.where(pad, 0.0, c[safe]), jnp.float32),
    )


# ------------------------------------------------------------------------------------ cost


class CostSpec(NamedTuple):
    """How an option's workload becomes cost.

    Attributes:
      unit: one of :data:`COST_UNITS`. ``"samples"``: solution-equivalents (N for best-of-N,
        M·T for a hybrid, S(1+λV) for a split); ``"tokens"``: generated tokens; ``"flops"``,
        ``"memory_bytes"``, ``"eflops"``: the Kinetics cost model; ``"seconds"``, ``"dollars"``:
        the roofline cost model.
      models: tuple of :class:`ttsim.ModelConfig`, indexed by an option's ``model`` (cost units
        beyond tokens).
      hardware: tuple of :class:`ttsim.Hardware`, indexed by an option's ``hardware``.
      kv_budget: attention of each model entry: ``None`` (dense) or a top-k KV budget in tokens
        (sparse attention) — one value for all models, or a tuple aligned with ``models`` (so the
        same network with dense and top-k attention can be two "models", each with its own row of
        per-problem success rates).
    """

    unit: str = "samples"
    models: tuple = ()
    hardware: tuple = ()
    kv_budget: float | tuple | None = None

    def kv_for(self, model_index: int):
        """The KV budget (None = dense) of model entry ``model_index``."""
        if isinstance(self.kv_budget, tuple):
            kv = self.kv_budget[model_index]
            return None if kv is None or kv == 0 else float(kv)
        return self.kv_budget


def cost_spec(unit: str = "samples", *, models=(), hardware=(), kv_budget=None) -> CostSpec:
    r"""A validated :class:`CostSpec`; model and hardware may be given by registry name.

    .. math:: \text{cost}(o) = \sum_{\rm batches} \mathrm{cost\_model}(\text{model}, \text{hardware}, c, \ell L, n)

    Raises:
      ValueError: an unknown unit, or a unit that needs models/hardware without them.
    """
    if unit not in COST_UNITS:
        raise ValueError(f"unit: must be one of {', '.join(COST_UNITS)}; got {unit!r}")
    if isinstance(models, (str,)) or not isinstance(models, (tuple, list)):
        models = (models,)
    if isinstance(hardware, (str,)) or not isinstance(hardware, (tuple, list)):
        hardware = (hardware,)
    if unit not in ("samples", "tokens"):
        from ttsim._src import registry

        models = tuple(registry.get_model(x) if isinstance(x, str) else x for x in models)
        hardware = tuple(registry.get_hardware(x) if isinstance(x, str) else x for x in hardware)
        if not models:
            raise ValueError(f"models: cost unit {unit!r} needs at least one model configuration")
        if unit not in ("flops", "memory_bytes") and not hardware:
            raise ValueError(f"hardware: cost unit {unit!r} needs at least one hardware profile")
    if isinstance(kv_budget, (list, tuple)):
        kv_budget = tuple(None if x is None or x == 0 else float(x) for x in kv_budget)
        if len(kv_budget) != len(models):
            raise ValueError(f"kv_budget: {len(kv_budget)} entries but {len(models)} model(s); give one per model (0 = dense)")
        if any(x is not None and x <= 0 for x in kv_budget):
            raise ValueError("kv_budget: top-k budgets must be > 0 tokens (0 or None = dense)")
    elif kv_budget is not None and float(kv_budget) <= 0:
        raise ValueError(f"kv_budget: must be > 0 tokens; got {kv_budget}")
    return CostSpec(unit=unit, models=tuple(models), hardware=tuple(hardware), kv_budget=kv_budget)


def _batch_cost(spec: CostSpec, model, hw, prompt, gen, count, kv=None):
    """Cost of ``count`` generations of ``gen`` tokens after a ``prompt``-token prompt."""
    if spec.unit == "tokens":
        return count * gen
    from ttsim._src import cost as cost_mod

    count_safe = jnp.maximum(count, 1.0)  # the cost models need N >= 1; empty batches are masked
    if spec.unit in ("flops", "memory_bytes", "eflops"):
        c = cost_mod.kinetics_cost(model, hw, prompt, gen, count_safe, kv_budget=kv)
    else:
        attention = "dense" if kv is None else "topk"
        c = cost_mod.roofline_cost(model, hw, prompt, gen, count_safe, attention=attention, kv_budget=kv)
    return jnp.where(count > 0, getattr(c, spec.unit), 0.0)


def option_cost(binned: BinnedPopulation, options: Options, spec: CostSpec | None = None, params: StrategyParams | None = None) -> np.ndarray:
    r"""Mean cost per problem of each option in each bin, ``(B, J)`` float64.

    .. math:: c_{bj} = \sum_k w_{bk}\,\frac1S\sum_s \Big[\mathrm{cost}(n^{\rm solve}_j, \ell^{\rm solve}_j L_{bks}, c_{bk})
              + \mathrm{cost}(n^{\rm verify}_j, \ell^{\rm verify}_j L_{bks}, c_{bk} + L_{bks})\Big]

    where :math:`L_{bks}` are the observed solution lengths (see :func:`~ttsim.option_workload`).
    """
    params = strategy_params() if params is None else params
    spec = CostSpec() if spec is None else spec
    w = option_workload(options, params)
    if spec.unit == "samples":
        per = np.asarray(w.count_solve * w.length_solve + w.count_verify * w.length_verify, np.float64)
        return np.broadcast_to(per[None, :], (binned.num_bins, per.shape[0])).copy()
    model_idx = np.asarray(options.model)
    hw_idx = np.asarray(options.hardware)
    num_models = binned.p.shape[0]
    if model_idx.max() >= num_models:
        raise ValueError(f"options: model index {model_idx.max()} but the population has {num_models} model(s)")
    if spec.unit != "tokens":
        if model_idx.max() >= len(spec.models):
            raise ValueError(f"models: option uses model {model_idx.max()} but the cost spec lists {len(spec.models)}")
        if spec.unit not in ("flops", "memory_bytes") and hw_idx.max() >= len(spec.hardware):
            raise ValueError(f"hardware: option uses hardware {hw_idx.max()} but the cost spec lists {len(spec.hardware)}")
    out = np.zeros((binned.num_bins, options.num_options), np.float64)
    prompt = binned.prompt_tokens[:, :, None]  # (B, K, 1)
    wsum = np.asarray(binned.weight, np.float64)  # renormalised in float64: a bin's cost is an exact mean
    wsum = wsum / np.where(wsum.sum(1, keepdims=True) > 0, wsum.sum(1, keepdims=True), 1.0)
    for m in np.unique(model_idx):
        for h in np.unique(hw_idx[model_idx == m]):
            sel = np.flatnonzero((model_idx == m) & (hw_idx == h))
            L = binned.gen_tokens[m][..., None]  # (B, K, S, 1)
            model = spec.models[m] if spec.models else None
            hw = spec.hardware[h] if len(spec.hardware) > h else (spec.hardware[0] if spec.hardware else None)
            if hw is None and spec.unit != "tokens":  # FLOPs and bytes do not depend on the hardware
                from ttsim._src import registry

                hw = registry.get_hardware("h100-sxm")
            cs, ls = w.count_solve[sel], w.length_solve[sel]
            cv, lv = w.count_verify[sel], w.length_verify[sel]
            kv = spec.kv_for(int(m))
            solve = _batch_cost(spec, model, hw, prompt[..., None], ls * L, cs * jnp.ones_like(L), kv)
            verify = _batch_cost(spec, model, hw, prompt[..., None] + L, lv * L, cv * jnp.ones_like(L), kv)
            per_problem = jnp.mean(solve + verify, axis=2)  # (B, K, J_sel)
            out[:, sel] = np.einsum("bk,bkj->bj", wsum, np.asarray(per_problem, np.float64))
    return out


# ------------------------------------------------------------------------------ the table


def _check_options(options: Options, params: StrategyParams, binned: BinnedPopulation) -> None:
    if not isinstance(options, Options):
        raise ValueError(f"options: expected ttsim.Options (see make_options); got {type(options).__name__}")
    if _has_vote(options):
        n_vote = np.asarray(options.n)[np.asarray(options.strategy) == STRATEGIES.index("majority_vote")]
        if n_vote.max() > params.vote_max_k:
            raise ValueError(f"options: majority_vote N up to {n_vote.max():g} exceeds params.vote_max_k = {params.vote_max_k}")
    split = np.asarray(options.strategy) == STRATEGIES.index("solver_verifier")
    if split.any() and np.asarray(options.v)[split].max() > params.split_max_v:
        raise ValueError(f"options: solver_verifier V up to {np.asarray(options.v)[split].max():g} exceeds params.split_max_v = {params.split_max_v}")


class OptionTable(NamedTuple):
    """Per-bin accuracy and cost of every option: ``accuracy (B, J)``, ``cost (B, J)``, ``mass (B,)``."""

    accuracy: np.ndarray
    cost: np.ndarray
    mass: np.ndarray


def _has_vote(options):
    return STRATEGIES.index("majority_vote") in options.present


@functools.partial(jax.jit, static_argnames=("batch_size",))
def _table_accuracy(p, weight, options, params, batch_size):
    vt = vote_table(p, params) if _has_vote(options) else None  # (M, B, K, max_k + 1), once

    def one(o):  # o: one option (scalar fields)
        acc = option_accuracy(p[o.model], o, params, None if vt is None else vt[o.model])  # (B, K)
        return jnp.sum(weight * acc, axis=-1)

    return jax.lax.map(one, options, batch_size=batch_size).T  # (B, J)


def option_table(binned: BinnedPopulation, options: Options, *, params: StrategyParams | None = None,
                 spec: CostSpec | None = None, batch_size: int = 64) -> OptionTable:
    r"""Evaluate every option in every bin once: the :math:`B\times J` table the fast methods use.

    .. math:: a_{bj} = \sum_k w_{bk}\,\mathrm{acc}(p_{m_j bk}, o_j), \qquad c_{bj} \text{ from } :func:`option_cost`

    Args:
      binned: :class:`BinnedPopulation`.
      options: :class:`~ttsim.Options` (J options).
      params: strategy constants (defaults of :func:`~ttsim.strategy_params`).
      spec: :class:`CostSpec`.
      batch_size: options evaluated together (``jax.lax.map`` batch; bounds memory).
    """
    params = strategy_params() if params is None else params
    spec = CostSpec() if spec is None else spec
    _check_options(options, params, binned)
    if np.asarray(options.model).max() >= binned.p.shape[0]:
        raise ValueError(f"options: model index {int(np.asarray(options.model).max())} but the population has {binned.p.shape[0]} model(s)")
    acc = _table_accuracy(binned.p, binned.weight, options, params, int(batch_size))
    cost = option_cost(binned, options, spec, params)
    mass = np.asarray(binned.mass, np.float64)
    return OptionTable(np.asarray(acc, np.float64), cost, mass / mass.sum())


# ---------------------------------------------------------------------- table algorithms


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


@functools.partial(jax.jit, static_argnames=("steps", "learning_rate"))
def _relaxed_solve(p, w, m, slope, extra, n_lo, n_hi, option, params, *, steps, learning_rate):
    """Adam on softmax budget shares for each extra budget in ``extra`` (K,); returns real N (K, B)."""
    import optax

    opt = optax.adam(learning_rate)

    def n_of(theta, e):
        return jnp.clip(n_lo + jax.nn.softmax(theta) * e / slope, n_lo, n_hi)

    def loss(theta, e):
        o = dataclasses.replace(option, n=n_of(theta, e)[:, None])
        acc = option_accuracy(p, o, params)
        return -jnp.sum(m * jnp.sum(w * acc, axis=-1))

    def solve(e):
        theta0 = jnp.log(slope)  # shares proportional to m_b c1_b: the same extra N in every bin

        def step(carry, _):
            th, st = carry
            g = jax.grad(loss)(th, e)
            up, st = opt.update(g, st, th)
            return (optax.apply_updates(th, up), st), None

        (th, _), _ = jax.lax.scan(step, (theta0, opt.init(theta0)), None, length=steps)
        return n_of(th, e)

    return jax.vmap(solve)(extra)


def _relaxed_choice(binned, options, params, table: OptionTable, budgets, *, steps, learning_rate):
    """Optax on softmax shares of the extra budget, real-valued N; round down to the grid. (K, B) choices."""
    n_grid = np.asarray(options.n, np.float64)
    fields = {f: np.asarray(getattr(options, f)) for f in ("strategy", "t", "v", "model", "hardware")}
    if any(np.unique(x).size > 1 for x in fields.values()):
        raise ValueError("method: 'relaxed' needs options of one strategy/model/hardware that differ only in n")
    if n_grid.size < 2:
        raise ValueError("options: 'relaxed' needs at least two values of n")
    order = np.argsort(n_grid)
    n_lo, n_hi = n_grid[order[0]], n_grid[order[-1]]
    mass = table.mass
    # per-problem cost is linear in n: c_b(n) = c0_b + c1_b n (checked on the grid)
    c1 = (table.cost[:, order[-1]] - table.cost[:, order[0]]) / max(n_hi - n_lo, 1e-300)
    c0 = table.cost[:, order[0]] - c1 * n_lo
    pred = c0[:, None] + c1[:, None] * n_grid[None, :]
    if not np.allclose(pred, table.cost, rtol=1e-4, atol=1e-9 * max(1.0, np.abs(table.cost).max())):
        raise ValueError("method: 'relaxed' needs a cost linear in n (use unit 'samples', 'tokens' or a Kinetics cost)")
    base = float(np.sum(mass * (c0 + c1 * n_lo)))
    extra = np.maximum(np.asarray(budgets, np.float64) - base, 0.0)
    option = take_options(options, jnp.zeros((), jnp.int32))
    p = binned.p[int(fields["model"][0])]
    slope = jnp.asarray(np.maximum(mass * c1, 1e-30), jnp.float32)
    n_cont = np.asarray(_relaxed_solve(p, binned.weight, jnp.asarray(mass, jnp.float32), slope,
                                       jnp.asarray(extra, jnp.float32), jnp.float32(n_lo), jnp.float32(n_hi), option,
                                       params, steps=int(steps), learning_rate=float(learning_rate)), np.float64)
    # round down to the grid (cost is increasing in n), then step bins down until the budget holds
    sorted_n = n_grid[order]
    rank = np.clip(np.searchsorted(sorted_n, n_cont, side="right") - 1, 0, n_grid.size - 1)
    rows = np.arange(mass.size)
    for k, bud in enumerate(np.asarray(budgets, np.float64)):
        while not _feasible(np.sum(mass * table.cost[rows, order[rank[k]]]), bud) and np.any(rank[k] > 0):
            b = int(np.argmax(np.where(rank[k] > 0, mass * table.cost[rows, order[rank[k]]], -np.inf)))
            rank[k, b] -= 1
    return order[rank]


# ------------------------------------------------------------------------------ exhaustive


_HEAVY = tuple(STRATEGIES.index(s) for s in ("verifier_bon", "hybrid", "solver_verifier"))


@functools.partial(jax.jit, static_argnames=("chunk", "num_options", "num_bins", "inner"))
def _exhaustive_chunk(start, total, p, vt, weight, mass, cost_bj, options, params, budgets, carry, *, chunk,
                      num_options, num_bins, inner):
    best_acc, best_cost, best_idx = carry
    lin = start + jnp.arange(chunk, dtype=jnp.int64)
    valid = lin < total
    powers = jnp.asarray([num_options ** (num_bins - 1 - b) for b in range(num_bins)], jnp.int64)
    digits = ((lin[:, None] // powers[None, :]) % num_options).astype(jnp.int32)  # (chunk, B)
    bins = jnp.arange(num_bins)
    kk = jnp.arange(p.shape[-1])[None, :]

    def point_accuracy(d):  # one allocation: option d[b] in bin b; the models run here
        o = take_options(options, d)
        pb = p[o.model, bins]  # (B, K)
        gather = None
        if vt is not None:  # vote accuracy gathered at (model, bin, problem, k)
            gather = lambda k: vt[o.model[:, None], bins[:, None], kk, k]  # noqa: E731
        acc = option_accuracy(pb, jax.tree.map(lambda x: x[:, None], o), params, gather)
        return jnp.sum(mass * jnp.sum(weight * acc, axis=-1))

    acc_total = jax.lax.map(point_accuracy, digits, batch_size=inner).astype(best_acc.dtype)
    cost_total = jnp.sum(mass * jnp.take_along_axis(cost_bj.T[None], digits[:, None, :], 1)[:, 0, :], axis=-1)
    feas = valid[None, :] & (cost_total[None, :] <= budgets[:, None] + _REL_TOL * jnp.maximum(1.0, jnp.abs(budgets[:, None])))
    score = jnp.where(feas, acc_total[None, :], -jnp.inf)
    m = jnp.max(score, axis=1)
    k = jnp.argmin(jnp.where(score >= m[:, None], cost_total[None, :], jnp.inf), axis=1)
    c = cost_total[k]
    better = (m > best_acc) | ((m == best_acc) & (c < best_cost))
    return (jnp.where(better, m, best_acc), jnp.where(better, c, best_cost), jnp.where(better, lin[k], best_idx))


def _exhaustive(binned, options, params, cost_bj, budgets, *, chunk_size, mass=None, progress=False):
    num_b, num_j = binned.num_bins, options.num_options
    total = num_j**num_b
    chunk = int(min(chunk_size, total))
    heavy = any(s in _HEAVY for s in options.present)
    inner = max(1, min(chunk, 64 if heavy else chunk))  # bounds the models' working memory
    with enable_x64(True):
        budgets = jnp.asarray(budgets, jnp.float64)
        carry = (jnp.full(budgets.shape, -jnp.inf, jnp.float64), jnp.full(budgets.shape, jnp.inf, jnp.float64),
                 jnp.zeros(budgets.shape, jnp.int64))
        cost64 = jnp.asarray(cost_bj, jnp.float64)
        m = np.asarray(binned.mass, np.float64) if mass is None else np.asarray(mass, np.float64)
        mass64 = jnp.asarray(m / m.sum())
        vt = vote_table(binned.p, params) if _has_vote(options) else None
        starts = range(0, total, chunk)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="exhaustive", unit="chunk")
        for s in starts:
            carry = _exhaustive_chunk(jnp.int64(s), jnp.int64(total), binned.p, vt, binned.weight, mass64, cost64,
                                      options, params, budgets, carry, chunk=chunk, num_options=num_j, num_bins=num_b,
                                      inner=inner)
        best_acc, _, best_idx = (np.asarray(x) for x in carry)
    powers = np.array([num_j ** (num_b - 1 - b) for b in range(num_b)], np.int64)
    choice = (best_idx[:, None] // powers[None, :]) % num_j
    return choice.astype(np.int32), best_acc, total * num_b


# ------------------------------------------------------------------------------ public API


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
        on one bin's problems).
      exact_evaluations: bin-model evaluations of the exhaustive search (0 when not run).
      certified: ``(K,)`` bool, True where the method proved its allocation optimal.
      method: the method's name.
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


def _check_budgets(budget, C, where):
    budgets = np.atleast_1d(np.asarray(budget, np.float64))
    if budgets.ndim != 1:
        raise ValueError(f"{where}: budget must be a number or a 1-D array; got shape {budgets.shape}")
    if not np.all(np.isfinite(budgets)):
        raise ValueError(f"{where}: budget must be finite")
    floor = C.min(axis=1).sum()
    if np.any(~_feasible(floor, budgets)):
        raise ValueError(f"budget: {budgets.min():g} is below the cheapest allocation's cost {floor:g} (per problem)")
    return budgets


def allocate(table: OptionTable, budget, *, method: str = "knapsack", max_nodes: int = 200_000) -> OptimizeResult:
    r"""Best allocation from a precomputed :class:`OptionTable` (any source of per-bin curves).

    .. math:: \max_{j} \sum_b m_b a_{b j_b} \ \text{s.t.}\ \sum_b m_b c_{b j_b} \le C

    Args:
      table: per-bin ``accuracy``/``cost`` ``(B, J)`` and ``mass`` ``(B,)``.
      budget: scalar or ``(K,)`` average cost per problem.
      method: ``"knapsack"`` (greedy on hulls + polish + branch and bound), ``"lagrangian"``,
        ``"uniform"`` or ``"table_exact"`` (enumeration of the table, small grids only).
      max_nodes: branch-and-bound node limit per budget (``certified`` is False if hit).

    References: Sinha & Zoltners, The multiple-choice knapsack problem, Oper. Res. 1979.
    """
    acc = np.asarray(table.accuracy, np.float64)
    cost = np.asarray(table.cost, np.float64)
    mass = np.asarray(table.mass, np.float64)
    if acc.ndim != 2 or acc.shape != cost.shape or mass.shape != acc.shape[:1]:
        raise ValueError(f"table: accuracy/cost must be (B, J) and mass (B,); got {acc.shape}, {cost.shape}, {mass.shape}")
    if np.any(~np.isfinite(acc)) or np.any(~np.isfinite(cost)) or np.any(cost < 0):
        raise ValueError("table: accuracy and cost must be finite, cost >= 0")
    A, C = mass[:, None] * acc, mass[:, None] * cost
    budgets = _check_budgets(budget, C, "allocate")
    B, J = A.shape
    rows = np.arange(B)
    choices, bounds, cert = [], [], []
    inc = _increments(A, C) if method == "knapsack" else None
    for bud in budgets:
        if method == "knapsack":
            ch, bound = _greedy(A, C, bud, inc)
            ch = _polish(A, C, bud, ch)
            ch, ok = _branch_and_bound(A, C, bud, ch, max_nodes=max_nodes)
        elif method == "lagrangian":
            ch, bound = _lagrangian_choice(A, C, bud)
            ch = _polish(A, C, bud, np.asarray(ch))
            ok = False
        elif method == "uniform":
            tot_a, tot_c = A.sum(0), C.sum(0)
            feas = np.array([_feasible(c, bud) for c in tot_c])
            score = np.where(feas, tot_a, -np.inf)
            best = score.max()
            j = int(np.argmin(np.where(score >= best, tot_c, np.inf)))
            ch, bound, ok = np.full(B, j), np.nan, False
        elif method == "table_exact":
            if J**B > 4_000_000:
                raise ValueError(f"method: 'table_exact' enumerates J^B = {J}^{B} points; use 'knapsack' (exact when certified)")
            grid = np.stack(np.meshgrid(*[np.arange(J)] * B, indexing="ij"), -1).reshape(-1, B)
            ta, tc = A[rows, grid].sum(1), C[rows, grid].sum(1)
            score = np.where(tc <= bud + _REL_TOL * max(1.0, abs(bud)), ta, -np.inf)
            best = score.max()
            ch = grid[np.argmin(np.where(score >= best, tc, np.inf))]
            bound, ok = best, True
        else:
            raise ValueError(f"method: must be one of knapsack, lagrangian, uniform, table_exact; got {method!r}")
        choices.append(np.asarray(ch, np.int32))
        bounds.append(bound)
        cert.append(ok)
    return _result(np.stack(choices), acc, cost, mass, budgets, np.asarray(bounds, np.float64), np.asarray(cert),
                   evaluations=B * J, method=method)


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


def optimize_allocation(binned: BinnedPopulation, options: Options, budget, *, params: StrategyParams | None = None,
                        spec: CostSpec | None = None, method: str = "knapsack", compare_exact: bool = False,
                        max_exact_points: int = 4_000_000, chunk_size: int = 16_384, max_nodes: int = 200_000,
                        relaxed_steps: int = 300, learning_rate: float = 0.05, progress: bool = False) -> OptimizeResult:
    r"""Search for the compute-optimal allocation of a budget across difficulty bins.

    .. math:: \max_{j_1..j_B} \sum_b m_b\,a_{b j_b} \quad\text{s.t.}\quad \sum_b m_b\,c_{b j_b} \le C

    Args:
      binned: problems grouped by bin (:func:`bin_population`).
      options: the option grid (:func:`~ttsim.make_options`, :func:`~ttsim.concat_options`).
      budget: scalar or ``(K,)`` budgets: average cost per problem in ``spec.unit``.
      params: strategy constants (:func:`~ttsim.strategy_params`).
      spec: cost unit and cost models (:func:`cost_spec`).
      method: ``"knapsack"`` (default), ``"lagrangian"``, ``"relaxed"``, ``"uniform"`` or ``"exact"``.
      compare_exact: also run the exhaustive search (if ``J^B <= max_exact_points``) and report
        the gap and its evaluation count.
      chunk_size: grid points per chunk of the exhaustive search (bounds memory).
      max_nodes: branch-and-bound node limit (knapsack).
      relaxed_steps, learning_rate: Adam settings of the relaxation.

    Returns:
      :class:`OptimizeResult`.

    Raises:
      ValueError: an unknown method, a budget below the cheapest allocation, bad shapes.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(METHODS)}; got {method!r}")
    params = strategy_params() if params is None else params
    table = option_table(binned, options, params=params, spec=spec)
    A, C = table.mass[:, None] * table.accuracy, table.mass[:, None] * table.cost
    budgets = _check_budgets(budget, C, "optimize_allocation")
    B, J = table.accuracy.shape
    grid_points = J**B
    if method == "exact" and grid_points > max_exact_points:
        raise ValueError(f"max_exact_points: the exhaustive grid has J^B = {J}^{B} = {grid_points:.3g} points, more than "
                         f"max_exact_points = {max_exact_points:g}; raise it or use method='knapsack'")
    want_exact = method == "exact" or (compare_exact and grid_points <= max_exact_points)
    exact_choice = exact_acc = None
    exact_evals = 0
    if want_exact:
        exact_choice, exact_acc, exact_evals = _exhaustive(binned, options, params, table.cost, budgets,
                                                           chunk_size=chunk_size, mass=table.mass, progress=progress)
    if method == "exact":
        res = _result(exact_choice, table.accuracy, table.cost, table.mass, budgets, exact_acc,
                      np.ones(budgets.shape, bool), evaluations=exact_evals, method=method, exact_acc=exact_acc,
                      exact_evals=exact_evals)
        return res
    if method == "relaxed":
        rounded = _relaxed_choice(binned, options, params, table, budgets, steps=int(relaxed_steps),
                                  learning_rate=float(learning_rate))
        choices = [_polish(A, C, bud, ch).astype(np.int32) for bud, ch in zip(budgets, rounded)]
        evals = int(relaxed_steps) * B * len(budgets) + B * J
        return _result(np.stack(choices), table.accuracy, table.cost, table.mass, budgets,
                       np.full(budgets.shape, np.nan), np.zeros(budgets.shape, bool), evaluations=evals,
                       method=method, exact_acc=exact_acc, exact_evals=exact_evals)
    res = allocate(table, budgets, method=method, max_nodes=max_nodes)
    if exact_acc is not None:
        res = res._replace(exact_accuracy=np.asarray(exact_acc, np.float64), gap=np.asarray(exact_acc) - res.accuracy,
                           exact_evaluations=exact_evals)
    return res
