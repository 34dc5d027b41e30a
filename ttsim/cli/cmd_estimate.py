"""``ttsim estimate FILE.csv``: pass@k and maj@k (with bootstrap intervals) from a real log.

Extension point: a command section that needs the answers of a sample log (e.g. adaptive
stopping) adds its flags in :func:`_register_extensions` and its JSON key in
:func:`_sample_sections`; both are marked below.
"""

from __future__ import annotations

import sys

from ttsim.cli._common import (
    CLIError,
    check_estimate_flags,
    format_table,
    parse_int_list,
    print_json,
)

_MAJ_NOTE_COUNTS = "counts file: maj@k needs each sample's answer (a sample log with an answer column)"

_EXAMPLE = """example:
  ttsim estimate samples.csv --k 1,4,16 --plot curves.png
  ttsim estimate experiments/data/monkeys/pythia_math_10k.csv --group-by model --k 1,100,10000 --json

k is a number of samples; pass@k and maj@k are fractions of problems in [0, 1]."""


def register(sub) -> None:
    import argparse

    p = sub.add_parser(
        "estimate",
        help="pass@k and maj@k from a sample log or per-problem counts",
        description="Estimate pass@k (unbiased estimator) and maj@k (expected plurality vote over "
        "size-k subsets drawn without replacement) from a CSV log: sample rows "
        "problem,sample,answer,correct[,tokens][,confidence] or per-problem counts "
        "problem,n_samples,n_correct.",
        epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE.csv", help="sample log or counts CSV")
    p.add_argument("--k", default=None, help="comma-separated k values (default: 1,2,4,... up to the smallest n, and n)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples for the intervals (0: none; default 1000)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    p.add_argument("--group-by", default=None, metavar="COL", help="estimate separately for each value of this column (e.g. model)")
    p.add_argument("--maj-method", choices=("auto", "exact", "monte_carlo"), default="auto", help="how maj@k is computed (default auto: exact where feasible)")
    p.add_argument(
        "--num-trials", type=int, default=None,
        help="Monte Carlo orderings per problem for maj@k (default: 20000, fewer for large logs, at least 100)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and the Monte Carlo (>= 0)")
    p.add_argument("--plot", default=None, metavar="OUT.png", help="write a figure of pass@k and maj@k with their intervals")
    _register_extensions(p)
    p.set_defaults(func=run)


def _register_extensions(p) -> None:
    """Extension point: flags of extra sample-log sections (e.g. ``--stopping``) go here."""
    g = p.add_argument_group("adaptive stopping (sample logs; adds a \"stopping\" object)")
    g.add_argument("--stopping", choices=("esc", "adaptive", "doubling"), default=None,
                   help="stopping rule: ESC windows, Adaptive-Consistency (Beta), supermajority doubling")
    g.add_argument("--window", type=int, default=None, metavar="W", help="ESC window (default 5, the library default)")
    g.add_argument("--threshold", type=float, default=None, metavar="X",
                   help="Adaptive-Consistency posterior threshold (default 0.95) or doubling share (default 2/3)")
    g.add_argument("--max-samples", type=int, default=None, metavar="M",
                   help="cap on samples (default: the smallest per-problem count)")


def _sample_sections(log, ks, args, out: dict) -> None:
    """Extension point: extra JSON keys computed from a sample log (e.g. ``"stopping"``)."""
    if getattr(args, "stopping", None):
        from ttsim._src.stopping_cli import stopping_summary

        out["stopping"] = stopping_summary(log, args, CLIError)


def _by_k(ks, values):
    return {str(int(k)): float(v) for k, v in zip(ks, values, strict=True)}


def _ci_by_k(ks, ci):
    if ci is None:
        return None
    return {str(int(k)): [float(lo), float(hi)] for k, lo, hi in zip(ks, ci.low, ci.high, strict=True)}


def _bar(args, total: int, desc: str, unit: str):
    """A tqdm bar on stderr (only on a terminal and without --json), or None."""
    if args.json or not sys.stderr.isatty() or total <= 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)


def _progress(bar):
    return None if bar is None else bar.update


def _check_ks(ks, counts, is_samples) -> None:
    from ttsim._src.logs_passk import check_ks

    try:
        check_ks(ks, counts.n, counts.problem, counts.source, "estimate", counts.line, "samples" if is_samples else "counts", name="--k")
    except ValueError as err:
        raise CLIError(f"--k: {err}") from None


def _estimate(log, k_arg, args) -> dict:
    import jax

    from ttsim._src import logs
    from ttsim._src.logs_bootstrap import check_bootstrap_size
    from ttsim._src.logs_majk import check_mc_size, default_num_trials

    is_samples = isinstance(log, logs.SampleLog)
    counts = logs.counts_from_samples(log) if is_samples else log
    n_min, n_max = int(counts.n.min()), int(counts.n.max())
    ks = parse_int_list(k_arg, name="--k") if k_arg is not None else logs.default_ks(n_min)
    bad = [k for k in ks if k < 1]
    if bad:
        raise CLIError(f"--k: values must be >= 1; got {bad[0]}")
    ks = sorted(set(ks))
    _check_ks(ks, counts, is_samples)
    num_p = len(counts.problem)
    if args.bootstrap:
        try:
            check_bootstrap_size(args.bootstrap, num_p, len(ks), "--bootstrap")
        except ValueError as err:
            raise CLIError(str(err)) from None
    num_trials = args.num_trials if args.num_trials is not None else default_num_trials(num_p)
    if is_samples and args.maj_method != "exact":
        try:
            check_mc_size(num_trials, num_p, n_max, "--num-trials")
        except ValueError as err:
            raise CLIError(str(err)) from None
    key = jax.random.key(args.seed)
    boot_key, maj_key = jax.random.split(key)
    pass_pp = logs.estimate_pass_at_k(counts, ks, per_problem=True)

    def interval(values, what):
        if not args.bootstrap:
            return None
        bar = _bar(args, args.bootstrap, f"bootstrap {what}", "resample")
        try:
            return logs.bootstrap_ci(boot_key, values, num_resamples=args.bootstrap, level=args.level, progress=_progress(bar))
        finally:
            if bar is not None:
                bar.close()

    out = {
        "file": args.file,
        "source": counts.source,
        "format": "samples" if is_samples else "counts",
        "n_problems": num_p,
        "samples_per_problem": {"min": n_min, "max": n_max},
        "total_samples": int(counts.n.sum()),
        "k": ks,
        "pass_at_k": _by_k(ks, pass_pp.mean(axis=0)),
        "pass_at_k_ci": _ci_by_k(ks, interval(pass_pp, "pass@k")),
        "maj_at_k": None,
        "maj_at_k_ci": None,
        "maj_method": None,
        "maj_at_k_mc_stderr": None,
        "maj_num_trials": None,
        "maj_at_k_note": _MAJ_NOTE_COUNTS if not is_samples else "",
        "ci_level": args.level if args.bootstrap else None,
        "bootstrap_resamples": args.bootstrap,
    }
    if is_samples:
        bar = _bar(args, num_p, "maj@k Monte Carlo", "problem")
        try:
            maj = logs.estimate_maj_at_k(
                maj_key, log, ks, method=args.maj_method, num_trials=num_trials, progress=_progress(bar)
            )
        finally:
            if bar is not None:
                bar.close()
        out["maj_at_k"] = _by_k(ks, maj.value)
        out["maj_at_k_ci"] = _ci_by_k(ks, interval(maj.per_problem, "maj@k"))
        out["maj_method"] = {str(k): m for k, m in zip(ks, maj.method, strict=True)}
        out["maj_at_k_mc_stderr"] = _by_k(ks, maj.mc_stderr)
        out["maj_num_trials"] = maj.num_trials or None
        if (log.answer == "").all():
            out["maj_at_k_note"] = "no sample has an answer: every subset has no votes, so maj@k is 0"
        _sample_sections(log, ks, args, out)
    return out


def _table(res: dict) -> str:
    def ci(d, k):
        if d is None:
            return "-"
        lo, hi = d[k]
        return f"[{lo:.4g}, {hi:.4g}]"

    rows = []
    for k in res["pass_at_k"]:
        maj = res["maj_at_k"]
        rows.append(
            [
                int(k),
                res["pass_at_k"][k],
                ci(res["pass_at_k_ci"], k),
                None if maj is None else maj[k],
                ci(res["maj_at_k_ci"], k),
                None if res["maj_method"] is None else res["maj_method"][k],
            ]
        )
    level = res["ci_level"]
    ci_head = f"{100 * level:g}% CI" if level else "CI"
    spp = res["samples_per_problem"]
    head = (
        f"{res['source']}: {res['format']}, {res['n_problems']} problems, "
        f"{spp['min']}..{spp['max']} samples per problem"
    )
    text = head + "\n" + format_table(rows, ["k", "pass@k", ci_head, "maj@k", ci_head, "maj method"])
    if res["maj_at_k_note"]:
        text += f"\nmaj@k: {res['maj_at_k_note']}"
    if res.get("stopping"):
        st = res["stopping"]
        text += (f"\nstopping {st['method']} {st['parameters']}: accuracy {st['accuracy']:.4g} with "
                 f"{st['mean_samples']:.3g} of {st['max_samples']} samples on average "
                 f"(maj@{st['max_samples']} {st['maj_at_max']:.4g})")
    return text


def _check_args(args) -> None:
    if args.bootstrap < 0:
        raise CLIError(f"--bootstrap: must be >= 0; got {args.bootstrap}")
    if args.num_trials is not None and args.num_trials < 2:
        raise CLIError(f"--num-trials: must be >= 2; got {args.num_trials}")
    check_estimate_flags(args)


def _slim(data):
    """Drop the sample ids and token counts of a sample log: no estimate of this command reads
    them (80 MB each per 10^7 rows); line numbers as int32 where they fit."""
    from ttsim._src import logs

    if isinstance(data, dict):
        return {g: _slim(x) for g, x in data.items()}
    if not isinstance(data, logs.SampleLog):
        return data
    import numpy as np

    line = data.line
    if line is not None and line.size and int(line.max()) < 2**31:
        line = line.astype(np.int32)  # file lines for messages only
    return data._replace(sample=None, tokens=None, line=line)


def run(args) -> int:
    from ttsim._src import logs

    _check_args(args)
    data = logs.read_log(args.file, group_by=args.group_by)
    data = _slim(data)
    if args.group_by is None:
        results = {None: _estimate(data, args.k, args)}
    else:
        results = {str(g): _estimate(log, args.k, args) for g, log in data.items()}
    if args.plot is not None:
        from ttsim._src.logs_plot import plot_estimates

        plot_estimates(results, args.plot, title=args.file)
    if args.group_by is None:
        result = results[None]
        if args.json:
            print_json(result)
        else:
            print(_table(result))
        return 0
    if args.json:
        print_json({"file": args.file, "group_by": args.group_by, "n_groups": len(results), "groups": results})
    else:
        print("\n\n".join(_table(r) for r in results.values()))
    return 0
