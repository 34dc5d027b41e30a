"""OSCA: allocating samples across sampling configurations (Zhang et al., 2024).

Data: the authors' released count tables (experiments/data/osca, see PROVENANCE.md):
BigCodeBench-Hard (70 train / 78 test problems, 10 configurations x 300 runs) and SWE-bench
Lite with Agentless (300 instances, 22 configurations x 16 runs; train == test in the data).

Method: plug-in estimates p_hat = c / runs on the train split; greedy marginal-gain
allocation of C samples, polished by single-sample moves (the neighbourhood OSCA's hill
climbing searches) and, where it runs, certified by the exact branch and bound; scored on
the test split with the unbiased estimator (sampling without replacement from the runs).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import ttsim
from ttsim.experiments import _common

TITLE = "OSCA: optimal sample allocation across configurations (BigCodeBench-Hard, SWE-bench Agentless)"

PAPER = {
    "bcb_pass_at_16": 0.693,
    "bcb_pass_at_128": 0.842,
    "bcb_best_single_samples_to_match_16": 34,
    "swebench_pass_at_16": 0.398,
    "swebench_best_single_pass_at_16": 0.387,
    "swebench_uniform_pass_at_16": 0.364,
}


def _load(name):
    d = json.loads((_common.data_dir("osca") / name).read_text())
    num_configs = len(d["settings"])
    runs = np.array([s["runs"] for s in d["settings"]], dtype=np.int64)
    train = np.array([d["train"][str(h)] for h in range(num_configs)], dtype=np.int64).T
    test = np.array([d["test"][str(h)] for h in range(num_configs)], dtype=np.int64).T
    names = [s["name"] for s in d["settings"]]
    same = d["training_instances"] == d["testing_instances"] and np.array_equal(train, test)
    return names, runs, train, test, same


def _allocate(p_hat, budget, runs):
    greedy = ttsim.greedy_allocation(p_hat, budget, max_counts=runs)
    polished = ttsim.improve_allocation(p_hat, greedy.counts, max_counts=runs)
    return greedy, polished


def _single_curves(runs, correct, ks):
    """Test pass@k of each configuration alone, (K, H)."""
    ks = np.asarray(ks)
    pk = ttsim.pass_at_k(runs[None, None, :], correct[None, :, :], np.minimum(ks, runs.min())[:, None, None])
    return np.asarray(pk).mean(axis=1)


def _oracle_test(runs, correct, k):
    """Per-problem oracle on the test split: each problem spends all k samples on its own best config."""
    pk = np.asarray(ttsim.pass_at_k(runs[None, :], correct, np.minimum(k, runs)[None, :]))
    return float(pk.max(axis=1).mean())


def run(out_dir, *, seed: int = 0, fast: bool = False) -> dict:
    del seed  # deterministic: exact estimators, greedy with lowest-index ties
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------------- BigCodeBench-Hard
    names, runs, train, test, _ = _load("bcb_results.json")
    p_hat = train / runs
    bcb_ks = np.array([1, 2, 4, 8, 16, 32, 64, 128])
    bcb_curve, bcb_greedy_curve, bcb_alloc = [], [], {}
    for k in bcb_ks:
        greedy, polished = _allocate(p_hat, int(k), runs)
        bcb_alloc[int(k)] = polished.counts
        bcb_curve.append(float(ttsim.allocation_pass_at_k(runs, test, polished.counts)))
        bcb_greedy_curve.append(float(ttsim.allocation_pass_at_k(runs, test, greedy.counts)))
    bcb16 = bcb_curve[list(bcb_ks).index(16)]
    bcb128 = bcb_curve[list(bcb_ks).index(128)]
    single_ks = np.arange(1, int(runs.min()) + 1)
    single = _single_curves(runs, test, single_ks)
    best_single = single.max(axis=1)
    hit = np.flatnonzero(best_single >= bcb16)
    samples_to_match = int(single_ks[hit[0]]) if hit.size else float("nan")
    match_config = names[int(single[hit[0]].argmax())] if hit.size else None
    exact_checks = []
    for k in (4, 16) if fast else (4, 16, 32):
        ex = ttsim.exact_allocation(p_hat, k, max_counts=runs)
        g = ttsim.greedy_allocation(p_hat, k, max_counts=runs)
        exact_checks.append(
            {"budget": k, "exact": bool(ex.exact), "exact_value": ex.value, "greedy_value": g.value, "nodes": ex.nodes}
        )
    bcb_oracle16 = _oracle_test(runs, test, 16)

    # ---------------------------------------------------------------- SWE-bench Agentless
    s_names, s_runs, s_train, s_test, same_split = _load("swebench_agentless.json")
    s_hat = s_train / s_runs
    swe_ks = np.arange(1, 17)
    swe_curve, swe_greedy_curve = [], []
    for k in swe_ks:
        greedy, polished = _allocate(s_hat, int(k), s_runs)
        swe_curve.append(float(ttsim.allocation_pass_at_k(s_runs, s_test, polished.counts)))
        swe_greedy_curve.append(float(ttsim.allocation_pass_at_k(s_runs, s_test, greedy.counts)))
    swe16, swe16_greedy = swe_curve[-1], swe_greedy_curve[-1]
    _, swe_alloc16 = _allocate(s_hat, 16, s_runs)
    s_single = _single_curves(s_runs, s_test, swe_ks)
    swe_best_single = float(s_single[-1].max())
    swe_best_single_name = s_names[int(s_single[-1].argmax())]
    # Uniform mixing: every sample from a configuration drawn uniformly at random, i.e. 16
    # samples without replacement from the pooled 22 x 16 runs of each instance.
    pooled = np.asarray(ttsim.pass_at_k(s_runs.sum(), s_test.sum(axis=1), swe_ks[:, None])).mean(axis=1)
    swe_uniform = float(pooled[-1])
    swe_oracle16 = _oracle_test(s_runs, s_test, 16)
    swe_exact = None
    if not fast:
        ex = ttsim.exact_allocation(s_hat, 8, max_counts=s_runs)
        g = ttsim.greedy_allocation(s_hat, 8, max_counts=s_runs)
        swe_exact = {"budget": 8, "exact": bool(ex.exact), "exact_value": ex.value, "greedy_value": g.value, "nodes": ex.nodes}

    note_bcb = "from the released counts: greedy + 1-swap polish on the train split, unbiased pass@k on test"
    note_swe = "from the released counts; train == test in the released data (in-sample)"
    rows = [
        _common.comparison("bcb_pass_at_16", bcb16, PAPER["bcb_pass_at_16"], kind="reproduced", note=note_bcb),
        _common.comparison("bcb_pass_at_128", bcb128, PAPER["bcb_pass_at_128"], kind="reproduced", note=note_bcb),
        _common.comparison(
            "bcb_best_single_samples_to_match_16",
            samples_to_match,
            PAPER["bcb_best_single_samples_to_match_16"],
            kind="reproduced",
            note=f"best single configuration at each k on test ({match_config})",
        ),
        _common.comparison("swebench_pass_at_16", swe16, PAPER["swebench_pass_at_16"], kind="reproduced",
                           note=f"greedy alone: {swe16_greedy:.4f}; " + note_swe),
        _common.comparison("swebench_best_single_pass_at_16", swe_best_single, PAPER["swebench_best_single_pass_at_16"],
                           kind="reproduced", note=f"{swe_best_single_name}; " + note_swe),
        _common.comparison(
            "swebench_uniform_pass_at_16",
            swe_uniform,
            PAPER["swebench_uniform_pass_at_16"],
            kind="reproduced",
            note="16 samples without replacement from the pooled 22x16 runs (uniformly random configuration); " + note_swe,
        ),
    ]
    data = _figure(out, bcb_ks, bcb_curve, single_ks, single, names, runs, test, swe_ks, swe_curve, s_single, s_names,
                   pooled, s_runs, s_test)

    results = {
        "bcb_pass_at_16": bcb16,
        "bcb_pass_at_128": bcb128,
        "bcb_best_single_samples_to_match_16": samples_to_match,
        "swebench_pass_at_16": swe16,
        "swebench_best_single_pass_at_16": swe_best_single,
        "swebench_uniform_pass_at_16": swe_uniform,
        "swebench_greedy_pass_at_16": swe16_greedy,
        "bcb_oracle_pass_at_16": bcb_oracle16,
        "swebench_oracle_pass_at_16": swe_oracle16,
        "paper_values": PAPER,
        "bcb_curve": {"k": bcb_ks, "osca": bcb_curve, "greedy": bcb_greedy_curve},
        "bcb_allocation": {str(k): dict(zip(names, c.tolist(), strict=True)) for k, c in bcb_alloc.items()},
        "swebench_curve": {"k": swe_ks, "osca": swe_curve, "greedy": swe_greedy_curve, "uniform": pooled},
        "swebench_allocation_16": dict(zip(s_names, swe_alloc16.counts.tolist(), strict=True)),
        "swebench_train_equals_test": bool(same_split),
        "exact_checks": {"bcb": exact_checks, "swebench": swe_exact},
    }
    from ttsim.experiments import citation

    return _common.write_outputs(out, experiment="osca", paper=citation("osca"), title=TITLE, comparisons=rows,
                                 data=data, extra=results)


def _figure(out, bcb_ks, bcb_curve, single_ks, single, names, runs, test, swe_ks, swe_curve, s_single, s_names, pooled, s_runs, s_test):
    """Draw the figure; return its data as long-format rows."""
    plt = _common.pyplot()
    data = []
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.4))
    ax = axes[0]
    colors = _common.palette(len(names))
    for h, name in enumerate(names):
        ax.plot(single_ks[:128], single[:128, h], lw=0.9, alpha=0.8, color=colors[h], label=name)
        data += [{"dataset": "bcb", "series": name, "k": int(k), "pass_at_k": float(single[j, h])}
                 for j, k in enumerate(single_ks[:128])]
    bcb_oracle = [_oracle_test(runs, test, int(k)) for k in bcb_ks]
    ax.plot(bcb_ks, bcb_curve, "ko-", lw=2, label="OSCA (greedy + polish)")
    ax.plot(bcb_ks, bcb_oracle, "k:", label="per-problem oracle")
    data += [{"dataset": "bcb", "series": "OSCA", "k": int(k), "pass_at_k": float(v)} for k, v in zip(bcb_ks, bcb_curve)]
    data += [{"dataset": "bcb", "series": "oracle", "k": int(k), "pass_at_k": float(v)} for k, v in zip(bcb_ks, bcb_oracle)]
    _common.mark_paper(ax, 16, PAPER["bcb_pass_at_16"], f"paper pass@16 {PAPER['bcb_pass_at_16']}", offset=(-110, 8))
    _common.mark_paper(ax, 128, PAPER["bcb_pass_at_128"], f"paper pass@128 {PAPER['bcb_pass_at_128']}", offset=(-120, 6))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("samples k")
    ax.set_ylabel("test pass@k (unbiased)")
    ax.set_title("BigCodeBench-Hard (78 test problems), all 10 configurations")
    ax.legend(fontsize=6.5, ncol=2, loc="lower right", title="single configuration", title_fontsize=7)
    ax = axes[1]
    order = np.argsort(-s_single[-1])[:5]
    colors = _common.palette(5)
    for c, h in zip(colors, order):
        ax.plot(swe_ks, s_single[:, h], lw=0.9, alpha=0.9, color=c, label=s_names[h])
    for h in range(len(s_names)):
        data += [{"dataset": "swebench", "series": s_names[h], "k": int(k), "pass_at_k": float(s_single[j, h])}
                 for j, k in enumerate(swe_ks)]
    swe_oracle = [_oracle_test(s_runs, s_test, int(k)) for k in swe_ks]
    ax.plot(swe_ks, pooled, "--", color="0.4", label="uniform mix (pooled runs)")
    ax.plot(swe_ks, swe_curve, "ko-", lw=2, label="OSCA (greedy + polish)")
    ax.plot(swe_ks, swe_oracle, "k:", label="per-problem oracle")
    for series, vals in (("uniform", pooled), ("OSCA", swe_curve), ("oracle", swe_oracle)):
        data += [{"dataset": "swebench", "series": series, "k": int(k), "pass_at_k": float(v)} for k, v in zip(swe_ks, vals)]
    _common.mark_paper(ax, 16, PAPER["swebench_pass_at_16"], f"paper OSCA {PAPER['swebench_pass_at_16']}", offset=(-100, 12))
    _common.mark_paper(ax, 16, PAPER["swebench_uniform_pass_at_16"], f"paper uniform {PAPER['swebench_uniform_pass_at_16']}",
                       offset=(-110, -22))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("samples k")
    ax.set_ylabel("pass@k (unbiased; train = test)")
    ax.set_title("SWE-bench Lite, Agentless (300 instances)")
    ax.legend(fontsize=7, loc="upper left", title=f"top 5 of {len(s_names)} configurations by pass@16 (+ mixes)",
              title_fontsize=7)
    _common.save_figure(fig, out, "figure.png")
    return data
