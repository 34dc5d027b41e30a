r"""Test-time strategies as values: one constructor per strategy, each a :class:`~ttsim.Strategy`.

A strategy is a NamedTuple of pure functions (see :mod:`ttsim._src.strategy`): its
``accuracy(p, params)`` calls the model of the area that owns it (coverage, majority vote,
verifier best-of-N, refinement chains, solver–verifier split) — nothing is re-derived here — and
its ``workload(params)`` lists the generations it spends as :class:`~ttsim.Phase` s. Each
strategy has its own params NamedTuple holding only its own constants; swept or searched
quantities are array leaves, discrete sizes (table bounds) are static fields of the constructor.

* :func:`parallel` (``k``): oracle best-of-k; workload k × L.
* :func:`majority_vote` (``k, wrong_mode_share``): plurality of k answers; k × L.
* :func:`verifier_best_of_k` (``k, d_prime``): best of k by a binormal verifier; k × L.
* :func:`sequential` (``t, fix_rate, break_rate``): one chain of t generations; 1 × tL, depth t.
* :func:`hybrid` (``m, t, fix_rate, break_rate, d_prime, wrong_mode_share``): m chains of t
  generations, ends aggregated by a verifier or a vote; m × tL, depth t.
* :func:`solver_verifier` (``num_solutions, num_verifications, tpr, fpr, verify_cost``): S
  solutions then S·V verifications of λL tokens reading the solution (context 1, role
  ``"verifier"``).
* :func:`aggregate` (combinator, ``inner, outer``): outer's k samples are runs of ``inner``.

Conventions (stated once, used everywhere): a revision chain starts from one sample and makes
t − 1 revisions, so ``t`` counts generations; each revision fixes a wrong answer with
probability ``a = fix_rate · p`` (a problem that is easy to solve is easy to fix) and breaks a
right one with probability ``break_rate``. With ``fix_rate = 1, break_rate = 0`` a chain of t
generations reaches :math:`1-(1-p)^t`, the TTSPM sequential curve.

References: Snell et al., `Scaling LLM Test-Time Compute Optimally
<https://arxiv.org/abs/2408.03314>`_, 2024; Singhi et al., `When To Solve, When To Verify
<https://arxiv.org/abs/2504.01005>`_, 2025; Brown et al., `Large Language Monkeys
<https://arxiv.org/abs/2407.21787>`_, 2024.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ttsim._src.numerics import float_dtype, one_minus_pow
from ttsim._src.strategy import Phase, Strategy, Workload

__all__ = (
    "AggregateParams",
    "HybridParams",
    "MajorityVoteParams",
    "ParallelParams",
    "SequentialParams",
    "SolverVerifierParams",
    "VerifierParams",
    "aggregate",
    "hybrid",
    "majority_vote",
    "parallel",
    "sequential",
    "solver_verifier",
    "strategy_accuracy",
    "total_samples",
    "verifier_best_of_k",
)


def _f(x):
    x = jnp.asarray(x)
    return x.astype(float_dtype(x))


def _one(x):
    """A phase field of ones broadcast like ``x``."""
    return jnp.ones_like(_f(x))


def _clip(acc):
    return jnp.clip(acc, 0.0, 1.0)


# ----------------------------------------------------------------------------- parallel


class ParallelParams(NamedTuple):
    """Oracle best-of-k: ``k`` samples drawn (an answer counts if any sample is right)."""

    k: Any = 1.0


def _parallel_accuracy(p, params: ParallelParams):
    return _clip(one_minus_pow(p, params.k))


def _single_batch(count):
    count = _f(count)
    return Workload((Phase(count, _one(count), _one(count), jnp.zeros_like(count)),))


def _k_workload(params):
    return _single_batch(params.k)


def parallel(k=1.0) -> Strategy:
    r"""Oracle best-of-k (coverage, pass@k): right when any of ``k`` samples is right.

    .. math:: \mathrm{acc}(p) = 1 - (1 - p)^k, \qquad \text{workload: } k \times L

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    return Strategy("parallel", _parallel_accuracy, _k_workload, ParallelParams(_f(k)))


# ----------------------------------------------------------------------------- majority vote


class MajorityVoteParams(NamedTuple):
    """Plurality vote of ``k`` answers; the dominant wrong answer holds ``wrong_mode_share`` of the wrong mass."""

    k: Any = 1.0
    wrong_mode_share: Any = 0.3


