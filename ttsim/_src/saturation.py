"""Saturation points: when does one more unit of test-time compute stop paying?

Convention (used by every function here). For an accuracy curve :math:`F(N)`, N = 1, 2, ...,
the marginal gain at N is :math:`\\Delta F(N) = F(N+1) - F(N)` (what the (N+1)-th unit adds),
and the saturation point is the smallest N >= 1 with :math:`\\Delta F(N) < \\varepsilon`
(strict). For the parallel/TTSPM curve :math:`F(N) = 1-(1-p)^N`, :math:`\\Delta F(N) = p(1-p)^N`,
so :math:`N^* = \\max(1, \\lfloor \\ln(\\varepsilon/p) / \\ln(1-p) \\rfloor + 1)`: the strict
inequality is what makes the "+1" exact when the ratio is a whole number.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.deprecation import renamed_kwargs
from ttsim._src.numerics import enable_x64, float_dtype, is_concrete

# ----------------------------------------------------------------------------- generic search


@renamed_kwargs(n="grid", n_max="num_points")
def saturation_point(curve, eps, *, grid=None, num_points: int | None = None) -> jax.Array:
    r"""Smallest N whose marginal gain drops below ``eps``, searched on any accuracy curve.

    .. math:: N^* = \min\{N_j : \tfrac{F(N_{j+1}) - F(N_j)}{N_{j+1} - N_j} < \varepsilon\}

    With the default grid N = 1, ..., L this is :math:`\min\{N \ge 1 : F(N+1) - F(N) < \varepsilon\}`.
    On a coarser grid (``grid``), the gain is per unit of N between neighbouring grid points.
    If the gain never drops below ``eps`` on the grid, the last grid value ``N_L`` is returned
    (its own gain cannot be measured, so ``N_L`` always means "not reached on this grid").

    Args:
      curve: ``(..., L)`` accuracy values at the grid points (L >= 2), or a callable
        ``F(N)`` evaluated on the grid (vectorised over an array of N).
      eps: threshold > 0; broadcasts against the curve's leading axes (``curve[..., 0]``).
      grid: optional ``(L,)`` increasing grid of N; default ``1, ..., L`` (or ``1, ..., num_points``).
        Formerly ``n=`` (deprecated keyword).
      num_points: grid size when ``curve`` is a callable and ``grid`` is not given (static).
        Formerly ``n_max=``.

    A callable curve with ``eps < 1e-5`` is evaluated in float64 (gains that small drown in
    float32 rounding of F near 1); a float32 array curve whose gains ``eps`` cannot resolve
    gives a ``RuntimeWarning``.

    Returns:
      N* with the broadcast shape of ``curve[..., 0]`` and ``eps``; the grid's dtype
      (int32 for the default grid).

    Raises:
      ValueError: ``eps <= 0``, a grid that is not increasing, or fewer than 2 points.

    Examples:
      >>> import jax.numpy as jnp
      >>> int(saturation_point(1 - 0.5 ** jnp.arange(1, 20), 0.01))
      6

    References: Scaling over Scaling: Exploring Test-Time Scaling Pareto in Large Reasoning
    Models (TTSPM), 2025 (saturation point of the marginal gain).
    """
    where = "saturation_point"
    n = grid
    if callable(curve):
        if n is None:
            if num_points is None:
                raise ValueError(f"{where}: give grid or num_points when curve is a function")
            n = jnp.arange(1, int(num_points) + 1, dtype=jnp.int32)
        if is_concrete(n) and is_concrete(eps) and _needs_float64(eps):
            # Gains below ~1e-6 drown in float32 rounding of F near 1: evaluate in float64.
            with enable_x64(True):
                n64 = np.asarray(n)
                values = np.asarray(_evaluate(curve, v.asarray(n64, jnp.float64)), np.float64)
            return _search_numpy(values, n64, np.asarray(eps, np.float64), where)
        values = v.asarray(_evaluate(curve, n))
    else:
        values = v.asarray(curve)
    if values.ndim < 1 or values.shape[-1] < 2:
        raise ValueError(f"{where}: curve needs at least 2 points on its last axis; got shape {values.shape}")
    values = v.astype(values, float_dtype(values))
    if n is None:
        n = jnp.arange(1, values.shape[-1] + 1, dtype=jnp.int32)
    n = v.asarray(n)
    if n.shape != values.shape[-1:]:
        raise ValueError(f"{where}: grid must have shape {values.shape[-1:]}; got {n.shape}")
    nv = v._values(n)
    if nv is not None and np.any(np.diff(nv) <= 0):
        raise ValueError(f"{where}: grid must be strictly increasing")
    eps = v.asarray(eps, values.dtype)
    v.check_positive("eps", eps, where=where)
    _warn_unresolved(values, n, eps, where)
    return _saturation_search(values, n, eps)


_FLOAT64_BELOW = 1e-5  # eps under which a callable curve is evaluated in float64


def _needs_float64(eps) -> bool:
    e = np.asarray(eps, np.float64)
    return e.size > 0 and float(e.min()) < _FLOAT64_BELOW and not jax.config.jax_enable_x64


def _search_numpy(values, n, eps, where):
    if values.ndim < 1 or values.shape[-1] < 2 or n.shape != values.shape[-1:]:
        raise ValueError(f"{where}: curve needs at least 2 points on its last axis matching grid; got {values.shape}")
    if np.any(np.diff(n) <= 0):
        raise ValueError(f"{where}: grid must be strictly increasing")
    v.check_positive("eps", eps, where=where)
    gain = np.diff(values, axis=-1) / np.diff(n).astype(np.float64)
    below = gain < np.asarray(eps)[..., None]
    first = np.argmax(below, axis=-1)
    out = np.where(np.any(below, axis=-1), n[first], n[-1])
    return v.asarray(out, jnp.int32 if np.issubdtype(n.dtype, np.integer) else jnp.float32)


def _warn_unresolved(values, n, eps, where):
    """RuntimeWarning when eps is below the gain the curve's dtype can resolve (values concrete)."""
    # A numerical-safety warning, not a validation: it reads a device curve's values too.
    vals, ev, nv = v.static_values(values), v.static_values(eps), v.static_values(n)
    if vals is None or ev is None or nv is None or vals.dtype != np.float32:
        return
    step = float(np.min(np.diff(v.astype(nv, np.float64))))
    resolution = 4.0 * np.finfo(np.float32).eps * float(np.max(np.abs(vals))) / step
    if float(np.min(ev)) < resolution:
        warnings.warn(
            f"{where}: eps={float(np.min(ev)):.3g} is below the gain a float32 curve resolves "
            f"(~{resolution:.2g}); N* may be off. Pass a float64 curve (jax_enable_x64) or a callable curve.",
            RuntimeWarning,
            stacklevel=3,
        )


