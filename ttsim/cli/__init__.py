"""Command-line front end: ``ttsim <command> ...``.

Each command lives in its own module ``ttsim/cli/cmd_<name>.py`` exposing
``register(subparsers)``; the parser it adds sets ``func`` to a callable taking the
parsed arguments and returning an exit status. Commands parse arguments, load data
through ttsim's I/O helpers, call the public API and format the result (a table by
default, one JSON object with ``--json``). No model lives here.

Shared behaviour lives here, so no command has to repeat it:

* **Start-up.** Command modules import only the standard library and
  :mod:`ttsim.cli._common` at module level; JAX, SciPy, matplotlib and ``ttsim._src`` are
  imported inside the command functions, so ``ttsim --help``, ``ttsim models`` and
  ``ttsim hardware`` start quickly.
* **Help.** Every subcommand's ``--help`` ends with worked examples and the units of its
  output (:mod:`ttsim.cli._help`).
* **Errors.** Every error is one line on stderr naming the file or flag, with exit status 2;
  never a traceback (``--debug`` or ``TTSIM_DEBUG=1`` shows it). An interrupt exits with 130.
  An unexpected exception is reported on one line as an internal error with exit status 1.
  What ttsim promises is written down in ``docs/promises.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import sys

from ttsim.cli._common import CLIError, format_path
from ttsim.cli._help import ARGUMENT_HELP, EPILOGS, HelpFormatter

__all__ = ("build_parser", "main")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``ttsim CMD: error: ... (see --help)``."""

    def error(self, message):  # noqa: D102 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _command_modules():
    import ttsim.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            yield importlib.import_module(f"ttsim.cli.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    """The ``ttsim`` parser with every command registered and its help epilog attached."""
    parser = _Parser(
        prog="ttsim",
        description="Simulate, cost and optimise test-time compute allocations.",
        epilog=EPILOGS.get(""),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--x64", action="store_true", help="compute in float64 (sets jax_enable_x64 before any array exists)"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the Python traceback of an error (also: environment variable TTSIM_DEBUG=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in _command_modules():
        module.register(sub)
    for name, subparser in sub.choices.items():
        with contextlib.suppress(argparse.ArgumentError):  # a command with a --debug of its own keeps it
            subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                   help="show the Python traceback of an error (also: TTSIM_DEBUG=1)")
        for action in subparser._actions:
            if action.help is None and action.option_strings:
                action.help = ARGUMENT_HELP.get((name, max(action.option_strings, key=len)))
        if subparser.epilog or name not in EPILOGS:
            continue  # the command wrote its own worked example
        subparser.epilog = EPILOGS[name]
        if subparser.formatter_class is argparse.HelpFormatter:
            subparser.formatter_class = HelpFormatter
    parser._ttsim_subparsers = sub.choices  # for naming the flag that held a bad path
    return parser


# ---------------------------------------------------------------------------------------------
# One-line errors.


def _argument_names(parser, command) -> dict[str, str]:
    """``{dest: how the user wrote it}`` for the chosen subcommand (``--models-file``, ``FILE.csv``)."""
    sub = getattr(parser, "_ttsim_subparsers", {}).get(command)
    names = {}
    for action in getattr(sub, "_actions", []):
        if action.option_strings:
            names[action.dest] = max(action.option_strings, key=len)
        else:
            names[action.dest] = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    return names


def _path_arguments(args, names) -> list[tuple[str, str]]:
    """``(flag, value)`` for every argument that looks like a path the user gave."""
    out = []
    for dest, value in vars(args).items():
        if dest in ("func", "command") or not isinstance(value, (str, os.PathLike)):
            continue
        text = os.fspath(value)
        if text and (os.sep in text or "." in text or os.path.lexists(text)):
            out.append((names.get(dest, dest), text))
    return out


def _name_path(filename, args, names) -> str:
    """``--flag 'path'`` when the path is one the user gave, else ``'path'``."""
    if filename is None:
        return ""
    filename = os.fspath(filename)
    for flag, value in _path_arguments(args, names):
        same = value == filename
        if not same:
            try:
                same = os.path.abspath(value) == os.path.abspath(filename)
            except (OSError, ValueError):
                same = False
        if same:
            return f"{flag} {format_path(filename)!r}"
    return repr(format_path(filename))


def _input_files(args, names) -> str:
    """The existing files among the arguments, as ``FLAG 'path'`` (for errors that carry no path)."""
    found = [f"{flag} {format_path(v)!r}" for flag, v in _path_arguments(args, names) if os.path.isfile(v)]
    return ", ".join(found)


_OS_REASONS = {
    IsADirectoryError: "is a folder, not a file",
    NotADirectoryError: "a part of this path is a file, not a folder",
    FileNotFoundError: "no such file or folder",
    FileExistsError: "already exists",
    PermissionError: "permission denied",
}


def _describe(err: BaseException, args, names) -> tuple[str, int]:
    """The one-line message and exit status for an exception raised by a command."""
    context = err.__context__
    if isinstance(err, CLIError) and isinstance(context, UnicodeError) and str(err) == str(context):
        err = context  # a command re-raised the bare decode error: name the file below
    if isinstance(err, KeyError):
        return str(err.args[0] if err.args else err), 2
    if isinstance(err, (CLIError, ValueError)) and not isinstance(err, UnicodeError):
        return str(err), 2
    if isinstance(err, OSError) and err.filename is None and err.strerror is None and str(err):
        return str(err), 2  # raised with a message of its own (e.g. by a reader naming the file)
    if isinstance(err, OSError) and (err.filename is not None or type(err) in _OS_REASONS):
        reason = next((r for t, r in _OS_REASONS.items() if isinstance(err, t)), None)
        reason = reason or err.strerror or str(err)
        where = _name_path(err.filename, args, names)
        if err.filename2 is not None:
            where = f"{where} -> {_name_path(err.filename2, args, names)}"
        return (f"{where}: {reason}" if where else reason), 2
    if isinstance(err, UnicodeEncodeError):
        return (f"cannot write {err.object[err.start:err.end]!r} in the output encoding {err.encoding}; "
                "set PYTHONIOENCODING=utf-8 (or a UTF-8 locale)"), 2
    if isinstance(err, UnicodeError):
        files = _input_files(args, names)
        what = f"{files}: " if files else ""
        detail = f" ({err.reason} at byte {err.start})" if isinstance(err, UnicodeDecodeError) else ""
        return f"{what}not UTF-8 text{detail}; save the file as UTF-8 (CSV or TOML)", 2
    if isinstance(err, OverflowError):
        files = _input_files(args, names)
        what = f"{files}: " if files else ""
        return f"{what}a number is too large to represent ({err}); check the input values", 2
    if isinstance(err, MemoryError):  # includes numpy's _ArrayMemoryError
        detail = str(err).splitlines()[0] if str(err) else "out of memory"
        return (f"not enough memory: {detail}; make the request smaller "
                "(fewer grid points, a smaller --chunk-size, fewer resamples or trials)"), 2
    module = type(err).__module__ or ""
    if module.startswith("jax") and "Tracer" in f"{type(err).__name__} {err}":
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return (f"an argument must be a concrete value, not a traced array ({type(err).__name__}: "
                f"{first}); pass it as a fixed value, not a swept axis"), 2
    if isinstance(err, OSError):
        return f"{err.strerror or err}", 2
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return (f"internal error: {type(err).__name__}: {first} -- this is a bug in ttsim; "
            "rerun with --debug for the traceback and report it"), 1


def _debug_wanted(argv) -> bool:
    env = os.environ.get("TTSIM_DEBUG", "").strip().lower()
    return env not in ("", "0", "false", "no") or "--debug" in (argv or [])


def _normalise_folders(args) -> None:
    """``--out results//`` -> ``results``: folder arguments without doubled or trailing slashes,
    so every path a command prints from them (``f"{args.out}/index.md"``) is clean."""
    for dest in ("out", "out_dir", "output_dir"):
        value = getattr(args, dest, None)
        if isinstance(value, str) and value:
            clean = format_path(value)
            setattr(args, dest, clean.rstrip("/") or clean)


def _check_integer_flags(parser, args) -> None:
    """Integer flags must fit in int64 (the array code's integers); ``--seed`` must be >= 0."""
    sub = getattr(parser, "_ttsim_subparsers", {}).get(args.command)
    for action in getattr(sub, "_actions", []):
        value = getattr(args, action.dest, None)
        if action.type is not int or not action.option_strings or not isinstance(value, int):
            continue
        flag = max(action.option_strings, key=len)
        if not -(2**63) <= value < 2**63:
            raise CLIError(f"{flag}: {value} is outside the 64-bit integer range")
        if action.dest == "seed" and value < 0:
            raise CLIError(f"{flag}: must be a non-negative integer; got {value}")


def main(argv: list[str] | None = None) -> int:
    """Run ``ttsim`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    _normalise_folders(args)
    debug = bool(args.debug) or _debug_wanted(argv)
    prefix = f"ttsim {args.command}"
    try:
        _check_integer_flags(parser, args)
        if args.x64:
            import jax

            jax.config.update("jax_enable_x64", True)
        status = args.func(args)
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `ttsim ... --json | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except SystemExit:
        raise
    except Exception as err:  # noqa: BLE001 - every error becomes one line (docs/promises.md)
        message, status = _describe(err, args, _argument_names(parser, args.command))
        if debug:
            import traceback

            traceback.print_exc()
        message = " ".join(message.split("\n"))
        print(f"{prefix}: error: {message}", file=sys.stderr)
        return status
    return 0 if status is None else int(status)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
