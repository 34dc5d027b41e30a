r"""Serving one batch of generations: prefill, decode steps, KV capacity, at a concurrency.

The unit priced here is one *round*: ``C`` queries in flight on one replica (continuous
batching), each running ``m`` generations side by side, each generation reading the query's
prompt of ``c`` tokens (stored once per query: prefix caching) plus ``x`` private context tokens,
then generating ``T`` tokens. The replica is ``n`` tensor-parallel chips times ``p`` pipeline
stages. With ``b = C m`` sequences and ``k_s = c + x + τ s + q`` the keys each sequence holds at
decode step ``s`` (``q`` tokens verified per step, ``τ`` of them kept: ``q = τ = 1`` without
speculation), one step costs

.. math::
    F_s &= b\,\big[2 P_a q + 4 H D\,(q\,\kappa_s - q(q-1)/2)\big]

    B_s &= \frac{W(bq/p)\,b_p}{n} + \frac{2KD\,b_{kv}\,(R_s + b q)}{n p}

    t_s &= \max\Big(\frac{F_s}{n p\,\text{peak}}, \frac{B_s}{\text{bw}}\Big) + t_\text{comm}(bq)
           + \gamma\, t^\text{draft}_s

where ``κ_s = k_s`` for dense attention and ``min(B, k_s)`` for top-k / sliding attention (budget
or window ``B``), ``R_s`` the cached keys read (dense: ``C c + b (k_s − c)``, the prompt read once
per query per step; windowed: ``b κ_s``), ``W(t)`` the weights a pass over ``t`` tokens touches
(MoE: shared plus the touched experts) and ``t_comm`` the tensor/pipeline communication of
:mod:`ttsim._src.parallel` (not overlapped). The decode time of a round is the **exact** sum
``Σ_{s < S} t_s`` over ``S = T / τ`` steps: ``F_s`` and ``B_s`` are affine in ``s`` between the
window's kink, so each piece sums in closed form on either side of the compute/memory crossover.
A step-by-step simulation in the tests checks it.

Prefill of a round processes ``C c`` prompt tokens (first round only) and ``b x`` context
tokens in one pass: ``max(F/(n p peak), B/bw) + t_comm``.

References:
  Williams et al., `Roofline <https://doi.org/10.1145/1498765.1498785>`_, 2009;
  Kwon et al., `Efficient Memory Management for LLM Serving with PagedAttention
  <https://arxiv.org/abs/2309.06180>`_, 2023 (continuous batching, paged KV, prefix sharing);
  Pope et al., `Efficiently Scaling Transformer Inference <https://arxiv.org/abs/2211.05102>`_, 2022.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ttsim._src.parallel import _comm_impl
from ttsim._src.specs import _weights_touched


class RoundCost(NamedTuple):
    """Critical-path time and traffic of one round (see the module docstring).

    Attributes:
      prefill_seconds: the round's prefill pass (prompt and private context).
      first_step_seconds: the first decode step (for time to first token).
      decode_seconds: all decode steps of the round.
      comm_seconds: the communication part of ``prefill_seconds + decode_seconds``.
      busy_seconds: the compute/memory-bound part (``prefill + decode - comm``).
      flops, memory_bytes, comm_bytes: totals over the replica for the round (all chips, all
        ``C`` queries); comm bytes are per chip.
    """

    prefill_seconds: jax.Array
    first_step_seconds: jax.Array
    decode_seconds: jax.Array
    comm_seconds: jax.Array
    busy_seconds: jax.Array
    flops: jax.Array
    memory_bytes: jax.Array
    comm_bytes: jax.Array


def _affine_sum(a0, a1, u, v):
    """``Σ_{s=u}^{v-1} (a0 + a1 s)`` extended to real ``u <= v``."""
    n = jnp.maximum(v - u, 0.0)
    return n * a0 + a1 * n * (u + v - 1.0) * 0.5


def _sum_max_affine(a0, a1, b0, b1, u, v):
    """``Σ_{s=u}^{v-1} max(a0 + a1 s, b0 + b1 s)``: split at the crossover, exact for integer ends."""
    da = a1 - b1
    safe = jnp.where(da != 0, da, 1.0)
    cross = (b0 - a0) / safe  # a(s) >= b(s) for s >= cross when da > 0, for s <= cross when da < 0
    up = jnp.clip(jnp.ceil(cross), u, v)  # da > 0: b wins on [u, up), a on [up, v)
    down = jnp.clip(jnp.floor(cross) + 1.0, u, v)  # da < 0: a wins on [u, down), b on [down, v)
    rising = _affine_sum(b0, b1, u, up) + _affine_sum(a0, a1, up, v)
    falling = _affine_sum(a0, a1, u, down) + _affine_sum(b0, b1, down, v)
    flat = jnp.where(a0 >= b0, _affine_sum(a0, a1, u, v), _affine_sum(b0, b1, u, v))
    return jnp.where(da > 0, rising, jnp.where(da < 0, falling, flat))


def _step_terms(model, hw, b, Q, c, x, q, tau, window, shared, bp, bkv, tp, pp):
    """Affine coefficients in ``s`` of the compute time, memory time, FLOPs and bytes of a step.

    Returned for the two pieces of the window (below it, at it); ``kink`` is the first step at
    which ``k_s`` reaches the window (``inf`` for dense attention).
    """
    H, K, D = model.num_heads, model.num_kv_heads, model.kv_dim
    peak = hw.peak_flops * tp * pp
    bw = hw.memory_bandwidth
    kv_tok = 2.0 * K * D * bkv
    k0 = c + x + q  # keys at s = 0; k_s = k0 + tau s
    finite = jnp.isfinite(window)
    w = jnp.where(finite, window, 0.0)
    kink = jnp.where(finite, jnp.maximum(jnp.ceil((w - k0) / tau), 0.0), jnp.inf)
    weights = _weights_touched(model, b * q / pp) * bp / tp
    mm = 2.0 * model.active_params * q * b
    tri = 0.5 * q * (q - 1.0)
    # below the window: kappa_s = k0 + tau s
    f0 = mm + 4.0 * H * D * b * (q * k0 - tri)
    f1 = 4.0 * H * D * b * q * tau
    read0 = jnp.where(shared, Q * c + b * (k0 - c), b * k0)
    read1 = b * tau
    m0 = weights + kv_tok * (read0 + b * q) / (tp * pp)
    m1 = kv_tok * read1 / (tp * pp)
    # at the window: kappa_s = w, every sequence reads w keys (no sharing)
    g0 = mm + 4.0 * H * D * b * (q * w - tri)
    n0 = weights + kv_tok * (b * w + b * q) / (tp * pp)
    below = (f0 / peak, f1 / peak, m0 / bw, m1 / bw, f0, f1, m0 * tp * pp, m1 * tp * pp)
    at = (g0 / peak, 0.0 * f1, n0 / bw, 0.0 * m1, g0, 0.0 * f1, n0 * tp * pp, 0.0 * m1)
    return below, at, kink


def _decode(model, hw, b, Q, c, x, S, q, tau, window, shared, bp, bkv, tp, pp, b_act, lat, scale=1.0):
    """Sum over the ``S`` decode steps of one model: (busy seconds, first step, flops, bytes)."""
    below, at, kink = _step_terms(model, hw, b, Q, c, x, q, tau, window, shared, bp, bkv, tp, pp)
    split = jnp.minimum(kink, S)
    zero = jnp.zeros_like(S)
    busy = _sum_max_affine(*below[:4], zero, split) + _sum_max_affine(*at[:4], split, S)
    flops = _affine_sum(below[4], below[5], zero, split) + _affine_sum(at[4], at[5], split, S)
    mem = _affine_sum(below[6], below[7], zero, split) + _affine_sum(at[6], at[7], split, S)
    first = jnp.where(kink > 0, jnp.maximum(below[0], below[2]), jnp.maximum(at[0], at[2]))
    return scale * busy, scale * first, scale * flops, scale * mem


def _prefill(model, hw, Q, b, c, x, first_round, shared, bp, bkv, tp, pp, b_act, lat):
    H, K, D = model.num_heads, model.num_kv_heads, model.kv_dim
    prompt = jnp.where(first_round, jnp.where(shared, Q, b) * c, 0.0)
    ctx = b * x
    tokens = prompt + ctx
    pairs = jnp.where(first_round, jnp.where(shared, Q, b) * 0.5 * c * (c + 1.0), 0.0) + b * (x * c + 0.5 * x * (x + 1.0))
    flops = 2.0 * model.active_params * tokens + 4.0 * H * D * pairs
    kv_tok = 2.0 * K * D * bkv
    wbytes = jnp.where(tokens > 0, _weights_touched(model, tokens) * bp, 0.0)
    mem = wbytes + kv_tok * tokens
    busy = jnp.maximum(flops / (hw.peak_flops * tp * pp), (wbytes / tp + kv_tok * tokens / (tp * pp)) / hw.memory_bandwidth)
    comm = _comm_impl(model, hw, tokens, tp, pp, b_act, lat)
    on = tokens > 0
    return (jnp.where(on, busy, 0.0), jnp.where(on, comm.seconds, 0.0), flops, mem, jnp.where(on, comm.bytes, 0.0))


def round_cost(model, hw, *, concurrency, count, prompt, context, tokens, first_round, window, shared,
               shared_reads, bp, bkv, tp, pp, b_act, lat, gamma, alpha, draft, draft_fraction, speculative: bool):
    """One round (inside jit; arrays already validated and cast). See the module docstring."""
    Q = concurrency
    b = concurrency * count
    if speculative:
        from ttsim._src.speculative import _tokens_per_step

        tau = _tokens_per_step(alpha, gamma)
        q = gamma + 1.0
    else:
        tau = jnp.ones_like(tokens)
        q = jnp.ones_like(tokens)
    S = tokens / tau
    pre_busy, pre_comm, pre_flops, pre_mem, pre_cbytes = _prefill(
        model, hw, Q, b, prompt, context, first_round, shared, bp, bkv, tp, pp, b_act, lat)
    busy, first, flops, mem = _decode(model, hw, b, Q, prompt, context, S, q, tau, window, shared_reads,
                                      bp, bkv, tp, pp, b_act, lat)
    comm = _comm_impl(model, hw, b * q, tp, pp, b_act, lat)
    if speculative:
        # gamma draft passes per target step, each at one token per sequence.
        one = jnp.ones_like(q)
        if draft is None:
            d_busy, d_first, d_flops, d_mem = _decode(model, hw, b, Q, prompt, context, S, one, tau, window,
                                                      shared_reads, bp, bkv, tp, pp, b_act, lat, scale=draft_fraction)
            d_comm = 0.0
        else:
            d_busy, d_first, d_flops, d_mem = _decode(draft, hw, b, Q, prompt, context, S, one, tau, window,
                                                      shared_reads, bp, bkv, tp, pp, b_act, lat)
            d_comm = _comm_impl(draft, hw, b, tp, pp, b_act, lat).seconds
        busy = busy + gamma * d_busy
        first = first + gamma * d_first
        flops = flops + gamma * d_flops
        mem = mem + gamma * d_mem
        step_comm = comm.seconds + gamma * d_comm
    else:
        step_comm = comm.seconds
    dec_comm = S * step_comm
    decode = busy + dec_comm
    return RoundCost(
        prefill_seconds=pre_busy + pre_comm,
        first_step_seconds=first + step_comm,
        decode_seconds=decode,
        comm_seconds=pre_comm + dec_comm,
        busy_seconds=pre_busy + busy,
        flops=pre_flops + flops,
        memory_bytes=pre_mem + mem,
        comm_bytes=pre_cbytes + S * comm.bytes,
    )
