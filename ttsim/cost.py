"""``ttsim.cost``: what test-time compute costs on real hardware.

Models and accelerators (registries), the Kinetics and roofline cost models, device memory,
FLOPs matching and cost-of-pass, and serving: latency, throughput, tensor/pipeline
parallelism, speculative decoding and energy of a strategy's workload. See
``docs/cost_models.md`` for every formula and its source.
"""

from ttsim._src.cost_of_pass import (
    cost_of_pass,
    cost_of_pass_frontier,
    flops_matched_token_multiplier,
    inference_flops,
    pretraining_flops,
)
from ttsim._src.energy import energy_joules, joules_per_correct, power_watts
from ttsim._src.kinetics_cost import kinetics_cost, kinetics_prompt_tokens
from ttsim._src.latency import ServingCost, latency_percentile, parallel_workload, serving_cost
from ttsim._src.memory import kv_cache_bytes, memory_fit
from ttsim._src.parallel import Communication, tensor_parallel_communication
from ttsim._src.registry import get_hardware, get_model, load_hardware, load_models
from ttsim._src.roofline import roofline_cost
from ttsim._src.specs import (
    Cost,
    CostOfPassFrontier,
    Hardware,
    MemoryFit,
    ModelConfig,
    stack_hardware,
    stack_models,
)
from ttsim._src.speculative import Speculative, expected_tokens_per_step

__all__ = [
    "Communication",
    "Cost",
    "CostOfPassFrontier",
    "Hardware",
    "MemoryFit",
    "ModelConfig",
    "ServingCost",
    "Speculative",
    "cost_of_pass",
    "cost_of_pass_frontier",
    "energy_joules",
    "expected_tokens_per_step",
    "flops_matched_token_multiplier",
    "get_hardware",
    "get_model",
    "inference_flops",
    "joules_per_correct",
    "kinetics_cost",
    "kinetics_prompt_tokens",
    "kv_cache_bytes",
    "latency_percentile",
    "load_hardware",
    "load_models",
    "memory_fit",
    "parallel_workload",
    "power_watts",
    "pretraining_flops",
    "roofline_cost",
    "serving_cost",
    "stack_hardware",
    "stack_models",
    "tensor_parallel_communication",
]
