"""Hardware-aware cost models: FLOPs, memory traffic, Kinetics eFLOPs, roofline seconds and dollars.

Everything here is pure JAX and broadcasts over its numeric arguments: token counts, sample
counts, KV budgets and every number in :class:`ModelConfig` / :class:`Hardware` (their
numeric fields are pytree data, so a sweep can stack models or accelerators along an axis).
Names and sources are static metadata. FLOPs and bytes are floating point (they pass 2^31).
Loading the shipped registries lives in :mod:`ttsim._src.registry`.

Conventions (see ``docs/cost_models.md``):

* ``D = head_dim * num_layers``; one (query, key) pair costs ``4 * H * D`` attention FLOPs
  (``Q K^T`` and ``A V``, 2 FLOPs per multiply-add); one cached token holds ``2 * K * D``
  elements (keys and values).
* The Kinetics model counts KV reads at 2 bytes per element (bf16), ignores weight reads and
  prefill, shares the prompt's KV across the ``N`` samples, and uses the *minus* sign in the
  top-k correction ``kvf = B L - max(0, B - c)^2 / 2`` (the area under ``min(B, c + t)``).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype
from ttsim._src.traceable import traceable

_SECONDS_PER_HOUR = 3600.0

_MODEL_FIELDS = (
    "params",
    "active_params",
    "num_layers",
    "num_heads",
    "num_kv_heads",
    "head_dim",
    "hidden_size",
    "vocab_size",
    "num_experts",
    "experts_per_token",
)
_HARDWARE_FIELDS = ("peak_flops", "memory_bandwidth", "memory_capacity", "price_per_hour")

KINETICS_ATTENTION = ("dense", "topk", "block_topk")
ROOFLINE_ATTENTION = ("dense", "topk", "block_topk", "sliding")


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=list(_MODEL_FIELDS), meta_fields=["name", "source"]
)
@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """A transformer's cost-relevant architecture (numbers are arrays, so they can be swept).

    Attributes:
      params: total parameter count (weights held in memory; also the matmul FLOPs count for
        dense models: 2 FLOPs per parameter per token).
      active_params: parameters used per token (MoE: shared weights plus the routed experts);
        equals ``params`` for dense models.
      num_layers, num_heads, num_kv_heads, head_dim, hidden_size, vocab_size: from config.json.
      num_experts, experts_per_token: MoE routing (``1`` and ``1`` for dense models).
      name, source: static metadata (registry key and where the numbers come from).
    """

    params: jax.Array
    active_params: jax.Array
    num_layers: jax.Array
    num_heads: jax.Array
    num_kv_heads: jax.Array
    head_dim: jax.Array
    hidden_size: jax.Array
    vocab_size: jax.Array
    num_experts: jax.Array
    experts_per_token: jax.Array
    name: str = ""
    source: str = ""

    @property
    def kv_dim(self):
        """``D = head_dim * num_layers``, the Kinetics "head_dim" summed over layers."""
        return self.head_dim * self.num_layers

    @property
    def is_moe(self):
        """True where the model routes tokens to a subset of its experts."""
        return self.num_experts > self.experts_per_token


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=list(_HARDWARE_FIELDS),
    meta_fields=["name", "precision", "source"],
)
@dataclasses.dataclass(frozen=True)
class Hardware:
    """One accelerator chip (numbers are arrays, so they can be swept).

    Attributes:
      peak_flops: peak dense tensor FLOP/s at ``precision``.
      memory_bandwidth: HBM bandwidth, bytes/s.
      memory_capacity: HBM capacity, bytes.
      price_per_hour: USD per chip-hour; NaN where no price is published.
      name, precision, source: static metadata.
    """

    peak_flops: jax.Array
    memory_bandwidth: jax.Array
    memory_capacity: jax.Array
    price_per_hour: jax.Array
    name: str = ""
    precision: str = "bf16"
    source: str = ""

    @property
    def arithmetic_intensity(self):
        """``I = peak_flops / memory_bandwidth`` (FLOPs per byte at the ridge point), derived."""
        return self.peak_flops / self.memory_bandwidth


class Cost(NamedTuple):
    """What an inference workload costs; every field broadcasts to the inputs' shape.

    Attributes:
      flops: floating-point operations.
      memory_bytes: bytes moved to or from device memory (HBM).
      eflops: Kinetics "equivalent FLOPs" ``flops + I * memory_bytes``.
      seconds: wall-clock estimate on the given hardware.
      dollars: ``seconds * price_per_hour / 3600`` (times devices); NaN without a price.
    """

    flops: jax.Array
    memory_bytes: jax.Array
    eflops: jax.Array
    seconds: jax.Array
    dollars: jax.Array


class MemoryFit(NamedTuple):
    """Device-memory footprint of a decoding batch (see :func:`memory_fit`).

    Attributes:
      weight_bytes: resident weights (all parameters, MoE experts included).
      kv_bytes: KV cache of one batch at the end of generation.
      required_bytes: ``weight_bytes + kv_bytes``.
      capacity_bytes: memory of the devices used.
      fits: ``required_bytes <= capacity_bytes``.
      max_batch_size: largest number of concurrent sequences whose KV cache fits (0 if none).
    """

    weight_bytes: jax.Array
    kv_bytes: jax.Array
    required_bytes: jax.Array
    capacity_bytes: jax.Array
    fits: jax.Array
    max_batch_size: jax.Array


class CostOfPassFrontier(NamedTuple):
    """Cheapest expected cost per solved problem over candidates (see :func:`cost_of_pass_frontier`).

    Attributes:
      cost_of_pass: the minimum cost-of-pass along the candidate axis (inf when none succeeds).
      best_index: index of the candidate attaining it.
    """

    cost_of_pass: jax.Array
    best_index: jax.Array


def stack_models(models) -> ModelConfig:
    """Stack model configs along a new leading axis so one call costs them all.

    Args:
      models: a sequence of :class:`ModelConfig` (e.g. ``[get_model(n) for n in names]``).

    Returns:
      One :class:`ModelConfig` whose numeric fields have shape ``(len(models),)`` and whose
      ``name`` / ``source`` join the members' with ``"|"``. Reshape its fields (e.g.
      ``jax.tree.map(lambda x: x[:, None], m)``) to broadcast against other axes.
    """
    models = list(models)
    if not models:
        raise ValueError("stack_models: models must not be empty")
    fields = {f: np.stack([np.asarray(getattr(m, f), np.float64) for m in models]) for f in _MODEL_FIELDS}
    return ModelConfig(**fields, name="|".join(m.name for m in models), source="|".join(m.source for m in models))


def stack_hardware(profiles) -> Hardware:
    """Stack hardware profiles along a new leading axis (see :func:`stack_models`).

    Args:
      profiles: a sequence of :class:`Hardware`.

    Returns:
      One :class:`Hardware` with fields of shape ``(len(profiles),)``; ``precision`` must agree.
    """
    profiles = list(profiles)
    if not profiles:
        raise ValueError("stack_hardware: profiles must not be empty")
    precisions = {h.precision for h in profiles}
    if len(precisions) > 1:
        raise ValueError(f"stack_hardware: profiles mix precisions {sorted(precisions)}")
    fields = {f: np.stack([np.asarray(getattr(h, f), np.float64) for h in profiles]) for f in _HARDWARE_FIELDS}
    return Hardware(
        **fields,
        name="|".join(h.name for h in profiles),
        precision=profiles[0].precision,
        source="|".join(h.source for h in profiles),
    )


# ----------------------------------------------------------------------------------------------
# Validation helpers (public boundary, outside jit)


def _normalize_attention(attention: str, allowed: tuple[str, ...], where: str) -> str:
    name = str(attention).lower().replace("-", "_")
    if name not in allowed:
        raise ValueError(f"{where}: attention must be one of {', '.join(allowed)}; got {attention!r}")
    return name


def _check_model(model, where: str) -> None:
    if not isinstance(model, ModelConfig):
        raise ValueError(f"{where}: model must be a ModelConfig (see ttsim.get_model); got {type(model).__name__}")
    for f in ("params", "active_params", "num_layers", "num_heads", "num_kv_heads", "head_dim"):
        v.check_positive(f"model.{f}", getattr(model, f), where=where)


def _check_hardware(hardware, where: str) -> None:
    if not isinstance(hardware, Hardware):
        raise ValueError(
            f"{where}: hardware must be a Hardware profile (see ttsim.get_hardware); got {type(hardware).__name__}"
        )
    for f in ("peak_flops", "memory_bandwidth"):
        v.check_positive(f"hardware.{f}", getattr(hardware, f), where=where)


def _as_arrays(dt, *xs):
    return tuple(jnp.asarray(x, dt) for x in xs)


def _model_arrays(model: ModelConfig, dt):
    # Numbers as arrays of one dtype; metadata dropped so that jit traces once for every model.
    fields = {f: jnp.asarray(getattr(model, f), dt) for f in _MODEL_FIELDS}
    return ModelConfig(**fields)


def _hardware_arrays(hardware: Hardware, dt):
    fields = {f: jnp.asarray(getattr(hardware, f), dt) for f in _HARDWARE_FIELDS}
    return Hardware(**fields)


def _leaves_dtype(*trees_and_arrays):
    leaves = []
    for t in trees_and_arrays:
        leaves.extend(jax.tree.leaves(t))
    return float_dtype(*leaves)


def _check_workload(where, prompt_tokens, gen_tokens, num_samples):
    v.check_nonnegative("prompt_tokens", prompt_tokens, where=where)
    v.check_nonnegative("gen_tokens", gen_tokens, where=where)
    v.check_in_range("num_samples", num_samples, 1.0, np.inf, hi_open=True, where=where)


# ----------------------------------------------------------------------------------------------
# Shared formulas (inside jit)


def _attended_keys(start, steps, window):
    r"""Area under ``min(window, start + t)`` for ``t`` in ``[0, steps]``.

    The number of (query, key) pairs when each of ``steps`` new tokens attends to at most
    ``window`` of the keys before it, starting from ``start`` cached keys:
    ``window*steps - (window - start)^2/2`` once the cache outgrows the window, and
    ``start*steps + steps^2/2`` while it does not. ``window = inf`` gives dense attention.
    """
    dense = start * steps + 0.5 * steps * steps
    finite = jnp.isfinite(window)
    w = jnp.where(finite, window, 0.0)  # inner where: keep the unused branch finite
    m = jnp.clip(w - start, 0.0, steps)  # steps spent below the window
    capped = w * steps - (w - start) * m + 0.5 * m * m
    return jnp.where(finite, jnp.minimum(capped, dense), dense)


def _weights_touched(model: ModelConfig, tokens):
    r"""Parameters read from memory by one forward pass over ``tokens`` tokens.

    Dense models read all weights. An MoE model with ``E`` experts, ``k`` routed per token,
    reads its shared weights plus the expected fraction ``1 - (1 - k/E)^tokens`` of the
    expert weights (uniform routing), which is ``active_params`` at one token and tends to
    ``params`` for large batches.
    """
    moe = model.num_experts > model.experts_per_token
    frac = jnp.where(moe, model.experts_per_token / jnp.where(moe, model.num_experts, 1.0), 0.5)
    expert = jnp.where(moe, (model.params - model.active_params) / (1.0 - frac), 0.0)
    shared = model.params - expert
    touched = shared + expert * -jnp.expm1(tokens * jnp.log1p(-frac))
    return jnp.where(moe, jnp.minimum(touched, model.params), model.params)


# ----------------------------------------------------------------------------------------------
# Kinetics (decode-only) cost model


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
    c, L, N, B, blk = _as_arrays(dt, prompt_tokens, gen_tokens, num_samples, budget, block)
    sign = -1.0 if sparse_convention == "exact" else 1.0
    return _kinetics_impl(
        _model_arrays(model, dt), _hardware_arrays(hardware, dt), c, L, N, B, blk, attention, sign
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
    g = jnp.asarray(gen_tokens, dt)
    m = _model_arrays(model, dt)
    hd = m.num_heads * m.kv_dim
    g1 = jnp.mean(g, axis=axis)
    g2 = jnp.mean(g * g, axis=axis)
    return (jnp.asarray(compute_flops, dt) - 2.0 * m.active_params * g1 - 2.0 * hd * g2) / (4.0 * hd * g1)


# ----------------------------------------------------------------------------------------------
# Roofline cost model


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
        B &= \lceil N/\text{batch}\rceil L\,W(\text{batch})\,b_p + \text{KV reads} + 2 K D N L\,b_{kv}

    where ``A(c, L)`` is the number of (query, key) pairs: ``cL + L^2/2`` for dense attention,
    the area under ``min(B, c + t)`` for ``"topk"``, ``"block_topk"`` and ``"sliding"`` (window
    ``B``). Dense KV reads share the prompt within a batch: ``2KD b_{kv} (n_{batch} c L + N L^2/2)``;
    sparse reads are ``2KD b_{kv} N A(c, L)``. Block top-k also scores one key per block of
    ``block_size`` tokens each step (``2HD`` FLOPs and ``KD b_{kv}`` bytes per block).
    ``W(t)`` is the parameters read by a pass over ``t`` tokens (all for dense models; for MoE
    the shared weights plus the expected touched fraction ``1 - (1 - k/E)^t`` of experts);
    ``P_a`` the active parameters. Activations and communication between devices are ignored.

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
    arrays = _as_arrays(dt, *args)
    return _roofline_impl(
        _model_arrays(model, dt), _hardware_arrays(hardware, dt), *arrays, attention, include_prefill
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
    weight_bytes = n_batches * L * _weights_touched(model, b) * bp
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
    return 2.0 * m.num_kv_heads * m.kv_dim * jnp.asarray(bytes_per_kv, dt) * jnp.asarray(tokens, dt)


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


# ----------------------------------------------------------------------------------------------
# FLOPs matching (Snell et al.) and cost-of-pass


def pretraining_flops(params, tokens) -> jax.Array:
    r"""Training compute ``6 N D_pre`` for ``N`` parameters and ``D_pre`` tokens.

    .. math:: F_\text{pre} = 6\,N\,D_\text{pre}

    Args:
      params: parameters ``N`` (array).
      tokens: pretraining tokens ``D_pre`` (array).

    References:
      Kaplan et al., `Scaling Laws for Neural Language Models <https://arxiv.org/abs/2001.08361>`_, 2020;
      Snell et al., `Scaling LLM Test-Time Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    v.check_nonnegative("params", params, where="pretraining_flops")
    v.check_nonnegative("tokens", tokens, where="pretraining_flops")
    dt = float_dtype(params, tokens)
    return 6.0 * jnp.asarray(params, dt) * jnp.asarray(tokens, dt)


def inference_flops(params, tokens) -> jax.Array:
    r"""Inference compute ``2 N D_inf`` for ``N`` parameters and ``D_inf`` processed tokens.

    .. math:: F_\text{inf} = 2\,N\,D_\text{inf}

    Args:
      params: parameters ``N`` (array).
      tokens: inference tokens ``D_inf`` (array).

    References:
      Snell et al., `Scaling LLM Test-Time Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    v.check_nonnegative("params", params, where="inference_flops")
    v.check_nonnegative("tokens", tokens, where="inference_flops")
    dt = float_dtype(params, tokens)
    return 2.0 * jnp.asarray(params, dt) * jnp.asarray(tokens, dt)


