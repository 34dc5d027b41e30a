"""Test-time strategies as values (``ttsim.strategies``).

Each constructor returns a :class:`ttsim.strategies.Strategy`: ``accuracy(p, params)``,
``workload(params)`` and default ``params`` (a NamedTuple of that strategy's own constants). Any
such value — these or one you write — goes through the optimizer, Pareto fronts and sweeps.

    >>> import ttsim.strategies as ts
    >>> s = ts.parallel(k=4.0)
    >>> round(float(s.accuracy(0.5, s.params)), 4)
    0.9375
"""

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
    "ROLES",
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
