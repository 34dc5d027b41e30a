"""The unbiased pass@k estimator on logs, exact in float64 on the host for any n."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import gammaln

from ttsim._src.logs_read import Counts, SampleLog, counts_from_samples

_SHORT = 64  # products of at most this many factors are summed term by term
_STIRLING_MIN = 8.0


def _as_counts(counts) -> Counts:
    if isinstance(counts, SampleLog):
        return counts_from_samples(counts)
    if isinstance(counts, Counts):
        return counts
    raise ValueError(f"counts: expected Counts or SampleLog, got {type(counts).__name__}")


def check_ks(ks, n: np.ndarray, problems, source: str, where: str, lines=None, kind: str = "counts", name: str = "ks") -> np.ndarray:
    """``ks`` as a sorted-as-given int64 array, checked against every problem's ``n``."""
    k = np.atleast_1d(np.asarray(ks, dtype=object if _has_big_int(ks) else None))
    if k.ndim != 1 or k.size == 0:
        raise ValueError(f"{where}: {name} must be a non-empty 1-D list of sample counts; got shape {k.shape}")
    try:
        kf = k.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name} must be whole numbers >= 1; got {k.tolist()}") from None
    if not np.all(np.isfinite(kf)) or np.any(kf != np.round(kf)) or np.any(kf < 1):
        raise ValueError(f"{where}: {name} must be whole numbers >= 1; got {k.tolist()}")
    if len(n) == 0:
        raise ValueError(f"{where}: {source or 'log'}: no problems")
    i = int(np.argmin(n))
    if kf.max() > n[i]:
        prefix = f"{source}: " if source else ""
        at = ""
        if lines is not None:
            at = f" (line {int(lines[i])}, column n_samples)" if kind == "counts" else f" (its first row is line {int(lines[i])})"
        big = k[int(np.argmax(kf))]
        raise ValueError(f"{where}: {prefix}problem {problems[i]!r} has {int(n[i])} samples, fewer than k={big}{at}")
    return kf.astype(np.int64)


def _has_big_int(ks) -> bool:
    try:
        return any(isinstance(x, int) and abs(x) >= 2**62 for x in np.ravel(np.asarray(ks, dtype=object)).tolist())
    except TypeError:
        return False


def _stirling_tail(x):
    r = 1.0 / x
    r2 = r * r
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 / 1680)))


def _log1p_over_x_minus_one(u):
    small = u < 0.05
    us = np.where(small, u, 0.0)
    series = us * (-1.0 / 2 + us * (1.0 / 3 + us * (-1.0 / 4 + us * (1.0 / 5 + us * (-1.0 / 6 + us / 7)))))
    ub = np.where(small, 1.0, u)
    return np.where(small, series, np.log1p(ub) / ub - 1.0)


def log_miss(n, c, k) -> np.ndarray:
    r"""``log[C(n-c, k) / C(n, k)]`` in float64 (``-inf`` where ``n - c < k``), accurate for n up to 1e7+.

    With m = min(k, c) and M = max(k, c), the ratio is :math:`\prod_{i<m} (1 - M/(n-i))`:
    a sum of ``log1p`` terms when m <= 64 (error a few ulp); otherwise the log-gamma
    differences :math:`[\log\Gamma(x+c)-\log\Gamma(x)] - [\log\Gamma(x+k+c)-\log\Gamma(x+k)]`,
    x = n-c-k+1, combined in Stirling form before subtracting so nothing cancels.
    """
    n, c, k = np.broadcast_arrays(*(np.asarray(x, np.float64) for x in (n, c, k)))
    out = np.empty(n.shape)
    possible = n - c >= k
    lo, hi = np.minimum(k, c), np.maximum(k, c)
    short = possible & (lo <= _SHORT)
    if short.any():
        # Sorted by the number of factors, descending: term i touches only the prefix of
        # entries with more than i factors (the same sums, in the same order per entry).
        order = np.argsort(-lo[short].astype(np.int16), kind="stable")  # at most _SHORT: a radix sort
        ns, ls, hs = n[short][order], lo[short][order], hi[short][order]
        neg = -ls
        total = np.zeros(ns.shape)
        for i in range(int(ls[0])):
            m = int(np.searchsorted(neg, -i, side="left"))  # entries with ls > i
            total[:m] += np.log1p(-(hs[:m] / (ns[:m] - i)))
        unsorted = np.empty_like(total)
        unsorted[order] = total
        out[short] = unsorted
    long = possible & ~short
    if long.any():
        x, d, a = n[long] - c[long] - k[long] + 1.0, k[long], c[long]
        big = x >= _STIRLING_MIN
        val = np.empty(x.shape)
        if big.any():
            xb, db, ab = x[big], d[big], a[big]
            yb = xb + db

            def g(z):
                u = ab / z
                return ab * _log1p_over_x_minus_one(u) - 0.5 * np.log1p(u)

            tails = _stirling_tail(xb + ab) - _stirling_tail(xb) - _stirling_tail(yb + ab) + _stirling_tail(yb)
            val[big] = -ab * np.log1p(db / (xb + ab)) + g(xb) - g(yb) + tails
        if (~big).any():  # n - c - k < 7 with c, k > 64: the ratio is astronomically small
            xs, ds, as_ = x[~big], d[~big], a[~big]
            val[~big] = gammaln(xs + as_) - gammaln(xs) - gammaln(xs + ds + as_) + gammaln(xs + ds)
        out[long] = val
    out[~possible] = -np.inf
    return out


