"""When to solve, when to verify: SC vs compute-optimal GenRM (Singhi et al., 2025).

Setting (stated in the table): a Beta(0.5, 0.5) population of per-problem pass@1 (mean 0.50,
Llama-3.1-8B-Instruct's MATH pass@1 ≈ 0.5; U-shaped as per-problem pass rates on MATH are:
many problems always or never solved), wrong answers with a dominant wrong answer holding
half the wrong mass and 8 others sharing the rest; λ = 2 (the paper's released config for
Llama-3.1-8B GenRM-FT on MATH uses verifications twice the length of a solution); S up to
C, V up to 32 (the paper's grid). The verifier's discrimination shrinks with difficulty:
tpr = 0.75, fpr_i = 0.75 − 0.3·p_i (it is as blind on problems the solver never solves as
the solver).

What is and is not reproduced (stated in the table too):

- The crossover (≈7×, paper "up to 8×") is NOT an independent reproduction: the verifier's
  discrimination d = 0.3 was tuned on a coarse grid so that it lands near 8×.
- The S_opt / V_opt exponents (≈0.67 / 0.36 vs the paper's 0.57 / 0.39) match only because V
  is capped at 32 (the paper's grid) and V_opt hits the cap near C = 2^9. On the budgets below
  the cap the model gives the opposite ordering (a ≈ 0.35, b ≈ 0.72: with independent
  verdicts more verifications keep paying). The model does not explain the paper's exponents.
- The gain at 128× and the verifier-quality × λ map are the model's own outputs (nothing
  tuned to them); the gain overshoots the paper's because verdicts are i.i.d. given
  correctness, so GenRM climbs towards coverage.
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import ttsim
from ttsim.experiments import _common

TITLE = "When To Solve, When To Verify: SC vs compute-optimal GenRM, optimal S/V exponents, verifier-quality map"

PAPER = {
    "compute_multiple_to_match_sc": 8.0,
    "s_opt_exponent": 0.57,
    "v_opt_exponent": 0.39,
    "genrm_gain_at_128x": 0.038,
}

ALPHA, BETA = 0.5, 0.5
DOMINANT_SHARE, NUM_OTHER = 0.5, 8
LAM = 2.0
TPR, DISCRIMINATION, EXPONENT = 0.75, 0.3, 1.0
MAX_VERIFICATIONS = 32
FIT_RANGE = (2.0**4, 2.0**14)


def _frontier(problems, budget, sc_max):
    tpr, fpr = ttsim.difficulty_scaled_verifier(problems.p, TPR, DISCRIMINATION, EXPONENT)
    return ttsim.verify_split_frontier(
        problems,
        tpr,
        fpr,
        LAM,
        budget,
        max_verifications=MAX_VERIFICATIONS,
        dominant_share=DOMINANT_SHARE,
        num_other=NUM_OTHER,
        sc_max_solutions=sc_max,
    )


def _quality_map(problems, budget, sc_accuracy, discriminations, lams, exponent):
    """log2 of the compute multiple at which GenRM first matches SC's best, per (d, λ)."""
    budget_j = jnp.asarray(budget, problems.p.dtype)

    def one(d, lam):
        tpr, fpr = ttsim.difficulty_scaled_verifier(problems.p, TPR, d, exponent)
        return ttsim.genrm_frontier(problems, tpr, fpr, lam, budget_j, max_verifications=MAX_VERIFICATIONS).accuracy

    acc = jax.jit(jax.vmap(jax.vmap(one, in_axes=(None, 0)), in_axes=(0, None)))(
        jnp.asarray(discriminations, problems.p.dtype), jnp.asarray(lams, problems.p.dtype)
    )
    acc = np.asarray(acc)
    peak = float(np.max(sc_accuracy))
    sc_budget = ttsim.compute_to_match(budget, sc_accuracy, peak - 0.002)
    out = np.full(acc.shape[:2], np.nan)
    for i in range(acc.shape[0]):
        for j in range(acc.shape[1]):
            out[i, j] = ttsim.compute_to_match(budget, acc[i, j], peak) / sc_budget
    return np.log2(out)


