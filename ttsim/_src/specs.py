"""Cost-model inputs and outputs: model and hardware records, the Cost/MemoryFit results, checks.

:class:`ModelConfig` and :class:`Hardware` are registered dataclasses whose numbers are pytree
data (a sweep can stack models or accelerators along an axis) and whose names and sources are
static metadata. The shared count formulas of the cost models (keys attended, weights touched
by a pass) live here too, so that the Kinetics, roofline and serving models use one definition.
Loading the shipped registries lives in :mod:`ttsim._src.registry` (jax-free TOML parsing).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype

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
_HARDWARE_FIELDS = (
    "peak_flops",
    "memory_bandwidth",
    "memory_capacity",
    "price_per_hour",
    "interconnect_bandwidth",
    "tdp_watts",
    "idle_watts",
)

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
      interconnect_bandwidth: chip-to-chip bandwidth per chip, bytes/s, *bidirectional* as
        vendors publish it (NVLink, Infinity Fabric, ICI, or PCIe where a card has no
        link); a ring all-reduce uses one direction, half of it. NaN where unknown.
      tdp_watts: board power (TDP / max power) per chip, W; NaN where not published.
      idle_watts: idle power per chip, W; NaN where not published (the energy model then
        counts only the power above idle, see :func:`ttsim.cost.energy_joules`).
      name, precision, source: static metadata.
    """

    peak_flops: jax.Array
    memory_bandwidth: jax.Array
    memory_capacity: jax.Array
    price_per_hour: jax.Array
    interconnect_bandwidth: jax.Array = math.nan
    tdp_watts: jax.Array = math.nan
    idle_watts: jax.Array = math.nan
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
    return tuple(v.asarray(x, dt) for x in xs)


def _jit_arg(x, dt):
    # An argument headed straight into a jitted program: host numbers become NumPy scalars
    # (cheap; the program's call transfers them), device arrays keep their place.
    if isinstance(x, jax.Array):
        return x if x.dtype == dt else x.astype(dt)
    return np.asarray(x, dtype=dt)


def _jit_args(dt, *xs):
    return tuple(_jit_arg(x, dt) for x in xs)


def _model_arrays(model: ModelConfig, dt, convert=None):
    # Numbers as arrays of one dtype; metadata dropped so that jit traces once for every model.
    convert = convert or v.asarray
    fields = {f: convert(getattr(model, f), dt) for f in _MODEL_FIELDS}
    return ModelConfig(**fields)


def _hardware_arrays(hardware: Hardware, dt, convert=None):
    convert = convert or v.asarray
    fields = {f: convert(getattr(hardware, f), dt) for f in _HARDWARE_FIELDS}
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

