"""``ttsim examples --out DIR``: write example logs and configs to start from."""

from __future__ import annotations

from ttsim.cli._common import add_out_argument, format_path, prepare_out


def register(sub) -> None:
    p = sub.add_parser(
        "examples",
        help="write example logs (counts, samples) and configs (optimize, sweep) into a folder",
        description="Write the example files a first session starts from: counts.csv, samples.csv, "
        "optimize.toml and sweep.toml (the same as ttsim.examples.write(DIR)).",
    )
    add_out_argument(p, help="folder to write the example files into (created if missing)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ttsim._src.examples import write_examples

    folder = prepare_out(args)
    for path in write_examples(folder, force=True):
        print(format_path(path))
    return 0
