r"""Stopping rules of adaptive self-consistency, as values: ESC, Adaptive-Consistency, doubling.

A rule watches a stream of answers (group indices ``0..G-1``; ``-1`` is an empty answer, which
is a sample but no vote) and decides after each sample whether to stop and which answer to give.
Each rule is a :class:`StoppingRule` NamedTuple of pure functions in two forms that must agree:

* ``update(aux, g, m)`` / ``stop(counts, aux, m, max_samples) -> (stop, answer)``: one path, one
  sample at a time (host Python; used by the exact dynamic programmes over count vectors);
* ``vector(draws, counts, max_samples) -> (stop, answer)``: many paths at once (``jnp``; used by
  the seeded Monte Carlo of the model and of the log estimator). ``draws`` is ``(T, M)``,
  ``counts`` the running vote counts ``(T, M, G)`` after each sample.

``answer = -1`` means "the plurality leader of the votes so far" (ties among t leaders score
#correct/t, no votes score 0); ``answer >= 0`` names the answer given (ESC answers with the
unanimous window). Sampling always stops at ``max_samples``.

Rules (``m`` samples drawn so far, :math:`v_1 \ge v_2` the two largest vote counts):

==========================  ==================================================================
ESC (Li et al., 2024)       checks at m = w, 2w, ...: stop when the last w answers are one
                            non-empty answer, and give it
Adaptive-Consistency        after every sample: stop when
(Aggarwal et al., 2023)     :math:`\Pr(x > \tfrac12) = I_{1/2}(v_2+1, v_1+1) > \theta`,
                            x ~ Beta(v₁+1, v₂+1) (the Beta stopping criterion)
doubling (supermajority)    checks at m = 2, 4, 8, ... and max_samples: stop when
                            :math:`v_1 \ge s\,m`
==========================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
import scipy.special

_START, _MIXED = -3, -2  # ESC window state: nothing drawn in this window yet / not unanimous


class StoppingRule(NamedTuple):
    """A stopping rule as a value (see the module docstring for the two forms)."""

    name: str
    update: Callable[[int, int, int], int]
    stop: Callable[[tuple, int, int, int], tuple[bool, int]]
    vector: Callable[[Any, Any, int], tuple[Any, Any]]
    describe: tuple
    rounds: Callable[[Any], Any] = lambda tau: tau
    """Rounds run one after another to draw ``tau`` samples (the latency of the rule)."""


def _no_aux(aux, g, m):
    return aux


def _top_two(counts) -> tuple[int, int]:
    if not counts:
        return 0, 0
    s = sorted(counts, reverse=True)
    return s[0], (s[1] if len(s) > 1 else 0)


def _top_two_vec(counts):
    g = counts.shape[-1]
    if g == 0:
        z = jnp.zeros(counts.shape[:-1], counts.dtype)
        return z, z
    s = jnp.sort(counts, axis=-1)
    v1 = s[..., -1]
    v2 = s[..., -2] if g > 1 else jnp.zeros_like(v1)
    return v1, v2


def esc_rule(window: int = 5) -> StoppingRule:
    r"""Early-Stopping Self-Consistency: windows of ``window`` samples; stop after the first
    window whose answers are one non-empty answer and give that answer (else the plurality of
    all ``max_samples``, a multiple of the window).

    Stop after window j when :math:`a_{(j-1)w+1} = \dots = a_{jw}` is one non-empty answer; else the plurality of all M.

    References: Li et al., `Escape Sky-high Cost: Early-stopping Self-Consistency for Multi-step
    Reasoning <https://arxiv.org/abs/2401.10480>`_, ICLR 2024.
    """
    w = int(window)
    if w < 1:
        raise ValueError(f"esc_rule: window must be >= 1; got {window}")

    def update(aux, g, m):
        if (m - 1) % w == 0:  # first sample of a window
            return g if g >= 0 else _MIXED
        return aux if aux == g else _MIXED

    def stop(counts, aux, m, max_samples):
        if m % w == 0 and aux >= 0:
            return True, aux
        return m >= max_samples, -1

    def vector(draws, counts, max_samples):
        t, mm = draws.shape
        j = mm // w
        win = draws[:, : j * w].reshape(t, j, w)
        unanimous = jnp.all(win == win[..., :1], axis=-1) & (win[..., 0] >= 0)
        stop = jnp.zeros((t, mm), bool).at[:, w - 1 : j * w : w].set(unanimous)
        answer = jnp.full((t, mm), -1, draws.dtype).at[:, w - 1 : j * w : w].set(
            jnp.where(unanimous, win[..., 0], -1)
        )
        return stop, answer

    return StoppingRule("esc", update, stop, vector, (("window", w),), lambda tau: jnp.ceil(tau / w))


def adaptive_consistency_rule(threshold: float = 0.95) -> StoppingRule:
    r"""Adaptive-Consistency with the Beta stopping criterion: after every sample, stop when the
    posterior probability that the leader beats the runner-up exceeds ``threshold``:

    .. math:: \Pr(x > \tfrac12 \mid v_1, v_2) = I_{1/2}(v_2 + 1,\, v_1 + 1) > \theta,
              \qquad x \sim \mathrm{Beta}(v_1 + 1, v_2 + 1)

    (uniform prior on the leader's share of the top two). The answer is the leader.

    References: Aggarwal et al., `Let's Sample Step by Step: Adaptive-Consistency for Efficient
    Reasoning and Coding with LLMs <https://arxiv.org/abs/2305.11860>`_, EMNLP 2023.
    """
    th = float(threshold)
    if not 0.0 < th < 1.0:
        raise ValueError(f"adaptive_consistency_rule: threshold must lie in (0, 1); got {threshold}")

    def stop(counts, aux, m, max_samples):
        v1, v2 = _top_two(counts)
        return bool(scipy.special.betainc(v2 + 1, v1 + 1, 0.5) > th) or m >= max_samples, -1

    def vector(draws, counts, max_samples):
        # The posterior depends only on the integer pair (v1, v2) <= M: a table computed once
        # on the host (scipy) and gathered, instead of an incomplete Beta per trial and step.
        size = draws.shape[1] + 1
        v = np.arange(size)
        table = jnp.asarray(scipy.special.betainc(v[None, :] + 1.0, v[:, None] + 1.0, 0.5) > th)
        v1, v2 = _top_two_vec(counts)
        return table[v1, v2], jnp.full(draws.shape, -1, draws.dtype)

    return StoppingRule("adaptive", _no_aux, stop, vector, (("threshold", th),))


def doubling_rule(share: float = 2.0 / 3.0) -> StoppingRule:
    r"""Supermajority doubling: draw 2, 4, 8, … samples (and finally ``max_samples``) and stop
    at the first checkpoint m where the leader holds :math:`v_1 \ge s\,m` of the votes cast so
    far (s = ``share``); answer with the leader.

    References: the sequential "sample until a supermajority" rule used by self-consistency
    serving tools (its_hub; Wang et al., `Self-Consistency <https://arxiv.org/abs/2203.11171>`_).
    """
    s = float(share)
    if not 0.0 < s <= 1.0:
        raise ValueError(f"doubling_rule: share must lie in (0, 1]; got {share}")

    def is_check(m):
        return m >= 2 and (m & (m - 1)) == 0

    def stop(counts, aux, m, max_samples):
        v1, _ = _top_two(counts)
        hit = is_check(m) and v1 > 0 and v1 >= s * m - 1e-9
        return hit or m >= max_samples, -1

    def vector(draws, counts, max_samples):
        mm = draws.shape[1]
        m = np.arange(1, mm + 1)
        check = jnp.asarray((m >= 2) & ((m & (m - 1)) == 0))
        v1, _ = _top_two_vec(counts)
        hit = check[None, :] & (v1 > 0) & (v1 >= s * jnp.asarray(m, jnp.float32)[None, :] - 1e-6)
        return hit, jnp.full(draws.shape, -1, draws.dtype)

    def rounds(tau):  # checkpoints 2, 4, 8, ... (and max_samples) up to tau
        return jnp.maximum(jnp.ceil(jnp.log2(jnp.maximum(tau, 1.0))), 1.0)

    return StoppingRule("doubling", _no_aux, stop, vector, (("share", s),), rounds)


RULES = {"esc": esc_rule, "adaptive": adaptive_consistency_rule, "doubling": doubling_rule}
"""Rule constructors by the CLI's ``--stopping`` names (extend by adding a value)."""


def leader_score(counts, correct) -> float:
    """Plurality score of one vote-count vector: #correct among the t leaders / t; 0 if no votes."""
    counts = np.asarray(counts)
    if counts.size == 0 or counts.max() == 0:
        return 0.0
    tied = counts == counts.max()
    return float((tied & np.asarray(correct, bool)).sum() / tied.sum())
