"""Serving: accuracy, latency, dollars and joules of test-time strategies for the Qwen3 family.

Accuracy comes from the shipped Kinetics AIME24 samples (``experiments/data/kinetics``, read with
``experiments/kinetics.py``): for each dense Qwen3 model, the unbiased pass@k of the recorded
samples (``ttsim.pass_at_k``), assuming an oracle that recognises a correct answer (the setting
of the Kinetics paper's pass@N). Costs come from ``ttsim.cost.serving_cost`` on two accelerators
(H100 SXM and A100 80GB, both with a published price and TDP), with each model's mean prompt and
generation length from the same data:

* parallel k: k samples side by side (one round);
* sequential t: t attempts one after another, each reading the previous attempt (context 1 L);
* hybrid (m, t): m chains of t attempts;
* adaptive t: sequential attempts that stop at the first correct one (at most t); its expected
  depth per problem is ``sum_{i<t} (1 - p)^i`` with ``p = c / n``, and its 90th-percentile latency
  is taken over seeded draws of (problem, depth) (``np.quantile`` of the priced draws).

Each (model, strategy) runs at the smallest tensor-parallel degree (1, 2, 4, 8) whose KV cache
holds one query, with up to ``CONCURRENCY`` queries in flight (fewer where the KV cache is full).
The comparison rows check the serving model against published measurements (NVIDIA NIM
benchmarks); the accuracies are *reproduced from data*; no constant is calibrated.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import jax
import numpy as np

import ttsim
import ttsim.cost as cost
from ttsim.experiments import _common
from ttsim.experiments import kinetics as kin
from ttsim.strategies import Phase, Workload

TITLE = "Serving: accuracy-latency-dollars fronts and joules per correct answer of test-time strategies (Qwen3, AIME24)"
PAPER = ("Sadhukhan et al., Kinetics: Rethinking Test-Time Scaling Laws, 2025 (accuracy data); "
         "NVIDIA NIM LLM benchmarking, docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance (measurements)")
HARDWARE = ("h100-sxm", "a100-80gb")
CONCURRENCY = 8
LATENCY_TARGET_S = 300.0
DRAWS = 256
TP_DEGREES = (1.0, 2.0, 4.0, 8.0)

# Published measurements (NIM 1.8.0, Llama-3.3-70B-Instruct, 2 x H100 80G, FP8, TP2; same architecture
# as the registry's llama-3.1-70b). (quantity, input tokens, output tokens, concurrency, metric, value).
NIM_URL = "https://docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance"
MEASURED = (
    ("ITL", 500, 2000, 1, 18.91),
    ("ITL", 5000, 500, 1, 18.58),
    ("ITL", 5000, 500, 5, 21.83),
    ("ITL", 5000, 500, 25, 38.75),
    ("TTFT", 5000, 500, 1, 406.77),
)


def strategies(n: int) -> list[tuple[str, int, int]]:
    """(kind, m, t) with m * t <= n recorded samples: parallel k, sequential t, hybrid, adaptive t."""
    ks = [k for k in (1, 2, 4, 8, 16, 32) if k <= n]
    out = [("parallel", k, 1) for k in ks]
    out += [("sequential", 1, t) for t in ks if t > 1]
    out += [("hybrid", m, t) for m, t in ((2, 2), (4, 2), (2, 4), (4, 4), (8, 2), (2, 8), (8, 4), (4, 8))
            if m * t <= n]
    out += [("adaptive", 1, t) for t in ks if t > 1]
    return out


def _expected_depth(p: np.ndarray, t: int) -> np.ndarray:
    return np.sum((1.0 - p[..., None]) ** np.arange(t), axis=-1)


def _workload(m, depth, ctx):
    return Workload((Phase(m, depth, depth, ctx),))


@functools.partial(jax.jit)
def _price(model, hw, m, depth, ctx, c, L, tp, conc):
    # One compiled function for every model and accelerator (names stripped, shapes fixed).
    got = cost.serving_cost(model, hw, _workload(m, depth, ctx), c, L, tensor_parallel=tp, concurrency=conc)
    return got.seconds, got.tpot, got.dollars, got.joules, got.max_concurrency


def _anonymous(record):
    return dataclasses.replace(record, name="", source="")


def model_points(cfg: dict, prompt: float, rng: np.random.Generator) -> list[dict]:
    n, c = cfg["n"], cfg["c"]
    p = c / n
    L = float(cfg["lengths"].mean())
    model = ttsim.get_model(cfg["model"])
    plan = strategies(32)  # one shape for every model; entries needing more samples than recorded are dropped
    kinds, ms, ts = zip(*plan)
    ks = np.array([m * t for m, t in zip(ms, ts)], float)
    recorded = ks <= n.min()
    kk = np.minimum(ks, n.min())
    acc = np.asarray(ttsim.pass_at_k(n[None, :], c[None, :], kk[:, None]), np.float64).mean(axis=1)
    depth = np.array([_expected_depth(p, t).mean() if k == "adaptive" else float(t) for k, t in zip(kinds, ts)])
    m_arr = np.asarray(ms, float)
    ctx = np.array([0.0 if k == "parallel" else 1.0 for k in kinds])
    heads = int(model.num_heads)
    mdl = _anonymous(model)
    rows = []
    for hw_name in HARDWARE:
        hw = ttsim.get_hardware(hw_name)
        hwa = _anonymous(hw)
        # smallest TP degree whose KV cache holds one query; up to CONCURRENCY queries in flight
        tp = np.full(ks.shape, np.nan)
        conc = np.full(ks.shape, np.nan)
        for degree in TP_DEGREES:
            if heads % int(degree):
                continue
            max_c = np.asarray(_price(mdl, hwa, m_arr, depth, ctx, prompt, L, np.full(ks.shape, degree),
                                      np.ones_like(ks))[4])
            new = np.isnan(tp) & (max_c >= 1)
            tp[new] = degree
            conc[new] = np.minimum(CONCURRENCY, max_c[new])
        fits = np.isfinite(tp) & recorded
        tp_s, conc_s = np.where(fits, tp, 1.0), np.where(fits, conc, 1.0)
        seconds, tpot, dollars, joules, _ = (np.asarray(x, np.float64) for x in
                                             _price(mdl, hwa, m_arr, depth, ctx, prompt, L, tp_s, conc_s))
        # adaptive: seeded draws of (problem, depth), d < t with prob (1-p)^(d-1) p, else t; one priced call
        adaptive = np.array([k == "adaptive" for k in kinds])
        t_max = np.asarray(ts, float)[adaptive][:, None]
        prob = rng.integers(0, p.size, (t_max.shape[0], DRAWS))
        q = np.minimum(p[prob], 1 - 1e-12)
        with np.errstate(divide="ignore"):
            fails = np.floor(np.log1p(-rng.random(q.shape)) / np.log1p(-q))
        d = np.where(q > 0, np.minimum(fails + 1.0, t_max), t_max)
        shape = d.shape
        draws = _price(mdl, hwa, np.ones(d.size), d.ravel(), np.ones(d.size), prompt, L,
                       np.broadcast_to(tp_s[adaptive][:, None], shape).ravel(),
                       np.broadcast_to(conc_s[adaptive][:, None], shape).ravel())[0]
        p90 = seconds.copy()
        p90[adaptive] = np.quantile(np.asarray(draws, np.float64).reshape(shape), 0.9, axis=1)
        for i, (kind, m, t) in enumerate(plan):
            if not fits[i]:
                continue
            rows.append({
                "model": cfg["model"], "hardware": hw_name, "strategy": kind, "m": m, "t": t,
                "samples": float(ks[i]), "expected_rounds": float(depth[i]), "accuracy": float(acc[i]),
                "latency_s": float(seconds[i]), "latency_p90_s": float(p90[i]), "tpot_s": float(tpot[i]),
                "dollars_per_query": float(dollars[i]), "joules_per_query": float(joules[i]),
                "joules_per_correct": float(cost.joules_per_correct(joules[i], acc[i])),
                "tensor_parallel": int(tp[i]), "concurrency": float(conc[i]),
            })
    return rows


def measurement_checks() -> list[dict]:
    """The serving model against published NIM measurements (predicted from datasheet figures only)."""
    model = ttsim.get_model("llama-3.1-70b")
    h100 = ttsim.get_hardware("h100-sxm")
    fp8 = dataclasses.replace(h100, peak_flops=np.asarray(2.0 * float(h100.peak_flops)), precision="fp8")
    rows = []
    for metric, isl, osl, conc, value in MEASURED:
        got = cost.serving_cost(model, fp8, cost.parallel_workload(1.0), float(isl), float(osl),
                                concurrency=float(conc), tensor_parallel=2.0, bytes_per_param=1.0)
        pred = 1e3 * float(got.tpot if metric == "ITL" else got.ttft)
        row = _common.comparison(
            f"Llama-3.3-70B FP8 TP2 on 2xH100, {isl} in / {osl} out, concurrency {conc}: {metric} (ms)", pred, value,
            note=f"predicted/measured = {pred / value:.2f}; roofline at datasheet peak and bandwidth, 100% efficiency, "
            f"bf16 KV, no link latency: a lower bound on latency. Source: {NIM_URL} (NIM 1.8.0)", kind="reproduced")
        rows.append(row)
    return rows


def run(out_dir, *, seed: int = 0) -> dict:
    """Accuracy-latency-dollars fronts and joules per correct answer (seeded draws for the p90)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    configs = kin.load_configs()
    prompts, _agree = kin.recover_prompt_lengths(configs, kin.load_shipped_costs())
    prompt = float(np.mean(prompts))
    rows = []
    for name in kin.MODELS:
        cfg = configs[f"{name.replace('.', '-')}_dense"]
        rows += model_points(cfg, prompt, rng)
    comparisons = measurement_checks()
    for name in kin.MODELS:
        acc1 = next(r["accuracy"] for r in rows if r["model"] == name and r["strategy"] == "parallel" and r["m"] == 1)
        row = _common.comparison(f"{name} AIME24 pass@1", acc1, kin.PAPER["pass1"][name], kind="reproduced",
                                 note="mean over the 30 problems of c/n from the shipped Kinetics samples")
        comparisons.append(row)
    best = {}
    for hw in HARDWARE:
        pts = [r for r in rows if r["hardware"] == hw]
        ok = [r for r in pts if r["latency_s"] <= LATENCY_TARGET_S]
        top = max(ok, key=lambda r: (r["accuracy"], -r["dollars_per_query"])) if ok else None
        lat = np.array([r["latency_s"] for r in pts])
        acc = np.array([r["accuracy"] for r in pts])
        front = np.asarray(ttsim.pareto_front(lat, acc))
        best[hw] = {
            "best_under_latency_target": top,
            "accuracy_latency_front": [pts[i] for i in np.flatnonzero(front)],
            "best_accuracy_any_latency": max(pts, key=lambda r: r["accuracy"]),
        }
    extra = {
        "latency_target_s": LATENCY_TARGET_S,
        "concurrency": CONCURRENCY,
        "prompt_tokens": prompt,
        "best": best,
        "notes": {
            "accuracy": "reproduced from data: unbiased pass@k of the shipped samples, oracle answer check",
            "latency": "ttsim.cost.serving_cost: roofline per decode step, weights once per step, KV per sequence, "
                       "TP all-reduces without link latency; no published efficiency factor is applied",
            "joules": "TDP while busy (no published idle power); per query at the stated concurrency",
        },
    }
    _plot(out_dir, rows)
    return _common.write_outputs(out_dir, experiment="serving", paper=PAPER, title=TITLE, comparisons=comparisons,
                                 data=rows, extra=extra)


