"""Test-time strategies as values (``ttsim.strategies``).

Each constructor returns a :class:`ttsim.strategies.Strategy`: ``accuracy(p, params)``,
``workload(params)`` and default ``params`` (a NamedTuple of that strategy's own constants). Any
such value — these or one you write — goes through the optimizer, Pareto fronts and sweeps.

    >>> import ttsim.strategies as ts
    >>> s = ts.parallel(k=4.0)
    >>> round(float(s.accuracy(0.5, s.params)), 4)
    0.9375
"""

from ttsim._src.adaptive import (
    StoppingParams,
    adaptive_consistency_strategy,
    doubling_strategy,
    esc_strategy,
)
from ttsim._src.confidence import DeepConfParams, deepconf_strategy
from ttsim._src.prm_search import PRMSearchParams, prm_search_strategy
from ttsim._src.stopping_rules import (
    RULES,
    StoppingRule,
    adaptive_consistency_rule,
    doubling_rule,
    esc_rule,
)
from ttsim._src.strategies import (
    AggregateParams,
    HybridParams,
    MajorityVoteParams,
    ParallelParams,
    SequentialParams,
    SolverVerifierParams,
    VerifierParams,
    aggregate,
    hybrid,
    majority_vote,
    parallel,
    sequential,
    solver_verifier,
    strategy_accuracy,
    total_samples,
    verifier_best_of_k,
)
from ttsim._src.strategy import ROLES, Phase, Strategy, Workload

__all__ = [
    "RULES",
    "ROLES",
    "DeepConfParams",
    "PRMSearchParams",
    "StoppingParams",
    "StoppingRule",
    "adaptive_consistency_rule",
    "adaptive_consistency_strategy",
    "deepconf_strategy",
    "doubling_rule",
    "doubling_strategy",
    "esc_rule",
    "esc_strategy",
    "prm_search_strategy",
    "AggregateParams",
    "HybridParams",
    "MajorityVoteParams",
    "ParallelParams",
    "Phase",
    "SequentialParams",
    "SolverVerifierParams",
    "Strategy",
    "VerifierParams",
    "Workload",
    "aggregate",
    "hybrid",
    "majority_vote",
    "parallel",
    "sequential",
    "solver_verifier",
    "strategy_accuracy",
    "total_samples",
    "verifier_best_of_k",
]
