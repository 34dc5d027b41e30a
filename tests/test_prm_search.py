"""PRM-guided search: perfect PRM = step-wise oracle (exact recursion), d' = 0 = random, best-of-N
= the verifier's best_of_n; shapes, strategy values."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ttsim._src.prm_search import (
    SearchShape,
    oracle_search_accuracy,
    prm_search_accuracy,
    prm_search_kv_tokens,
    prm_search_strategy,
    search_shape,
)
from ttsim._src.verifier import best_of_n

P = jnp.array([0.02, 0.2, 0.6])
TRIALS = 2000  # standard error <= 0.011


@pytest.mark.parametrize("strategy", ["beam", "dvts", "best_of_n"])
def test_perfect_prm_is_stepwise_oracle(strategy):
    shape = search_shape(strategy, 8, 4)
    got = prm_search_accuracy(jax.random.key(0), P, 50.0, shape, num_steps=4, num_trials=TRIALS)
    np.testing.assert_allclose(np.asarray(got), oracle_search_accuracy(np.asarray(P), shape, 4), atol=0.035)


@pytest.mark.parametrize("strategy", ["beam", "dvts"])
def test_uninformative_prm_is_random_selection(strategy):
    got = prm_search_accuracy(jax.random.key(1), P, 0.0, search_shape(strategy, 16, 4), persistence=0.5, num_trials=TRIALS)
    np.testing.assert_allclose(np.asarray(got), np.asarray(P), atol=0.035)


def test_best_of_n_matches_verifier_quadrature():
    got = prm_search_accuracy(jax.random.key(2), P, 1.0, search_shape("best_of_n", 16), num_trials=TRIALS)
    np.testing.assert_allclose(np.asarray(got), np.asarray(best_of_n(P, 16, 1.0)), atol=0.035)


def test_oracle_recursion_by_hand():
    # one step, one tree of width 3: right unless all three are wrong
    assert oracle_search_accuracy(0.3, SearchShape(1, 3, 1), 1) == pytest.approx(1 - 0.7**3)
    # best-of-N with a perfect verifier is coverage
    assert oracle_search_accuracy(0.3, search_shape("best_of_n", 5), 4) == pytest.approx(1 - 0.7**5)


def test_beam_beats_best_of_n_on_hard_problems_at_small_n():
    hard = jnp.array([0.05])
    beam = prm_search_accuracy(jax.random.key(3), hard, 1.0, search_shape("beam", 16, 4), num_trials=TRIALS)
    bon = prm_search_accuracy(jax.random.key(3), hard, 1.0, search_shape("best_of_n", 16), num_trials=TRIALS)
    assert float(beam[0]) > float(bon[0]) + 0.2


def test_shapes_kv_and_strategy():
    with pytest.raises(ValueError, match="multiple"):
        search_shape("beam", 10, 4)
    assert prm_search_kv_tokens(search_shape("best_of_n", 16), 8) == pytest.approx(16 * 4.5)
    assert prm_search_kv_tokens(search_shape("beam", 16, 4), 8) < 16 * 4.5  # prefix sharing
    s = prm_search_strategy(jax.random.key(0), "dvts", 16, num_trials=256)
    acc = jax.jit(s.accuracy)(P, s.params)
    assert acc.shape == (3,)
    solver, prm = s.workload(s.params).phases
    assert prm.role == "prm" and float(solver.count) == 16 and float(solver.depth) == 8
