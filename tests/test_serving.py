"""Serving cost: closed forms against the step-by-step decode simulation, and properties."""

import math

import decode_simulation as ds
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ttsim
from ttsim import cost
from ttsim._src.numerics import enable_x64
from ttsim._src.specs import _weights_touched
from ttsim._src.strategy import Phase, Workload

H100 = ttsim.get_hardware("h100-sxm")


def _workload(phases):
    return Workload(tuple(Phase(float(a), float(b), float(d), float(x)) for a, b, d, x in phases))


# ----------------------------------------------------------------------------------------------
# Closed form vs the simulation (exact where the closed form is exact)

CASES = [
    # model, hardware, concurrency, tp, pp, window, phases (count, length, depth, context)
    ("qwen3-8b", "h100-sxm", 2, 1, 1, math.inf, [(3, 1.0, 1, 0.0)]),
    ("qwen3-8b", "h100-sxm", 4, 2, 2, math.inf, [(2, 1.0, 1, 0.0), (1, 0.5, 2, 1.0)]),
    ("qwen3-30b-a3b", "h200", 3, 4, 1, 64.0, [(2, 1.0, 1, 0.0)]),
    ("qwen3-0.6b", "a100-80gb", 64, 1, 1, math.inf, [(4, 1.0, 1, 0.0)]),
]


@pytest.mark.parametrize("name,hw_name,C,tp,pp,window,phases", CASES)
def test_serving_cost_equals_the_step_by_step_simulation(name, hw_name, C, tp, pp, window, phases):
    sim, ttft = ds.serve(ds.net(name), ds.chip(hw_name), phases, prompt=40, gen=60, concurrency=C, tp=tp, pp=pp,
                         window=window, latency=2e-6)
    attention = "dense" if window == math.inf else "sliding"
    with enable_x64(True):
        got = cost.serving_cost(ttsim.get_model(name), ttsim.get_hardware(hw_name), _workload(phases), 40.0, 60.0,
                                concurrency=float(C), tensor_parallel=float(tp), pipeline_parallel=float(pp),
                                attention=attention, kv_budget=None if window == math.inf else window,
                                link_latency=2e-6)
        # Integer steps, affine pieces: the closed form is exact (float64 rounding only).
        np.testing.assert_allclose(float(got.seconds), sim.seconds, rtol=1e-12)
        np.testing.assert_allclose(float(got.ttft), ttft, rtol=1e-12)
        np.testing.assert_allclose(float(got.flops) * C, sim.flops, rtol=1e-12)
        np.testing.assert_allclose(float(got.memory_bytes) * C, sim.bytes, rtol=1e-12)
        np.testing.assert_allclose(float(got.comm_seconds), sim.comm, rtol=1e-12, atol=1e-18)
        np.testing.assert_allclose(float(got.prefill_seconds), sim.prefill, rtol=1e-12)


@pytest.mark.parametrize("draft_name", ["qwen3-0.6b", None])
def test_speculative_decoding_matches_a_monte_carlo_of_acceptances(draft_name):
    # One sequence (no batch straggling): the closed form uses S = T / tau expected steps; the
    # simulation draws acceptances. Their difference is Monte Carlo error plus the last step's
    # overshoot (a step can emit more tokens than remain: at most one step of ~T/tau).
    target, gamma, alpha, gen, reps = "qwen3-8b", 3, 0.6, 120, 40
    draft = None if draft_name is None else ds.net(draft_name)
    rng = np.random.default_rng(0)
    runs = []
    for _ in range(reps):
        sim = ds.decode(ds.net(target), ds.chip("h100-sxm"), queries=1, per_query=1, prompt=16, context=0,
                        tokens=gen, gamma=gamma, alpha=alpha, draft=draft, draft_fraction=0.05, rng=rng)
        runs.append((sim.seconds, sim.steps))
    secs, steps = np.array(runs).T
    with enable_x64(True):
        spec = cost.Speculative(float(gamma), alpha, None if draft_name is None else ttsim.get_model(draft_name), 0.05)
        got = cost.serving_cost(ttsim.get_model(target), H100, cost.parallel_workload(1.0), 16.0, float(gen),
                                speculative=spec)
    closed = float(got.decode_seconds)
    tau = float(cost.expected_tokens_per_step(alpha, gamma))
    assert steps.mean() == pytest.approx(gen / tau, abs=3 * steps.std(ddof=1) / np.sqrt(reps) + 1.0)
    per_step = secs.mean() / steps.mean()
    tol = 3 * secs.std(ddof=1) / np.sqrt(reps) + per_step
    assert abs(secs.mean() - closed) <= tol


