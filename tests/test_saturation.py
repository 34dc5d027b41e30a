"""Saturation points: generic search, closed forms, the worst case over p, and the CLI."""

import json
import math

import hypothesis.strategies as st
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given

import ttsim
from ttsim._src.numerics import enable_x64
from ttsim.cli import main


def brute_force_first_small_gain(gain_fn, eps, n_max=100_000):
    """Independent reference: walk N = 1, 2, ... until gain(N) < eps (pure Python floats)."""
    for n in range(1, n_max):
        if gain_fn(n) < eps:
            return n
    raise AssertionError("not reached")


P_GRID = [0.0, 1e-4, 0.003, 0.01, 0.0268, 0.05, 0.1, 0.25, 0.5, 0.9, 0.999, 1.0]
EPS_GRID = [0.1, 0.05, 0.01, 0.005, 0.001, 1e-4]


def test_parallel_closed_form_matches_brute_force_exactly():
    with enable_x64(True):
        p = jnp.asarray(P_GRID, jnp.float64)[:, None]
        eps = jnp.asarray(EPS_GRID, jnp.float64)[None, :]
        got = np.asarray(ttsim.accuracy.parallel_saturation_point(p, eps))
    for i, pv in enumerate(P_GRID):
        for j, e in enumerate(EPS_GRID):
            want = brute_force_first_small_gain(lambda n, pv=pv: pv * (1 - pv) ** n, e)
            assert got[i, j] == want, (pv, e, got[i, j], want)


def test_closed_form_on_exact_integer_ratio():
    # p = 1/2, eps = 2^-6: the gain (1/2)^(N+1) equals eps at N = 5, so strict "<" gives 6 = floor(5) + 1.
    with enable_x64(True):
        assert int(ttsim.accuracy.parallel_saturation_point(jnp.float64(0.5), jnp.float64(2.0**-6))) == 6
        curve = 1 - 0.5 ** jnp.arange(1, 30, dtype=jnp.float64)
        assert int(ttsim.saturation_point(curve, jnp.float64(2.0**-6))) == 6


def test_generic_search_matches_closed_form():
    with enable_x64(True):
        n = jnp.arange(1, 20_001, dtype=jnp.float64)
        p = jnp.asarray(P_GRID, jnp.float64)
        curves = ttsim.coverage(p[:, None], n[None, :])
        for e in EPS_GRID:
            search = np.asarray(ttsim.saturation_point(curves, jnp.float64(e)))
            closed = np.asarray(ttsim.accuracy.parallel_saturation_point(p, jnp.float64(e)))
            np.testing.assert_array_equal(search, closed, err_msg=f"eps={e}")


def test_refinement_closed_form_matches_brute_force():
    rng = np.random.default_rng(3)
    chains = [tuple(x) for x in rng.random((40, 3))] + [
        (0.0, 0.3, 0.0),
        (0.2, 0.0, 0.0),
        (0.3, 1.0, 1.0),
        (0.9, 0.9, 0.9),
        (0.1, 0.95, 0.6),
        (0.0, 1.0, 0.0),
        (1.0, 0.0, 1.0),
    ]
    eps_list = [0.05, 0.01, 1e-3]
    with enable_x64(True):
        for p0, a, b in chains:
            got = np.asarray(ttsim.accuracy.refinement_saturation_point(p0, a, b, jnp.asarray(eps_list, jnp.float64)))

            def gain(n, p0=p0, a=a, b=b):  # p_{n+1} - p_n by iterating the chain
                p = p0
                for _ in range(n):
                    p = p * (1 - b) + (1 - p) * a
                return (p * (1 - b) + (1 - p) * a) - p

            want = [brute_force_first_small_gain(gain, e, n_max=3000) for e in eps_list]
            np.testing.assert_array_equal(got, want, err_msg=str((p0, a, b)))


