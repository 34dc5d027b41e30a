"""ttsim: simulate, cost and optimise test-time compute.

Jitted probabilistic models of test-time scaling (parallel sampling, voting, verifiers,
sequential refinement), hardware-aware cost models, and a search for the compute-optimal
allocation of a budget. Everything public is re-exported here; ``ttsim._src`` is private.
"""

# Populations of problem difficulty.
# Coverage / pass@k and its power law.
from ttsim._src.coverage import (
    PowerLawFit,
    beta_coverage,
    beta_mixture_coverage,
    coverage,
    fit_power_law,
    pass_at_k,
    population_coverage,
    power_law_coverage,
)
from ttsim._src.population import (
    BetaFit,
    BetaMixtureFit,
    ProblemSet,
    beta_binomial_log_likelihood,
    beta_mixture_population,
    beta_population,
    concatenate,
    empirical_population,
    fit_beta,
    fit_beta_mixture,
    fit_empirical,
    population_mean,
)

__version__ = "0.1.0"

# Each area appends its public names below its imports; ``tests/test_api.py`` checks them.

__all__ = (
    "BetaFit",
    "BetaMixtureFit",
    "PowerLawFit",
    "ProblemSet",
    "beta_binomial_log_likelihood",
    "beta_coverage",
    "beta_mixture_coverage",
    "beta_mixture_population",
    "beta_population",
    "concatenate",
    "coverage",
    "empirical_population",
    "fit_beta",
    "fit_beta_mixture",
    "fit_empirical",
    "fit_power_law",
    "pass_at_k",
    "population_coverage",
    "population_mean",
    "power_law_coverage",
)
