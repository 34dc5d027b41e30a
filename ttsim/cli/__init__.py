"""Command-line front end: ``ttsim <command> ...``.

Each command lives in its own module ``ttsim/cli/cmd_<name>.py`` exposing
``register(subparsers)``; the parser it adds sets ``func`` to a callable taking the
parsed arguments and returning an exit status. Commands parse arguments, load data
through ttsim's I/O helpers, call the public API and format the result (a table by
default, one JSON object with ``--json``). No model lives here.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ttsim.cli._common import CLIError

__all__ = ("build_parser", "main")


def _command_modules():
    import ttsim.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            yield importlib.import_module(f"ttsim.cli.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ttsim",
        description="Simulate, cost and optimise test-time compute allocations.",
    )
    parser.add_argument(
        "--x64", action="store_true", help="compute in float64 (sets jax_enable_x64 before any array exists)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.x64:
        import jax

        jax.config.update("jax_enable_x64", True)
    try:
        status = args.func(args)
    except (CLIError, ValueError, FileNotFoundError, KeyError) as err:
        msg = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"ttsim {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `ttsim ... --json | head`): stop quietly, as Unix tools do.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0 if status is None else int(status)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