def run(out_dir, *, seed: int = 0, fast: bool = False) -> dict:
    del seed  # everything here is exact (no sampling)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    problems = ttsim.beta_population(ALPHA, BETA, num_nodes=16 if fast else 32)
    step = 0.5 if fast else 0.25
    budget = 2.0 ** np.arange(0.0, 15.0 + 1e-9, step)
    fr = _frontier(problems, budget, 64)
    cross = ttsim.verifying_crossover(fr)
    s_opt, v_opt = np.asarray(fr.genrm_solutions), np.asarray(fr.genrm_verifications)
    sel = (budget >= FIT_RANGE[0]) & (budget <= FIT_RANGE[1])
    ex = ttsim.fit_split_exponents(budget[sel], s_opt[sel], v_opt[sel])
    # The same fit restricted to budgets whose optimum is not pinned at the V <= 32 cap.
    free = sel & (v_opt < MAX_VERIFICATIONS)
    ex_free = ttsim.fit_split_exponents(budget[free], s_opt[free], v_opt[free])
    c128 = 128.0 * cross.sc_peak_budget
    g128 = float(np.interp(np.log(c128), np.log(budget), np.asarray(fr.genrm_accuracy)))
    gain128 = g128 - cross.sc_peak_accuracy

    # Verifier-quality x cost map (both the difficulty-scaled verifier and a uniform one).
    ds = np.array([0.05, 0.1, 0.2, 0.4, 0.6]) if fast else np.array([0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6])
    lams = 2.0 ** np.arange(-3.0, 4.0 + 1e-9, 2.0 if fast else 1.0)
    sc = np.asarray(fr.sc_accuracy)
    map_scaled = _quality_map(problems, budget, sc, ds, lams, EXPONENT)
    map_uniform = _quality_map(problems, budget, sc, ds, lams, 0.0)

    _figures(out, budget, fr, cross, ex, sel, ds, lams, map_scaled, map_uniform, problems)

    pass1 = float(ttsim.population_mean(problems, problems.p))
    cov128 = float(ttsim.population_coverage(problems, 128.0))
    setting = (
        f"Beta({ALPHA},{BETA}) pass@1 population (mean {pass1:.2f}); wrong answers: dominant share "
        f"{DOMINANT_SHARE}, {NUM_OTHER} others; lambda={LAM}; tpr={TPR}, fpr_i=tpr-{DISCRIMINATION}*p_i; V<={MAX_VERIFICATIONS}"
    )
    rows = [
        _common.comparison(
            "compute multiple for GenRM to match SC's best",
            cross.compute_multiple,
            PAPER["compute_multiple_to_match_sc"],
            note="TUNED, not reproduced: the verifier's d=0.3 was chosen on a coarse grid so that this lands near the paper's "
            "'up to 8x' (Llama-3.1-8B MATH, GenRM-FT)",
        ),
        _common.comparison(
            "S_opt exponent a (S_opt ~ C^a)",
            ex.a,
            PAPER["s_opt_exponent"],
            note=f"log-log fit over C in [2^4, 2^14], {ex.num_points} budgets; matches ONLY because V is capped at 32 "
            "(the paper's grid): below the cap the model gives a < b (next rows)",
        ),
        _common.comparison(
            "V_opt exponent b (V_opt ~ C^b)",
            ex.b,
            PAPER["v_opt_exponent"],
            note="matches ONLY because of the V <= 32 cap: V_opt reaches 32 near C = 2^9 and stays there; "
            "V is a whole number, so V_opt is a staircase",
        ),
        _common.comparison(
            "S_opt exponent a, budgets below the V cap",
            ex_free.a,
            PAPER["s_opt_exponent"],
            note=f"{ex_free.num_points} budgets with V_opt < 32: the model's own exponent; does not match the paper",
        ),
        _common.comparison(
            "V_opt exponent b, budgets below the V cap",
            ex_free.b,
            PAPER["v_opt_exponent"],
            note="the model's own exponent: b > a (with i.i.d. verdicts more verifications keep paying until the cap); "
            "deviation not closed by this model",
        ),
        _common.comparison(
            "GenRM gain over SC's best at 128x SC's compute",
            gain128,
            PAPER["genrm_gain_at_128x"],
            note="model output (not tuned); overshoots: our verdicts are i.i.d. given correctness, so GenRM climbs to "
            "coverage, while real verifiers err per solution",
        ),
        _common.comparison("SC best accuracy", cross.sc_peak_accuracy, None, note=setting),
        _common.comparison("budget where SC reaches its plateau", cross.sc_peak_budget, None, note="within 0.2 points of its best"),
        _common.comparison("pass@1 (mean of the population)", pass1, None, note="Llama-3.1-8B-Instruct MATH ~0.5"),
        _common.comparison("coverage at 128 samples", cov128, None),
        # The setting: each choice and why.
        _common.comparison("setting: Beta(a, a) pass@1 population, a =", ALPHA, None,
                           note="mean pass@1 0.5 as Llama-3.1-8B-Instruct on MATH; U-shaped: many problems always "
                           "or never solved"),
        _common.comparison("setting: dominant wrong answer's share of the wrong mass", DOMINANT_SHARE, None,
                           note=f"plus {NUM_OTHER} other wrong answers; makes SC plateau below coverage as on MATH"),
        _common.comparison("setting: lambda = verification cost / solution cost", LAM, None,
                           note="the paper's released Llama-3.1-8B GenRM-FT config: verifications twice a solution's length"),
        _common.comparison("setting: V cap (largest V searched)", MAX_VERIFICATIONS, None,
                           note="the paper's grid; the exponents above depend on it"),
        _common.comparison("setting: verifier tpr", TPR, None, note="a fine-tuned GenRM accepts most correct solutions"),
        _common.comparison("setting: verifier discrimination d (fpr_i = tpr - d p_i)", DISCRIMINATION, None,
                           note="TUNED to put the crossover near 8x; fpr rises to tpr on problems the solver never "
                           "solves (the verifier is as blind there as the solver)"),
    ]
    _common.write_table(out, rows, title=TITLE)
    results = {
        "setting": {
            "population": {"alpha": ALPHA, "beta": BETA, "num_problems": int(problems.p.shape[0])},
            "dominant_share": DOMINANT_SHARE,
            "num_other": NUM_OTHER,
            "lam": LAM,
            "tpr": TPR,
            "discrimination": DISCRIMINATION,
            "difficulty_exponent": EXPONENT,
            "max_verifications": MAX_VERIFICATIONS,
            "budgets": [float(budget[0]), float(budget[-1]), step],
        },
        "compute_multiple_to_match_sc": cross.compute_multiple,
        "s_opt_exponent": ex.a,
        "v_opt_exponent": ex.b,
        "s_opt_exponent_below_cap": ex_free.a,
        "v_opt_exponent_below_cap": ex_free.b,
        "genrm_gain_at_128x": gain128,
        "sc_peak_accuracy": cross.sc_peak_accuracy,
        "sc_peak_budget": cross.sc_peak_budget,
        "genrm_match_budget": cross.genrm_match_budget,
        "first_genrm_win_budget": cross.first_win_budget,
        "paper": PAPER,
        "caveats": [
            "compute_multiple_to_match_sc is tuned, not reproduced: the verifier discrimination d = "
            f"{DISCRIMINATION} was chosen on a coarse grid so that it lands near the paper's 8x",
            "s_opt_exponent / v_opt_exponent match the paper only because V is capped at "
            f"{MAX_VERIFICATIONS} (the paper's grid); below the cap the model gives a = {ex_free.a:.2f}, "
            f"b = {ex_free.b:.2f} (b > a), the opposite ordering",
            "genrm_gain_at_128x and the quality map are model outputs (not tuned); verdicts are i.i.d. given "
            "correctness, so GenRM climbs towards coverage and overshoots the paper's gain",
        ],
        "comparison": rows,
        "quality_map": {
            "discrimination": ds,
            "lam": lams,
            "log2_multiple_difficulty_scaled": map_scaled,
            "log2_multiple_uniform": map_uniform,
            "note": "log2(compute to match SC's best / SC's plateau budget); null = not within C <= 2^15",
        },
    }
    return _common.write_results(out, results)


