"""Law fits and checks against data: ttsim.fit_law / check_law / law_coverage and `ttsim check-law`."""

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
import scipy.stats
from hypothesis import given, settings

import ttsim
import ttsim.testing as tt
from ttsim._src.laws import _expected_hist, _fit_exp_power_batch, k_grid, law_curve
from ttsim.cli import main


def _beta_counts(seed, alpha=0.4, beta=3.0, num_problems=150, n=64):
    rng = np.random.default_rng(seed)
    p = rng.beta(alpha, beta, num_problems)
    return np.full(num_problems, n), rng.binomial(n, p)


def test_law_curve_matches_formulas_and_law_coverage_is_deprecated():
    k = np.array([1.0, 3.0, 10.0, 100.0])
    np.testing.assert_allclose(law_curve("exp-power", [-1.3, -0.4], k), np.exp(-1.3 * k**-0.4), rtol=1e-14)
    np.testing.assert_allclose(law_curve("power", [1.3, 0.4], k), np.exp(-1.3 * k**-0.4), rtol=1e-14)
    a, b = 0.3, 2.0
    # Beta coverage by quadrature of E[1 - (1 - p)^k] over Beta(a, b): independent of the closed form.
    want = [scipy.integrate.quad(lambda p, kk=kk: (1 - (1 - p) ** kk) * scipy.stats.beta.pdf(p, a, b), 0, 1, limit=200)[0] for kk in k]
    np.testing.assert_allclose(law_curve("beta", [a, b], k), want, rtol=1e-8)
    with pytest.warns(DeprecationWarning, match="law_coverage is deprecated"):
        old = ttsim.law_coverage("beta", [a, b], k)
    np.testing.assert_allclose(old, want, rtol=1e-4)  # float32
    fit = ttsim.fit_law(_beta_counts(0), "beta", fit_max_k=8)
    np.testing.assert_array_equal(fit.coverage(k), law_curve("beta", fit.params, k))


def _hypergeom_by_enumeration(n, c, k):
    """Pr[j correct among k of n samples, c of them correct, drawn without replacement], by
    enumerating every size-k subset (small n) or by exact integer binomials (math.comb)."""
    if math.comb(n, k) <= 5000:
        counts = np.zeros(k + 1)
        for subset in itertools.combinations(range(n), k):
            counts[sum(i < c for i in subset)] += 1
        return counts / counts.sum()
    total = math.comb(n, k)
    return np.array([float(Fraction(math.comb(c, j) * math.comb(n - c, k - j), total)) for j in range(k + 1)])


def test_expected_thinning_is_hypergeometric():
    n, c = np.array([10, 10000, 50, 7, 12, 9]), np.array([3, 20, 50, 0, 12, 4])
    for k in (1, 5, 7):
        want = np.stack([_hypergeom_by_enumeration(int(ni), int(ci), k) for ni, ci in zip(n, c)])
        np.testing.assert_allclose(_expected_hist(n, c, k), want, rtol=1e-10, atol=1e-15)


def test_k_grid_is_the_monkeys_grid():
    np.testing.assert_array_equal(k_grid(10_000), np.unique(np.round(np.logspace(0.0, 4.0, 41)).astype(np.int64)))
    assert k_grid(1).tolist() == [1] and k_grid(10).tolist() == [1, 2, 3, 4, 5, 6, 8, 10]


def test_one_exp_power_fit_one_answer():
    # Issue 17: monkeys fitted Pythia-70M on 38 k (a, b = -7.68, -0.184), law_checks on 12 k
    # (-7.54, -0.181). fit_law's default grid is now the monkeys grid: one routine, one answer.
    from ttsim.experiments._common import data_dir

    counts = ttsim.read_counts(data_dir("monkeys") / "pythia_math_10k.csv", group_by="model")["Pythia 70M"]
    fit = ttsim.fit_law(counts, "exp-power", fit_max_k=10_000)
    ks = k_grid(10_000)
    direct = ttsim.fit_power_law(ks, ttsim.estimate_pass_at_k(counts, ks))
    np.testing.assert_allclose(fit.params, [float(direct.a), float(direct.b)], rtol=1e-5)
    np.testing.assert_allclose(fit.params, [-7.677, -0.1843], atol=6e-4)