@given(p0=st.floats(0, 1, width=32), a=st.floats(0, 1, width=32), b=st.floats(0, 1, width=32), e=st.floats(1e-3, 0.3))
def test_chain_never_saturates_later_than_ttspm(p0, a, b, e):
    # gain g*lam^N with g = a(1-p0) - b p0 <= a and 0 <= lam = 1-a-b <= 1-a: the TTSPM curve at p_r = a
    # bounds N*; an alternating chain (lam < 0) saturates by N = 2
    n_chain = float(ttsim.accuracy.refinement_saturation_point(p0, a, b, e))
    assert n_chain <= max(2.0, float(ttsim.accuracy.parallel_saturation_point(a, e)))
    if a + b <= 1:
        assert n_chain <= float(ttsim.accuracy.parallel_saturation_point(a, e))


def test_refinement_ttspm_case_equals_parallel():
    p = jnp.linspace(0.0, 1.0, 41)
    for e in (0.01, 0.001):
        np.testing.assert_array_equal(
            ttsim.accuracy.refinement_saturation_point(0.0, p, 0.0, e), ttsim.accuracy.parallel_saturation_point(p, e)
        )


def test_worst_case_paper_table():
    res = ttsim.accuracy.worst_case_saturation_point(jnp.array([0.01, 0.005, 0.001]))
    np.testing.assert_array_equal(res.n_star, [37, 74, 368])
    # p_worst ~ e * eps for small eps (N* ~ 1 / (e * eps))
    np.testing.assert_allclose(res.p_worst, math.e * np.array([0.01, 0.005, 0.001]), rtol=0.02)


def test_worst_case_matches_grid_search():
    eps_list = [0.2, 0.05, 0.01, 0.003, 0.001]
    with enable_x64(True):
        res = ttsim.accuracy.worst_case_saturation_point(jnp.asarray(eps_list, jnp.float64))
        for i, e in enumerate(eps_list):
            p = jnp.concatenate([jnp.linspace(e, 1.0, 200_001), jnp.minimum(jnp.linspace(0.5, 6.0, 200_001) * e, 1.0)])
            n = np.asarray(ttsim.accuracy.parallel_saturation_point(p, jnp.float64(e)))
            assert n.max() == res.n_star[i], (e, n.max(), res.n_star[i])
            # p_worst maximises the continuous ratio: h(p_worst) = 0 and x(p_worst) >= x on the grid
            pw = float(res.p_worst[i])
            assert abs(pw * math.log(pw / e) + (1 - pw) * math.log1p(-pw)) < 1e-9
            x = np.log(np.asarray(p) / e) / -np.log1p(-np.minimum(np.asarray(p), 1 - 1e-16))
            assert float(res.x_max[i]) >= x.max() - 1e-9


def test_generic_coarse_grid_and_callable():
    n = jnp.array([1, 2, 4, 8, 16, 32, 64])
    curve = 1 - 0.9 ** n.astype(jnp.float32)
    # slope between 8 and 16 is (0.9^8 - 0.9^16) / 8 = 0.0293 > 0.02; between 16 and 32 it is 0.0106
    assert int(ttsim.saturation_point(curve, 0.02, grid=n)) == 16
    assert int(ttsim.saturation_point(lambda k: 1 - 0.9 ** k.astype(jnp.float32), 0.02, num_points=200)) == int(
        ttsim.accuracy.parallel_saturation_point(0.1, 0.02)
    )
    # never below eps on the grid: the last grid value
    assert int(ttsim.saturation_point(jnp.arange(10.0), 0.5)) == 10
    # eps broadcasts against the leading axes
    got = ttsim.saturation_point(jnp.stack([curve, curve]), jnp.array([[0.02], [0.001]]), grid=n)
    assert got.shape == (2, 2)


def test_population_curve_saturation():
    pop = ttsim.beta_population(0.5, 4.0)
    ks = jnp.arange(1, 3001.0)
    cov = ttsim.population_coverage(pop, ks)
    closed = ttsim.beta_coverage(0.5, 4.0, ks)
    for e in (0.01, 0.001):
        assert int(ttsim.saturation_point(cov, e)) == int(ttsim.saturation_point(closed, e))


