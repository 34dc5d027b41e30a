"""When to solve, when to verify: SC vs compute-optimal GenRM (Singhi et al., 2025).

Setting (stated in the table): a Beta(0.5, 0.5) population of per-problem pass@1 (mean 0.50,
Llama-3.1-8B-Instruct's MATH pass@1 ≈ 0.5; U-shaped as per-problem pass rates on MATH are:
many problems always or never solved), wrong answers with a dominant wrong answer holding
half the wrong mass and 8 others sharing the rest; λ = 2 (the paper's released config for
Llama-3.1-8B GenRM-FT on MATH uses verifications twice the length of a solution); S up to
C, V up to 32 (the paper's grid). The verifier's discrimination shrinks with difficulty:
tpr = 0.75, fpr_i = 0.75 − 0.3·p_i (it is as blind on problems the solver never solves as
the solver).

What is and is not reproduced (stated in the table too; every row is kind *calibrated*: no
data ships for this paper, and every number depends on the verifier constant d):

- The crossover (≈7×, paper "up to 8×") is NOT an independent reproduction: the verifier's
  discrimination d = 0.3 was tuned on a coarse grid so that it lands near 8×. The run solves
  for the d that gives exactly 8× and for the d that gives the paper's *other* number (3.8%
  gain at 128× compute), and reports what each predicts for the other: one d cannot match
  both. The (d, λ) map shows the crossover over the whole range.
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


def _genrm_accuracy(problems, budget, d, lam, exponent=EXPONENT):
    """Accuracy of compute-optimal GenRM at each budget for verifier discrimination ``d``."""
    tpr, fpr = ttsim.difficulty_scaled_verifier(problems.p, TPR, d, exponent)
    return np.asarray(ttsim.genrm_frontier(problems, tpr, fpr, lam, budget, max_verifications=MAX_VERIFICATIONS).accuracy,
                      np.float64)


def _multiple(budget, genrm_acc, sc_accuracy):
    """Compute multiple at which GenRM first matches SC's best (inf if never within the grid)."""
    peak = float(np.max(sc_accuracy))
    sc_budget = ttsim.compute_to_match(budget, sc_accuracy, peak - 0.002)
    return float(ttsim.compute_to_match(budget, genrm_acc, peak) / sc_budget)


def _gain_at(budget, genrm_acc, sc_accuracy, multiple=128.0):
    """GenRM accuracy minus SC's best at ``multiple`` times SC's plateau budget."""
    peak = float(np.max(sc_accuracy))
    c = multiple * ttsim.compute_to_match(budget, sc_accuracy, peak - 0.002)
    return float(np.interp(np.log(c), np.log(budget), genrm_acc)) - peak


def _solve_d(fn, target, lo=0.01, hi=TPR, iters=30):
    """Bisection for d with fn(d) = target, fn decreasing in d (NaN/inf count as too large)."""
    def above(d):
        v = fn(d)
        return not np.isfinite(v) or v > target

    if not above(lo) or above(hi):
        return float("nan")
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if above(mid) else (lo, mid)
    return 0.5 * (lo + hi)


def _quality_map(problems, budget, sc_accuracy, discriminations, lams, exponent):
    """log2 of the compute multiple at which GenRM first matches SC's best, per (d, λ).

    One trace, evaluated in batches of 4 (d, λ) pairs with ``jax.lax.map`` so the peak memory
    stays near that of 4 frontiers (a full vmap over the 64 pairs took ~3.5 GB).
    """
    budget_j = jnp.asarray(budget, problems.p.dtype)
    dd, ll = np.meshgrid(np.asarray(discriminations, np.float64), np.asarray(lams, np.float64), indexing="ij")

    def one(args):
        d, lam = args
        tpr, fpr = ttsim.difficulty_scaled_verifier(problems.p, TPR, d, exponent)
        return ttsim.genrm_frontier(problems, tpr, fpr, lam, budget_j, max_verifications=MAX_VERIFICATIONS).accuracy

    xs = (jnp.asarray(dd.ravel(), problems.p.dtype), jnp.asarray(ll.ravel(), problems.p.dtype))
    acc = np.asarray(jax.jit(lambda x: jax.lax.map(one, x, batch_size=4))(xs)).reshape(dd.shape + (-1,))
    out = np.full(acc.shape[:2], np.nan)
    for i in range(acc.shape[0]):
        for j in range(acc.shape[1]):
            out[i, j] = _multiple(budget, acc[i, j], sc_accuracy)
    return np.log2(out)