def pass_at_k_exact(n, c, k) -> np.ndarray:
    r"""Unbiased pass@k, :math:`1 - \binom{n-c}{k}/\binom{n}{k}`, in float64 on the host.

    Exact to a few ulp for any n (checked against rational arithmetic up to n = 1e7), whatever
    JAX's default precision; ``n``, ``c``, ``k`` broadcast (0 <= c <= n, 1 <= k <= n).

    References: Chen et al., `Evaluating Large Language Models Trained on Code <https://arxiv.org/abs/2107.03374>`_, 2021.
    """
    return -np.expm1(np.minimum(log_miss(n, c, k), 0.0))


def estimate_pass_at_k(counts, ks, *, per_problem: bool = False) -> np.ndarray:
    r"""pass@k of a log: the mean over problems of the unbiased estimator.

    .. math:: \widehat{\mathrm{pass@}k} = \frac1P\sum_{i=1}^{P}\Big[1 - \binom{n_i-c_i}{k}\Big/\binom{n_i}{k}\Big]
              = \frac1P\sum_i\Big[1-\prod_{j=n_i-c_i+1}^{n_i}\Big(1-\frac{k}{j}\Big)\Big]

    Computed in float64 on the host (:func:`pass_at_k_exact`), exact for n up to 1e7 and
    beyond, with or without ``jax_enable_x64``.

    Args:
      counts: :class:`Counts` or :class:`SampleLog` (counted first).
      ks: ``(K,)`` whole numbers ``1 <= k <= min_i n_i``.
      per_problem: return the ``(P, K)`` per-problem values instead of the mean.

    Returns:
      ``(K,)`` float64 array (or ``(P, K)`` with ``per_problem=True``).

    Raises:
      ValueError: if a problem has fewer samples than a requested k (naming it, the file and
        its line).

    References: Chen et al., `Evaluating Large Language Models Trained on Code
    <https://arxiv.org/abs/2107.03374>`_, 2021; Brown et al., `Large Language Monkeys
    <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    kind = "samples" if isinstance(counts, SampleLog) else "counts"
    counts = _as_counts(counts)
    k = check_ks(ks, counts.n, counts.problem, counts.source, "estimate_pass_at_k", counts.line, kind)
    values = pass_at_k_exact(counts.n[:, None], counts.c[:, None], k[None, :])
    return values if per_problem else values.mean(axis=0)


def per_problem_pass_at_k(counts, ks) -> np.ndarray:
    """Deprecated: use ``estimate_pass_at_k(counts, ks, per_problem=True)`` (the same ``(P, K)`` array)."""
    warnings.warn(
        "per_problem_pass_at_k is deprecated; use estimate_pass_at_k(counts, ks, per_problem=True)",
        DeprecationWarning,
        stacklevel=2,
    )
    return estimate_pass_at_k(counts, ks, per_problem=True)


def default_ks(n_min: int) -> list[int]:
    """Default k grid for a log whose smallest problem has ``n_min`` samples: 1, 2, 4, ... <= n_min, and n_min."""
    n_min = int(n_min)
    if n_min < 1:
        raise ValueError(f"default_ks: n_min must be >= 1; got {n_min}")
    ks = [1 << i for i in range(n_min.bit_length()) if (1 << i) <= n_min]
    return ks if ks[-1] == n_min else ks + [n_min]