def test_moe_weights_touched_match_random_routing():
    m = ds.net("qwen3-30b-a3b")
    for tokens in (1, 4, 32):
        mean, se = ds.routed_experts_monte_carlo(m, tokens, draws=300, seed=tokens)
        # expected distinct experts -> parameters read, against the library's closed form
        experts_total = (m.params - m.active) * m.experts / (m.experts - m.top_k)
        mc_params = m.params - experts_total + experts_total * mean / m.experts
        lib = float(_weights_touched(ttsim.get_model("qwen3-30b-a3b"), float(tokens)))
        assert abs(lib - mc_params) <= 4 * experts_total * se / m.experts + 1e-6 * m.params  # + float32 rounding


# ----------------------------------------------------------------------------------------------
# Properties

models = st.sampled_from(["qwen3-0.6b", "qwen3-8b", "llama-3.1-8b", "qwen3-30b-a3b"])
small = dict(max_examples=12, deadline=None, derandomize=True)  # each example prices a few workloads eagerly (~40 ms)


def _t(model, workload, c=100.0, L=200.0, **kw):
    return cost.serving_cost(ttsim.get_model(model), H100, workload, c, L, **kw)


@settings(**small)
@given(models, st.integers(1, 8), st.floats(0.0, 1.0), st.integers(10, 2000), st.integers(0, 2000))
def test_chain_of_t_generations_waits_at_least_t_generations(name, T, ctx, L, c):
    chain = _workload([(1, T, T, ctx)])
    one = cost.parallel_workload(1.0)
    # Without prefix caching every round prefills the prompt again: the chain is >= T whole generations.
    t_chain = float(_t(name, chain, c, L, prefix_caching=False).seconds)
    assert t_chain >= T * float(_t(name, one, c, L, prefix_caching=False).seconds) * (1 - 1e-5)
    # With it, the chain still waits for T decodes one after another.
    assert float(_t(name, chain, c, L).seconds) >= T * float(_t(name, one, c, L).decode_seconds) * (1 - 1e-5)


@settings(**small)
@given(st.sampled_from(["qwen3-0.6b", "qwen3-8b", "llama-3.1-8b"]), st.integers(2, 32), st.integers(10, 3000),
       st.integers(0, 3000))
def test_parallel_samples_cost_one_generation_plus_batching_overhead(name, k, L, c):
    m = ttsim.get_model(name)
    t1 = _t(name, cost.parallel_workload(1.0), c, L)
    tk = _t(name, cost.parallel_workload(float(k)), c, L)
    assert bool(tk.fits)
    # never faster than one sample, and at most (k - 1) sequences' own FLOPs and KV traffic more:
    # max(a + x, b + y) <= max(a, b) + x + y with the weights read once per step for the batch.
    H, D, kv_tok = float(m.num_heads), float(m.head_dim * m.num_layers), float(2 * m.num_kv_heads * m.head_dim * m.num_layers * 2)
    seq_flops = 2 * float(m.active_params) * L + 4 * H * D * (c * L + L * (L + 1) / 2)
    seq_bytes = kv_tok * (L * (L + 1) / 2 + L)
    c_flops = 2 * float(m.active_params) * 0 + 0.0  # the prompt is prefilled once per query
    overhead = (k - 1) * (seq_flops / float(H100.peak_flops) + seq_bytes / float(H100.memory_bandwidth)) + c_flops
    assert float(tk.seconds) >= float(t1.seconds) * (1 - 1e-6)
    assert float(tk.seconds) <= (float(t1.seconds) + overhead) * (1 + 1e-5)


