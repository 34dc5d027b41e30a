"""Argument checks for the public API: run outside jit, raise ValueError naming the argument.

Shapes are always checked; values only when the argument is concrete (not a tracer), so
public functions stay usable under ``jax.jit`` and ``jax.vmap``.
"""

from __future__ import annotations

import numpy as np

from ttsim._src.numerics import is_concrete


def _values(x):
    if not is_concrete(x):
        return None
    try:
        return np.asarray(x)
    except Exception:  # noqa: BLE001 - e.g. abstract values inside custom transforms
        return None


def check_in_range(name: str, x, lo: float, hi: float, *, lo_open=False, hi_open=False, where: str = "") -> None:
    """ValueError unless every value of ``x`` lies in [lo, hi] (open ends as asked); NaN fails."""
    v = _values(x)
    if v is None or v.size == 0:
        return
    bad = np.isnan(v) | ((v <= lo) if lo_open else (v < lo)) | ((v >= hi) if hi_open else (v > hi))
    if np.any(bad):
        first = v.reshape(-1)[np.argmax(bad.reshape(-1))]
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}{name} must lie in {lb}{lo}, {hi}{rb}; got {first!r}")


def check_probability(name: str, x, *, where: str = "") -> None:
    """Values in [0, 1]."""
    check_in_range(name, x, 0.0, 1.0, where=where)


def check_positive(name: str, x, *, where: str = "") -> None:
    """Values > 0 and finite."""
    check_in_range(name, x, 0.0, np.inf, lo_open=True, hi_open=True, where=where)


def check_nonnegative(name: str, x, *, where: str = "") -> None:
    """Values >= 0 and finite."""
    check_in_range(name, x, 0.0, np.inf, hi_open=True, where=where)


def check_count(name: str, x, *, minimum: int = 0, where: str = "") -> None:
    """Whole numbers >= ``minimum``."""
    v = _values(x)
    if v is None or v.size == 0:
        return
    prefix = f"{where}: " if where else ""
    if not np.all(np.isfinite(v)) or np.any(v != np.round(v)):
        raise ValueError(f"{prefix}{name} must be whole numbers; got {v.reshape(-1)[0]!r}")
    if np.any(v < minimum):
        raise ValueError(f"{prefix}{name} must be >= {minimum}; got min({name})={v.min()!r}")


def check_same_shape(names: tuple[str, ...], *xs, where: str = "") -> None:
    """All arrays share one shape."""
    shapes = [np.shape(x) for x in xs]
    if len(set(shapes)) > 1:
        prefix = f"{where}: " if where else ""
        desc = ", ".join(f"{n}{s}" for n, s in zip(names, shapes, strict=False))
        raise ValueError(f"{prefix}shapes must match: {desc}")
