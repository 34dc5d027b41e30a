"""Which functions a sweep may name (an allow-list of ``@traceable`` functions) and TOML configs."""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np

from ttsim._src.sweep_grid import sweep_axis
from ttsim._src.traceable import is_traceable

_NAMESPACES = ("populations", "strategies", "cost", "laws", "logs", "optim")
"""Sub-namespaces of ttsim searched (after ``ttsim.*``) for traceable functions."""


def _public_functions() -> dict[str, Callable[..., Any]]:
    """Public ttsim callables by short name (``ttsim.*`` first, then the sub-namespaces)."""
    import ttsim

    out: dict[str, Callable[..., Any]] = {}
    for name in getattr(ttsim, "__all__", ()):
        obj = getattr(ttsim, name, None)
        if callable(obj) and not inspect.isclass(obj):
            out.setdefault(name, obj)
    for ns in _NAMESPACES:
        try:
            mod = importlib.import_module(f"ttsim.{ns}")
        except ImportError:
            continue
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name, None)
            if callable(obj) and not inspect.isclass(obj):
                out.setdefault(name, obj)
    return out


def sweepable_functions() -> list[str]:
    r"""Names of the public ttsim functions a sweep config may name: those marked ``@traceable``.

    .. math:: \{\, f \text{ public in ttsim} : f \text{ is marked } \texttt{@traceable} \,\}

    An allow-list: pure, jit/vmap-traceable array functions only. Host-only functions (file
    readers, estimators on logs, ``optimize_allocation``, ``compute_to_match``) are never offered.

    References: ttsim's sweep CLI; the marker is :func:`ttsim._src.traceable.traceable`.
    """
    return sorted(name for name, obj in _public_functions().items() if is_traceable(obj))


def resolve_sweep_function(name: str) -> Callable[..., Any]:
    r"""The traceable public ttsim function called ``name``; ValueError with close matches otherwise.

    .. math:: \texttt{name} \mapsto \texttt{getattr(ttsim, name)}

    References: ttsim's sweep CLI.
    """
    public = _public_functions()
    allowed = sorted(n for n, obj in public.items() if is_traceable(obj))
    if name in public and name not in allowed:
        raise ValueError(
            f"function: {name!r} is not sweepable: it is not a jit-traceable array function "
            "(see ttsim.sweep.sweepable_functions())"
        )
    if name not in allowed:
        close = difflib.get_close_matches(str(name), allowed, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; sweepable: {', '.join(allowed)}"
        raise ValueError(f"function: {name!r} is not a sweepable ttsim function{hint}")
    return public[name]


class SweepConfig(NamedTuple):
    """A parsed sweep configuration (see :func:`load_sweep_config`)."""

    function: str
    fn: Callable[..., Any]
    axes: dict[str, Any]
    fixed: dict[str, Any]
    chunk_size: int
    seed: int | None
    labels: dict[str, list[str]]


def _named_object(param: str, value: str, where: str):
    """Resolve a string given for ``param`` through ``ttsim.get_<param>`` (e.g. model, hardware)."""
    import ttsim

    getter = getattr(ttsim, f"get_{param}", None)
    if getter is None:
        raise ValueError(f"{where}: string values are only allowed for parameters with a ttsim.get_{param} registry")
    try:
        return getter(value)
    except (ValueError, KeyError) as err:
        raise ValueError(f"{where}: {err}") from None


def _numbers(values: list, key: str) -> np.ndarray:
    """A list of TOML numbers as int64 (all integers) or float64; ValueError naming ``key``."""
    dtype = np.int64 if all(isinstance(x, int) for x in values) else np.float64
    try:
        return np.asarray(values, dtype=dtype)
    except OverflowError:
        raise ValueError(f"{key}: integers must fit in 64 bits (|x| < 2**63)") from None


def _parse_axis(name: str, spec, where: str):
    key = f"{where}axes.{name}"
    if isinstance(spec, dict):
        unknown = set(spec) - {"start", "stop", "num", "log", "integer"}
        if unknown:
            raise ValueError(f"{key}: unknown key(s) {sorted(unknown)} (allowed: start, stop, num, log, integer)")
        for req in ("start", "stop", "num"):
            if req not in spec:
                raise ValueError(f"{key}.{req} is missing")
        for fld in ("start", "stop"):
            if not isinstance(spec[fld], (int, float)) or isinstance(spec[fld], bool):
                raise ValueError(f"{key}.{fld} must be a number; got {spec[fld]!r}")
        if not isinstance(spec["num"], int) or isinstance(spec["num"], bool) or spec["num"] < 1:
            raise ValueError(f"{key}.num must be an integer >= 1; got {spec['num']!r}")
        for fld in ("log", "integer"):
            if not isinstance(spec.get(fld, False), bool):
                raise ValueError(f"{key}.{fld} must be true or false; got {spec[fld]!r}")
        try:
            return sweep_axis(spec["start"], spec["stop"], spec["num"], log=spec.get("log", False),
                              integer=spec.get("integer", False)), None
        except ValueError as err:
            raise ValueError(f"{key}: {str(err).split(': ', 1)[-1]}") from None
    if isinstance(spec, list) and spec:
        if all(isinstance(x, str) for x in spec):
            objs = [_named_object(name, x, key) for x in spec]
            mod = importlib.import_module("ttsim")
            stack = getattr(mod, f"stack_{name}s", None) or getattr(mod, f"stack_{name}", None)
            if stack is not None:  # e.g. ttsim.stack_models: joins names, stacks the numbers
                return stack(objs), list(spec)
            return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *objs), list(spec)
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in spec):
            return _numbers(spec, key), None
    raise ValueError(f"{key} must be a non-empty list of numbers (or names) or a table {{start, stop, num, log}}")


