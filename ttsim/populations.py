"""Populations of problem difficulty: one type, :class:`ProblemSet`, and its constructors and fits.

A population is a weighted set of problems (per-sample success ``p``; for refinement
populations also the fix and break rates ``a`` and ``b``). Every population-level quantity
is ``population.expect(model, *args)``: one ``vmap`` of a per-problem model, contracted with
the weights.
"""

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
from ttsim._src.sequential import beta_refinement_population, refinement_population

__all__ = (
    "BetaFit",
    "BetaMixtureFit",
    "ProblemSet",
    "beta_binomial_log_likelihood",
    "beta_mixture_population",
    "beta_population",
    "beta_refinement_population",
    "concatenate",
    "empirical_population",
    "fit_beta",
    "fit_beta_mixture",
    "fit_empirical",
    "population_mean",
    "refinement_population",
)
