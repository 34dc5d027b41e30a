"""Thinking-token budgets: truncation, accuracy over (samples, tokens per sample), unlabelled bounds."""

import itertools

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import ttsim

TOKENS = np.array(
    [
        [120.0, 800.0, 300.0, 950.0, 40.0],
        [500.0, 500.0, 700.0, 100.0, 0.0],
        [60.0, 2000.0, 1500.0, 0.0, 0.0],
    ]
)
VALID = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0], [1, 1, 1, 0, 0]], dtype=bool)
CORRECT = np.array([[1, 0, 1, 0, 0], [0, 1, 0, 1, 0], [0, 1, 1, 0, 0]], dtype=float)


def enumerate_accuracy(correct, tokens, valid, budget, k):
    """Independent reference: the fraction of k-subsets holding a correct sample within budget."""
    accs = []
    for i in range(tokens.shape[0]):
        good = [bool(c) and t <= budget for c, t, v in zip(correct[i], tokens[i], valid[i]) if v]
        subsets = list(itertools.combinations(range(len(good)), k))
        accs.append(np.mean([any(good[j] for j in s) for s in subsets]))
    return float(np.mean(accs))


def test_budget_counts_and_accuracy_match_enumeration():
    budgets = np.array([0.0, 100.0, 350.0, 600.0, 900.0, 5000.0])
    ks = np.array([1, 2, 3])
    counts = np.asarray(ttsim.accuracy.budget_counts(CORRECT, TOKENS, VALID, budgets))
    assert counts.shape == (6, 3)
    np.testing.assert_array_equal(counts[-1], [2, 2, 2])
    np.testing.assert_array_equal(counts[2], [2, 1, 0])  # budget 350
    grid = np.asarray(ttsim.accuracy.token_budget_accuracy(CORRECT, TOKENS, VALID, budgets[:, None], ks[None, :]))
    assert grid.shape == (6, 3)
    for i, b in enumerate(budgets):
        for j, k in enumerate(ks):
            np.testing.assert_allclose(grid[i, j], enumerate_accuracy(CORRECT, TOKENS, VALID, b, k), atol=1e-6)


def test_truncation_and_tokens_used():
    budgets = np.array([100.0, 600.0])
    rate = np.asarray(ttsim.accuracy.truncation_rate(TOKENS, VALID, budgets))
    used = np.asarray(ttsim.accuracy.mean_tokens_used(TOKENS, VALID, budgets))
    for b, r, u in zip(budgets, rate, used):
        rows = [TOKENS[i, VALID[i]] for i in range(3)]
        np.testing.assert_allclose(r, np.mean([np.mean(x > b) for x in rows]), rtol=1e-6)
        np.testing.assert_allclose(u, np.mean([np.mean(np.minimum(x, b)) for x in rows]), rtol=1e-6)


def assigned(tokens, valid, c, longest):
    """Correct = the c shortest (or longest) valid samples of each problem."""
    out = np.zeros_like(tokens)
    for i in range(tokens.shape[0]):
        idx = np.flatnonzero(valid[i])
        order = idx[np.argsort(tokens[i, idx], kind="stable")]
        chosen = order[::-1][: c[i]] if longest else order[: c[i]]
        out[i, chosen] = 1.0
    return out


def test_unlabelled_bounds_and_uniform_assignment():
    c = CORRECT.sum(-1).astype(int)
    budgets = np.array([50.0, 400.0, 800.0, 1600.0])
    for k in (1, 2):
        hi = np.asarray(ttsim.accuracy.token_budget_accuracy_unlabelled(c, TOKENS, VALID, budgets, k, assignment="shortest"))
        lo = np.asarray(ttsim.accuracy.token_budget_accuracy_unlabelled(c, TOKENS, VALID, budgets, k, assignment="longest"))
        mid = np.asarray(ttsim.accuracy.token_budget_accuracy_unlabelled(c, TOKENS, VALID, budgets, k, assignment="uniform"))
        for j, b in enumerate(budgets):
            want_hi = enumerate_accuracy(assigned(TOKENS, VALID, c, False), TOKENS, VALID, b, k)
            want_lo = enumerate_accuracy(assigned(TOKENS, VALID, c, True), TOKENS, VALID, b, k)
            # uniform: average over every placement of the c correct samples among the n
            per_problem = []
            for i in range(3):
                n = int(VALID[i].sum())
                vals = []
                for pick in itertools.combinations(range(n), c[i]):
                    corr = np.zeros((1, TOKENS.shape[1]))
                    corr[0, list(pick)] = 1
                    vals.append(enumerate_accuracy(corr, TOKENS[i : i + 1], VALID[i : i + 1], b, k))
                per_problem.append(np.mean(vals))
            np.testing.assert_allclose(hi[j], want_hi, atol=1e-6)
            np.testing.assert_allclose(lo[j], want_lo, atol=1e-6)
            np.testing.assert_allclose(mid[j], np.mean(per_problem), atol=1e-5)