def _evaluate(fn: Callable, n):
    return fn(n)


@jax.jit
def _saturation_search(values, n, eps):
    step = jnp.diff(n).astype(values.dtype)
    gain = jnp.diff(values, axis=-1) / step
    below = gain < eps[..., None]
    first = jnp.argmax(below, axis=-1)
    return jnp.where(jnp.any(below, axis=-1), n[first], n[-1])


# ----------------------------------------------------------------------------- closed forms


def _geometric_saturation(gap, s, eps):
    # Smallest N >= 1 with gap * lam**N < eps, lam = 1 - s in [-1, 1] (gap = gain at N = 0).
    # log(lam) is taken as log1p(-s) so that a tiny s keeps its precision.
    dt = gap.dtype
    lam = 1.0 - s
    log_eps = jnp.log(eps)
    geometric = (gap > 0) & (s > 0) & (s < 1)
    g = jnp.where(geometric, gap, 1.0)
    sg = jnp.where(geometric, s, 0.5)
    log_gap, log_lam = jnp.log(g), jnp.log1p(-sg)

    def below(n):  # log-space test of gap * lam**n < eps on the geometric branch
        return log_gap + n * log_lam < log_eps

    x = (log_eps - log_gap) / log_lam
    n0 = jnp.maximum(jnp.floor(x) + 1.0, 1.0)
    # Guard against the floor landing one off when x is within rounding of a whole number.
    n0 = jnp.where((n0 > 1.0) & below(n0 - 1.0), n0 - 1.0, n0)
    n0 = jnp.where(below(n0), n0, n0 + 1.0)
    first_gain = gap * lam  # gain at N = 1
    # Off the geometric branch: N = 1 if the first gain is already small; with lam < 0 the gain
    # alternates in sign, so the second gain (gap * lam^2 <= 0 when gap < 0) is always small.
    other = jnp.where(first_gain < eps, 1.0, 2.0)
    return jnp.where(geometric & (first_gain >= eps), n0, other).astype(dt)


