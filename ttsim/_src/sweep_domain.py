"""Domains of swept arguments: checked on the host before anything is compiled.

Inside ``jit`` a model cannot raise on a bad value (α ≤ 0 would give coverage 0, p = NaN
would give 1), so :func:`run_sweep` checks every axis value and fixed value against the
argument's domain first and raises a ValueError naming the axis and the offending value.

Where a domain comes from, first match wins:

1. ``run_sweep(..., domain={name: Domain(...)})`` (user functions, or to override);
2. ``fn.__ttsim_domain__``, a mapping name -> :class:`Domain` a function may carry;
3. :data:`FUNCTION_DOMAINS`, for ttsim functions whose arguments are not canonical names;
4. :data:`CANONICAL_DOMAINS`, the canonical argument names of the glossary (``p`` a
   probability, ``k`` >= 0, ``alpha`` > 0, ...), which mean the same in every ttsim function.

Every numeric value must at least not be NaN. Pytree values (a ``ProblemSet``, a
``ModelConfig``, a ``Hardware``) are left to their own constructors' checks (some use NaN on
purpose for "not known"); arrays already on a device are not copied back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import jax
import numpy as np


class Domain(NamedTuple):
    """Allowed values of an argument: ``lo <= x <= hi`` (open ends as asked), finite if asked."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    finite: bool = False

    def describe(self) -> str:
        if math.isinf(self.hi) and not math.isinf(self.lo):
            text = f"{'>' if self.lo_open else '>='} {self.lo:g}"
        elif math.isinf(self.lo) and math.isinf(self.hi):
            text = "a number (not NaN)"
        else:
            lb, rb = ("(" if self.lo_open else "["), (")" if self.hi_open else "]")
            text = f"in {lb}{self.lo:g}, {self.hi:g}{rb}"
        return text + (" and finite" if self.finite else "")

    def bad(self, v: np.ndarray) -> np.ndarray:
        """Boolean mask of the values outside the domain (NaN always is)."""
        v = np.asarray(v, dtype=np.float64)
        out = np.isnan(v) | ((v <= self.lo) if self.lo_open else (v < self.lo))
        out |= (v >= self.hi) if self.hi_open else (v > self.hi)
        if self.finite:
            out |= ~np.isfinite(v)
        return out


PROBABILITY = Domain(0.0, 1.0)
NONNEGATIVE = Domain(0.0, math.inf, finite=True)
POSITIVE = Domain(0.0, math.inf, lo_open=True, finite=True)
FINITE = Domain(finite=True)
ANY = Domain()  # anything but NaN

CANONICAL_DOMAINS: dict[str, Domain] = {
    "p": PROBABILITY,
    "p0": PROBABILITY,
    "probs": PROBABILITY,
    "q": PROBABILITY,
    "wrong_mode_share": PROBABILITY,
    "tpr": PROBABILITY,
    "fpr": PROBABILITY,
    "k": NONNEGATIVE,
    "t": NONNEGATIVE,
    "m": NONNEGATIVE,
    "n": NONNEGATIVE,
    "c": NONNEGATIVE,
    "num_solutions": NONNEGATIVE,
    "num_verifications": NONNEGATIVE,
    "alpha": POSITIVE,
    "beta": POSITIVE,
    "weight": NONNEGATIVE,
    "mix_weight": NONNEGATIVE,
    "d_prime": FINITE,
    "verify_cost": NONNEGATIVE,
    "lam": NONNEGATIVE,
    "budget": NONNEGATIVE,
    "eps": POSITIVE,
    "prompt_tokens": NONNEGATIVE,
    "gen_tokens": NONNEGATIVE,
    "num_samples": NONNEGATIVE,
}
"""Domains of the glossary's canonical argument names (``docs/`` glossary)."""

FUNCTION_DOMAINS: dict[str, dict[str, Domain]] = {
    # refinement chains: a = P(correct -> correct), b = P(wrong -> correct) per step
    "refinement_accuracy": {"a": PROBABILITY, "b": PROBABILITY},
}
"""Per-function domains of ttsim functions whose arguments are not canonical names."""


def domain_of(fn, name: str, overrides: Mapping[str, Domain] | None = None) -> Domain:
    """The domain of argument ``name`` of ``fn`` (see the module docstring for the order)."""
    if overrides and name in overrides:
        return overrides[name]
    own = getattr(getattr(fn, "func", fn), "__ttsim_domain__", None) or {}
    if name in own:
        return own[name]
    per_fn = FUNCTION_DOMAINS.get(getattr(getattr(fn, "func", fn), "__name__", ""), {})
    if name in per_fn:
        return per_fn[name]
    return CANONICAL_DOMAINS.get(name, ANY)


def _host_values(x):
    """A NumPy view of ``x`` if it is a host value (never copies a device array back)."""
    if isinstance(x, jax.Array):
        return None
    a = np.asarray(x)
    if a.dtype == np.bool_ or not (
        np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
    ):
        return None
    return a


def _check(kind: str, name: str, x, dom: Domain, where: str) -> None:
    v = _host_values(x)
    if v is None or v.size == 0:
        return
    bad = dom.bad(v).reshape(-1)
    if bad.any():
        first = v.reshape(-1)[int(np.argmax(bad))]
        raise ValueError(
            f"{where}: {kind} {name!r} must be {dom.describe()}; got {first.item()!r}"
        )


def check_domains(fn, axes: Mapping, fixed: Mapping, overrides=None, where="run_sweep") -> None:
    """ValueError naming the axis (or fixed argument) and value outside its domain.

    ``axes`` and ``fixed`` map argument names to values (arrays, numbers or pytrees).
    """
    scalar = jax.tree_util.tree_structure(0)
    for kind, group in (("axis", axes), ("fixed argument", fixed)):
        for name, value in group.items():
            if isinstance(value, str) or value is None or isinstance(value, bool):
                continue
            leaves, treedef = jax.tree_util.tree_flatten(value)
            if treedef == scalar:
                _check(kind, name, leaves[0], domain_of(fn, name, overrides), where)
            # pytrees (ProblemSet, ModelConfig, Hardware) validate themselves when built; some
            # use NaN on purpose (e.g. "not known"), so their leaves are not checked here.
