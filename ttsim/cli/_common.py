"""Helpers shared by the CLI commands: argument parsing and output formatting."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class CLIError(Exception):
    """A user error; the CLI prints its message on one line and exits with status 2."""


def format_path(path) -> str:
    """A path as printed to users, without doubled slashes (``results//index.md`` -> ``results/index.md``)."""
    return re.sub(r"/{2,}", "/", os.fspath(path))


def add_out_argument(parser, *, required: bool = True, help: str = "output folder") -> None:
    """Add ``--out DIR`` and ``--force`` to a command's parser (see :func:`prepare_out`).

    ttsim writes only into a new folder, an empty one, or one it created before (it holds the
    marker file ``.ttsim-output``); ``--force`` allows a non-empty foreign folder. Nothing ttsim
    did not write is ever deleted.
    """
    parser.add_argument("--out", required=required, metavar="DIR", help=help)
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into --out even if it is a non-empty folder ttsim did not create "
        "(files ttsim did not write are never deleted)",
    )


def prepare_out(args, *, flag: str = "--out", attr: str = "out") -> Path:
    """Create or adopt the folder given by ``args.<attr>`` through ``ttsim._src.outdir``.

    Raises CLIError naming ``flag`` when the path is a file, a non-empty folder ttsim did not
    create (without ``--force``), or cannot be created. Call it before any expensive work.
    """
    from ttsim._src.outdir import prepare_out_dir

    path = getattr(args, attr)
    if path is None:
        raise CLIError(f"{flag}: give an output folder")
    try:
        return prepare_out_dir(path, flag=flag, force=bool(getattr(args, "force", False)))
    except ValueError as err:
        raise CLIError(str(err)) from None


def _parse_list(text: str, *, name: str, convert, kind: str) -> list:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(convert(part))
        except ValueError:
            raise CLIError(f"{name}: expected comma-separated {kind}, got {part!r}") from None
    if not out:
        raise CLIError(f"{name}: expected at least one value")
    return out


def parse_int_list(text: str, *, name: str) -> list[int]:
    """Parse ``"1,2,4"`` into ``[1, 2, 4]``; raise CLIError naming ``name`` otherwise.

    Values must fit in a signed 64-bit integer (what the array code computes with).
    """
    values = _parse_list(text, name=name, convert=int, kind="integers")
    for v in values:
        if not -(2**63) <= v < 2**63:
            raise CLIError(f"{name}: {v} is outside the 64-bit integer range (at most {2**63 - 1} in size)")
    return values


def parse_float_list(text: str, *, name: str) -> list[float]:
    """Parse ``"0.1,0.5"`` into floats; raise CLIError naming ``name`` otherwise."""
    return _parse_list(text, name=name, convert=float, kind="numbers")


_COUNT_KEY = re.compile(
    r"^(num_\w+|n_\w+|n|k|t|m|s|v|S|V|ks|params|active_params|head_dim|hidden_size|vocab_size"
    r"|experts_per_token|max_batch_size|total_samples|samples_per_problem|samples|seed"
    r"|\w+_layers|\w+_heads|\w+_tokens)$"
)
"""JSON keys whose values are counts: integral floats under them are printed as integers."""


def _as_count(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [_as_count(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_count(v) for k, v in value.items()}
    return value


def to_jsonable(obj: Any) -> Any:
    """Convert numpy / jax scalars and arrays (nested in dicts and lists) to JSON types.

    Non-finite floats become ``None`` so the output is strict JSON. Integers stay integers, and
    integral floats under count-like keys (``num_*``, ``n_*``, ``k``, ``*_layers``, ``*_tokens``,
    ``max_batch_size``, ...) become integers; paths are printed through :func:`format_path`.
    """
    import numpy as np

    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            value = to_jsonable(value)
            out[str(key)] = _as_count(value) if _COUNT_KEY.match(str(key)) else value
        return out
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        if arr.ndim == 0:
            return to_jsonable(arr.item())
        return [to_jsonable(v) for v in arr.tolist()]
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        obj = float(obj)
        return obj if math.isfinite(obj) else None
    if isinstance(obj, os.PathLike):
        return format_path(obj)
    return obj


def print_json(obj: Any) -> None:
    """Print one strict JSON object on stdout."""
    json.dump(to_jsonable(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def format_cell(v: Any, *, digits: int = 6, missing: str = "-") -> str:
    """One table cell: floats to ``digits`` significant digits, None as ``missing``."""
    if v is None:
        return missing
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def format_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain aligned text table."""
    fmt = format_cell
    cells = [[fmt(h) for h in headers]] + [[fmt(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def check_estimate_flags(args) -> None:
    """The flags ``estimate`` and ``check-law`` share: ``--level``, ``--seed`` and ``--plot``."""
    if not 0.0 < args.level < 1.0:
        raise CLIError(f"--level: must lie in (0, 1); got {args.level}")
    if args.seed < 0 or args.seed >= 2**63:
        raise CLIError(f"--seed: must be a whole number in [0, 2^63); got {args.seed}")
    if args.plot is not None:
        from ttsim._src.logs_plot import check_plot_path

        try:
            check_plot_path(args.plot)
        except ValueError as err:
            raise CLIError(f"--plot: {err}") from None
