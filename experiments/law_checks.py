"""Law checks: how wrong is a scaling law of coverage when fitted on small k and extrapolated?

For every shipped data set, fit three laws of coverage (pass@k) in k with ``ttsim.check_law``
using only what K samples per problem reveal, predict the held-out k > K, and compare with the
measured unbiased pass@k of all samples:

- ``exp-power``: c(k) = exp(a k^b) (Brown et al., 2024; fitted with ``ttsim.fit_power_law``);
- ``power``: -log c(k) = A k^-B, a straight line in log-log (Schaeffer et al., 2025);
- ``beta``: a Beta population of per-problem success rates, c(k) = 1 - B(a, b+k)/B(a, b),
  fitted to the counts by beta-binomial maximum likelihood (Schaeffer et al., 2025).

Data: Large Language Monkeys (7 Pythia models x 128 MATH problems x 10,000 samples; K = 10,
30, 100, 1000), Kinetics AIME24 (Qwen3 dense configurations; 30 problems x 32 samples, 16 for
14B and 8 for 32B; K = 4 and 8 where n allows), OSCA (BigCodeBench: 10 settings x 148 tasks x
300 runs, K = 10 and 30; SWE-bench Lite/Agentless: 22 settings x 300 instances x 16 runs, K = 4).
Headline: the median |extrapolation error| at k = 100 when fitted on k <= 10 (Monkeys), and the
max |error| over the held-out k per data set and law; the fitted exp-power parameters on all
10,000 samples beside Brown et al.'s Pythia fits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import ttsim
from ttsim.experiments import _common

TITLE = "Law checks: extrapolation error of power-law vs Beta-population coverage fits (Monkeys, Kinetics, OSCA)"

LAWS = ("exp-power", "power", "beta")
MONKEYS_CUTOFFS = (10, 30, 100, 1000)
KINETICS_CUTOFFS = (4, 8)
BCB_CUTOFFS = (10, 30)
SWE_CUTOFFS = (4,)
# Brown et al. (2024) exponentiated power-law fits to Pythia on MATH (papers.md).
PAPER_FITS = {"Pythia 70M": (-7.59, -0.18), "Pythia 12B": (-3.92, -0.35)}


def _monkeys():
    by_model = ttsim.read_counts(_common.data_dir("monkeys") / "pythia_math_10k.csv", group_by="model")
    return [("monkeys", m, c, MONKEYS_CUTOFFS) for m, c in by_model.items()]


def _kinetics():
    from ttsim.experiments.kinetics import load_configs

    out = []
    for cfg in load_configs().values():
        if cfg["attention"] != "dense":
            continue
        n, c = cfg["n"].astype(np.int64), cfg["c"].astype(np.int64)
        cuts = tuple(k for k in KINETICS_CUTOFFS if k < n.min())
        out.append(("kinetics", cfg["model"], (n, c), cuts))
    return out


def _osca():
    out = []
    for label, fname, cuts in (("osca-bcb", "bcb_results.json", BCB_CUTOFFS), ("osca-swe", "swebench_agentless.json", SWE_CUTOFFS)):
        data = json.loads(Path(_common.data_dir("osca") / fname).read_text())
        same = data["training_instances"] == data["testing_instances"]
        for i, setting in enumerate(data["settings"]):
            c = np.asarray(data["test"][str(i)] if same else data["train"][str(i)] + data["test"][str(i)], np.int64)
            out.append((label, setting["name"], (np.full(c.size, int(setting["runs"])), c), cuts))
    return out


def _row(dataset, group, law, k_max, res, err_max_k):
    names = res.fit.param_names if res is not None else ("", "")
    row = {"dataset": dataset, "group": group, "law": law, "fit_max_k": k_max}
    if res is None:
        row.update({"param_1": None, "param_2": None, "error_at_100": None, "error_at_max_k": None, "max_k": None,
                    "max_abs_error": None, "p_value": None, "rejected": None, "note": err_max_k})
        return row
    row.update(
        {
            "param_1": f"{names[0]}={res.fit.params[0]:.4g}",
            "param_2": f"{names[1]}={res.fit.params[1]:.4g}",
            "error_at_100": res.error_at_report_k,
            "error_at_max_k": float(res.error[-1]),
            "max_k": int(res.test_ks[-1]),
            "max_abs_error": res.max_abs_error,
            "p_value": res.p_value,
            "rejected": res.rejected,
            "note": "",
        }
    )
    return row


def run(out_dir, *, seed: int = 0, fast: bool = False) -> dict:
    """Run every check; ``fast`` (for tests) keeps one group per data set, one cut-off and 20 resamples."""
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    groups = _monkeys() + _kinetics() + _osca()
    if fast:
        keep = {"Pythia 12B", "qwen3-8b", "Qwen_0.5", "gpt4o_0.8"}
        groups = [(d, g, c, cuts[:1]) for d, g, c, cuts in groups if g in keep]
    jobs = [(d, g, c, k, law) for d, g, c, cuts in groups for k in cuts for law in LAWS]
    rows, checks = [], {}
    for dataset, group, counts, k_max, law in tqdm(jobs, desc="law checks", unit="fit"):
        boot = 20 if fast else (100 if dataset == "monkeys" else 50)
        try:
            res = ttsim.check_law(seed, counts, law, fit_max_k=k_max, report_k=100, num_bootstrap=boot)
        except ValueError as err:  # e.g. no success in the fitting data
            rows.append(_row(dataset, group, law, k_max, None, str(err)))
            continue
        checks[(dataset, group, k_max, law)] = res
        rows.append(_row(dataset, group, law, k_max, res, None))
    _common.write_table(out_dir, rows, stem="checks", title=TITLE)

    # Headline numbers: median |error| by data set, cut-off and law.
    summary = {}
    for (dataset, _group, k_max, law), res in checks.items():
        s = summary.setdefault(dataset, {}).setdefault(str(k_max), {}).setdefault(law, {"abs_err_100": [], "max_abs": [], "rejected": []})
        if res.error_at_report_k is not None:
            s["abs_err_100"].append(abs(res.error_at_report_k))
        s["max_abs"].append(res.max_abs_error)
        s["rejected"].append(res.rejected)
    medians = {
        d: {
            k: {
                law: {
                    "median_abs_error_at_100": float(np.median(v["abs_err_100"])) if v["abs_err_100"] else None,
                    "median_max_abs_error": float(np.median(v["max_abs"])),
                    "fraction_rejected": float(np.mean(v["rejected"])),
                    "num_groups": len(v["max_abs"]),
                }
                for law, v in by_law.items()
            }
            for k, by_law in by_k.items()
        }
        for d, by_k in summary.items()
    }

    # The Pythia (a, b) beside Brown et al.'s: the monkeys experiment's routine on the same data
    # (one fit, one answer); the extrapolation fits above use fit_law's ~12-point grid on k <= K.
    from ttsim.experiments.monkeys import power_law_fit

    comparisons = []
    all_counts = {g: c for d, g, c, _ in groups if d == "monkeys"}
    for model, (a_paper, b_paper) in PAPER_FITS.items():
        if model not in all_counts:
            continue
        fit, _ = power_law_fit(all_counts[model])
        note = ("all 10,000 samples; monkeys.power_law_fit (41 log-spaced k in [1, 10^4]), the same routine and "
                "data as the monkeys experiment, so the same numbers")
        comparisons.append(_common.comparison(f"{model} exp-power a (all 10k samples)", float(fit.a), a_paper,
                                              kind="reproduced", note=note))
        comparisons.append(_common.comparison(f"{model} exp-power b (all 10k samples)", float(fit.b), b_paper,
                                              kind="reproduced", note=note))

    _figure(out_dir, checks, all_counts)
    k10 = medians.get("monkeys", {}).get(str(MONKEYS_CUTOFFS[0]), {})
    headline = {
        "monkeys_median_abs_error_at_k100_fit_k10": {law: k10.get(law, {}).get("median_abs_error_at_100") for law in LAWS},
        "best_law_monkeys_k10": min(
            (law for law in LAWS if k10.get(law, {}).get("median_abs_error_at_100") is not None),
            key=lambda law: k10[law]["median_abs_error_at_100"],
            default=None,
        ),
        "summary": medians,
        "num_checks": len(checks),
        "num_failed_fits": len(rows) - len(checks),
        "seed": seed,
    }
    from ttsim.experiments import citation

    return _common.write_outputs(out_dir, experiment="law_checks", paper=citation("law_checks"), title=TITLE,
                                 comparisons=comparisons, data=rows, extra=headline)


def _figure(out_dir, checks, monkeys_counts) -> None:
    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    colors = dict(zip(LAWS, _common.palette(3)))

    # (a) Monkeys: max |error| over the held-out k vs fitting cut-off, per law (median + models).
    ax = axes[0]
    for law in LAWS:
        ks, med = [], []
        for k_max in MONKEYS_CUTOFFS:
            errs = [r.max_abs_error for (d, _g, k, lw), r in checks.items() if d == "monkeys" and k == k_max and lw == law]
            if errs:
                ks.append(k_max)
                med.append(np.median(errs))
                ax.scatter([k_max] * len(errs), errs, s=8, alpha=0.35, color=colors[law])
        ax.plot(ks, med, "o-", color=colors[law], label=law)
    ax.set(xscale="log", yscale="log", xlabel="fitted on k <= K", ylabel="max |error| over held-out k <= 10,000",
           title="Monkeys (7 Pythia models): extrapolation error")
    ax.legend()

    # (b) One model's measured curve vs the three laws fitted on k <= 10.
    ax = axes[1]
    model = "Pythia 12B" if "Pythia 12B" in monkeys_counts else next(iter(monkeys_counts), None)
    k0 = MONKEYS_CUTOFFS[0]
    shown = False
    for law in LAWS:
        r = checks.get(("monkeys", model, k0, law))
        if r is None:
            continue
        if not shown:
            ax.plot(r.test_ks, r.measured, "k.-", label="measured (held out)")
            ax.plot(r.fit.fit_ks, r.fit.fit_coverage, "ks", ms=4, label=f"fitted (k <= {k0})")
            shown = True
        kk = np.concatenate([r.fit.fit_ks, r.test_ks]).astype(float)
        ax.plot(kk, np.asarray(ttsim.law_coverage(law, r.fit.params, kk)), color=colors[law], label=law)
        ax.fill_between(r.test_ks, r.predicted_ci[0], r.predicted_ci[1], color=colors[law], alpha=0.15)
    if model in PAPER_FITS:
        a_p, b_p = PAPER_FITS[model]
        kk = np.geomspace(1, 1e4, 60)
        ax.plot(kk, np.exp(a_p * kk**b_p), "--", color="0.3", lw=1,
                label=f"paper's fit on all k: a={a_p}, b={b_p}")
    ax.set(xscale="log", xlabel="k", ylabel="coverage", title=f"{model}: fit on k <= {k0}, predict k > {k0}")
    ax.legend(fontsize=8)

    # (c) Every data set at its smallest cut-off: median max |error| per law.
    ax = axes[2]
    datasets = sorted({d for d, *_ in checks})
    width = 0.25
    for j, law in enumerate(LAWS):
        vals = []
        for d in datasets:
            cut = min(k for dd, _g, k, _l in checks if dd == d)
            errs = [r.max_abs_error for (dd, _g, k, lw), r in checks.items() if dd == d and k == cut and lw == law]
            vals.append(np.median(errs) if errs else np.nan)
        ax.bar(np.arange(len(datasets)) + (j - 1) * width, vals, width, color=colors[law], label=law)
    ax.set_xticks(np.arange(len(datasets)), datasets)
    ax.set(ylabel="median max |error| over held-out k", title="all data sets, smallest fitting cut-off")
    ax.legend()
    _common.save_figure(fig, out_dir)
