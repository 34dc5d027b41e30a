"""ttsim: simulate, cost and optimise test-time compute.

Jitted probabilistic models of test-time scaling (parallel sampling, voting, verifiers,
sequential refinement), hardware-aware cost models, a search for the compute-optimal
allocation of a budget, and sweeps that scale over devices.

About thirty core names live here (``ttsim.<name>``); everything else lives in a
sub-namespace that follows the data path::

    ttsim.logs        sample logs and estimators        ttsim.laws      scaling-law fits
    ttsim.populations populations of problems           ttsim.accuracy  per-problem accuracy models
    ttsim.strategies  test-time strategies as values    ttsim.cost      models, hardware, cost
    ttsim.optim       allocation, optimizer, Pareto     ttsim.sweep     sweeps over devices
    ttsim.testing     property tests for scaling laws   ttsim.kernels   Pallas kernels

The package is lazy (PEP 562): ``import ttsim`` imports neither JAX nor SciPy; a name is
imported on first use. Names that left the top level still resolve here, with a
``DeprecationWarning`` naming their new home. ``ttsim._src`` is private.
"""

from __future__ import annotations

import importlib
import warnings

__version__ = "0.1.0"

# Core names: ttsim.<name> -> defining module.
_CORE = {
    "answer_probs": "ttsim._src.vote",
    "best_of_n": "ttsim._src.verifier",
    "beta_coverage": "ttsim._src.coverage",
    "beta_population": "ttsim._src.population",
    "check_device_arrays": "ttsim._src.validation",
    "check_law": "ttsim._src.laws",
    "coverage": "ttsim._src.coverage",
    "empirical_population": "ttsim._src.population",
    "estimate_maj_at_k": "ttsim._src.logs",
    "estimate_pass_at_k": "ttsim._src.logs",
    "fit_beta": "ttsim._src.population",
    "fit_law": "ttsim._src.laws",
    "genrm_accuracy": "ttsim._src.verification",
    "get_hardware": "ttsim._src.registry",
    "get_model": "ttsim._src.registry",
    "Hardware": "ttsim._src.cost",
    "hybrid_accuracy": "ttsim._src.sequential",
    "kinetics_cost": "ttsim._src.cost",
    "majority_vote": "ttsim._src.vote",
    "ModelConfig": "ttsim._src.cost",
    "optimize_allocation": "ttsim._src.optimize",
    "OptimizeResult": "ttsim._src.optimize",
    "pareto_front": "ttsim._src.pareto",
    "pass_at_k": "ttsim._src.coverage",
    "population_coverage": "ttsim._src.coverage",
    "ProblemSet": "ttsim._src.population",
    "read_sample_log": "ttsim._src.logs",
    "refinement_accuracy": "ttsim._src.sequential",
    "roofline_cost": "ttsim._src.cost",
    "run_sweep": "ttsim._src.sweep",
    "saturation_point": "ttsim._src.saturation",
    "SweepConfig": "ttsim._src.sweep",
    "Strategy": "ttsim._src.strategy",
    "Phase": "ttsim._src.strategy",
}

