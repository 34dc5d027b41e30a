"""Solver vs verifier: splitting one budget between solutions and generative verifications.

A budget :math:`C = S(1 + \\lambda V)` buys S solutions and V verifications of each
(λ = cost of one verification / cost of one solution). Self-consistency (SC) spends it all
on solutions and takes the plurality answer; a generative verifier (GenRM) scores each
solution by the mean of V binary verdicts and returns the highest-scoring solution.

Verifier model: each verdict on a correct solution says "correct" with probability ``tpr``,
on a wrong one with probability ``fpr``, independently. Solutions are i.i.d., each correct
with probability p, and judged independently; the final answer is correct iff the chosen
solution is correct. (Wrong solutions may share an answer in reality; that only matters
for the ``"vote"`` tie-break, which takes the answer distribution explicitly.)

Exact accuracy (uniform tie-break). A solution's verdict count X has
:math:`g(s) = \\Pr(X = s) = p\\,\\mathrm{Bin}(s; V, \\mathrm{tpr}) + (1-p)\\,\\mathrm{Bin}(s; V, \\mathrm{fpr})`
and CDF G. The top score equals s with probability :math:`G(s)^S - G(s-1)^S`; given that,
the tied top solutions are i.i.d. draws conditioned on X = s, each correct with probability
:math:`p\\,\\mathrm{Bin}(s; V, \\mathrm{tpr}) / g(s)`, and a uniform pick among them is
correct with that same probability. Hence the O(V) closed sum

.. math:: \\mathrm{acc}(S, V) = \\sum_{s=0}^{V} \\big[G(s)^S - G(s-1)^S\\big]\\,
          \\frac{p\\,\\mathrm{Bin}(s; V, \\mathrm{tpr})}{g(s)},

valid for real S >= 1. V = 0 gives p (random choice), ``tpr == fpr`` gives p,
V → ∞ with tpr > fpr gives coverage :math:`1 - (1-p)^S`. Only the per-solution score law
enters, so correlated verdicts (``correlation`` ρ > 0: each solution has its own "yes" rate
drawn from a Beta with mean tpr or fpr, scores beta-binomial) use the same sum.

References: Singhi et al., `When To Solve, When To Verify
<https://arxiv.org/abs/2504.01005>`_, 2025; Zhang et al., `Generative Verifiers
<https://arxiv.org/abs/2408.15240>`_, 2024.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betaln, gammaln

from ttsim._src import validation as v
from ttsim._src.deprecation import renamed_kwargs
from ttsim._src.numerics import float_dtype
from ttsim._src.population import ProblemSet
from ttsim._src.traceable import traceable

_TIE_BREAKS = ("uniform", "vote")


# ----------------------------------------------------------------------------- budget


@traceable
@renamed_kwargs(lam="verify_cost")
def verification_budget(num_solutions, num_verifications, verify_cost) -> jax.Array:
    r"""Compute of S solutions with V verifications each, in units of one solution.

    .. math:: C = S\,(1 + \lambda V)

    Args:
      num_solutions: S (>= 0). num_verifications: V (>= 0). verify_cost: λ = verification
        cost / solution cost (>= 0; formerly ``lam=``). All broadcast.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    dt = float_dtype(num_solutions, num_verifications, verify_cost)
    s, vv, lam = (v.asarray(x, dt) for x in (num_solutions, num_verifications, verify_cost))
    for name, x in (("num_solutions", s), ("num_verifications", vv), ("verify_cost", lam)):
        v.check_nonnegative(name, x, where="verification_budget")
    return s * (1.0 + lam * vv)


