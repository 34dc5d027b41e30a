"""Per-option constraints (a latency target), budgets in any registered unit, N-objective fronts,
and float64 on the optimizer path (``--x64``)."""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

import ttsim.optim as to
import ttsim.strategies as ts
from ttsim._src.numerics import enable_x64
from ttsim._src.pareto import _reference_front

SECONDS_PER_TOKEN = 0.02  # a stand-in decode speed (s/token); serving's latency model plugs in the same way


def stand_in_latency(workload, data, model, hardware):
    """Phases run one after another, each writing length x L tokens on its critical path; decoding
    ``count`` sequences side by side slows each step by count/8 (a stand-in for batching)."""
    total = 0.0
    for ph in workload.phases:
        total = total + ph.length * data.gen_tokens * SECONDS_PER_TOKEN * (1.0 + ph.count / 8.0)
    return total


LATENCY = to.register_cost_unit(to.CostUnit("test_latency_seconds", stand_in_latency,
                                            description="stand-in: sum of length x L x s/token"), overwrite=True)


def _problem():
    rng = np.random.default_rng(2)
    p = rng.beta(0.5, 1.5, 18)
    binned = to.bin_population(p, np.asarray(to.difficulty_bins(None, p, 3)), 3, gen_tokens=500.0)
    grid = to.concat_grids([to.option_grid(ts.parallel(), k=[1, 2, 4, 8]),
                            to.option_grid(ts.sequential(fix_rate=0.8, break_rate=0.02), t=[2, 4, 8])])
    return binned, grid


def _brute_force(table, budget, mask):
    B, J = table.accuracy.shape
    best = -np.inf
    for alloc in itertools.product(range(J), repeat=B):
        if not all(mask[b, j] for b, j in enumerate(alloc)):
            continue
        c = sum(table.mass[b] * table.cost[b, j] for b, j in enumerate(alloc))
        if c <= budget + 1e-9:
            best = max(best, sum(table.mass[b] * table.accuracy[b, j] for b, j in enumerate(alloc)))
    return best


def test_latency_target_rules_out_slow_options():
    binned, grid = _problem()
    # a chain of t generations waits t times longer than t parallel samples at equal samples
    lat = to.option_cost(binned, grid, to.CostSpec("test_latency_seconds"))[0]
    np.testing.assert_allclose(lat, [11.25, 12.5, 15.0, 20.0, 22.5, 45.0, 90.0])
    limit = to.CostLimit("test_latency_seconds", 16.0)
    budgets = np.array([2.0, 5.0])
    free = to.optimize_allocation(binned, grid, budgets)
    capped = to.optimize_allocation(binned, grid, budgets, constraints=[limit], compare_exact=True)
    table = to.option_table(binned, grid, constraints=[limit])
    assert table.feasible.shape == (3, 7) and not table.feasible[:, 3:].any() and table.feasible[:, :3].all()
    for k, bud in enumerate(budgets):
        assert np.all(lat[capped.choice[k]] <= 16.0)  # every chosen option meets the target
        assert capped.accuracy[k] == pytest.approx(_brute_force(table, bud, table.feasible), abs=1e-12)
        assert capped.accuracy[k] <= free.accuracy[k] + 1e-12
    np.testing.assert_allclose(capped.accuracy, capped.exact_accuracy, atol=1e-12)
    assert free.choice.max() >= 3  # without the target a slow option is chosen somewhere: the constraint binds
    # the same through a boolean mask (J,), and a (B, J) mask
    by_mask = to.optimize_allocation(binned, grid, budgets, feasible=lat <= 16.0)
    np.testing.assert_array_equal(by_mask.choice, capped.choice)
    with pytest.raises(ValueError, match="feasible"):
        to.optimize_allocation(binned, grid, budgets, feasible=np.ones(3, bool))
    with pytest.raises(ValueError, match="no option meets"):
        to.optimize_allocation(binned, grid, budgets, constraints=[to.CostLimit("test_latency_seconds", 1.0)])


def test_budget_in_a_registered_unit():
    binned, grid = _problem()
    res = to.optimize_allocation(binned, grid, [13.0, 25.0], spec=to.CostSpec("test_latency_seconds"),
                                 compare_exact=True)
    assert np.all(res.cost <= np.array([13.0, 25.0]) + 1e-9)
    np.testing.assert_allclose(res.accuracy, res.exact_accuracy, atol=1e-12)
    with pytest.raises(ValueError, match="unit"):
        to.cost_spec("no_such_unit")