def test_fit_curve_is_the_full_data_pass_at_k():
    n, c = _beta_counts(0)
    fit = ttsim.fit_law((n, c), "exp-power", [1, 2, 4, 8, 16])
    want = ttsim.estimate_pass_at_k(ttsim.Counts([str(i) for i in range(n.size)], n, c), [1, 2, 4, 8, 16])
    np.testing.assert_allclose(fit.fit_coverage, want, rtol=1e-5)
    assert fit.fit_max_k == 16 and fit.param_names == ("a", "b")


def test_beta_fit_without_thinning_matches_fit_beta():
    # With K = n the thinned histogram is the data itself: the Newton MLE must agree with
    # ttsim.fit_beta (L-BFGS on the per-problem likelihood), an independent implementation.
    n, c = _beta_counts(1, n=20)
    ours = ttsim.fit_law((n, c), "beta", fit_max_k=20)
    ref = ttsim.fit_beta(n, c)
    np.testing.assert_allclose(ours.params, [float(ref.alpha), float(ref.beta)], rtol=2e-6)  # measured 1.2e-7


@settings(max_examples=8)
@given(counts=tt.problem_counts(num_problems=24, equal_n=True, min_n=2, max_n=40))
def test_beta_mle_beats_a_scipy_search(counts):
    # On any counts (drawn by ttsim.testing), the Newton MLE's likelihood is >= that of a
    # Nelder-Mead search on scipy.stats.betabinom (an independent implementation).
    n, c = counts
    if c.sum() == 0 or c.sum() == n.sum():
        return

    def nll(theta):
        return -np.sum(scipy.stats.betabinom.logpmf(c, n, *np.exp(np.clip(theta, -12, 12))))

    ref = min(
        (scipy.optimize.minimize(nll, x0, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9}) for x0 in ([0.0, 0.0], [-2.0, 1.0], [1.0, -2.0])),
        key=lambda r: r.fun,
    )
    ours = ttsim.fit_law((n, c), "beta", fit_max_k=int(n[0])).params
    assert nll(np.log(ours)) <= ref.fun + 1e-6 * max(1.0, abs(ref.fun))


def test_batched_exp_power_fit_matches_fit_power_law():
    # The bootstrap's batched least squares must find the optimum ttsim.fit_power_law finds.
    rng = np.random.default_rng(7)
    ks = np.array([1, 2, 3, 5, 8, 13, 21, 34])
    a, b = -rng.uniform(0.5, 8.0, 30), -rng.uniform(0.05, 0.8, 30)
    curves = np.clip(np.exp(a[:, None] * ks**b[:, None]) * (1 + rng.normal(0, 0.02, (30, ks.size))), 0, 1)
    curves[0, :6] = 0.0  # only two informative points
    curves[1, :7] = 0.0  # one: no fit
    got = _fit_exp_power_batch(ks, curves)
    assert np.all(np.isnan(got[1]))
    want = np.array([[float(x) for x in ttsim.fit_power_law(ks, c)[:2]] for c in np.delete(curves, 1, 0)])
    np.testing.assert_allclose(np.delete(got, 1, 0), want, rtol=1e-4, atol=1e-5)


def test_power_and_exp_power_agree_on_an_exact_power_law_curve():
    # Counts whose pass@k curve is nearly an exact power law: both fits find the same family.
    n, c = _beta_counts(2, alpha=0.5, beta=2.0, num_problems=400, n=32)
    ep = ttsim.fit_law((n, c), "exp-power", fit_max_k=32)
    pw = ttsim.fit_law((n, c), "power", fit_max_k=32)
    np.testing.assert_allclose(-ep.params, pw.params, rtol=0.05)  # measured 0.011


