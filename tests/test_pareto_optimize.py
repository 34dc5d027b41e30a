"""Pareto fronts over strategies x models x hardware, and the compute-optimal choice per budget."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import ttsim


def _grid_points():
    """(cost, accuracy) of every option of a strategies x models grid on a two-model population."""
    rng = np.random.default_rng(0)
    p = rng.beta([[0.4], [0.9]], [[1.5], [1.0]], size=(2, 24))
    binned = ttsim.bin_population(p, np.zeros(24, np.int32), 1, gen_tokens=np.array([[3000.0], [2000.0]]))
    opts = ttsim.concat_options([ttsim.make_options("parallel", n=[1, 2, 4, 8, 16], model=[0, 1]),
                                 ttsim.make_options("sequential", t=[2, 4, 8], model=[0, 1])])
    tab = ttsim.option_table(binned, opts, spec=ttsim.CostSpec("tokens"))
    return tab.cost[0], tab.accuracy[0]


def test_front_of_option_grid_is_non_dominated_and_covers_the_grid():
    cost, acc = _grid_points()
    front = ttsim.front_indices(cost, acc)
    # along the front both cost and accuracy increase
    assert np.all(np.diff(cost[front]) >= 0) and np.all(np.diff(acc[front]) >= 0)
    for i in front:  # no grid point dominates a front point
        dom = (cost <= cost[i]) & (acc >= acc[i]) & ((cost < cost[i]) | (acc > acc[i]))
        assert not dom.any()
    for i in range(cost.size):  # every grid point is on the front or dominated by a front point
        on = i in front
        dominated = np.any((cost[front] <= cost[i]) & (acc[front] >= acc[i]))
        assert on or dominated


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000))
def test_best_within_matches_brute_force(seed):
    n = 24  # one shape: one compile
    rng = np.random.default_rng(seed)
    cost = rng.choice([1.0, 2.0, 3.0, 5.0, 8.0], n)
    acc = rng.choice([0.1, 0.3, 0.5, 0.9], n)
    budgets = np.array([0.5, 1.0, 2.5, 4.0, 10.0])
    got = ttsim.best_within(cost, acc, budgets)
    for k, b in enumerate(budgets):
        fit = cost <= b
        if not fit.any():
            assert int(got.index[k]) == -1 and np.isinf(float(got.cost[k]))
            continue
        best = acc[fit].max()
        cheapest = cost[fit & (acc == best)].min()
        assert float(got.accuracy[k]) == np.float32(best)
        assert float(got.cost[k]) == cheapest
        i = int(got.index[k])
        assert acc[i] == best and cost[i] == cheapest
        # the compute-optimal choice is on the Pareto front
        assert i in set(ttsim.front_indices(cost, acc)) or np.any(
            (cost == cost[i]) & (acc == acc[i]) & np.isin(np.arange(n), ttsim.front_indices(cost, acc)))


def test_optimal_allocation_curve_dominates_uniform_and_is_monotone():
    rng = np.random.default_rng(2)
    p = rng.beta(0.4, 1.5, 30)
    binned = ttsim.bin_population(p, np.asarray(ttsim.difficulty_bins(None, p, 3)), 3)
    opts = ttsim.make_options("parallel", n=[1, 2, 4, 8, 16, 32])
    budgets = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    best = ttsim.optimize_allocation(binned, opts, budgets)
    uni = ttsim.optimize_allocation(binned, opts, budgets, method="uniform")
    assert np.all(best.accuracy >= uni.accuracy - 1e-9)
    assert np.all(np.diff(best.accuracy) >= -1e-9)
    assert np.all(ttsim.pareto_front(best.cost, best.accuracy) | (np.diff(np.r_[-1, best.accuracy]) <= 1e-12))


def test_best_within_integer_costs_fractional_budget():
    cost, acc = np.array([1, 2, 3]), np.array([0.1, 0.5, 0.7])
    got = ttsim.best_within(cost, acc, np.array([2.5, 0.5]))
    assert list(np.asarray(got.index)) == [1, -1]
    np.testing.assert_allclose(ttsim.best_accuracy_within(cost, acc, [2.5, 3.0]), [0.5, 0.7])