def parallel_saturation_point(p, eps) -> jax.Array:
    r"""Closed-form saturation point of the parallel / TTSPM curve :math:`F(N) = 1 - (1-p)^N`.

    .. math:: \Delta F(N) = p(1-p)^N, \qquad
              N^* = \max\Big(1,\ \Big\lfloor \frac{\ln(\varepsilon/p)}{\ln(1-p)} \Big\rfloor + 1\Big)

    The smallest N >= 1 with :math:`\Delta F(N) < \varepsilon` (strict), identical on the
    integers to :func:`saturation_point` on the curve. ``p = 0`` or ``p = 1`` give 1 (no gain).
    The same formula serves TTSPM's sequential curve :math:`1-(1-p_r)^N` with ``p = p_r``.

    Args:
      p: per-sample (or per-refinement) success probability in [0, 1].
      eps: threshold in (0, 1).

    Returns:
      N* as whole-number floats (the inputs' float dtype; exact in float64, and in float32 while
      N* is below ~1e6).

    Examples:
      >>> int(parallel_saturation_point(0.5, 0.01))
      6

    References: Scaling over Scaling: Exploring Test-Time Scaling Pareto in Large Reasoning
    Models (TTSPM), 2025.
    """
    eps_in = eps
    p, eps = v.asarray(p), v.asarray(eps)
    dt = float_dtype(p, eps)
    _check_eps_representable(eps_in, dt, "parallel_saturation_point")
    p, eps = v.astype(p, dt), v.astype(eps, dt)
    v.check_probability("p", p, where="parallel_saturation_point")
    v.check_in_range("eps", eps, 0.0, 1.0, lo_open=True, hi_open=True, where="parallel_saturation_point")
    return _parallel_saturation(p, eps)


@jax.jit
def _parallel_saturation(p, eps):
    return _geometric_saturation(p, p, eps)