def _solve(fn, target, lo, hi):
    """d in [lo, hi] with fn(d) = target (Brent's method to 1e-4); NaN when not bracketed."""
    import scipy.optimize

    f_lo, f_hi = fn(lo) - target, fn(hi) - target
    if not (np.isfinite(f_lo) and np.isfinite(f_hi)) or f_lo * f_hi > 0:
        return float("nan")
    return float(scipy.optimize.brentq(lambda d: fn(d) - target, lo, hi, xtol=1e-4))


def _exponents_with_correlation(problems, budget, sel, correlations):
    """Below-cap S/V exponents when the V verdicts on one solution are correlated (rho)."""
    tpr, fpr = ttsim.difficulty_scaled_verifier(problems.p, TPR, DISCRIMINATION, EXPONENT)
    out = []
    for rho in correlations:
        g = ttsim.genrm_frontier(problems, tpr, fpr, LAM, jnp.asarray(budget, problems.p.dtype),
                                 max_verifications=MAX_VERIFICATIONS, correlation=rho)
        s_opt, v_opt = np.asarray(g.solutions), np.asarray(g.verifications)
        free = sel & (v_opt < MAX_VERIFICATIONS)
        if free.sum() < 3:
            out.append({"correlation": rho, "s_opt_exponent": None, "v_opt_exponent": None, "num_points": int(free.sum())})
            continue
        e = ttsim.fit_split_exponents(budget[free], s_opt[free], v_opt[free])
        out.append({"correlation": rho, "s_opt_exponent": float(e.a), "v_opt_exponent": float(e.b),
                    "num_points": int(e.num_points)})
    return out


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
    sc = np.asarray(fr.sc_accuracy)
    gain128 = _gain_at(budget, np.asarray(fr.genrm_accuracy, np.float64), sc)

    # Calibration: the d each of the paper's two numbers implies, and what it predicts for the other.
    def multiple(d):
        return _multiple(budget, _genrm_accuracy(problems, budget, d, LAM), sc)

    def gain(d):
        return _gain_at(budget, _genrm_accuracy(problems, budget, d, LAM), sc)

    d_8x = _solve(lambda d: np.log(multiple(d)), np.log(PAPER["compute_multiple_to_match_sc"]), 0.1, 0.6)
    d_gain = _solve(gain, PAPER["genrm_gain_at_128x"], 0.1, 0.6)
    gain_at_d8 = gain(d_8x) if np.isfinite(d_8x) else float("nan")
    multiple_at_dgain = multiple(d_gain) if np.isfinite(d_gain) else float("nan")
    correlated = [{"correlation": 0.0, "s_opt_exponent": float(ex_free.a), "v_opt_exponent": float(ex_free.b),
                   "num_points": int(ex_free.num_points)}]
    correlated += _exponents_with_correlation(problems, budget, sel, (0.25, 0.5) if not fast else (0.5,))

    # Verifier-quality x cost map (both the difficulty-scaled verifier and a uniform one).
    ds = np.array([0.05, 0.1, 0.2, 0.4, 0.6]) if fast else np.array([0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6])
    lams = 2.0 ** np.arange(-3.0, 4.0 + 1e-9, 2.0 if fast else 1.0)
    map_scaled = _quality_map(problems, budget, sc, ds, lams, EXPONENT)
    map_uniform = _quality_map(problems, budget, sc, ds, lams, 0.0)

    data = _figures(out, budget, fr, cross, ex, sel, ds, lams, map_scaled, map_uniform, problems, d_8x)

    pass1 = float(ttsim.population_mean(problems, problems.p))
    cov128 = float(ttsim.population_coverage(problems, 128.0))
    d_note = f"verifier discrimination d = {DISCRIMINATION} (set on a coarse grid to land near 8x; the exact solve gives d = {d_8x:.3f})"
    corr_txt = "; ".join(f"rho={c['correlation']}: a={c['s_opt_exponent']:.2f}, b={c['v_opt_exponent']:.2f}"
                         for c in correlated if c["s_opt_exponent"] is not None)
    gap = ("EXPONENT GAP NOT REPRODUCED: below the V cap the model gives b > a (verifications scale faster), the "
           "paper a > b. As far as the model shows why: with verdicts independent given correctness each extra "
           "verification keeps sharpening a solution's score, so V keeps paying until the cap; correlated verdicts on "
           f"one solution do not restore the paper's ordering either ({corr_txt}). The model does not reproduce the "
           "paper's 0.57 / 0.39; it lands near them only through the V <= 32 cap.")
    rows = [
        _common.comparison("compute multiple for GenRM to match SC's best", cross.compute_multiple,
                           PAPER["compute_multiple_to_match_sc"], kind="calibrated",
                           note="CIRCULAR: " + d_note + "; the (d, lambda) map in quality_map.png shows the whole range"),
        _common.comparison("GenRM gain over SC's best at 128x SC's compute", gain128, PAPER["genrm_gain_at_128x"],
                           kind="calibrated", note=f"model output at the calibrated d = {DISCRIMINATION} (not tuned to this "
                           "number); overshoots: verdicts i.i.d. given correctness, so GenRM climbs towards coverage"),
        _common.comparison("compute multiple predicted with d calibrated to the 3.8% gain at 128x", multiple_at_dgain,
                           PAPER["compute_multiple_to_match_sc"], kind="calibrated",
                           note=f"d = {d_gain:.3f} solves gain(128x) = 0.038; the model then predicts this crossover. With one "
                           "d the model cannot match both of the paper's numbers"),
        _common.comparison("gain at 128x predicted with d calibrated to the 8x crossover", gain_at_d8,
                           PAPER["genrm_gain_at_128x"], kind="calibrated",
                           note=f"d = {d_8x:.3f} solves crossover = 8x exactly; the model then predicts this gain"),
        _common.comparison("S_opt exponent a (S_opt ~ C^a)", ex.a, PAPER["s_opt_exponent"], kind="calibrated",
                           note=f"log-log fit over C in [2^4, 2^14], {ex.num_points} budgets, d = {DISCRIMINATION}; near the "
                           "paper ONLY because V is capped at 32 (the paper's grid)"),
        _common.comparison("V_opt exponent b (V_opt ~ C^b)", ex.b, PAPER["v_opt_exponent"], kind="calibrated",
                           note="near the paper ONLY because of the V <= 32 cap: V_opt reaches 32 near C = 2^9 and stays"),
        _common.comparison("S_opt exponent a, budgets below the V cap", ex_free.a, PAPER["s_opt_exponent"], kind="calibrated",
                           note=f"{ex_free.num_points} budgets with V_opt < 32. " + gap),
        _common.comparison("V_opt exponent b, budgets below the V cap", ex_free.b, PAPER["v_opt_exponent"], kind="calibrated",
                           note=gap),
    ]
    constants = [
        _common.calibrated("verifier discrimination d (fpr_i = tpr - d p_i)", DISCRIMINATION,
                           "crossover near the paper's 8x (coarse grid)", note="used for the figure and the rows above"),
        _common.calibrated("d implied by the paper's 8x crossover", d_8x, "compute multiple = 8.0 (exact solve, lambda = 2)"),
        _common.calibrated("d implied by the paper's 3.8% gain at 128x", d_gain, "GenRM - SC = 0.038 at 128x SC's compute"),
        _common.calibrated("population Beta(a, a), a", ALPHA, "mean pass@1 0.5 (Llama-3.1-8B-Instruct on MATH)",
                           note="U-shaped: many problems always or never solved"),
        _common.calibrated("dominant wrong answer's share of the wrong mass", DOMINANT_SHARE,
                           "SC plateaus below coverage as on MATH", note=f"plus {NUM_OTHER} other wrong answers; stated, not fitted"),
        _common.calibrated("lambda (verification / solution tokens)", LAM, "the paper's released GenRM-FT config",
                           note="not fitted"),
        _common.calibrated("verifier tpr", TPR, "a fine-tuned GenRM accepts most correct solutions", note="stated, not fitted"),
        _common.calibrated("V cap", MAX_VERIFICATIONS, "the paper's grid", note="the capped exponents depend on it"),
    ]
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
            "pass_at_1": pass1,
            "coverage_at_128": cov128,
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
        "calibration": {"d_for_8x": d_8x, "gain_at_128x_with_d_for_8x": gain_at_d8,
                        "d_for_gain_3.8pct": d_gain, "compute_multiple_with_d_for_gain": multiple_at_dgain},
        "exponents_below_cap_by_correlation": correlated,
        "paper_values": PAPER,
        "caveats": [
            "compute_multiple_to_match_sc is calibrated, not reproduced: the verifier discrimination d = "
            f"{DISCRIMINATION} was chosen on a coarse grid so that it lands near the paper's 8x (exact: d = {d_8x:.3f})",
            f"calibrating d to the paper's 3.8% gain at 128x instead (d = {d_gain:.3f}) predicts a {multiple_at_dgain:.1f}x "
            f"crossover; calibrating to 8x predicts a {100 * gain_at_d8:.1f}% gain: one d cannot match both",
            "s_opt_exponent / v_opt_exponent match the paper only because V is capped at "
            f"{MAX_VERIFICATIONS} (the paper's grid); below the cap the model gives a = {ex_free.a:.2f}, "
            f"b = {ex_free.b:.2f} (b > a), the opposite ordering",
        ],
        "quality_map": {
            "discrimination": ds,
            "lam": lams,
            "log2_multiple_difficulty_scaled": map_scaled,
            "log2_multiple_uniform": map_uniform,
            "note": "log2(compute to match SC's best / SC's plateau budget); null = not within C <= 2^15",
        },
    }
    from ttsim.experiments import citation

    return _common.write_outputs(out, experiment="verify_split", paper=citation("verify_split"), title=TITLE,
                                 comparisons=rows, calibrated_constants=constants, data=data, extra=results)


