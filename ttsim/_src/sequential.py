"""Sequential refinement as a two-state Markov chain, its populations, and parallel × sequential hybrids.

One refinement step (a revision, a self-correction, a further round of thinking) moves the
current answer between two states: a wrong answer is fixed with probability ``a`` and a
right one is broken with probability ``b``. The probability of being right after ``t``
steps is then closed-form, so a sweep over ``t`` (or over the budget of a hybrid) is one
trace. The TTSPM "retry until success" curve :math:`1-(1-p_r)^t` is the case ``b = 0``,
``p0 = 0``.

Conventions: ``t`` counts refinement steps after the initial answer (so ``t = 0`` gives
``p0``). A hybrid chain of length ``T`` is ``T`` generations: the initial answer plus
``T - 1`` refinement steps; ``M`` chains of length ``T`` cost ``M * T`` generations.
"""

from __future__ import annotations

import functools
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.deprecation import deprecated_alias, renamed_kwargs
from ttsim._src.numerics import float_dtype, one_minus_pow
from ttsim._src.population import ProblemSet, beta_population, normalized_weight
from ttsim._src.traceable import traceable

_AGGREGATES = ("oracle", "verifier", "vote")

# ----------------------------------------------------------------------------- one problem


class ChainState(NamedTuple):
    """State of a refinement chain: ``p_correct`` = P(current answer is right), ``steps`` taken (int32)."""

    p_correct: jax.Array
    steps: jax.Array


def init_chain(p0) -> ChainState:
    r"""Start a refinement chain whose initial answer is right with probability ``p0``.

    .. math:: \Pr(\text{right at } t=0) = p_0

    Args:
      p0: any shape, in [0, 1].

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally can be More Effective than
    Scaling Model Parameters <https://arxiv.org/abs/2408.03314>`_, 2024 (sequential revisions).
    """
    p0 = v.asarray(p0)
    p0 = v.astype(p0, float_dtype(p0))
    v.check_probability("p0", p0, where="init_chain")
    return ChainState(p_correct=p0, steps=jnp.zeros(p0.shape, jnp.int32))


def refine_step(state: ChainState, a, b) -> ChainState:
    r"""One refinement step of the fix/break chain.

    .. math:: p_{t+1} = p_t\,(1 - b) + (1 - p_t)\,a

    Args:
      state: :class:`ChainState`.
      a: P(wrong -> right) per step, in [0, 1]; broadcasts with the state.
      b: P(right -> wrong) per step, in [0, 1].

    No value checks (it is meant to run inside ``lax.scan``); see :func:`refinement_accuracy`
    for the closed form after ``t`` steps.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024; Scaling over Scaling (TTSPM), 2025.
    """
    p = state.p_correct
    return ChainState(p_correct=p * (1.0 - b) + (1.0 - p) * a, steps=state.steps + 1)