def refinement_saturation_point(p0, a, b, eps) -> jax.Array:
    r"""Closed-form saturation point of the fix/break refinement curve :math:`F(N) = p_N`.

    With :math:`\lambda = 1 - a - b` and first-step gain :math:`g = a(1-p_0) - b\,p_0
    = (\pi - p_0)(a+b)`, the marginal gain is :math:`\Delta F(N) = p_{N+1} - p_N = g\,\lambda^N`, so

    .. math:: N^* = \max\Big(1,\ \Big\lfloor \frac{\ln(\varepsilon/g)}{\ln\lambda} \Big\rfloor + 1\Big)
              \quad (g > 0,\ 0 < \lambda < 1),

    and otherwise 1 (the gain at N = 1 is already below ε: no gain, a falling curve, or
    λ ≤ 0), except that an alternating chain (λ < 0) starting above π has a positive gain at
    N = 1 and saturates at 2 if that gain is at least ε. ``N`` counts refinement steps; the
    TTSPM case ``p0 = 0, b = 0`` is :func:`parallel_saturation_point` with ``p = a``.

    Args:
      p0, a, b: chain parameters in [0, 1] (see :func:`ttsim.refinement_accuracy`).
      eps: threshold in (0, 1).

    References: Scaling over Scaling (TTSPM), 2025; Snell et al., `Scaling LLM Test-Time
    Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    where = "refinement_saturation_point"
    eps_in = eps
    p0, a, b, eps = (v.asarray(x) for x in (p0, a, b, eps))
    dt = float_dtype(p0, a, b, eps)
    _check_eps_representable(eps_in, dt, where)
    p0, a, b, eps = (v.astype(x, dt) for x in (p0, a, b, eps))
    for name, x in (("p0", p0), ("a", a), ("b", b)):
        v.check_probability(name, x, where=where)
    v.check_in_range("eps", eps, 0.0, 1.0, lo_open=True, hi_open=True, where=where)
    return _refinement_saturation(p0, a, b, eps)


@jax.jit
def _refinement_saturation(p0, a, b, eps):
    return _geometric_saturation(a * (1.0 - p0) - b * p0, a + b, eps)


class WorstCaseSaturation(NamedTuple):
    """Worst case over p of the parallel saturation point: ``n_star``, the maximiser ``p_worst`` and the continuous maximum ``x_max`` (n_star = floor(x_max) + 1)."""

    n_star: jax.Array
    p_worst: jax.Array
    x_max: jax.Array


def worst_case_saturation_point(eps, *, num_iterations: int = 80) -> WorstCaseSaturation:
    r"""The largest parallel saturation point over all p, and the p that attains it.

    :math:`N^*(p) = \lfloor x(p) \rfloor + 1` with :math:`x(p) = \ln(p/\varepsilon) / (-\ln(1-p))`
    for p > ε (and 1 for p <= ε), so :math:`\max_p N^*(p) = \lfloor \max_p x(p) \rfloor + 1`. Setting
    :math:`x'(p) = 0` gives the unique root on (ε, 1) of

    .. math:: h(p) = p\,\ln(p/\varepsilon) + (1-p)\ln(1-p) = 0

    (h is increasing there: :math:`h'(p) = \ln\frac{p}{\varepsilon(1-p)} > 0`), found by bisection on
    :math:`\ln p` (``num_iterations`` static). For small ε, :math:`p_\mathrm{worst} \approx e\,\varepsilon`
    and :math:`N^* \approx 1/(e\,\varepsilon)`: ε = 0.01 / 0.005 / 0.001 give 37 / 74 / 368.

    Args:
      eps: threshold(s) in (0, 1), any shape.

    Returns:
      :class:`WorstCaseSaturation` with fields of ``eps``'s shape.

    Examples:
      >>> int(worst_case_saturation_point(0.01).n_star)
      37

    References: Scaling over Scaling: Exploring Test-Time Scaling Pareto in Large Reasoning
    Models (TTSPM), 2025.
    """
    eps_in = eps
    eps = v.asarray(eps)
    _check_eps_representable(eps_in, float_dtype(eps), "worst_case_saturation_point")
    eps = v.astype(eps, float_dtype(eps))
    v.check_in_range("eps", eps, 0.0, 1.0, lo_open=True, hi_open=True, where="worst_case_saturation_point")
    return _worst_case(eps, int(num_iterations))


def _worst_case_impl(eps, num_iterations):
    log_eps = jnp.log(eps)

    def h(log_p):
        p = jnp.exp(log_p)
        return p * (log_p - log_eps) + (1.0 - p) * jnp.log1p(-p)

    def body(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        neg = h(mid) < 0
        return jnp.where(neg, mid, lo), jnp.where(neg, hi, mid)

    # h(eps) < 0 and h -> log(1/eps) > 0 as p -> 1; keep the upper end strictly below 1.
    hi0 = jnp.full_like(eps, jnp.log1p(-jnp.finfo(eps.dtype).eps))
    lo, hi = jax.lax.fori_loop(0, num_iterations, body, (log_eps, hi0))
    p = jnp.exp(0.5 * (lo + hi))
    x = (jnp.log(p) - log_eps) / (-jnp.log1p(-p))
    n = _geometric_saturation(p, p, eps)
    return WorstCaseSaturation(n_star=n, p_worst=p, x_max=x)


_worst_case = jax.jit(_worst_case_impl, static_argnums=1)


def _check_eps_representable(eps, dt, where: str) -> None:
    """ValueError naming eps when a concrete eps is below the smallest normal number of ``dt``."""
    ev = v._values(eps)
    if ev is None:
        return
    ev = np.asarray(ev, np.float64)
    tiny = float(jnp.finfo(dt).tiny)
    bad = (ev > 0) & (ev < tiny)
    if np.any(bad):
        raise ValueError(
            f"{where}: eps must be >= {tiny:.3g} (the smallest normal {jnp.dtype(dt).name}); got "
            f"{float(ev[bad].min())!r}. Use float64 (jax_enable_x64, or --x64 on the command line)"
        )