@dataclasses.dataclass(frozen=True)
class _VoteAccuracy:
    """Majority-vote accuracy with static ``num_other`` and table bound ``max_k`` (hashable: one trace)."""

    num_other: int = 4
    max_k: int = 64

    def __call__(self, p, params: MajorityVoteParams):
        from ttsim._src import vote

        p = _f(p)
        share = jnp.asarray(params.wrong_mode_share, p.dtype)
        probs = vote.answer_probs(p, share * (1.0 - p), num_other=self.num_other)
        acc = vote.majority_vote(probs, params.k, method="exact", max_k=self.max_k)
        return jnp.where(jnp.asarray(params.k) <= self.max_k, acc, jnp.nan)  # past the table: undefined


def majority_vote(k=1.0, wrong_mode_share=0.3, *, num_other: int = 4, max_k: int = 64) -> Strategy:
    r"""Plurality vote over ``k`` sampled answers (exact programme of :func:`ttsim.majority_vote`).

    Answers: correct with probability p, a dominant wrong answer with
    :math:`q = s\,(1-p)`, the rest spread over ``num_other`` answers (:func:`ttsim.answer_probs`).

    .. math:: \mathrm{acc}(p) = \mathrm{maj}_k\big(p,\ s(1-p),\ \tfrac{(1-s)(1-p)}{n_o},\dots\big),
              \qquad \text{workload: } k\times L

    Args:
      k: samples drawn (whole numbers up to ``max_k``).
      wrong_mode_share: s in [0, 1].
      num_other: wrong answers besides the dominant one (static).
      max_k: static size of the vote table (largest k).

    References: Wu et al., `Inference Scaling Laws <https://arxiv.org/abs/2408.00724>`_, 2024.
    """
    if int(num_other) < 1:
        raise ValueError(f"majority_vote: num_other must be >= 1; got {num_other}")
    return Strategy("majority_vote", _VoteAccuracy(int(num_other), int(max_k)), _k_workload,
                    MajorityVoteParams(_f(k), _f(wrong_mode_share)))


# ----------------------------------------------------------------------------- verifier best-of-k


class VerifierParams(NamedTuple):
    """Best of ``k`` samples by a binormal verifier of separation ``d_prime``."""

    k: Any = 1.0
    d_prime: Any = 2.0


def _verifier_accuracy(p, params: VerifierParams):
    from ttsim._src import verifier

    return _clip(verifier.best_of_n(p, params.k, params.d_prime))


