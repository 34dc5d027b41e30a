"""Keeping old public names working: renamed keyword arguments and moved names warn, then work."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable


def renamed_kwargs(**renames: str) -> Callable:
    """Decorator: accept each old keyword ``old=`` as its new name ``renames[old]`` with a DeprecationWarning.

    Passing both the old and the new name is a TypeError. The wrapped function's signature
    (``inspect.signature``) is the new one.
    """

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}: pass {new}= only ({old}= is its deprecated name)")
                    warnings.warn(
                        f"{fn.__name__}: the argument {old}= is deprecated; use {new}=",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return wrapper

    return deco


def deprecated_alias(fn: Callable, old_name: str, new_name: str) -> Callable:
    """A function ``old_name`` that warns (DeprecationWarning, naming ``new_name``) and calls ``fn``."""

    @functools.wraps(fn)
    def alias(*args, **kwargs):
        warnings.warn(f"{old_name} is deprecated; use {new_name}", DeprecationWarning, stacklevel=2)
        return fn(*args, **kwargs)

    alias.__name__ = old_name.rsplit(".", 1)[-1]
    alias.__qualname__ = alias.__name__
    alias.__doc__ = f"Deprecated alias of :func:`{new_name}`.\n\n" + (fn.__doc__ or "")
    return alias
