"""Helpers shared by the CLI commands: argument parsing and output formatting."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np


class CLIError(Exception):
    """A user error; the CLI prints its message on one line and exits with status 2."""


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
    """Parse ``"1,2,4"`` into ``[1, 2, 4]``; raise CLIError naming ``name`` otherwise."""
    return _parse_list(text, name=name, convert=int, kind="integers")


def parse_float_list(text: str, *, name: str) -> list[float]:
    """Parse ``"0.1,0.5"`` into floats; raise CLIError naming ``name`` otherwise."""
    return _parse_list(text, name=name, convert=float, kind="numbers")


def to_jsonable(obj: Any) -> Any:
    """Convert numpy / jax scalars and arrays (nested in dicts and lists) to JSON types.

    Non-finite floats become ``None`` so the output is strict JSON.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        if arr.ndim == 0:
            return to_jsonable(arr.item())
        return [to_jsonable(v) for v in arr.tolist()]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
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
