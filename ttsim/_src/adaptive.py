r"""Adaptive self-consistency as strategies: expected accuracy and expected samples of a stopping rule.

A problem's samples are i.i.d. answers from a categorical distribution ``probs`` (index 0 the
correct answer; :func:`ttsim._src.vote.answer_probs` gives the house model: correct p, dominant
wrong q = s(1 − p), the rest spread over ``num_other`` answers). A stopping rule
(:mod:`ttsim._src.stopping_rules`: ESC, Adaptive-Consistency, doubling) draws samples until it
stops or reaches ``max_samples`` M. This module gives

* :func:`esc_expected_samples` — ESC's expected samples in closed form: each window of w is
  unanimous independently with probability :math:`u = \sum_a \pi_a^w`, so with J = M/w windows

  .. math:: E[\tau] = w\,\frac{1 - (1-u)^J}{u}, \qquad
            \Pr(\text{stop on the correct answer}) = \frac{\pi_0^w}{u}\big(1 - (1-u)^J\big);

* :func:`stopping_accuracy` — accuracy, expected samples and expected rounds of any rule by seeded
  Monte Carlo in JAX (key first, required), one trace for a batch of problems;
* :func:`stopping_accuracy_exact` — the same by an exact dynamic programme over vote-count
  vectors (host; answers with equal probability are merged), feasible for small M and few answers;
* :func:`population_stopping` — the population lift :math:`\sum_i w_i f(p_i)`;
* :func:`esc_strategy`, :func:`adaptive_consistency_strategy`, :func:`doubling_strategy` —
  :class:`~ttsim._src.strategy.Strategy` values (accuracy per problem; workload in *expected*
  samples and rounds on a population).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype
from ttsim._src.population import ProblemSet
from ttsim._src.stopping_logs import _exact_problem
from ttsim._src.stopping_rules import (
    StoppingRule,
    adaptive_consistency_rule,
    doubling_rule,
    esc_rule,
)
from ttsim._src.strategy import Phase, Strategy, Workload
from ttsim._src.traceable import traceable
from ttsim._src.vote import answer_probs


class StoppingResult(NamedTuple):
    """Expected accuracy, samples and rounds (one after another) of a stopping rule, per problem."""

    accuracy: jax.Array
    mean_samples: jax.Array
    mean_rounds: jax.Array


# ----------------------------------------------------------------------------- closed form (ESC)


@traceable
def esc_expected_samples(probs, window: int, max_samples: int) -> jax.Array:
    r"""ESC's expected number of samples on a problem with answer distribution ``probs``.

    .. math:: E[\tau] = w\,\frac{1 - (1-u)^{J}}{u},\qquad u = \sum_a \pi_a^{w},\quad J = M / w

    (:math:`E[\tau] = M` when u = 0). Exact: windows are independent, each unanimous with
    probability u.

    Args:
      probs: ``(..., A)`` answer distribution (all answers non-empty).
      window: w (static, >= 1). max_samples: M (static, a multiple of w).

    References: Li et al., `Escape Sky-high Cost: Early-stopping Self-Consistency
    <https://arxiv.org/abs/2401.10480>`_, ICLR 2024.
    """
    w, num_windows = _esc_shape(window, max_samples, "esc_expected_samples")
    probs = v.asarray(probs)
    probs = v.astype(probs, float_dtype(probs))
    u = jnp.sum(probs**w, axis=-1)
    return _esc_samples(u, w, num_windows)


def _esc_shape(window, max_samples, where):
    w, m = int(window), int(max_samples)
    if w < 1 or m < w or m % w:
        raise ValueError(f"{where}: max_samples ({m}) must be a positive multiple of window ({w})")
    return w, m // w


def _esc_samples(u, w, num_windows):
    safe = jnp.where(u > 0, u, 1.0)
    none = jnp.where(u >= 1.0, 0.0, jnp.exp(num_windows * jnp.log1p(-jnp.minimum(u, 1.0 - 1e-12))))  # (1-u)^J
    return jnp.where(u > 0, w * (1.0 - none) / safe, float(w * num_windows))


@traceable
def esc_stop_correct(probs, window: int, max_samples: int) -> jax.Array:
    r"""Probability that ESC stops early on the correct answer:
    :math:`\frac{\pi_0^w}{u}\,(1 - (1-u)^J)`; a lower bound of ESC's accuracy (the rest comes from
    the plurality fallback when no window is unanimous).

    References: Li et al., ESC, ICLR 2024.
    """
    w, num_windows = _esc_shape(window, max_samples, "esc_stop_correct")
    probs = v.asarray(probs)
    probs = v.astype(probs, float_dtype(probs))
    u = jnp.sum(probs**w, axis=-1)
    none = jnp.where(u >= 1.0, 0.0, jnp.exp(num_windows * jnp.log1p(-jnp.minimum(u, 1.0 - 1e-12))))
    return jnp.where(u > 0, probs[..., 0] ** w / jnp.where(u > 0, u, 1.0) * (1.0 - none), 0.0)


# ----------------------------------------------------------------------------- Monte Carlo


def _mc_one(pi, unif, rule: StoppingRule, max_samples: int):
    num_answers = pi.shape[-1]
    edges = jnp.cumsum(pi)[:-1]
    draws = jnp.minimum(jnp.sum(unif[..., None] >= edges, axis=-1), num_answers - 1).astype(jnp.int32)
    counts = jnp.cumsum(draws[..., None] == jnp.arange(num_answers), axis=1).astype(jnp.int32)
    stop, answer = rule.vector(draws, counts, max_samples)
    stop = stop.at[:, -1].set(True)
    tau = jnp.argmax(stop, axis=1)
    rows = jnp.arange(draws.shape[0])
    ans = answer[rows, tau]
    c_at = counts[rows, tau]
    top = jnp.max(c_at, axis=-1, keepdims=True)
    tied = (c_at == top) & (top > 0)
    lead = jnp.where(tied[:, 0], 1.0 / jnp.maximum(jnp.sum(tied, axis=-1), 1), 0.0)
    score = jnp.where(ans >= 0, (ans == 0).astype(pi.dtype), v.astype(lead, pi.dtype))
    samples = (tau + 1).astype(pi.dtype)
    return jnp.mean(score), jnp.mean(samples), jnp.mean(rule.rounds(samples))


@functools.partial(jax.jit, static_argnames=("rule", "max_samples", "num_trials"))
def _stopping_mc(key, probs, rule, max_samples: int, num_trials: int):
    unif = jax.random.uniform(key, (num_trials, max_samples), probs.dtype)
    flat = probs.reshape(-1, probs.shape[-1])
    acc, smp, rnd = jax.lax.map(lambda pi: _mc_one(pi, unif, rule, max_samples), flat)
    shape = probs.shape[:-1]
    return StoppingResult(acc.reshape(shape), smp.reshape(shape), rnd.reshape(shape))


def stopping_accuracy(key, probs, rule: StoppingRule, max_samples: int, *, num_trials: int = 2048) -> StoppingResult:
    r"""Expected accuracy, samples and rounds of a stopping rule on i.i.d. answers (Monte Carlo).

    Each trial draws M answers from ``probs`` and runs ``rule``; the score is 1 if the answer
    given is the correct one (a tie among t leaders counts 1/t), the samples are the stopping
    time τ:

    .. math:: \mathrm{acc} = \Pr(\hat a_\tau = 0), \qquad E[\tau], \qquad E[\mathrm{rounds}(\tau)]

    Every problem uses the same uniforms (common random numbers), so curves over p are smooth;
    the standard error of an accuracy is at most :math:`0.5/\sqrt{\mathrm{num\_trials}}`.

    Args:
      key: a ``jax.random`` key (required).
      probs: ``(..., A)`` answer distributions, index 0 correct.
      rule: a :class:`~ttsim._src.stopping_rules.StoppingRule` (static).
      max_samples: M (static). num_trials: trials (static).

    Returns:
      :class:`StoppingResult` of ``probs.shape[:-1]`` arrays.

    References: Li et al., ESC, ICLR 2024; Aggarwal et al., Adaptive-Consistency, EMNLP 2023.
    """
    where = "stopping_accuracy"
    probs = v.asarray(probs)
    probs = v.astype(probs, float_dtype(probs))
    if probs.ndim < 1 or probs.shape[-1] < 2:
        raise ValueError(f"{where}: probs must have a trailing answer axis of size >= 2; got shape {probs.shape}")
    v.check_probability("probs", probs, where=where)
    max_samples, num_trials = int(max_samples), int(num_trials)
    if max_samples < 1:
        raise ValueError(f"{where}: max_samples must be >= 1; got {max_samples}")
    if num_trials < 2:
        raise ValueError(f"{where}: num_trials must be >= 2; got {num_trials}")
    if rule.name == "esc":
        _esc_shape(dict(rule.describe)["window"], max_samples, where)
    return _stopping_mc(key, probs, rule, max_samples, num_trials)


def stopping_accuracy_exact(probs, rule: StoppingRule, max_samples: int, *, max_states: int = 200_000) -> StoppingResult:
    r"""Exact expected accuracy and samples of a stopping rule on i.i.d. answers (host DP).

    A Markov chain on the vote-count vector (and the rule's window state), run sample by sample;
    answers with equal probability are exchangeable and merged. Cost grows like the number of
    count vectors, so use it for small M and few distinct probabilities (ValueError past
    ``max_states``). ``mean_rounds`` is not computed (NaN).

    Expected samples and accuracy of a stopping rule: :math:`\mathbb{E}[\tau] = \sum_{m \ge 1} \Pr(\tau \ge m)`, :math:`\mathrm{acc} = \Pr(\hat a_\tau = a^\star)`.

    References: Li et al., ESC, ICLR 2024; Aggarwal et al., Adaptive-Consistency, EMNLP 2023.
    """
    pv = np.asarray(probs, np.float64)
    flat = pv.reshape(-1, pv.shape[-1])
    acc = np.zeros(len(flat))
    smp = np.zeros(len(flat))
    corr = np.zeros(pv.shape[-1], bool)
    corr[0] = True
    for i, row in enumerate(flat):
        try:
            acc[i], smp[i] = _exact_problem(np.zeros(len(row), np.int64), corr, 0, rule, int(max_samples), max_states, probs=row)
        except Exception as err:  # _TooManyStates
            raise ValueError(f"stopping_accuracy_exact: more than max_states={max_states} states; use stopping_accuracy") from err
    shape = pv.shape[:-1]
    return StoppingResult(acc.reshape(shape), smp.reshape(shape), np.full(shape, np.nan))


def population_stopping(key, problems: ProblemSet, rule: StoppingRule, max_samples: int, *, wrong_mode_share=0.3, num_other: int = 4, num_trials: int = 2048) -> StoppingResult:
    r"""Population lift of :func:`stopping_accuracy`: :math:`\sum_i w_i f(\pi_i)` for accuracy,
    samples and rounds, with :math:`\pi_i` = ``answer_probs(p_i, s(1 - p_i), num_other)``.

    Expected samples and accuracy of a stopping rule: :math:`\mathbb{E}[\tau] = \sum_{m \ge 1} \Pr(\tau \ge m)`, :math:`\mathrm{acc} = \Pr(\hat a_\tau = a^\star)`.

    References: Li et al., `ESC <https://arxiv.org/abs/2401.10480>`_, ICLR 2024; Aggarwal et al., `Adaptive-Consistency <https://arxiv.org/abs/2305.11860>`_, EMNLP 2023.
    """
    p = problems.p
    q = v.asarray(wrong_mode_share, p.dtype) * (1.0 - p)
    res = stopping_accuracy(key, answer_probs(p, q, num_other), rule, max_samples, num_trials=num_trials)
    return StoppingResult(*(jnp.sum(problems.weight * x, axis=-1) for x in res))


# ----------------------------------------------------------------------------- strategies


class StoppingParams(NamedTuple):
    """Parameters of an adaptive self-consistency strategy (array leaves; swept without retracing).

    Attributes:
      wrong_mode_share: s, share of the wrong mass on the dominant wrong answer (q = s(1 − p)).
      key: the Monte Carlo key as raw key data (``jax.random.key_data``: a uint32 array, so
        option grids can batch it); common random numbers across problems and parameters.
      mean_samples, mean_rounds: expected samples and rounds on the population the workload is
        for (``max_samples`` when no population is given: the worst case).
    """

    wrong_mode_share: jax.Array
    key: jax.Array
    mean_samples: jax.Array
    mean_rounds: jax.Array


def _stopping_strategy(name, key, rule, max_samples, wrong_mode_share, num_other, num_trials, problems, parallel):
    max_samples, num_other, num_trials = int(max_samples), int(num_other), int(num_trials)
    v.check_probability("wrong_mode_share", wrong_mode_share, where=name)
    if rule.name == "esc":
        _esc_shape(dict(rule.describe)["window"], max_samples, name)
    k_acc, k_pop = jax.random.split(key)

    @traceable
    def accuracy(p, params):
        p = v.asarray(p)
        p = v.astype(p, float_dtype(p))
        share = v.asarray(params.wrong_mode_share, p.dtype)
        p, share = v.broadcast_arrays(p, share)
        probs = answer_probs(p, share * (1.0 - p), num_other)
        return _stopping_mc(jax.random.wrap_key_data(params.key), probs, rule, max_samples, num_trials).accuracy

    if problems is not None:
        res = population_stopping(k_pop, problems, rule, max_samples, wrong_mode_share=wrong_mode_share, num_other=num_other, num_trials=num_trials)
        mean_samples, mean_rounds = res.mean_samples, res.mean_rounds
    else:
        mean_samples = v.asarray(float(max_samples))
        mean_rounds = rule.rounds(mean_samples)

    def workload(params):
        rounds = v.asarray(params.mean_rounds)
        count = v.asarray(params.mean_samples) / rounds if parallel else jnp.ones_like(rounds)
        length = rounds if parallel else v.asarray(params.mean_samples)
        return Workload((Phase(count=count, length=length, depth=rounds, context=jnp.zeros_like(rounds), role="solver"),))

    params = StoppingParams(v.asarray(wrong_mode_share, jnp.float32), jax.random.key_data(k_acc), mean_samples, mean_rounds)
    return Strategy(name=name, accuracy=accuracy, workload=workload, params=params)


def esc_strategy(key, *, window: int = 5, max_samples: int = 40, wrong_mode_share=0.3, num_other: int = 4, num_trials: int = 2048, problems: ProblemSet | None = None) -> Strategy:
    r"""ESC as a :class:`~ttsim._src.strategy.Strategy`: windows of w samples drawn in parallel,
    stop at the first unanimous window (else the plurality of M).

    Workload (expected values): one phase of ``count`` = w generations side by side for
    E[J] rounds (``length = depth = E[J]``, E[J] = E[τ]/w), so ``count · length = E[τ]``.
    ``problems`` fixes the population these expectations are taken over (else the worst case M).

    Expected samples and accuracy of a stopping rule: :math:`\mathbb{E}[\tau] = \sum_{m \ge 1} \Pr(\tau \ge m)`, :math:`\mathrm{acc} = \Pr(\hat a_\tau = a^\star)`.

    References: Li et al., `ESC <https://arxiv.org/abs/2401.10480>`_, ICLR 2024.
    """
    return _stopping_strategy("esc", key, esc_rule(window), max_samples, wrong_mode_share, num_other, num_trials, problems, True)


def adaptive_consistency_strategy(key, *, threshold: float = 0.95, max_samples: int = 40, wrong_mode_share=0.3, num_other: int = 4, num_trials: int = 2048, problems: ProblemSet | None = None) -> Strategy:
    r"""Adaptive-Consistency (Beta stopping rule) as a Strategy: one sample at a time, E[τ] rounds.

    Expected samples and accuracy of a stopping rule: :math:`\mathbb{E}[\tau] = \sum_{m \ge 1} \Pr(\tau \ge m)`, :math:`\mathrm{acc} = \Pr(\hat a_\tau = a^\star)`.

    References: Aggarwal et al., `Adaptive-Consistency <https://arxiv.org/abs/2305.11860>`_, EMNLP 2023.
    """
    rule = adaptive_consistency_rule(threshold)
    return _stopping_strategy("adaptive_consistency", key, rule, max_samples, wrong_mode_share, num_other, num_trials, problems, False)


def doubling_strategy(key, *, share: float = 2.0 / 3.0, max_samples: int = 32, wrong_mode_share=0.3, num_other: int = 4, num_trials: int = 2048, problems: ProblemSet | None = None) -> Strategy:
    r"""Supermajority doubling as a Strategy: batches 2, 2, 4, 8, … (E[rounds] rounds of on average
    E[τ]/E[rounds] parallel samples each).

    Expected samples and accuracy of a stopping rule: :math:`\mathbb{E}[\tau] = \sum_{m \ge 1} \Pr(\tau \ge m)`, :math:`\mathrm{acc} = \Pr(\hat a_\tau = a^\star)`.

    References: Wang et al., `Self-Consistency <https://arxiv.org/abs/2203.11171>`_, 2022 (the vote);
    its_hub's adaptive self-consistency (the doubling schedule).
    """
    rule = doubling_rule(share)
    return _stopping_strategy("doubling", key, rule, max_samples, wrong_mode_share, num_other, num_trials, problems, True)
