"""Splitting a budget between solutions and verifications: GenRM frontiers, SC vs GenRM, crossovers.

A budget :math:`C = S(1 + \\lambda V)` buys S solutions and V verifications each; these
functions search the compute-optimal (S, V) per budget, compare with self-consistency, and
summarise where GenRM catches up (:mod:`ttsim._src.verification` holds the exact model).

References: Singhi et al., `When To Solve, When To Verify
<https://arxiv.org/abs/2504.01005>`_, 2025.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.deprecation import renamed_kwargs
from ttsim._src.population import ProblemSet
from ttsim._src.verification import (
    _check_correlation,
    _check_population_verifier,
    _population_genrm,
    _solutions_for_budget,
)


class SplitFrontier(NamedTuple):
    """SC vs compute-optimal GenRM over a budget grid (all arrays have the budget's shape ``(B,)``).

    Attributes:
      budget: C, in units of one solution.
      sc_accuracy: majority vote over :math:`\\min(\\lfloor C \\rfloor, K)` solutions.
      genrm_accuracy: best GenRM accuracy over V = 1..max with S = S(C, V).
      genrm_solutions, genrm_verifications: the compute-optimal (S, V).
      genrm_table: ``(B, max_verifications)`` GenRM accuracy at V = 1..max (NaN when S < 1).
      best_strategy_accuracy: max of SC and GenRM.
    """

    budget: jax.Array
    sc_accuracy: jax.Array
    genrm_accuracy: jax.Array
    genrm_solutions: jax.Array
    genrm_verifications: jax.Array
    genrm_table: jax.Array
    best_strategy_accuracy: jax.Array


class GenRMFrontier(NamedTuple):
    """Compute-optimal GenRM per budget (arrays over the budget axis, last).

    Attributes:
      accuracy: best accuracy over V = 1..max. solutions, verifications: the optimal (S, V).
      table: accuracy at V = 1..max (trailing axis; NaN where S < 1).
    """

    accuracy: jax.Array
    solutions: jax.Array
    verifications: jax.Array
    table: jax.Array


@renamed_kwargs(lam="verify_cost")
def genrm_frontier(
    problems: ProblemSet,
    tpr,
    fpr,
    verify_cost,
    budget,
    *,
    max_verifications: int = 32,
    integer_solutions: bool = True,
    correlation=0.0,
) -> GenRMFrontier:
    r"""Compute-optimal split of each budget between solutions and verifications (GenRM only).

    .. math:: (S^*, V^*)(C) = \arg\max_{1 \le V \le V_{\max}} \sum_i w_i\,\mathrm{acc}_i\big(\lfloor C/(1+\lambda V)\rfloor, V\big)

    A pure function of arrays: ``jax.vmap`` it over ``tpr``, ``fpr`` and ``verify_cost`` (λ,
    formerly ``lam=``) to sweep verifier quality and cost (one trace). ``tpr``/``fpr`` are
    scalars or ``(P,)`` per problem; ``verify_cost`` and ``correlation`` (see :func:`genrm_accuracy`) scalars; ``budget``
    ``(B,)``. Budgets that cannot buy one solution at V = 1 give NaN.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    where = "genrm_frontier"
    p, tpr, fpr = _check_population_verifier(where, problems, tpr, fpr)
    dt = p.dtype
    lam = v.asarray(verify_cost, dt)
    if lam.ndim != 0:
        raise ValueError(f"{where}: verify_cost must be a scalar (vmap to sweep it); got shape {lam.shape}")
    v.check_nonnegative("verify_cost", lam, where=where)
    budget = v.asarray(budget, dt)
    if budget.ndim != 1 or budget.shape[0] == 0:
        raise ValueError(f"{where}: budget must be a non-empty 1-D array; got shape {budget.shape}")
    v.check_in_range("budget", budget, 1.0, np.inf, hi_open=True, where=where)
    max_verifications = int(max_verifications)
    if max_verifications < 1:
        raise ValueError(f"{where}: max_verifications must be >= 1; got {max_verifications}")
    correlation = _check_correlation(where, correlation, dt)
    if correlation.ndim != 0:
        raise ValueError(f"{where}: correlation must be a scalar (vmap to sweep it); got shape {correlation.shape}")
    return GenRMFrontier(
        *_genrm_frontier(
            problems, tpr, fpr, lam, budget, correlation, max_verifications, bool(integer_solutions)
        )
    )


@functools.partial(jax.jit, static_argnames=("max_verifications", "integer_solutions"))
def _genrm_frontier(problems, tpr, fpr, lam, budget, correlation, max_verifications, integer_solutions):
    vs = jnp.arange(1, max_verifications + 1, dtype=problems.p.dtype)  # (V,)
    s = _solutions_for_budget(budget[:, None], vs[None, :], lam, integer_solutions)  # (B, V)
    feasible = s >= 1.0
    s_eval = jnp.where(feasible, s, 1.0)
    acc = _population_genrm(problems, tpr, fpr, s_eval, jnp.broadcast_to(vs, s.shape), correlation, max_verifications)
    table = jnp.where(feasible, acc, jnp.nan)
    masked = jnp.where(feasible, acc, -jnp.inf)
    idx = jnp.argmax(masked, axis=-1)
    best = jnp.take_along_axis(masked, idx[:, None], axis=-1)[:, 0]
    best_s = jnp.take_along_axis(s, idx[:, None], axis=-1)[:, 0]
    best_v = vs[idx]
    none = best == -jnp.inf
    return (
        jnp.where(none, jnp.nan, best),
        jnp.where(none, jnp.nan, best_s),
        jnp.where(none, jnp.nan, best_v),
        table,
    )


@renamed_kwargs(lam="verify_cost", dominant_share="wrong_mode_share")
def verify_split_frontier(
    problems: ProblemSet,
    tpr,
    fpr,
    verify_cost,
    budget,
    *,
    max_verifications: int = 32,
    wrong_mode_share=0.3,
    num_other: int = 8,
    integer_solutions: bool = True,
    sc_max_solutions: int = 256,
    correlation=0.0,
) -> SplitFrontier:
    r"""Self-consistency vs the compute-optimal generative verifier at each budget.

    .. math:: \mathrm{GenRM}^*(C) = \max_{1\le V\le V_{\max}} \mathrm{acc}\big(S(C, V), V\big),
              \quad S(C, V) = \lfloor C/(1+\lambda V)\rfloor, \qquad
              \mathrm{SC}(C) = \mathrm{maj}(\lfloor C\rfloor)

    GenRM accuracies are exact (:func:`genrm_accuracy`, uniform tie-break) and averaged over
    the population; SC is the exact :func:`ttsim.population_majority_vote` with problem i's
    answer distribution ``answer_probs(p_i, wrong_mode_share (1 - p_i), num_other)`` over
    :math:`\min(\lfloor C\rfloor, K)` solutions, K = ``sc_max_solutions`` (SC has saturated long
    before; beyond K its extra budget is left unspent, which keeps SC exact and monotone).

    Args:
      problems: the population (``ProblemSet``, unbatched).
      tpr, fpr: verifier rates, scalars or ``(P,)`` per problem.
      verify_cost: λ = verification cost / solution cost (scalar >= 0; formerly ``lam=``).
      budget: ``(B,)`` budgets C >= 1, in units of one solution.
      max_verifications: largest V searched (static).
      wrong_mode_share, num_other: the wrong-answer model for SC (share default 0.3, as
        everywhere in ttsim; formerly ``dominant_share=``, whose default was 0.5).
      integer_solutions: whole S (static); False allows the continuous relaxation.
      sc_max_solutions: K, the most solutions SC votes over (static; exact vote table up to K).
      correlation: verdict correlation within a solution (:func:`genrm_accuracy`).

    Returns:
      :class:`SplitFrontier`.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    from ttsim._src.vote import population_majority_vote

    where = "verify_split_frontier"
    acc, s_opt, v_opt, table = genrm_frontier(
        problems,
        tpr,
        fpr,
        verify_cost,
        budget,
        max_verifications=max_verifications,
        integer_solutions=integer_solutions,
        correlation=correlation,
    )
    budget = v.asarray(budget, problems.p.dtype)
    sc_max_solutions = int(sc_max_solutions)
    if sc_max_solutions < 1:
        raise ValueError(f"{where}: sc_max_solutions must be >= 1; got {sc_max_solutions}")
    k_sc = jnp.minimum(jnp.floor(budget * (1.0 + 1e-6)), sc_max_solutions)
    sc = population_majority_vote(
        problems, k_sc, wrong_mode_share=wrong_mode_share, num_other=num_other, method="exact", max_k=sc_max_solutions
    )
    best = jnp.fmax(sc, acc)
    return SplitFrontier(budget, sc, acc, s_opt, v_opt, table, best)


# ----------------------------------------------------------------------------- summaries


def compute_to_match(budget, accuracy, target) -> float:
    r"""Smallest budget at which an accuracy curve reaches ``target`` (log-linear interpolation).

    .. math:: C^* = \min\{C : \mathrm{acc}(C) \ge \mathrm{target}\}, \quad
              \log C^* \text{ interpolated linearly between the bracketing grid points}

    Returns NaN when the curve never reaches the target on the grid.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    c = np.asarray(budget, dtype=np.float64)
    a = np.asarray(accuracy, dtype=np.float64)
    if c.ndim != 1 or c.shape != a.shape:
        raise ValueError(f"compute_to_match: budget and accuracy must be 1-D of equal length; got {c.shape}, {a.shape}")
    order = np.argsort(c)
    c, a = c[order], np.where(np.isnan(a[order]), -np.inf, a[order])
    hit = np.flatnonzero(a >= target)
    if hit.size == 0:
        return float("nan")
    i = int(hit[0])
    if i == 0 or not np.isfinite(a[i - 1]):
        return float(c[i])
    t = (target - a[i - 1]) / (a[i] - a[i - 1])
    return float(np.exp(np.log(c[i - 1]) + t * (np.log(c[i]) - np.log(c[i - 1]))))


class Crossover(NamedTuple):
    """Where GenRM catches up with SC on a budget grid (budgets NaN when it never does)."""

    sc_peak_accuracy: float
    sc_peak_budget: float
    genrm_match_budget: float
    compute_multiple: float
    first_win_budget: float
    max_gain: float


def verifying_crossover(frontier: SplitFrontier, *, plateau_tol: float = 0.002) -> Crossover:
    r"""The compute multiple at which compute-optimal GenRM first matches SC's best accuracy.

    .. math:: m = \frac{\min\{C: \mathrm{GenRM}^*(C) \ge A_{SC}\}}{\min\{C: \mathrm{SC}(C) \ge A_{SC} - \epsilon\}},
              \qquad A_{SC} = \max_C \mathrm{SC}(C)

    (ε = ``plateau_tol`` picks the start of SC's plateau). Also reports the first grid
    budget where GenRM beats SC at equal compute and the largest gain GenRM − SC.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025
    ("GenRM first matches SC after up to 8x the compute").
    """
    c = np.asarray(frontier.budget, dtype=np.float64)
    sc = np.asarray(frontier.sc_accuracy, dtype=np.float64)
    g = np.asarray(frontier.genrm_accuracy, dtype=np.float64)
    peak = float(np.nanmax(sc))
    sc_budget = compute_to_match(c, sc, peak - float(plateau_tol))
    match = compute_to_match(c, g, peak)
    wins = np.flatnonzero(np.nan_to_num(g, nan=-np.inf) > sc)
    gain = g - sc
    return Crossover(
        sc_peak_accuracy=peak,
        sc_peak_budget=sc_budget,
        genrm_match_budget=match,
        compute_multiple=match / sc_budget,
        first_win_budget=float(c[wins[0]]) if wins.size else float("nan"),
        max_gain=float(np.nanmax(gain)) if np.any(np.isfinite(gain)) else float("nan"),
    )


class SplitExponents(NamedTuple):
    """Power-law fits ``S_opt = s_coef * C**a`` and ``V_opt = v_coef * C**b`` (log-log least squares)."""

    a: float
    b: float
    s_coef: float
    v_coef: float
    num_points: int


def fit_split_exponents(budget, solutions, verifications) -> SplitExponents:
    r"""Fit :math:`S_{opt} \propto C^a` and :math:`V_{opt} \propto C^b` by least squares in log-log.

    .. math:: \log S_{opt} = a \log C + \log k_S, \qquad \log V_{opt} = b \log C + \log k_V

    Points with non-finite or non-positive S or V are dropped.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025
    (Llama-3.1-8B MATH: a = 0.57, b = 0.39).
    """
    c, s, vv = (np.asarray(x, dtype=np.float64) for x in (budget, solutions, verifications))
    if not (c.shape == s.shape == vv.shape) or c.ndim != 1:
        raise ValueError("fit_split_exponents: budget, solutions, verifications must be 1-D of equal length")
    keep = np.isfinite(s) & np.isfinite(vv) & (s > 0) & (vv > 0) & (c > 0)
    if keep.sum() < 2:
        raise ValueError("fit_split_exponents: need at least two budgets with finite, positive S and V")
    x = np.log(c[keep])
    a, ls = np.polyfit(x, np.log(s[keep]), 1)
    b, lv = np.polyfit(x, np.log(vv[keep]), 1)
    return SplitExponents(a=float(a), b=float(b), s_coef=float(np.exp(ls)), v_coef=float(np.exp(lv)), num_points=int(keep.sum()))