@settings(**small)
@given(models, st.integers(1, 8), st.sampled_from([None, "qwen3-0.6b", "qwen3-1.7b"]), st.floats(0.0, 1.0),
       st.integers(1, 64))
def test_speculative_decoding_with_zero_acceptance_is_never_faster(name, gamma, draft, frac, C):
    d = None if draft is None else ttsim.get_model(draft)
    plain = _t(name, cost.parallel_workload(2.0), concurrency=float(C))
    spec = _t(name, cost.parallel_workload(2.0), concurrency=float(C),
              speculative=cost.Speculative(float(gamma), 0.0, d, frac))
    assert float(spec.seconds) >= float(plain.seconds) * (1 - 1e-6)
    assert float(spec.tpot) >= float(plain.tpot) * (1 - 1e-6)


@settings(**small)
@given(models, st.floats(0.0, 1e-3), st.integers(1, 64), st.integers(1, 4))
def test_tensor_parallel_one_has_no_communication(name, latency, C, k):
    got = _t(name, cost.parallel_workload(float(k)), concurrency=float(C), link_latency=latency)
    assert float(got.comm_seconds) == 0.0 and float(got.comm_bytes) == 0.0
    two = _t(name, cost.parallel_workload(float(k)), concurrency=float(C), link_latency=latency, tensor_parallel=2.0)
    assert float(two.comm_seconds) > 0.0 and float(two.comm_bytes) > 0.0


@settings(**small)
@given(models, st.integers(1, 2000), st.integers(1, 2000), st.integers(1, 16), st.integers(1, 16),
       st.integers(1, 128), st.integers(1, 128))
def test_monotone_in_tokens_samples_and_concurrency(name, L1, L2, k1, k2, C1, C2):
    (L1, L2), (k1, k2), (C1, C2) = sorted((L1, L2)), sorted((k1, k2)), sorted((C1, C2))
    base = dict(concurrency=float(C1))
    a = _t(name, cost.parallel_workload(float(k1)), 100.0, float(L1), **base)
    assert float(_t(name, cost.parallel_workload(float(k1)), 100.0, float(L2), **base).seconds) >= float(a.seconds) * (1 - 1e-6)
    assert float(_t(name, cost.parallel_workload(float(k2)), 100.0, float(L1), **base).seconds) >= float(a.seconds) * (1 - 1e-6)
    b = _t(name, cost.parallel_workload(float(k1)), 100.0, float(L1), concurrency=float(C2))
    assert float(b.seconds) >= float(a.seconds) * (1 - 1e-6)  # more queries in flight: each waits longer
    assert float(b.throughput_qps) >= float(a.throughput_qps) * (1 - 1e-6)  # ... and the replica serves more


def test_expected_tokens_per_step_against_the_geometric_sum():
    for gamma in (1, 2, 4, 7):
        for alpha in (0.0, 0.3, 0.8, 0.999, 0.9999999):
            want = sum(alpha**i for i in range(gamma + 1))
            with enable_x64(True):
                got = float(cost.expected_tokens_per_step(alpha, float(gamma)))
            assert got == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError, match="acceptance"):
        cost.expected_tokens_per_step(1.0, 3.0)


def test_max_concurrency_is_the_largest_that_fits():
    m, hw = ttsim.get_model("llama-3.1-8b"), H100
    got = cost.serving_cost(m, hw, cost.parallel_workload(4.0), 1000.0, 3000.0)
    kv_tok = 2 * 8 * 128 * 32 * 2  # K, V x kv heads x head dim x layers x bytes
    per_query = kv_tok * (1000 + 4 * 3000)  # the prompt once, each sample's tokens
    free = 80e9 - float(m.params) * 2
    assert float(got.max_concurrency) == math.floor(free / per_query)
    assert bool(cost.serving_cost(m, hw, cost.parallel_workload(4.0), 1000.0, 3000.0,
                                  concurrency=got.max_concurrency + 1).fits) is False


