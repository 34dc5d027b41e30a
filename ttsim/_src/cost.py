"""Hardware-aware cost models (compatibility module: re-exports the cost API from its modules).

The code lives in one module per concept: :mod:`ttsim._src.specs` (ModelConfig, Hardware,
Cost, MemoryFit), :mod:`ttsim._src.kinetics_cost`, :mod:`ttsim._src.roofline`,
:mod:`ttsim._src.memory`, :mod:`ttsim._src.cost_of_pass`, and the serving models
(:mod:`ttsim._src.parallel`, :mod:`ttsim._src.serving`, :mod:`ttsim._src.speculative`,
:mod:`ttsim._src.latency`, :mod:`ttsim._src.energy`).
"""

from ttsim._src.cost_of_pass import (  # noqa: F401
    cost_of_pass,
    cost_of_pass_frontier,
    flops_matched_token_multiplier,
    inference_flops,
    pretraining_flops,
)
from ttsim._src.kinetics_cost import _kinetics_impl, kinetics_cost, kinetics_prompt_tokens  # noqa: F401
from ttsim._src.memory import _memory_fit_impl, kv_cache_bytes, memory_fit  # noqa: F401
from ttsim._src.roofline import _roofline_impl, roofline_cost  # noqa: F401
from ttsim._src.specs import (  # noqa: F401
    KINETICS_ATTENTION,
    ROOFLINE_ATTENTION,
    Cost,
    CostOfPassFrontier,
    Hardware,
    MemoryFit,
    ModelConfig,
    stack_hardware,
    stack_models,
)
