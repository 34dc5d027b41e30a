"""Fused population coverage over a (K x P) grid: a Pallas kernel and its jnp reference.

.. math:: \\mathrm{cov}(k_i) = \\sum_j w_j\\,\\big[1 - (1 - p_j)^{k_i}\\big], \\qquad i < K,\\ j < P

The hot path of a population x budget sweep (an empirical population of thousands of
problems, or a fine Beta quadrature, against thousands of sample counts). The kernel tiles
the grid into (block_k x block_p) tiles; each program computes one tile in registers /
VMEM and writes its partial sum over the tile's problems, and the P-block partial sums are
added outside the kernel. No (K x P) array is ever written to memory.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from ttsim._src.numerics import one_minus_pow

__all__ = (
    "population_coverage",
    "population_coverage_pallas",
    "population_coverage_reference",
)

# Fastest of 64x256, 32x512, 16x1024 and 64x1024 on an H200 (benchmarks/README.md).
DEFAULT_BLOCK_K = 16
DEFAULT_BLOCK_P = 1024


def _prepare(k, p, weight):
    dt = jnp.result_type(k, p, weight, jnp.float32)
    if not jnp.issubdtype(dt, jnp.floating):
        dt = jnp.float32
    k, p, weight = (jnp.asarray(x, dt) for x in (k, p, weight))
    if k.ndim != 1 or p.ndim != 1 or weight.shape != p.shape:
        raise ValueError(
            f"population_coverage: k must be (K,), p and weight (P,); got {k.shape}, {p.shape}, {weight.shape}"
        )
    return k, p, weight


def population_coverage_reference(k, p, weight, *, interpret: bool = False) -> jax.Array:
    r"""jnp reference: :math:`\mathrm{cov}(k_i) = \sum_j w_j [1 - (1 - p_j)^{k_i}]` (XLA fuses it).

    Args:
      k: ``(K,)`` sample counts (>= 0, real). p: ``(P,)`` per-problem success probabilities in
        [0, 1]. weight: ``(P,)`` problem weights (the population's; need not sum to 1).
      interpret: ignored (same signature as the kernel).

    Returns:
      ``(K,)`` coverage.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    del interpret
    k, p, weight = _prepare(k, p, weight)
    return _reference(k, p, weight)


@jax.jit
def _reference(k, p, weight):
    return jnp.sum(weight[None, :] * one_minus_pow(p[None, :], k[:, None]), axis=1)


def _neg_expm1(x):
    """``-expm1(x)`` from exp and log only (Kahan's trick, for Mosaic TPU, which has no expm1), x <= 0.

    With u = exp(x): expm1(x) = (u - 1) * x / log(u), exact to a few ulp; u = 1 gives x and
    u = 0 (x -> -inf) gives -1.
    """
    u = jnp.exp(x)
    safe = (u != 1.0) & (u != 0.0)
    lu = jnp.log(jnp.where(safe, u, 2.0))
    em1 = jnp.where(safe, (u - 1.0) * x / jnp.where(safe, lu, 1.0), jnp.where(u == 0.0, -1.0, x))
    return -em1


def _tile_kernel(k_ref, lq_ref, w_ref, o_ref):
    k = k_ref[...]  # (block_k, 1)
    lq = lq_ref[...]  # (1, block_p): log1p(-p), -inf where p = 1
    w = w_ref[...]  # (1, block_p): zero on padded problems
    x = jnp.where(k > 0, k * lq, 0.0)  # log (1 - p)^k, with 0 * log 0 = 0
    # Mosaic (TPU) has no expm1; elsewhere use the accurate intrinsic (the exp/log trick loses
    # ~1e-4 with the GPU's approximate exp and log).
    neg = _neg_expm1(x) if jax.default_backend() == "tpu" else -jnp.expm1(x)
    o_ref[...] = jnp.sum(w * neg, axis=1, keepdims=True)


@functools.partial(jax.jit, static_argnames=("block_k", "block_p", "interpret"))
def _pallas(k, p, weight, *, block_k: int, block_p: int, interpret: bool):
    num_k, num_p = k.shape[0], p.shape[0]
    nkb, npb = pl.cdiv(num_k, block_k), pl.cdiv(num_p, block_p)
    kp, pp = nkb * block_k, npb * block_p
    # Pad K with a valid value (edge), P with weight 0: no read past an edge, no NaN.
    k2 = jnp.pad(k, (0, kp - num_k), mode="edge").reshape(kp, 1)
    ok = p < 1.0
    lq = jnp.where(ok, jnp.log1p(-jnp.where(ok, p, 0.0)), -jnp.inf)
    lq2 = jnp.pad(lq, (0, pp - num_p)).reshape(1, pp)
    w2 = jnp.pad(weight, (0, pp - num_p)).reshape(1, pp)
    partial = pl.pallas_call(
        _tile_kernel,
        out_shape=jax.ShapeDtypeStruct((npb, kp, 1), k.dtype),
        grid=(nkb, npb),
        in_specs=[
            pl.BlockSpec((block_k, 1), lambda i, j: (i, 0)),
            pl.BlockSpec((1, block_p), lambda i, j: (0, j)),
            pl.BlockSpec((1, block_p), lambda i, j: (0, j)),
        ],
        out_specs=pl.BlockSpec((None, block_k, 1), lambda i, j: (j, i, 0)),
        interpret=interpret,
        name="population_coverage",
    )(k2, lq2, w2)
    return jnp.sum(partial[:, :num_k, 0], axis=0)


def population_coverage_pallas(
    k, p, weight, *, interpret: bool = False, block_k: int = DEFAULT_BLOCK_K, block_p: int = DEFAULT_BLOCK_P
) -> jax.Array:
    r"""Pallas kernel: :math:`\mathrm{cov}(k_i) = \sum_j w_j [1 - (1 - p_j)^{k_i}]`, tiled over (K, P).

    Same arguments and result as :func:`population_coverage_reference`; ``interpret=True`` runs
    the kernel in the Pallas interpreter (any backend, used by the CPU tests). Block sizes are
    static: ``block_k`` a multiple of 8 and ``block_p`` of 128 (TPU tiling; powers of two for
    Triton). Agrees with the reference to ``rtol=1e-5, atol=1e-6`` in float32.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    if block_k < 1 or block_p < 1:
        raise ValueError(f"population_coverage_pallas: block sizes must be >= 1; got {block_k}, {block_p}")
    k, p, weight = _prepare(k, p, weight)
    return _pallas(k, p, weight, block_k=int(block_k), block_p=int(block_p), interpret=bool(interpret))


def population_coverage(k, p, weight, *, backend: str | None = None, interpret: bool = False) -> jax.Array:
    r"""Population coverage :math:`\sum_j w_j [1 - (1 - p_j)^{k_i}]`, on the fastest path available.

    Dispatch: the Pallas kernel on ``"gpu"`` / ``"tpu"`` (``jax.default_backend()`` unless
    ``backend`` is given), the jnp reference (XLA's own fusion) elsewhere; ``interpret=True``
    forces the kernel in interpret mode. See ``benchmarks/README.md`` for measurements.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    backend = backend or jax.default_backend()
    if interpret:
        return population_coverage_pallas(k, p, weight, interpret=True)
    if backend in ("gpu", "cuda", "rocm", "tpu"):
        return population_coverage_pallas(k, p, weight)
    return population_coverage_reference(k, p, weight)