def flops_matched_token_multiplier(size_ratio, pretrain_tokens, inference_tokens) -> jax.Array:
    r"""Inference-token multiplier that makes a small model cost as much as an ``M``-times larger one.

    Total (pretraining + inference) FLOPs of the large model, ``6 M N D_pre + 2 M N D_inf``,
    equal those of the small model run on ``X D_inf`` inference tokens,
    ``6 N D_pre + 2 N X D_inf``, when

    .. math:: X = M + 3\,\frac{D_\text{pre}}{D_\text{inf}}\,(M - 1)

    Args:
      size_ratio: ``M >= 1``, parameters of the large model over the small one (array).
      pretrain_tokens: ``D_pre > 0`` (array).
      inference_tokens: ``D_inf > 0`` (array); Snell et al. use ``R = D_inf / D_pre`` in
        ``{0.16, 0.79, 22}``.

    Returns:
      ``X`` broadcast over the inputs.

    References:
      Snell et al., `Scaling LLM Test-Time Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    where = "flops_matched_token_multiplier"
    v.check_in_range("size_ratio", size_ratio, 1.0, np.inf, hi_open=True, where=where)
    v.check_positive("pretrain_tokens", pretrain_tokens, where=where)
    v.check_positive("inference_tokens", inference_tokens, where=where)
    dt = float_dtype(size_ratio, pretrain_tokens, inference_tokens)
    m, dp, di = _as_arrays(dt, size_ratio, pretrain_tokens, inference_tokens)
    return m + 3.0 * (dp / di) * (m - 1.0)


def cost_of_pass(cost_per_attempt, success_prob) -> jax.Array:
    r"""Expected cost to obtain one correct answer: cost of an attempt over its success rate.

    .. math:: \mathrm{CoP} = \frac{\mathbb{E}[\text{cost of one attempt}]}{P(\text{success})}

    ``inf`` where the success probability is 0.

    Args:
      cost_per_attempt: expected cost of one attempt (any unit; array, >= 0).
      success_prob: probability the attempt is correct (array in [0, 1]).

    References:
      Erol et al., `Cost-of-Pass: An Economic Framework for Evaluating Language Models
      <https://arxiv.org/abs/2504.13359>`_, 2025.
    """
    v.check_nonnegative("cost_per_attempt", cost_per_attempt, where="cost_of_pass")
    v.check_probability("success_prob", success_prob, where="cost_of_pass")
    dt = float_dtype(cost_per_attempt, success_prob)
    cost, p = _as_arrays(dt, cost_per_attempt, success_prob)
    ok = p > 0
    return jnp.where(ok, cost / jnp.where(ok, p, 1.0), jnp.inf)


def cost_of_pass_frontier(cost_per_attempt, success_prob, *, axis: int = 0) -> CostOfPassFrontier:
    r"""The cost-of-pass frontier: the cheapest model/strategy per solved problem.

    .. math:: \mathrm{CoP}^\star = \min_m \frac{\text{cost}_m}{p_m},\qquad m^\star = \arg\min_m \frac{\text{cost}_m}{p_m}

    Args:
      cost_per_attempt: costs, candidates along ``axis`` (array, >= 0).
      success_prob: success probabilities, same shape (array in [0, 1]).
      axis: the candidate axis.

    Returns:
      :class:`CostOfPassFrontier` (the minimum and its index along ``axis``).

    References:
      Erol et al., `Cost-of-Pass <https://arxiv.org/abs/2504.13359>`_, 2025.
    """
    cop = cost_of_pass(cost_per_attempt, success_prob)
    return CostOfPassFrontier(jnp.min(cop, axis=axis), jnp.argmin(cop, axis=axis))