# Names that left the top level: ttsim.<name> -> (defining module, where it lives now).
_MOVED = {
    "allocate": ("ttsim._src.optimize", "ttsim.optim.allocate"),
    "Allocation": ("ttsim._src.allocation", "ttsim.optim.Allocation"),
    "allocation_objective": ("ttsim._src.allocation", "ttsim.optim.allocation_objective"),
    "allocation_pass_at_k": ("ttsim._src.allocation", "ttsim.optim.allocation_pass_at_k"),
    "auc_to_d_prime": ("ttsim._src.verifier", "ttsim.accuracy.auc_to_d_prime"),
    "best_accuracy_within": ("ttsim._src.pareto", "ttsim.optim.best_within(...).accuracy"),
    "best_hybrid_split": ("ttsim._src.sequential", "ttsim.accuracy.best_hybrid_split"),
    "best_of_n_binormal": ("ttsim._src.verifier", "ttsim.accuracy.best_of_n_binormal"),
    "best_within": ("ttsim._src.pareto", "ttsim.optim.best_within"),
    "beta_binomial_log_likelihood": ("ttsim._src.population", "ttsim.populations.beta_binomial_log_likelihood"),
    "beta_mixture_coverage": ("ttsim._src.coverage", "ttsim.accuracy.beta_mixture_coverage"),
    "beta_mixture_population": ("ttsim._src.population", "ttsim.populations.beta_mixture_population"),
    "beta_refinement_population": ("ttsim._src.sequential", "ttsim.populations.beta_refinement_population"),
    "BetaFit": ("ttsim._src.population", "ttsim.populations.BetaFit"),
    "BetaMixtureFit": ("ttsim._src.population", "ttsim.populations.BetaMixtureFit"),
    "bin_population": ("ttsim._src.optimize", "ttsim.optim.bin_population"),
    "BinnedPopulation": ("ttsim._src.optimize", "ttsim.optim.BinnedPopulation"),
    "bootstrap_ci": ("ttsim._src.logs", "ttsim.logs.bootstrap_ci"),
    "budget_counts": ("ttsim._src.token_budget", "ttsim.accuracy.budget_counts"),
    "BudgetChoice": ("ttsim._src.pareto", "ttsim.optim.BudgetChoice"),
    "ChainState": ("ttsim._src.sequential", "ttsim.accuracy.ChainState"),
    "cheapest_reaching": ("ttsim._src.pareto", "ttsim.optim.cheapest_reaching"),
    "CheapestChoice": ("ttsim._src.pareto", "ttsim.optim.CheapestChoice"),
    "compute_to_match": ("ttsim._src.verification", "ttsim.accuracy.compute_to_match"),
    "concat_options": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "concatenate": ("ttsim._src.population", "ttsim.populations.concatenate"),
    "ConfidenceInterval": ("ttsim._src.logs", "ttsim.logs.ConfidenceInterval"),
    "Cost": ("ttsim._src.cost", "ttsim.cost.Cost"),
    "cost_of_pass": ("ttsim._src.cost", "ttsim.cost.cost_of_pass"),
    "cost_of_pass_frontier": ("ttsim._src.cost", "ttsim.cost.cost_of_pass_frontier"),
    "cost_spec": ("ttsim._src.optimize", "ttsim.optim.cost_spec"),
    "CostOfPassFrontier": ("ttsim._src.cost", "ttsim.cost.CostOfPassFrontier"),
    "CostSpec": ("ttsim._src.optimize", "ttsim.optim.CostSpec"),
    "Counts": ("ttsim._src.logs", "ttsim.logs.Counts"),
    "counts_from_samples": ("ttsim._src.logs", "ttsim.logs.counts_from_samples"),
    "Crossover": ("ttsim._src.verification", "ttsim.accuracy.Crossover"),
    "d_prime_to_auc": ("ttsim._src.verifier", "ttsim.accuracy.d_prime_to_auc"),
    "default_ks": ("ttsim._src.logs", "ttsim.logs.default_ks"),
    "describe_option": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "difficulty_bins": ("ttsim._src.optimize", "ttsim.optim.difficulty_bins"),
    "difficulty_scaled_verifier": ("ttsim._src.verification", "ttsim.accuracy.difficulty_scaled_verifier"),
    "exact_allocation": ("ttsim._src.allocation", "ttsim.optim.exact_allocation"),
    "fit_beta_mixture": ("ttsim._src.population", "ttsim.populations.fit_beta_mixture"),
    "fit_empirical": ("ttsim._src.population", "ttsim.populations.fit_empirical"),
    "fit_power_law": ("ttsim._src.coverage", "ttsim.accuracy.fit_power_law"),
    "fit_split_exponents": ("ttsim._src.verification", "ttsim.accuracy.fit_split_exponents"),
    "flops_matched_token_multiplier": ("ttsim._src.cost", "ttsim.cost.flops_matched_token_multiplier"),
    "front_indices": ("ttsim._src.pareto", "ttsim.optim.front_indices"),
    "genrm_frontier": ("ttsim._src.verification", "ttsim.accuracy.genrm_frontier"),
    "GenRMFrontier": ("ttsim._src.verification", "ttsim.accuracy.GenRMFrontier"),
    "greedy_allocation": ("ttsim._src.allocation", "ttsim.optim.greedy_allocation"),
    "HybridSplit": ("ttsim._src.sequential", "ttsim.accuracy.HybridSplit"),
    "improve_allocation": ("ttsim._src.allocation", "ttsim.optim.improve_allocation"),
    "inference_flops": ("ttsim._src.cost", "ttsim.cost.inference_flops"),
    "init_chain": ("ttsim._src.sequential", "ttsim.accuracy.init_chain"),
    "kinetics_prompt_tokens": ("ttsim._src.cost", "ttsim.cost.kinetics_prompt_tokens"),
    "kv_cache_bytes": ("ttsim._src.cost", "ttsim.cost.kv_cache_bytes"),
    "law_coverage": ("ttsim._src.laws", "ttsim.laws.law_curve"),
    "LawCheck": ("ttsim._src.laws", "ttsim.laws.LawCheck"),
    "LawFit": ("ttsim._src.laws", "ttsim.laws.LawFit"),
    "LAWS": ("ttsim._src.laws", "ttsim.laws.LAWS"),
    "load_hardware": ("ttsim._src.registry", "ttsim.cost.load_hardware"),
    "load_models": ("ttsim._src.registry", "ttsim.cost.load_models"),
    "load_sweep": ("ttsim._src.sweep", "ttsim.sweep.load_sweep"),
    "load_sweep_config": ("ttsim._src.sweep", "ttsim.sweep.load_sweep_config"),
    "MajAtK": ("ttsim._src.logs", "ttsim.logs.MajAtK"),
    "majority_vote_limit": ("ttsim._src.vote", "ttsim.accuracy.majority_vote_limit"),
    "majority_vote_rate": ("ttsim._src.vote", "ttsim.accuracy.majority_vote_rate"),
    "majority_vote_table": ("ttsim._src.vote", "ttsim.accuracy.majority_vote_table"),
    "make_options": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "mean_tokens_used": ("ttsim._src.token_budget", "ttsim.accuracy.mean_tokens_used"),
    "memory_fit": ("ttsim._src.cost", "ttsim.cost.memory_fit"),
    "MemoryFit": ("ttsim._src.cost", "ttsim.cost.MemoryFit"),
    "option_accuracy": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "option_cost": ("ttsim._src.optimize", "ttsim.optim.option_cost"),
    "option_samples": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "option_table": ("ttsim._src.optimize", "ttsim.optim.option_table"),
    "option_workload": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "Options": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "OptionTable": ("ttsim._src.optimize", "ttsim.optim.OptionTable"),
    "oracle_allocation_value": ("ttsim._src.allocation", "ttsim.optim.oracle_allocation_value"),
    "pad_lengths": ("ttsim._src.token_budget", "ttsim.accuracy.pad_lengths"),
    "parallel_saturation_point": ("ttsim._src.saturation", "ttsim.accuracy.parallel_saturation_point"),
    "per_problem_pass_at_k": ("ttsim._src.logs", "ttsim.logs.estimate_pass_at_k(..., per_problem=True)"),
    "population_best_of_n": ("ttsim._src.verifier", "ttsim.accuracy.population_best_of_n"),
    "population_genrm_accuracy": ("ttsim._src.verification", "ttsim.accuracy.population_genrm_accuracy"),
    "population_hybrid_accuracy": ("ttsim._src.sequential", "ttsim.accuracy.population_hybrid_accuracy"),
    "population_majority_vote": ("ttsim._src.vote", "ttsim.accuracy.population_majority_vote"),
    "population_mean": ("ttsim._src.population", "ttsim.populations.population_mean"),
    "population_refinement_accuracy": ("ttsim._src.sequential", "ttsim.accuracy.population_refinement_accuracy"),
    "power_law_coverage": ("ttsim._src.coverage", "ttsim.accuracy.power_law_coverage"),
    "PowerLawFit": ("ttsim._src.coverage", "ttsim.accuracy.PowerLawFit"),
    "predicted_difficulty": ("ttsim._src.optimize", "ttsim.optim.predicted_difficulty"),
    "pretraining_flops": ("ttsim._src.cost", "ttsim.cost.pretraining_flops"),
    "problem_order": ("ttsim._src.logs", "ttsim.logs.problem_order"),
    "read_counts": ("ttsim._src.logs", "ttsim.logs.read_counts"),
    "read_log": ("ttsim._src.logs", "ttsim.logs.read_log"),
    "refine_step": ("ttsim._src.sequential", "ttsim.accuracy.refine_step"),
    "refinement_limit": ("ttsim._src.sequential", "ttsim.accuracy.refinement_limit"),
    "refinement_population": ("ttsim._src.sequential", "ttsim.populations.refinement_population"),
    "refinement_saturation_point": ("ttsim._src.saturation", "ttsim.accuracy.refinement_saturation_point"),
    "refinement_success": ("ttsim._src.sequential", "ttsim.coverage"),
    "refinement_trajectory": ("ttsim._src.sequential", "ttsim.accuracy.refinement_trajectory"),
    "RefinementPopulation": ("ttsim._src.sequential", "ttsim.ProblemSet"),
    "resolve_sweep_function": ("ttsim._src.sweep", "ttsim.sweep.resolve_sweep_function"),
    "sample_matrix": ("ttsim._src.token_budget", "ttsim.accuracy.sample_matrix"),
    "SampleLog": ("ttsim._src.logs", "ttsim.logs.SampleLog"),
    "SampleMatrix": ("ttsim._src.token_budget", "ttsim.accuracy.SampleMatrix"),
    "simulate_genrm": ("ttsim._src.verification", "ttsim.accuracy.simulate_genrm"),
    "solutions_for_budget": ("ttsim._src.verification", "ttsim.accuracy.solutions_for_budget"),
    "SplitExponents": ("ttsim._src.verification", "ttsim.accuracy.SplitExponents"),
    "SplitFrontier": ("ttsim._src.verification", "ttsim.accuracy.SplitFrontier"),
    "stack_hardware": ("ttsim._src.cost", "ttsim.cost.stack_hardware"),
    "stack_models": ("ttsim._src.cost", "ttsim.cost.stack_models"),
    "STRATEGIES": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "strategy_params": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "StrategyParams": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "sweep_axis": ("ttsim._src.sweep", "ttsim.sweep.sweep_axis"),
    "sweepable_functions": ("ttsim._src.sweep", "ttsim.sweep.sweepable_functions"),
    "SweepResult": ("ttsim._src.sweep", "ttsim.sweep.SweepResult"),
    "SweepStats": ("ttsim._src.sweep", "ttsim.sweep.SweepStats"),
    "take_options": ("ttsim._src.strategies", "a strategy value from ttsim.strategies (legacy name)"),
    "token_budget_accuracy": ("ttsim._src.token_budget", "ttsim.accuracy.token_budget_accuracy"),
    "token_budget_accuracy_unlabelled": ("ttsim._src.token_budget", "ttsim.accuracy.token_budget_accuracy_unlabelled"),
    "truncation_rate": ("ttsim._src.token_budget", "ttsim.accuracy.truncation_rate"),
    "verification_budget": ("ttsim._src.verification", "ttsim.accuracy.verification_budget"),
    "verify_split_frontier": ("ttsim._src.verification", "ttsim.accuracy.verify_split_frontier"),
    "verifying_crossover": ("ttsim._src.verification", "ttsim.accuracy.verifying_crossover"),
    "weighted_vote": ("ttsim._src.verifier", "ttsim.accuracy.weighted_vote"),
    "Workload": ("ttsim._src.strategies", "ttsim.strategies.Workload"),
    "worst_case_saturation_point": ("ttsim._src.saturation", "ttsim.accuracy.worst_case_saturation_point"),
    "WorstCaseSaturation": ("ttsim._src.saturation", "ttsim.accuracy.WorstCaseSaturation"),
}