@traceable
@renamed_kwargs(lam="verify_cost")
def solutions_for_budget(budget, num_verifications, verify_cost, *, integer: bool = True) -> jax.Array:
    r"""Solutions a budget affords at V verifications each: :math:`S = C / (1 + \lambda V)`.

    .. math:: S(C, V) = \Big\lfloor \frac{C}{1 + \lambda V} \Big\rfloor \quad(\text{or unrounded})

    Args:
      budget: C (>= 0), in solutions. num_verifications: V (>= 0). verify_cost: λ (>= 0;
        formerly ``lam=``). Broadcast.
      integer: round down to whole solutions (static).

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    dt = float_dtype(budget, num_verifications, verify_cost)
    c, vv, lam = (v.asarray(x, dt) for x in (budget, num_verifications, verify_cost))
    for name, x in (("budget", c), ("num_verifications", vv), ("verify_cost", lam)):
        v.check_nonnegative(name, x, where="solutions_for_budget")
    return _solutions_for_budget(c, vv, lam, integer)


def _solutions_for_budget(c, vv, lam, integer):
    s = c / (1.0 + lam * vv)
    # A hair of slack so that C = S (1 + lam V) computed in float rounds back to S.
    return jnp.floor(s * (1.0 + 1e-6)) if integer else s


# ----------------------------------------------------------------------------- exact GenRM


def _binom_pmf_levels(num_verifications, prob, levels, correlation=None):
    """P(score count = s) for s in ``levels`` (trailing axis), 0 where s > V.

    Binomial(V, prob) when ``correlation`` is 0 (verdicts independent); beta-binomial with
    mean ``prob`` and intra-solution correlation ρ otherwise (the solution's own "yes" rate
    r ~ Beta(prob (1-ρ)/ρ, (1-prob)(1-ρ)/ρ), verdicts i.i.d. given r). Safe at prob in {0, 1}.
    """
    n = num_verifications[..., None]
    s = levels
    valid = s <= n
    ns = jnp.where(valid, n - s, 0.0)
    q = prob[..., None]
    log_comb = gammaln(n + 1.0) - gammaln(s + 1.0) - gammaln(ns + 1.0)
    qs = jnp.clip(q, 0.0, 1.0)
    pos = qs > 0
    lt1 = qs < 1
    log_q = jnp.where(pos, jnp.log(jnp.where(pos, qs, 1.0)), -jnp.inf)
    log_1mq = jnp.where(lt1, jnp.log1p(-jnp.where(lt1, qs, 0.0)), -jnp.inf)
    term_s = jnp.where(s == 0, 0.0, s * log_q)
    term_f = jnp.where(ns == 0, 0.0, ns * log_1mq)
    logpmf = log_comb + term_s + term_f
    if correlation is not None:
        rho = jnp.clip(correlation[..., None], 0.0, 1.0)
        mixed = (rho > 0) & pos & lt1
        conc = jnp.where(mixed, (1.0 - rho) / jnp.where(mixed, rho, 1.0), 1.0)
        conc = jnp.maximum(conc, 1e-30)
        a = jnp.where(mixed, qs, 0.5) * conc
        b = jnp.where(mixed, 1.0 - qs, 0.5) * conc
        log_bb = log_comb + betaln(s + a, ns + b) - betaln(a, b)
        logpmf = jnp.where(mixed, log_bb, logpmf)
    return jnp.where(valid, jnp.exp(jnp.where(valid, logpmf, -jnp.inf)), 0.0)


def _score_law(p, tpr, fpr, num_verifications, max_verifications, correlation):
    """Per-level joint masses of (correct, score) and (wrong, score), and log CDFs of the score."""
    levels = jnp.arange(max_verifications + 1, dtype=p.dtype)
    f_true = p[..., None] * _binom_pmf_levels(num_verifications, tpr, levels, correlation)
    f_false = (1.0 - p)[..., None] * _binom_pmf_levels(num_verifications, fpr, levels, correlation)
    g = f_true + f_false
    cdf = jnp.cumsum(g, axis=-1)
    # Upper tail sum_{t > s} g(t), summed from the top (no cancellation near the maximum).
    upper = jnp.cumsum(g[..., ::-1], axis=-1)[..., ::-1] - g
    upper = jnp.clip(upper, 0.0, 1.0)
    small = upper < 0.5
    log_cdf = jnp.where(
        small,
        jnp.log1p(-jnp.where(small, upper, 0.0)),
        jnp.log(jnp.where(small | (cdf <= 0), 1.0, cdf)),
    )
    log_cdf = jnp.where(small | (cdf > 0), log_cdf, -jnp.inf)
    log_cdf_prev = jnp.concatenate([jnp.full(log_cdf.shape[:-1] + (1,), -jnp.inf, log_cdf.dtype), log_cdf[..., :-1]], -1)
    return f_true, f_false, g, log_cdf, log_cdf_prev


def _prob_max_is(log_cdf, log_cdf_prev, num_solutions):
    """``G(s)^S - G(s-1)^S`` = exp(S log G(s)) * (1 - exp(S (log G(s-1) - log G(s)))), safely."""
    s = num_solutions[..., None]
    alive = log_cdf > -jnp.inf
    lc = jnp.where(alive, log_cdf, 0.0)
    has_prev = log_cdf_prev > -jnp.inf
    lp = jnp.where(has_prev, log_cdf_prev, 0.0)
    top = jnp.exp(s * lc)
    frac = jnp.where(has_prev, -jnp.expm1(s * jnp.minimum(lp - lc, 0.0)), 1.0)
    return jnp.where(alive, top * frac, 0.0)


@functools.partial(jax.jit, static_argnames=("max_verifications",))
def _genrm_uniform(p, tpr, fpr, num_solutions, num_verifications, max_verifications, correlation):
    # No up-front broadcast: the verdict-count laws depend on (V, tpr, fpr, correlation) only,
    # so they are computed on that (usually small) shape and broadcast against p and S after.
    shape = jnp.broadcast_shapes(p.shape, tpr.shape, fpr.shape, num_solutions.shape,
                                 num_verifications.shape, correlation.shape)
    f_true, _, g, log_cdf, log_cdf_prev = _score_law(p, tpr, fpr, num_verifications, max_verifications, correlation)
    pmax = _prob_max_is(log_cdf, log_cdf_prev, num_solutions)
    pos = g > 0
    share = jnp.where(pos, f_true / jnp.where(pos, g, 1.0), 0.0)
    return jnp.broadcast_to(jnp.clip(jnp.sum(pmax * share, axis=-1), 0.0, 1.0), shape)


@functools.partial(jax.jit, static_argnames=("max_verifications", "max_solutions"))
def _genrm_vote(probs, tpr, fpr, num_solutions, num_verifications, max_verifications, max_solutions, correlation):
    from ttsim._src.vote import majority_vote_table

    p = probs[..., 0]
    shape = jnp.broadcast_shapes(
        p.shape, tpr.shape, fpr.shape, num_solutions.shape, num_verifications.shape, correlation.shape
    )
    p, tpr, fpr, num_solutions, num_verifications, correlation = (
        jnp.broadcast_to(x, shape) for x in (p, tpr, fpr, num_solutions, num_verifications, correlation)
    )
    probs = jnp.broadcast_to(probs, shape + probs.shape[-1:])
    levels = jnp.arange(max_verifications + 1, dtype=p.dtype)
    bin_t = _binom_pmf_levels(num_verifications, tpr, levels, correlation)  # (..., L)
    bin_f = _binom_pmf_levels(num_verifications, fpr, levels, correlation)
    f_true, f_false, g, log_cdf, log_cdf_prev = _score_law(
        p, tpr, fpr, num_verifications, max_verifications, correlation
    )
    # Answer distribution of one solution conditioned on its score being s.
    joint = probs[..., None, :] * jnp.concatenate(
        [bin_t[..., None], jnp.broadcast_to(bin_f[..., None], bin_f.shape + (probs.shape[-1] - 1,))], axis=-1
    )  # (..., L, A)
    pos = g > 0
    cond = jnp.where(pos[..., None], joint / jnp.where(pos, g, 1.0)[..., None], 1.0 / probs.shape[-1])
    vote = majority_vote_table(cond, max_solutions)  # (..., L, M + 1): plurality of m tied solutions
    m = jnp.arange(max_solutions + 1, dtype=p.dtype)
    s = num_solutions[..., None, None]
    ok = (m >= 1) & (m <= s)
    rest = jnp.where(ok, s - m, 0.0)
    log_comb = gammaln(s + 1.0) - gammaln(m + 1.0) - gammaln(rest + 1.0)
    log_g = jnp.where(pos, jnp.log(jnp.where(pos, g, 1.0)), -jnp.inf)[..., None]
    lprev = log_cdf_prev[..., None]
    term_prev = jnp.where(rest == 0, 0.0, rest * jnp.where(lprev > -jnp.inf, lprev, 0.0))
    dead_prev = (rest > 0) & (lprev == -jnp.inf)
    logw = log_comb + jnp.where(pos[..., None], m * jnp.where(pos[..., None], log_g, 0.0), -jnp.inf) + term_prev
    weight = jnp.where(ok & ~dead_prev & pos[..., None], jnp.exp(jnp.where(ok, logw, -jnp.inf)), 0.0)
    return jnp.clip(jnp.sum(weight * vote, axis=(-2, -1)), 0.0, 1.0)


def _check_common(where, tpr, fpr, num_solutions, num_verifications, max_verifications, dt):
    tpr, fpr, num_solutions, num_verifications = (
        v.asarray(x, dt) for x in (tpr, fpr, num_solutions, num_verifications)
    )
    v.check_probability("tpr", tpr, where=where)
    v.check_probability("fpr", fpr, where=where)
    v.check_in_range("num_solutions", num_solutions, 1.0, np.inf, hi_open=True, where=where)
    v.check_count("num_verifications", num_verifications, where=where)
    if max_verifications is None:
        vals = v.static_values(num_verifications)
        if vals is None:
            raise ValueError(f"{where}: num_verifications is traced; pass a static max_verifications")
        max_verifications = int(vals.max()) if vals.size else 0
    max_verifications = int(max_verifications)
    if max_verifications < 0:
        raise ValueError(f"{where}: max_verifications must be >= 0; got {max_verifications}")
    vals = v._values(num_verifications)
    if vals is not None and vals.size and vals.max() > max_verifications:
        raise ValueError(f"{where}: num_verifications must be <= max_verifications={max_verifications}; got {vals.max()!r}")
    return tpr, fpr, num_solutions, num_verifications, max_verifications


def genrm_accuracy(
    p,
    tpr,
    fpr,
    num_solutions,
    num_verifications,
    *,
    max_verifications: int | None = None,
    tie_break: str = "uniform",
    probs=None,
    max_solutions: int | None = None,
    correlation=0.0,
) -> jax.Array:
    r"""Exact accuracy of best-of-S selection by a generative verifier with V verdicts per solution.

    Uniform tie-break (see the module docstring for the derivation):

    .. math:: \mathrm{acc} = \sum_{s=0}^{V} \big[G(s)^S - G(s-1)^S\big]\,\frac{p\,b_T(s)}{p\,b_T(s) + (1-p)\,b_F(s)},
              \qquad b_T = \mathrm{Bin}(\cdot; V, \mathrm{tpr}),\; b_F = \mathrm{Bin}(\cdot; V, \mathrm{fpr})

    with G the CDF of a solution's verdict count. ``tie_break="vote"`` returns the plurality
    answer among the top-scoring solutions instead; with :math:`m` of them tied at level s,

    .. math:: \mathrm{acc} = \sum_{s}\sum_{m=1}^{S}\binom{S}{m} g(s)^m G(s-1)^{S-m}\;
              \mathrm{maj}\big(\pi(\cdot \mid s), m\big), \quad
              \pi(a \mid s) \propto \pi_a\,[b_T(s)\,\mathbf 1\{a=0\} + b_F(s)\,\mathbf 1\{a\ne0\}]

    (:func:`ttsim.majority_vote`'s exact table; needs whole S <= ``max_solutions``).

    Everything broadcasts and is jittable/vmappable; ``max_verifications`` (levels
    0..max) and ``max_solutions`` are static. Pass ``max_verifications`` under jit/vmap.

    Args:
      p: per-solution success probability in [0, 1] (ignored when ``probs`` is given).
      tpr: P(verdict "correct" | solution correct), in [0, 1].
      fpr: P(verdict "correct" | solution wrong), in [0, 1].
      num_solutions: S >= 1 (real allowed for ``"uniform"``).
      num_verifications: V, whole numbers >= 0.
      max_verifications: static upper bound on V (default: max of a concrete V).
      tie_break: ``"uniform"`` or ``"vote"`` (static).
      probs: ``(..., A)`` answer distribution (index 0 correct) for ``"vote"``; p = probs[..., 0].
      max_solutions: static bound on S for ``"vote"`` (default: max of a concrete S).
      correlation: ρ in [0, 1), correlation of verdicts on the same solution. 0 (default):
        verdicts independent given correctness (Binomial scores). ρ > 0: each solution has its
        own "yes" rate r ~ Beta with mean tpr (correct) or fpr (wrong) and
        :math:`\mathrm{Var}\,r = \rho\,\mathrm{tpr}(1-\mathrm{tpr})`; scores are beta-binomial,
        so more verdicts cannot fully separate right from wrong (V → ∞ stays below coverage).

    Returns:
      the broadcast shape of the inputs; accuracies in [0, 1].

    Raises:
      ValueError: for out-of-range arguments, V > max_verifications, an unknown tie_break,
        or ``"vote"`` without ``probs``.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025;
    Zhang et al., `Generative Verifiers <https://arxiv.org/abs/2408.15240>`_, 2024.
    """
    where = "genrm_accuracy"
    if tie_break not in _TIE_BREAKS:
        raise ValueError(f"{where}: tie_break must be one of {_TIE_BREAKS}; got {tie_break!r}")
    if tie_break == "vote":
        if probs is None:
            raise ValueError(f"{where}: tie_break='vote' needs probs (the answer distribution)")
        from ttsim._src.vote import _check_probs

        probs = _check_probs(probs, where)
        dt = probs.dtype
    else:
        dt = float_dtype(p, tpr, fpr)
        p = v.asarray(p, dt)
        v.check_probability("p", p, where=where)
    tpr, fpr, num_solutions, num_verifications, max_v = _check_common(
        where, tpr, fpr, num_solutions, num_verifications, max_verifications, dt
    )
    correlation = _check_correlation(where, correlation, dt)
    if tie_break == "uniform":
        return _genrm_uniform(p, tpr, fpr, num_solutions, num_verifications, max_v, correlation)
    sv = v._values(num_solutions) if max_solutions is not None else v.static_values(num_solutions)
    if sv is not None and np.any(sv != np.round(sv)):
        raise ValueError(f"{where}: tie_break='vote' needs whole num_solutions")
    if max_solutions is None:
        if sv is None:
            raise ValueError(f"{where}: num_solutions is traced; pass a static max_solutions")
        max_solutions = int(sv.max())
    max_solutions = int(max_solutions)
    if sv is not None and sv.max() > max_solutions:
        raise ValueError(f"{where}: num_solutions must be <= max_solutions={max_solutions}")
    return _genrm_vote(probs, tpr, fpr, num_solutions, num_verifications, max_v, max_solutions, correlation)


def _check_correlation(where, correlation, dt):
    correlation = v.asarray(correlation, dt)
    v.check_in_range("correlation", correlation, 0.0, 1.0, hi_open=True, where=where)
    return correlation


def population_genrm_accuracy(
    problems: ProblemSet,
    tpr,
    fpr,
    num_solutions,
    num_verifications,
    *,
    max_verifications: int | None = None,
    correlation=0.0,
) -> jax.Array:
    r"""GenRM accuracy of a population (uniform tie-break): :math:`\sum_i w_i\,\mathrm{acc}(p_i, S, V)`.

    .. math:: \mathrm{acc}_{\mathrm{pop}}(S, V) = \sum_i w_i \sum_{s} \big[G_i(s)^S - G_i(s-1)^S\big]\,
              \frac{p_i\,b_T(s)}{g_i(s)}

    Lifted by :meth:`ttsim.ProblemSet.expect` over :func:`genrm_accuracy`.
    ``num_solutions`` and ``num_verifications`` broadcast to the sweep shape of the output.
    ``tpr``/``fpr`` are scalars, or ``(P,)`` arrays when the verifier's quality varies
    across the population's problems; ``correlation`` as in :func:`genrm_accuracy` (scalar).

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    where = "population_genrm_accuracy"
    p, tpr, fpr = _check_population_verifier(where, problems, tpr, fpr)
    dt = p.dtype
    s, vv = v.broadcast_arrays(v.asarray(num_solutions, dt), v.asarray(num_verifications, dt))
    _, _, s, vv, max_v = _check_common(where, tpr, fpr, s, vv, max_verifications, dt)
    correlation = _check_correlation(where, correlation, dt)
    return _population_genrm(problems, tpr, fpr, s, vv, correlation, max_v)


@functools.partial(jax.jit, static_argnames=("max_verifications",))
def _population_genrm(problems, tpr, fpr, s, vv, correlation, max_verifications):
    """sum_i w_i acc(p_i, S, V) through ProblemSet.expect (tpr/fpr per problem or shared)."""
    tpr_i = jnp.broadcast_to(tpr, problems.p.shape[-1:])
    fpr_i = jnp.broadcast_to(fpr, problems.p.shape[-1:])

    def one(p, tpr, fpr, s, vv):
        return _genrm_uniform(p, tpr, fpr, s, vv, max_verifications, correlation)

    return jnp.clip(problems.expect(one, s, vv, per_problem=(tpr_i, fpr_i)), 0.0, 1.0)


def _check_population_verifier(where, problems, tpr, fpr):
    """An unbatched population's p, and tpr/fpr as scalars or one entry per problem, in p's dtype."""
    p = problems.p
    if p.ndim != 1:
        raise ValueError(f"{where}: problems must be a single (unbatched) population; got p{p.shape}")
    num_problems = p.shape[0]
    tpr = v.asarray(tpr, p.dtype)
    fpr = v.asarray(fpr, p.dtype)
    for name, x in (("tpr", tpr), ("fpr", fpr)):
        if x.shape not in ((), (num_problems,)):
            raise ValueError(f"{where}: {name} must be a scalar or have one entry per problem ({num_problems},); got {x.shape}")
        v.check_probability(name, x, where=where)
    return p, tpr, fpr


def difficulty_scaled_verifier(p, tpr, discrimination, exponent=1.0):
    r"""Per-problem verifier rates whose discrimination grows with the problem's solve rate.

    .. math:: \mathrm{tpr}_i = \mathrm{tpr}, \qquad
              \mathrm{fpr}_i = \mathrm{tpr} - d\,p_i^{\gamma}

    A verifier that is as blind on problems the solver cannot solve as the solver itself
    (γ > 0): on the hardest problems its verdicts carry no information (fpr = tpr), on
    problems solved every time it separates right from wrong by d.

    Args:
      p: ``(P,)`` per-problem success probabilities. tpr: in [0, 1].
      discrimination: d in [0, tpr] (tpr − fpr at p = 1). exponent: γ >= 0.

    Returns:
      ``(tpr_i, fpr_i)``, each with ``p``'s shape.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025
    (verification quality limits GenRM); Zhang et al., `Generative Verifiers <https://arxiv.org/abs/2408.15240>`_, 2024.
    """
    where = "difficulty_scaled_verifier"
    dt = float_dtype(p, tpr, discrimination, exponent)
    p, tpr, d, g = (v.asarray(x, dt) for x in (p, tpr, discrimination, exponent))
    v.check_probability("p", p, where=where)
    v.check_probability("tpr", tpr, where=where)
    v.check_nonnegative("exponent", g, where=where)
    v.check_nonnegative("discrimination", d, where=where)
    dv, tv = v._values(d), v._values(tpr)
    if dv is not None and tv is not None and np.any(dv > tv + 1e-7):
        raise ValueError(f"{where}: discrimination must be <= tpr (else fpr < 0); got {dv.max()!r} > {tv.min()!r}")
    fpr = jnp.clip(tpr - d * jnp.power(p, g), 0.0, 1.0)
    return jnp.broadcast_to(tpr, fpr.shape), fpr


# The Monte Carlo reference and the budget frontiers live in their own modules; their names
# stay importable from here.
from ttsim._src.genrm_simulation import simulate_genrm  # noqa: E402
from ttsim._src.verify_split import (  # noqa: E402
    Crossover,
    GenRMFrontier,
    SplitExponents,
    SplitFrontier,
    compute_to_match,
    fit_split_exponents,
    genrm_frontier,
    verify_split_frontier,
    verifying_crossover,
)

__all__ = (
    "Crossover",
    "GenRMFrontier",
    "SplitExponents",
    "SplitFrontier",
    "compute_to_match",
    "difficulty_scaled_verifier",
    "fit_split_exponents",
    "genrm_accuracy",
    "genrm_frontier",
    "population_genrm_accuracy",
    "simulate_genrm",
    "solutions_for_budget",
    "verification_budget",
    "verify_split_frontier",
    "verifying_crossover",
)
