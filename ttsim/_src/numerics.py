"""Numerically safe building blocks shared by the models (no I/O, no validation)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln

_STIRLING_MIN = 8.0


def _stirling_tail(x: jax.Array) -> jax.Array:
    # lgamma(x) - [(x - 1/2) log x - x + log(2 pi)/2], asymptotic series (x >= 8: error < 1e-12).
    r = 1.0 / x
    r2 = r * r
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 / 1680)))


def log_gamma_ratio(x: jax.Array, a: jax.Array) -> jax.Array:
    r"""``lgamma(x + a) - lgamma(x)`` without cancellation for large ``x``.

    .. math:: \log\Gamma(x+a) - \log\Gamma(x) = (x - \tfrac12)\,\mathrm{log1p}(a/x) + a\log(x+a) - a
              + \epsilon(x+a) - \epsilon(x)

    (Stirling, with :math:`\epsilon` the asymptotic tail) when ``x >= 8``; the direct
    difference of ``gammaln`` otherwise, where both terms are small. ``x > 0``, ``a >= 0``.
    Used for Beta-population coverage and the unbiased pass@k estimator at k, n up to 1e6+.
    """
    x, a = jnp.broadcast_arrays(x, a)
    big = x >= _STIRLING_MIN
    xs = jnp.where(big, x, _STIRLING_MIN)  # inner where: keep the unused branch finite
    stirling = (xs - 0.5) * jnp.log1p(a / xs) + a * jnp.log(xs + a) - a
    stirling = stirling + _stirling_tail(xs + a) - _stirling_tail(xs)
    xd = jnp.where(big, 1.0, x)
    direct = gammaln(xd + a) - gammaln(xd)
    return jnp.where(big, stirling, direct)


def _log1p_over_x_minus_one(u: jax.Array) -> jax.Array:
    # log1p(u)/u - 1 for u >= 0, by its series below 0.05 (error < 1e-10) to avoid cancellation.
    small = u < 0.05
    us = jnp.where(small, u, 0.0)
    series = us * (-1.0 / 2 + us * (1.0 / 3 + us * (-1.0 / 4 + us * (1.0 / 5 + us * (-1.0 / 6 + us / 7)))))
    ub = jnp.where(small, 1.0, u)
    return jnp.where(small, series, jnp.log1p(ub) / ub - 1.0)


def log_gamma_ratio_diff(x: jax.Array, d: jax.Array, a: jax.Array) -> jax.Array:
    r"""``[lgamma(x+a) - lgamma(x)] - [lgamma(x+d+a) - lgamma(x+d)]``, accurate when it is small.

    For ``x >= 8`` the Stirling forms are combined before subtracting:

    .. math:: -a\,\mathrm{log1p}\!ig(	frac{d}{x+a}ig) + g(x) - g(x+d) + \epsilon	ext{-terms},\qquad
              g(y) = a\,ig(	frac{\mathrm{log1p}(a/y)}{a/y} - 1ig) - 	frac12\mathrm{log1p}(a/y)

    so that e.g. ``log C(n-c, k) / C(n, k)`` (x = n-c-k+1, d = k, a = c) keeps its relative
    accuracy for n in the millions in float32. ``x > 0``, ``d, a >= 0``.
    """
    x, d, a = jnp.broadcast_arrays(x, d, a)
    big = x >= _STIRLING_MIN
    xs = jnp.where(big, x, _STIRLING_MIN)
    y = xs + d

    def g(z):
        u = a / z
        return a * _log1p_over_x_minus_one(u) - 0.5 * jnp.log1p(u)

    tails = _stirling_tail(xs + a) - _stirling_tail(xs) - _stirling_tail(y + a) + _stirling_tail(y)
    stirling = -a * jnp.log1p(d / (xs + a)) + g(xs) - g(y) + tails
    direct = log_gamma_ratio(jnp.where(big, 1.0, x), a) - log_gamma_ratio(jnp.where(big, 1.0, x) + d, a)
    return jnp.where(a == 0, 0.0, jnp.where(big, stirling, direct))


def log1m_pow(p: jax.Array, k: jax.Array) -> jax.Array:
    """``log((1 - p)^k) = k * log1p(-p)``, with ``0 * log 0 = 0`` and ``-inf`` at p = 1, k > 0."""
    ok = p < 1.0
    q = jnp.where(ok, p, 0.0)
    val = k * jnp.log1p(-q)
    return jnp.where(ok, val, jnp.where(k > 0, -jnp.inf, 0.0))


def one_minus_pow(p: jax.Array, k: jax.Array) -> jax.Array:
    """``1 - (1 - p)^k`` computed as ``-expm1(k log1p(-p))``; exact 1 at p = 1 (k > 0), finite grads."""
    ok = p < 1.0
    q = jnp.where(ok, p, 0.0)
    val = -jnp.expm1(k * jnp.log1p(-q))
    return jnp.where(ok, val, jnp.where(k > 0, 1.0, 0.0))


def float_dtype(*xs) -> jnp.dtype:
    """The floating dtype the inputs promote to (float32 unless x64 is on and an input is 64-bit)."""
    dt = jnp.result_type(*xs, jnp.float32) if xs else jnp.float32
    return dt if jnp.issubdtype(dt, jnp.floating) else jnp.dtype(jnp.float32)


def enable_x64(enabled: bool = True):
    """Context manager switching float64 on (or off) locally, on every supported JAX version.

    ``jax.enable_x64`` where it exists (recent JAX), ``jax.experimental.enable_x64`` before it.
    """
    ctx = getattr(jax, "enable_x64", None)
    if ctx is None:  # pragma: no cover - older JAX (e.g. the last release for Python 3.10)
        from jax.experimental import enable_x64 as ctx
    return ctx(enabled)


def is_concrete(x) -> bool:
    """True when ``x`` holds values (not a tracer), so value checks can run."""
    return not isinstance(x, jax.core.Tracer)
