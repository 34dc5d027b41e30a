"""The optimizer (``ttsim.optim``): difficulty bins, option grids of any strategy value, cost
units and solvers as registered values, per-option constraints, Pareto fronts.

Data path: ``difficulty_bins`` → ``bin_population`` → ``option_grid`` (strategy values ×
params × model × hardware) → ``option_table`` (per-bin accuracy and cost in a registered
``CostUnit``) → a ``Solver`` (``optimize_allocation`` / ``allocate``) → ``pareto_front``.
"""

from ttsim._src.allocation import (
    Allocation,
    allocation_objective,
    allocation_pass_at_k,
    exact_allocation,
    greedy_allocation,
    improve_allocation,
    oracle_allocation_value,
)
from ttsim._src.binning import (
    BinnedPopulation,
    bin_population,
    difficulty_bins,
    predicted_difficulty,
)
from ttsim._src.cost_units import (
    CostSpec,
    CostUnit,
    ProblemData,
    cost_spec,
    cost_units,
    get_cost_unit,
    register_cost_unit,
    workload_phase_costs,
)
from ttsim._src.optimize import optimize_allocation
from ttsim._src.option_grid import (
    CostLimit,
    OptionGrid,
    OptionGroup,
    OptionTable,
    concat_grids,
    describe_grid_option,
    feasibility_mask,
    option_cost,
    option_grid,
    option_table,
)
from ttsim._src.pareto import (
    BudgetChoice,
    CheapestChoice,
    best_within,
    cheapest_reaching,
    front_indices,
    pareto_front,
    pareto_front_nd,
)
from ttsim._src.solvers import (
    OptimizeResult,
    Solver,
    allocate,
    exact_solver,
    get_solver,
    knapsack_solver,
    lagrangian_solver,
    register_solver,
    solvers,
    uniform_solver,
)

__all__ = [
    "Allocation",
    "BinnedPopulation",
    "BudgetChoice",
    "CheapestChoice",
    "CostLimit",
    "CostSpec",
    "CostUnit",
    "OptimizeResult",
    "OptionGrid",
    "OptionGroup",
    "OptionTable",
    "ProblemData",
    "Solver",
    "allocate",
    "allocation_objective",
    "allocation_pass_at_k",
    "best_within",
    "bin_population",
    "cheapest_reaching",
    "concat_grids",
    "cost_spec",
    "cost_units",
    "describe_grid_option",
    "difficulty_bins",
    "exact_allocation",
    "exact_solver",
    "feasibility_mask",
    "front_indices",
    "get_cost_unit",
    "get_solver",
    "greedy_allocation",
    "improve_allocation",
    "knapsack_solver",
    "lagrangian_solver",
    "optimize_allocation",
    "option_cost",
    "oracle_allocation_value",
    "option_grid",
    "option_table",
    "pareto_front",
    "pareto_front_nd",
    "predicted_difficulty",
    "register_cost_unit",
    "register_solver",
    "solvers",
    "uniform_solver",
    "workload_phase_costs",
]
