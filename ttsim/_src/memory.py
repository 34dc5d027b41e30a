"""Device memory: KV-cache bytes and whether weights plus a decoding batch's KV fit (memory_fit)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.specs import (
    ROOFLINE_ATTENTION,
    Hardware,
    MemoryFit,
    ModelConfig,
    _as_arrays,
    _check_hardware,
    _check_model,
    _check_workload,
    _hardware_arrays,
    _leaves_dtype,
    _model_arrays,
    _normalize_attention,
)
from ttsim._src.traceable import traceable


@traceable
def kv_cache_bytes(model: ModelConfig, tokens, *, bytes_per_kv=2.0) -> jax.Array:
    r"""Bytes of KV cache for ``tokens`` cached tokens: ``2 K D b_{kv} \cdot tokens``.

    .. math:: \text{bytes} = 2 \cdot K \cdot \text{head\_dim} \cdot \text{layers} \cdot b_{kv} \cdot T

    Args:
      model: :class:`ModelConfig` (``K`` KV heads, ``D = head_dim * num_layers``).
      tokens: cached tokens ``T >= 0`` (array).
      bytes_per_kv: bytes per element (2 for bf16).

    Returns:
      Bytes, broadcast over ``tokens`` and the model's fields.

    References:
      Pope et al., `Efficiently Scaling Transformer Inference <https://arxiv.org/abs/2211.05102>`_, 2022.
    """
    _check_model(model, "kv_cache_bytes")
    v.check_nonnegative("tokens", tokens, where="kv_cache_bytes")
    v.check_positive("bytes_per_kv", bytes_per_kv, where="kv_cache_bytes")
    dt = _leaves_dtype(model, tokens, bytes_per_kv)
    m = _model_arrays(model, dt)
    return 2.0 * m.num_kv_heads * m.kv_dim * v.asarray(bytes_per_kv, dt) * v.asarray(tokens, dt)


@traceable
def memory_fit(
    model: ModelConfig,
    hardware: Hardware,
    prompt_tokens,
    gen_tokens,
    num_samples,
    *,
    attention: str = "dense",
    kv_budget=None,
    batch_size=None,
    bytes_per_param=2.0,
    bytes_per_kv=2.0,
    num_devices=1.0,
) -> MemoryFit:
    r"""Whether weights plus the KV cache of a decoding batch fit in device memory.

    .. math::
        \text{required} = P\,b_p + 2KD\,b_{kv}\,(c + b\,L),\qquad
        b_{\max} = \Big\lfloor \frac{n\,\text{capacity} - P\,b_p - 2KD\,b_{kv}\,c}{2KD\,b_{kv}\,L} \Big\rfloor

    The prompt's KV is stored once and shared by the batch of ``b`` sequences. A sliding
    window of ``B`` tokens stores at most ``min(c + L, B)`` tokens per sequence (no sharing);
    top-k attention keeps the full cache.

    Args:
      model, hardware: as in :func:`roofline_cost`.
      prompt_tokens, gen_tokens, num_samples: ``c``, ``L``, ``N`` (arrays).
      attention: ``"dense"``, ``"topk"``, ``"block_topk"`` or ``"sliding"`` (static).
      kv_budget: the sliding window (required for ``"sliding"``).
      batch_size: concurrent sequences (default ``N``).
      bytes_per_param, bytes_per_kv, num_devices: as in :func:`roofline_cost`.

    Returns:
      :class:`MemoryFit`.

    References:
      Pope et al., `Efficiently Scaling Transformer Inference <https://arxiv.org/abs/2211.05102>`_, 2022.
    """
    where = "memory_fit"
    attention = _normalize_attention(attention, ROOFLINE_ATTENTION, where)
    _check_model(model, where)
    _check_hardware(hardware, where)
    _check_workload(where, prompt_tokens, gen_tokens, num_samples)
    if attention == "sliding":
        if kv_budget is None:
            raise ValueError(f"{where}: kv_budget (the window) is required for attention='sliding'")
        v.check_positive("kv_budget", kv_budget, where=where)
    window = np.inf if attention != "sliding" else kv_budget
    batch = num_samples if batch_size is None else batch_size
    args = (prompt_tokens, gen_tokens, num_samples, window, batch, bytes_per_param, bytes_per_kv, num_devices)
    dt = _leaves_dtype(model, hardware, *args)
    arrays = _as_arrays(dt, *args)
    return _memory_fit_impl(_model_arrays(model, dt), _hardware_arrays(hardware, dt), *arrays, attention == "sliding")


@functools.partial(jax.jit, static_argnames=("sliding",))
def _memory_fit_impl(model, hw, c, L, N, W, batch, bp, bkv, ndev, sliding):
    kv_token = 2.0 * model.num_kv_heads * model.kv_dim * bkv
    weights = model.params * bp
    capacity = hw.memory_capacity * ndev
    b = jnp.minimum(batch, N)
    free = capacity - weights
    if sliding:
        per_seq = kv_token * jnp.minimum(c + L, jnp.where(jnp.isfinite(W), W, c + L))
        kv = b * per_seq
        room = free
    else:
        per_seq = kv_token * L
        kv = kv_token * c + b * per_seq
        room = free - kv_token * c
    safe = jnp.where(per_seq > 0, per_seq, 1.0)
    max_b = jnp.where(per_seq > 0, jnp.floor(jnp.maximum(room, 0.0) / safe), jnp.where(room >= 0, jnp.inf, 0.0))
    required = weights + kv
    return MemoryFit(*jnp.broadcast_arrays(weights, kv, required, capacity, required <= capacity, max_b))

