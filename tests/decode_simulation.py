"""An independent step-by-step decode simulation: the reference the closed-form cost models are checked against.

Plain Python over plain numbers (registry tables, no jax, none of ttsim's formulas): it walks
the serving loop token by token -- prefill of every prompt and context token, then each decode
step of each sequence of the batch -- and counts, per step,

* FLOPs: ``2 P_a`` per token through the weights, ``4 H head_dim`` per (query, key) pair per
  layer, over the keys each new token actually attends (all cached keys including its own,
  the last ``W`` of them with a window or a top-k budget);
* bytes: the weights the step's tokens touch (MoE: the experts any token of the step is routed
  to; the chance an expert is missed by one token is ``C(E-1, k) / C(E, k)``), the cached K and V
  each sequence reads (a query's shared prompt read once per step when prefixes are shared),
  the new tokens' K and V written;
* time: ``max(FLOPs / peak, bytes / bandwidth)`` of that step on its chips, plus the tensor- and
  pipeline-parallel messages of the step (ring all-reduces, two per layer; hops between stages).

Speculative decoding is simulated with random acceptances (a sequence advances by the accepted
prefix plus one token per verification). The closed forms in ``ttsim`` must agree with these
counts (exactly where they claim to, within the stated discretisation elsewhere).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ttsim._src.registry import hardware_entries, model_entries


@dataclass
class Chip:
    peak: float
    bw: float
    link: float  # bidirectional interconnect bandwidth per chip
    price: float
    tdp: float


@dataclass
class Net:
    params: float
    active: float
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    hidden: float
    experts: int
    top_k: int


def net(name: str) -> Net:
    e = model_entries()[name]
    hidden = e["hidden_size"] if math.isfinite(e["hidden_size"]) else e["num_heads"] * e["head_dim"]
    return Net(e["params"], e["active_params"], int(e["num_layers"]), int(e["num_heads"]), int(e["num_kv_heads"]),
               int(e["head_dim"]), hidden, int(e["num_experts"]), int(e["experts_per_token"]))


def chip(name: str) -> Chip:
    e = hardware_entries()[name]
    return Chip(e["peak_flops"], e["memory_bandwidth"], e["interconnect_bandwidth"], e["price_per_hour"], e["tdp_watts"])


def params_read(m: Net, tokens: float) -> float:
    """Parameters a pass over ``tokens`` tokens reads: shared weights + experts any token hits."""
    if m.experts <= m.top_k:
        return m.params
    # active = shared + experts_total * k / E and params = shared + experts_total
    experts_total = (m.params - m.active) * m.experts / (m.experts - m.top_k)
    shared = m.params - experts_total
    miss_one = math.comb(m.experts - 1, m.top_k) / math.comb(m.experts, m.top_k)  # = (E - k) / E
    hit = 1.0 - miss_one**tokens
    return shared + experts_total * hit


def kv_bytes_per_token(m: Net, bkv: float) -> float:
    return 2 * m.kv_heads * m.head_dim * m.layers * bkv  # K and V, every layer


def attention_flops(m: Net, keys: float) -> float:
    # every layer: Q K^T and A V over `keys` keys for each query head, 2 FLOPs per multiply-add
    per_layer = 2 * (m.heads * m.head_dim * keys) * 2
    return m.layers * per_layer


def comm_seconds(m: Net, hw: Chip, tokens: float, tp: int, pp: int, b_act: float, latency: float) -> tuple[float, float]:
    """Per chip: (bytes sent, seconds) of one forward pass of ``tokens`` tokens split in ``pp`` micro-batches."""
    one_way = hw.link / 2
    sent = seconds = 0.0
    micro = tokens / pp
    for _mb in range(pp):  # each micro-batch runs through this chip's stage
        if tp > 1:
            for _ar in range(2 * m.layers // pp):
                msg = micro * m.hidden * b_act
                chunk = msg / tp
                for _hop in range(2 * (tp - 1)):  # ring: reduce-scatter then all-gather
                    sent += chunk
                    seconds += chunk / one_way
                seconds += latency
    for _b in range(pp - 1):  # the step's activations cross each stage boundary once per micro-batch
        msg = micro * m.hidden * b_act
        sent += msg
        seconds += msg / one_way + latency
    return sent, seconds


@dataclass
class Sim:
    seconds: float = 0.0
    busy: float = 0.0
    comm: float = 0.0
    flops: float = 0.0
    bytes: float = 0.0
    first_step: float = 0.0
    prefill: float = 0.0
    steps: int = 0


def prefill(m, hw, *, queries, seqs, prompt, context, with_prompt, shared, tp, pp, bp, bkv, b_act, latency, window=math.inf):
    """One prefill pass: every prompt token (once per query when shared) and every context token."""
    flops = 0.0
    tokens = 0
    prompt_copies = (queries if shared else seqs) if with_prompt else 0
    for _q in range(prompt_copies):
        for i in range(prompt):
            flops += 2 * m.active + attention_flops(m, min(window, i + 1))
            tokens += 1
    for _s in range(seqs):
        for j in range(context):
            flops += 2 * m.active + attention_flops(m, min(window, prompt + j + 1))
            tokens += 1
    if tokens == 0:
        return 0.0, 0.0, 0.0, 0.0
    kv = kv_bytes_per_token(m, bkv) * tokens
    w = params_read(m, tokens) * bp
    busy = max(flops / (hw.peak * tp * pp), (w / tp + kv / (tp * pp)) / hw.bw)
    _sent, comm = comm_seconds(m, hw, tokens, tp, pp, b_act, latency)
    return busy, comm, flops, w + kv


def decode(m, hw, *, queries, per_query, prompt, context, tokens, tp=1, pp=1, window=math.inf, shared=True,
           bp=2.0, bkv=2.0, b_act=2.0, latency=0.0, draft=None, draft_fraction=0.0, gamma=0, alpha=0.0,
           rng=None, sim=None):
    """Decode ``tokens`` tokens for ``queries * per_query`` sequences, step by step."""
    sim = Sim() if sim is None else sim
    seqs = queries * per_query
    done = [0] * seqs  # tokens kept by each sequence
    kv_tok = kv_bytes_per_token(m, bkv)
    q = gamma + 1
    first = True
    while min(done) < tokens:
        flops = 0.0
        kv_read = 0.0
        for s in range(seqs):
            held = prompt + context + done[s]
            for j in range(1, q + 1):  # the q verified tokens attend the cache and each other
                flops += 2 * m.active + attention_flops(m, min(window, held + j))
            if shared and window == math.inf:
                kv_read += kv_tok * (context + done[s] + q)  # private part; the prompt below, per query
            else:
                kv_read += kv_tok * min(window, held + q)
        if shared and window == math.inf:
            kv_read += kv_tok * prompt * queries
        kv_write = kv_tok * seqs * q
        w = params_read(m, seqs * q / pp) * bp  # per micro-batch, each stage's share of the weights
        busy = max(flops / (hw.peak * tp * pp), (w / tp + (kv_read + kv_write) / (tp * pp)) / hw.bw)
        _sent, comm = comm_seconds(m, hw, seqs * q, tp, pp, b_act, latency)
        step_bytes = w * pp + kv_read + kv_write
        if gamma:
            for _g in range(gamma):  # draft passes, one token per sequence each
                if draft is None:  # MTP heads: a fraction of a one-token target step
                    f1 = sum(2 * m.active + attention_flops(m, min(window, prompt + context + done[s] + 1))
                             for s in range(seqs))
                    r1 = sum(kv_tok * (context + done[s] + 1) for s in range(seqs)) + kv_tok * prompt * queries \
                        if shared and window == math.inf else \
                        sum(kv_tok * min(window, prompt + context + done[s] + 1) for s in range(seqs))
                    w1 = params_read(m, seqs / pp) * bp
                    busy += draft_fraction * max(f1 / (hw.peak * tp * pp),
                                                 (w1 / tp + (r1 + kv_tok * seqs) / (tp * pp)) / hw.bw)
                    flops += draft_fraction * f1
                    step_bytes += draft_fraction * (w1 * pp + r1 + kv_tok * seqs)
                else:
                    dk = kv_bytes_per_token(draft, bkv)
                    f1 = sum(2 * draft.active + attention_flops(draft, min(window, prompt + context + done[s] + 1))
                             for s in range(seqs))
                    r1 = (sum(dk * (context + done[s] + 1) for s in range(seqs)) + dk * prompt * queries
                          if shared and window == math.inf else
                          sum(dk * min(window, prompt + context + done[s] + 1) for s in range(seqs)))
                    w1 = params_read(draft, seqs / pp) * bp
                    busy += max(f1 / (hw.peak * tp * pp), (w1 / tp + (r1 + dk * seqs) / (tp * pp)) / hw.bw)
                    comm += comm_seconds(draft, hw, seqs, tp, pp, b_act, latency)[1]
                    flops += f1
                    step_bytes += w1 * pp + r1 + dk * seqs
        for s in range(seqs):
            if gamma:
                accepted = 0
                while accepted < gamma and rng.random() < alpha:
                    accepted += 1
                done[s] += accepted + 1
            else:
                done[s] += 1
        sim.busy += busy
        sim.comm += comm
        sim.flops += flops
        sim.bytes += step_bytes
        sim.seconds += busy + comm
        sim.steps += 1
        if first:
            sim.first_step = busy + comm
            first = False
    return sim


def serve(m, hw, phases, *, prompt, gen, concurrency=1, tp=1, pp=1, window=math.inf, shared=True, bp=2.0, bkv=2.0,
          b_act=2.0, latency=0.0, **spec):
    """A query's critical path: phases one after another, ``depth`` rounds each (integers)."""
    total = Sim()
    ttft = None
    for i, (count, length, depth, context) in enumerate(phases):
        tokens = int(round(length * gen / depth))
        ctx = int(round(context * gen))
        for r in range(depth):
            with_prompt = (i == 0 and r == 0) or not shared
            pb, pc, pf, pbytes = prefill(m, hw, queries=concurrency, seqs=concurrency * count, prompt=prompt,
                                         context=ctx, with_prompt=with_prompt, shared=shared, tp=tp, pp=pp, bp=bp,
                                         bkv=bkv, b_act=b_act, latency=latency)  # prefill: dense
            total.busy += pb
            total.comm += pc
            total.seconds += pb + pc
            total.flops += pf
            total.bytes += pbytes
            total.prefill += pb + pc
            step = decode(m, hw, queries=concurrency, per_query=count, prompt=prompt, context=ctx, tokens=tokens,
                          tp=tp, pp=pp, window=window, shared=shared, bp=bp, bkv=bkv, b_act=b_act, latency=latency,
                          **spec)
            if ttft is None:
                ttft = pb + pc + step.first_step
            for f in ("seconds", "busy", "comm", "flops", "bytes", "steps"):
                setattr(total, f, getattr(total, f) + getattr(step, f))
    return total, ttft


