r"""Adaptive stopping measured on real logs: expected accuracy and samples over random orderings.

For one problem with n logged samples, a stopping rule (:mod:`ttsim._src.stopping_rules`) is run on
a uniformly random ordering of the samples (drawn without replacement), capped at ``max_samples``
M <= n; the estimator is the expectation over orderings of the score and of the samples used:

.. math:: \widehat{\mathrm{acc}} = \frac{1}{n!}\sum_{\sigma} \mathrm{score}(\sigma_{1:\tau(\sigma)}),
          \qquad \widehat{E\,\tau} = \frac{1}{n!}\sum_\sigma \tau(\sigma)

with maj@k's answer rules: empty answers do not vote, an answer is correct if any of its rows is,
a tie among t leaders scores #correct/t. Since the remaining pool depends only on the vote counts
drawn so far, the process is a Markov chain on count vectors: ``"exact"`` runs it as a dynamic
programme (answers with the same size and correctness are exchangeable, so states are sorted
within those classes); ``"monte_carlo"`` averages seeded random orderings; ``"auto"`` is exact
unless the state count passes ``max_states``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ttsim._src.stopping_rules import StoppingRule, leader_score

_METHODS = ("auto", "exact", "monte_carlo")


class StoppingEstimate(NamedTuple):
    """Result of :func:`estimate_stopping_arrays` / :func:`estimate_stopping`.

    Attributes:
      rule: the rule's name; max_samples: the cap M.
      accuracy, mean_samples: means over problems.
      per_problem_accuracy, per_problem_samples: ``(P,)`` arrays.
      method: ``"exact"``, ``"monte_carlo"`` or ``"exact+monte_carlo"``; problem_method ``(P,)``.
      mc_stderr: standard error of ``accuracy`` from the Monte Carlo problems (0 if all exact).
    """

    rule: str
    max_samples: int
    accuracy: float
    mean_samples: float
    per_problem_accuracy: np.ndarray
    per_problem_samples: np.ndarray
    method: str
    problem_method: np.ndarray
    mc_stderr: float


class _TooManyStates(Exception):
    pass


def _groups(answers, correct):
    answers = np.asarray(answers).astype(np.int64).reshape(-1)
    correct = np.asarray(correct).astype(bool).reshape(-1)
    if answers.shape != correct.shape:
        raise ValueError(f"answers{answers.shape} and correct{correct.shape} must have one entry per sample")
    voting = answers >= 0
    labels, inverse = np.unique(answers[voting], return_inverse=True)
    group = np.full(answers.shape, -1, np.int64)
    group[voting] = inverse
    size = np.bincount(inverse, minlength=len(labels)).astype(np.int64)
    corr = np.bincount(inverse, weights=correct[voting], minlength=len(labels)) > 0
    return group, size, corr


def _exact_problem(size, corr, n_empty, rule: StoppingRule, max_samples: int, max_states: int, probs=None):
    """Exact expected (score, samples) of one problem by the DP over count vectors.

    Without replacement from a pool of ``size[g]`` rows per answer (and ``n_empty`` empty rows);
    with ``probs`` given instead, i.i.d. draws with answer probabilities ``probs`` (the model).
    """
    g_count = len(size)
    sizes = np.append(size, n_empty)  # last entry: the empty-answer pool
    n = int(sizes.sum())
    with_replacement = probs is not None
    if with_replacement:
        probs = np.append(np.asarray(probs, np.float64), 0.0)
        sizes = np.full(g_count + 1, max_samples + 1)
    classes = defaultdict(list)
    for g in range(g_count):
        key = float(probs[g]) if with_replacement else int(size[g])
        classes[(key, bool(corr[g]))].append(g)
    class_lists = [c for c in classes.values() if len(c) > 1]

    def canon(counts, aux):
        if not class_lists:
            return counts, aux
        c = list(counts)
        new_aux = aux
        for idx in class_lists:
            order = sorted(idx, key=lambda g: (c[g], g == aux))
            vals = [c[g] for g in order]
            if aux in idx:
                new_aux = idx[order.index(aux)]
            for pos, val in zip(idx, vals, strict=True):
                c[pos] = val
        return tuple(c), new_aux

    states = {(tuple([0] * (g_count + 1)), -3): 1.0}
    acc = 0.0
    mean = 0.0
    for m in range(1, max_samples + 1):
        remaining = n - (m - 1)
        new: dict = defaultdict(float)
        for (counts, aux), pr in states.items():
            for g in range(g_count + 1):
                if with_replacement:
                    p = pr * probs[g]
                    if p == 0.0:
                        continue
                else:
                    r = sizes[g] - counts[g]
                    if r <= 0:
                        continue
                    p = pr * r / remaining
                c2 = counts[:g] + (counts[g] + 1,) + counts[g + 1 :]
                drawn = g if g < g_count else -1
                aux2 = rule.update(aux, drawn, m)
                votes = c2[:g_count]
                stop, answer = rule.stop(votes, aux2, m, max_samples)
                if stop or m >= max_samples:
                    score = float(corr[answer]) if answer >= 0 else leader_score(votes, corr)
                    acc += p * score
                    mean += p * m
                else:
                    new[canon(c2, aux2)] += p
        states = new
        if len(states) > max_states:
            raise _TooManyStates
        if not states:
            break
    return acc, mean


def _mc_problem(group, size, corr, rule: StoppingRule, max_samples: int, num_trials: int, rng):
    """Monte Carlo (score, samples, stderr) of one problem over random orderings."""
    n = len(group)
    g_count = len(size)
    keys = rng.random((num_trials, n))
    order = np.argsort(keys, axis=1)[:, :max_samples]
    draws = group[order]  # (T, M), -1 for empty
    onehot = (draws[..., None] == np.arange(g_count)).astype(np.int32)
    counts = np.cumsum(onehot, axis=1)  # (T, M, G)
    stop, answer = rule.vector(jnp.asarray(draws), jnp.asarray(counts), max_samples)
    stop = np.asarray(stop).copy()
    answer = np.asarray(answer)
    stop[:, -1] = True
    tau = np.argmax(stop, axis=1)  # first stop, 0-based
    rows = np.arange(num_trials)
    ans = answer[rows, tau]
    c_at = counts[rows, tau]  # (T, G)
    if g_count:
        top = c_at.max(axis=1, keepdims=True)
        tied = (c_at == top) & (top > 0)
        lead = np.where(tied.any(1), (tied & corr).sum(1) / np.maximum(tied.sum(1), 1), 0.0)
        score = np.where(ans >= 0, corr[np.clip(ans, 0, g_count - 1)], lead)
    else:
        score = np.zeros(num_trials)
    samples = tau + 1.0
    return float(score.mean()), float(samples.mean()), float(score.std(ddof=1) / np.sqrt(num_trials))


def estimate_stopping_arrays(
    answers,
    correct,
    rule: StoppingRule,
    max_samples: int,
    *,
    method: str = "auto",
    num_trials: int = 4000,
    seed: int = 0,
    max_states: int = 20_000,
    problem_names=None,
) -> StoppingEstimate:
    r"""Expected accuracy and samples of a stopping rule over random orderings of logged samples.

    See the module docstring for the estimator (exact DP over count vectors, or seeded Monte
    Carlo over orderings without replacement).

    Args:
      answers: sequence over problems of ``(n_i,)`` integer answer codes (``-1``: no answer).
      correct: the same shapes, 0/1 (a code is correct if any of its rows is).
      rule: a :class:`~ttsim._src.stopping_rules.StoppingRule`.
      max_samples: the cap M (whole number, ``1 <= M <= min_i n_i``).
      method: ``"auto"``, ``"exact"`` or ``"monte_carlo"``.
      num_trials: Monte Carlo orderings per problem. seed: Monte Carlo seed.
      max_states: ``"auto"`` falls back to Monte Carlo above this many DP states.
      problem_names: names for messages (default: the problem's index).

    Raises:
      ValueError: a problem with fewer than ``max_samples`` samples (naming it), a bad method.

    Expected samples and accuracy of a stopping rule: :math:`\mathbb{E}[\tau] = \sum_{m \ge 1} \Pr(\tau \ge m)`, :math:`\mathrm{acc} = \Pr(\hat a_\tau = a^\star)`.

    References: Li et al., ESC, ICLR 2024; Aggarwal et al., Adaptive-Consistency, EMNLP 2023;
    Wang et al., `Self-Consistency <https://arxiv.org/abs/2203.11171>`_, 2022.
    """
    where = "estimate_stopping"
    if method not in _METHODS:
        raise ValueError(f"{where}: method must be one of {', '.join(_METHODS)}; got {method!r}")
    if len(answers) != len(correct) or len(answers) == 0:
        raise ValueError(f"{where}: answers and correct must list the same, non-zero number of problems")
    max_samples = int(max_samples)
    if max_samples < 1:
        raise ValueError(f"{where}: max_samples must be >= 1; got {max_samples}")
    if int(num_trials) < 2:
        raise ValueError(f"{where}: num_trials must be >= 2; got {num_trials}")
    names = list(problem_names) if problem_names is not None else [str(i) for i in range(len(answers))]
    if rule.name == "esc" and max_samples % dict(rule.describe)["window"]:
        raise ValueError(f"{where}: max_samples={max_samples} must be a multiple of the ESC window {dict(rule.describe)['window']}")
    acc = np.zeros(len(answers))
    smp = np.zeros(len(answers))
    var = np.zeros(len(answers))
    used = np.empty(len(answers), dtype=object)
    for i, (a, c) in enumerate(zip(answers, correct, strict=True)):
        group, size, corr = _groups(a, c)
        if len(group) < max_samples:
            raise ValueError(
                f"{where}: max_samples={max_samples} exceeds problem {names[i]!r}'s {len(group)} samples"
            )
        n_empty = int((group < 0).sum())
        done = False
        if method in ("auto", "exact"):
            try:
                cap = max_states if method == "auto" else np.inf
                acc[i], smp[i] = _exact_problem(size, corr, n_empty, rule, max_samples, cap)
                used[i], done = "exact", True
            except _TooManyStates:
                done = False
        if not done:
            rng = np.random.default_rng([int(seed), i])
            acc[i], smp[i], se = _mc_problem(group, size, corr, rule, max_samples, int(num_trials), rng)
            var[i], used[i] = se**2, "monte_carlo"
    kinds = set(used.tolist())
    return StoppingEstimate(
        rule=rule.name,
        max_samples=max_samples,
        accuracy=float(acc.mean()),
        mean_samples=float(smp.mean()),
        per_problem_accuracy=acc,
        per_problem_samples=smp,
        method=kinds.pop() if len(kinds) == 1 else "exact+monte_carlo",
        problem_method=used,
        mc_stderr=float(np.sqrt(var.sum()) / len(answers)),
    )


def log_arrays(log):
    """Per-problem ``(names, answers, correct, confidence)`` of a ``SampleLog``, in problem order.

    Answers become integer codes (``-1`` for empty); ``confidence`` is None unless the log has a
    ``confidence`` field (then per-problem float arrays).
    """
    from ttsim._src.logs import problem_order

    names = problem_order(log)
    conf = getattr(log, "confidence", None)
    rows: dict[str, list[int]] = {p: [] for p in names}
    for i, p in enumerate(log.problem.tolist()):
        rows[p].append(i)
    answers, correct, confidence = [], [], []
    for p in names:
        r = np.asarray(rows[p], np.int64)
        text = np.asarray(log.answer[r]).astype(str)
        labels, codes = np.unique(text, return_inverse=True)
        codes = codes.astype(np.int64)
        empty = text == ""
        codes[empty] = -1
        answers.append(codes)
        correct.append(np.asarray(log.correct[r]).astype(bool))
        confidence.append(None if conf is None else np.asarray(conf[r], np.float64))
    return names, answers, correct, (None if conf is None else confidence)


def estimate_stopping(log, rule: StoppingRule, max_samples=None, **kwargs) -> StoppingEstimate:
    r""":func:`estimate_stopping_arrays` on a ``SampleLog`` (``max_samples`` defaults to the
    smallest per-problem sample count, rounded down to a multiple of the ESC window).

    Expected samples and accuracy of a stopping rule: :math:`\mathbb{E}[\tau] = \sum_{m \ge 1} \Pr(\tau \ge m)`, :math:`\mathrm{acc} = \Pr(\hat a_\tau = a^\star)`.

    References: Li et al., `ESC <https://arxiv.org/abs/2401.10480>`_, ICLR 2024; Aggarwal et al., `Adaptive-Consistency <https://arxiv.org/abs/2305.11860>`_, EMNLP 2023.
    """
    names, answers, correct, _ = log_arrays(log)
    if max_samples is None:
        max_samples = min(len(a) for a in answers)
        if rule.name == "esc":
            max_samples -= max_samples % dict(rule.describe)["window"]
    return estimate_stopping_arrays(answers, correct, rule, max_samples, problem_names=names, **kwargs)