def test_generic_search_on_vote_and_verifier_curves():
    # The generic search works on any model's curve: compare with a plain-Python walk over the same
    # values. The vote curve is taken on odd k (ties at even k make it flat from 1 to 2).
    ks = jnp.arange(1.0, 80.0, 2.0)
    vote = np.asarray(ttsim.majority_vote(ttsim.answer_probs(0.35, 0.25, 3), ks, method="exact", max_k=79))
    verifier = np.asarray(ttsim.best_of_n(0.2, ks, 1.5))
    kv = np.asarray(ks)
    for curve in (vote, verifier):
        for e in (0.01, 0.002):
            slope = np.diff(curve) / np.diff(kv)
            want = next((kv[i] for i in range(len(slope)) if slope[i] < e), kv[-1])
            got = int(ttsim.saturation_point(curve, e, grid=ks))
            assert got == want and 1 < got < kv[-1], (e, got, want)


def test_errors():
    with pytest.raises(ValueError, match="eps"):
        ttsim.saturation_point(jnp.array([0.1, 0.2]), 0.0)
    with pytest.raises(ValueError, match="increasing"):
        ttsim.saturation_point(jnp.array([0.1, 0.2, 0.3]), 0.1, grid=np.array([1, 3, 2]))
    with ttsim.check_device_arrays(), pytest.raises(ValueError, match="increasing"):  # a device grid
        ttsim.saturation_point(jnp.array([0.1, 0.2, 0.3]), 0.1, grid=jnp.array([1, 3, 2]))
    with pytest.raises(ValueError, match="num_points"):
        ttsim.saturation_point(lambda k: k, 0.1)
    with pytest.warns(DeprecationWarning, match="n_max"):
        old = ttsim.saturation_point(lambda k: 1 - 0.5**k, 0.01, n_max=40)
    assert int(old) == 6
    # eps below the smallest normal float32 is an error naming eps (it used to surface as an
    # internal "coverage: k ... inf"), in float32; float64 takes it.
    with pytest.raises(ValueError, match="eps must be >= 1.18e-38"):
        ttsim.accuracy.parallel_saturation_point(0.3, 1e-45)
    with pytest.raises(ValueError, match="p must lie"):
        ttsim.accuracy.parallel_saturation_point(1.2, 0.01)
    with pytest.raises(ValueError, match="eps must lie"):
        ttsim.accuracy.worst_case_saturation_point(1.0)


def test_no_nan_at_edges():
    for p in (0.0, 1.0):
        assert int(ttsim.accuracy.parallel_saturation_point(p, 0.01)) == 1
    vals = ttsim.accuracy.refinement_saturation_point(
        jnp.array([0.0, 1.0, 0.5, 0.5]), jnp.array([0.0, 1.0, 1.0, 0.0]), jnp.array([0.0, 1.0, 1.0, 1.0]), 0.01
    )
    assert np.all(np.isfinite(vals)) and np.all(vals >= 1)


@given(p=st.floats(0.0, 1.0, width=32), e1=st.floats(1e-4, 0.5), e2=st.floats(1e-4, 0.5))
def test_non_increasing_in_eps(p, e1, e2):
    lo, hi = min(e1, e2), max(e1, e2)
    n_lo, n_hi = ttsim.accuracy.parallel_saturation_point(p, jnp.array([lo, hi]))
    assert n_hi <= n_lo
    curve = ttsim.coverage(p, jnp.arange(1, 12_001.0))
    s_lo, s_hi = ttsim.saturation_point(curve, jnp.array([lo, hi]))
    assert s_hi <= s_lo


@given(p0=st.floats(0, 1, width=32), a=st.floats(0, 1, width=32), b=st.floats(0, 1, width=32), e=st.floats(1e-3, 0.3))
def test_refinement_saturation_in_range_and_consistent(p0, a, b, e):
    n = float(ttsim.accuracy.refinement_saturation_point(p0, a, b, e))
    assert n >= 1 and np.isfinite(n)
    p = np.asarray(ttsim.refinement_accuracy(p0, a, b, jnp.array([n - 1, n, n + 1])))
    assert p[2] - p[1] < e + 1e-5  # the gain at N* is small
    if n > 1:
        assert p[1] - p[0] >= e - 1e-5  # ... and the gain just before it is not