def test_bootstrap_intervals_cover_the_truth_at_about_the_stated_rate():
    # 95% intervals, 16 seeded synthetic data sets from a Beta population: the Beta law's
    # interval must contain (alpha, beta); the power laws' intervals the parameters of the
    # law fitted to the exact population curve on the same ks. Expect ~95%; require >= 80%.
    alpha, beta, fit_ks = 0.4, 3.0, np.array([1, 2, 4, 8, 16])
    exact = np.asarray(ttsim.beta_coverage(alpha, beta, fit_ks.astype(float)), np.float64)
    slope, intercept = np.polyfit(np.log(fit_ks), np.log(-np.log(exact)), 1)
    ref = ttsim.fit_power_law(fit_ks, exact)
    truth = {
        "beta": np.array([alpha, beta]),
        "power": np.array([np.exp(intercept), -slope]),
        "exp-power": np.array([float(ref.a), float(ref.b)]),
    }
    reps = 16
    hits = dict.fromkeys(truth, 0)
    rejections = dict.fromkeys(truth, 0)
    for r in range(reps):
        n, c = _beta_counts(100 + r, alpha, beta, num_problems=150)
        for law, want in truth.items():
            res = ttsim.check_law(r, (n, c), law, fit_ks, num_bootstrap=60)
            lo, hi = res.params_ci
            hits[law] += bool(np.all((lo <= want) & (want <= hi)))
            rejections[law] += res.rejected
    for law in truth:
        assert hits[law] >= 0.8 * reps, (law, hits[law])
    # The Beta law is the true law here: rejected at most at about the nominal rate.
    assert rejections["beta"] <= 3, rejections


def test_a_wrong_law_is_rejected_and_its_error_reported():
    # Half the problems are impossible (p = 0): coverage plateaus at ~0.5, while a power law fitted on
    # k <= 8 extrapolates towards 1. Both power laws must be rejected with a large error at k = 100.
    rng = np.random.default_rng(3)
    p = np.where(np.arange(200) < 100, 0.0, rng.beta(2.0, 8.0, 200))
    n = np.full(200, 400)
    c = rng.binomial(n, p)
    for law in ("exp-power", "power"):
        res = ttsim.check_law(0, (n, c), law, fit_max_k=8, num_bootstrap=100)
        assert res.rejected and res.p_value < 0.05, (law, res.p_value)
        assert res.report_k == 100 and res.error_at_report_k > 0.05
        assert res.max_abs_error >= abs(res.error_at_report_k)
        # The measured value lies outside the prediction's interval at k = 100.
        j = int(np.nonzero(res.test_ks == 100)[0][0])
        assert res.measured[j] < res.predicted_ci[0, j]


def test_check_law_result_shapes_and_dict():
    n, c = _beta_counts(4, n=200)
    res = ttsim.check_law(0, (n, c), "beta", fit_max_k=10, num_bootstrap=30)
    m = res.test_ks.size
    assert res.test_ks.min() > 10 and res.test_ks.max() <= 200 and 100 in res.test_ks
    for arr in (res.measured_ci, res.predicted_ci, res.error_ci):
        assert arr.shape == (2, m) and np.all(arr[0] <= arr[1])
    np.testing.assert_allclose(res.error, res.predicted - res.measured)
    d = res.as_dict()
    json.dumps(d)
    assert set(d["params"]) == {"alpha", "beta"} and d["num_bootstrap"] == 30


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(law="cubic", fit_max_k=4), "law must be one of"),
        (dict(law="beta", fit_max_k=100), "fit_max_k=100 exceeds"),
        (dict(law="beta", fit_max_k=1), "fit_max_k must be >= 2"),
        (dict(law="beta"), "give fit_ks or fit_max_k"),
        (dict(law="power", fit_max_k=4, test_ks=[3, 10]), "test_ks must lie in"),
        (dict(law="power", fit_max_k=4, level=1.5), "level must lie in"),
        (dict(law="power", fit_ks=[1, 2.5]), "fit_ks must be whole numbers"),
    ],
)
def test_check_law_errors_name_the_argument(kwargs, match):
    n, c = np.full(10, 20), np.arange(10)
    with pytest.raises(ValueError, match=match):
        ttsim.check_law(0, (n, c), **kwargs)