def _figures(out, budget, fr, cross, ex, sel, ds, lams, map_scaled, map_uniform, problems):
    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    table = np.asarray(fr.genrm_table)
    for vv in (1, 2, 4, 8, 16, 32):
        ax.plot(budget, table[:, vv - 1], lw=0.8, alpha=0.6, label=f"GenRM V={vv}")
    ax.plot(budget, np.asarray(fr.genrm_accuracy), "k-", lw=2, label="GenRM, compute-optimal (S, V)")
    ax.plot(budget, np.asarray(fr.sc_accuracy), "r-", lw=2, label="SC (majority vote)")
    ax.plot(budget, np.asarray(ttsim.population_coverage(problems, budget)), "r:", lw=1, label="coverage (oracle verifier)")
    ax.axhline(cross.sc_peak_accuracy, color="gray", ls="--", lw=0.8)
    if np.isfinite(cross.genrm_match_budget):
        ax.axvline(cross.genrm_match_budget, color="gray", ls=":", lw=0.8)
        ax.annotate(
            f"GenRM matches SC at {cross.compute_multiple:.1f}x\n(verifier d tuned to land near 8x)",
            (cross.genrm_match_budget, cross.sc_peak_accuracy),
            textcoords="offset points",
            xytext=(8, -24),
            fontsize=8,
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("compute C = S(1 + λV)  [solutions]")
    ax.set_ylabel("accuracy")
    ax.set_title("SC vs GenRM at equal compute (λ = 2)")
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[1]
    s_opt, v_opt = np.asarray(fr.genrm_solutions), np.asarray(fr.genrm_verifications)
    ax.loglog(budget, s_opt, "o", ms=3, label="S_opt")
    ax.loglog(budget, v_opt, "s", ms=3, label="V_opt")
    cs = budget[sel]
    ax.loglog(cs, ex.s_coef * cs**ex.a, "-", label=f"S ∝ C^{ex.a:.2f} (paper 0.57)")
    ax.loglog(cs, ex.v_coef * cs**ex.b, "-", label=f"V ∝ C^{ex.b:.2f} (paper 0.39)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("compute C")
    ax.set_title(f"compute-optimal split; V capped at {MAX_VERIFICATIONS}\n(the fitted exponents match the paper only because of the cap)", fontsize=9)
    ax.legend(fontsize=8)
    _common.save_figure(fig, out, "figure.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, m, title in (
        (axes[0], map_scaled, "verifier blind on hard problems (fpr_i = tpr − d·p_i)"),
        (axes[1], map_uniform, "uniform verifier (fpr = tpr − d)"),
    ):
        masked = np.ma.masked_invalid(m)
        cmap = plt.get_cmap("viridis").with_extremes(bad="lightgray")
        im = ax.pcolormesh(np.log2(lams), ds, masked, cmap=cmap, shading="nearest", vmin=-3, vmax=10)
        for i, d in enumerate(ds):
            for j, lam in enumerate(lams):
                txt = "never" if not np.isfinite(m[i, j]) else f"{2 ** m[i, j]:.2g}x"
                ax.text(np.log2(lam), d, txt, ha="center", va="center", fontsize=6, color="k" if np.isfinite(m[i, j]) else "gray")
        ax.set_xlabel("log2 λ (verification cost / solution cost)")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("verifier quality d = tpr − fpr (at p = 1)")
    fig.colorbar(im, ax=axes, label="log2(compute for GenRM to match SC's best / SC's)")
    fig.suptitle("Where verifying is worth it: compute multiple to match SC (gray: not within C ≤ 2^15)", fontsize=10)
    _common.save_figure(fig, out, "quality_map.png")
