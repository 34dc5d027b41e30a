"""Proof of openness: a strategy defined here alone runs through every part of ttsim's data path.

The strategy ("filtered sampling", invented for this test): draw ``k`` samples; a cheap verifier
reads each one and accepts a right sample with probability ``tpr`` and a wrong one with ``fpr``;
answer with a uniformly random accepted sample, or with a random sample when none is accepted.
Nothing in ttsim knows it: no line of ttsim is changed to run it through accuracy over a
population, cost on a model and accelerator, ``optimize_allocation``, a Pareto front and a sweep.
"""

from typing import NamedTuple

import chex
import jax
import jax.numpy as jnp
import numpy as np

import ttsim
import ttsim.optim as to
import ttsim.strategies as ts
from ttsim._src.sweep import run_sweep


class FilterParams(NamedTuple):
    k: jax.Array
    tpr: jax.Array
    fpr: jax.Array
    verify_cost: jax.Array


def filter_accuracy(p, params):
    r"""acc = (1 - r^k) a/(a+b) + r^k p(1-tpr)/r, a = p tpr, b = (1-p) fpr, r = 1 - a - b."""
    p = jnp.asarray(p)
    a = p * params.tpr
    b = (1.0 - p) * params.fpr
    r = jnp.clip(1.0 - a - b, 0.0, 1.0)
    none = jnp.exp(params.k * jnp.log(jnp.maximum(r, 1e-30)))  # r^k
    none = jnp.where(r > 0, none, 0.0)
    picked = jnp.where(a + b > 0, a / jnp.where(a + b > 0, a + b, 1.0), 0.0)
    fallback = jnp.where(r > 0, p * (1.0 - params.tpr) / jnp.where(r > 0, r, 1.0), 0.0)
    # none * fallback = r^(k-1) p (1 - tpr): the chance every sample is rejected, times a right pick
    return (1.0 - none) * picked + none * fallback


def filter_workload(params):
    k = jnp.asarray(params.k)
    one, zero = jnp.ones_like(k), jnp.zeros_like(k)
    return ts.Workload((ts.Phase(k, one, one, zero, "solver"),
                        ts.Phase(k, params.verify_cost * one, one, one, "verifier")))


def filtered_sampling(k=4.0, tpr=0.9, fpr=0.3, verify_cost=0.25):
    return ts.Strategy("filtered_sampling", filter_accuracy, filter_workload,
                       FilterParams(*(jnp.float32(x) for x in (k, tpr, fpr, verify_cost))))


def _monte_carlo(p, k, tpr, fpr, trials, seed):
    rng = np.random.default_rng(seed)
    right = rng.random((trials, k)) < p
    accept = np.where(right, rng.random((trials, k)) < tpr, rng.random((trials, k)) < fpr)
    scores = rng.random((trials, k)) + accept  # a random pick, among accepted ones when any
    pick = np.argmax(scores, axis=1)
    return right[np.arange(trials), pick].mean()


def test_accuracy_matches_a_simulation():
    s = filtered_sampling()
    trials = 200_000
    for p, k in ((0.05, 1), (0.3, 4), (0.7, 8), (0.0, 3), (1.0, 3)):
        want = _monte_carlo(p, k, 0.9, 0.3, trials, seed=k)
        got = float(s.accuracy(p, s.params._replace(k=jnp.float32(k))))
        assert abs(got - want) <= 4 * np.sqrt(max(want * (1 - want), 1e-4) / trials) + 1e-6, (p, k, got, want)


def test_population_accuracy_and_cost_on_a_model_and_accelerator():
    s = filtered_sampling()
    pop = ttsim.beta_population(0.5, 1.5, num_nodes=16)
    per_problem = s.accuracy(pop.p, s.params)
    got = float(pop.expect(lambda p: s.accuracy(p, s.params))) if hasattr(pop, "expect") else float(
        ttsim.population_mean(pop, per_problem))
    assert abs(got - float(np.sum(np.asarray(pop.weight) * np.asarray(per_problem)))) < 1e-6
    # cost of its workload on qwen3-8b / H100: the two phases priced by the roofline model directly
    binned = to.bin_population(np.array([0.2, 0.6]), np.array([0, 0]), 1, gen_tokens=2000.0, prompt_tokens=300.0)
    grid = to.option_grid(s, k=[2, 8])
    spec = to.cost_spec("seconds", models=("qwen3-8b",), hardware=("h100-sxm",))
    cost = to.option_cost(binned, grid, spec)[0]
    m, h = ttsim.get_model("qwen3-8b"), ttsim.get_hardware("h100-sxm")
    for j, k in enumerate((2, 8)):
        solve = float(ttsim.roofline_cost(m, h, 300.0, 2000.0, k).seconds)
        verify = float(ttsim.roofline_cost(m, h, 300.0 + 2000.0, 0.25 * 2000.0, k).seconds)
        np.testing.assert_allclose(cost[j], solve + verify, rtol=1e-5)
    samples = to.option_cost(binned, grid, to.CostSpec("samples"))[0]
    np.testing.assert_allclose(samples, [2 * 1.25, 8 * 1.25])