def load_sweep_config(path: str | os.PathLike) -> SweepConfig:
    r"""Parse a TOML sweep configuration.

    .. code-block:: toml

        function = "beta_coverage"      # a traceable ttsim function (see sweepable_functions())
        chunk_size = 65536              # optional
        # seed = 0                      # only for Monte Carlo functions (those taking key)
        [axes]
        alpha = {start = 0.05, stop = 5.0, num = 40, log = true}
        beta = [0.5, 1.0, 2.0]
        [fixed]
        k = 100

    .. math:: \text{axes} \to \prod_j A_j, \quad \text{fixed} \to \text{keyword arguments}

    Raises:
      ValueError: naming the file and the offending key (unknown function, unknown parameter,
        malformed axis, missing required parameter).

    References: ttsim's sweep CLI.
    """
    from ttsim._src.registry import read_toml

    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a folder, not a TOML file")
    try:
        cfg = read_toml(path, "sweep config")
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    except OSError as err:
        raise ValueError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    where = f"{path}: "
    unknown = set(cfg) - {"function", "axes", "fixed", "chunk_size", "seed"}
    if unknown:
        raise ValueError(f"{where}unknown key(s) {sorted(unknown)} (allowed: function, axes, fixed, chunk_size, seed)")
    if "function" not in cfg or not isinstance(cfg["function"], str):
        raise ValueError(f"{where}function must be the name of a ttsim function")
    try:
        fn = resolve_sweep_function(cfg["function"])
    except ValueError as err:
        raise ValueError(f"{where}{err}") from None
    axes_cfg = cfg.get("axes")
    if not isinstance(axes_cfg, dict) or not axes_cfg:
        raise ValueError(f"{where}axes must be a table with at least one axis")
    fixed_cfg = cfg.get("fixed", {})
    if not isinstance(fixed_cfg, dict):
        raise ValueError(f"{where}fixed must be a table")
    chunk_size = cfg.get("chunk_size", 1 << 16)
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"{where}chunk_size must be an integer >= 1; got {chunk_size!r}")
    seed = cfg.get("seed")
    if seed is not None and (
        not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32
    ):
        raise ValueError(f"{where}seed must be an integer in [0, 2**32); got {seed!r}")

    params = inspect.signature(fn).parameters
    has_var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for section, keys in (("axes", axes_cfg), ("fixed", fixed_cfg)):
        for name in keys:
            if name not in params and not has_var_kw:
                close = difflib.get_close_matches(name, list(params), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ValueError(
                    f"{where}{section}.{name}: {cfg['function']} has no parameter {name!r} "
                    f"(parameters: {', '.join(params)}){hint}"
                )
    both = set(axes_cfg) & set(fixed_cfg)
    if both:
        raise ValueError(f"{where}axes.{sorted(both)[0]} is also given in fixed")
    fname = cfg["function"]
    if "key" in axes_cfg or "key" in fixed_cfg:
        raise ValueError(f"{where}key: give seed = <int> instead; the sweep derives each point's key")
    if seed is not None and "key" not in params:
        raise ValueError(
            f"{where}seed: {fname} is deterministic (it takes no key), so a seed would have no "
            "effect; remove the seed line"
        )
    if seed is None and "key" in params and params["key"].default is inspect.Parameter.empty:
        raise ValueError(f"{where}seed: {fname} is a Monte Carlo function (it needs a key); add seed = <int>")
    given = set(axes_cfg) | set(fixed_cfg) | {"key"}
    for name, p in params.items():
        if (
            p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and name not in given
        ):
            raise ValueError(f"{where}{fname} needs {name!r}: add it to axes or fixed")

    axes, labels = {}, {}
    for name, spec in axes_cfg.items():
        values, lab = _parse_axis(name, spec, where)
        axes[name] = values
        if lab is not None:
            labels[name] = lab
    fixed = {}
    for name, value in fixed_cfg.items():
        key = f"{where}fixed.{name}"
        if isinstance(value, str):
            has_registry = hasattr(importlib.import_module("ttsim"), f"get_{name}")
            fixed[name] = _named_object(name, value, key) if has_registry else value
        elif isinstance(value, (bool, int, float)):
            fixed[name] = _numbers([value], key)[0].item() if type(value) is int else value
        elif isinstance(value, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
            fixed[name] = _numbers(value, key)
        else:
            raise ValueError(f"{key} must be a number, a list of numbers or a registry name; got {value!r}")
    return SweepConfig(cfg["function"], fn, axes, fixed, chunk_size, seed, labels)
