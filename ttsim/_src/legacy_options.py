"""Deprecated: the closed option grid of earlier versions (``make_options``, ``Options``, ``StrategyParams``).

Since the open core, a strategy is a value (:mod:`ttsim._src.strategies`) and an option grid is
any strategy with a batched params pytree (:func:`ttsim.optim.option_grid`). This module keeps
the old names working as adapters onto those values (each emits a DeprecationWarning), with
identical numbers: :func:`to_grid` turns an :class:`Options` grid and its :class:`StrategyParams`
into an :class:`~ttsim.optim.OptionGrid` of strategy values. The old description follows.

The optimizer searches over *options*: a strategy plus its parameters (N, T, M, S, V), a
model and a hardware index. This module turns an option into

* its expected accuracy on a problem of per-sample success probability ``p``, by calling the
  model of the area that owns the strategy (coverage, majority vote, verifier best-of-N,
  refinement chains, solver–verifier split) — thin adapters, no model is re-derived here;
* its *workload*: how many generations of how many tokens it spends, from which the optimizer's
  cost unit (samples, tokens, FLOPs, eFLOPs, seconds, dollars) is computed.

Strategies (index = position in :data:`STRATEGIES`):

================  ===============================================  ==========================
name              accuracy                                          workload (solutions)
================  ===============================================  ==========================
parallel          oracle best-of-N, :math:`1-(1-p)^N`               N × L tokens
majority_vote     plurality of N answers (``ttsim.majority_vote``)  N × L
verifier_bon      best of N by a binormal verifier, d′              N × L
sequential        one chain of T revisions (fix a, break b)         1 × T·L
hybrid            M chains of T revisions, verifier best-of-M       M × T·L
solver_verifier   S solutions, V generative verifications each      S × L  +  S·V × λ·L
================  ===============================================  ==========================

Conventions (stated once, used everywhere): a revision chain starts from one sample and makes
T − 1 revisions, so T counts generations; each revision fixes a wrong answer with probability
``a = fix_rate · p`` (a problem that is easy to solve is easy to fix) and breaks a right one
with probability ``break_rate``. With ``fix_rate = 1, break_rate = 0`` a chain of T
generations reaches :math:`1-(1-p)^T`, the TTSPM sequential curve.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import strategies as S

STRATEGIES = ("parallel", "majority_vote", "verifier_bon", "sequential", "hybrid", "solver_verifier")
"""Deprecated: names of the strategies the old ``Options`` grid can hold (``strategy`` indexes it)."""


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"ttsim.{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)

_ALIASES = {
    "best_of_n": "parallel",
    "coverage": "parallel",
    "oracle_best_of_n": "parallel",
    "vote": "majority_vote",
    "majority": "majority_vote",
    "verifier": "verifier_bon",
    "verifier_best_of_n": "verifier_bon",
    "revision": "sequential",
    "revisions": "sequential",
    "genrm": "solver_verifier",
    "split": "solver_verifier",
}


def strategy_index(name: str) -> int:
    """Index of strategy ``name`` in :data:`STRATEGIES` (a few aliases accepted); ValueError otherwise."""
    key = _ALIASES.get(str(name), str(name))
    if key not in STRATEGIES:
        import difflib

        close = difflib.get_close_matches(str(name), list(STRATEGIES) + list(_ALIASES), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"strategy: unknown strategy {name!r}{hint}; known: {', '.join(STRATEGIES)}")
    return STRATEGIES.index(key)


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=["strategy", "n", "t", "v", "model", "hardware"],
    meta_fields=["present"],
)
@dataclasses.dataclass(frozen=True)
class Options:
    """A grid of J candidate plans for one problem (arrays of shape ``(J,)``).

    Attributes:
      strategy: int32 index into :data:`STRATEGIES`.
      n: samples N (parallel, vote, verifier), chains M (hybrid) or solutions S (split).
      t: generations per chain T (sequential, hybrid); 1 otherwise.
      v: verifications per solution V (solver–verifier split); 0 otherwise.
      model: int32 index of the model (row of the population's ``p``; entry of the cost models).
      hardware: int32 index of the accelerator in the cost specification.
      present: static tuple of the strategy indices that occur (each is evaluated only if present).
    """

    strategy: jax.Array
    n: jax.Array
    t: jax.Array
    v: jax.Array
    model: jax.Array
    hardware: jax.Array
    present: tuple = ()

    @property
    def num_options(self) -> int:
        return int(self.n.shape[-1])


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=["wrong_mode_share", "d_prime", "fix_rate", "break_rate", "tpr", "fpr", "verify_cost"],
    meta_fields=["num_other", "vote_max_k", "split_max_v"],
)
@dataclasses.dataclass(frozen=True)
class StrategyParams:
    """Constants of the strategy models (arrays; swept without recompiling).

    Attributes:
      wrong_mode_share: share of the wrong mass on the dominant wrong answer, q = share·(1 − p)
        (majority vote; ``answer_probs``), as in ``ttsim.hybrid_accuracy``.
      d_prime: verifier separation d′ (binormal scores; verifier best-of-N and hybrid).
      fix_rate: a revision fixes a wrong answer with probability ``fix_rate · p``.
      break_rate: a revision breaks a right answer with probability ``break_rate``.
      tpr, fpr: a generative verification says "correct" with these rates (solver–verifier split).
      verify_cost: λ, tokens of one verification ÷ tokens of one solution.
      num_other: wrong answers besides the dominant one (static).
      vote_max_k: largest N the exact vote DP supports (static).
      split_max_v: largest V of the solver–verifier split (static).
    """

    wrong_mode_share: jax.Array
    d_prime: jax.Array
    fix_rate: jax.Array
    break_rate: jax.Array
    tpr: jax.Array
    fpr: jax.Array
    verify_cost: jax.Array
    num_other: int = 4
    vote_max_k: int = 64
    split_max_v: int = 32


def strategy_params(
    *,
    wrong_mode_share=0.3,
    d_prime=2.0,
    fix_rate=0.5,
    break_rate=0.02,
    tpr=0.8,
    fpr=0.2,
    verify_cost=1.0,
    num_other: int = 4,
    vote_max_k: int = 64,
    split_max_v: int = 32,
) -> StrategyParams:
    r"""Validated :class:`StrategyParams` (defaults: a moderate verifier and refiner).

    .. math:: a = \mathrm{fix\_rate}\cdot p,\quad b = \mathrm{break\_rate},\quad C_{\rm split} = S(1 + \lambda V)

    Deprecated: each strategy value has its own params (``ttsim.strategies``).

    Raises:
      ValueError: naming the first out-of-range constant.
    """
    from ttsim._src import validation as v

    _deprecated("strategy_params", "the params of each strategy value (ttsim.strategies.*)")

    vals = dict(wrong_mode_share=wrong_mode_share, fix_rate=fix_rate, break_rate=break_rate, tpr=tpr, fpr=fpr)
    for name, x in vals.items():
        v.check_probability(name, x, where="strategy_params")
    v.check_nonnegative("d_prime", d_prime, where="strategy_params")
    v.check_nonnegative("verify_cost", verify_cost, where="strategy_params")
    if int(num_other) < 1:
        raise ValueError(f"strategy_params: num_other must be >= 1; got {num_other}")
    f = jnp.float32
    return StrategyParams(
        wrong_mode_share=jnp.asarray(wrong_mode_share, f),
        d_prime=jnp.asarray(d_prime, f),
        fix_rate=jnp.asarray(fix_rate, f),
        break_rate=jnp.asarray(break_rate, f),
        tpr=jnp.asarray(tpr, f),
        fpr=jnp.asarray(fpr, f),
        verify_cost=jnp.asarray(verify_cost, f),
        num_other=int(num_other),
        vote_max_k=int(vote_max_k),
        split_max_v=int(split_max_v),
    )


def _as_list(x, name):
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a number or a non-empty list of numbers")
    return arr


def make_options(strategy: str, *, n=1, t=1, v=0, model=0, hardware=0) -> Options:
    r"""The cross product of parameter lists for one strategy, as :class:`Options`.

    .. math:: \{(N, T, V, m, h)\} = N\text{-list}\times T\text{-list}\times V\text{-list}\times\text{models}\times\text{hardware}

    Args:
      strategy: a name in :data:`STRATEGIES` (aliases such as ``"best_of_n"`` accepted).
      n, t, v: numbers or lists (N or M or S; T; V). Whole numbers, ``n, t >= 1``, ``v >= 0``.
      model, hardware: int or list of ints (indices into the population's models and the
        cost specification's hardware).

    Deprecated: use ``ttsim.optim.option_grid(strategy_value, **lists)``.

    Raises:
      ValueError: naming the offending parameter.
    """
    _deprecated("make_options", "ttsim.optim.option_grid(ttsim.strategies.<strategy>(), ...)")
    s = strategy_index(strategy)
    name = STRATEGIES[s]
    lists = {k: _as_list(x, k) for k, x in dict(n=n, t=t, v=v, model=model, hardware=hardware).items()}
    for k, arr in lists.items():
        if np.any(arr != np.round(arr)) or not np.all(np.isfinite(arr)):
            raise ValueError(f"{k}: must be whole numbers for strategy {name!r}; got {arr.tolist()}")
        lo = 1 if k in ("n", "t") else 0
        if np.any(arr < lo):
            raise ValueError(f"{k}: must be >= {lo} for strategy {name!r}; got min {arr.min():g}")
    if name in ("parallel", "majority_vote", "verifier_bon") and np.any(lists["t"] != 1):
        raise ValueError(f"t: strategy {name!r} has no sequential steps; leave t = 1")
    if name == "sequential" and np.any(lists["n"] != 1):
        raise ValueError("n: strategy 'sequential' runs one chain; use 'hybrid' for M > 1 chains")
    if name != "solver_verifier" and np.any(lists["v"] != 0):
        raise ValueError(f"v: only 'solver_verifier' takes verifications; got v for {name!r}")
    rows = np.array(list(itertools.product(*lists.values())), dtype=np.float64)
    j = rows.shape[0]
    return Options(
        strategy=jnp.full((j,), s, jnp.int32),
        n=jnp.asarray(rows[:, 0], jnp.float32),
        t=jnp.asarray(rows[:, 1], jnp.float32),
        v=jnp.asarray(rows[:, 2], jnp.float32),
        model=jnp.asarray(rows[:, 3], jnp.int32),
        hardware=jnp.asarray(rows[:, 4], jnp.int32),
        present=(s,),
    )


def concat_options(options: list[Options]) -> Options:
    """Join option grids (of any strategies) into one grid."""
    if not options:
        raise ValueError("options: need at least one option grid")
    present = tuple(sorted({s for o in options for s in o.present}))
    cat = {f: jnp.concatenate([getattr(o, f) for o in options]) for f in ("strategy", "n", "t", "v", "model", "hardware")}
    return Options(**cat, present=present)


def take_options(options: Options, index) -> Options:
    """The options at ``index`` (any integer array shape), keeping the static ``present`` set."""
    f = lambda x: x[index]  # noqa: E731
    return Options(
        strategy=f(options.strategy), n=f(options.n), t=f(options.t), v=f(options.v),
        model=f(options.model), hardware=f(options.hardware), present=options.present,
    )


def describe_option(options: Options, j: int, model_names=None, hardware_names=None) -> dict:
    """A plain dict describing option ``j`` (for tables and JSON)."""
    s = STRATEGIES[int(options.strategy[j])]
    out = {"strategy": s}
    n, t, v = int(options.n[j]), int(options.t[j]), int(options.v[j])
    if s in ("parallel", "majority_vote", "verifier_bon"):
        out["N"] = n
    elif s == "sequential":
        out["T"] = t
    elif s == "hybrid":
        out["M"], out["T"] = n, t
    else:
        out["S"], out["V"] = n, v
    m, h = int(options.model[j]), int(options.hardware[j])
    out["model"] = model_names[m] if model_names else m
    out["hardware"] = hardware_names[h] if hardware_names else h
    return out


# ------------------------------------------------------------------------ adapters onto values


def _rows(options: Options, sel):
    return {f: jnp.asarray(getattr(options, f))[sel] for f in ("n", "t", "v")}


def _group(s: int, options: Options, params: StrategyParams, sel: np.ndarray):
    """The strategy value and batched params of the rows ``sel`` (all of strategy ``s``)."""
    r = _rows(options, sel)
    ones = jnp.ones_like(r["n"])
    name = STRATEGIES[s]
    if name == "parallel":
        return S.parallel(), S.ParallelParams(r["n"])
    if name == "majority_vote":
        return (S.majority_vote(num_other=params.num_other, max_k=params.vote_max_k),
                S.MajorityVoteParams(r["n"], params.wrong_mode_share * ones))
    if name == "verifier_bon":
        return S.verifier_best_of_k(), S.VerifierParams(r["n"], params.d_prime * ones)
    if name == "sequential":
        return S.sequential(), S.SequentialParams(r["t"], params.fix_rate * ones, params.break_rate * ones)
    if name == "hybrid":
        return S.hybrid(aggregate="verifier"), S.HybridParams(r["n"], r["t"], params.fix_rate * ones,
                                                              params.break_rate * ones, params.d_prime * ones,
                                                              params.wrong_mode_share * ones)
    return (S.solver_verifier(max_verifications=params.split_max_v),
            S.SolverVerifierParams(r["n"], r["v"], params.tpr * ones, params.fpr * ones, params.verify_cost * ones))


def _check_options(options: Options, params: StrategyParams) -> None:
    strat = np.asarray(options.strategy)
    vote = strat == STRATEGIES.index("majority_vote")
    if vote.any() and np.asarray(options.n)[vote].max() > params.vote_max_k:
        raise ValueError(f"options: majority_vote N up to {np.asarray(options.n)[vote].max():g} exceeds "
                         f"params.vote_max_k = {params.vote_max_k}")
    split = strat == STRATEGIES.index("solver_verifier")
    if split.any() and np.asarray(options.v)[split].max() > params.split_max_v:
        raise ValueError(f"options: solver_verifier V up to {np.asarray(options.v)[split].max():g} exceeds "
                         f"params.split_max_v = {params.split_max_v}")


def to_grid(options: Options, params: StrategyParams | None = None):
    """The :class:`~ttsim.optim.OptionGrid` of strategy values equal to an old ``Options`` grid.

    Consecutive rows of one strategy become one group, so option ``j`` keeps its column.
    """
    from ttsim._src.option_grid import OptionGrid, OptionGroup

    if params is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            params = strategy_params()
    if not isinstance(params, StrategyParams):
        raise ValueError(f"params: the deprecated Options grid takes StrategyParams; got {type(params).__name__}")
    _check_options(options, params)
    strat = np.asarray(options.strategy)
    model, hw = np.asarray(options.model, np.int32), np.asarray(options.hardware, np.int32)
    groups = []
    start = 0
    for end in range(1, strat.size + 1):
        if end == strat.size or strat[end] != strat[start]:
            sel = np.arange(start, end)
            strategy, batched = _group(int(strat[start]), options, params, sel)
            groups.append(OptionGroup(strategy, batched, model[sel], hw[sel]))
            start = end
    return OptionGrid(tuple(groups))


def option_accuracy(p, options: Options, params: StrategyParams, vote_table=None) -> jax.Array:
    r"""Expected accuracy of each option on problems with per-sample success ``p`` (deprecated).

    .. math:: \mathrm{acc}(p, o) = f_{s(o)}(p;\ N_o, T_o, V_o), \quad f_s \text{ the strategy's model}

    ``p`` and the option fields broadcast (e.g. ``p[..., None]`` against ``(J,)`` options).
    Deprecated: call ``strategy.accuracy(p, params)`` of a strategy value. ``vote_table`` is
    ignored (kept for the signature).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (strategies compared per difficulty).
    """
    _deprecated("option_accuracy", "strategy.accuracy(p, params) of a ttsim.strategies value")
    p = jnp.asarray(p, jnp.float32)
    grid = to_grid(options, params)
    parts = []
    for g in grid.groups:
        acc = jnp.clip(g.strategy.accuracy(p, g.params), 0.0, 1.0)
        parts.append(jnp.broadcast_to(acc, jnp.broadcast_shapes(p.shape, (g.num_options,))))
    return parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=-1)


class OptionWorkload(NamedTuple):
    """What an option generates (deprecated two-batch form of the ``Workload`` phases).

    ``count_*`` generations each of ``length_*`` × L tokens (L = the problem's solution length);
    verification generations also read the solution (prompt grows by L).
    """

    count_solve: jax.Array
    length_solve: jax.Array
    count_verify: jax.Array
    length_verify: jax.Array


def option_workload(options: Options, params: StrategyParams) -> OptionWorkload:
    r"""The generations each option spends, in solution-length units (deprecated).

    .. math:: \text{samples} = n_{\rm solve}\,\ell_{\rm solve} + n_{\rm verify}\,\ell_{\rm verify}

    Deprecated: ``strategy.workload(params)`` gives the phases.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    _deprecated("option_workload", "strategy.workload(params) of a ttsim.strategies value")
    cols = [[], [], [], []]
    for g in to_grid(options, params).groups:
        phases = g.strategy.workload(g.params).phases
        solve = phases[0]
        zero = jnp.zeros_like(solve.count)
        verify = phases[1] if len(phases) > 1 else solve._replace(count=zero, length=zero)
        for i, x in enumerate((solve.count, solve.length, verify.count, verify.length)):
            cols[i].append(jnp.broadcast_to(x, (g.num_options,)))
    return OptionWorkload(*(jnp.concatenate(c) for c in cols))


def option_samples(options: Options, params: StrategyParams) -> jax.Array:
    r"""Budget of each option in solution-equivalents, :math:`n_s\ell_s + n_v\ell_v` (deprecated).

    Deprecated: ``ttsim.strategies.total_samples(strategy.workload(params))``.
    """
    _deprecated("option_samples", "ttsim.strategies.total_samples(strategy.workload(params))")
    parts = [jnp.broadcast_to(S.total_samples(g.strategy.workload(g.params)), (g.num_options,))
             for g in to_grid(options, params).groups]
    return jnp.concatenate(parts)
