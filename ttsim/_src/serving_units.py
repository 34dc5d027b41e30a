r"""The optimizer's serving cost units: ``latency_seconds`` and ``joules`` (registered on import).

==================  ========================================================================
unit                per-problem cost of a strategy's workload
==================  ========================================================================
``latency_seconds`` end-to-end seconds of one query on one chip, alone in flight (``C = 1``):
                    :func:`ttsim.cost.serving_cost` ``.seconds`` (critical path: phases and
                    their rounds one after another, each round's generations side by side)
``joules``          energy of that query, :func:`ttsim.cost.serving_cost` ``.joules``
                    (NaN on hardware without a published TDP)
==================  ========================================================================

A budget in ``latency_seconds`` is a latency target averaged over problems; other set-ups
(concurrency, tensor parallelism, speculative decoding) are units a user registers the same way,
e.g. ``CostUnit("latency_c8", lambda w, d, m, h: serving_cost(m, h, w, d.prompt_tokens,
d.gen_tokens, concurrency=8.0).seconds, needs_model=True, needs_hardware=True)``.

References: Kwon et al., `PagedAttention <https://arxiv.org/abs/2309.06180>`_, 2023;
Patterson et al., `Carbon Emissions and Large Neural Network Training
<https://arxiv.org/abs/2104.10350>`_, 2021.
"""

from __future__ import annotations

from ttsim._src.cost_units import CostUnit, get_cost_unit, register_cost_unit
from ttsim._src.latency import serving_cost


def _serving_field(field: str):
    def cost(workload, data, model, hardware):
        kv = data.kv_budget
        out = serving_cost(model, hardware, workload, data.prompt_tokens, data.gen_tokens,
                           attention="dense" if kv is None else "topk", kv_budget=kv)
        return getattr(out, field)

    cost.__name__ = f"{field}_serving_cost"
    return cost


def _register(name: str, field: str, description: str) -> None:
    try:
        get_cost_unit(name)
    except ValueError:
        register_cost_unit(CostUnit(name, _serving_field(field), needs_model=True, needs_hardware=True,
                                    description=description))


_register("latency_seconds", "seconds", "serving model: end-to-end seconds per query (one chip, concurrency 1)")
_register("joules", "joules", "serving model: joules per query (TDP while busy; NaN without a published TDP)")
