r"""Confidence-aware self-consistency (DeepConf): filter samples by confidence, vote, stop early.

Model (Fu et al., 2025, "Deep Think with Confidence"). A sample is correct with probability p
and gives an answer from :func:`ttsim._src.vote.answer_probs` (correct p, dominant wrong
q = s(1 − p), the rest spread); its confidence score is binormal, the verifier model of
:mod:`ttsim._src.verifier`:

.. math:: c_i \sim N(d'\,\mathbf 1\{a_i = 0\},\ 1), \qquad \mathrm{AUC} = \Phi(d'/\sqrt2).

* **Offline** (:func:`offline_filter_accuracy`): of N samples keep the ⌈ηN⌉ most confident and
  take the plurality of their answers, each vote weighted by :math:`\Phi(c_i)` (``weighted``) or 1.
* **Online** (:func:`online_filter`): the first W samples (warm-up) run to the end; the threshold
  is their :math:`(1-\eta)` quantile of confidence; each later sample is stopped as soon as its
  running confidence falls below the threshold. Model of the running confidence: a sample whose
  final confidence is below the threshold is stopped after a fraction ``stop_fraction`` of its
  length (a constant: DeepConf checks a sliding-window group confidence, so low-confidence traces
  are cut early); samples above it complete. The vote is over the completed samples whose
  confidence clears the threshold (warm-up ones included). Tokens, in solution lengths:

  .. math:: \mathrm{tokens} = W + (N - W)\,\big[\Pr(c \ge \theta) + f\,\Pr(c < \theta)\big].

* :func:`estimate_confidence_filtering`: the offline rule measured on a log with a confidence
  column (all of each problem's n samples; ties in confidence keep every tied sample).

Monte Carlo functions take the key first (required).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype
from ttsim._src.strategy import Phase, Strategy, Workload
from ttsim._src.traceable import traceable
from ttsim._src.vote import answer_probs


class OnlineResult(NamedTuple):
    """Accuracy and expected tokens (in solution lengths L) of online confidence filtering."""

    accuracy: jax.Array
    tokens: jax.Array


def _draw(key, probs, d_prime, num_trials, num_samples):
    ka, kc = jax.random.split(key)
    num_answers = probs.shape[-1]
    unif = jax.random.uniform(ka, (num_trials, num_samples), probs.dtype)
    noise = jax.random.normal(kc, (num_trials, num_samples), probs.dtype)
    edges = jnp.cumsum(probs)[:-1]
    answers = jnp.minimum(jnp.sum(unif[..., None] >= edges, axis=-1), num_answers - 1)
    conf = noise + jnp.where(answers == 0, d_prime, 0.0)
    return answers, conf


def _vote(answers, weight, num_answers):
    totals = jnp.sum(jnp.where(answers[..., None] == jnp.arange(num_answers), weight[..., None], 0.0), axis=-2)
    top = jnp.max(totals, axis=-1, keepdims=True)
    tied = (totals >= top - 1e-6 * jnp.maximum(top, 1e-30)) & (top > 0)
    return jnp.where(tied[..., 0], 1.0 / jnp.maximum(jnp.sum(tied, axis=-1), 1), 0.0)


@functools.partial(jax.jit, static_argnames=("num_samples", "keep", "weighted", "num_trials"))
def _offline(key, probs, d_prime, num_samples, keep, weighted, num_trials):
    def one(pi, d):
        answers, conf = _draw(key, pi, d, num_trials, num_samples)
        kth = -jnp.sort(-conf, axis=-1)[:, keep - 1 : keep]
        kept = conf >= kth
        weight = jnp.where(kept, ndtr(conf) if weighted else 1.0, 0.0)
        return jnp.mean(_vote(answers, weight, pi.shape[-1]))

    flat_p = probs.reshape(-1, probs.shape[-1])
    flat_d = jnp.broadcast_to(d_prime, probs.shape[:-1]).reshape(-1)
    return jax.lax.map(lambda x: one(*x), (flat_p, flat_d)).reshape(probs.shape[:-1])


def _check(where, p, wrong_mode_share, d_prime):
    dt = float_dtype(p, d_prime)
    p, share, d = (v.asarray(x, dt) for x in (p, wrong_mode_share, d_prime))
    v.check_probability("p", p, where=where)
    v.check_probability("wrong_mode_share", share, where=where)
    v.check_in_range("d_prime", d, -np.inf, np.inf, lo_open=True, hi_open=True, where=where)
    p, share, d = v.broadcast_arrays(p, share, d)
    return p, share, d


@traceable
def offline_filter_accuracy(key, p, k: int, eta: float, d_prime, *, wrong_mode_share=0.3, num_other: int = 4, weighted: bool = True, num_trials: int = 2048) -> jax.Array:
    r"""Accuracy of DeepConf's offline filtering: keep the top η of N samples by confidence, vote.

    .. math:: \mathrm{acc} = \Pr\Big(\arg\max_a \sum_{i \in \mathrm{top}_{\lceil\eta N\rceil}(c)} w_i\,\mathbf 1\{a_i = a\} = 0\Big),
              \quad w_i = \Phi(c_i)\ (\text{or } 1)

    Seeded Monte Carlo (common random numbers over p and d′). η = 1 with ``weighted=False`` is
    the plain majority vote of N samples; d′ = 0 keeps a random subset.

    Args:
      key: ``jax.random`` key (required). p: per-sample success probabilities.
      k: N, samples drawn (static). eta: kept share in (0, 1] (static).
      d_prime: confidence separation (binormal, as a verifier's); broadcasts with p.
      wrong_mode_share, num_other: the answer model (:func:`ttsim._src.vote.answer_probs`).
      weighted: weight votes by Φ(c) (static). num_trials: trials (static).

    References: Fu et al., `Deep Think with Confidence <https://arxiv.org/abs/2508.15260>`_, 2025.
    """
    where = "offline_filter_accuracy"
    num_samples = int(k)
    if num_samples < 1:
        raise ValueError(f"{where}: k must be >= 1; got {k}")
    if not 0.0 < float(eta) <= 1.0:
        raise ValueError(f"{where}: eta must lie in (0, 1]; got {eta}")
    keep = max(1, int(np.ceil(float(eta) * num_samples - 1e-9)))
    p, share, d = _check(where, p, wrong_mode_share, d_prime)
    probs = answer_probs(p, share * (1.0 - p), num_other)
    return _offline(key, probs, d, num_samples, keep, bool(weighted), int(num_trials))


@functools.partial(jax.jit, static_argnames=("num_samples", "warmup", "eta", "weighted", "num_trials"))
def _online(key, probs, d_prime, stop_fraction, num_samples, warmup, eta, weighted, num_trials):
    def one(pi, d, f):
        answers, conf = _draw(key, pi, d, num_trials, num_samples)
        theta = jnp.quantile(conf[:, :warmup], 1.0 - eta, axis=-1, keepdims=True)
        above = conf >= theta
        weight = jnp.where(above, ndtr(conf) if weighted else 1.0, 0.0)
        acc = jnp.mean(_vote(answers, weight, pi.shape[-1]))
        later = above[:, warmup:]
        tokens = warmup + jnp.sum(jnp.where(later, 1.0, f), axis=-1)
        return acc, jnp.mean(tokens)

    shape = probs.shape[:-1]
    flat_p = probs.reshape(-1, probs.shape[-1])
    flat_d = jnp.broadcast_to(d_prime, shape).reshape(-1)
    flat_f = jnp.broadcast_to(stop_fraction, shape).reshape(-1)
    acc, tok = jax.lax.map(lambda x: one(*x), (flat_p, flat_d, flat_f))
    return OnlineResult(acc.reshape(shape), tok.reshape(shape))


@traceable
def online_filter(key, p, k: int, warmup: int, eta: float, d_prime, *, stop_fraction=0.5, wrong_mode_share=0.3, num_other: int = 4, weighted: bool = True, num_trials: int = 2048) -> OnlineResult:
    r"""DeepConf online: warm-up W samples set the threshold θ (their 1 − η confidence quantile);
    later samples below θ stop after ``stop_fraction`` of their length and do not vote.

    .. math:: \mathrm{tokens}/L = W + (N - W)\,\big[\Pr(c \ge \theta) + f\,\Pr(c < \theta)\big]

    (expectation over θ too). See the module docstring for the model; Monte Carlo, key first.

    Args:
      key: ``jax.random`` key (required). p: per-sample success probabilities.
      k: N, samples started in all (static). warmup: W <= N (static).
      eta: share of warm-up confidence mass kept, in (0, 1] (static; DeepConf-low 0.1, -high 0.9).
      d_prime: confidence separation. stop_fraction: f in [0, 1], share of a stopped sample's
        length generated before it is cut (array; the constant to calibrate).

    References: Fu et al., `Deep Think with Confidence <https://arxiv.org/abs/2508.15260>`_, 2025.
    """
    where = "online_filter"
    num_samples, warmup = int(k), int(warmup)
    if not 1 <= warmup <= num_samples:
        raise ValueError(f"{where}: warmup must lie in [1, k={num_samples}]; got {warmup}")
    if not 0.0 < float(eta) <= 1.0:
        raise ValueError(f"{where}: eta must lie in (0, 1]; got {eta}")
    p, share, d = _check(where, p, wrong_mode_share, d_prime)
    f = v.asarray(stop_fraction, p.dtype)
    v.check_probability("stop_fraction", f, where=where)
    probs = answer_probs(p, share * (1.0 - p), num_other)
    return _online(key, probs, d, f, num_samples, warmup, float(eta), bool(weighted), int(num_trials))


# ----------------------------------------------------------------------------- from logs


def filtered_vote_score(answers, correct, confidence, eta: float, *, weighted: bool = True) -> float:
    r"""Offline filtering on one problem's samples: keep those with confidence at or above the
    ⌈ηn⌉-th largest, take the (confidence-weighted) plurality of their non-empty answers; an
    answer is correct if any of its rows is; a tie among t leaders scores #correct/t.

    Weighted votes sum the confidences, which must then be positive (DeepConf's confidence, the
    negative mean log-probability of the top tokens, is).

    Filtered vote: :math:`\hat a = \arg\max_a \sum_{i \in \mathrm{top}_\eta(s)} w_i \mathbf 1\{a_i = a\}` (:math:`w_i = 1`, or a confidence weight when ``weighted``).

    References: Fu et al., `Deep Think with Confidence <https://arxiv.org/abs/2508.15260>`_, 2025.
    """
    answers = np.asarray(answers)
    correct = np.asarray(correct, bool)
    conf = np.asarray(confidence, np.float64)
    n = len(answers)
    keep = max(1, int(np.ceil(float(eta) * n - 1e-9)))
    kth = np.sort(conf)[::-1][keep - 1]
    kept = (conf >= kth) & (answers >= 0)
    if not kept.any():
        return 0.0
    labels = np.unique(answers[answers >= 0])
    is_correct = np.array([correct[answers == a].any() for a in labels])
    w = conf if weighted else np.ones(n)
    totals = np.array([w[kept & (answers == a)].sum() for a in labels])
    present = np.array([(kept & (answers == a)).any() for a in labels])
    totals = np.where(present, totals, -np.inf)
    top = totals.max()
    tied = np.isclose(totals, top, rtol=1e-12, atol=0.0) & present
    return float((tied & is_correct).sum() / tied.sum())


def estimate_confidence_filtering(log, etas=(0.1, 0.5, 0.9, 1.0), *, weighted: bool = True) -> dict:
    r"""Offline filtering accuracy of a ``SampleLog`` with a ``confidence`` field, per η.

    Returns ``{eta: accuracy}`` (mean over problems of :func:`filtered_vote_score`).

    Raises:
      ValueError: if the log has no confidence column, or weighted votes meet a confidence <= 0.

    Filtered vote: :math:`\hat a = \arg\max_a \sum_{i \in \mathrm{top}_\eta(s)} w_i \mathbf 1\{a_i = a\}` (:math:`w_i = 1`, or a confidence weight when ``weighted``).

    References: Fu et al., `Deep Think with Confidence <https://arxiv.org/abs/2508.15260>`_, 2025.
    """
    from ttsim._src.stopping_logs import log_arrays

    names, answers, correct, conf = log_arrays(log)
    if conf is None or all(np.all(np.isnan(c)) for c in conf):
        raise ValueError(f"estimate_confidence_filtering: {getattr(log, 'source', 'the log')} has no confidence column")
    if weighted and any(np.any(c <= 0) for c in conf):
        raise ValueError("estimate_confidence_filtering: weighted votes need positive confidences (pass weighted=False)")
    out = {}
    for eta in etas:
        if not 0.0 < float(eta) <= 1.0:
            raise ValueError(f"estimate_confidence_filtering: eta must lie in (0, 1]; got {eta}")
        scores = [filtered_vote_score(a, c, k, eta, weighted=weighted) for a, c, k in zip(answers, correct, conf, strict=True)]
        out[float(eta)] = float(np.mean(scores))
    return out


# ----------------------------------------------------------------------------- strategy


class DeepConfParams(NamedTuple):
    """Parameters of a DeepConf strategy (array leaves).

    Attributes:
      d_prime: confidence separation. stop_fraction: f, share of a cut sample's length generated.
      wrong_mode_share: the answer model's s. key: Monte Carlo key as raw key data.
      mean_length: expected length (in L) of a post-warm-up sample on the workload's population
        (1 when none is given: the worst case).
    """

    d_prime: jax.Array
    stop_fraction: jax.Array
    wrong_mode_share: jax.Array
    key: jax.Array
    mean_length: jax.Array


def deepconf_strategy(key, *, k: int = 64, warmup: int = 16, eta: float = 0.1, d_prime=1.0, stop_fraction=0.5, wrong_mode_share=0.3, num_other: int = 4, online: bool = True, num_trials: int = 1024, problems=None):
    r"""DeepConf as a :class:`~ttsim._src.strategy.Strategy` (online: :func:`online_filter`;
    offline: :func:`offline_filter_accuracy` with η of k kept).

    Workload: offline, one phase of k full samples; online, the W warm-up samples, then k − W
    samples of expected length ``mean_length`` L each (cut ones cost ``stop_fraction``), computed
    on ``problems`` when given (else 1, the worst case).

    Filtered vote: :math:`\hat a = \arg\max_a \sum_{i \in \mathrm{top}_\eta(s)} w_i \mathbf 1\{a_i = a\}` (:math:`w_i = 1`, or a confidence weight when ``weighted``).

    References: Fu et al., `Deep Think with Confidence <https://arxiv.org/abs/2508.15260>`_, 2025.
    """
    k, warmup = int(k), int(warmup)
    if online and not 1 <= warmup < k:
        raise ValueError(f"deepconf_strategy: warmup must lie in [1, k={k}); got {warmup}")
    k_acc, k_pop = jax.random.split(key)

    @traceable
    def accuracy(p, params):
        rk = jax.random.wrap_key_data(params.key)
        if online:
            return online_filter(rk, p, k, warmup, eta, params.d_prime, stop_fraction=params.stop_fraction,
                                 wrong_mode_share=params.wrong_mode_share, num_other=num_other, num_trials=num_trials).accuracy
        return offline_filter_accuracy(rk, p, k, eta, params.d_prime, wrong_mode_share=params.wrong_mode_share,
                                       num_other=num_other, num_trials=num_trials)

    mean_length = v.asarray(1.0)
    if online and problems is not None:
        res = online_filter(k_pop, problems.p, k, warmup, eta, d_prime, stop_fraction=stop_fraction,
                            wrong_mode_share=wrong_mode_share, num_other=num_other, num_trials=num_trials)
        mean_length = jnp.sum(problems.weight * (res.tokens - warmup) / (k - warmup), axis=-1)

    def workload(params):
        one = jnp.ones_like(v.asarray(params.mean_length))
        if not online:
            return Workload((Phase(count=k * one, length=one, depth=one, context=0 * one, role="solver"),))
        return Workload((
            Phase(count=warmup * one, length=one, depth=one, context=0 * one, role="solver"),
            Phase(count=(k - warmup) * one, length=v.asarray(params.mean_length), depth=one, context=0 * one, role="solver"),
        ))

    params = DeepConfParams(*(v.asarray(x, jnp.float32) for x in (d_prime, stop_fraction, wrong_mode_share)),
                            jax.random.key_data(k_acc), v.asarray(mean_length, jnp.float32))
    return Strategy(name="deepconf" if online else "deepconf_offline", accuracy=accuracy, workload=workload, params=params)
