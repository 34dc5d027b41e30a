"""The optimizer: fast methods against exhaustive search, budgets, invariances, strategy adapters."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ttsim

P = 12  # problems per random instance (fixed shapes: the models compile once)
B = 3
SLOTS = 12


def _options():
    return ttsim.concat_options([ttsim.make_options("parallel", n=[1, 2, 4, 16]),
                                 ttsim.make_options("sequential", t=[3])])


def _binned(p, bins=None):
    bins = np.asarray(ttsim.difficulty_bins(p, B)) if bins is None else bins
    return ttsim.bin_population(p, bins, B, max_per_bin=SLOTS)


PARAMS = ttsim.strategy_params(fix_rate=0.7, break_rate=0.05)


# ----------------------------------------------------------------------------- references


def test_table_matches_direct_formulas():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, P)
    binned = _binned(p)
    opts = _options()
    tab = ttsim.option_table(binned, opts, params=PARAMS)
    bins = np.asarray(ttsim.difficulty_bins(p, B))
    for b in range(B):
        pb = p[bins == b]
        for j, n in enumerate([1, 2, 4, 16]):
            np.testing.assert_allclose(tab.accuracy[b, j], np.mean(1 - (1 - pb) ** n), rtol=1e-5)
        # sequential, 3 generations: explicit two-state chain with a = 0.7 p, b = 0.05
        q = pb.copy()
        for _ in range(2):
            q = q * (1 - 0.05) + (1 - q) * 0.7 * pb
        np.testing.assert_allclose(tab.accuracy[b, 4], np.mean(q), rtol=1e-5)
    np.testing.assert_allclose(tab.cost, np.tile([1, 2, 4, 16, 3], (B, 1)))
    np.testing.assert_allclose(tab.mass, [np.mean(bins == b) for b in range(B)])


def test_difficulty_bins_are_quantiles_easiest_first():
    p = np.linspace(0, 1, 20)
    bins = np.asarray(ttsim.difficulty_bins(p, 5))
    assert np.all(np.bincount(bins) == 4)
    assert np.all(bins[p.argsort()][::-1][:4] == 0)  # highest pass@1 -> bin 0
    assert np.all(np.diff(bins[np.argsort(-p)]) >= 0)


def test_predicted_difficulty_noise_levels():
    import jax

    p = np.full(4000, 0.3)
    est = np.asarray(ttsim.predicted_difficulty(p, jax.random.key(0), num_samples=4))
    assert set(np.unique(est)) <= {0, 0.25, 0.5, 0.75, 1.0}
    assert abs(est.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / 4 / 4000)
    with pytest.raises(ValueError, match="exactly one"):
        ttsim.predicted_difficulty(p, jax.random.key(0))


# ----------------------------------------------------------------------------- exactness


@settings(max_examples=12)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([1.2, 2.5, 6.0]))
def test_knapsack_equals_exhaustive_on_random_populations(seed, scale):
    rng = np.random.default_rng(seed)
    p = rng.beta(0.5, 1.2, P)
    binned = _binned(p)
    budget = np.array([scale, 2 * scale])
    res = ttsim.optimize_allocation(binned, _options(), budget, params=PARAMS, compare_exact=True)
    assert res.exact_evaluations == 5**B  # allocations scored by the exhaustive table search
    assert res.evaluations == B * 5
    np.testing.assert_allclose(res.accuracy, res.exact_accuracy, atol=2e-6)
    assert np.all(res.certified)
    assert np.all(res.cost <= budget * (1 + 1e-9))
    assert np.all(res.bound >= res.accuracy - 1e-9)


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000), nb=st.integers(1, 4), nj=st.integers(1, 5))
def test_knapsack_equals_enumeration_on_random_tables(seed, nb, nj):
    # arbitrary (non-concave, unsorted) per-bin curves: the branch and bound must still be exact
    rng = np.random.default_rng(seed)
    acc = rng.uniform(0, 1, (nb, nj))
    cost = rng.choice([0.5, 1.0, 2.0, 3.0, 5.0], (nb, nj))
    mass = rng.dirichlet(np.ones(nb))
    table = ttsim.OptionTable(acc, cost, mass)
    floor = (mass * cost.min(1)).sum()
    budgets = floor + np.array([0.0, 0.7, 2.0, 10.0])
    fast = ttsim.allocate(table, budgets, method="knapsack")
    grid = np.array(list(itertools.product(range(nj), repeat=nb))).reshape(-1, nb)
    ta = (mass * acc[np.arange(nb), grid]).sum(1)
    tc = (mass * cost[np.arange(nb), grid]).sum(1)
    for k, b in enumerate(budgets):
        want = ta[tc <= b + 1e-9].max()
        assert abs(fast.accuracy[k] - want) < 1e-12
        assert fast.cost[k] <= b + 1e-9


@pytest.mark.parametrize("method", ["lagrangian", "uniform"])
def test_other_methods_respect_budget_and_bounds(method):
    rng = np.random.default_rng(3)
    p = rng.beta(0.4, 1.5, P)
    binned = _binned(p)
    opts = ttsim.make_options("parallel", n=[1, 2, 4, 8, 16, 32])
    budgets = np.array([1.5, 5.0, 20.0])
    res = ttsim.optimize_allocation(binned, opts, budgets, method=method, compare_exact=True)
    assert np.all(res.cost <= budgets * (1 + 1e-9))
    assert np.all(res.gap >= -1e-6)  # never better than the exhaustive optimum


def test_relaxed_is_deprecated_and_not_advertised():
    # issue 13: the optax relaxation did not beat its own start; the polish did all the work.
    # It is kept working (budget respected, never above the optimum) but deprecated.
    from ttsim._src.solvers import solvers

    assert "relaxed" not in solvers()
    rng = np.random.default_rng(3)
    binned = _binned(rng.beta(0.4, 1.5, P))
    opts = ttsim.make_options("parallel", n=[1, 2, 4, 8, 16, 32])
    budgets = np.array([1.5, 5.0, 20.0])
    with pytest.warns(DeprecationWarning, match="relaxed"):
        res = ttsim.optimize_allocation(binned, opts, budgets, method="relaxed", compare_exact=True)
    assert np.all(res.cost <= budgets * (1 + 1e-9))
    assert np.all(res.gap >= -1e-6)


def test_budget_below_cheapest_allocation_is_an_error():
    binned = _binned(np.linspace(0.05, 0.9, P))
    with pytest.raises(ValueError, match="budget"):
        ttsim.optimize_allocation(binned, _options(), 0.5)
    with pytest.raises(ValueError, match="method"):
        ttsim.optimize_allocation(binned, _options(), 2.0, method="magic")


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000))
def test_result_invariant_to_permuting_bins(seed):
    rng = np.random.default_rng(seed)
    p = rng.beta(0.5, 1.0, P)
    bins = np.asarray(ttsim.difficulty_bins(p, B))
    perm = rng.permutation(B)
    inv = np.argsort(perm)
    a = ttsim.optimize_allocation(_binned(p, bins), _options(), [2.0, 6.0], params=PARAMS)
    b = ttsim.optimize_allocation(_binned(p, inv[bins]), _options(), [2.0, 6.0], params=PARAMS)
    np.testing.assert_allclose(a.accuracy, b.accuracy, atol=1e-9)
    np.testing.assert_allclose(a.bin_accuracy, b.bin_accuracy[:, inv], atol=1e-6)


def test_per_problem_allocation_beats_per_bin():
    rng = np.random.default_rng(5)
    p = rng.beta(0.5, 1.5, P)
    opts = ttsim.make_options("parallel", n=[1, 2, 4, 8, 16])
    per_bin = ttsim.optimize_allocation(_binned(p), opts, 4.0)
    per_problem = ttsim.optimize_allocation(ttsim.bin_population(p, np.arange(P)), opts, 4.0)
    assert per_problem.accuracy[0] >= per_bin.accuracy[0] - 1e-9
    assert per_problem.cost[0] <= 4.0 + 1e-9


# ----------------------------------------------------------------------------- strategies


def test_strategy_conventions_and_workload():
    import jax.numpy as jnp

    p = jnp.array([0.0, 0.2, 0.7, 1.0])
    par = ttsim.strategy_params(fix_rate=1.0, break_rate=0.0, verify_cost=0.5)
    seq = ttsim.make_options("sequential", t=[1, 3, 5])
    got = ttsim.option_accuracy(p[:, None], seq, par)
    want = 1 - (1 - np.asarray(p)[:, None]) ** np.array([1, 3, 5])[None]
    np.testing.assert_allclose(got, want, atol=1e-6)  # TTSPM: chain of T generations = coverage
    split = ttsim.make_options("solver_verifier", n=[4], v=[0, 2])
    np.testing.assert_allclose(ttsim.option_samples(split, par), [4.0, 4 * (1 + 0.5 * 2)])
    hyb = ttsim.make_options("hybrid", n=[2, 4], t=[2])
    np.testing.assert_allclose(ttsim.option_samples(hyb, par), [4.0, 8.0])
    with pytest.raises(ValueError, match="strategy"):
        ttsim.make_options("beam_search", n=[1])
    with pytest.raises(ValueError, match="n"):
        ttsim.make_options("sequential", n=[2], t=[2])


def test_cost_units_tokens_and_eflops_match_cost_model():
    p = np.array([[0.2, 0.6]])
    binned = ttsim.bin_population(p, np.array([0, 0]), 1, gen_tokens=np.array([[[1000.0], [3000.0]]]), prompt_tokens=100.0)
    opts = ttsim.make_options("parallel", n=[1, 8])
    tok = ttsim.option_cost(binned, opts, ttsim.CostSpec("tokens"))
    np.testing.assert_allclose(tok[0], [2000.0, 16000.0])
    spec = ttsim.cost_spec("eflops", models=("qwen3-8b",), hardware=("b200-fp8",))
    ef = ttsim.option_cost(binned, opts, spec)
    m, h = ttsim.get_model("qwen3-8b"), ttsim.get_hardware("b200-fp8")
    want = [np.mean([float(ttsim.kinetics_cost(m, h, 100.0, L, n).eflops) for L in (1000.0, 3000.0)]) for n in (1, 8)]
    np.testing.assert_allclose(ef[0], want, rtol=1e-5)


def test_exact_table_search_matches_enumeration_in_small_chunks():
    from ttsim._src import solvers as sol

    rng = np.random.default_rng(7)
    binned = _binned(rng.beta(0.5, 1.2, P))
    table = ttsim.option_table(binned, _options(), params=PARAMS)
    A, C = table.mass[:, None] * table.accuracy, table.mass[:, None] * table.cost
    budgets = np.array([2.0, 4.0, 8.0])
    # 125 allocations in chunks of 16: eight chunks, the last one short
    choice, acc, total = sol._enumerate(A, C, budgets, chunk=16)
    assert total == 5**B
    grid = np.array(list(itertools.product(range(5), repeat=B)))
    ta, tc = A[np.arange(B), grid].sum(1), C[np.arange(B), grid].sum(1)
    for k, bud in enumerate(budgets):
        np.testing.assert_allclose(acc[k], ta[tc <= bud + 1e-9].max(), atol=1e-12)
    ref = ttsim.allocate(table, budgets, method="exact")
    np.testing.assert_allclose(ref.accuracy, acc, atol=1e-12)


def test_attention_per_model_entry_uses_sparse_cost():
    # the same network twice: dense (kv 0) and top-k 1024 attention, each with its own success rates
    p = np.array([[0.5, 0.7], [0.45, 0.7]])
    binned = ttsim.bin_population(p, np.array([0, 0]), 1, gen_tokens=8000.0, prompt_tokens=150.0)
    opts = ttsim.make_options("parallel", n=[1, 4], model=[0, 1])
    spec = ttsim.cost_spec("eflops", models=("qwen3-8b", "qwen3-8b"), hardware=("b200-fp8",), kv_budget=[0, 1024])
    cost = ttsim.option_cost(binned, opts, spec)[0]
    m, h = ttsim.get_model("qwen3-8b"), ttsim.get_hardware("b200-fp8")
    want = [float(ttsim.kinetics_cost(m, h, 150.0, 8000.0, 1).eflops), float(ttsim.kinetics_cost(m, h, 150.0, 8000.0, 1, kv_budget=1024).eflops)]
    np.testing.assert_allclose(cost[:2], want, rtol=1e-5)
    assert cost[1] < cost[0]
    with pytest.raises(ValueError, match="kv_budget"):
        ttsim.cost_spec("eflops", models=("qwen3-8b",), hardware=("b200-fp8",), kv_budget=[0, 1024])


def test_every_cost_unit_end_to_end():
    # each unit: table cost equals the cost model, the optimizer meets the budget, knapsack == exhaustive
    p = np.array([0.05, 0.2, 0.5, 0.9])
    binned = ttsim.bin_population(p, np.array([1, 1, 0, 0]), 2, gen_tokens=3000.0, prompt_tokens=150.0)
    opts = ttsim.make_options("parallel", n=[1, 2, 4])
    m, h = ttsim.get_model("qwen3-8b"), ttsim.get_hardware("h100-sxm")
    for unit in ("samples", "tokens", "flops", "memory_bytes", "eflops", "seconds", "dollars"):
        hw = () if unit in ("samples", "tokens", "flops", "memory_bytes") else ("h100-sxm",)  # FLOPs/bytes need no chip
        spec = ttsim.cost_spec(unit, models=("qwen3-8b",) if unit not in ("samples", "tokens") else (), hardware=hw)
        cost = ttsim.option_cost(binned, opts, spec)[0]
        if unit == "samples":
            want = [1.0, 2.0, 4.0]
        elif unit == "tokens":
            want = [3000.0, 6000.0, 12000.0]
        else:
            model = ttsim.kinetics_cost if unit in ("flops", "memory_bytes", "eflops") else ttsim.roofline_cost
            want = [float(getattr(model(m, h, 150.0, 3000.0, n), unit)) for n in (1, 2, 4)]
        np.testing.assert_allclose(cost, want, rtol=1e-5, err_msg=unit)
        if unit == "tokens":
            assert cost[1] == 6000.0  # a bin's cost is an exact mean (weights renormalised in float64)
        budget = np.array([cost[1], 0.5 * (cost[1] + cost[2])])  # exactly two samples per problem; then between
        res = ttsim.optimize_allocation(binned, opts, budget, spec=spec, compare_exact=True)
        assert np.all(res.cost <= budget), unit  # exactly: no float32 slack in the table's cost
        np.testing.assert_allclose(res.cost[0], budget[0], rtol=1e-12, err_msg=unit)  # N=2 in both bins fits
        np.testing.assert_allclose(res.accuracy, res.exact_accuracy, atol=2e-6, err_msg=unit)


def test_token_budget_as_an_allocation_dimension():
    # a per-sample thinking budget enters as one "model" entry per budget: its own success rates
    # (correct and within budget) and its truncated lengths; the optimizer then picks N x budget
    rng = np.random.default_rng(11)
    correct = rng.uniform(size=(6, 8)) < rng.uniform(0.1, 0.9, (6, 1))
    tokens = rng.integers(200, 4000, (6, 8)).astype(float)
    valid = np.ones_like(correct)
    caps = np.array([1000.0, 4000.0])
    p = np.asarray(ttsim.budget_counts(correct, tokens, valid, caps), np.float64) / 8  # (2, P)
    gen = np.minimum(tokens[None], caps[:, None, None])  # (2, P, S): a truncated sample stops at the cap
    binned = ttsim.bin_population(p, np.arange(6), gen_tokens=gen)  # per-problem allocation
    opts = ttsim.make_options("parallel", n=[1, 2, 4], model=[0, 1])
    tab = ttsim.option_table(binned, opts, spec=ttsim.CostSpec("tokens"))
    desc = [ttsim.describe_option(opts, j) for j in range(opts.num_options)]
    for j, d in enumerate(desc):
        m, n = d["model"], d["N"]
        np.testing.assert_allclose(tab.cost[:, j], n * gen[m].mean(1), rtol=1e-6)
        np.testing.assert_allclose(tab.accuracy[:, j], 1 - (1 - p[m]) ** n, atol=1e-6)
    budget = [tab.cost.min(1).mean() * 1.5, tab.cost.max(1).mean() * 0.6]
    res = ttsim.optimize_allocation(binned, opts, budget, spec=ttsim.CostSpec("tokens"), compare_exact=True)
    assert np.all(res.cost <= budget)
    np.testing.assert_allclose(res.accuracy, res.exact_accuracy, atol=2e-6)
