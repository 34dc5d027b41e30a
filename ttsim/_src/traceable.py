"""Marking public functions that are pure array functions (jit/vmap-traceable, so sweepable).

``ttsim sweep`` and :func:`ttsim.sweep.sweepable_functions` list only functions marked here
(an allow-list): host-only helpers (file readers, optimizers that run NumPy) are never offered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

_ATTR = "__ttsim_traceable__"


def traceable(fn: F) -> F:
    """Mark ``fn`` as a pure, jit-traceable array function (a candidate for sweeps)."""
    setattr(fn, _ATTR, True)
    return fn


def is_traceable(fn) -> bool:
    """Whether ``fn`` was marked with :func:`traceable`."""
    return bool(getattr(fn, _ATTR, False))