def _plot(out_dir: Path, rows: list[dict]) -> None:
    plt = _common.pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), constrained_layout=True)
    colors = {"parallel": "#0072B2", "sequential": "#D55E00", "hybrid": "#009E73", "adaptive": "#CC79A7"}
    for j, hw in enumerate(HARDWARE):
        ax, ax2 = axes[0, j], axes[1, j]
        for kind, col in colors.items():
            pts = [r for r in rows if r["hardware"] == hw and r["strategy"] == kind]
            ax.scatter([r["latency_s"] for r in pts], [r["accuracy"] for r in pts],
                       s=[12 + 40 * np.log2(1 + r["dollars_per_query"] * 100) for r in pts], c=col, alpha=0.7, label=kind)
            ax2.scatter([r["accuracy"] for r in pts], [r["joules_per_correct"] / 1e3 for r in pts], c=col, alpha=0.7,
                        label=kind, s=18)
        ax.axvline(LATENCY_TARGET_S, color="0.3", ls="--", lw=1)
        ax.text(LATENCY_TARGET_S, 0.02, f" target {LATENCY_TARGET_S:g} s", fontsize=9, color="0.3")
        ax.set_xscale("log")
        ax.set_xlabel("end-to-end latency per query (s, log)")
        ax.set_ylabel("AIME24 accuracy (pass@k, oracle check)")
        ax.set_title(f"{hw}: accuracy vs latency (marker area ~ dollars/query)")
        ax2.set_yscale("log")
        ax2.set_xlabel("AIME24 accuracy")
        ax2.set_ylabel("kJ per correct answer (log)")
        ax2.set_title(f"{hw}: energy per correct answer (TDP while busy)")
        ax.legend(loc="lower right", fontsize=9)
        ax2.legend(loc="upper left", fontsize=9)
    _common.save_figure(fig, out_dir)