def _problem():
    rng = np.random.default_rng(4)
    p = rng.beta(0.5, 1.2, 24)
    bins = np.asarray(to.difficulty_bins(None, p, 3))
    binned = to.bin_population(p, bins, 3)
    grid = to.concat_grids([to.option_grid(filtered_sampling(), k=[1, 2, 4, 8], tpr=[0.9]),
                            to.option_grid(ts.parallel(), k=[1, 2, 4])])
    return binned, grid


def test_optimize_allocation_and_pareto_front():
    binned, grid = _problem()
    budgets = np.array([1.5, 3.0, 6.0])
    res = to.optimize_allocation(binned, grid, budgets, compare_exact=True)
    np.testing.assert_allclose(res.accuracy, res.exact_accuracy, atol=1e-12)
    assert np.all(res.certified) and np.all(res.cost <= budgets * (1 + 1e-12))
    names = {to.describe_grid_option(grid, int(j))["strategy"] for j in res.choice.ravel()}
    assert names <= {"filtered_sampling", "parallel"}
    # the front of the whole-population (cost, accuracy) points: brute-force non-domination
    table = to.option_table(binned, grid)
    cost, acc = table.mass @ table.cost, table.mass @ table.accuracy
    front = np.asarray(to.pareto_front(cost, acc))
    for i in range(cost.size):
        dominated = np.any((cost <= cost[i]) & (acc >= acc[i]) & ((cost < cost[i]) | (acc > acc[i])))
        assert front[i] == (not dominated)


def test_sweep_over_its_params():
    s = filtered_sampling()

    def fn(k, tpr):
        return s.accuracy(0.3, s.params._replace(k=k, tpr=tpr))

    res = run_sweep(fn, {"k": np.array([1.0, 2.0, 4.0]), "tpr": np.array([0.5, 0.9])}, progress=False)
    out = np.asarray(res.values)
    want = np.array([[float(fn(jnp.float32(k), jnp.float32(t))) for t in (0.5, 0.9)] for k in (1.0, 2.0, 4.0)])
    assert out.shape == (3, 2)
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_table_build_traces_once_per_shape():
    # the user's accuracy is traced once: a second population of the same shapes reuses the program
    counted = chex.assert_max_traces(filter_accuracy, n=1)
    s = ts.Strategy("filtered_sampling", counted, filter_workload, filtered_sampling().params)
    grid = to.option_grid(s, k=[1, 2, 4, 8, 16])
    rng = np.random.default_rng(0)
    for _ in range(3):
        p = rng.uniform(0, 1, 12)
        binned = to.bin_population(p, np.arange(12) % 3, 3, max_per_bin=4)
        to.option_table(binned, grid)


def test_table_build_traces_once_when_options_do_not_fill_the_last_batch():
    # 5 options in batches of 2: the grid is padded, so lax.map has no remainder to trace again
    def accuracy(p, params):
        return filter_accuracy(p, params)

    counted = chex.assert_max_traces(accuracy, n=1)
    s = ts.Strategy("filtered_sampling", counted, filter_workload, filtered_sampling().params)
    grid = to.option_grid(s, k=[1, 2, 4, 8, 16])
    rng = np.random.default_rng(1)
    for _ in range(2):
        binned = to.bin_population(rng.uniform(0, 1, 12), np.arange(12) % 3, 3, max_per_bin=4)
        table = to.option_table(binned, grid, batch_size=2)
        assert np.asarray(table.accuracy).shape == (3, 5)


def test_binned_populations_lift_like_every_population():
    # A binned population is a ProblemSet per bin: expect/mean/sample/batch_shape agree with an
    # explicit weighted sum over each bin's problems.
    import ttsim.optim as to

    p = np.linspace(0.05, 0.9, 12)
    bins = np.repeat(np.arange(3), 4)
    binned = to.bin_population(p, bins, 3)
    got = np.asarray(binned.expect(lambda q, k: 1 - (1 - q) ** k, 4.0))
    want = np.array([[np.mean(1 - (1 - p[bins == b]) ** 4) for b in range(3)]])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(binned.mean()), [[p[bins == b].mean() for b in range(3)]], rtol=1e-6)
    assert binned.batch_shape == (1, 3)
    draws = np.asarray(binned.sample(jax.random.key(0), 64))
    assert draws.shape == (64, 1, 3)
    for b in range(3):  # every draw is one of the bin's own problems
        gap = np.abs(draws[:, 0, b, None] - p[bins == b][None, :]).min(axis=1)
        assert gap.max() < 1e-6, gap.max()
