"""Large Language Monkeys: coverage of Pythia on MATH, its power law, and a Beta population.

Data: ``experiments/data/monkeys/pythia_math_10k.csv`` (7 Pythia models x 128 MATH problems x
10,000 samples; per-problem counts). For each model: the measured coverage curve (unbiased
pass@k) on a log grid of k in [1, 10000]; the exponentiated power law c(k) = exp(a k^b)
fitted to it; a Beta population (and a two-component Beta mixture) fitted to the counts by
beta-binomial maximum likelihood, and its closed-form coverage against the measured curve.
Also the paper's reported Llama-3-8B MATH fit (a = -1.33, b = -0.43) evaluated at k = 100.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ttsim
from ttsim.experiments import _common

TITLE = "Large Language Monkeys: coverage power laws and Beta populations (Pythia on MATH)"

DATA_FILE = "pythia_math_10k.csv"
# Brown et al. (2024), as listed in the project's papers.md.
PAPER_LLAMA3_8B_MATH = {"a": -1.33, "b": -0.43, "coverage_at_100_derived": 0.832, "measured_coverage_at_100": 0.829}
PAPER_PYTHIA_FITS = {"Pythia 70M": (-7.59, -0.18), "Pythia 12B": (-3.92, -0.35)}
# The data's PROVENANCE.md table (computed by the curators from the same counts): pass@100, pass@10000.
PROVENANCE_TABLE = {
    "Pythia 70M": (0.0361, 0.266),
    "Pythia 160M": (0.1619, 0.570),
    "Pythia 410M": (0.2272, 0.656),
    "Pythia 1B": (0.2745, 0.742),
    "Pythia 2.8B": (0.4220, 0.813),
    "Pythia 6.9B": (0.4316, 0.836),
    "Pythia 12B": (0.4834, 0.875),
}


def k_grid() -> np.ndarray:
    """Log-spaced sample counts 1 ... 10000 (41 points per 4 decades, rounded, unique; includes 100)."""
    return np.unique(np.round(np.logspace(0.0, 4.0, 41)).astype(np.int64))


def _max_gap(model_curve, measured) -> float:
    return float(np.max(np.abs(np.asarray(model_curve, np.float64) - measured)))


def analyse(counts: ttsim.Counts, ks: np.ndarray, *, seed: int = 0) -> dict:
    """Measured coverage, power-law fit, Beta and Beta-mixture fits of one model's counts."""
    kf = ks.astype(np.float32)
    measured = ttsim.estimate_pass_at_k(counts, ks)
    pl = ttsim.fit_power_law(ks, measured)
    pl_curve = np.asarray(ttsim.power_law_coverage(pl.a, pl.b, kf), np.float64)
    beta = ttsim.fit_beta(counts.n, counts.c)
    beta_curve = np.asarray(ttsim.beta_coverage(beta.alpha, beta.beta, kf), np.float64)
    mix = ttsim.fit_beta_mixture(counts.n, counts.c, 2, seed=seed)
    mix_curve = np.asarray(ttsim.beta_mixture_coverage(mix.mix_weight, mix.alpha, mix.beta, kf), np.float64)
    return {
        "measured": measured,
        "power_law": pl,
        "power_law_curve": pl_curve,
        "power_law_rmse": float(np.sqrt(np.mean((pl_curve - measured) ** 2))),
        "beta": beta,
        "beta_curve": beta_curve,
        "mixture": mix,
        "mixture_curve": mix_curve,
    }