def test_invalid_and_degenerate_counts():
    with pytest.raises(ValueError, match="c must be <= n"):
        ttsim.fit_law((np.array([5, 5]), np.array([6, 1])), "beta", fit_max_k=2)
    zeros = (np.full(20, 10), np.zeros(20, int))
    with pytest.raises(ValueError, match="Beta fit is degenerate"):
        ttsim.fit_law(zeros, "beta", fit_max_k=4)
    with pytest.raises(ValueError, match="fewer than two points"):
        ttsim.check_law(0, zeros, "power", fit_max_k=4)


# ------------------------------------------------------------------------------------ CLI


def _write_counts(path, groups=("m1", "m2")):
    rng = np.random.default_rng(5)
    lines = ["model,problem,n_samples,n_correct"]
    for g in groups:
        for i in range(60):
            lines.append(f"{g},{i},64,{rng.binomial(64, rng.beta(0.5, 3.0))}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_json_for_a_filtered_counts_file(tmp_path, capsys):
    f = _write_counts(tmp_path / "counts.csv")
    rc = main(["check-law", str(f), "--filter", "model=m2", "--law", "beta", "--fit-max-k", "8", "--bootstrap", "30", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["law"] for r in out["results"]] == ["beta"]
    r = out["results"][0]
    assert r["group"] == "model=m2" and r["fit_max_k"] == 8 and r["num_problems"] == 60
    assert isinstance(r["rejected"], bool) and 0 <= r["p_value"] <= 1
    assert all(k > 8 for k in r["test_ks"])


def test_cli_group_by_all_laws_table_and_sample_log(tmp_path, capsys):
    f = _write_counts(tmp_path / "counts.csv")
    assert main(["check-law", str(f), "--group-by", "model", "--bootstrap", "20", "--k", "20,64"]) == 0
    text = capsys.readouterr().out
    for word in ("law exp-power", "law power", "law beta", "model=m1", "model=m2", "max |error|"):
        assert word in text
    # A per-sample log is reduced to counts by the library's reader.
    rng = np.random.default_rng(6)
    rows = ["problem,sample,answer,correct"] + [
        f"q{i},{s},x,{int(rng.random() < 0.1 + 0.01 * i)}" for i in range(30) for s in range(16)
    ]
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n")
    assert main(["check-law", str(log), "--law", "power", "--fit-max-k", "4", "--bootstrap", "20", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["results"][0]
    assert r["num_problems"] == 30 and r["test_ks"][-1] == 16


@pytest.mark.parametrize(
    "extra,match",
    [
        (["--filter", "model=zzz"], "no rows with model='zzz'"),
        (["--filter", "model"], "expected COL=VALUE"),
        (["--level", "2"], "--level"),
        (["--fit-max-k", "500", "--filter", "model=m1"], "exceeds"),
        (["--law", "beta", "--fit-max-k", "8"], "repeats line"),
    ],
)
def test_cli_errors_exit_2_with_one_line(tmp_path, capsys, extra, match):
    f = _write_counts(tmp_path / "counts.csv")
    assert main(["check-law", str(f), "--bootstrap", "5", *extra]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_missing_file(tmp_path, capsys):
    assert main(["check-law", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_check_law_takes_its_randomness_first_and_keeps_the_old_form():
    # key first: an int seed, a numpy Generator or a jax key; the old seed= form warns and
    # gives the same numbers as the same int seed passed first.
    import jax

    n, c = np.full(40, 50), np.arange(40) % 7
    new = ttsim.check_law(3, (n, c), "beta", fit_max_k=8, num_bootstrap=20)
    with pytest.warns(DeprecationWarning, match="check_law\\(key, counts, law"):
        old = ttsim.check_law((n, c), "beta", fit_max_k=8, num_bootstrap=20, seed=3)
    np.testing.assert_array_equal(np.asarray(new.params_ci), np.asarray(old.params_ci))
    keyed = ttsim.check_law(jax.random.key(3), (n, c), "beta", fit_max_k=8, num_bootstrap=20)
    assert np.all(np.isfinite(np.asarray(keyed.params_ci)))
    with pytest.raises(TypeError, match="first argument"):
        ttsim.check_law(3, (n, c), "beta", seed=3)