def refinement_trajectory(p0, a, b, num_steps: int) -> jax.Array:
    r"""Accuracy after 0, 1, ..., ``num_steps`` refinement steps by iterating :func:`refine_step`.

    .. math:: p_{t+1} = p_t(1-b) + (1-p_t)a, \qquad t = 0, \dots, T-1

    Runs ``lax.scan`` to the static ``num_steps``; the output has a leading axis of length
    ``num_steps + 1`` followed by the broadcast shape of ``p0, a, b``. Use
    :func:`refinement_accuracy` (closed form) when the horizon is swept.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    num_steps = int(num_steps)
    if num_steps < 0:
        raise ValueError(f"refinement_trajectory: num_steps must be >= 0; got {num_steps}")
    p0, a, b = _chain_args(p0, a, b, where="refinement_trajectory")
    return _trajectory(p0, a, b, num_steps)


@functools.partial(jax.jit, static_argnums=3)
def _trajectory(p0, a, b, num_steps):
    p0, a, b = jnp.broadcast_arrays(p0, a, b)
    state = ChainState(p0, jnp.zeros(p0.shape, jnp.int32))

    def body(s, _):
        s = refine_step(s, a, b)
        return s, s.p_correct

    _, ps = jax.lax.scan(body, state, None, length=num_steps)
    return jnp.concatenate([p0[None], ps], axis=0)


def _chain_args(p0, a, b, *, where):
    p0, a, b = (v.asarray(x) for x in (p0, a, b))
    dt = float_dtype(p0, a, b)
    p0, a, b = (v.astype(x, dt) for x in (p0, a, b))
    v.check_probability("p0", p0, where=where)
    v.check_probability("a", a, where=where)
    v.check_probability("b", b, where=where)
    return p0, a, b


def _one_minus_lambda_pow(a, b, t):
    # 1 - (1 - a - b)^t for a, b in [0, 1] and whole t >= 0; lambda = 1 - a - b may be negative.
    # lambda >= 0: -expm1(t log1p(-(a + b))), exact at a + b in {0, 1}. lambda < 0: |lambda| =
    # 1 - delta with delta = (1 - a) + (1 - b) (each difference exact for a, b >= 1/2), so
    # |lambda|^t = exp(t log1p(-delta)) keeps its precision near a + b = 2 even for t ~ 1e6.
    s = a + b
    pos = s <= 1.0
    small = one_minus_pow(jnp.where(pos, s, 0.0), t)  # exact at s in {0, 1}
    delta = jnp.where(pos, 0.5, (1.0 - a) + (1.0 - b))  # 1 - |lambda| on the negative branch
    log_mag = jnp.log1p(-jnp.minimum(delta, 1.0))
    mag = jnp.where(delta < 1.0, jnp.exp(t * jnp.where(delta < 1.0, log_mag, 0.0)), jnp.where(t > 0, 0.0, 1.0))
    odd = jnp.mod(t, 2.0) == 1.0
    lam_pow = jnp.where(odd, -mag, mag)
    return jnp.where(pos, small, 1.0 - lam_pow)


@jax.jit
def _refinement_accuracy(p0, a, b, t):
    s = a + b
    gap = a * (1.0 - p0) - b * p0  # first-step gain (pi - p0)(a + b)
    ok = s > 0
    ratio = jnp.where(ok, _one_minus_lambda_pow(a, b, t) / jnp.where(ok, s, 1.0), t)
    return jnp.clip(p0 + gap * ratio, 0.0, 1.0)


@traceable
def refinement_accuracy(p0, a, b, t) -> jax.Array:
    r"""Accuracy after ``t`` refinement steps of the fix/break Markov chain (closed form).

    .. math:: p_t = \pi + (p_0 - \pi)(1 - a - b)^t, \qquad \pi = \frac{a}{a+b}

    Computed as :math:`p_0 + \big(a(1-p_0) - b\,p_0\big)\,\frac{1 - (1-a-b)^t}{a+b}`, which is
    exact and NaN-free at the edges: ``a + b = 0`` gives :math:`p_t = p_0`; ``a + b = 2``
    (:math:`\lambda = -1`) alternates between :math:`p_0` and :math:`1 - p_0`; ``p0, a, b`` in
    {0, 1} are exact. The TTSPM sequential curve :math:`1-(1-p_r)^t` is ``p0=0, a=p_r, b=0``.

    Args:
      p0: initial accuracy in [0, 1].
      a: P(wrong -> right) per step, in [0, 1].
      b: P(right -> wrong) per step, in [0, 1].
      t: number of refinement steps, whole numbers >= 0 (an array: a sweep is one trace).

    Returns:
      The broadcast shape of the inputs, values in [0, 1].

    Raises:
      ValueError: a probability outside [0, 1] or ``t`` not a whole number >= 0.

    Examples:
      >>> float(refinement_accuracy(0.0, 0.5, 0.0, 3))
      0.875

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024; Scaling over Scaling (TTSPM), 2025.
    """
    p0, a, b = _chain_args(p0, a, b, where="refinement_accuracy")
    t = v.asarray(t, p0.dtype)
    v.check_count("t", t, minimum=0, where="refinement_accuracy")
    return _refinement_accuracy(p0, a, b, t)


@traceable
def refinement_limit(p0, a, b) -> jax.Array:
    r"""The long-run accuracy of the fix/break chain: its stationary accuracy.

    .. math:: \pi = \frac{a}{a+b} \quad (a + b > 0), \qquad \pi = p_0 \quad (a = b = 0)

    At ``a = b = 1`` the chain alternates and has no limit; π = 1/2 is then the time average.

    References: Scaling over Scaling (TTSPM), 2025 (fix/break refinement chain).
    """
    p0, a, b = _chain_args(p0, a, b, where="refinement_limit")
    s = a + b
    ok = s > 0
    return jnp.where(ok, a / jnp.where(ok, s, 1.0), p0)


def _refinement_success(p, t) -> jax.Array:
    from ttsim._src.coverage import coverage

    return coverage(p, t)


refinement_success = deprecated_alias(_refinement_success, "ttsim.refinement_success", "ttsim.coverage(p_r, t)")
refinement_success.__doc__ = r"""Deprecated: use :func:`ttsim.coverage` (identical, :math:`1 - (1 - p_r)^t`).

