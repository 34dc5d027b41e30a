"""Allocation across configurations: objective, unbiased test estimator, greedy vs exact search."""

import itertools

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ttsim


def _compositions(total, parts):
    for cuts in itertools.combinations(range(total + parts - 1), parts - 1):
        bounds = (-1, *cuts, total + parts - 1)
        yield np.array([bounds[i + 1] - bounds[i] - 1 for i in range(parts)])


def _brute_force(p_hat, total, cap=None):
    best, arg = -1.0, None
    for n in _compositions(total, p_hat.shape[1]):
        if cap is not None and np.any(n > cap):
            continue
        val = np.mean(1.0 - np.prod((1.0 - p_hat) ** n, axis=1))
        if val > best + 1e-12:
            best, arg = val, n
    return best, arg


def test_objective_matches_formula_and_edges():
    p_hat = np.array([[0.0, 0.5, 1.0], [0.2, 0.0, 0.3]])
    counts = np.array([[0, 0, 0], [1, 2, 0], [0, 0, 3], [5, 1, 2]])
    want = np.mean(1.0 - np.prod((1.0 - p_hat[None]) ** counts[:, None, :], axis=2), axis=1)
    np.testing.assert_allclose(ttsim.allocation_objective(p_hat, counts), want, rtol=1e-6, atol=1e-7)
    w = np.array([3.0, 1.0])
    want_w = (1.0 - np.prod((1.0 - p_hat) ** counts[1], axis=1)) @ (w / w.sum())
    np.testing.assert_allclose(ttsim.allocation_objective(p_hat, counts[1], weight=w), want_w, rtol=1e-6)


def test_unbiased_estimator_matches_combinatorics():
    runs = np.array([10, 6, 8])
    correct = np.array([[3, 0, 8], [1, 2, 0], [0, 0, 0], [10, 6, 1]])
    counts = np.array([[2, 1, 0], [0, 3, 4], [10, 6, 8]])
    want = []
    for n in counts:
        per = [
            1.0
            - np.prod([scipy.special.comb(r - c, k, exact=True) / scipy.special.comb(r, k, exact=True)
                       for r, c, k in zip(runs, row, n, strict=True)])
            for row in correct
        ]
        want.append(np.mean(per))
    np.testing.assert_allclose(ttsim.allocation_pass_at_k(runs, correct, counts), want, rtol=1e-5, atol=1e-7)


@given(
    p_hat=hnp.arrays(np.float64, (5, 3), elements=st.floats(0.0, 1.0)),
    total=st.integers(0, 7),
)
@settings(max_examples=40)
def test_exact_is_optimal_and_greedy_is_bounded(p_hat, total):
    best, _ = _brute_force(p_hat, total)
    ex = ttsim.exact_allocation(p_hat, total)
    gr = ttsim.greedy_allocation(p_hat, total)
    po = ttsim.improve_allocation(p_hat, gr.counts)
    assert ex.exact and ex.counts.sum() == total and gr.counts.sum() == total == po.counts.sum()
    assert ex.value == pytest.approx(best, abs=1e-10)
    # DR-submodular and monotone: greedy <= polished <= optimum, and greedy within 1 - 1/e.
    assert gr.value <= po.value + 1e-12 <= ex.value + 2e-12
    assert gr.value >= (1.0 - 1.0 / np.e) * ex.value - 1e-12
    assert float(ttsim.oracle_allocation_value(p_hat, total)) >= ex.value - 1e-6
    np.testing.assert_allclose(ttsim.allocation_objective(p_hat, ex.counts), ex.value, rtol=1e-5, atol=1e-6)


@given(
    p_hat=hnp.arrays(np.float64, (1, 4), elements=st.floats(0.0, 1.0)),
    total=st.integers(1, 12),
)
@settings(max_examples=20)
def test_greedy_and_exact_agree_for_one_problem(p_hat, total):
    # One problem: the optimum puts every sample on its best configuration, and so does greedy.
    gr, ex = ttsim.greedy_allocation(p_hat, total), ttsim.exact_allocation(p_hat, total)
    assert gr.value == pytest.approx(ex.value, abs=1e-12)
    assert gr.value == pytest.approx(float(ttsim.oracle_allocation_value(p_hat, total)), abs=1e-6)


def test_greedy_and_exact_agree_on_most_random_instances():
    rng = np.random.default_rng(0)
    agree = 0
    for _ in range(30):
        p_hat = rng.beta(0.4, 1.5, size=(8, 3))
        total = int(rng.integers(2, 9))
        agree += ttsim.greedy_allocation(p_hat, total).value >= ttsim.exact_allocation(p_hat, total).value - 1e-12
    assert agree >= 24  # greedy is not always optimal (the objective is not separable), but nearly


@given(
    p_hat=hnp.arrays(np.float64, (4, 3), elements=st.floats(0.0, 1.0)),
    total=st.integers(1, 8),
)
@settings(max_examples=25)
def test_objective_non_decreasing_in_budget(p_hat, total):
    gr = ttsim.greedy_allocation(p_hat, total)
    path_values = np.asarray(ttsim.allocation_objective(p_hat, gr.path))
    assert np.all(np.diff(path_values) >= -1e-6)
    assert np.all(gr.path.sum(axis=1) == np.arange(total + 1))
    np.testing.assert_array_equal(gr.path[-1], gr.counts)
    exact = [ttsim.exact_allocation(p_hat, c).value for c in range(total + 1)]
    assert np.all(np.diff(exact) >= -1e-12)
    oracle = np.asarray(ttsim.oracle_allocation_value(p_hat, np.arange(total + 1.0)))
    assert np.all(np.diff(oracle) >= -1e-6)


def test_caps_and_budget_limits():
    p_hat = np.array([[0.9, 0.1], [0.8, 0.2]])
    gr = ttsim.greedy_allocation(p_hat, 5, max_counts=[2, 10])
    assert gr.counts.tolist() == [2, 3]
    ex = ttsim.exact_allocation(p_hat, 5, max_counts=[2, 10])
    assert ex.counts.tolist() == [2, 3]
    best, arg = _brute_force(p_hat, 5, cap=np.array([2, 10]))
    assert ex.value == pytest.approx(best)
    with pytest.raises(ValueError, match="max_counts"):
        ttsim.greedy_allocation(p_hat, 5, max_counts=[2, 2])
    with pytest.raises(ValueError, match="exceeds"):
        ttsim.allocation_pass_at_k([4, 4], [[1, 1]], [5, 0])
    with pytest.raises(ValueError, match="p_hat"):
        ttsim.greedy_allocation(np.array([[1.5]]), 2)
    with pytest.raises(ValueError, match="total"):
        ttsim.exact_allocation(p_hat, -1)


def test_exact_gives_up_gracefully():
    rng = np.random.default_rng(1)
    p_hat = rng.uniform(0, 0.3, size=(30, 8))
    ex = ttsim.exact_allocation(p_hat, 12, max_nodes=5)
    assert not ex.exact and ex.counts.sum() == 12
    assert ex.value >= ttsim.greedy_allocation(p_hat, 12).value - 1e-12