def run(out_dir, *, seed: int = 0) -> dict:
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_model = ttsim.read_counts(_common.data_dir("monkeys") / DATA_FILE, group_by="model")
    ks = k_grid()
    i100 = int(np.flatnonzero(ks == 100)[0])
    fits = {m: analyse(c, ks, seed=seed) for m, c in tqdm(by_model.items(), desc="monkeys", unit="model")}

    rows, comparisons, headline_models = [], [], {}
    for model, f in fits.items():
        beta_gap = _max_gap(f["beta_curve"], f["measured"])
        mix_gap = _max_gap(f["mixture_curve"], f["measured"])
        pl = f["power_law"]
        rows.append(
            {
                "model": model,
                "pass@1": f["measured"][0],
                "pass@100": f["measured"][i100],
                "pass@10000": f["measured"][-1],
                "power_law_a": float(pl.a),
                "power_law_b": float(pl.b),
                "power_law_rmse_log": float(pl.rmse_log),
                "power_law_rmse": f["power_law_rmse"],
                "beta_alpha": float(f["beta"].alpha),
                "beta_beta": float(f["beta"].beta),
                "beta_max_gap": beta_gap,
                "mixture_max_gap": mix_gap,
            }
        )
        headline_models[model] = {
            "pass_at_100": float(f["measured"][i100]),
            "coverage_at_10000": float(f["measured"][-1]),
            "power_law": {"a": float(pl.a), "b": float(pl.b), "rmse_log": float(pl.rmse_log), "rmse": f["power_law_rmse"]},
            "beta": {"alpha": float(f["beta"].alpha), "beta": float(f["beta"].beta), "max_gap": beta_gap},
            "beta_mixture": {
                "mix_weight": np.asarray(f["mixture"].mix_weight).tolist(),
                "alpha": np.asarray(f["mixture"].alpha).tolist(),
                "beta": np.asarray(f["mixture"].beta).tolist(),
                "max_gap": mix_gap,
            },
        }
        if model in PAPER_PYTHIA_FITS:
            pa, pb = PAPER_PYTHIA_FITS[model]
            note = "paper's fit to its coverage curve; ours fitted to the shipped counts on k in [1, 10000]"
            comparisons.append(_common.comparison(f"{model} power-law a", float(pl.a), pa, note=note))
            comparisons.append(_common.comparison(f"{model} power-law b", float(pl.b), pb, note=note))
        if model in PROVENANCE_TABLE:
            p100, p10k = PROVENANCE_TABLE[model]
            note = "reference: the data's PROVENANCE.md table (computed from the same counts by its curators)"
            comparisons.append(_common.comparison(f"{model} pass@100", float(f["measured"][i100]), p100, note=note))
            comparisons.append(_common.comparison(f"{model} pass@10000", float(f["measured"][-1]), p10k, note=note))

    llama = PAPER_LLAMA3_8B_MATH
    llama_100 = float(ttsim.power_law_coverage(llama["a"], llama["b"], 100.0))
    comparisons.insert(
        0,
        _common.comparison(
            "Llama-3-8B MATH power law c(100)", llama_100, llama["coverage_at_100_derived"],
            note="exp(-1.33 * 100^-0.43); paper value derived from its reported fit",
        ),
    )
    comparisons.insert(
        1,
        _common.comparison(
            "Llama-3-8B MATH c(100) vs measured", llama_100, llama["measured_coverage_at_100"],
            note="the paper's measured coverage at k = 100 (82.9%)",
        ),
    )
    beta_gaps = [r["beta_max_gap"] for r in rows]
    mix_gaps = [r["mixture_max_gap"] for r in rows]
    headline = {
        "llama3_8b_math_power_law_coverage_at_100": llama_100,
        "beta_max_gap_overall": max(beta_gaps),
        "beta_max_gap_model": rows[int(np.argmax(beta_gaps))]["model"],
        "mixture_max_gap_overall": max(mix_gaps),
        "power_law_max_rmse": max(r["power_law_rmse"] for r in rows),
        "k": ks.tolist(),
        "models": headline_models,
        "comparison": comparisons,
    }

    _common.write_table(out_dir, rows, title=TITLE)
    _common.write_table(out_dir, comparisons, stem="comparison", title="Reproduced vs reference")
    _plot(out_dir, ks, fits)
    return _common.write_results(out_dir, headline)


def _plot(out_dir: Path, ks: np.ndarray, fits: dict) -> None:
    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(fits)))
    for color, (model, f) in zip(colors, fits.items(), strict=True):
        pl = f["power_law"]
        for ax in axes:
            ax.plot(ks, f["measured"], "o", ms=3, color=color, label=f"{model} measured")
        axes[0].plot(ks, f["power_law_curve"], "-", color=color, label=f"exp({float(pl.a):.2f} k^{float(pl.b):.2f})")
        axes[1].plot(ks, f["beta_curve"], "-", color=color, label=f"Beta({float(f['beta'].alpha):.3f}, {float(f['beta'].beta):.1f})")
        axes[1].plot(ks, f["mixture_curve"], ":", color=color)
    axes[0].set_title("Measured coverage (unbiased pass@k) vs fitted power law")
    axes[1].set_title("Measured vs Beta population (solid) and 2-Beta mixture (dotted)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("samples k")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    axes[0].set_ylabel("coverage (pass@k)")
    _common.save_figure(fig, out_dir, "figure.png")
