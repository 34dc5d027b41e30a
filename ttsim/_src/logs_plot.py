"""Figures of a user's own data: measured pass@k / maj@k curves and fitted coverage laws.

Paper-ready defaults: the Okabe-Ito colour-blind-safe palette, labelled axes with units,
log-scaled k, intervals as shaded bands, written atomically as PNG, PDF or SVG.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
_FORMATS = (".png", ".pdf", ".svg")
_STYLE = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "savefig.dpi": 200,
}


def check_plot_path(path) -> Path:
    """The output path of a figure, checked before any work: a known format, an existing folder."""
    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise ValueError(f"{path}: the figure must be a {', '.join(_FORMATS)} file")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{path}: folder {parent} does not exist")
    return path


def _save(fig, path) -> None:
    import matplotlib.pyplot as plt

    from ttsim._src.outdir import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format=Path(path).suffix.lower().lstrip("."), bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _band(ax, ks, ci, color):
    if ci is None:
        return
    lo = [ci[str(k)][0] for k in ks]
    hi = [ci[str(k)][1] for k in ks]
    ax.fill_between(ks, lo, hi, color=color, alpha=0.2, linewidth=0)


def plot_estimates(results: dict, path, *, title: str = "") -> None:
    """pass@k (solid, circles) and maj@k (dashed, squares) against k for each group, with their
    bootstrap intervals as bands; one colour per group. ``results`` maps a group label (or
    None) to the JSON object of ``ttsim estimate``."""
    plt = _pyplot()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
        level = None
        for i, (group, res) in enumerate(results.items()):
            color = OKABE_ITO[i % len(OKABE_ITO)]
            ks = [int(k) for k in res["pass_at_k"]]
            label = "" if group is None else f"{group}: "
            ax.plot(ks, list(res["pass_at_k"].values()), "-o", color=color, ms=3.5, label=f"{label}pass@k")
            _band(ax, ks, res["pass_at_k_ci"], color)
            if res["maj_at_k"] is not None:
                ax.plot(ks, list(res["maj_at_k"].values()), "--s", color=color, ms=3.5, label=f"{label}maj@k")
                _band(ax, ks, res["maj_at_k_ci"], color)
            level = level or res["ci_level"]
        if len({int(k) for r in results.values() for k in r["pass_at_k"]}) > 1:
            ax.set_xscale("log")
        ax.set_xlabel("k (samples per problem)")
        ax.set_ylabel("fraction of problems solved")
        ax.set_ylim(-0.02, 1.02)
        note = f"bands: {100 * level:g}% bootstrap intervals over problems" if level else "no intervals (--bootstrap 0)"
        ax.set_title(f"{Path(title).name}\n{note}" if title else note)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
        _save(fig, path)


def plot_law_checks(results: list[dict], path, *, title: str = "") -> None:
    """Measured coverage (points: the unbiased pass@k at the fitted and held-out k, with the
    held-out intervals) and every fitted law (lines) against k, one panel per group; the fit
    range k <= K is shaded."""
    from ttsim._src.laws import law_curve

    plt = _pyplot()
    groups: dict = {}
    for r in results:
        groups.setdefault(r.get("group"), []).append(r)
    num = len(groups)
    cols = min(num, 3)
    rows = -(-num // cols)
    law_colors = {"exp-power": OKABE_ITO[0], "power": OKABE_ITO[1], "beta": OKABE_ITO[2]}
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 4.6 * rows), squeeze=False, layout="constrained")
        for ax, (group, rs) in zip(axes.ravel(), groups.items()):
            first = rs[0]
            fit_k, fit_c = np.asarray(first["fit_ks"]), np.asarray(first["fit_coverage"])
            test_k, meas = np.asarray(first["test_ks"]), np.asarray(first["measured"])
            ci = np.asarray(first["measured_ci"], dtype=float)
            ax.axvspan(fit_k.min(), first["fit_max_k"], color="0.85", zorder=0, label=f"fit range k ≤ {first['fit_max_k']}")
            ax.plot(fit_k, fit_c, "o", color="black", ms=3.5, label="measured (fitted)")
            ax.errorbar(test_k, meas, yerr=np.abs(ci - meas[None, :]), fmt="s", color="black", mfc="white", ms=3.5,
                        capsize=2, label="measured (held out)")
            kk = np.geomspace(1, max(test_k.max(), fit_k.max()), 200)
            for r in rs:
                color = law_colors.get(r["law"], OKABE_ITO[3])
                params = ", ".join(f"{n}={v:.3g}" for n, v in r["params"].items())
                verdict = "rejected" if r["rejected"] else "not rejected"
                ax.plot(kk, law_curve(r["law"], list(r["params"].values()), kk), "-", color=color, lw=1.5,
                        label=f"{r['law']} ({params}; {verdict})")
            ax.set_xscale("log")
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel("k (samples per problem)")
            ax.set_ylabel("coverage (fraction solved)")
            ax.set_title(str(group) if group is not None else Path(title).name)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, fontsize=7)
        for ax in axes.ravel()[num:]:
            ax.set_visible(False)
        _save(fig, path)