def verifier_best_of_k(k=1.0, d_prime=2.0) -> Strategy:
    r"""Best-of-k selection by a binormal verifier (scores N(d′, 1) if right, N(0, 1) if wrong).

    .. math:: \mathrm{acc}(p) = k\int p\,\varphi(x-d')\,[p\Phi(x-d') + (1-p)\Phi(x)]^{k-1}dx,
              \qquad \text{workload: } k\times L

    (:func:`ttsim.best_of_n`). The verifier's own scoring cost is not counted (a reward model
    reading k solutions is cheap next to generating them); use :func:`solver_verifier`   for a
    generative verifier whose tokens are counted.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    return Strategy("verifier_bon", _verifier_accuracy, _k_workload, VerifierParams(_f(k), _f(d_prime)))


# ----------------------------------------------------------------------------- sequential chains


class SequentialParams(NamedTuple):
    """One chain of ``t`` generations; a revision fixes with ``fix_rate · p``, breaks with ``break_rate``."""

    t: Any = 1.0
    fix_rate: Any = 0.5
    break_rate: Any = 0.02


def _fix_break(p, fix_rate, break_rate):
    a = jnp.clip(fix_rate * p, 0.0, 1.0)
    return a, break_rate * jnp.ones_like(p)


def _sequential_accuracy(p, params: SequentialParams):
    from ttsim._src import sequential as seq

    p = _f(p)
    a, b = _fix_break(p, params.fix_rate, params.break_rate)
    return _clip(seq.refinement_accuracy(p, a, b, params.t - 1.0))


def _chain_workload(count, t):
    count, t = jnp.broadcast_arrays(_f(count), _f(t))
    return Workload((Phase(count, t, t, jnp.zeros_like(t)),))


def _sequential_workload(params: SequentialParams):
    return _chain_workload(_one(params.t), params.t)


def sequential(t=1.0, fix_rate=0.5, break_rate=0.02) -> Strategy:
    r"""One refinement chain of ``t`` generations (t − 1 revisions of a fix/break Markov chain).

    .. math:: \mathrm{acc}(p) = \pi + (p - \pi)(1 - a - b)^{t-1},\quad a = \mathrm{fix\_rate}\cdot p,
              \ b = \mathrm{break\_rate},\ \pi = \tfrac{a}{a+b}; \qquad \text{workload: } 1\times tL,
              \text{ depth } t

    (:func:`ttsim.refinement_accuracy`).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (sequential revisions).
    """
    return Strategy("sequential", _sequential_accuracy, _sequential_workload,
                    SequentialParams(_f(t), _f(fix_rate), _f(break_rate)))


# ----------------------------------------------------------------------------- hybrid


class HybridParams(NamedTuple):
    """``m`` chains of ``t`` generations, chain ends aggregated by a verifier (``d_prime``) or a vote."""

    m: Any = 1.0
    t: Any = 1.0
    fix_rate: Any = 0.5
    break_rate: Any = 0.02
    d_prime: Any = 2.0
    wrong_mode_share: Any = 0.3


@dataclasses.dataclass(frozen=True)
class _HybridAccuracy:
    aggregate: str = "verifier"
    num_other: int = 4
    max_k: int | None = None

    def __call__(self, p, params: HybridParams):
        from ttsim._src import sequential as seq

        p = _f(p)
        a, b = _fix_break(p, params.fix_rate, params.break_rate)
        kw = {}
        if self.aggregate == "verifier":
            kw["d_prime"] = params.d_prime
        elif self.aggregate == "vote":
            kw.update(wrong_mode_share=params.wrong_mode_share, num_other=self.num_other, max_k=self.max_k)
        return _clip(seq.hybrid_accuracy(p, a, b, params.m, params.t, aggregate=self.aggregate, **kw))


def _hybrid_workload(params: HybridParams):
    return _chain_workload(params.m, params.t)


def hybrid(m=1.0, t=1.0, fix_rate=0.5, break_rate=0.02, d_prime=2.0, wrong_mode_share=0.3, *,
           aggregate: str = "verifier", num_other: int = 4, max_k: int | None = 64) -> Strategy:
    r"""``m`` independent refinement chains of ``t`` generations, the ends aggregated.

    .. math:: \mathrm{acc}(p) = \mathrm{Agg}_m\big(p_{t-1}\big), \quad p_{t-1} \text{ the chain end
              (:func:`sequential`)}; \qquad \text{workload: } m \times tL, \text{ depth } t

    ``aggregate`` (static): ``"verifier"`` (best-of-m, ``d_prime``), ``"vote"`` (plurality,
    ``wrong_mode_share``, ``num_other``, ``max_k``) or ``"oracle"`` (pass@m). Calls
    :func:`ttsim.hybrid_accuracy`; :func:`aggregate` composes the same from values.

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (parallel vs sequential ratio).
    """
    if aggregate not in ("verifier", "vote", "oracle"):
        raise ValueError(f"aggregate: must be 'verifier', 'vote' or 'oracle'; got {aggregate!r}")
    acc = _HybridAccuracy(aggregate, int(num_other), None if max_k is None else int(max_k))
    return Strategy("hybrid", acc, _hybrid_workload,
                    HybridParams(_f(m), _f(t), _f(fix_rate), _f(break_rate), _f(d_prime), _f(wrong_mode_share)))


# ----------------------------------------------------------------------------- solver–verifier split


class SolverVerifierParams(NamedTuple):
    """S solutions, V generative verifications each (rates ``tpr``/``fpr``), each λ = ``verify_cost`` solutions long."""

    num_solutions: Any = 1.0
    num_verifications: Any = 0.0
    tpr: Any = 0.8
    fpr: Any = 0.2
    verify_cost: Any = 1.0


@dataclasses.dataclass(frozen=True)
class _SplitAccuracy:
    max_verifications: int = 32

    def __call__(self, p, params: SolverVerifierParams):
        from ttsim._src import verification

        return _clip(verification.genrm_accuracy(p, params.tpr, params.fpr, params.num_solutions,
                                                 params.num_verifications, max_verifications=self.max_verifications))


def _split_workload(params: SolverVerifierParams):
    s, v, lam = jnp.broadcast_arrays(_f(params.num_solutions), _f(params.num_verifications), _f(params.verify_cost))
    one, zero = jnp.ones_like(s), jnp.zeros_like(s)
    return Workload((Phase(s, one, one, zero, "solver"), Phase(s * v, lam, one, one, "verifier")))


def solver_verifier(num_solutions=1.0, num_verifications=0.0, tpr=0.8, fpr=0.2, verify_cost=1.0, *,
                    max_verifications: int = 32) -> Strategy:
    r"""Generative verification: S solutions, V verdicts each, best by the count of "correct" verdicts.

    .. math:: \mathrm{acc} = \sum_{s=0}^{V}\big[G(s)^S - G(s-1)^S\big]\frac{p\,b_T(s)}{p\,b_T(s)+(1-p)\,b_F(s)},
              \qquad \text{workload: } S\times L \;+\; SV\times\lambda L \text{ (reading } L\text{)}

    (:func:`ttsim.genrm_accuracy`); the budget in solution-equivalents is :math:`S(1+\lambda V)`.

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    return Strategy("solver_verifier", _SplitAccuracy(int(max_verifications)), _split_workload,
                    SolverVerifierParams(_f(num_solutions), _f(num_verifications), _f(tpr), _f(fpr), _f(verify_cost)))