.. math:: F_\mathrm{seq}(t) = 1 - (1 - p_r)^t

References: Scaling over Scaling (TTSPM), 2025.
"""


# ----------------------------------------------------------------------------- populations


def RefinementPopulation(weight, p0, a, b) -> ProblemSet:  # noqa: N802 - deprecated class name
    """Deprecated: a refinement population is a :class:`ttsim.ProblemSet` with fields ``a`` and ``b``.

    Returns ``ProblemSet(weight=weight, p=p0, a=a, b=b)`` (``.p0`` still reads ``p``).
    """
    warnings.warn(
        "RefinementPopulation is deprecated; a refinement population is "
        "ttsim.ProblemSet(weight=..., p=p0, a=..., b=...) (see ttsim.populations.refinement_population)",
        DeprecationWarning,
        stacklevel=2,
    )
    return ProblemSet(weight=weight, p=p0, a=a, b=b)


def _check_refinement(population, where):
    if not isinstance(population, ProblemSet) or population.a is None:
        raise ValueError(f"{where}: population must be a refinement population (a ProblemSet with a and b)")


def refinement_population(p0, a, b, weight=None) -> ProblemSet:
    r"""An empirical population of refinement chains: problem i has ``(p0[i], a[i], b[i])``.

    .. math:: \Pr(p_0, a, b) = \textstyle\sum_i w_i\,\delta(p_0 - p_{0,i})\,\delta(a - a_i)\,\delta(b - b_i)

    Args:
      p0, a, b: ``(P,)`` arrays in [0, 1] (they broadcast to a common shape).
      weight: optional ``(P,)`` non-negative weights (normalised); uniform by default.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    p0, a, b = _chain_args(p0, a, b, where="refinement_population")
    p0, a, b = v.broadcast_arrays(p0, a, b)
    if a.ndim < 1 or a.shape[-1] == 0:
        raise ValueError(f"refinement_population: need at least one problem; got shape {a.shape}")
    weight = normalized_weight(weight, a, name="a", where="refinement_population")
    return ProblemSet(weight=weight, p=p0, a=a, b=b)