def roofline(m, hw, *, prompt, gen, samples, batch, window=math.inf, block=None, bp=2.0, bkv=2.0):
    """``roofline_cost``'s workload simulated: prefill once, then ``ceil(N / batch)`` batches decoded step by step.

    Returns ``(flops, bytes, seconds)`` where ``seconds`` sums each step's own roofline time.
    """
    kv_tok = kv_bytes_per_token(m, bkv)
    flops = nbytes = seconds = 0.0
    if prompt > 0:
        f = sum(2 * m.active + attention_flops(m, min(window, i + 1)) for i in range(prompt))
        b = params_read(m, prompt) * bp + kv_tok * prompt
        flops, nbytes, seconds = f, b, max(f / hw.peak, b / hw.bw)
    left = samples
    while left > 0:
        seqs = min(batch, left)
        left -= seqs
        for t in range(gen):
            keys = prompt + t + 1
            att = min(window, keys)
            f = seqs * (2 * m.active + attention_flops(m, att))
            if window == math.inf:
                read = kv_tok * (prompt + seqs * (t + 1))  # the prompt once per step for the batch
            else:
                read = kv_tok * seqs * att
            if block is not None:  # block top-k: score one key per block of the cache
                blocks = keys / block
                f += seqs * m.layers * 2.0 * m.heads * m.head_dim * blocks
                read += 0.5 * kv_tok * (prompt + seqs * (t + 1)) / block
            b = params_read(m, seqs) * bp + read + kv_tok * seqs
            flops += f
            nbytes += b
            seconds += max(f / hw.peak, b / hw.bw)
    return flops, nbytes, seconds


def routed_experts_monte_carlo(m: Net, tokens: int, draws: int, seed: int) -> tuple[float, float]:
    """Mean and standard error of the number of distinct experts ``tokens`` tokens are routed to."""
    rng = np.random.default_rng(seed)
    counts = np.empty(draws)
    for d in range(draws):
        hit = np.zeros(m.experts, bool)
        for _t in range(tokens):
            hit[rng.choice(m.experts, size=m.top_k, replace=False)] = True
        counts[d] = hit.sum()
    return float(counts.mean()), float(counts.std(ddof=1) / math.sqrt(draws))