# ----------------------------------------------------------------------------- combinator


class AggregateParams(NamedTuple):
    """Parameters of :func:`aggregate`: the inner strategy's and the aggregator's."""

    inner: Any
    outer: Any


@dataclasses.dataclass(frozen=True)
class _ComposedAccuracy:
    inner: Any
    outer: Any

    def __call__(self, p, params: AggregateParams):
        return self.outer(self.inner(p, params.inner), params.outer)


@dataclasses.dataclass(frozen=True)
class _ComposedWorkload:
    inner: Any
    outer: Any

    def __call__(self, params: AggregateParams):
        inner = self.inner(params.inner).phases
        outer = self.outer(params.outer).phases
        k = outer[0].count
        scaled = tuple(ph._replace(count=ph.count * k) for ph in inner)
        return Workload(scaled + tuple(outer[1:]))


def aggregate(inner: Strategy, outer: Strategy, *, name: str | None = None) -> Strategy:
    r"""Run ``outer`` over results of ``inner``: each of outer's k "samples" is one run of ``inner``.

    .. math:: \mathrm{acc}(p) = \mathrm{outer.accuracy}\big(\mathrm{inner.accuracy}(p)\big)

    Valid when outer's model only needs the per-sample success of its samples (oracle pass@k,
    a verifier's best-of-k, a vote with the same answer model) and the runs are independent.
    Workload: inner's phases with their counts multiplied by outer's first-phase count (its
    k samples), then outer's later phases (e.g. verifications). ``aggregate(sequential(),
    verifier_best_of_k())`` is Snell et al.'s hybrid (m chains, verifier best-of-m).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    nm = name or f"{outer.name}({inner.name})"
    return Strategy(nm, _ComposedAccuracy(inner.accuracy, outer.accuracy),
                    _ComposedWorkload(inner.workload, outer.workload), AggregateParams(inner.params, outer.params))


# ----------------------------------------------------------------------------- helpers


def strategy_accuracy(strategy: Strategy, p, params=None) -> jax.Array:
    r"""``strategy.accuracy(p, params)`` (defaults: ``strategy.params``), clipped to [0, 1].

    .. math:: \mathrm{acc}(p;\theta) \in [0, 1]

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    params = strategy.params if params is None else params
    return _clip(strategy.accuracy(p, params))


def total_samples(workload: Workload) -> jax.Array:
    r"""Solution-equivalents of a workload (the ``"samples"`` cost unit).

    .. math:: \text{samples} = \sum_{\rm phases} \mathrm{count}\cdot\mathrm{length}

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_,
    2025 (the budget S(1 + λV)).
    """
    total = 0.0
    for ph in workload.phases:
        total = total + ph.count * ph.length
    return total


# The closed option grid of earlier versions (deprecated adapters onto the values above); kept
# importable from here for existing callers.
from ttsim._src.legacy_options import (  # noqa: E402
    STRATEGIES,
    Options,
    OptionWorkload,
    StrategyParams,
    concat_options,
    describe_option,
    make_options,
    option_accuracy,
    option_samples,
    option_workload,
    strategy_params,
    take_options,
)

__all__ += (
    "STRATEGIES", "Options", "OptionWorkload", "StrategyParams", "Workload", "concat_options", "describe_option",
    "make_options", "option_accuracy", "option_samples", "option_workload", "strategy_params", "take_options",
)