@given(seed=st.integers(0, 10_000), budget=st.floats(0, 1200), k=st.integers(1, 3))
def test_unlabelled_ordering_and_range(seed, budget, k):
    rng = np.random.default_rng(seed)
    c = np.array([rng.integers(0, 6), rng.integers(0, 5), rng.integers(0, 4)])
    vals = [
        float(ttsim.accuracy.token_budget_accuracy_unlabelled(c, TOKENS, VALID, budget, k, assignment=a))
        for a in ("longest", "uniform", "shortest")
    ]
    assert 0 <= vals[0] <= vals[1] + 1e-6 and vals[1] <= vals[2] + 1e-6 and vals[2] <= 1 + 1e-6


@given(b1=st.floats(0, 3000), b2=st.floats(0, 3000))
def test_accuracy_monotone_in_budget(b1, b2):
    lo, hi = sorted((b1, b2))
    acc = ttsim.accuracy.token_budget_accuracy(CORRECT, TOKENS, VALID, np.array([lo, hi]), 2)
    assert acc[0] <= acc[1] + 1e-7


def test_sample_matrix_from_log(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "problem,sample,answer,correct,tokens\n"
        "p1,0,4,1,120\np1,1,5,0,800\np2,0,7,1,60\np1,2,4,1,300\np2,1,7,1,2000\n"
    )
    log = ttsim.read_sample_log(path)
    mat = ttsim.accuracy.sample_matrix(log)
    assert mat.problem == ["p1", "p2"]
    np.testing.assert_array_equal(mat.valid, [[1, 1, 1], [1, 1, 0]])
    np.testing.assert_array_equal(mat.tokens[0], [120, 800, 300])
    acc = float(ttsim.accuracy.token_budget_accuracy(mat.correct, mat.tokens, mat.valid, 500.0, 1))
    np.testing.assert_allclose(acc, 0.5 * (2 / 3) + 0.5 * 0.5, rtol=1e-6)
    bad = tmp_path / "bad.csv"
    bad.write_text("problem,sample,answer,correct,tokens\np1,0,4,1,\n")
    with pytest.raises(ValueError, match="tokens"):
        ttsim.accuracy.sample_matrix(ttsim.read_sample_log(bad))


def test_validation():
    with pytest.raises(ValueError, match="k must be <="):
        ttsim.accuracy.token_budget_accuracy(CORRECT, TOKENS, VALID, 100.0, 4)
    with pytest.raises(ValueError, match=r"\bc must be <="):
        ttsim.accuracy.token_budget_accuracy_unlabelled(np.array([6, 0, 0]), TOKENS, VALID, 100.0, 1)
    with pytest.raises(ValueError, match="assignment"):
        ttsim.accuracy.token_budget_accuracy_unlabelled(np.array([1, 0, 0]), TOKENS, VALID, 100.0, 1, assignment="median")
    with pytest.raises(ValueError, match="token_limit"):
        ttsim.accuracy.truncation_rate(TOKENS, VALID, -1.0)
    with pytest.warns(DeprecationWarning, match="budget"):
        old = ttsim.accuracy.truncation_rate(TOKENS, VALID, budget=100.0)
    np.testing.assert_allclose(old, ttsim.accuracy.truncation_rate(TOKENS, VALID, 100.0))
    tok, valid = ttsim.accuracy.pad_lengths([[1, 2, 3], [4]])
    assert tok.shape == (2, 3) and valid.sum() == 4
