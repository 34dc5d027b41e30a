"""``ttsim reproduce NAME... | all --out DIR``: run the paper reproductions."""

from __future__ import annotations

from ttsim.cli._common import CLIError, print_json


def register(sub) -> None:
    import argparse

    p = sub.add_parser(
        "reproduce",
        help="run reproduction experiments into a results folder",
        description="Run experiments (or 'all'); each writes DIR/<name>/ with figure.png, table.md + "
        "table.csv (the paper comparison, rows labelled reproduced / consistency / calibrated), "
        "data.csv (the plotted data) and results.json (schema: docs/results_schema.md); DIR/index.md "
        "links them and reports each experiment's wall time and peak RSS.",
        epilog="example:\n  ttsim reproduce --list\n  ttsim reproduce osca kinetics --out results/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="experiment names, or 'all' (see --list)")
    p.add_argument("--out", help="results folder (required unless --list); a new, empty or ttsim-made folder")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty folder ttsim did not create (same-named files are replaced; "
                   "nothing else is deleted)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the experiments' random draws (data splits, bootstrap, predicted bins); "
                   "default 0, the seed behind the published numbers")
    p.add_argument("--list", action="store_true",
                   help="list the experiments, the paper each reproduces and its typical running time")
    p.add_argument("--json", action="store_true", help="print every experiment's results.json as one JSON object")
    p.set_defaults(func=run)


def _list() -> str:
    from ttsim.experiments import EXPERIMENTS

    width = max(len(e.name) for e in EXPERIMENTS)
    return "\n".join(f"{e.name:<{width}}  ~{e.typical_seconds:>4.0f} s  {e.paper}" for e in EXPERIMENTS)


def _display(path: str) -> str:
    """``path`` as the user gave it, without a trailing slash (no ``results//index.md``)."""
    stripped = path.rstrip("/")
    return stripped or "/"


def run(args) -> int:
    from pathlib import Path

    from ttsim.experiments import resolve_names, run_experiments

    if args.list:
        print(_list())
        return 0
    if not args.out:
        raise CLIError("--out: give the results folder, e.g. --out results/")
    if not args.names:
        raise CLIError("NAME: give experiment names or 'all' (see --list)")
    if args.seed < 0:
        raise CLIError(f"--seed: must be >= 0; got {args.seed}")
    try:
        resolve_names(args.names)
    except ValueError as e:
        raise CLIError(f"NAME: {e}") from None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out: {_display(args.out)!r} is a file, not a folder; give a folder path")
    try:
        from ttsim._src.outdir import prepare_out_dir

        prepare_out_dir(out, flag="--out", force=args.force)
    except ValueError as e:
        raise CLIError(str(e)) from None
    summary = run_experiments(args.names, out, seed=args.seed, force=args.force)
    if args.json:
        print_json(summary)
    else:
        shown = _display(args.out)
        print(f"wrote {len(summary)} experiment(s) to {shown} (see {shown}/index.md)")
    return 0
