"""``ttsim reproduce NAME... | all --out DIR``: run the paper reproductions."""

from __future__ import annotations

from ttsim.cli._common import CLIError, print_json


def register(sub) -> None:
    p = sub.add_parser(
        "reproduce",
        help="run reproduction experiments into a results folder",
        description="Run experiments (or 'all'); each writes DIR/<name>/ with a figure, a table and "
        "results.json, and DIR/index.md links them.",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="experiment names, or 'all'")
    p.add_argument("--out", help="results folder (required unless --list)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from ttsim.experiments import available, run_experiments

    if args.list:
        print("\n".join(available()))
        return 0
    if not args.out:
        raise CLIError("--out: give the results folder, e.g. --out results/")
    if not args.names:
        raise CLIError("NAME: give experiment names or 'all' (see --list)")
    summary = run_experiments(args.names, args.out, seed=args.seed)
    if args.json:
        print_json(summary)
    else:
        print(f"wrote {len(summary)} experiment(s) to {args.out} (see {args.out}/index.md)")
    return 0
