"""The roofline cost model: prefill plus batched decode, time = max(FLOPs/peak, bytes/bandwidth) per phase."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.specs import (
    _SECONDS_PER_HOUR,
    ROOFLINE_ATTENTION,
    Cost,
    Hardware,
    ModelConfig,
    _attended_keys,
    _check_hardware,
    _check_model,
    _check_workload,
    _hardware_arrays,
    _jit_arg,
    _jit_args,
    _leaves_dtype,
    _model_arrays,
    _normalize_attention,
    _weights_touched,
)
from ttsim._src.traceable import traceable


@traceable
def roofline_cost(
    model: ModelConfig,
    hardware: Hardware,
    prompt_tokens,
    gen_tokens,
    num_samples,
    *,
    attention: str = "dense",
    kv_budget=None,
    block_size=16.0,
    batch_size=None,
    bytes_per_param=2.0,
    bytes_per_kv=2.0,
    num_devices=1.0,
    include_prefill: bool = True,
) -> Cost:
    r"""Roofline time and cost of prefill plus decode for ``N`` samples of one prompt.

    Each phase takes ``max(flops / peak, bytes / bandwidth)`` seconds (compute and memory
    traffic overlap within a phase); the total is the sum over the two phases and
    ``dollars = seconds * num_devices * price_per_hour / 3600``.

    .. math::
        t = \sum_{\text{phase}} \max\Big(\frac{F_\text{phase}}{n\,\text{peak}},
                                         \frac{B_\text{phase}}{n\,\text{bw}}\Big)

    Prefill (once; the prompt is shared by all samples): ``F = 2 P_a c + 4 H D A(0, c)``,
    ``B = W(c)\,b_p + 2 K D c\,b_{kv}`` (weights read once, prompt KV written; nothing when c = 0). Decode of ``N``
    samples in ``ceil(N / batch)`` batches of ``L`` steps:

    .. math::
        F &= N\,[\,2 P_a L + 4 H D\,A(c, L)\,] \\
        B &= L\,\big(\lfloor N/\text{batch}\rfloor W(\text{batch}) + W(r)\big)\,b_p + \text{KV reads} + 2 K D N L\,b_{kv}

    where ``A(c, L)`` is the number of (query, key) pairs: ``cL + L^2/2`` for dense attention,
    the area under ``min(B, c + t)`` for ``"topk"``, ``"block_topk"`` and ``"sliding"`` (window
    ``B``). Dense KV reads share the prompt within a batch: ``2KD b_{kv} (n_{batch} c L + N L^2/2)``;
    sparse reads are ``2KD b_{kv} N A(c, L)``. Block top-k also scores one key per block of
    ``block_size`` tokens each step (``2HD`` FLOPs and ``KD b_{kv}`` bytes per block).
    ``W(t)`` is the parameters read by a pass over ``t`` tokens (all for dense models; for MoE
    the shared weights plus the expected touched fraction ``1 - (1 - k/E)^t`` of experts);
    ``P_a`` the active parameters, ``r = N - \lfloor N/\text{batch}\rfloor \text{batch}`` the last,
    partial batch (``W(0) = 0``). Activations and communication between devices are ignored.

    Args:
      model: :class:`ModelConfig`.
      hardware: :class:`Hardware` (per chip).
      prompt_tokens: ``c >= 0`` (array).
      gen_tokens: ``L >= 0`` tokens per sample (array).
      num_samples: ``N >= 1`` (array).
      attention: ``"dense"``, ``"topk"``, ``"block_topk"`` or ``"sliding"`` (static).
      kv_budget: keys attended per step (top-k budget or sliding window), required unless dense.
      block_size: tokens per block for ``"block_topk"`` (array).
      batch_size: sequences decoded together (array, default ``N``: all samples at once).
      bytes_per_param: weight precision in bytes (2 for bf16, 1 for fp8/int8, 0.5 for int4).
      bytes_per_kv: KV-cache precision in bytes per element.
      num_devices: chips the model is spread over (peak, bandwidth, memory and price scale).
      include_prefill: add the prefill phase (static).

    Returns:
      :class:`Cost` (``eflops = flops + I * memory_bytes`` for comparison with Kinetics).

    References:
      Williams et al., `Roofline <https://doi.org/10.1145/1498765.1498785>`_, 2009;
      Sadhukhan et al., `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025.
    """
    where = "roofline_cost"
    attention = _normalize_attention(attention, ROOFLINE_ATTENTION, where)
    _check_model(model, where)
    _check_hardware(hardware, where)
    _check_workload(where, prompt_tokens, gen_tokens, num_samples)
    if attention != "dense":
        if kv_budget is None:
            raise ValueError(f"{where}: kv_budget is required for attention={attention!r}")
        v.check_positive("kv_budget", kv_budget, where=where)
    budget = np.inf if kv_budget is None or attention == "dense" else kv_budget
    v.check_positive("block_size", block_size, where=where)
    if batch_size is not None:
        v.check_in_range("batch_size", batch_size, 1.0, np.inf, hi_open=True, where=where)
    v.check_positive("bytes_per_param", bytes_per_param, where=where)
    v.check_positive("bytes_per_kv", bytes_per_kv, where=where)
    v.check_positive("num_devices", num_devices, where=where)
    batch = num_samples if batch_size is None else batch_size
    args = (prompt_tokens, gen_tokens, num_samples, budget, block_size, batch, bytes_per_param, bytes_per_kv, num_devices)
    dt = _leaves_dtype(model, hardware, *args)
    arrays = _jit_args(dt, *args)
    return _roofline_impl(
        _model_arrays(model, dt, _jit_arg), _hardware_arrays(hardware, dt, _jit_arg), *arrays, attention, include_prefill
    )


@functools.partial(jax.jit, static_argnames=("attention", "include_prefill"))
def _roofline_impl(model, hw, c, L, N, B, blk, batch, bp, bkv, ndev, attention, include_prefill):
    H, K, D = model.num_heads, model.num_kv_heads, model.kv_dim
    Pa = model.active_params
    peak = hw.peak_flops * ndev
    bw = hw.memory_bandwidth * ndev
    kv_token = 2.0 * K * D * bkv  # bytes per cached token (keys and values)
    inf = jnp.asarray(jnp.inf, c.dtype)

    # Prefill: the prompt once (sliding-window attention also windows the prompt).
    pre_window = B if attention == "sliding" else inf
    pre_flops = 2.0 * Pa * c + 4.0 * H * D * _attended_keys(jnp.zeros_like(c), c, pre_window)
    pre_bytes = jnp.where(c > 0, _weights_touched(model, c) * bp, 0.0) + kv_token * c  # no prompt, no pass
    pre_time = jnp.maximum(pre_flops / peak, pre_bytes / bw)
    if not include_prefill:
        pre_flops, pre_bytes, pre_time = (jnp.zeros_like(x) for x in (pre_flops, pre_bytes, pre_time))

    # Decode: N samples in ceil(N / batch) batches of L steps.
    b = jnp.minimum(batch, N)
    n_batches = jnp.ceil(N / b)
    window = inf if attention == "dense" else B
    pairs = _attended_keys(c, L, window)
    dec_flops = N * (2.0 * Pa * L + 4.0 * H * D * pairs)
    full = jnp.floor(N / b)  # full batches of b, then one batch of the remainder (MoE touches fewer experts)
    rem = N - full * b
    last = jnp.where(rem > 0, _weights_touched(model, jnp.where(rem > 0, rem, 1.0)), 0.0)
    weight_bytes = L * bp * (full * _weights_touched(model, b) + last)
    shared_pairs = n_batches * c * L + 0.5 * N * L * L  # prompt keys read once per batch step
    if attention == "dense":
        kv_read = kv_token * shared_pairs
    else:
        kv_read = kv_token * N * pairs
    if attention == "block_topk":
        dec_flops = dec_flops + 2.0 * H * D * N * (c * L + 0.5 * L * L) / blk
        kv_read = kv_read + 0.5 * kv_token * shared_pairs / blk
    dec_bytes = weight_bytes + kv_read + kv_token * N * L
    dec_time = jnp.maximum(dec_flops / peak, dec_bytes / bw)

    flops = pre_flops + dec_flops
    memory = pre_bytes + dec_bytes
    eflops = flops + hw.arithmetic_intensity * memory
    seconds = pre_time + dec_time
    dollars = seconds * ndev * hw.price_per_hour / _SECONDS_PER_HOUR
    return Cost(*jnp.broadcast_arrays(flops, memory, eflops, seconds, dollars))

