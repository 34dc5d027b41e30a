"""PRM-guided search: perfect PRM = step-wise oracle (exact recursion), d' = 0 = random, best-of-N
= the verifier's best_of_n; over-rated steps (hack_share) against a plain NumPy step-by-step
simulation and a three-class quadrature; the calibrated Hugging Face ordering; shapes, strategy
values."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ttsim._src.prm_search import (
    HF_CALIBRATION,
    SearchShape,
    compare_searches,
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


# ----------------------------------------------------------------------------- over-rated steps


def _numpy_search(rng, p, d, rho, h, margin, shape, num_steps, num_trials):
    """Plain step-by-step simulation of the module docstring's model, one trial and one tree at a
    time: a node is (right, over-rated, lineage bias); a tree keeps its `keep` best-scoring nodes
    and gives each `width // keep` children; the answer is the best-scoring leaf of all trees."""
    r = p ** (1.0 / num_steps)
    a, b = np.sqrt(rho), np.sqrt(1.0 - rho)

    def child(parent_right, parent_hack, bias):
        right = parent_right and rng.random() < r
        hack = parent_hack if not parent_right else (not right and rng.random() < h)
        mean = d if right else (d + margin if hack else 0.0)
        return right, hack, bias, a * bias + b * rng.standard_normal() + mean

    wins = 0
    for _ in range(num_trials):
        leaves = []
        for _tree in range(shape.num_trees):
            nodes = [child(True, False, rng.standard_normal()) for _ in range(shape.width)]
            for _step in range(num_steps - 1):
                kept = sorted(nodes, key=lambda n: -n[3])[: shape.keep]
                nodes = [child(n[0], n[1], n[2]) for n in kept for _ in range(shape.width // shape.keep)]
            leaves += nodes
        wins += max(leaves, key=lambda n: n[3])[0]
    return wins / num_trials


@pytest.mark.parametrize("strategy", ["beam", "dvts", "best_of_n"])
def test_over_rated_steps_match_a_numpy_simulation(strategy):
    shape = search_shape(strategy, 16, 4)
    p, d, rho, h, margin, steps = 0.3, 1.0, 0.3, 0.1, 0.75, 4
    n_jax, n_np = 4096, 1500
    got = float(prm_search_accuracy(jax.random.key(5), p, d, shape, persistence=rho, hack_share=h, hack_margin=margin, num_steps=steps, num_trials=n_jax))
    ref = _numpy_search(np.random.default_rng(11), p, d, rho, h, margin, shape, steps, n_np)
    se = np.sqrt(got * (1 - got) / n_jax + ref * (1 - ref) / n_np)
    assert abs(got - ref) < 4 * se + 1e-3, (got, ref, se)


@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_best_of_n_with_over_rated_steps_is_a_three_class_maximum(rho):
    # final scores: right N(d, 1) w.p. p, over-rated N(d + delta, 1) w.p. h (1 - p), wrong N(0, 1)
    from scipy import integrate
    from scipy.stats import norm

    p, d, h, delta, n = np.array([0.1, 0.5, 0.9]), 1.0, 0.05, 1.0, 32
    got = prm_search_accuracy(jax.random.key(7), p, d, search_shape("best_of_n", n), persistence=rho, hack_share=h, hack_margin=delta, num_trials=4096)

    def acc(pi):
        cdf = lambda x: pi * norm.cdf(x - d) + h * (1 - pi) * norm.cdf(x - d - delta) + (1 - h) * (1 - pi) * norm.cdf(x)  # noqa: E731
        return integrate.quad(lambda x: n * pi * norm.pdf(x - d) * cdf(x) ** (n - 1), -10, 12, limit=200)[0]

    want = np.array([acc(pi) for pi in p])
    np.testing.assert_allclose(np.asarray(got), want, atol=4 * 0.5 / np.sqrt(4096))


def test_no_over_rated_steps_is_the_model_without_them():
    shape = search_shape("beam", 16, 4)
    plain = prm_search_accuracy(jax.random.key(9), P, 1.0, shape, persistence=0.4, num_trials=512)
    for margin in (0.0, 3.0):
        same = prm_search_accuracy(jax.random.key(9), P, 1.0, shape, persistence=0.4, hack_share=0.0, hack_margin=margin, num_trials=512)
        np.testing.assert_array_equal(np.asarray(same), np.asarray(plain))  # same key -> same numbers
    with pytest.raises(ValueError, match="hack_share"):
        prm_search_accuracy(jax.random.key(0), P, 1.0, shape, hack_share=1.5)


def test_calibrated_hugging_face_ordering():
    # HF study: beam search ahead of best-of-N at small N on hard problems, DVTS ahead of beam
    # search at large N (easy/medium). Measured (4096 trials): p = 0.05, N = 16: best-of-N 0.18,
    # beam 0.66; N = 256: beam 0.67 / 0.91, DVTS 0.91 / 0.98 at p = 0.5 / 0.85.
    c = HF_CALIBRATION
    p = jnp.array([0.05, 0.5, 0.85])

    def acc(search, n, hack_share=c.hack_share):
        shape = search_shape(search, n, c.beam_width)
        return np.asarray(prm_search_accuracy(jax.random.key(0), p, c.d_prime, shape, persistence=c.persistence, hack_share=hack_share,
                                              hack_margin=c.hack_margin, num_steps=c.num_steps, num_trials=2048))

    assert acc("beam", 16)[0] > acc("best_of_n", 16)[0] + 0.3  # small N, hard (standard error <= 0.011)
    beam, dvts = acc("beam", 256), acc("dvts", 256)
    assert dvts[1] > beam[1] + 0.15  # large N, medium
    assert dvts[2] > beam[2] + 0.03  # large N, easy (the difference's standard error is ~0.007)
    # without over-rated steps beam search stays ahead of DVTS at large N (the model's old finding)
    assert np.all(acc("beam", 256, hack_share=0.0) >= acc("dvts", 256, hack_share=0.0) - 0.01)


def test_compare_searches_table():
    got = compare_searches(jax.random.key(0), jnp.array([0.2, 0.7]), (4, 8), HF_CALIBRATION._replace(num_steps=2), num_trials=64)
    assert set(got) == {"best_of_n", "beam", "dvts"} and all(v.shape == (2, 2) for v in got.values())
    np.testing.assert_array_equal(got["beam"][0], got["dvts"][0])  # N = M: one tree of width M either way


def test_strategy_carries_over_rated_steps():
    s = prm_search_strategy(jax.random.key(4), "beam", 16, hack_share=0.05, hack_margin=1.0, num_steps=4, num_trials=256)
    got = jax.jit(s.accuracy)(P, s.params)
    want = prm_search_accuracy(jax.random.wrap_key_data(s.params.key), P, 1.0, search_shape("beam", 16, 4), hack_share=0.05, hack_margin=1.0, num_steps=4, num_trials=256)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-6)
    # swept as an array: one trace for both values; h = 0 gives the strategy without over-rated steps
    swept = jax.jit(jax.vmap(s.accuracy, in_axes=(None, 0)))(P, s.params._replace(hack_share=jnp.array([0.0, 0.05]), d_prime=jnp.ones(2), prm_cost=jnp.ones(2),
                                                                                 persistence=jnp.zeros(2), key=jnp.stack([s.params.key] * 2), hack_margin=jnp.ones(2)))
    np.testing.assert_allclose(np.asarray(swept[1]), np.asarray(got), atol=1e-6)
    plain = prm_search_strategy(jax.random.key(4), "beam", 16, num_steps=4, num_trials=256)
    np.testing.assert_allclose(np.asarray(swept[0]), np.asarray(plain.accuracy(P, plain.params)), atol=1e-6)
