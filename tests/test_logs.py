"""Sample-log readers and the pass@k / maj@k / bootstrap estimators against independent references."""

import csv
import itertools
from fractions import Fraction

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import ttsim
import ttsim.logs

# ---------------------------------------------------------------------------- helpers


def write_csv(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        if header is not None:
            w.writerow(header)
        w.writerows(rows)
    return path


def make_log(problems):
    """SampleLog from ``[(problem, [(answer, correct), ...]), ...]``."""
    prob, samp, ans, cor = [], [], [], []
    for pid, rows in problems:
        for i, (a, c) in enumerate(rows):
            prob.append(pid)
            samp.append(str(i))
            ans.append(a)
            cor.append(c)
    return ttsim.SampleLog(
        problem=np.asarray(prob, dtype=object),
        sample=np.asarray(samp, dtype=object),
        answer=np.asarray(ans, dtype=object),
        correct=np.asarray(cor, dtype=np.int8),
        tokens=np.full(len(prob), np.nan),
    )


def brute_force_maj(rows, k):
    """Exact maj@k of one problem by enumerating every size-k subset (rational arithmetic)."""
    correct_answers = {a for a, c in rows if c and a}
    total, count = Fraction(0), 0
    for subset in itertools.combinations(range(len(rows)), k):
        votes = {}
        for i in subset:
            a = rows[i][0]
            if a:
                votes[a] = votes.get(a, 0) + 1
        count += 1
        if votes:
            top = max(votes.values())
            tied = [a for a, v in votes.items() if v == top]
            total += Fraction(sum(a in correct_answers for a in tied), len(tied))
    return float(total / count)


def random_problem(rng, n, num_answers):
    letters = [""] + [f"x{i}" for i in range(num_answers)]
    rows = []
    for _ in range(n):
        a = letters[int(rng.integers(0, len(letters)))]
        rows.append((a, int(rng.random() < 0.35)))
    return rows


# ---------------------------------------------------------------------------- readers


def test_read_sample_log_parses_rows(tmp_path):
    path = write_csv(
        tmp_path / "s.csv",
        ["problem", "sample", "answer", "correct", "tokens", "extra"],
        [["p1", "0", "42", "1", "120", "x"], ["p1", "1", "a, b", "0", "", "y"], ["p2", "0", "", "false", "7", "z"], ["p2", "1", "3", "True", "8", "z"]],
    )
    log = ttsim.read_sample_log(path)
    assert log.problem.tolist() == ["p1", "p1", "p2", "p2"]
    assert log.answer.tolist() == ["42", "a, b", "", "3"]
    assert log.correct.tolist() == [1, 0, 0, 1]
    np.testing.assert_array_equal(np.isnan(log.tokens), [False, True, False, False])
    assert log.tokens[0] == 120
    assert str(path) in log.source
    counts = ttsim.counts_from_samples(log)
    assert counts.problem == ["p1", "p2"]
    assert counts.n.tolist() == [2, 2] and counts.c.tolist() == [1, 1]
    assert log.line.tolist() == [2, 3, 4, 5] and counts.line.tolist() == [2, 4]  # file lines, for messages
    assert isinstance(ttsim.read_log(path), ttsim.SampleLog)
    with pytest.raises(ValueError, match=r"s\.csv: problem 'p1' has 2 samples, fewer than k=3 \(its first row is line 2\)"):
        ttsim.estimate_maj_at_k(0, log, [3])


def test_read_counts_and_group_by(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["model", "problem", "n_samples", "n_correct"],
        [["A", "1", "10", "3"], ["A", "2", "10", "0"], ["B", "1", "5", "5"], ["B", "2", "5", "1"]],
    )
    with pytest.raises(ValueError, match=r"c\.csv: line 4: problem '1' repeats line 2.*group_by"):
        ttsim.read_counts(path)
    groups = ttsim.read_counts(path, group_by="model")
    assert list(groups) == ["A", "B"]
    assert groups["A"].n.tolist() == [10, 10] and groups["A"].c.tolist() == [3, 0]
    assert groups["B"].c.tolist() == [5, 1] and groups["B"].line.tolist() == [4, 5]
    with pytest.raises(ValueError, match=r"model=B\]: problem '1' has 5 samples, fewer than k=6 \(line 4, column n_samples\)"):
        ttsim.estimate_pass_at_k(groups["B"], [6])
    assert "model=B" in groups["B"].source
    auto = ttsim.read_log(path, group_by="model")
    assert isinstance(auto["A"], ttsim.Counts)
    with pytest.raises(ValueError, match="group_by column 'size' not found"):
        ttsim.read_counts(path, group_by="size")


@pytest.mark.parametrize(
    "header,rows,pattern",
    [
        (["problem", "sample", "correct"], [["p", "0", "1"]], r"missing column\(s\) answer"),
        (["problem", "sample", "answer", "correct"], [["p", "0", "a", "1"], ["p", "1", "a", "2"]], r"line 3: column correct: expected 0 or 1, got '2'"),
        (["problem", "sample", "answer", "correct"], [["p", "0", "a", "0.5"]], r"line 2: column correct"),
        (["problem", "sample", "answer", "correct", "tokens"], [["p", "0", "a", "1", "-3"]], r"line 2: column tokens"),
        (["problem", "sample", "answer", "correct"], [["p", "0", "a", "1"], ["p", "0", "b", "0"]], r"line 3: sample '0' of problem 'p' repeats line 2"),
        (["problem", "sample", "answer", "correct"], [], r"no data rows"),
        (None, [], r"empty file"),
        (["problem", "sample", "answer", "correct"], [["p", "0", "a"]], r"line 2: expected 4 fields"),
    ],
)
def test_sample_log_errors_name_file_and_line(tmp_path, header, rows, pattern):
    path = write_csv(tmp_path / "bad_samples.csv", header, rows)
    with pytest.raises(ValueError, match=pattern) as err:
        ttsim.read_sample_log(path)
    assert "bad_samples.csv" in str(err.value)


@pytest.mark.parametrize(
    "rows,pattern",
    [
        ([["p", "10", "11"]], r"line 2: column n_correct: 11 exceeds n_samples=10"),
        ([["p", "10", "2.5"]], r"line 2: column n_correct: expected a whole number"),
        ([["p", "ten", "2"]], r"line 2: column n_samples: expected a whole number"),
        ([["p", "10", "2"], ["q", "0", "0"]], r"line 3: column n_samples: must be >= 1"),
        ([["p", "10", "-1"]], r"line 2: column n_correct: must be >= 0"),
    ],
)
def test_counts_errors_name_file_and_line(tmp_path, rows, pattern):
    path = write_csv(tmp_path / "bad_counts.csv", ["problem", "n_samples", "n_correct"], rows)
    with pytest.raises(ValueError, match=pattern) as err:
        ttsim.read_counts(path)
    assert "bad_counts.csv" in str(err.value)


def test_counts_accept_integral_floats_and_missing_columns_are_named(tmp_path):
    ok = write_csv(tmp_path / "ok.csv", ["problem", "n_samples", "n_correct"], [["p", "10.0", "3"]])
    assert ttsim.read_counts(ok).n.tolist() == [10]
    bad = write_csv(tmp_path / "nocorrect.csv", ["problem", "n_samples"], [["p", "10"]])
    with pytest.raises(ValueError, match=r"nocorrect\.csv: missing column\(s\) n_correct"):
        ttsim.read_counts(bad)
    with pytest.raises(ValueError, match=r"nocorrect\.csv: missing column\(s\) n_correct for a counts file"):
        ttsim.read_log(bad)  # auto-detected as counts from n_samples, so the missing column is named
    neither = write_csv(tmp_path / "neither.csv", ["problem", "score"], [["p", "10"]])
    with pytest.raises(ValueError, match=r"neither\.csv: line 1: cannot tell the format"):
        ttsim.read_log(neither)
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        ttsim.read_log(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------- pass@k


@pytest.mark.parametrize(
    "n,c,k",
    [(1, 0, 1), (1, 1, 1), (5, 2, 1), (5, 2, 3), (5, 2, 4), (5, 2, 5), (200, 5, 150), (200, 0, 200), (10000, 3, 100), (10000, 9990, 100), (10000, 8, 9999)],
)
def test_pass_at_k_matches_exact_binomials(n, c, k):
    counts = ttsim.Counts(problem=["p"], n=np.array([n]), c=np.array([c]))
    got = ttsim.estimate_pass_at_k(counts, [k])[0]
    want = 1 - Fraction(sp.comb(n - c, k, exact=True), sp.comb(n, k, exact=True))
    np.testing.assert_allclose(got, float(want), rtol=1e-10, atol=1e-13)


def test_pass_at_k_mean_and_per_problem():
    rng = np.random.default_rng(0)
    n = rng.integers(20, 60, size=12)
    c = rng.integers(0, 20, size=12)
    counts = ttsim.Counts(problem=[f"p{i}" for i in range(12)], n=n, c=c)
    ks = [1, 2, 5, 20]
    per = ttsim.estimate_pass_at_k(counts, ks, per_problem=True)
    want = np.array([[1 - sp.comb(ni - ci, k, exact=True) / sp.comb(ni, k, exact=True) for k in ks] for ni, ci in zip(n, c)])
    np.testing.assert_allclose(per, want, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ttsim.estimate_pass_at_k(counts, ks), want.mean(0), rtol=1e-10)
    np.testing.assert_allclose(per[:, 0], c / n, rtol=1e-12)


def test_pass_at_k_too_few_samples_names_problem_and_file():
    counts = ttsim.Counts(problem=["a", "short"], n=np.array([10, 3]), c=np.array([1, 1]), source="log.csv")
    with pytest.raises(ValueError, match=r"log\.csv: problem 'short' has 3 samples, fewer than k=4"):
        ttsim.estimate_pass_at_k(counts, [1, 4])
    with pytest.raises(ValueError, match="ks must be whole numbers >= 1"):
        ttsim.estimate_pass_at_k(counts, [0])


@settings(max_examples=25)
@given(n=st.integers(1, 300), frac=st.floats(0, 1), data=st.data())
def test_pass_at_k_monotone_bounded(n, frac, data):
    c = int(round(frac * n))
    ks = sorted(set(data.draw(st.lists(st.integers(1, n), min_size=1, max_size=6))))
    counts = ttsim.Counts(problem=["p"], n=np.array([n]), c=np.array([c]))
    v = ttsim.estimate_pass_at_k(counts, ks)
    assert np.all((v >= 0) & (v <= 1))
    assert np.all(np.diff(v) >= -1e-12)


# ---------------------------------------------------------------------------- maj@k


def test_maj_exact_matches_brute_force_on_random_logs():
    rng = np.random.default_rng(0)
    problems = []
    for i in range(30):
        n = int(rng.integers(1, 11))
        problems.append((f"p{i}", random_problem(rng, n, int(rng.integers(1, 5)))))
    # hand-picked edges: no votes at all, ties between a right and a wrong answer, two correct strings
    problems += [
        ("empty", [("", 1), ("", 0), ("", 0)]),
        ("tie", [("a", 1), ("b", 0), ("a", 1), ("b", 0)]),
        ("two_right", [("1/2", 1), ("0.5", 1), ("x", 0), ("x", 0), ("", 0)]),
        ("mixed_flags", [("a", 0), ("a", 1), ("b", 0), ("", 1)]),
    ]
    for pid, rows in problems:
        log = make_log([(pid, rows)])
        ks = list(range(1, len(rows) + 1))
        got = ttsim.estimate_maj_at_k(0, log, ks, method="exact")
        want = [brute_force_maj(rows, k) for k in ks]
        np.testing.assert_allclose(got.value, want, atol=1e-12, err_msg=f"{pid}: {rows}")
        assert set(got.method) == {"exact"}
        np.testing.assert_array_equal(got.mc_stderr, 0.0)


def test_maj_edge_values():
    log = make_log([("empty", [("", 1)] * 4), ("tie", [("a", 1), ("b", 0), ("a", 1), ("b", 0)])])
    got = ttsim.estimate_maj_at_k(0, log, [1, 4], method="exact")
    np.testing.assert_allclose(got.per_problem[0], [0.0, 0.0])  # no votes -> 0, even though correct = 1
    np.testing.assert_allclose(got.per_problem[1, 1], 0.5)  # full-set tie 2 vs 2 -> 1/2
    np.testing.assert_allclose(got.value, got.per_problem.mean(0))


def test_maj_averages_over_problems_and_maj1_is_fraction_of_correct_votes():
    rng = np.random.default_rng(3)
    problems = [(f"p{i}", random_problem(rng, 12, 3)) for i in range(6)]
    log = make_log(problems)
    res = ttsim.estimate_maj_at_k(0, log, [1, 3, 12], method="exact")
    for i, (_, rows) in enumerate(problems):
        right = {a for a, c in rows if c and a}
        np.testing.assert_allclose(res.per_problem[i, 0], sum(a in right for a, _ in rows) / len(rows), atol=1e-12)
        np.testing.assert_allclose(res.per_problem[i, 1], brute_force_maj(rows, 3), atol=1e-12)
    np.testing.assert_allclose(res.value, res.per_problem.mean(axis=0))


def test_maj_monte_carlo_agrees_with_exact_and_reports_method():
    # 40 samples: the right answer 14 times, two wrong ones 12 and 8 times, 6 without an answer
    rows = [("r", 1)] * 14 + [("w1", 0)] * 12 + [("w2", 0)] * 8 + [("", 0)] * 6
    log = make_log([("big", rows)])
    ks = [3, 10, 25]
    exact = ttsim.estimate_maj_at_k(0, log, ks, method="exact")
    trials = 20_000
    mc = ttsim.estimate_maj_at_k(0, log, ks, method="monte_carlo", num_trials=trials)
    assert mc.method == ("monte_carlo",) * 3
    tol = 5 * np.sqrt(np.maximum(exact.value * (1 - exact.value), 1e-4) / trials)
    np.testing.assert_array_less(np.abs(mc.value - exact.value), tol)
    assert np.all(mc.mc_stderr > 0) and np.all(mc.mc_stderr < tol)
    # auto falls back to Monte Carlo when the exact programme is over budget, and says so
    auto = ttsim.estimate_maj_at_k(0, log, ks, max_exact_cost=0.0, num_trials=trials)
    assert auto.method == ("monte_carlo",) * 3
    again = ttsim.estimate_maj_at_k(0, log, ks, max_exact_cost=0.0, num_trials=trials)
    np.testing.assert_array_equal(auto.value, again.value)  # seeded
    # mixed: a trivial problem (one answer) stays exact
    mixed = ttsim.estimate_maj_at_k(0, make_log([("big", rows), ("one", [("a", 1)] * 40)]), [10], max_exact_cost=1.0, num_trials=200)
    assert mixed.method == ("exact+monte_carlo",)
    assert mixed.problem_method[:, 0].tolist() == ["monte_carlo", "exact"]


def test_maj_errors():
    log = make_log([("p", [("a", 1), ("b", 0)])])
    with pytest.raises(ValueError, match="problem 'p' has 2 samples, fewer than k=3"):
        ttsim.estimate_maj_at_k(0, log, [3])
    with pytest.raises(ValueError, match="method must be one of"):
        ttsim.estimate_maj_at_k(0, log, [1], method="vote")
    with pytest.raises(ValueError, match="a counts file has no answers"):
        ttsim.estimate_maj_at_k(0, ttsim.counts_from_samples(log), [1])


@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), g=st.integers(1, 6))
def test_maj_bounded_and_below_pass_at_k(seed, n, g):
    rows = random_problem(np.random.default_rng(seed), n, g)
    log = make_log([("p", rows)])
    ks = sorted({1, max(1, n // 2), n})
    maj = ttsim.estimate_maj_at_k(0, log, ks, method="exact").value
    # the plurality can only be right if the subset holds a vote for a correct answer string
    right = {a for a, c in rows if c and a}
    votes_right = sum(a in right for a, _ in rows)
    cov = ttsim.estimate_pass_at_k(ttsim.Counts(["p"], np.array([n]), np.array([votes_right])), ks)
    assert np.all((maj >= -1e-12) & (maj <= 1 + 1e-12))
    assert np.all(maj <= cov + 1e-9)


# ---------------------------------------------------------------------------- bootstrap


def test_bootstrap_ci_coverage_measured_by_simulation():
    # 400 synthetic logs of 80 problems from a known population (p_i ~ Beta(0.6, 1.4), 20
    # samples each, so the per-problem pass@1 is c_i / 20): a nominal 90% interval must contain
    # the population mean pass@1 (0.3) in 85-95% of the logs.
    rng = np.random.default_rng(12)
    reps, num_problems, n = 400, 80, 20
    p = rng.beta(0.6, 1.4, size=(reps, num_problems))
    values = rng.binomial(n, p) / n
    truth = 0.6 / (0.6 + 1.4)
    hits = 0
    for r in range(reps):
        ci = ttsim.bootstrap_ci(np.random.default_rng(r), values[r], num_resamples=500, level=0.9)
        hits += bool(ci.low <= truth <= ci.high)
    assert 0.85 <= hits / reps <= 0.95, hits / reps


def test_bootstrap_ci_shapes_keys_and_edges():
    import jax

    v = np.random.default_rng(0).random((40, 3))
    ci = ttsim.bootstrap_ci(1, v)
    assert ci.low.shape == (3,) and np.all(ci.low < v.mean(0)) and np.all(v.mean(0) < ci.high)
    np.testing.assert_array_equal(ci.low, ttsim.bootstrap_ci(1, v).low)  # seeded
    by_key = ttsim.bootstrap_ci(jax.random.key(3), v)
    np.testing.assert_array_equal(by_key.high, ttsim.bootstrap_ci(jax.random.key(3), v).high)
    ttsim.bootstrap_ci(np.random.default_rng(5), v)
    one = ttsim.bootstrap_ci(0, v[:1])
    np.testing.assert_array_equal(one.low, v[0])
    with pytest.raises(ValueError, match="level"):
        ttsim.bootstrap_ci(0, v, level=1.5)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        ttsim.bootstrap_ci(-1, v)
    with pytest.raises(ValueError, match=r"num_resamples: 1000000000 resamples x 3 statistics need .* use at most 16666666"):
        ttsim.bootstrap_ci(0, v, num_resamples=10**9)
    with pytest.warns(DeprecationWarning, match="bootstrap_ci"):  # the old call still works
        old = ttsim.bootstrap_ci(v, num_resamples=300, seed=2)
    np.testing.assert_array_equal(old.low, ttsim.bootstrap_ci(2, v, num_resamples=300).low)


def test_default_ks():
    assert ttsim.default_ks(1) == [1]
    assert ttsim.default_ks(8) == [1, 2, 4, 8]
    assert ttsim.default_ks(10) == [1, 2, 4, 8, 10]


# ---------------------------------------------------------------------------- exact pass@k, large n


def _exact_pass(n, c, k):
    """1 - C(n-c, k)/C(n, k) as a float, from a product of min(k, c) rationals (exact)."""
    if n - c < k:
        return 1.0
    m, other = min(k, c), max(k, c)
    ratio = Fraction(1)
    for i in range(m):
        ratio *= Fraction(n - other - i, n - i)
    return float(1 - ratio)


@pytest.mark.parametrize(
    "n,c,k",
    [(10**7, 3 * 10**6, 1), (10**6, 3 * 10**5, 1), (10**7, 3 * 10**6, 7), (10**7, 12, 5 * 10**6), (10**7, 1, 10**7 - 3),
     (10**7, 2000, 1500), (10**7, 10**7 - 5, 3), (9_999_991, 4_999_999, 200), (10**7, 70, 10**6)],
)
def test_pass_at_k_is_exact_for_large_n(n, c, k):
    # Issue 18: in float32 n = 1e7, c = 3e6, k = 1 gave -0.0 (exact 0.3). The estimator is now
    # float64 on the host, whatever jax_enable_x64 says; checked against rational arithmetic.
    got = ttsim.estimate_pass_at_k(ttsim.Counts(["p"], np.array([n]), np.array([c])), [k])[0]
    np.testing.assert_allclose(got, _exact_pass(n, c, k), rtol=1e-12, atol=1e-14)


def test_pass_at_k_random_large_cases_against_rationals():
    rng = np.random.default_rng(4)
    cases = []
    for _ in range(60):
        n = int(10 ** rng.uniform(1, 7))
        c = int(rng.integers(0, n + 1))
        k = int(rng.integers(1, n + 1))
        if min(k, c) <= 3000:  # keeps the rational product cheap
            cases.append((n, c, k))
    n, c, k = (np.array(x) for x in zip(*cases))
    got = ttsim.logs.pass_at_k_exact(n, c, k)
    want = [_exact_pass(*case) for case in cases]
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)


def test_per_problem_pass_at_k_is_deprecated():
    counts = ttsim.Counts(problem=["a", "b"], n=np.array([10, 8]), c=np.array([1, 3]))
    with pytest.warns(DeprecationWarning, match="estimate_pass_at_k"):
        old = ttsim.per_problem_pass_at_k(counts, [1, 2])
    np.testing.assert_array_equal(old, ttsim.estimate_pass_at_k(counts, [1, 2], per_problem=True))


# ---------------------------------------------------------------------------- reader: columnar edge cases


def test_confidence_column_is_optional(tmp_path):
    path = write_csv(
        tmp_path / "conf.csv", ["problem", "sample", "answer", "correct", "confidence"],
        [["p", "0", "a", "1", "-0.25"], ["p", "1", "b", "0", ""], ["q", "0", "a", "1", "3e2"]],
    )
    log = ttsim.read_sample_log(path)
    np.testing.assert_array_equal(log.confidence, [-0.25, np.nan, 300.0])
    assert np.all(np.isnan(log.tokens))
    no_conf = write_csv(tmp_path / "plain.csv", ["problem", "sample", "answer", "correct"], [["p", "0", "a", "1"]])
    assert ttsim.read_sample_log(no_conf).confidence is None
    bad = write_csv(tmp_path / "badconf.csv", ["problem", "sample", "answer", "correct", "confidence"], [["p", "0", "a", "1", "high"]])
    with pytest.raises(ValueError, match=r"badconf\.csv: line 2: column confidence: expected a finite number"):
        ttsim.read_sample_log(bad)
    groups = ttsim.read_sample_log(path, group_by="problem")
    np.testing.assert_array_equal(groups["q"].confidence, [300.0])


def test_line_numbers_survive_blank_lines_quotes_and_bom(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(
        b"\xef\xbb\xbf\nproblem,sample,answer,correct\n p ,0, a ,1\n\n"
        b'p,1,"two\nlines",0\n , , , \np,2,c,TRUE\np,3,d,maybe\n'
    )
    with pytest.raises(ValueError, match=r"odd\.csv: line 9: column correct: expected 0 or 1, got 'maybe'"):
        ttsim.read_sample_log(path)
    path.write_bytes(path.read_bytes().replace(b"maybe", b"0"))
    log = ttsim.read_sample_log(path)
    assert log.line.tolist() == [3, 5, 8, 9]
    assert log.problem.tolist() == ["p"] * 4 and log.answer.tolist() == ["a", "two\nlines", "c", "d"]
    assert log.correct.tolist() == [1, 0, 1, 0]


def test_first_bad_row_in_file_order_is_reported(tmp_path):
    rows = [["p", str(i), "a", "1", "5"] for i in range(50)]
    rows[30][4] = "-2"  # tokens: later row
    rows[20][1] = "3"  # repeats sample 3: earlier row
    path = write_csv(tmp_path / "two_bad.csv", ["problem", "sample", "answer", "correct", "tokens"], rows)
    with pytest.raises(ValueError, match=r"line 22: sample '3' of problem 'p' repeats line 5"):
        ttsim.read_sample_log(path)


def test_files_that_are_not_csv_text_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"is a directory"):
        ttsim.read_log(tmp_path)
    raw = tmp_path / "latin1.csv"
    raw.write_bytes(b"problem,sample,answer,correct\np,0,caf\xe9,1\n")
    with pytest.raises(ValueError, match=r"latin1\.csv: line 2: not UTF-8 text"):
        ttsim.read_log(raw)
    big = write_csv(tmp_path / "big.csv", ["problem", "n_samples", "n_correct"], [["p", str(2**63), "1"]])
    with pytest.raises(ValueError, match=r"big\.csv: line 2: column n_samples: 9223372036854775808 is too large"):
        ttsim.read_counts(big)


def test_first_rows_and_in_order_codes_match_the_sorting_forms():
    # The reader's shortcuts (no sort for a whole file) against np.unique on random logs whose
    # codes are numbered in order of first appearance, as the reader numbers them.
    from ttsim._src import logs_read

    rng = np.random.default_rng(3)
    for size in (1, 7, 500):
        raw = rng.integers(0, 40, size)
        _, first_idx, inverse = np.unique(raw, return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first_idx))  # renumber by first appearance
        codes = rank[inverse.reshape(-1)].astype(np.int32)
        np.testing.assert_array_equal(logs_read._first_rows(codes), np.unique(codes, return_index=True)[1])
        words = np.array([f"w{i}" for i in range(codes.max() + 1)], dtype=object)
        fast = logs_read._remember_first(words, codes, True)
        slow = logs_read._remember_first(words, codes)
        np.testing.assert_array_equal(fast, slow)
        np.testing.assert_array_equal(logs_read._codes(fast)[0], logs_read._codes(slow)[0])
