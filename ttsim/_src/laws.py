"""Scaling laws of coverage in k, fitted to per-problem counts and checked on held-out k.

Three laws of population coverage (pass@k) in the number of samples k:

- ``"exp-power"``: :math:`c(k) = \\exp(a\\,k^{b})` (Brown et al., 2024), fitted with
  :func:`ttsim.fit_power_law` (a log-log line, refined by least squares on :math:`\\log c`).
- ``"power"``: :math:`-\\log c(k) = A\\,k^{-B}` (Schaeffer et al., 2025), fitted as a straight
  line in log-log coordinates only (ordinary least squares on :math:`\\log(-\\log c)`).
  Same family as ``exp-power`` (:math:`A = -a`, :math:`B = -b`); a different, cheaper fit.
- ``"beta"``: per-problem success rates :math:`p \\sim \\mathrm{Beta}(\\alpha, \\beta)`, so
  :math:`c(k) = 1 - B(\\alpha, \\beta + k)/B(\\alpha, \\beta)`, fitted by beta-binomial maximum
  likelihood on the per-problem counts (batched Newton steps; on integer counts it agrees
  with :func:`ttsim.fit_beta`).

The extrapolation protocol (:func:`check_law`): a fit "on k <= K" uses only what K samples
per problem reveal. Each problem's counts are replaced by the distribution of its correct
count among K of its n samples drawn without replacement (hypergeometric; the average over
all such thinnings, so no seed is involved); the power laws are fitted to the resulting
pass@k curve at ``fit_ks`` <= K (which equals the full counts' unbiased pass@k), the Beta law
to the thinned counts by beta-binomial maximum likelihood. Predictions at ``test_ks`` (> K)
are compared with the unbiased pass@k of the full counts. A bootstrap over problems
(resample problems, re-fit) gives confidence intervals for the parameters, the predictions
and the paired prediction errors; the law is rejected at ``level`` by a max-t bootstrap test
of "no extrapolation error at any held-out k".
"""

from __future__ import annotations

import inspect
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats
from scipy.special import betaln, digamma, gammaln, polygamma

from ttsim._src.coverage import beta_coverage, fit_power_law, power_law_coverage
from ttsim._src.logs_bootstrap import as_generator, check_bootstrap_size
from ttsim._src.logs_passk import pass_at_k_exact
from ttsim._src.population import _check_counts

LAWS = ("exp-power", "power", "beta")
_PARAM_NAMES = {"exp-power": ("a", "b"), "power": ("A", "B"), "beta": ("alpha", "beta")}


class LawFit(NamedTuple):
    """A coverage law fitted on k <= ``fit_max_k``.

    Fields: ``law``; ``param_names`` and ``params`` (``(2,)``: (a, b), (A, B) or (alpha, beta));
    ``fit_max_k``; ``fit_ks`` and ``fit_coverage`` (the measured curve the fit saw: pass@k of
    the thinned counts); ``fit_rmse`` (RMS of predicted minus measured coverage at ``fit_ks``).
    """

    law: str
    param_names: tuple
    params: np.ndarray
    fit_max_k: int
    fit_ks: np.ndarray
    fit_coverage: np.ndarray
    fit_rmse: float

    def coverage(self, k) -> np.ndarray:
        """The fitted law's coverage at ``k`` samples (float64), by :func:`law_curve`."""
        return law_curve(self.law, self.params, k)


