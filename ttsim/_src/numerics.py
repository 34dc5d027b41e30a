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


def log_gamma_ratio_diff(x: jax.Array, d: jax.Array, a: jax.Array) -> jax.Array:
    r"""``[lgamma(x+a) - lgamma(x)] - [lgamma(x+d+a) - lgamma(x+d)]``, accurate when it is small.

    With :math:`F(z) = \log\Gamma(z+a) - \log\Gamma(z)` and :math:`y = x + d`, Stirling's
    series gives, for ``x >= 8``, the difference :math:`F(x) - F(y)` with every large term
    already cancelled analytically:

    .. math:: F(x) - F(y) = (x - \tfrac12)\,\mathrm{log1p}\Big(\frac{a\,d}{x\,(y+a)}\Big)
              - d\,\mathrm{log1p}\big(\tfrac{a}{y}\big) - a\,\mathrm{log1p}\big(\tfrac{d}{x+a}\big)
              + \epsilon(x+a) - \epsilon(x) - \epsilon(y+a) + \epsilon(y)

    (:math:`\epsilon` the asymptotic tail of :math:`\log\Gamma`). Each term is of the size of
    the result or smaller, so e.g. ``log C(n-c, k) / C(n, k)`` (x = n-c-k+1, d = k, a = c)
    keeps its relative accuracy in float32 for n up to 1e7 and c in the millions (the older
    form subtracted two terms of size ~c). ``x > 0``, ``d, a >= 0``.
    """
    x, d, a = jnp.broadcast_arrays(x, d, a)
    # Below x = 8, shift up with F(z) = F(z + 1) - log1p(a / z), paired between x and y:
    # log1p(a/(x+j)) - log1p(a/(y+j)) = log1p(a d / ((x+j)(y+j+a))), each term exact-ish.
    small = x < _STIRLING_MIN
    shift = int(_STIRLING_MIN)
    corr = jnp.zeros_like(x)
    for j in range(shift):
        xj = x + j
        corr = corr + jnp.where(small, jnp.log1p(a * d / (xj * (xj + d + a))), 0.0)
    xs = jnp.where(small, x + shift, x)
    y = xs + d
    tails = _stirling_tail(xs + a) - _stirling_tail(xs) - _stirling_tail(y + a) + _stirling_tail(y)
    stirling = (
        (xs - 0.5) * jnp.log1p(a * d / (xs * (y + a)))
        - d * jnp.log1p(a / y)
        - a * jnp.log1p(d / (xs + a))
        + tails
    )
    return jnp.where((a == 0) | (d == 0), 0.0, stirling - corr)


def log1m_pow(p: jax.Array, k: jax.Array) -> jax.Array:
    """``log((1 - p)^k) = k * log1p(-p)``, with ``0 * log 0 = 0`` and ``-inf`` at p = 1, k > 0."""
    ok = p < 1.0
    q = jnp.where(ok, p, 0.0)
    val = k * jnp.log1p(-q)
    return jnp.where(ok, val, jnp.where(k > 0, -jnp.inf, 0.0))


@jax.custom_jvp
def neg_expm1(u: jax.Array) -> jax.Array:
    """``-expm1(u) = 1 - e^u`` whose derivative is ``-e^u`` computed directly.

    (JAX differentiates ``expm1`` as ``expm1(u) + 1``, which loses the relative precision of
    small ``e^u``: about 2e-4 at u = -8 in float32.)
    """
    return -jnp.expm1(u)


@neg_expm1.defjvp
def _neg_expm1_jvp(primals, tangents):
    (u,), (du,) = primals, tangents
    return -jnp.expm1(u), -jnp.exp(u) * du


def log1m(p: jax.Array) -> jax.Array:
    """``log(1 - p)`` for p in [0, 1], with the most negative finite float at p = 1 (zero gradient there).

    A finite stand-in for ``-inf`` keeps ``k * log1m(p)`` free of ``0 * inf`` at k = 0, so
    :func:`one_minus_pow` needs no select on its (k x problems) product: XLA then fuses it
    into the population sum instead of materialising it.
    """
    ok = p < 1.0
    return jnp.where(ok, jnp.log1p(-jnp.where(ok, p, 0.0)), -jnp.finfo(jnp.result_type(p)).max)


def one_minus_pow(p: jax.Array, k: jax.Array) -> jax.Array:
    """``1 - (1 - p)^k`` computed as ``-expm1(k log1p(-p))``; exact 1 at p = 1 (k > 0), finite grads.

    ``log1p(-p)`` is taken once per ``p`` (:func:`log1m`), so over a grid of k the only work
    per (k, p) pair is one multiply and one ``expm1``.
    """
    p = jnp.asarray(p)
    return neg_expm1(k * log1m(p).astype(jnp.result_type(p, k)))


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
