"""Property-based testing of scaling laws: hypothesis strategies and reusable law properties.

Two halves, usable separately:

- **Strategies** (need `hypothesis <https://hypothesis.readthedocs.io>`_, an optional
  dependency: ``pip install hypothesis``) that draw valid inputs for ttsim's models:
  populations of problem difficulty (Beta, Beta mixtures, empirical; with edge cases at
  p = 0 and 1), per-problem counts, answer distributions, verifier parameters, refinement
  chains, sample and compute budgets, sample allocations, model and hardware configs. Every
  strategy builds its value through the library's own constructors, so it only produces
  inputs the library's argument checks accept, and shrinks towards simple values.
- **Properties** (numpy only) that a scaling law should satisfy: monotone in the budget,
  bounded in [0, 1], concave (diminishing returns), a saturation point that exists and does
  not grow with ε, the right limits at p → 0 and p → 1, invariance to the order of problems,
  cost monotone in tokens and samples. Each ``check_*`` function raises ``AssertionError``
  with a message naming the property, the curve, the inputs and the first violating point
  (index and values); with ``raise_on_failure=False`` it returns a :class:`PropertyResult`
  instead. Call them on arrays, or inside your own ``@given`` test.

Example::

    from hypothesis import given
    import ttsim, ttsim.testing as tt

    @given(pop=tt.populations(), ks=tt.sample_budgets())
    def test_coverage_is_a_law(pop, ks):
        cov = ttsim.population_coverage(pop, ks)
        tt.check_bounded(cov, name="coverage")
        tt.check_monotone(cov, along=ks, name="coverage")
"""

from ttsim.testing.properties import (
    PropertyResult,
    assert_monotone,
    check_bounded,
    check_concave,
    check_cost_monotone,
    check_diminishing_returns,
    check_limits,
    check_monotone,
    check_monotone_in_budget,
    check_order_invariance,
    check_saturation_moves_with_eps,
)
from ttsim.testing.strategies import (
    answer_distributions,
    beta_mixture_populations,
    beta_params,
    beta_populations,
    budgets,
    empirical_populations,
    hardware_profiles,
    model_configs,
    populations,
    probabilities,
    probability_arrays,
    problem_counts,
    refinement_chains,
    sample_allocations,
    sample_budgets,
    tpr_fpr,
    verifier_aucs,
    verifier_d_primes,
)

__all__ = (
    "PropertyResult",
    "answer_distributions",
    "assert_monotone",
    "beta_mixture_populations",
    "beta_params",
    "beta_populations",
    "budgets",
    "check_bounded",
    "check_concave",
    "check_cost_monotone",
    "check_diminishing_returns",
    "check_limits",
    "check_monotone",
    "check_monotone_in_budget",
    "check_order_invariance",
    "check_saturation_moves_with_eps",
    "empirical_populations",
    "hardware_profiles",
    "model_configs",
    "populations",
    "probabilities",
    "probability_arrays",
    "problem_counts",
    "refinement_chains",
    "sample_allocations",
    "sample_budgets",
    "tpr_fpr",
    "verifier_aucs",
    "verifier_d_primes",
)