_SUBMODULES = (
    "accuracy",
    "cost",
    "examples",
    "kernels",
    "laws",
    "logs",
    "optim",
    "populations",
    "strategies",
    "sweep",
    "testing",
)

__all__ = tuple(sorted(_CORE, key=str.lower))


def _lookup(name: str):
    """The object behind any public name, core or moved, without a warning (for tools)."""
    if name in _CORE:
        return getattr(importlib.import_module(_CORE[name]), name)
    if name in _MOVED:
        return getattr(importlib.import_module(_MOVED[name][0]), name)
    raise AttributeError(f"module 'ttsim' has no attribute {name!r}")


def _public_names() -> tuple[str, ...]:
    """Every public name ``ttsim.<name>`` resolves: the core names and the deprecated moved ones."""
    return tuple(sorted({*_CORE, *_MOVED}, key=str.lower))


def __getattr__(name: str):
    if name in _CORE:
        value = _lookup(name)
        globals()[name] = value  # later look-ups skip __getattr__
        return value
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"ttsim.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"ttsim.{name}":
                raise
            raise AttributeError(f"module 'ttsim' has no attribute {name!r}") from None
    if name in _MOVED:
        new = _MOVED[name][1]
        warnings.warn(
            f"ttsim.{name} is deprecated at the top level; use {new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return _lookup(name)
    raise AttributeError(f"module 'ttsim' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__, *_SUBMODULES})