def test_three_objective_front_matches_brute_force():
    binned, grid = _problem()
    table = to.option_table(binned, grid)
    lat = to.option_cost(binned, grid, to.CostSpec("test_latency_seconds"))
    pts = np.c_[table.mass @ table.accuracy, table.mass @ table.cost, table.mass @ lat]
    rng = np.random.default_rng(0)
    pts = np.r_[pts, rng.choice([0.1, 0.5, 0.9], (40, 1)) * [1, 0, 0] + rng.choice([1.0, 2.0, 8.0], (40, 3)) * [0, 1, 1],
                [[np.nan, 1.0, 1.0]]]
    pts = pts.astype(np.float32).astype(np.float64)  # the filter runs at the default (float32) precision
    front = np.asarray(to.pareto_front_nd(pts, maximize=(True, False, False)))
    s = pts * [-1, 1, 1]
    for i in range(len(pts)):
        if np.isnan(s[i]).any():
            assert not front[i]
            continue
        ok = ~np.isnan(s).any(1)
        dom = ok & np.all(s <= s[i], 1) & np.any(s < s[i], 1)
        assert front[i] == (not dom.any())
    # two objectives: the same as the (cost, accuracy) front
    c, a = pts[:-1, 1], pts[:-1, 0]
    np.testing.assert_array_equal(np.asarray(to.pareto_front_nd(np.c_[c, a], (False, True))), _reference_front(c, a))


def test_x64_parity_over_the_optimizer_path():
    rng = np.random.default_rng(9)
    p = rng.beta(0.4, 1.2, 15)
    tokens = rng.integers(300, 3000, 15).astype(float)
    budgets = [2.0, 6.0]

    def run():
        binned = to.bin_population(p, np.asarray(to.difficulty_bins(None, p, 3)), 3, gen_tokens=tokens)
        grid = to.concat_grids([to.option_grid(ts.parallel(), k=[1, 2, 4, 8, 16]),
                                to.option_grid(ts.sequential(), t=[2, 4])])
        table = to.option_table(binned, grid, spec=to.CostSpec("tokens"))
        res = to.optimize_allocation(binned, grid, np.array(budgets) * tokens.mean())
        return binned, table, res

    b32, t32, r32 = run()
    with enable_x64(True):
        b64, t64, r64 = run()
        assert b64.p.dtype == jnp.float64 and b64.gen_tokens.dtype == jnp.float64
        k = to.option_grid(ts.parallel(), k=[1]).groups[0].params.k
        assert k.dtype == jnp.float64
        import jax

        est = to.predicted_difficulty(jax.random.key(0), np.array([0.3, 0.6]), logit_noise=0.5)
        assert est.dtype == jnp.float64
    assert b32.p.dtype == jnp.float32
    # float64 really computes in float64: oracle best-of-k against numpy's float64 formula
    bins = np.asarray(to.difficulty_bins(None, p, 3))
    for b in range(3):
        for j, kk in enumerate((1, 2, 4, 8, 16)):
            want = np.mean(1 - (1 - p[bins == b]) ** kk)
            assert abs(t64.accuracy[b, j] - want) < 1e-13
            assert abs(t32.accuracy[b, j] - want) < 2e-6
    np.testing.assert_allclose(t32.accuracy, t64.accuracy, atol=2e-6)
    np.testing.assert_allclose(t32.cost, t64.cost, rtol=1e-6)
    np.testing.assert_array_equal(r32.choice, r64.choice)
    np.testing.assert_allclose(r32.accuracy, r64.accuracy, atol=2e-6)


def test_serving_latency_plugs_in_as_a_unit():
    # the serving area's latency model is a function of (model, hardware, workload, prompt, L): it
    # becomes a cost unit by registration alone, and then a latency target for the optimizer
    latency = pytest.importorskip("ttsim._src.latency")

    def serving_latency(workload, data, model, hardware):
        return latency.serving_cost(model, hardware, workload, data.prompt_tokens, data.gen_tokens).seconds

    to.register_cost_unit(to.CostUnit("test_serving_latency_seconds", serving_latency, needs_model=True,
                                      needs_hardware=True), overwrite=True)
    p = np.array([0.05, 0.2, 0.5, 0.8])
    binned = to.bin_population(p, np.array([1, 1, 0, 0]), 2, gen_tokens=1000.0, prompt_tokens=100.0)
    grid = to.concat_grids([to.option_grid(ts.parallel(), k=[1, 4]),
                            to.option_grid(ts.sequential(fix_rate=1.0, break_rate=0.0), t=[4])])
    spec = to.cost_spec("test_serving_latency_seconds", models=("qwen3-8b",), hardware=("h100-sxm",))
    lat = to.option_cost(binned, grid, spec)[0]
    assert lat[2] > 3.9 * lat[0]  # a chain of 4 generations waits about 4 times one generation
    limit = to.CostLimit("test_serving_latency_seconds", float(lat[1]) * 1.01, spec)
    res = to.optimize_allocation(binned, grid, [4.0], constraints=[limit])
    assert np.all(lat[res.choice[0]] <= lat[1] * 1.01) and 2 not in res.choice[0]