def _figures(out, budget, fr, cross, ex, sel, ds, lams, map_scaled, map_uniform, problems, d_8x):
    """figure.png (frontier and split) and quality_map.png; returns the plotted data rows."""
    plt = _common.pyplot()
    data = []
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    ax = axes[0]
    table = np.asarray(fr.genrm_table)
    pal = _common.palette(8)
    for c, vv in zip(pal[:6], (1, 2, 4, 8, 16, 32)):
        ax.plot(budget, table[:, vv - 1], lw=0.8, alpha=0.7, color=c, label=f"GenRM V={vv}")
    cov = np.asarray(ttsim.population_coverage(problems, budget))
    ax.plot(budget, np.asarray(fr.genrm_accuracy), "k-", lw=2, label="GenRM, compute-optimal (S, V)")
    ax.plot(budget, np.asarray(fr.sc_accuracy), "-", color="#D55E00", lw=2.5, label="SC (majority vote)")
    ax.plot(budget, cov, ":", color="#D55E00", lw=1.2, label="coverage (oracle verifier)")
    for i, c in enumerate(budget):
        data.append({"panel": "accuracy", "compute": float(c), "sc": float(fr.sc_accuracy[i]),
                     "genrm_optimal": float(fr.genrm_accuracy[i]), "coverage": float(cov[i]),
                     "s_opt": float(fr.genrm_solutions[i]), "v_opt": float(fr.genrm_verifications[i])})
    ax.axhline(cross.sc_peak_accuracy, color="gray", ls="--", lw=0.8)
    if np.isfinite(cross.genrm_match_budget):
        ax.axvline(cross.genrm_match_budget, color="gray", ls=":", lw=0.8)
        ax.annotate(f"GenRM matches SC at {cross.compute_multiple:.1f}x\n(d = {DISCRIMINATION} calibrated to land near 8x;\n"
                    f"exactly 8x needs d = {d_8x:.3f})",
                    (cross.genrm_match_budget, cross.sc_peak_accuracy), textcoords="offset points", xytext=(-150, 55), fontsize=8,
                    arrowprops={"arrowstyle": "->", "color": "gray"})
        _common.mark_paper(ax, 8.0 * cross.sc_peak_budget, cross.sc_peak_accuracy, "paper: 8×", offset=(8, 8))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("compute C = S(1 + λV)  [solutions]")
    ax.set_ylabel("accuracy")
    ax.set_title("SC vs GenRM at equal compute (λ = 2)")
    ax.set_ylim(0.3, 1.02)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    ax = axes[1]
    s_opt, v_opt = np.asarray(fr.genrm_solutions), np.asarray(fr.genrm_verifications)
    ax.loglog(budget, s_opt, "o", ms=3, color=pal[0], label="S_opt")
    ax.loglog(budget, v_opt, "s", ms=3, color=pal[1], label="V_opt")
    cs = budget[sel]
    ax.loglog(cs, ex.s_coef * cs**ex.a, "-", color=pal[0], label=f"S ∝ C^{ex.a:.2f} (paper 0.57)")
    ax.loglog(cs, ex.v_coef * cs**ex.b, "-", color=pal[1], label=f"V ∝ C^{ex.b:.2f} (paper 0.39)")
    ax.axhline(MAX_VERIFICATIONS, color="gray", ls=":", lw=0.8)
    ax.annotate(f"V cap = {MAX_VERIFICATIONS}", (budget[1], MAX_VERIFICATIONS), textcoords="offset points", xytext=(0, 4),
                fontsize=8, color="gray")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("compute C = S(1 + λV)  [solutions]")
    ax.set_ylabel("compute-optimal S and V")
    ax.set_title(f"Compute-optimal split (V ≤ {MAX_VERIFICATIONS})\nexponents near the paper only because of the cap")
    ax.legend(fontsize=8, loc="upper left")
    _common.save_figure(fig, out, "figure.png")

    fig, axes = plt.subplots(1, 2, figsize=(14, 5.6), sharey=True)
    for ax, m, title in (
        (axes[0], map_scaled, "verifier blind on hard problems (fpr_i = tpr − d·p_i)"),
        (axes[1], map_uniform, "uniform verifier (fpr = tpr − d)"),
    ):
        masked = np.ma.masked_invalid(m)
        cmap = plt.get_cmap("cividis").with_extremes(bad="lightgray")
        im = ax.pcolormesh(np.log2(lams), np.arange(len(ds)), masked, cmap=cmap, shading="nearest", vmin=-3, vmax=10)
        for i in range(len(ds)):
            for j, lam in enumerate(lams):
                finite = np.isfinite(m[i, j])
                x = 2 ** m[i, j] if finite else np.nan
                txt = "never" if not finite else (f"{x:.0f}×" if x >= 10 else f"{x:.2g}×")
                light = finite and m[i, j] < 3.5
                ax.text(np.log2(lam), i, txt, ha="center", va="center", fontsize=8,
                        color="white" if light else "black")
        ax.set_yticks(np.arange(len(ds)), [f"{d:g}" for d in ds])
        ax.set_xticks(np.log2(lams), [f"{lam:g}" for lam in lams])
        ax.set_xlabel("λ = verification cost / solution cost")
        ax.set_title(title, fontsize=10)
        ax.grid(False)
    axes[0].set_ylabel("verifier quality d = tpr − fpr (at p = 1)")
    if np.isfinite(d_8x):
        j = int(np.argmin(np.abs(lams - LAM)))
        y = float(np.interp(d_8x, ds, np.arange(len(ds))))
        _common.mark_paper(axes[0], np.log2(lams[j]), y, f"paper 8× ⇒ d = {d_8x:.2f}", offset=(12, -14))
    fig.colorbar(im, ax=axes, label="log2(compute for GenRM to match SC's best / SC's)")
    fig.suptitle("Where verifying is worth it: compute multiple to match SC (gray: not within C ≤ 2^15)")
    _common.save_figure(fig, out, "quality_map.png")
    for name, m in (("difficulty_scaled", map_scaled), ("uniform", map_uniform)):
        for i, d in enumerate(ds):
            for j, lam in enumerate(lams):
                data.append({"panel": f"quality_map_{name}", "discrimination": float(d), "lam": float(lam),
                             "log2_multiple": float(m[i, j]) if np.isfinite(m[i, j]) else None})
    return data
