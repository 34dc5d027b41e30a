"""Monte Carlo reference for generative-verifier (GenRM) best-of-S selection: the process itself.

Draws solutions, verdicts and tie-breaks step by step; the exact sums of
:mod:`ttsim._src.verification` are tested against it.

References: Singhi et al., `When To Solve, When To Verify
<https://arxiv.org/abs/2504.01005>`_, 2025.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v

_TIE_BREAKS = ("uniform", "vote")


@functools.partial(jax.jit, static_argnames=("correlation", "num_trials", "max_solutions", "max_verifications", "vote"))
def _simulate(
    key, probs, tpr, fpr, correlation, num_solutions, num_verifications, num_trials, max_solutions, max_verifications, vote
):
    k_ans, k_ver, k_tie, k_rate = jax.random.split(key, 4)
    num_answers = probs.shape[-1]
    answers = jax.random.categorical(k_ans, jnp.log(probs), shape=(num_trials, max_solutions))
    correct = answers == 0
    # Verdicts one by one (V <= max_verifications; the rest masked), so V is an array argument.
    u = jax.random.uniform(k_ver, (num_trials, max_solutions, max_verifications))
    mean = jnp.where(correct, tpr, fpr)
    if correlation > 0:  # each solution's own "yes" rate r ~ Beta(mean (1-rho)/rho, (1-mean)(1-rho)/rho)
        conc = (1.0 - correlation) / correlation
        inner = (mean > 0) & (mean < 1)
        m = jnp.where(inner, mean, 0.5)
        r = jax.random.beta(k_rate, m * conc, (1.0 - m) * conc)
        mean = jnp.where(inner, r, mean)
    rate = mean[..., None]
    used = jnp.arange(max_verifications) < num_verifications
    score = jnp.sum((u < rate) & used, axis=-1).astype(jnp.float32)
    present = jnp.arange(max_solutions) < num_solutions
    score = jnp.where(present, score, -1.0)
    top = jnp.max(score, axis=-1, keepdims=True)
    tied = (score == top) & present
    if not vote:
        jitter = jax.random.uniform(k_tie, score.shape)
        pick = jnp.argmax(jnp.where(tied, jitter, -1.0), axis=-1)
        return jnp.mean(jnp.take_along_axis(correct, pick[:, None], axis=-1)[:, 0].astype(jnp.float32))
    counts = jnp.sum(jax.nn.one_hot(answers, num_answers) * tied[..., None], axis=1)  # (trials, A)
    best = jnp.max(counts, axis=-1)
    ties = jnp.sum(counts == best[:, None], axis=-1)
    return jnp.mean(jnp.where(counts[:, 0] == best, 1.0 / ties, 0.0))


def simulate_genrm(
    key,
    p,
    tpr,
    fpr,
    num_solutions: int,
    num_verifications: int,
    *,
    num_trials: int = 100_000,
    tie_break: str = "uniform",
    probs=None,
    correlation: float = 0.0,
) -> jax.Array:
    r"""Monte Carlo estimate of GenRM best-of-S accuracy for one problem (the reference for tests).

    Simulates the process directly: draw S solutions (answers from ``probs``, or correct
    with probability p), V verdicts each (Bernoulli tpr / fpr), score = number of "correct"
    verdicts, keep the top-scoring solutions and pick one uniformly (or take their plurality
    answer). Standard error :math:`\le \sqrt{a(1-a)/\mathrm{trials}}`.

    .. math:: \widehat{\mathrm{acc}} = \frac{1}{T}\sum_{t=1}^{T}\mathbf 1\{\text{chosen solution correct}\}

    Args:
      key: ``jax.random`` key. p, tpr, fpr: scalars. num_solutions, num_verifications: ints.
      num_trials: number of simulated problems. tie_break: ``"uniform"`` or ``"vote"``.
      probs: ``(A,)`` answer distribution for ``"vote"`` (default: correct vs one wrong answer
        per solution, i.e. wrong answers never coincide).
      correlation: ρ; each solution first draws its own "yes" rate from a Beta with mean
        tpr / fpr and variance ρ·m(1−m) (as in :func:`genrm_accuracy`).

    References: Singhi et al., `When To Solve, When To Verify <https://arxiv.org/abs/2504.01005>`_, 2025.
    """
    where = "simulate_genrm"
    if tie_break not in _TIE_BREAKS:
        raise ValueError(f"{where}: tie_break must be one of {_TIE_BREAKS}; got {tie_break!r}")
    s, vv = int(num_solutions), int(num_verifications)
    if s < 1 or vv < 0:
        raise ValueError(f"{where}: need num_solutions >= 1 and num_verifications >= 0; got {s}, {vv}")
    if probs is None:
        v.check_probability("p", p, where=where)
        pf = float(p)
        # Wrong answers distinct: model them as S separate wrong labels, each equally likely.
        probs = np.concatenate([[pf], np.full(max(s, 1), (1.0 - pf) / max(s, 1))])
    probs = v.asarray(probs, jnp.float32)
    v.check_probability("tpr", tpr, where=where)
    v.check_probability("fpr", fpr, where=where)
    safe = jnp.where(probs > 0, probs, 1e-38)
    probs = jnp.where(probs > 0, safe, 0.0)
    return _simulate(
        key,
        probs,
        jnp.float32(tpr),
        jnp.float32(fpr),
        float(correlation),
        s,
        vv,
        int(num_trials),
        s,
        max(vv, 1),
        tie_break == "vote",
    )

