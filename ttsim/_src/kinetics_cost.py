"""The Kinetics decode-only cost model (FLOPs, KV memory, eFLOPs) of Sadhukhan et al. (2025).

Conventions (see ``docs/cost_models.md``): ``D = head_dim * num_layers``; one (query, key)
pair costs ``4 * H * D`` FLOPs; KV reads at 2 bytes per element, no weight reads, no prefill;
the prompt's KV is shared across the ``N`` samples; the top-k correction is subtracted
(``kvf = B L - max(0, B - c)^2 / 2``, the area under ``min(B, c + t)``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from ttsim._src import validation as v
from ttsim._src.specs import (
    _SECONDS_PER_HOUR,
    KINETICS_ATTENTION,
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
)
from ttsim._src.traceable import traceable


@traceable
def kinetics_cost(
    model: ModelConfig,
    hardware: Hardware,
    prompt_tokens,
    gen_tokens,
    num_samples,
    *,
    kv_budget=None,
    attention: str | None = None,
    block_size=None,
    sparse_convention: str = "exact",
) -> Cost:
    r"""Kinetics decode-only cost of ``N`` samples of ``L`` tokens after a ``c``-token prompt.

    Dense attention (the prompt's KV cache is shared by the ``N`` samples):

    .. math::
        \mathrm{compute} &= N\,[\,2 P L + 2 (2c + L) L H D\,] \\
        \mathrm{memory} &= 2 (2c + N L) L K D \quad\text{(bytes: K and V at 2 bytes)} \\
        \mathrm{eFLOPs} &= \mathrm{compute} + I\cdot\mathrm{memory},\qquad I = \text{peak}/\text{bandwidth}

    Top-k sparse attention with KV budget ``B`` (``attention="topk"``, the default when a
    budget is given) attends ``min(B, context)`` keys per step:

    .. math::
        \mathrm{kvf} = B L - \tfrac12 \max(0, B - c)^2,\quad
        \mathrm{compute} = N\,[\,2PL + 4\,\mathrm{kvf}\,H D\,],\quad
        \mathrm{memory} = 4\,\mathrm{kvf}\,K D N

    Block top-k (``attention="block_topk"``, block size ``b``) adds the block-scoring cost of
    the Kinetics code: compute ``N * floor((2c + L)/b) * L H D`` and memory
    ``floor((2c + N L)/b) * L K D``.

    Here ``P = model.active_params``, ``H`` query heads, ``K`` KV heads and
    ``D = head_dim * num_layers``. ``seconds = eFLOPs / peak`` (compute time plus memory time,
    no overlap) and ``dollars = seconds * price / 3600``. Weight reads and prefill are ignored,
    as in the paper (use :func:`roofline_cost` for them).

    Sign convention: the number of keys attended is the area under ``min(B, c + t)``, so the
    correction is subtracted (``sparse_convention="exact"``, the default, and the formula in
    the paper). The formula holds while ``L >= B - c``; for shorter generations the budget is
    never reached and ttsim uses the dense count ``cL + L^2/2`` (the paper's expression would
    undercount, even go negative). The Kinetics code that produced the released AIME24 tables *adds* it, for
    top-k and block top-k alike (``sparse_convention="kinetics_code"`` reproduces those tables
    to rounding error; the two differ by ``N max(0, B - c)^2 (4HD + 4IKD)`` eFLOPs).

    Args:
      model: a :class:`ModelConfig` (numeric fields broadcast).
      hardware: a :class:`Hardware` profile (supplies ``I``, peak FLOP/s and price).
      prompt_tokens: ``c >= 0``, prompt length (array).
      gen_tokens: ``L >= 0``, generated tokens per sample (array; may be fractional).
      num_samples: ``N >= 1``, samples per problem (array).
      kv_budget: ``B > 0``, KV tokens attended per step for sparse attention (array).
      attention: ``"dense"``, ``"topk"`` or ``"block_topk"`` (static).
      block_size: block size for ``"block_topk"`` (array, > 0).
      sparse_convention: ``"exact"`` (subtract the correction) or ``"kinetics_code"`` (add it,
        as the released Kinetics tables do); static.

    Returns:
      :class:`Cost` broadcast over all inputs (flops, memory_bytes, eflops, seconds, dollars).

    References:
      Sadhukhan et al., `Kinetics: Rethinking Test-Time Scaling Laws
      <https://arxiv.org/abs/2506.05333>`_, 2025.
    """
    where = "kinetics_cost"
    if attention is None:
        attention = "dense" if kv_budget is None else "topk"
    attention = _normalize_attention(attention, KINETICS_ATTENTION, where)
    if sparse_convention not in ("exact", "kinetics_code"):
        raise ValueError(f"{where}: sparse_convention must be 'exact' or 'kinetics_code'; got {sparse_convention!r}")
    _check_model(model, where)
    _check_hardware(hardware, where)
    _check_workload(where, prompt_tokens, gen_tokens, num_samples)
    if attention != "dense":
        if kv_budget is None:
            raise ValueError(f"{where}: kv_budget is required for attention={attention!r}")
        v.check_positive("kv_budget", kv_budget, where=where)
    if attention == "block_topk":
        if block_size is None:
            raise ValueError(f"{where}: block_size is required for attention='block_topk'")
        v.check_positive("block_size", block_size, where=where)
    budget = 1.0 if kv_budget is None else kv_budget
    block = 1.0 if block_size is None else block_size
    dt = _leaves_dtype(model, hardware, prompt_tokens, gen_tokens, num_samples, budget, block)
    c, L, N, B, blk = _jit_args(dt, prompt_tokens, gen_tokens, num_samples, budget, block)
    sign = -1.0 if sparse_convention == "exact" else 1.0
    return _kinetics_impl(
        _model_arrays(model, dt, _jit_arg), _hardware_arrays(hardware, dt, _jit_arg), c, L, N, B, blk, attention, sign
    )


@functools.partial(jax.jit, static_argnames=("attention", "sign"))
def _kinetics_impl(model, hardware, c, L, N, B, blk, attention, sign):
    P = model.active_params
    H = model.num_heads
    K = model.num_kv_heads
    D = model.kv_dim
    if attention == "dense":
        compute = N * (2.0 * P * L + 2.0 * (2.0 * c + L) * L * H * D)
        memory = 2.0 * (2.0 * c + N * L) * L * K * D
    else:
        if sign < 0:  # B L - max(0, B - c)^2 / 2 while L >= B - c; the dense count before that
            kvf = _attended_keys(c, L, B)
        else:  # the Kinetics code's "+" sign, kept to reproduce its tables
            kvf = B * L + 0.5 * jnp.square(jnp.maximum(0.0, B - c))
        compute = N * (2.0 * P * L + 4.0 * kvf * H * D)
        memory = 4.0 * kvf * K * D * N
        if attention == "block_topk":
            compute = compute + N * jnp.floor((2.0 * c + L) / blk) * L * H * D
            memory = memory + jnp.floor((2.0 * c + N * L) / blk) * L * K * D
    intensity = hardware.arithmetic_intensity
    eflops = compute + intensity * memory
    seconds = eflops / hardware.peak_flops
    dollars = seconds * hardware.price_per_hour / _SECONDS_PER_HOUR
    return Cost(*jnp.broadcast_arrays(compute, memory, eflops, seconds, dollars))


@traceable
def kinetics_prompt_tokens(model: ModelConfig, compute_flops, gen_tokens, *, axis: int = -1) -> jax.Array:
    r"""Recover the prompt length ``c`` from a Kinetics dense compute cost averaged over lengths.

    The Kinetics tables report, per problem, the dense compute of one sample averaged over the
    ``n`` observed generation lengths ``g_i``; that is linear in ``c``, so

    .. math:: c = \frac{\overline{C} - 2P\,\bar g - 2HD\,\overline{g^2}}{4HD\,\bar g}

    with bars the means over ``g_i``. Round the result to recover the integer prompt length.

    Args:
      model: the :class:`ModelConfig` whose cost was reported (scalar fields).
      compute_flops: the averaged one-sample compute (FLOPs, not 1e12 units), shape ``(...)``.
      gen_tokens: the observed lengths, shape ``(..., n)`` (the mean is taken over ``axis``).
      axis: the axis of ``gen_tokens`` holding the samples.

    Returns:
      ``c`` with the shape of ``compute_flops`` (not rounded).

    References:
      Sadhukhan et al., `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025.
    """
    _check_model(model, "kinetics_prompt_tokens")
    dt = _leaves_dtype(model, compute_flops, gen_tokens)
    g = v.asarray(gen_tokens, dt)
    m = _model_arrays(model, dt)
    hd = m.num_heads * m.kv_dim
    g1 = jnp.mean(g, axis=axis)
    g2 = jnp.mean(g * g, axis=axis)
    return (v.asarray(compute_flops, dt) - 2.0 * m.active_params * g1 - 2.0 * hd * g2) / (4.0 * hd * g1)

