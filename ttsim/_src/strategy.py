r"""The strategy contract: a test-time strategy is a *value*, not a branch in ttsim.

A :class:`Strategy` is a NamedTuple of pure functions (the optax ``GradientTransformation``
idiom). ttsim's optimizer, Pareto fronts, sweeps, cost and latency models consume any value of
this type, so a user adds a strategy in their own file without editing ttsim.

* ``accuracy(p, params) -> Array``: expected accuracy on one problem whose per-sample success
  probability is ``p``. Pure and jittable; ``p`` and the leaves of ``params`` broadcast against
  each other, so the same function serves one problem, a population (``population.expect``) and
  a grid of parameters (``vmap``).
* ``workload(params) -> Workload``: the generations it spends, in units of one solution's length
  ``L`` (tokens are ``length * L``), grouped in :class:`Phase` s that run one after another.
* ``params``: the default parameters pytree of this strategy's own constants (its own NamedTuple;
  never a union of every strategy's constants). Swept quantities are array leaves.

Workload convention (shared by the cost, latency and optimizer code):

====================  ==========================================================================
field of a Phase      meaning
====================  ==========================================================================
``count``             generations that run side by side in this phase (e.g. N samples, M chains)
``length``            tokens each of those generations produces over the whole phase, in L units
``depth``             rounds the phase takes one after another (1: one parallel batch; T for a
                      chain of T generations; the number of steps of a beam search). ``length``
                      is the total over all rounds, so each round generates ``length / depth``.
``context``           extra prompt each generation reads, in L units (a verification reads the
                      solution it checks: 1), on top of the problem's prompt
``role``              which model generates: ``"solver"``, ``"verifier"`` or ``"prm"`` (static)
====================  ==========================================================================

Total solution-equivalents ("samples" unit) are :math:`\sum_{\rm phases} \mathrm{count}\cdot
\mathrm{length}`; the critical path (latency) is :math:`\sum_{\rm phases} \mathrm{depth}` rounds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax

ROLES = ("solver", "verifier", "prm")


class Phase(NamedTuple):
    """One batch of generations of a strategy's workload (see the module docstring)."""

    count: jax.Array
    length: jax.Array
    depth: jax.Array
    context: jax.Array
    role: str = "solver"


# Phase.role is static metadata: it must not become a pytree leaf under jit/vmap.
jax.tree_util.register_pytree_node(
    Phase,
    lambda ph: ((ph.count, ph.length, ph.depth, ph.context), ph.role),
    lambda role, xs: Phase(*xs, role=role),
)


class Workload(NamedTuple):
    """The phases of a strategy's work, run one after another."""

    phases: tuple[Phase, ...]


class Strategy(NamedTuple):
    """A test-time strategy as a value: ``accuracy(p, params)``, ``workload(params)``, defaults.

    Attributes:
      name: short name used in tables, JSON and the CLI.
      accuracy: ``(p, params) -> Array`` expected accuracy on a problem of per-sample success p.
      workload: ``params -> Workload``.
      params: default parameters (a pytree of this strategy's own constants).
    """

    name: str
    accuracy: Callable[[jax.Array, Any], jax.Array]
    workload: Callable[[Any], Workload]
    params: Any