class LawCheck(NamedTuple):
    """Result of :func:`check_law`: the fit, its bootstrap intervals and held-out errors.

    Intervals are ``(2, ...)`` arrays (lower, upper), equal-tailed at ``level``.
    ``error = predicted - measured`` at ``test_ks``; ``error_at_report_k`` is that error at
    ``report_k`` (``None`` if ``report_k`` is not a held-out k); ``p_value`` is the
    max-t bootstrap p-value (see :func:`check_law`) and ``rejected = p_value < level``.
    """

    fit: LawFit
    params_ci: np.ndarray
    test_ks: np.ndarray
    measured: np.ndarray
    measured_ci: np.ndarray
    predicted: np.ndarray
    predicted_ci: np.ndarray
    error: np.ndarray
    error_ci: np.ndarray
    report_k: int | None
    error_at_report_k: float | None
    max_abs_error: float
    p_value: float
    rejected: bool
    level: float
    num_problems: int
    num_bootstrap: int
    num_failed_bootstrap: int

    def as_dict(self) -> dict:
        """Plain-Python summary (JSON-friendly)."""
        f = self.fit
        return {
            "law": f.law,
            "params": {n: float(x) for n, x in zip(f.param_names, f.params)},
            "params_ci": {n: [float(self.params_ci[0, i]), float(self.params_ci[1, i])] for i, n in enumerate(f.param_names)},
            "fit_max_k": f.fit_max_k,
            "fit_ks": f.fit_ks.tolist(),
            "fit_coverage": f.fit_coverage.tolist(),
            "fit_rmse": f.fit_rmse,
            "test_ks": self.test_ks.tolist(),
            "measured": self.measured.tolist(),
            "measured_ci": self.measured_ci.tolist(),
            "predicted": self.predicted.tolist(),
            "predicted_ci": self.predicted_ci.tolist(),
            "error": self.error.tolist(),
            "error_ci": self.error_ci.tolist(),
            "report_k": self.report_k,
            "error_at_report_k": self.error_at_report_k,
            "max_abs_error": self.max_abs_error,
            "p_value": self.p_value,
            "rejected": self.rejected,
            "level": self.level,
            "num_problems": self.num_problems,
            "num_bootstrap": self.num_bootstrap,
            "num_failed_bootstrap": self.num_failed_bootstrap,
        }


# ------------------------------------------------------------------------------ helpers


def _check_law_name(law: str) -> str:
    if law not in LAWS:
        raise ValueError(f"law must be one of {', '.join(LAWS)}; got {law!r}")
    return law


def _counts_arrays(counts, where: str):
    if hasattr(counts, "n") and hasattr(counts, "c"):
        n, c = counts.n, counts.c
    else:
        try:
            n, c = counts
        except (TypeError, ValueError):
            raise ValueError(f"{where}: counts must be a Counts (with .n and .c) or a pair (n, c)") from None
    n, c = _check_counts(n, c, where)
    return n.astype(np.int64), c.astype(np.int64)


def k_grid(max_k: int, per_decade: int = 10) -> np.ndarray:
    """Sample counts 1 ... ``max_k`` spread evenly in log k: ``per_decade`` points per decade,
    rounded, unique (for max_k = 10^4: the 38 k of the ``monkeys`` experiment). The default k
    grid of every fitted coverage curve, so one law fitted to the same counts gives one answer."""
    max_k = int(max_k)
    if max_k < 1:
        raise ValueError(f"k_grid: max_k must be >= 1; got {max_k}")
    num = max(2, int(round(per_decade * np.log10(max_k))) + 1)
    return np.unique(np.round(np.logspace(0.0, np.log10(max_k), num)).astype(np.int64))


def _int_grid(lo: float, hi: float, num: int) -> np.ndarray:
    """Unique integers spread evenly in log k over [lo, hi]."""
    if hi < lo:
        return np.zeros(0, np.int64)
    return np.unique(np.round(np.geomspace(lo, hi, num)).astype(np.int64))


def _ks(name: str, ks, where: str) -> np.ndarray:
    ks = np.unique(np.asarray(ks, dtype=np.float64).reshape(-1))
    if ks.size == 0:
        raise ValueError(f"{where}: {name} must not be empty")
    if np.any(ks != np.round(ks)) or np.any(ks < 1):
        raise ValueError(f"{where}: {name} must be whole numbers >= 1; got {ks.tolist()}")
    return ks.astype(np.int64)


