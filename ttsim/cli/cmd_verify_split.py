"""``ttsim verify-split``: spend a budget on more solutions (SC) or on verifying them (GenRM)?

  ttsim verify-split --p 0.4 --tpr 0.8 --fpr 0.3 --lam 1 --budget 8 64 512
  ttsim verify-split --beta 0.5,0.5 --tpr 0.75 --fpr 0.5 --lam 2 --budget 1,4,16,64,256,1024 --json
  ttsim verify-split --counts counts.csv --tpr 0.8 --fpr 0.4 --lam 2 --budget 16 128

Budget C = S (1 + lam V) in units of one solution. For each C: SC (majority vote over
min(C, --sc-max-solutions) solutions, wrong answers: a dominant one with --dominant-share of
the wrong mass, the rest spread over --num-other answers), the compute-optimal GenRM (S, V)
and its accuracy, and where GenRM first matches SC's best accuracy.
"""

from __future__ import annotations

from ttsim.cli._common import CLIError, format_table, parse_float_list, print_json

_SAME = 1e-6  # accuracies closer than this (float32 noise) count as equal; SC (no verifier needed) is then "best"


def register(sub) -> None:
    p = sub.add_parser(
        "verify-split",
        help="split a budget between solutions and generative verifications (SC vs GenRM)",
        description="Compute-optimal split of a budget C = S(1 + lam V) between S solutions and V "
        "verifications per solution, against self-consistency at equal compute.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--p", type=float, help="one problem's per-solution success probability")
    src.add_argument("--beta", help="a Beta(A,B) population of success probabilities, as A,B")
    src.add_argument("--counts", help="per-problem counts CSV (problem,n_samples,n_correct): p = c/n")
    p.add_argument("--tpr", type=float, required=True, help="P(verdict 'correct' | solution correct)")
    p.add_argument("--fpr", type=float, required=True, help="P(verdict 'correct' | solution wrong)")
    p.add_argument("--verify-cost", "--lam", dest="lam", type=float, required=True,
                   help="verification cost / solution cost, lambda (--lam is the old name)")
    p.add_argument("--budget", nargs="+", required=True, help="budgets C >= 1 (space- or comma-separated)")
    p.add_argument("--correlation", type=float, default=0.0, help="correlation of verdicts on one solution, in [0, 1) (0)")
    p.add_argument("--max-verifications", type=int, default=32, help="largest V searched (default 32)")
    p.add_argument("--wrong-mode-share", "--dominant-share", dest="dominant_share", type=float, default=0.5,
                   help="share of wrong mass on one wrong answer (0.5; --dominant-share is the old name)")
    p.add_argument("--num-other", type=int, default=8, help="other wrong answers sharing the rest (8)")
    p.add_argument("--sc-max-solutions", type=int, default=64, help="most solutions SC votes over (64)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _population(args):
    import numpy as np

    import ttsim

    if args.p is not None:
        if not (0.0 <= args.p <= 1.0):
            raise CLIError(f"--p must lie in [0, 1]; got {args.p!r}")
        return ttsim.empirical_population(np.asarray([args.p], np.float32)), {"p": args.p}
    if args.beta is not None:
        ab = parse_float_list(args.beta, name="--beta")
        if len(ab) != 2 or min(ab) <= 0:
            raise CLIError(f"--beta must be two positive numbers A,B; got {args.beta!r}")
        return ttsim.beta_population(ab[0], ab[1], num_nodes=16), {"beta": ab}
    from ttsim._src.logs import read_counts

    counts = read_counts(args.counts)
    if isinstance(counts, dict):  # pragma: no cover - only with group_by
        raise CLIError(f"--counts: {args.counts}: expected one table")
    return ttsim.populations.fit_empirical(counts.n, counts.c), {"counts": args.counts, "num_problems": len(counts.problem)}


def run(args) -> int:
    import numpy as np

    import ttsim

    for flag, x in (("--tpr", args.tpr), ("--fpr", args.fpr), ("--wrong-mode-share", args.dominant_share)):
        if not (0.0 <= x <= 1.0):
            raise CLIError(f"{flag} must lie in [0, 1]; got {x!r}")
    if not (0.0 <= args.correlation < 1.0):
        raise CLIError(f"--correlation must lie in [0, 1); got {args.correlation!r}")
    if not (args.lam >= 0.0) or not np.isfinite(args.lam):
        raise CLIError(f"--verify-cost (--lam) must be a finite number >= 0; got {args.lam!r}")
    budgets = sorted({b for text in args.budget for b in parse_float_list(text, name="--budget")})
    if any(not np.isfinite(b) or b < 1 for b in budgets):
        raise CLIError(f"--budget values must be finite and >= 1 (one solution); got {min(budgets)!r}")
    if args.max_verifications < 1:
        raise CLIError(f"--max-verifications must be >= 1; got {args.max_verifications}")
    if args.num_other < 1:
        raise CLIError(f"--num-other must be >= 1; got {args.num_other}")
    if args.sc_max_solutions < 1:
        raise CLIError(f"--sc-max-solutions must be >= 1; got {args.sc_max_solutions}")
    problems, source = _population(args)
    fr = ttsim.accuracy.verify_split_frontier(
        problems,
        args.tpr,
        args.fpr,
        args.lam,
        np.asarray(budgets, np.float32),
        max_verifications=args.max_verifications,
        wrong_mode_share=args.dominant_share,
        num_other=args.num_other,
        sc_max_solutions=args.sc_max_solutions,
        correlation=args.correlation,
    )
    cross = ttsim.accuracy.verifying_crossover(fr)
    rows = []
    for i, c in enumerate(budgets):
        sc, g = float(fr.sc_accuracy[i]), float(fr.genrm_accuracy[i])
        s_opt, v_opt = float(fr.genrm_solutions[i]), float(fr.genrm_verifications[i])
        has_g = np.isfinite(g)
        rows.append(
            {
                "budget": c,
                "sc_accuracy": sc,
                "genrm_accuracy": g if has_g else None,
                "genrm_solutions": int(s_opt) if has_g else None,
                "genrm_verifications": int(v_opt) if has_g else None,
                "best": "genrm" if has_g and g > sc + _SAME else "sc",
            }
        )
    summary = {
        "sc_peak_accuracy": cross.sc_peak_accuracy,
        "sc_peak_budget": cross.sc_peak_budget,
        "genrm_match_budget": cross.genrm_match_budget,
        "compute_multiple": cross.compute_multiple,
        "first_genrm_win_budget": cross.first_win_budget,
        "max_genrm_gain": cross.max_gain,
    }
    if args.json:
        print_json(
            {
                "population": source,
                "tpr": args.tpr,
                "fpr": args.fpr,
                "lam": args.lam,
                "verify_cost": args.lam,
                "correlation": args.correlation,
                "budget_convention": "C = S (1 + lam V), in solutions",
                "rows": rows,
                "crossover": summary,
            }
        )
        return 0
    headers = ["budget", "SC acc", "GenRM acc", "S*", "V*", "best"]
    table = [
        [r["budget"], r["sc_accuracy"], r["genrm_accuracy"], r["genrm_solutions"], r["genrm_verifications"], r["best"]]
        for r in rows
    ]
    print(format_table(table, headers))
    print()
    print(f"SC best accuracy {cross.sc_peak_accuracy:.4g}, reached at C = {cross.sc_peak_budget:.4g}")
    if np.isfinite(cross.genrm_match_budget):
        print(
            f"GenRM matches it at C = {cross.genrm_match_budget:.4g} "
            f"({cross.compute_multiple:.3g}x SC's compute)"
        )
    else:
        print("GenRM does not match SC's best accuracy within these budgets")
    return 0