def beta_refinement_population(
    a_alpha, a_beta, b_alpha=None, b_beta=None, *, p0=None, num_nodes: int = 32
) -> ProblemSet:
    r"""Fix and break rates drawn independently from Betas, as a product quadrature.

    .. math:: a \sim \mathrm{Beta}(\alpha_a, \beta_a), \quad b \sim \mathrm{Beta}(\alpha_b, \beta_b),
              \quad \mathbb{E}[f(a, b)] \approx \textstyle\sum_{i,j} w^a_i w^b_j f(a_i, b_j)

    The nodes are those of :func:`ttsim.beta_population` (``2 * num_nodes`` per axis), so the
    population has ``4 * num_nodes**2`` problems (``2 * num_nodes`` when ``b = 0``), times the
    number of ``p0`` nodes when ``p0`` is a population.

    Args:
      a_alpha, a_beta: positive scalars, Beta parameters of the fix rate ``a``.
      b_alpha, b_beta: positive scalars for the break rate ``b``; both ``None`` means ``b = 0``.
      p0: initial accuracy: a scalar in [0, 1]; a :class:`ttsim.ProblemSet` (e.g.
        ``beta_population(...)``), drawn independently of ``a`` and ``b`` (product quadrature);
        or ``None``, meaning ``p0 = a`` (the initial answer is itself one "fix" from an empty
        answer, so ``T`` generations end right with probability ``refinement_accuracy(0, a, b, T)``).
      num_nodes: quadrature nodes per half-interval (static).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024; Schaeffer et al., `How Do Large Language Monkeys
    Get Their Power (Laws)? <https://arxiv.org/abs/2502.17578>`_, 2025 (Beta difficulty).
    """
    where = "beta_refinement_population"
    if (b_alpha is None) != (b_beta is None):
        raise ValueError(f"{where}: give both b_alpha and b_beta, or neither (b = 0)")
    for name, x in (("a_alpha", a_alpha), ("a_beta", a_beta), ("b_alpha", b_alpha), ("b_beta", b_beta)):
        if x is not None and np.ndim(x) != 0:
            raise ValueError(f"{where}: {name} must be a scalar; got shape {np.shape(x)}")
    pop_a = beta_population(a_alpha, a_beta, num_nodes)
    if b_alpha is None:
        a, w = pop_a.p, pop_a.weight
        b = jnp.zeros_like(a)
    else:
        pop_b = beta_population(b_alpha, b_beta, num_nodes)
        a = jnp.repeat(pop_a.p, pop_b.p.shape[-1])
        b = jnp.tile(pop_b.p, pop_a.p.shape[-1])
        w = jnp.outer(pop_a.weight, pop_b.weight).reshape(-1)
    if p0 is None:
        return ProblemSet(weight=w, p=a, a=a, b=b)
    if isinstance(p0, ProblemSet):
        if p0.p.ndim != 1:
            raise ValueError(f"{where}: p0 must be an unbatched ProblemSet; got p shape {p0.p.shape}")
        k = p0.p.shape[-1]
        return ProblemSet(
            weight=jnp.outer(p0.weight, w).reshape(-1),
            p=jnp.repeat(p0.p.astype(a.dtype), a.shape[-1]),
            a=jnp.tile(a, k),
            b=jnp.tile(b, k),
        )
    if np.ndim(p0) != 0:
        raise ValueError(f"{where}: p0 must be None, a scalar or a ProblemSet; got shape {np.shape(p0)}")
    v.check_probability("p0", p0, where=where)
    p0_arr = jnp.full_like(a, p0)
    return ProblemSet(weight=w, p=p0_arr, a=a, b=b)