def law_curve(law: str, params, k) -> np.ndarray:
    r"""Coverage of a named law with parameters ``params`` at ``k`` samples, in float64 on the host.

    .. math:: \text{exp-power: } e^{a k^b};\quad \text{power: } e^{-A k^{-B}};\quad
              \text{beta: } 1 - \frac{B(\alpha, \beta + k)}{B(\alpha, \beta)}

    Args:
      law: ``"exp-power"``, ``"power"`` or ``"beta"``.
      params: ``(2,)`` (or ``(..., 2)``): (a, b), (A, B) or (alpha, beta).
      k: sample counts (> 0); broadcasts against the leading axes of ``params``.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024;
    Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025.
    """
    _check_law_name(law)
    params = np.asarray(params, np.float64)
    if params.shape[-1:] != (2,):
        raise ValueError(f"law_curve: params must have a trailing axis of size 2; got shape {params.shape}")
    k = np.asarray(k, np.float64)
    if np.any(k <= 0):
        raise ValueError("law_curve: k must be > 0")
    x, y = params[..., 0], params[..., 1]
    with np.errstate(over="ignore", invalid="ignore"):
        if law == "exp-power":
            return np.exp(x * k**y)
        if law == "power":
            return np.exp(-x * k ** (-y))
        return -np.expm1(np.minimum(betaln(x, y + k) - betaln(x, y), 0.0))


def law_coverage(law: str, params, k) -> jax.Array:
    """Deprecated: use ``LawFit.coverage(k)`` / :func:`law_curve`, or the law's own function
    (:func:`ttsim.beta_coverage`, :func:`ttsim.power_law_coverage`). Same values as before."""
    warnings.warn(
        "law_coverage is deprecated; use LawFit.coverage(k) or law_curve(law, params, k) "
        "(or beta_coverage / power_law_coverage directly)",
        DeprecationWarning,
        stacklevel=2,
    )
    _check_law_name(law)
    params = jnp.asarray(params)
    if params.shape[-1:] != (2,):
        raise ValueError(f"law_coverage: params must have a trailing axis of size 2; got shape {params.shape}")
    x, y = params[..., 0], params[..., 1]
    if law == "exp-power":
        return power_law_coverage(x, y, k)
    if law == "power":
        return power_law_coverage(-x, -y, k)
    return beta_coverage(x, y, k)


