"""DeepConf confidence filtering: model limits vs independent references; log estimator by hand."""

from __future__ import annotations

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ttsim._src.confidence import (
    estimate_confidence_filtering,
    filtered_vote_score,
    offline_filter_accuracy,
    online_filter,
)
from ttsim._src.vote import answer_probs, majority_vote

P = jnp.array([0.2, 0.4, 0.7])
TOL = 0.015  # 20k trials: standard error <= 0.0035; seeds spread ~0.008


def _maj(k):
    return np.asarray(majority_vote(answer_probs(P, 0.3 * (1 - P), 4), k))


def test_offline_keep_all_unweighted_is_majority_vote():
    got = offline_filter_accuracy(jax.random.key(1), P, 16, 1.0, 0.0, weighted=False, num_trials=20_000)
    np.testing.assert_allclose(np.asarray(got), _maj(16), atol=TOL)


def test_offline_uninformative_confidence_keeps_a_random_subset():
    got = offline_filter_accuracy(jax.random.key(2), P, 16, 0.25, 0.0, weighted=False, num_trials=20_000)
    np.testing.assert_allclose(np.asarray(got), _maj(4), atol=TOL)


def test_offline_perfect_confidence_top_one_is_coverage():
    got = offline_filter_accuracy(jax.random.key(3), P, 16, 1 / 16, 12.0, weighted=False, num_trials=20_000)
    np.testing.assert_allclose(np.asarray(got), 1 - (1 - np.asarray(P)) ** 16, atol=TOL)


def test_offline_filtering_helps_with_informative_confidence():
    base = offline_filter_accuracy(jax.random.key(4), 0.15, 32, 1.0, 1.5, num_trials=4096)
    top = offline_filter_accuracy(jax.random.key(4), 0.15, 32, 0.1, 1.5, num_trials=4096)
    assert float(top) > float(base) + 0.05


def test_online_tokens_match_order_statistics():
    # d' = 0: P(c >= theta) averages 1 - (h + 1)/(W + 1), h = (W - 1)(1 - eta) the quantile's position.
    n, w, eta, f = 64, 16, 0.1, 0.3
    res = online_filter(jax.random.key(5), P, n, w, eta, 0.0, stop_fraction=f, num_trials=20_000)
    keep = 1 - ((w - 1) * (1 - eta) + 1) / (w + 1)
    want = w + (n - w) * (keep + f * (1 - keep))
    np.testing.assert_allclose(np.asarray(res.tokens), want, atol=0.3)  # measured spread ~0.1
    with pytest.raises(ValueError, match="warmup"):
        online_filter(jax.random.key(0), P, 8, 9, 0.1, 1.0)


def test_filtered_vote_score_by_hand():
    answers = np.array([0, 0, 1, 1, 1, 2, -1])
    correct = np.array([1, 0, 0, 0, 0, 0, 0])
    conf = np.array([5.0, 4.0, 1.0, 1.0, 1.0, 3.0, 9.0])
    # eta = 100%: counts 2 (answer 0) vs 3 (answer 1) -> wrong; weighted: 9 vs 3 -> right
    assert filtered_vote_score(answers, correct, conf, 1.0, weighted=False) == 0.0
    assert filtered_vote_score(answers, correct, conf, 1.0) == 1.0
    # eta = 3/7 keeps confidences >= 4 -> rows 0, 1 and the empty row 6 -> answer 0
    assert filtered_vote_score(answers, correct, conf, 3 / 7, weighted=False) == 1.0
    # eta = 1/7 keeps only the empty row -> no votes
    assert filtered_vote_score(answers, correct, conf, 1 / 7) == 0.0


def test_estimate_confidence_filtering_on_a_log():
    log = SimpleNamespace(
        problem=np.array(["a"] * 4 + ["b"] * 4, dtype=object),
        answer=np.array(["1", "1", "2", "2", "x", "y", "y", ""], dtype=object),
        correct=np.array([1, 1, 0, 0, 1, 0, 0, 0], np.int8),
        confidence=np.array([0.9, 0.8, 0.1, 0.2, 0.9, 0.3, 0.2, 0.5]),
        source="mem",
    )
    got = estimate_confidence_filtering(log, (0.25, 1.0))
    assert got == {0.25: 1.0, 1.0: 1.0}  # weighted: a 1.7 vs 0.3, b 0.9 vs 0.5
    plain = estimate_confidence_filtering(log, (0.25, 1.0), weighted=False)
    assert plain == {0.25: 1.0, 1.0: 0.25}  # unweighted: a ties 2-2 (1/2), b loses 1-2 (0)
    with pytest.raises(ValueError, match="confidence"):
        estimate_confidence_filtering(SimpleNamespace(**{**vars(log), "confidence": None}))


def test_deepconf_strategy_values():
    import ttsim
    from ttsim._src.confidence import deepconf_strategy

    pop = ttsim.empirical_population(jnp.array([0.3, 0.6]))
    s = deepconf_strategy(jax.random.key(0), k=32, warmup=8, stop_fraction=0.5, num_trials=256, problems=pop)
    acc = jax.jit(s.accuracy)(jnp.array([0.3, 0.6]), s.params)
    assert acc.shape == (2,) and np.all((np.asarray(acc) >= 0) & (np.asarray(acc) <= 1))
    warm, rest = s.workload(s.params).phases
    assert float(warm.count) == 8 and float(rest.count) == 24 and 0.5 < float(rest.length) < 1.0
    off = deepconf_strategy(jax.random.key(0), k=32, online=False, num_trials=256)
    (ph,) = off.workload(off.params).phases
    assert float(ph.count * ph.length) == 32
