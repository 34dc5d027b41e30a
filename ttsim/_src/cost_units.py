r"""Cost units as values: how a strategy's workload becomes a per-problem cost.

A :class:`CostUnit` is a value, ``cost(workload, data, model, hardware) -> per-problem cost``,
registered by name (:func:`register_cost_unit`); the optimizer's budget is the average cost per
problem in the unit named by :class:`CostSpec` ``.unit``. ttsim registers

==================  ========================================================================
unit                per-problem cost of a workload (phases run one after another)
==================  ========================================================================
``samples``         :math:`\sum_\phi n_\phi \ell_\phi` solution-equivalents
``tokens``          :math:`\sum_\phi n_\phi \ell_\phi L` generated tokens
``flops``,          Kinetics cost model (:func:`ttsim.kinetics_cost`) of each phase: prompt
``memory_bytes``,   :math:`c + \mathrm{context}_\phi L`, :math:`n_\phi` generations of
``eflops``          :math:`\ell_\phi L` tokens
``seconds``,        roofline cost model (:func:`ttsim.roofline_cost`) of each phase
``dollars``
==================  ========================================================================

and another module (e.g. a latency or an energy model) adds its own unit by registering a
value — no edit here. A unit sees the problems through :class:`ProblemData` whose arrays end in
a singleton axis that broadcasts against the workload's ``(J,)`` leaves.

References: Sadhukhan et al., `Kinetics <https://arxiv.org/abs/2506.05333>`_, 2025 (eFLOPs);
Williams et al., Roofline, CACM 2009.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ttsim._src.strategy import Workload

__all__ = (
    "CostSpec",
    "CostUnit",
    "ProblemData",
    "cost_spec",
    "cost_units",
    "get_cost_unit",
    "register_cost_unit",
    "workload_phase_costs",
)


class ProblemData(NamedTuple):
    """What a cost unit sees of the problems (arrays broadcast against the workload leaves ``(J,)``).

    Attributes:
      prompt_tokens: prompt length in tokens, shape ``(..., 1)``.
      gen_tokens: one solution's length L in tokens, shape ``(..., 1)``.
      kv_budget: attention of the model entry: ``None`` (dense) or a top-k KV budget (static).
    """

    prompt_tokens: jax.Array
    gen_tokens: jax.Array
    kv_budget: float | None = None


class CostUnit(NamedTuple):
    """A cost unit: ``cost(workload, data, model, hardware) -> per-problem cost`` (broadcast shape).

    Attributes:
      name: the unit's name (``CostSpec.unit``, ``[cost] unit`` in ``ttsim optimize`` configs).
      cost: the function; ``model``/``hardware`` are a :class:`ttsim.ModelConfig` /
        :class:`ttsim.Hardware` (or None when the unit needs none).
      needs_model: the unit needs a model configuration per option.
      needs_hardware: the unit needs a hardware profile per option.
      description: one line for help texts.
    """

    name: str
    cost: Callable[[Workload, ProblemData, Any, Any], jax.Array]
    needs_model: bool = False
    needs_hardware: bool = False
    description: str = ""


_UNITS: dict[str, CostUnit] = {}


def register_cost_unit(unit: CostUnit, *, overwrite: bool = False) -> CostUnit:
    """Add ``unit`` to the registry (ValueError if the name is taken, unless ``overwrite``)."""
    if not isinstance(unit, CostUnit):
        raise ValueError(f"unit: expected a ttsim CostUnit; got {type(unit).__name__}")
    if unit.name in _UNITS and not overwrite:
        raise ValueError(f"unit: a cost unit named {unit.name!r} is already registered (pass overwrite=True)")
    _UNITS[unit.name] = unit
    return unit


def get_cost_unit(name) -> CostUnit:
    """The registered unit ``name`` (a :class:`CostUnit` is returned as is); ValueError otherwise."""
    if isinstance(name, CostUnit):
        return name
    _load_shipped_units()
    if name not in _UNITS:
        raise ValueError(f"unit: must be one of {', '.join(_UNITS)}; got {name!r}")
    return _UNITS[name]


def _load_shipped_units() -> None:
    """Register the units ttsim ships in other modules (the serving units) on first use."""
    from ttsim._src import serving_units  # noqa: F401  (registers latency_seconds and joules)


def cost_units() -> tuple[str, ...]:
    """Names of the registered cost units."""
    _load_shipped_units()
    return tuple(_UNITS)


def workload_phase_costs(workload: Workload, data: ProblemData, batch_cost) -> jax.Array:
    r"""Sum over phases of ``batch_cost(prompt, gen, count)``: each phase's generations read the
    prompt plus ``context`` solutions and write ``length`` solutions each.

    .. math:: \mathrm{cost} = \sum_\phi \mathrm{batch}(c + \mathrm{ctx}_\phi L,\ \ell_\phi L,\ n_\phi)

    Empty phases (count 0) cost nothing.
    """
    total = 0.0
    L, c = data.gen_tokens, data.prompt_tokens
    for ph in workload.phases:
        count = ph.count * jnp.ones_like(L)
        part = batch_cost(c + ph.context * L, ph.length * L, count)
        total = total + jnp.where(count > 0, part, 0.0)
    return total


def _samples(workload, data, model, hardware):
    total = 0.0
    for ph in workload.phases:
        total = total + ph.count * ph.length
    return total * jnp.ones_like(data.gen_tokens)


def _tokens(workload, data, model, hardware):
    return workload_phase_costs(workload, data, lambda prompt, gen, count: count * gen)


def _model_unit(field: str, kinetics: bool):
    def cost(workload, data, model, hardware):
        from ttsim._src import cost as cost_mod

        kv = data.kv_budget

        def batch(prompt, gen, count):
            count_safe = jnp.maximum(count, 1.0)  # the cost models need N >= 1; empty batches are masked
            if kinetics:
                c = cost_mod.kinetics_cost(model, hardware, prompt, gen, count_safe, kv_budget=kv)
            else:
                attention = "dense" if kv is None else "topk"
                c = cost_mod.roofline_cost(model, hardware, prompt, gen, count_safe, attention=attention, kv_budget=kv)
            return getattr(c, field)

        return workload_phase_costs(workload, data, batch)

    cost.__name__ = f"{field}_cost"
    return cost


register_cost_unit(CostUnit("samples", _samples, description="solution-equivalents: sum of count x length"))
register_cost_unit(CostUnit("tokens", _tokens, description="generated tokens"))
for _field in ("flops", "memory_bytes", "eflops"):
    # FLOPs and bytes do not depend on the chip; eFLOPs (Kinetics) do (its arithmetic intensity)
    register_cost_unit(CostUnit(_field, _model_unit(_field, True), needs_model=True,
                                needs_hardware=_field == "eflops", description=f"Kinetics cost model: {_field}"))
for _field in ("seconds", "dollars"):
    register_cost_unit(CostUnit(_field, _model_unit(_field, False), needs_model=True, needs_hardware=True,
                                description=f"roofline cost model: {_field}"))


class CostSpec(NamedTuple):
    """How an option's workload becomes cost.

    Attributes:
      unit: a registered unit name (:func:`cost_units`), e.g. ``"samples"``: solution-equivalents
        (k for best-of-k, m·t for a hybrid, S(1+λV) for a split); ``"tokens"``: generated
        tokens; ``"flops"``, ``"memory_bytes"``, ``"eflops"``: the Kinetics cost model;
        ``"seconds"``, ``"dollars"``: the roofline cost model.
      models: tuple of :class:`ttsim.ModelConfig`, indexed by an option's ``model``.
      hardware: tuple of :class:`ttsim.Hardware`, indexed by an option's ``hardware``.
      kv_budget: attention of each model entry: ``None`` (dense) or a top-k KV budget in tokens
        (sparse attention) — one value for all models, or a tuple aligned with ``models``.
    """

    unit: str = "samples"
    models: tuple = ()
    hardware: tuple = ()
    kv_budget: float | tuple | None = None

    def kv_for(self, model_index: int):
        """The KV budget (None = dense) of model entry ``model_index``."""
        if isinstance(self.kv_budget, tuple):
            kv = self.kv_budget[model_index]
            return None if kv is None or kv == 0 else float(kv)
        return self.kv_budget


def cost_spec(unit: str = "samples", *, models=(), hardware=(), kv_budget=None) -> CostSpec:
    r"""A validated :class:`CostSpec`; model and hardware may be given by registry name.

    .. math:: \text{cost}(o) = \sum_{\rm phases} \mathrm{unit}(\text{model}, \text{hardware}, c + \mathrm{ctx}\,L, \ell L, n)

    Raises:
      ValueError: an unknown unit, or a unit that needs models/hardware without them.
    """
    u = get_cost_unit(unit)
    if isinstance(models, (str,)) or not isinstance(models, (tuple, list)):
        models = (models,)
    if isinstance(hardware, (str,)) or not isinstance(hardware, (tuple, list)):
        hardware = (hardware,)
    if u.needs_model or u.needs_hardware or models or hardware:
        from ttsim._src import registry

        models = tuple(registry.get_model(x) if isinstance(x, str) else x for x in models)
        hardware = tuple(registry.get_hardware(x) if isinstance(x, str) else x for x in hardware)
    if u.needs_model and not models:
        raise ValueError(f"models: cost unit {u.name!r} needs at least one model configuration")
    if u.needs_hardware and not hardware:
        raise ValueError(f"hardware: cost unit {u.name!r} needs at least one hardware profile")
    if isinstance(kv_budget, (list, tuple)):
        kv_budget = tuple(None if x is None or x == 0 else float(x) for x in kv_budget)
        if len(kv_budget) != len(models):
            raise ValueError(f"kv_budget: {len(kv_budget)} entries but {len(models)} model(s); give one per model (0 = dense)")
        if any(x is not None and x <= 0 for x in kv_budget):
            raise ValueError("kv_budget: top-k budgets must be > 0 tokens (0 or None = dense)")
    elif kv_budget is not None and float(kv_budget) <= 0:
        raise ValueError(f"kv_budget: must be > 0 tokens; got {kv_budget}")
    return CostSpec(unit=u.name, models=tuple(models), hardware=tuple(hardware), kv_budget=kv_budget)