@traceable
@renamed_kwargs(population="problems")
def population_refinement_accuracy(problems: ProblemSet, t) -> jax.Array:
    r"""Population accuracy after ``t`` refinement steps (output has ``t``'s shape).

    .. math:: \bar p_t = \textstyle\sum_i w_i\,\big[\pi_i + (p_{0,i} - \pi_i)(1 - a_i - b_i)^t\big]

    ``problems`` is a refinement population (:func:`refinement_population`,
    :func:`beta_refinement_population`; formerly the keyword ``population=``); lifted by
    :meth:`ttsim.ProblemSet.expect`.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    _check_refinement(problems, "population_refinement_accuracy")
    t = v.asarray(t, problems.a.dtype)
    v.check_count("t", t, minimum=0, where="population_refinement_accuracy")
    return _population_refinement_accuracy(problems, t)


@jax.jit
def _population_refinement_accuracy(pop, t):
    return jnp.clip(pop.expect(_refinement_accuracy, t), 0.0, 1.0)


# ----------------------------------------------------------------------------- hybrids


def _aggregate(p_end, m, aggregate, d_prime, wrong_mode_share, num_other, max_k):
    # Pure jnp (no validation): the per-problem model that ProblemSet.expect lifts.
    if aggregate == "oracle":
        return one_minus_pow(p_end, m)
    if aggregate == "verifier":
        from ttsim._src.verifier import _best_of_n_dprime

        return _best_of_n_dprime(*v.broadcast_arrays(p_end, m, d_prime))
    from ttsim._src.vote import _answer_probs, _majority_vote_exact

    p_end, share = v.broadcast_arrays(p_end, wrong_mode_share)
    probs = _answer_probs(p_end, share * (1.0 - p_end), num_other)
    return _majority_vote_exact(probs, m, max_k)


def _check_hybrid(m, t, aggregate, d_prime, wrong_mode_share, max_k, where):
    if aggregate not in _AGGREGATES:
        raise ValueError(f"{where}: aggregate must be one of {_AGGREGATES}; got {aggregate!r}")
    v.check_count("m", m, minimum=1, where=where)
    v.check_count("t", t, minimum=1, where=where)
    if aggregate == "verifier":
        if d_prime is None:
            raise ValueError(f"{where}: d_prime is required when aggregate='verifier'")
        dv = v._values(d_prime)
        if dv is not None and np.any(np.isnan(dv)):
            raise ValueError(f"{where}: d_prime must not be NaN")
    if aggregate == "vote":
        v.check_probability("wrong_mode_share", wrong_mode_share, where=where)
        if max_k is None:
            mv = v.static_values(m)
            if mv is None:
                raise ValueError(f"{where}: max_k (static) is required for aggregate='vote' under jit")
            max_k = int(np.max(mv))
    return max_k


@traceable
@renamed_kwargs(num_chains="m", chain_length="t")
def hybrid_accuracy(
    p0,
    a,
    b,
    m,
    t,
    *,
    aggregate: str = "oracle",
    d_prime=None,
    wrong_mode_share=0.3,
    num_other: int = 1,
    max_k: int | None = None,
) -> jax.Array:
    r"""Accuracy of ``m`` independent refinement chains of ``t`` generations each (budget ``m*t``).

    Each chain ends right with :math:`p_\mathrm{end} = p_{t-1}` (:func:`refinement_accuracy`
    after ``t - 1`` refinement steps); the chains of a problem are independent, and the final
    answer is chosen from the ``m`` chain ends by

    - ``"oracle"``: right if any chain is right, :math:`1 - (1 - p_\mathrm{end})^m` (pass@m);
    - ``"verifier"``: best-of-m under a binormal verifier with separation ``d_prime``
      (:func:`ttsim.best_of_n`);
    - ``"vote"``: plurality vote (:func:`ttsim.majority_vote`) over answers distributed as
      :func:`ttsim.answer_probs` with a dominant wrong answer holding the share
      ``wrong_mode_share`` of the wrong mass and the rest split over ``num_other`` answers.

    .. math:: \mathrm{acc}(m, t) = \mathrm{Agg}_m\big(\pi + (p_0-\pi)(1-a-b)^{t-1}\big)

    Args:
      p0, a, b: chain parameters in [0, 1] (see :func:`refinement_accuracy`).
      m: parallel chains, whole numbers >= 1 (array; broadcasts with the others). Formerly
        ``num_chains=`` (deprecated keyword).
      t: generations per chain, whole numbers >= 1. Formerly ``chain_length=``.
      aggregate: ``"oracle"``, ``"verifier"`` or ``"vote"`` (static).
      d_prime: verifier separation d' (see :func:`ttsim.best_of_n`), required for ``"verifier"``.
      wrong_mode_share: in [0, 1], for ``"vote"`` (default 0.3, as everywhere in ttsim).
      num_other: number of other wrong answers for ``"vote"`` (static).
      max_k: static bound on ``m`` for the exact vote (defaults to ``max(m)`` when concrete).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (parallel vs sequential ratio).
    """
    where = "hybrid_accuracy"
    p0, a, b = _chain_args(p0, a, b, where=where)
    m = v.asarray(m, p0.dtype)
    t = v.asarray(t, p0.dtype)
    max_k = _check_hybrid(m, t, aggregate, d_prime, wrong_mode_share, max_k, where)
    p_end = _refinement_accuracy(p0, a, b, t - 1.0)
    dp = None if d_prime is None else v.asarray(d_prime, p0.dtype)
    return _aggregate(p_end, m, aggregate, dp, v.asarray(wrong_mode_share, p0.dtype), int(num_other), max_k)


@traceable
@renamed_kwargs(num_chains="m", chain_length="t", population="problems")
def population_hybrid_accuracy(
    problems: ProblemSet,
    m,
    t,
    *,
    aggregate: str = "oracle",
    d_prime=None,
    wrong_mode_share=0.3,
    num_other: int = 1,
    max_k: int | None = None,
) -> jax.Array:
    r"""Population accuracy of ``m`` chains × ``t`` generations; output has the shape of ``m`` and ``t`` broadcast.

    .. math:: \overline{\mathrm{acc}}(m, t) = \textstyle\sum_i w_i\,\mathrm{acc}_i(m, t)

    Lifted by :meth:`ttsim.ProblemSet.expect` over a refinement population. Arguments as in
    :func:`hybrid_accuracy`.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    where = "population_hybrid_accuracy"
    _check_refinement(problems, where)
    dt = problems.a.dtype
    m = v.asarray(m, dt)
    t = v.asarray(t, dt)
    max_k = _check_hybrid(m, t, aggregate, d_prime, wrong_mode_share, max_k, where)
    m, t = v.broadcast_arrays(m, t)
    dp = v.asarray(0.0 if d_prime is None else d_prime, dt)
    share = v.asarray(wrong_mode_share, dt)
    num_other = int(num_other)

    def one(p0, a, b, m, t, dp, share):
        p_end = _refinement_accuracy(p0, a, b, t - 1.0)
        return _aggregate(p_end, m, aggregate, dp, share, num_other, max_k)

    return jnp.clip(problems.expect(one, m, t, dp, share), 0.0, 1.0)