def test_energy_model_and_missing_power():
    got = cost.serving_cost(ttsim.get_model("qwen3-8b"), H100, cost.parallel_workload(2.0), 100.0, 500.0,
                            concurrency=4.0)
    # no idle figure is published: TDP while busy, nothing while waiting (no waits at TP = 1)
    assert float(got.joules) == pytest.approx(700.0 * float(got.seconds) / 4.0, rel=1e-6)
    tpu = cost.serving_cost(ttsim.get_model("qwen3-0.6b"), ttsim.get_hardware("tpu-v5e"), cost.parallel_workload(1.0),
                            100.0, 500.0)
    assert math.isnan(float(tpu.joules)) and math.isfinite(float(tpu.seconds))
    assert float(cost.joules_per_correct(10.0, 0.0)) == math.inf
    assert float(cost.joules_per_correct(10.0, 0.5)) == 20.0
    assert float(cost.power_watts(H100, 0.5)) == 350.0  # idle unknown: counted as 0 W


def test_bad_arguments_name_what_fits():
    m = ttsim.get_model("llama-3.1-8b")
    with pytest.raises(ValueError, match="degrees that fit: 1, 2, 4, 8, 16, 32"):
        cost.serving_cost(m, H100, cost.parallel_workload(1.0), 10.0, 10.0, tensor_parallel=3.0)
    with pytest.raises(ValueError, match="interconnect_bandwidth"):
        cost.serving_cost(m, ttsim.get_hardware("h100-pcie"), cost.parallel_workload(1.0), 10.0, 10.0,
                          tensor_parallel=2.0)
    with pytest.raises(ValueError, match="acceptance"):
        cost.serving_cost(m, H100, cost.parallel_workload(1.0), 10.0, 10.0,
                          speculative=cost.Speculative(4.0, 1.0, None, 0.1))
    with pytest.raises(ValueError, match="depth"):
        cost.serving_cost(m, H100, _workload([(1, 1.0, 0, 0.0)]), 10.0, 10.0)


def test_latency_percentile_of_an_adaptive_workload():
    # adaptive stopping: the number of rounds is random; price the draws, then summarise
    depths = np.array([1.0, 1.0, 2.0, 3.0, 8.0])
    wl = Workload((Phase(1.0, depths, depths, 0.0),))
    got = cost.serving_cost(ttsim.get_model("qwen3-8b"), H100, wl, 100.0, 300.0)
    mean, p90 = cost.latency_percentile(got, 0.9)
    t = np.asarray(got.seconds)
    assert float(mean) == pytest.approx(t.mean(), rel=1e-6)
    assert float(p90) == pytest.approx(np.quantile(t, 0.9), rel=1e-6)
    assert np.all(np.diff(t[[0, 2, 3, 4]]) > 0)


def test_latency_and_joules_are_optimizer_cost_units():
    from ttsim._src.cost_units import ProblemData, cost_units, get_cost_unit

    assert {"latency_seconds", "joules"} <= set(cost_units())
    wl = Workload((Phase(np.array([1.0, 4.0]), np.array([1.0, 2.0]), np.array([1.0, 2.0]), 0.0),))
    data = ProblemData(np.array([[100.0], [300.0]]), np.array([[500.0], [800.0]]))
    m = ttsim.get_model("qwen3-8b")
    got = get_cost_unit("latency_seconds").cost(wl, data, m, H100)
    want = cost.serving_cost(m, H100, wl, data.prompt_tokens, data.gen_tokens).seconds
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    j = get_cost_unit("joules").cost(wl, data, m, H100)
    np.testing.assert_allclose(j, 700.0 * np.asarray(want), rtol=1e-5)
