"""ttsim.testing properties: each passes on a valid law and FAILS, with a useful message, on a broken one."""

import re

import numpy as np
import pytest

import ttsim
import ttsim.testing as tt

K = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])


def test_monotone_passes_and_catches_a_non_monotone_curve():
    good = np.asarray(ttsim.coverage(0.2, K))
    assert tt.check_monotone(good, along=K, name="coverage(k)").ok
    broken = good.copy()
    broken[3] = broken[2] - 0.05  # dips at k = 8
    with pytest.raises(AssertionError) as info:
        tt.check_monotone(broken, along=K, name="coverage(k)", inputs={"p": 0.2})
    msg = str(info.value)
    assert "monotone non-decreasing" in msg and "coverage(k)" in msg and "p=0.2" in msg
    assert "index (3,) (at 8)" in msg and "index (2,)" in msg
    res = tt.check_monotone(broken, along=K, raise_on_failure=False)
    assert not res.ok and res.index == (3,) and res.details["at"] == 8.0 and res.message
    assert tt.assert_monotone is tt.check_monotone


def test_monotone_on_a_batch_reports_the_full_index_and_direction():
    x = np.stack([np.arange(5.0), np.array([0.0, 1.0, 3.0, 2.0, 4.0])])  # row 1 drops at column 3
    res = tt.check_monotone(x, raise_on_failure=False)
    assert res.index == (1, 3)
    res = tt.check_monotone(x.T, axis=0, raise_on_failure=False)
    assert res.index == (3, 1)
    assert tt.check_monotone(-np.arange(4.0), increasing=False).ok
    assert not tt.check_monotone(np.ones(3), strict=True, raise_on_failure=False).ok
    assert not tt.check_monotone(np.array([0.0, np.nan, 1.0]), raise_on_failure=False).ok


def test_monotone_in_budget_evaluates_the_function():
    assert tt.check_monotone_in_budget(lambda k: ttsim.beta_coverage(0.5, 2.0, k), [32, 1, 8]).ok

    def broken(k):  # peaks at k = 4 then falls
        return 1 - np.abs(np.log2(k) - 2) / 10

    with pytest.raises(AssertionError, match=r"broken\(budget\).*index \(3,\) \(at 8\)"):
        tt.check_monotone_in_budget(broken, [1, 2, 4, 8])


def test_bounded_catches_a_curve_exceeding_one_and_nan():
    assert tt.check_bounded(ttsim.coverage(0.3, K)).ok
    over = 1.02 * (1 - 0.7**K)  # exceeds 1 at large k
    with pytest.raises(AssertionError) as info:
        tt.check_bounded(over, along=K, name="my law")
    msg = str(info.value)
    j = int(np.argmax(over > 1 + 1e-6))
    assert "bounded in [0, 1]" in msg and "above the upper bound" in msg and f"index ({j},)" in msg
    assert f"(at {K[j]:g})" in msg
    res = tt.check_bounded(np.array([0.1, np.nan]), raise_on_failure=False)
    assert not res.ok and "NaN" in res.message
    assert not tt.check_bounded(np.array([-0.5]), raise_on_failure=False).ok
    assert tt.check_bounded(np.array([2.0, 3.0]), 0, 5).ok


def test_concave_passes_coverage_and_catches_a_convex_curve():
    assert tt.check_concave(ttsim.coverage(0.1, K), along=K).ok
    assert tt.check_diminishing_returns(np.log(K), along=K).ok
    convex = (K / 32.0) ** 2
    with pytest.raises(AssertionError, match=r"concave \(diminishing returns\).*slope rises"):
        tt.check_concave(convex, along=K, name="accelerating law")
    # Unequal spacing matters: log-spaced samples of a linear curve are concave in the index, not in k.
    assert tt.check_concave(K, along=K).ok
    assert not tt.check_concave(K, raise_on_failure=False).ok