# ----------------------------------------------------------------------------- CLI


def run_cli(capsys, *argv):
    status = main(["saturation", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_worst_case_json(capsys):
    status, out, _ = run_cli(capsys, "--worst-case", "--eps", "0.01", "--json")
    assert status == 0
    obj = json.loads(out)
    assert obj["n_star"] == 37 and abs(obj["p_worst"] - 0.0268) < 1e-3
    status, out, _ = run_cli(capsys, "--worst-case", "--eps", "0.01,0.005,0.001", "--json")
    assert json.loads(out)["n_star"] == [37, 74, 368]
    status, out, _ = run_cli(capsys, "--worst-case", "--eps", "0.005", "--strategy", "sequential", "--json")
    assert status == 0 and json.loads(out)["n_star"] == 74


def test_cli_point_json_and_table(capsys):
    status, out, _ = run_cli(capsys, "--p", "0.1", "--eps", "0.01", "--json")
    obj = json.loads(out)
    assert status == 0 and obj["n_star"] == int(ttsim.accuracy.parallel_saturation_point(0.1, 0.01)) == 22
    status, out, _ = run_cli(capsys, "--p", "0.1", "--eps", "0.01", "--strategy", "sequential", "--json")
    assert json.loads(out)["n_star"] == 22
    status, out, _ = run_cli(
        capsys, "--strategy", "sequential", "--a", "0.3", "--b", "0.05", "--p0", "0.2", "--eps", "0.001", "--json"
    )
    obj = json.loads(out)
    assert obj["n_star"] == int(ttsim.accuracy.refinement_saturation_point(0.2, 0.3, 0.05, 0.001))
    status, out, _ = run_cli(capsys, "--p", "0.1", "--eps", "0.01")
    assert status == 0 and "n_star" in out and "22" in out


@pytest.mark.parametrize(
    "argv, flag",
    [
        (("--p", "1.5", "--eps", "0.01"), "--p"),
        (("--p", "-0.1", "--eps", "0.01"), "--p"),
        (("--p", "0.5", "--eps", "0"), "--eps"),
        (("--p", "0.5", "--eps", "1.5"), "--eps"),
        (("--p", "0.5", "--eps", "abc"), "--eps"),
        (("--eps", "0.01"), "--p"),
        (("--worst-case", "--eps", "0.01", "--p", "0.2"), "--p"),
        (("--worst-case", "--eps", "0.01", "--strategy", "sequential", "--a", "0.2"), "--a"),
        (("--strategy", "sequential", "--a", "2", "--eps", "0.01"), "--a"),
        (("--strategy", "sequential", "--a", "0.2", "--b", "-1", "--eps", "0.01"), "--b"),
        (("--p", "0.2", "--a", "0.3", "--eps", "0.01"), "--a"),
    ],
)
def test_cli_errors_name_the_flag(capsys, argv, flag):
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == ""
    assert flag in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_float32_curve_with_tiny_eps_warns_and_callable_is_exact():
    # F(N) = 1 - 0.9^N: the gain 0.1 * 0.9^N drops below eps = 1e-8 at N* = 153 (closed form).
    # On float32 values F is 1 - O(ulp) there, and the array search stops at 139: it must warn.
    # A callable curve is evaluated in float64 and gives N* exactly.
    # Mutation check: without the float64 evaluation the callable case returns 139, not 153.
    want = int(ttsim.accuracy.parallel_saturation_point(np.float64(0.1), np.float64(1e-8)))
    k = jnp.arange(1, 400)
    with pytest.warns(RuntimeWarning, match="float32"):
        ttsim.saturation_point(1 - 0.9 ** k.astype(jnp.float32), 1e-8)
    got = int(ttsim.saturation_point(lambda n: 1 - 0.9**n, 1e-8, num_points=400))
    assert got == want == 153
