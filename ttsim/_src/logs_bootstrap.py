"""Percentile bootstrap intervals over problems, in batches of bounded memory."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

MAX_STORED = 50_000_000  # resampled means kept for the quantiles (x 8 bytes = 400 MB)
MAX_WORK = 2e11  # resamples x problems x statistics: about an hour on one core


class ConfidenceInterval(NamedTuple):
    """Percentile bootstrap interval: ``low`` and ``high`` (shape of the statistic) at ``level``."""

    low: np.ndarray
    high: np.ndarray
    level: float


def as_generator(key, where: str) -> np.random.Generator:
    """A NumPy Generator from a jax PRNG key, a Generator or an int seed (``where`` names the caller)."""
    if isinstance(key, np.random.Generator):
        return key
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        if key < 0:
            raise ValueError(f"{where}: seed must be >= 0; got {key}")
        return np.random.default_rng(int(key))
    try:
        import jax

        if isinstance(key, jax.Array):
            data = jax.random.key_data(key) if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) else key
            return np.random.default_rng(np.asarray(data, np.uint32).ravel().tolist())
    except ImportError:  # pragma: no cover
        pass
    raise ValueError(f"{where}: key must be a jax PRNG key, a numpy Generator or an int seed; got {type(key).__name__}")


def check_bootstrap_size(num_resamples: int, num_problems: int, num_stats: int, where: str = "num_resamples") -> None:
    """Refuse a bootstrap that cannot fit in memory or finish in about an hour, saying what would."""
    stored = num_resamples * max(num_stats, 1)
    if stored > MAX_STORED:
        most = MAX_STORED // max(num_stats, 1)
        raise ValueError(
            f"{where}: {num_resamples} resamples x {num_stats} statistics need {8 * stored / 1e9:.3g} GB "
            f"for the quantiles (limit {8 * MAX_STORED / 1e9:.3g} GB); use at most {most}"
        )
    work = float(num_resamples) * num_problems * max(num_stats, 1)
    if work > MAX_WORK:
        most = int(MAX_WORK // (num_problems * max(num_stats, 1)))
        raise ValueError(
            f"{where}: {num_resamples} resamples x {num_problems} problems x {num_stats} statistics "
            f"would take hours; use at most {most}"
        )


def bootstrap_means(rng: np.random.Generator, values: np.ndarray, num_resamples: int, progress=None) -> np.ndarray:
    """``(B, ...)`` means of ``num_resamples`` resamples of the rows of ``values`` (with replacement).

    Resamples are drawn in batches so memory stays bounded (about 32 MB per batch).
    """
    p = values.shape[0]
    flat = values.reshape(p, -1)
    out = np.empty((num_resamples, flat.shape[1]))
    batch = int(max(1, min(num_resamples, 4_000_000 // max(p, 1))))
    for start in range(0, num_resamples, batch):
        b = min(batch, num_resamples - start)
        idx = rng.integers(0, p, size=(b, p))
        counts = np.bincount((idx + p * np.arange(b)[:, None]).ravel(), minlength=b * p).reshape(b, p)
        out[start : start + b] = counts @ flat / p
        if progress is not None:
            progress(b)
    return out.reshape((num_resamples,) + values.shape[1:])


def bootstrap_ci(key, per_problem_values=None, *, num_resamples: int = 1000, level: float = 0.95, seed=None, progress=None) -> ConfidenceInterval:
    r"""Percentile bootstrap confidence interval of a mean over problems.

    Problems are resampled with replacement ``num_resamples`` times; the interval is the
    :math:`(1-\ell)/2` and :math:`(1+\ell)/2` quantiles of the resampled means
    :math:`\bar v^{*b} = \frac1P\sum_i v_{I^{*b}_i}` (Efron's percentile interval). Resamples
    are drawn in batches (bounded memory); a request whose resampled means would not fit in
    400 MB, or that would take hours, is refused with the largest size that would work.

    Args:
      key: the randomness, required: a jax PRNG key, a ``numpy.random.Generator`` or an int seed.
      per_problem_values: ``(P,)`` or ``(P, K)`` per-problem values (e.g. pass@k for K values of k).
      num_resamples: bootstrap resamples (>= 1).
      level: confidence level in (0, 1).
      seed: deprecated (the old call ``bootstrap_ci(values, seed=0)``); pass ``key`` first.
      progress: optional callable receiving the number of resamples done per batch.

    Returns:
      :class:`ConfidenceInterval` with ``low`` / ``high`` of shape ``()`` or ``(K,)``. With a
      single problem the interval collapses to its value.

    References: Efron & Tibshirani, An Introduction to the Bootstrap, 1993.
    """
    if per_problem_values is None:  # deprecated: bootstrap_ci(values, ..., seed=0)
        warnings.warn(
            "bootstrap_ci(values, seed=...) is deprecated: pass the randomness first, "
            "bootstrap_ci(key_or_rng_or_seed, values, ...)",
            DeprecationWarning,
            stacklevel=2,
        )
        key, per_problem_values = (0 if seed is None else seed), key
    elif seed is not None:
        raise ValueError("bootstrap_ci: give the randomness once (key first), not also seed")
    rng = as_generator(key, "bootstrap_ci")
    values = np.asarray(per_problem_values, dtype=np.float64)
    if values.ndim not in (1, 2) or values.shape[0] == 0:
        raise ValueError(f"bootstrap_ci: per_problem_values must be (P,) or (P, K) with P >= 1; got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("bootstrap_ci: per_problem_values must be finite")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"bootstrap_ci: level must lie in (0, 1); got {level}")
    num_resamples = int(num_resamples)
    if num_resamples < 1:
        raise ValueError(f"bootstrap_ci: num_resamples must be >= 1; got {num_resamples}")
    check_bootstrap_size(num_resamples, values.shape[0], int(np.prod(values.shape[1:])), "bootstrap_ci: num_resamples")
    if values.shape[0] == 1:
        return ConfidenceInterval(low=values[0].copy(), high=values[0].copy(), level=float(level))
    means = bootstrap_means(rng, values, num_resamples, progress)
    alpha = (1.0 - float(level)) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha], axis=0)
    return ConfidenceInterval(low=np.asarray(low), high=np.asarray(high), level=float(level))