def test_saturation_moves_with_eps_passes_and_catches_the_wrong_direction():
    n = np.arange(1, 201)
    curve = np.asarray(ttsim.coverage(0.05, n))
    eps = [1e-2, 3e-3, 1e-3]
    assert tt.check_saturation_moves_with_eps(eps, curve=curve).ok
    # Closed form under test, and a broken version whose N* grows with eps.
    assert tt.check_saturation_moves_with_eps(eps, saturation_fn=lambda e: ttsim.accuracy.parallel_saturation_point(0.05, e)).ok
    with pytest.raises(AssertionError) as info:
        tt.check_saturation_moves_with_eps(eps, saturation_fn=lambda e: 1000 * np.asarray(e), name="my N*")
    msg = str(info.value)
    assert "non-increasing in eps" in msg and "my N*" in msg and "grows with eps" in msg
    # A curve that never saturates on the grid (linear gain 0.005 > eps=1e-3) has no saturation point.
    res = tt.check_saturation_moves_with_eps(eps, curve=0.005 * n, raise_on_failure=False)
    assert not res.ok and "no saturation point" in res.message
    with pytest.raises(ValueError, match="exactly one"):
        tt.check_saturation_moves_with_eps(eps)


def test_limits_pass_for_coverage_and_catch_wrong_limits():
    assert tt.check_limits(lambda p: ttsim.coverage(p, 4.0)).ok
    assert tt.check_limits(lambda p: ttsim.coverage(p[None, :], K[:, None]), name="coverage").ok
    with pytest.raises(AssertionError, match="value at p=1 is 0.9"):
        tt.check_limits(lambda p: 0.9 * np.asarray(p))  # never reaches 1

    def jumps(p):  # right value at 0 but discontinuous: away from the limit near 0
        p = np.asarray(p, np.float64)
        return np.where(p == 0, 0.0, np.where(p < 1e-3, 0.5, p))

    res = tt.check_limits(jumps, raise_on_failure=False)
    assert not res.ok and "moves away from the limit 0" in res.message
    res = tt.check_limits(lambda p: np.log(np.asarray(p, np.float64)), at_zero=None, at_one=0.0)
    assert res.ok
    with np.errstate(divide="ignore"):
        assert not tt.check_limits(lambda p: np.log(np.asarray(p, np.float64)), at_one=None, raise_on_failure=False).ok


def test_order_invariance_passes_population_functions_and_catches_order_dependence():
    pop = ttsim.empirical_population(np.array([0.0, 0.1, 0.5, 0.9, 1.0]), np.array([1.0, 2.0, 3.0, 1.0, 1.0]))
    assert tt.check_order_invariance(lambda q: ttsim.population_coverage(q, K), pop).ok
    counts = (np.array([10, 10, 20, 5]), np.array([0, 3, 20, 1]))
    assert tt.check_order_invariance(lambda nc: np.mean(np.asarray(ttsim.pass_at_k(nc[0], nc[1], 5)), -1), counts).ok

    def first_problem_counts_double(q):  # order-dependent "population" value
        return np.sum(np.asarray(q.weight) * np.asarray(q.p) * np.array([2.0, 1, 1, 1, 1]))

    with pytest.raises(AssertionError) as info:
        tt.check_order_invariance(first_problem_counts_double, pop)
    msg = str(info.value)
    assert "invariant to the order of problems" in msg and re.search(r"permutation \[4, 3, 2, 1, 0\]", msg)


def test_cost_monotone_passes_kinetics_and_catches_a_cost_that_falls():
    model, hw = ttsim.get_model("qwen3-8b"), ttsim.get_hardware("h100-sxm")

    def cost(tokens, samples):
        return ttsim.kinetics_cost(model, hw, 200.0, tokens, samples)

    assert tt.check_cost_monotone(cost, [1e3, 1e2, 1e4], [1, 4, 16]).ok

    def discounted(tokens, samples):  # bulk discount: per-sample price falls too fast
        return tokens * samples / (1.0 + (samples - 1.0) ** 2)

    with pytest.raises(AssertionError, match=r"cost decreases with samples at tokens=100: .* at samples=4"):
        tt.check_cost_monotone(discounted, [100.0, 1000.0], [1.0, 2.0, 4.0])

    def shrinking_memory(tokens, samples):
        return ttsim.Cost(tokens * samples, 1.0 / tokens, tokens, tokens, np.nan * tokens)

    res = tt.check_cost_monotone(shrinking_memory, [1.0, 2.0], [1.0], raise_on_failure=False)
    assert not res.ok and res.details == {"field": "memory_bytes", "along": "tokens"}
