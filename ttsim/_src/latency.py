r"""Latency, throughput, dollars and joules of a strategy's workload on a serving replica.

A strategy's :class:`~ttsim.strategies.Workload` is a tuple of phases run one after another;
phase ``i`` runs ``depth_i`` rounds one after another, each round ``count_i`` generations side by
side, each generating ``length_i L / depth_i`` tokens after the prompt plus ``context_i L``
private tokens (:mod:`ttsim._src.strategy`). The critical path of one query is

.. math::
    t_\text{e2e} = \sum_i \text{depth}_i\,\big(t^\text{prefill}_i + t^\text{decode}_i\big),

with the prompt's own prefill in the first round only (it is cached for the rest: prefix
caching across the query's samples and rounds; without it every round prefills the prompt). ``C`` queries in flight on one replica run in
lock step (a batch of ``C count_i`` sequences; the rounds of :mod:`ttsim._src.serving`), so

.. math::
    \text{TTFT} = t^\text{prefill}_\text{first} + t_{s=0},\quad
    \text{TPOT} = \frac{\sum_i \text{depth}_i\,t^\text{decode}_i}{\sum_i \text{length}_i L},\quad
    \text{QPS} = \frac{C}{t_\text{e2e}},\quad \text{dollars} = \frac{n\,\text{price}\,t_\text{e2e}}{3600\,C}.

KV capacity caps ``C``: the largest ``C`` with ``weights + C · KV(query) ≤ n · capacity`` over the
phases (:func:`ttsim.memory_fit` prices one query's KV). For adaptive strategies whose count and
depth are expectations, the result is the latency at the expected workload; give sampled
workloads to :func:`latency_percentile` for the expected value and a high percentile.

References:
  Kwon et al., `Efficient Memory Management for LLM Serving with PagedAttention
  <https://arxiv.org/abs/2309.06180>`_, 2023; Pope et al., `Efficiently Scaling Transformer
  Inference <https://arxiv.org/abs/2211.05102>`_, 2022; Leviathan et al., `Fast Inference from
  Transformers via Speculative Decoding <https://arxiv.org/abs/2211.17192>`_, 2023.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.energy import _power
from ttsim._src.memory import _memory_fit_impl
from ttsim._src.parallel import check_parallelism
from ttsim._src.serving import round_cost
from ttsim._src.specs import (
    _SECONDS_PER_HOUR,
    Hardware,
    ModelConfig,
    _check_hardware,
    _check_model,
    _hardware_arrays,
    _leaves_dtype,
    _model_arrays,
    _normalize_attention,
)
from ttsim._src.speculative import Speculative, check_speculative
from ttsim._src.strategy import Phase, Workload
from ttsim._src.traceable import traceable

SERVING_ATTENTION = ("dense", "topk", "sliding")


class ServingCost(NamedTuple):
    """What one query of a strategy costs on a serving replica (all per query).

    Attributes:
      seconds: end-to-end latency (critical path).
      ttft: time to first token.
      tpot: mean time per output token along the critical path (decode seconds / tokens).
      prefill_seconds, decode_seconds, comm_seconds: parts of ``seconds`` (comm is inside both).
      throughput_qps: queries per second of the replica at this concurrency (``C / seconds``).
      tokens_per_second: generated tokens per second of the replica.
      flops, memory_bytes: the query's share of the replica's FLOPs and HBM traffic.
      comm_bytes: bytes each chip sends over its links during the query.
      dollars: ``n · price · seconds / 3600 / C``; NaN without a price.
      joules: energy per query (:func:`ttsim.cost.energy_joules`); NaN without a TDP.
      max_concurrency: the largest ``C`` whose KV cache fits (0 if the weights do not fit).
      fits: ``C <= max_concurrency``.
    """

    seconds: jax.Array
    ttft: jax.Array
    tpot: jax.Array
    prefill_seconds: jax.Array
    decode_seconds: jax.Array
    comm_seconds: jax.Array
    throughput_qps: jax.Array
    tokens_per_second: jax.Array
    flops: jax.Array
    memory_bytes: jax.Array
    comm_bytes: jax.Array
    dollars: jax.Array
    joules: jax.Array
    max_concurrency: jax.Array
    fits: jax.Array


def parallel_workload(num_samples=1.0) -> Workload:
    r"""The workload of ``num_samples`` independent samples of one solution length (one round).

    One phase: :math:`\mathrm{count} = k`, :math:`\mathrm{length} = \mathrm{depth} = 1`, no extra context.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024 (repeated sampling).
    """
    return Workload((Phase(count=num_samples, length=1.0, depth=1.0, context=0.0),))


def _check_workload_value(workload, where):
    if not isinstance(workload, Workload) or not workload.phases:
        raise ValueError(f"{where}: workload must be a ttsim Workload with at least one Phase; got {workload!r}")
    for i, ph in enumerate(workload.phases):
        if not isinstance(ph, Phase):
            raise ValueError(f"{where}: workload.phases[{i}] must be a Phase; got {type(ph).__name__}")
        v.check_nonnegative(f"workload.phases[{i}].count", ph.count, where=where)
        v.check_nonnegative(f"workload.phases[{i}].length", ph.length, where=where)
        v.check_nonnegative(f"workload.phases[{i}].context", ph.context, where=where)
        v.check_in_range(f"workload.phases[{i}].depth", ph.depth, 1.0, np.inf, hi_open=True, where=where)


@traceable
def serving_cost(
    model: ModelConfig,
    hardware: Hardware,
    workload: Workload,
    prompt_tokens,
    gen_tokens,
    *,
    concurrency=1.0,
    tensor_parallel=1.0,
    pipeline_parallel=1.0,
    attention: str = "dense",
    kv_budget=None,
    bytes_per_param=2.0,
    bytes_per_kv=2.0,
    bytes_per_activation=2.0,
    link_latency=0.0,
    speculative: Speculative | None = None,
    prefix_caching: bool = True,
) -> ServingCost:
    r"""Latency, throughput, dollars and joules of one query of a strategy (see the module docstring).

    .. math::
        t_\text{e2e} = \sum_i \text{depth}_i\,\big(t^\text{prefill}_i + \textstyle\sum_{s<S_i} t_s\big),\quad
        t_s = \max\Big(\frac{F_s}{n p\,\text{peak}}, \frac{B_s}{\text{bw}}\Big) + t_\text{comm} + \gamma\,t^\text{draft}_s,\quad
        S_i = \frac{\text{length}_i L}{\text{depth}_i\,\tau}

    with ``τ = (1 − α^{γ+1})/(1 − α)`` under speculative decoding (1 otherwise), ``F_s``, ``B_s``
    the step's FLOPs and bytes at the batch of ``C count_i`` sequences (weights read once per
    step, each sequence's KV read, the prompt's KV read once per query), ``t_comm`` the
    tensor-parallel all-reduces and pipeline hops of the step.

    Args:
      model: :class:`~ttsim.ModelConfig` (all roles use it).
      hardware: :class:`~ttsim.Hardware` per chip.
      workload: the strategy's :class:`Workload` (array leaves broadcast; e.g.
        ``strategy.workload(params)`` or :func:`parallel_workload`).
      prompt_tokens: ``c >= 0`` (array).
      gen_tokens: ``L >= 0``, tokens of one solution (array); phase lengths are in units of L.
      concurrency: ``C >= 1`` queries in flight (array).
      tensor_parallel: ``n`` chips per layer (array of whole numbers dividing the heads).
      pipeline_parallel: ``p`` stages (array of whole numbers).
      attention: ``"dense"``, ``"topk"`` or ``"sliding"`` (static); ``kv_budget`` the budget/window.
      bytes_per_param, bytes_per_kv, bytes_per_activation: precisions in bytes.
      link_latency: seconds per all-reduce or pipeline send (array, >= 0; default 0: no
        published figure ships with ttsim).
      speculative: a :class:`Speculative` set-up, or None.
      prefix_caching: store and read the prompt's KV once per query (static; default True).

    Returns:
      :class:`ServingCost` broadcast over the inputs.

    References:
      Kwon et al., `PagedAttention <https://arxiv.org/abs/2309.06180>`_, 2023;
      Pope et al., `Efficiently Scaling Transformer Inference <https://arxiv.org/abs/2211.05102>`_, 2022;
      Leviathan et al., `Speculative Decoding <https://arxiv.org/abs/2211.17192>`_, 2023.
    """
    where = "serving_cost"
    attention = _normalize_attention(attention, SERVING_ATTENTION, where)
    _check_model(model, where)
    _check_hardware(hardware, where)
    _check_workload_value(workload, where)
    v.check_nonnegative("prompt_tokens", prompt_tokens, where=where)
    v.check_nonnegative("gen_tokens", gen_tokens, where=where)
    v.check_in_range("concurrency", concurrency, 1.0, np.inf, hi_open=True, where=where)
    check_parallelism(model, hardware, tensor_parallel, pipeline_parallel, where=where)
    if attention != "dense":
        if kv_budget is None:
            raise ValueError(f"{where}: kv_budget is required for attention={attention!r}")
        v.check_positive("kv_budget", kv_budget, where=where)
    for name, x in (("bytes_per_param", bytes_per_param), ("bytes_per_kv", bytes_per_kv),
                    ("bytes_per_activation", bytes_per_activation)):
        v.check_positive(name, x, where=where)
    v.check_nonnegative("link_latency", link_latency, where=where)
    check_speculative(speculative, where=where)
    window = np.inf if attention == "dense" else kv_budget
    nums = (prompt_tokens, gen_tokens, concurrency, tensor_parallel, pipeline_parallel, window,
            bytes_per_param, bytes_per_kv, bytes_per_activation, link_latency)
    dt = _leaves_dtype(model, hardware, workload, speculative, *nums)
    arrays = tuple(v.asarray(x, dt) for x in nums)
    wl = jax.tree.map(lambda x: v.asarray(x, dt), workload)
    spec = None
    if speculative is not None:
        draft = None if speculative.draft is None else _model_arrays(speculative.draft, dt)
        spec = Speculative(v.asarray(speculative.draft_tokens, dt), v.asarray(speculative.acceptance, dt),
                           draft, v.asarray(speculative.draft_fraction, dt))
    # Not jitted here: one call runs eagerly in milliseconds (XLA would spend seconds compiling the
    # unrolled phases); sweeps and callers that repeat a shape wrap it in jax.jit (it is traceable).
    return _serving_impl(_model_arrays(model, dt), _hardware_arrays(hardware, dt), wl, *arrays, spec,
                         attention, bool(prefix_caching))


def _serving_impl(model, hw, workload, c, L, C, tp, pp, window, bp, bkv, b_act, lat, spec, attention, prefix_caching):
    n_chips = tp * pp
    zero = jnp.zeros_like(c)
    total = dict(seconds=zero, prefill=zero, decode=zero, comm=zero, busy=zero, flops=zero, mem=zero, cbytes=zero,
                 tokens=zero)
    ttft = None
    kv_peak = zero
    dense = attention == "dense"
    sliding = attention == "sliding"
    for i, ph in enumerate(workload.phases):
        tokens = ph.length * L / ph.depth
        r = round_cost(
            model, hw, concurrency=C, count=ph.count, prompt=c, context=ph.context * L, tokens=tokens,
            first_round=v.asarray(True), window=window, shared=prefix_caching,
            shared_reads=prefix_caching and dense, bp=bp, bkv=bkv, tp=tp, pp=pp, b_act=b_act, lat=lat,
            gamma=None if spec is None else spec.draft_tokens, alpha=None if spec is None else spec.acceptance,
            draft=None if spec is None else spec.draft,
            draft_fraction=None if spec is None else spec.draft_fraction, speculative=spec is not None,
        )
        if i == 0:
            ttft = r.prefill_seconds + r.first_step_seconds
            first, later = r, r.rest  # the prompt is prefilled in the query's first round only
        else:
            first = later = r.rest
        reps = ph.depth - 1.0
        live = ph.count > 0  # an empty phase costs nothing
        for key, field in (("prefill", "prefill_seconds"), ("decode", "decode_seconds"), ("comm", "comm_seconds"),
                           ("busy", "busy_seconds"), ("flops", "flops"), ("mem", "memory_bytes"),
                           ("cbytes", "comm_bytes")):
            add = getattr(first, field) + reps * getattr(later, field)
            total[key] = total[key] + jnp.where(live, add, 0.0)
        total["tokens"] = total["tokens"] + ph.count * ph.length * L
        # KV one query holds in this phase: the prompt (once with prefix caching) + each generation's
        # context and tokens; memory_fit's accounting (sliding keeps at most the window per sequence).
        fit = _memory_fit_impl(model, hw, jnp.where(prefix_caching, c, 0.0),
                               ph.context * L + tokens + jnp.where(prefix_caching, 0.0, c),
                               jnp.maximum(ph.count, 1.0), window, jnp.maximum(ph.count, 1.0), bp, bkv, n_chips,
                               sliding)
        kv_peak = jnp.maximum(kv_peak, jnp.where(live, fit.kv_bytes, 0.0))
        weights, capacity = fit.weight_bytes, fit.capacity_bytes
    if spec is not None and spec.draft is not None:
        d_fit = _memory_fit_impl(spec.draft, hw, c, L, 1.0, window, 1.0, bp, bkv, n_chips, sliding)
        weights = weights + d_fit.weight_bytes
        # the draft keeps its own KV for every sequence: the same tokens at its own bytes per token
        kv_draft = 2.0 * spec.draft.num_kv_heads * spec.draft.kv_dim * bkv
        kv_target = 2.0 * model.num_kv_heads * model.kv_dim * bkv
        kv_peak = kv_peak * (1.0 + kv_draft / kv_target)
    free = capacity - weights
    max_c = jnp.where(free > 0, jnp.floor(free / jnp.where(kv_peak > 0, kv_peak, 1.0)), 0.0)
    max_c = jnp.where((kv_peak <= 0) & (free > 0), jnp.inf, max_c)
    seconds = total["prefill"] + total["decode"]
    safe = jnp.where(seconds > 0, seconds, 1.0)
    crit_tokens = sum((ph.length * L for ph in workload.phases), zero)
    tpot = jnp.where(crit_tokens > 0, total["decode"] / jnp.where(crit_tokens > 0, crit_tokens, 1.0), 0.0)
    qps = jnp.where(seconds > 0, C / safe, jnp.inf)
    tps = jnp.where(seconds > 0, C * total["tokens"] / safe, jnp.inf)
    dollars = n_chips * hw.price_per_hour * seconds / _SECONDS_PER_HOUR / C
    wait = total["comm"]
    busy = seconds - wait
    joules = n_chips * (_power(hw, 1.0) * busy + _power(hw, 0.0) * wait) / C
    out = ServingCost(
        seconds=seconds, ttft=ttft, tpot=tpot, prefill_seconds=total["prefill"], decode_seconds=total["decode"],
        comm_seconds=total["comm"], throughput_qps=qps, tokens_per_second=tps, flops=total["flops"] / C,
        memory_bytes=total["mem"] / C, comm_bytes=total["cbytes"], dollars=dollars, joules=joules,
        max_concurrency=max_c, fits=C <= max_c,
    )
    return ServingCost(*v.broadcast_arrays(*out))


def latency_percentile(costs: ServingCost, q=0.9, *, axis: int = 0) -> tuple[jax.Array, jax.Array]:
    r"""Expected and ``q``-quantile end-to-end latency over sampled workloads.

    For an adaptive strategy, draw its workload (count, depth) per query, price the draws with
    :func:`serving_cost` (the draws along ``axis``), and summarise:

    .. math:: \mathbb{E}[t] = \frac1S \sum_s t_s,\qquad t_q = \text{quantile}_q(t_1, \dots, t_S)

    Args:
      costs: a :class:`ServingCost` whose fields carry the draws along ``axis``.
      q: the quantile in (0, 1) (e.g. 0.9 or 0.99).
      axis: the draw axis.

    Returns:
      ``(mean seconds, q-quantile seconds)``.

    References:
      Hyndman and Fan, `Sample Quantiles in Statistical Packages
      <https://doi.org/10.1080/00031305.1996.10473566>`_, 1996 (the linear interpolation used).
    """
    v.check_in_range("q", q, 0.0, 1.0, lo_open=True, hi_open=True, where="latency_percentile")
    t = v.asarray(costs.seconds)
    return jnp.mean(t, axis=axis), jnp.quantile(t, q, axis=axis)
