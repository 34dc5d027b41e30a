"""Argument checks for the public API: run outside jit, raise ValueError naming the argument.

Shapes are always checked. Values are checked when they are on the host: Python numbers and
lists, NumPy arrays, and the JAX arrays that ttsim itself made from such inputs with
:func:`asarray` (their host values are remembered, so checking them copies nothing back).
Values of JAX arrays that were already on the device are *not* copied back to the host to be
checked (the issue of a device-to-host round trip on every call), unless device checks are
switched on with :func:`check_device_arrays` or the environment variable
``TTSIM_CHECK_DEVICE_ARRAYS=1``. Tracers are never checked, so public functions stay usable
under ``jax.jit`` and ``jax.vmap``.
"""

from __future__ import annotations

import contextlib
import os
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src.numerics import is_concrete

_CHECK_DEVICE = [os.environ.get("TTSIM_CHECK_DEVICE_ARRAYS", "").strip().lower() in ("1", "true", "yes", "on")]

# id(jax array made by asarray) -> (weak reference to it, its host values).
_HOST_VALUES: dict[int, tuple[weakref.ref, np.ndarray]] = {}


def _forget(key: int):
    def callback(_ref):
        _HOST_VALUES.pop(key, None)

    return callback


def check_device_arrays(enabled: bool = True):
    """Check the values of JAX arrays already on the device too (a host copy per argument).

    By default ttsim validates the values of Python and NumPy inputs at every public
    function, and only the shapes of JAX arrays: copying a device array back to the host on
    every call would cost more than many of the models. Switch value checks of device arrays
    on while debugging, either globally (the environment variable
    ``TTSIM_CHECK_DEVICE_ARRAYS=1``, or ``check_device_arrays()`` called as a function) or
    for a block::

        with ttsim.check_device_arrays():
            ttsim.coverage(jnp.asarray([1.5]), 4)   # ValueError: p must lie in [0, 1] ...

    Args:
      enabled: switch the checks on (True) or off (False).

    Returns:
      a context manager that restores the previous setting on exit (the setting holds
      from the call on, whether or not it is used in a ``with`` statement).
    """
    previous = _CHECK_DEVICE[0]
    _CHECK_DEVICE[0] = bool(enabled)

    @contextlib.contextmanager
    def restore():
        try:
            yield
        finally:
            _CHECK_DEVICE[0] = previous

    return restore()


def asarray(x, dtype=None):
    """``jnp.asarray(x, dtype)`` that remembers the host values of host inputs for the checks.

    A JAX array or tracer is converted on the device and not remembered; for anything else
    (Python numbers, NumPy arrays) the input's host values are kept beside the result, as long
    as the result lives, so checking it needs no device-to-host copy.
    """
    out = jnp.asarray(x, dtype)
    if isinstance(x, jax.Array) or not is_concrete(x) or not isinstance(out, jax.Array):
        return out
    try:
        host = np.asarray(x)  # the input's own values (no copy for a NumPy array)
    except Exception:  # noqa: BLE001 - not representable on the host: leave it unremembered
        return out
    return _keep(out, host)


def _keep(out, host):
    """Remember ``host`` as the values of the device array ``out`` (while ``out`` lives)."""
    key = id(out)
    _HOST_VALUES[key] = (weakref.ref(out, _forget(key)), host)
    return out


def _known(x):
    """The remembered host values of ``x``, or None."""
    known = _HOST_VALUES.get(id(x)) if isinstance(x, jax.Array) else None
    return known[1] if known is not None and known[0]() is x else None


def _values(x):
    """Host values of ``x`` for a value check, or None when they are not to be checked."""
    if not is_concrete(x):
        return None
    if isinstance(x, jax.Array):
        known = _known(x)
        if known is not None:
            return known
        if not _CHECK_DEVICE[0]:
            return None
    return static_values(x)


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


def static_values(x):
    """Host values of a concrete ``x`` (a device array is copied): for static sizes derived from values."""
    if not is_concrete(x):
        return None
    try:
        return np.asarray(x)
    except Exception:  # noqa: BLE001 - e.g. abstract values inside custom transforms
        return None


def broadcast_arrays(*xs):
    """``jnp.broadcast_arrays`` keeping the host values of arrays made by :func:`asarray` checkable."""
    out = jnp.broadcast_arrays(*xs)
    for x, o in zip(xs, out, strict=True):
        known = _known(x)
        if known is not None and isinstance(o, jax.Array) and o is not x:
            _keep(o, np.broadcast_to(known, o.shape))
    return out


def astype(x, dtype):
    """``x.astype(dtype)`` keeping the host values of an array made by :func:`asarray` checkable."""
    out = x.astype(dtype)
    known = _known(x)
    if known is not None and isinstance(out, jax.Array) and out is not x:
        _keep(out, known)
    return out