class HybridSplit(NamedTuple):
    """Best split of each budget: ``num_chains`` M, ``chain_length`` T, ``accuracy``; ``grid`` holds every candidate's accuracy (-inf where T < 1)."""

    num_chains: jax.Array
    chain_length: jax.Array
    accuracy: jax.Array
    grid: jax.Array


@renamed_kwargs(num_chains="m", population="problems")
def best_hybrid_split(
    problems: ProblemSet,
    budget,
    m,
    *,
    aggregate: str = "oracle",
    d_prime=None,
    wrong_mode_share=0.3,
    num_other: int = 1,
    max_k: int | None = None,
) -> HybridSplit:
    r"""The compute-optimal parallel × sequential split of each generation budget.

    For each budget ``B`` and candidate ``M`` in ``m``, chains get
    :math:`T = \lfloor B / M \rfloor` generations (candidates with ``T < 1`` are excluded);
    the split with the highest population accuracy wins (ties: the earlier candidate).

    .. math:: (M^*, T^*) = \arg\max_{M \in \mathcal{M},\; T = \lfloor B/M \rfloor \ge 1} \overline{\mathrm{acc}}(M, T)

    Args:
      problems: a refinement population (:class:`ttsim.ProblemSet` with ``a``, ``b``; formerly
        the keyword ``population=``).
      budget: ``(K,)`` or scalar budgets, in generations per problem (whole numbers >= 1).
      m: ``(C,)`` candidate chain counts (whole numbers >= 1; formerly ``num_chains=``).
      Other arguments as in :func:`hybrid_accuracy`.

    Returns:
      :class:`HybridSplit` with fields of ``budget``'s shape and ``grid`` of shape ``budget.shape + (C,)``.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    where = "best_hybrid_split"
    _check_refinement(problems, where)
    dt = problems.a.dtype
    budget = v.asarray(budget, dt)
    m = v.asarray(m, dt)
    v.check_count("budget", budget, minimum=1, where=where)
    if m.ndim != 1:
        raise ValueError(f"{where}: m must be 1-D; got shape {m.shape}")
    v.check_count("m", m, minimum=1, where=where)
    t = jnp.floor(budget[..., None] / m)
    feasible = t >= 1
    acc = population_hybrid_accuracy(
        problems,
        jnp.broadcast_to(m, t.shape),
        jnp.maximum(t, 1.0),
        aggregate=aggregate,
        d_prime=d_prime,
        wrong_mode_share=wrong_mode_share,
        num_other=num_other,
        max_k=max_k,
    )
    grid = jnp.where(feasible, acc, -jnp.inf)
    best = jnp.argmax(grid, axis=-1)
    pick = functools.partial(jnp.take_along_axis, indices=best[..., None], axis=-1)
    return HybridSplit(
        num_chains=pick(jnp.broadcast_to(m, t.shape))[..., 0],
        chain_length=pick(t)[..., 0],
        accuracy=pick(grid)[..., 0],
        grid=grid,
    )
