"""``ttsim check-law FILE --law power|beta|exp-power``: fit a coverage law on small k, test it on large k."""

from __future__ import annotations

from ttsim.cli._common import (
    CLIError,
    check_estimate_flags,
    format_table,
    parse_int_list,
    print_json,
)

_LAW_CHOICES = ("exp-power", "power", "beta", "all")


def register(sub) -> None:
    p = sub.add_parser(
        "check-law",
        help="fit a scaling law of coverage on k <= K and test its extrapolation to larger k",
        description="Fit a law of coverage (pass@k) in k to a sample log or counts file using only "
        "what K samples per problem reveal (--fit-max-k), predict the held-out k > K, and report "
        "the fit, bootstrap intervals over problems, the extrapolation error (e.g. at k=100) and "
        "whether the law is rejected at --level. Laws: exp-power c=exp(a k^b); power -log c = A k^-B "
        "(log-log line); beta: Beta population of per-problem success rates.",
    )
    p.add_argument("file", metavar="FILE.csv", help="sample log (problem,sample,answer,correct) or counts (problem,n_samples,n_correct)")
    p.add_argument("--law", default="all", choices=_LAW_CHOICES, help="law to check (default: all three)")
    p.add_argument("--fit-max-k", type=int, default=None, metavar="K", help="samples per problem the fit may see (default: min(16, min n / 2))")
    p.add_argument("--fit-k", default=None, metavar="KS", help="comma-separated k of the fitted curve (default: ~12 values in [1, K])")
    p.add_argument("--k", default=None, metavar="KS", help="comma-separated held-out k, each > K and <= min n (default: ~12 values in (K, min n])")
    p.add_argument("--report-k", type=int, default=100, help="k whose extrapolation error is the headline (>= 1; default 100)")
    p.add_argument("--level", type=float, default=0.05, help="test level; intervals cover 1 - level (default 0.05)")
    p.add_argument("--bootstrap", type=int, default=200, metavar="N", help="bootstrap resamples over problems (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (>= 0)")
    p.add_argument("--group-by", default=None, metavar="COL", help="check each value of this column separately (e.g. model)")
    p.add_argument("--filter", default=None, metavar="COL=VALUE", help="check only the rows whose COL equals VALUE")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", default=None, metavar="OUT.png", help="write a figure of the measured coverage and the fitted laws")
    p.set_defaults(func=run)


def _load(args) -> dict:
    """``{group label or None: Counts}`` from the file, honouring --group-by / --filter."""
    import ttsim

    groups: dict = {}
    if args.filter is not None:
        col, sep, value = args.filter.partition("=")
        if not sep or not col.strip():
            raise CLIError(f"--filter: expected COL=VALUE, got {args.filter!r}")
        col, value = col.strip(), value.strip()
        if args.group_by is not None and args.group_by != col:
            raise CLIError("--filter and --group-by must name the same column when both are given")
        found = ttsim.read_log(args.file, group_by=col)
        if value not in found:
            raise CLIError(f"--filter: no rows with {col}={value!r} in {args.file} (values: {', '.join(sorted(found))})")
        groups = {f"{col}={value}": found[value]}
    elif args.group_by is not None:
        groups = {f"{args.group_by}={g}": log for g, log in ttsim.read_log(args.file, group_by=args.group_by).items()}
    else:
        groups = {None: ttsim.read_log(args.file)}
    return {g: ttsim.counts_from_samples(log) if isinstance(log, ttsim.SampleLog) else log for g, log in groups.items()}


def _check_group(counts, args) -> list[dict]:
    import ttsim

    n_min = int(counts.n.min())
    fit_ks = parse_int_list(args.fit_k, name="--fit-k") if args.fit_k is not None else None
    test_ks = parse_int_list(args.k, name="--k") if args.k is not None else None
    k_max = args.fit_max_k
    if k_max is None:
        k_max = max(fit_ks) if fit_ks else max(2, min(16, n_min // 2))
    from ttsim._src.logs_bootstrap import check_bootstrap_size

    try:
        check_bootstrap_size(args.bootstrap, counts.n.size, counts.n.size + int(k_max) + 1, "--bootstrap")
    except ValueError as err:
        raise CLIError(str(err)) from None
    laws = ttsim.LAWS if args.law == "all" else (args.law,)
    out = []
    for law in laws:
        res = ttsim.check_law(
            args.seed, counts, law, fit_ks, test_ks, fit_max_k=k_max, report_k=args.report_k, level=args.level,
            num_bootstrap=args.bootstrap,
        )
        out.append(res.as_dict())
    return out


def _table(results: list[dict]) -> str:
    blocks = []
    for r in results:
        pct = f"{100 * (1 - r['level']):g}%"
        params = ", ".join(
            f"{name}={val:.4g} [{lo:.4g}, {hi:.4g}]" for (name, val), (lo, hi) in zip(r["params"].items(), r["params_ci"].values())
        )
        head = (
            f"{r['source']}: law {r['law']} fitted on k <= {r['fit_max_k']} ({r['num_problems']} problems): {params} "
            f"({pct} bootstrap CI); fit RMSE {r['fit_rmse']:.3g}"
        )
        rows = [
            [k, m, pr, e, f"[{lo:.4g}, {hi:.4g}]"]
            for k, m, pr, e, lo, hi in zip(
                r["test_ks"], r["measured"], r["predicted"], r["error"], r["error_ci"][0], r["error_ci"][1]
            )
        ]
        table = format_table(rows, ["k", "measured", "predicted", "error", f"error {pct} CI"])
        rep = "-" if r["error_at_report_k"] is None else f"{r['error_at_report_k']:+.4f}"
        verdict = "REJECTED" if r["rejected"] else "not rejected"
        tail = (
            f"error at k={r['report_k'] if r['report_k'] is not None else '-'}: {rep}; max |error| {r['max_abs_error']:.4f}; "
            f"p = {r['p_value']:.3g}: {verdict} at level {r['level']:g}"
        )
        blocks.append("\n".join([head, table, tail]))
    return "\n\n".join(blocks)


def run(args) -> int:
    if args.report_k < 1:
        raise CLIError(f"--report-k: must be a whole number >= 1; got {args.report_k}")
    check_estimate_flags(args)
    if args.bootstrap < 1:
        raise CLIError(f"--bootstrap: must be >= 1; got {args.bootstrap}")
    results = []
    for group, counts in _load(args).items():
        for res in _check_group(counts, args):
            res["group"] = group
            res["source"] = counts.source or args.file
            results.append(res)
    if args.plot is not None:
        from ttsim._src.logs_plot import plot_law_checks

        plot_law_checks(results, args.plot, title=args.file)
    if args.json:
        print_json({"file": args.file, "law": args.law, "results": results})
    else:
        print(_table(results))
    return 0