def _fit_loglog(ks: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Batched OLS of log(-log c) on log k; returns (..., 2) = (A, B) for -log c = A k^-B (NaN if < 2 points)."""
    x = np.log(ks.astype(np.float64))
    ok = (cov > 0) & (cov < 1)
    y = np.log(-np.log(np.where(ok, cov, 0.5)))
    w = ok.astype(np.float64)
    sw = w.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = (w * x).sum(-1) / sw
        ym = (w * y).sum(-1) / sw
        sxx = (w * (x - xm[..., None]) ** 2).sum(-1)
        sxy = (w * (x - xm[..., None]) * (y - ym[..., None])).sum(-1)
        slope = sxy / sxx
        intercept = ym - slope * xm
    bad = (sw < 2) | ~(sxx > 0)
    out = np.stack([np.exp(intercept), -slope], axis=-1)
    out[bad] = np.nan
    return out


def _fit_curve(law: str, ks: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """(A, B) or (a, b) fitted to one coverage curve; NaN when the curve has < 2 informative points."""
    if law == "power":
        return _fit_loglog(ks, cov)
    try:
        fit = fit_power_law(ks, np.clip(cov, 0.0, 1.0))
    except ValueError:
        return np.full(2, np.nan)
    return np.array([float(fit.a), float(fit.b)])


def _fit_exp_power_batch(ks: np.ndarray, cov: np.ndarray, num_steps: int = 60) -> np.ndarray:
    """Batched least squares on log c of c = exp(a k^b), as :func:`ttsim.fit_power_law` does per curve.

    Levenberg-Marquardt on (log(-a), b), started from the log-log line; points with coverage
    0 or 1 are dropped (weight 0). ``cov`` is ``(B, K)``; returns ``(B, 2)`` = (a, b), NaN rows
    where fewer than two points are informative.
    """
    start = _fit_loglog(ks, cov)
    ok_rows = np.all(np.isfinite(start), axis=1)
    x = np.log(ks.astype(np.float64))[None, :]
    w = ((cov > 0) & (cov < 1)).astype(np.float64)
    y = np.log(np.where(w > 0, cov, 0.5))
    t0 = np.where(ok_rows, np.log(np.where(ok_rows, start[:, 0], 1.0)), 0.0)
    t1 = np.where(ok_rows, -start[:, 1], 0.0)
    lam = np.full(t0.shape, 1e-3)

    def sse(a0, a1):
        r = -np.exp(np.clip(a0[:, None] + a1[:, None] * x, -700, 700)) - y
        return (w * r * r).sum(1), r

    cur, r = sse(t0, t1)
    for _ in range(num_steps):
        e = np.exp(np.clip(t0[:, None] + t1[:, None] * x, -700, 700))
        j0, j1 = -e, -x * e
        g0, g1 = (w * j0 * r).sum(1), (w * j1 * r).sum(1)
        h00, h11, h01 = (w * j0 * j0).sum(1), (w * j1 * j1).sum(1), (w * j0 * j1).sum(1)
        a00, a11 = h00 * (1 + lam), h11 * (1 + lam)
        det = a00 * a11 - h01 * h01
        with np.errstate(divide="ignore", invalid="ignore"):
            d0 = np.where(det > 0, -(a11 * g0 - h01 * g1) / det, 0.0)
            d1 = np.where(det > 0, -(a00 * g1 - h01 * g0) / det, 0.0)
        new, r_new = sse(t0 + d0, t1 + d1)
        better = new < cur
        t0, t1 = np.where(better, t0 + d0, t0), np.where(better, t1 + d1, t1)
        r = np.where(better[:, None], r_new, r)
        lam = np.where(better, lam * 0.3, lam * 10.0)
        done = np.all(~better | (cur - new <= 1e-14 * np.maximum(cur, 1e-300)))
        cur = np.where(better, new, cur)
        if done:
            break
    out = np.stack([-np.exp(t0), t1], axis=1)
    out[~ok_rows] = np.nan
    return out


def _beta_loglik(u, v, k: int, j, h):
    """Beta-binomial log-likelihood (up to a constant) of histograms ``h`` of j-of-k counts; (B,)."""
    a, b = np.exp(u)[:, None], np.exp(v)[:, None]
    s = h.sum(1)
    terms = h * (gammaln(j + a) + gammaln(k - j + b))
    return terms.sum(1) - s * (gammaln(a[:, 0] + b[:, 0] + k) + betaln(a[:, 0], b[:, 0]))


def _fit_beta_hist(k: int, h: np.ndarray, num_steps: int = 60) -> np.ndarray:
    """Beta-binomial MLE for each row of ``h`` (``(B, k+1)`` weights of j = 0..k correct of k).

    Newton's method on (log alpha, log beta) with analytic digamma/trigamma derivatives and a
    backtracking line search, started from the method of moments; batched over rows. Returns
    ``(B, 2)`` = (alpha, beta); NaN for rows without any success or failure.
    """
    h = np.asarray(h, np.float64)
    keep = h.max(0) > 1e-13 * h.sum(1).max()  # drop j's with negligible weight (speed)
    j = np.arange(k + 1, dtype=np.float64)[keep][None, :]
    h = h[:, keep]
    s = h.sum(1)
    mean = (h * j).sum(1) / (s * k)
    var = (h * j**2).sum(1) / s - (k * mean) ** 2
    m = np.clip(mean, 1e-6, 1 - 1e-6)
    r = var / (k * m * (1 - m))
    with np.errstate(divide="ignore", invalid="ignore"):
        tot = np.where((r > 1) & (r < k), (k - r) / (r - 1), np.where(r >= k, 0.1, 1e3))
    tot = np.clip(tot, 1e-3, 1e4)
    u, v = np.log(m * tot), np.log((1 - m) * tot)
    lo, hi = -12.0, 12.0
    steps = np.array([1.0, 0.5, 0.25, 0.0625, 0.0])
    cur = _beta_loglik(u, v, k, j, h)
    for _ in range(num_steps):
        a, b = np.exp(u), np.exp(v)
        ab = a + b
        g_a = (h * digamma(j + a[:, None])).sum(1) - s * (digamma(a) + digamma(ab + k) - digamma(ab))
        g_b = (h * digamma(k - j + b[:, None])).sum(1) - s * (digamma(b) + digamma(ab + k) - digamma(ab))
        t_ab = s * (polygamma(1, ab) - polygamma(1, ab + k))
        h_aa = (h * polygamma(1, j + a[:, None])).sum(1) - s * polygamma(1, a) + t_ab
        h_bb = (h * polygamma(1, k - j + b[:, None])).sum(1) - s * polygamma(1, b) + t_ab
        # Gradient and Hessian in log-parameters.
        gu, gv = a * g_a, b * g_b
        huu, hvv, huv = a * a * h_aa + gu, b * b * h_bb + gv, a * b * t_ab
        det = huu * hvv - huv**2
        nd = (huu < 0) & (det > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            du = np.where(nd, -(hvv * gu - huv * gv) / det, gu / (np.abs(huu) + 1.0))
            dv = np.where(nd, -(huu * gv - huv * gu) / det, gv / (np.abs(hvv) + 1.0))
        norm = np.maximum(1.0, np.hypot(du, dv))
        du, dv = du / norm, dv / norm
        cand_u = np.clip(u[:, None] + steps * du[:, None], lo, hi)
        cand_v = np.clip(v[:, None] + steps * dv[:, None], lo, hi)
        vals = np.stack([_beta_loglik(cand_u[:, i], cand_v[:, i], k, j, h) for i in range(steps.size)], 1)
        vals = np.where(np.isfinite(vals), vals, -np.inf)
        best = np.argmax(vals, 1)
        rows = np.arange(u.size)
        u, v = cand_u[rows, best], cand_v[rows, best]
        new = vals[rows, best]
        done = np.all(np.abs(new - cur) < 1e-10 * np.maximum(1.0, np.abs(cur)))
        cur = new
        if done:
            break
    out = np.stack([np.exp(u), np.exp(v)], 1)
    degenerate = ((h * j).sum(1) <= 0) | ((h * (k - j)).sum(1) <= 0)
    out[degenerate] = np.nan
    return out


def _expected_hist(n: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    """``(P, k+1)``: Pr[j of k samples drawn without replacement from problem i are correct].

    Hypergeometric: :math:`\\binom{c}{j}\\binom{n-c}{k-j}/\\binom{n}{k}`, zero outside its support.
    """
    j = np.arange(k + 1)[None, :]
    return scipy.stats.hypergeom.pmf(j, np.asarray(n)[:, None], np.asarray(c)[:, None], k)


def _prepare(counts, law, fit_ks, fit_max_k, where):
    law = _check_law_name(law)
    n, c = _counts_arrays(counts, where)
    n_min = int(n.min())
    if fit_ks is None and fit_max_k is None:
        raise ValueError(f"{where}: give fit_ks or fit_max_k")
    if fit_max_k is None:
        fit_max_k = int(_ks("fit_ks", fit_ks, where).max())
    fit_max_k = int(fit_max_k)
    if fit_max_k < 2:
        raise ValueError(f"{where}: fit_max_k must be >= 2 (a law needs two points); got {fit_max_k}")
    if fit_max_k > n_min:
        raise ValueError(
            f"{where}: fit_max_k={fit_max_k} exceeds the smallest number of samples per problem (min n = {n_min})"
        )
    fit_ks = k_grid(fit_max_k) if fit_ks is None else _ks("fit_ks", fit_ks, where)
    if fit_ks.max() > fit_max_k:
        raise ValueError(f"{where}: fit_ks must be <= fit_max_k={fit_max_k}; got max {int(fit_ks.max())}")
    return law, n, c, fit_ks, fit_max_k


def _pass_table(fit_max_k: int, fit_ks: np.ndarray) -> np.ndarray:
    """pass@k of a problem with j of fit_max_k correct, for j = 0..fit_max_k and k in fit_ks."""
    j = np.arange(fit_max_k + 1, dtype=np.float64)[:, None]
    return pass_at_k_exact(float(fit_max_k), j, fit_ks.astype(np.float64)[None, :])


def _fit_hist(law: str, fit_ks: np.ndarray, fit_max_k: int, hist: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``(B, 2)`` law parameters fitted to each row of ``hist`` (NaN where the fit is impossible)."""
    if law == "beta":
        return _fit_beta_hist(fit_max_k, hist)
    curves = hist @ table / hist.sum(1, keepdims=True)
    if law == "power":
        return _fit_loglog(fit_ks, curves)
    if hist.shape[0] == 1:  # the point estimate: the library's fit
        return _fit_curve(law, fit_ks, curves[0])[None, :]
    return _fit_exp_power_batch(fit_ks, curves)


def _point_fit(law, fit_ks, fit_max_k, hist, table) -> LawFit:
    params = _fit_hist(law, fit_ks, fit_max_k, hist[None, :], table)[0]
    if not np.all(np.isfinite(params)):
        if law == "beta":
            raise ValueError(f"the counts at k <= {fit_max_k} have no success (or no failure): the Beta fit is degenerate")
        raise ValueError(f"the coverage curve at k <= {fit_max_k} has fewer than two points with 0 < coverage < 1")
    curve = hist @ table / hist.sum()
    pred = law_curve(law, params, fit_ks)
    rmse = float(np.sqrt(np.mean((pred - curve) ** 2)))
    return LawFit(law, _PARAM_NAMES[law], params, fit_max_k, fit_ks, curve, rmse)


# ------------------------------------------------------------------------------ public API


def fit_law(counts, law: str, fit_ks=None, *, fit_max_k: int | None = None) -> LawFit:
    r"""Fit a coverage law using only what ``fit_max_k`` samples per problem reveal.

    With K = ``fit_max_k``, problem i's counts (c_i of n_i correct) become the distribution
    of its correct count among K samples drawn without replacement,
    :math:`h_{ij} = \binom{c_i}{j}\binom{n_i-c_i}{K-j}/\binom{n_i}{K}` (the average over all
    ways of keeping K of the n samples), and :math:`h_j = \frac1P\sum_i h_{ij}`. This
    histogram carries exactly the information of the coverage curve at k <= K.
    ``"exp-power"`` (:func:`ttsim.fit_power_law`) and ``"power"`` (log-log least squares) are
    fitted to :math:`\hat c(k) = \sum_j h_j\,[1-\binom{K-j}{k}/\binom{K}{k}]` at ``fit_ks``
    (equal to the mean unbiased pass@k of the full counts); ``"beta"`` maximises the
    beta-binomial likelihood :math:`\sum_j h_j \log \mathrm{BetaBin}(j; K, \alpha, \beta)`.

    .. math:: c(k) = e^{a k^b} \;\;|\;\; -\log c(k) = A k^{-B} \;\;|\;\;
              c(k) = 1 - \frac{B(\alpha,\beta+k)}{B(\alpha,\beta)}

    Args:
      counts: a ``Counts`` (with ``.n`` and ``.c``) or a pair ``(n, c)`` of ``(P,)`` arrays.
      law: ``"exp-power"``, ``"power"`` or ``"beta"``.
      fit_ks: k values of the fitted curve (default: about 12 integers spread in log k over
        [1, fit_max_k]); unused by ``"beta"`` except for ``fit_rmse``.
      fit_max_k: samples per problem the fit may see (default ``max(fit_ks)``); 2 <= K <= min(n).

    Returns:
      :class:`LawFit`.

    Raises:
      ValueError: unknown law, invalid counts, ``fit_max_k`` > min(n), or data with too few
        successes to fit.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024;
    Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025.
    """
    where = "fit_law"
    law, n, c, fit_ks, fit_max_k = _prepare(counts, law, fit_ks, fit_max_k, where)
    hist = _expected_hist(n, c, fit_max_k).mean(0)
    try:
        return _point_fit(law, fit_ks, fit_max_k, hist, _pass_table(fit_max_k, fit_ks))
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None


def check_law(*args, **kwargs) -> LawCheck:
    if len(args) >= 2 and isinstance(args[1], str) or (len(args) == 1 and "law" in kwargs):
        warnings.warn(
            "check_law(counts, law, ..., seed=0) is deprecated: pass the bootstrap's randomness first, "
            "check_law(key, counts, law, ...) (a jax key, a numpy Generator or an int seed)",
            DeprecationWarning, stacklevel=2,
        )
        seed = kwargs.pop("seed", 0)
        return _check_law(seed, *args, **kwargs)
    if "seed" in kwargs:
        raise TypeError("check_law: pass the randomness as the first argument (key), not seed=")
    return _check_law(*args, **kwargs)


def _check_law(
    key,
    counts,
    law: str,
    fit_ks=None,
    test_ks=None,
    *,
    fit_max_k: int | None = None,
    report_k: int = 100,
    level: float = 0.05,
    num_bootstrap: int = 200,
) -> LawCheck:
    r"""Fit a coverage law on k <= K and test its extrapolation to held-out k > K.

    The fit is :func:`fit_law`'s. At every held-out k the measured coverage is the mean
    unbiased pass@k of the full counts, :math:`\hat c(k) = \frac1P\sum_i 1 - \binom{n_i-c_i}{k}/\binom{n_i}{k}`,
    and the extrapolation error is :math:`e(k) = c_\theta(k) - \hat c(k)`.

    Bootstrap over problems: each of ``num_bootstrap`` replicates resamples the P problems
    with replacement, re-fits the law and recomputes the measured coverage on the same
    resample, giving percentile intervals (equal-tailed, coverage ``1 - level``) of the
    parameters, predictions, measurements and paired errors :math:`e^*(k)`. Test of the law
    (H0: no extrapolation error at any held-out k), a max-t bootstrap test with the null
    imposed by re-centring:

    .. math:: T = \max_k \frac{|e(k)|}{s_k}, \quad T^*_b = \max_k \frac{|e^*_b(k) - e(k)|}{s_k},
              \quad p = \frac{1 + \#\{b : T^*_b \ge T\}}{1 + B}

    with :math:`s_k` the bootstrap standard deviation of :math:`e^*(k)`; the law is rejected
    when :math:`p <` ``level``. The max over k accounts for testing many k at once.

    Args:
      key: the bootstrap's randomness, required: a jax PRNG key, a ``numpy.random.Generator`` or
        an int seed (``check_law(counts, law, ..., seed=0)`` still works, with a DeprecationWarning).
      counts: a ``Counts`` or a pair ``(n, c)`` of ``(P,)`` arrays.
      law: ``"exp-power"``, ``"power"`` or ``"beta"``.
      fit_ks: k values of the fitted curve (see :func:`fit_law`).
      test_ks: held-out k values, each > fit_max_k and <= min(n) (default: about 12 integers
        spread in log k over (fit_max_k, min n], plus ``report_k`` when in range).
      fit_max_k: samples per problem the fit sees (default ``max(fit_ks)``).
      report_k: the k whose extrapolation error is reported as ``error_at_report_k``.
      level: test level and interval miscoverage, in (0, 1).
      num_bootstrap: bootstrap replicates (>= 1; 200 or more for a usable interval).

    Returns:
      :class:`LawCheck`.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024;
    Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025; Efron & Tibshirani, An Introduction to the
    Bootstrap, 1993.
    """
    where = "check_law"
    law, n, c, fit_ks, fit_max_k = _prepare(counts, law, fit_ks, fit_max_k, where)
    if int(report_k) < 1:
        raise ValueError(f"{where}: report_k must be >= 1; got {report_k}")
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"{where}: level must lie in (0, 1); got {level}")
    num_bootstrap = int(num_bootstrap)
    if num_bootstrap < 1:
        raise ValueError(f"{where}: num_bootstrap must be >= 1; got {num_bootstrap}")
    check_bootstrap_size(num_bootstrap, n.size, n.size + fit_max_k + 1, f"{where}: num_bootstrap")
    n_min = int(n.min())
    if test_ks is None:
        test_ks = _int_grid(fit_max_k + 1, n_min, 12)
        if fit_max_k < report_k <= n_min:
            test_ks = np.union1d(test_ks, [report_k])
        if test_ks.size == 0:
            raise ValueError(f"{where}: no held-out k: fit_max_k={fit_max_k} leaves nothing up to min n = {n_min}")
    else:
        test_ks = _ks("test_ks", test_ks, where)
        if test_ks.min() <= fit_max_k or test_ks.max() > n_min:
            raise ValueError(
                f"{where}: test_ks must lie in (fit_max_k, min n] = ({fit_max_k}, {n_min}]; got {test_ks.tolist()}"
            )

    table = _pass_table(fit_max_k, fit_ks)
    per_hist = _expected_hist(n, c, fit_max_k)
    try:
        fit = _point_fit(law, fit_ks, fit_max_k, per_hist.mean(0), table)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    num_p = n.size
    kt = test_ks.astype(np.float64)[None, :]
    per_problem = pass_at_k_exact(n[:, None], c[:, None], kt)
    measured = per_problem.mean(0)
    predicted = law_curve(law, fit.params, test_ks)

    # Bootstrap over problems: multiplicities of each problem in each replicate.
    rng = as_generator(key, where)
    mult = rng.multinomial(num_p, np.full(num_p, 1.0 / num_p), size=num_bootstrap).astype(np.float64)
    meas_b = mult @ per_problem / num_p
    params_b = _fit_hist(law, fit_ks, fit_max_k, mult @ per_hist / num_p, table)
    ok = np.all(np.isfinite(params_b), axis=1)
    pred_b = np.full((num_bootstrap, test_ks.size), np.nan)
    if ok.any():
        pred_b[ok] = law_curve(law, params_b[ok][:, None, :], test_ks)
    err_b = pred_b - meas_b

    q = [100 * level / 2, 100 * (1 - level / 2)]

    def interval(x):
        if not ok.any():
            return np.full((2,) + x.shape[1:], np.nan)
        return np.percentile(x[ok], q, axis=0)

    error = predicted - measured
    good = err_b[ok]
    if good.shape[0] >= 2:
        # Max-t test of "no extrapolation error at any held-out k", with the bootstrap
        # distribution centred at the observed errors (the null imposed by re-centring).
        se = good.std(0, ddof=1)
        se = np.where(se > 0, se, np.inf)
        t_obs = np.max(np.where(np.isfinite(se), np.abs(error) / se, 0.0))
        t_boot = np.max(np.where(np.isfinite(se), np.abs(good - error) / se, 0.0), axis=1)
        p_value = float((np.sum(t_boot >= t_obs) + 1) / (good.shape[0] + 1))
    else:
        p_value = float("nan")
    hit = np.nonzero(test_ks == report_k)[0]
    return LawCheck(
        fit=fit,
        params_ci=interval(params_b),
        test_ks=test_ks,
        measured=measured,
        measured_ci=interval(meas_b),
        predicted=predicted,
        predicted_ci=interval(pred_b),
        error=error,
        error_ci=interval(err_b),
        report_k=int(report_k) if hit.size else None,
        error_at_report_k=float(error[hit[0]]) if hit.size else None,
        max_abs_error=float(np.max(np.abs(error))),
        p_value=p_value,
        rejected=bool(p_value < level),
        level=level,
        num_problems=int(num_p),
        num_bootstrap=num_bootstrap,
        num_failed_bootstrap=int((~ok).sum()),
    )


check_law.__doc__ = _check_law.__doc__
check_law.__signature__ = inspect.signature(_check_law)
