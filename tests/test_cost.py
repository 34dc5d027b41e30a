"""Cost models: hand-computed values, the decode simulation, properties, FLOPs matching, cost-of-pass."""

import dataclasses
import math

import decode_simulation as ds
import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

import ttsim
from ttsim._src import cost as cost_mod
from ttsim._src.numerics import enable_x64

B200 = ttsim.get_hardware("b200-fp8")  # Kinetics' I = 562.5
H100 = ttsim.get_hardware("h100-sxm")


# ----------------------------------------------------------------------------------------------
# Hand-computed values


def test_kinetics_dense_hand_computed():
    # Qwen3-8B: P = 8.19e9, H = 32, K = 8, D = 128 * 36 = 4608; c = 100, L = 1000, N = 4.
    # compute = 4 * [2 * 8.19e9 * 1000 + 2 * (200 + 1000) * 1000 * 32 * 4608] = 6.69355776e13
    # memory  = 2 * (200 + 4 * 1000) * 1000 * 8 * 4608                         = 3.096576e11
    # eFLOPs  = 6.69355776e13 + 562.5 * 3.096576e11                            = 2.411179776e14
    got = ttsim.kinetics_cost(ttsim.get_model("qwen3-8b"), B200, 100, 1000, 4)
    np.testing.assert_allclose(got.flops, 6.69355776e13, rtol=1e-6)
    np.testing.assert_allclose(got.memory_bytes, 3.096576e11, rtol=1e-6)
    np.testing.assert_allclose(got.eflops, 2.411179776e14, rtol=1e-6)
    np.testing.assert_allclose(got.seconds, 2.411179776e14 / 4.5e15, rtol=1e-6)
    assert np.isnan(got.dollars)  # no published B200 price


def test_kinetics_topk_hand_computed():
    # Qwen3-0.6B: P = 0.752e9, H = 16, K = 8, D = 128 * 28 = 3584; B = 256, c = 100, L = 1000, N = 2.
    # kvf = 256 * 1000 - 156^2 / 2 = 243832
    # compute = 2 * [2 * 0.752e9 * 1000 + 4 * 243832 * 16 * 3584] = 3119858417664
    # memory  = 4 * 243832 * 8 * 3584 * 2                         = 55929208832
    got = ttsim.kinetics_cost(ttsim.get_model("qwen3-0.6b"), B200, 100, 1000, 2, kv_budget=256)
    np.testing.assert_allclose(got.flops, 3119858417664, rtol=1e-6)
    np.testing.assert_allclose(got.memory_bytes, 55929208832, rtol=1e-6)
    np.testing.assert_allclose(got.eflops, 34580038385664, rtol=1e-6)
    # The Kinetics code's "+" sign adds N * (B - c)^2 * 4 * (H D) FLOPs (and 4 K D N bytes per unit).
    plus = ttsim.kinetics_cost(ttsim.get_model("qwen3-0.6b"), B200, 100, 1000, 2, kv_budget=256,
                               sparse_convention="kinetics_code")
    np.testing.assert_allclose(plus.flops - got.flops, 2 * 156**2 * 4 * 16 * 3584, rtol=1e-5)
    np.testing.assert_allclose(plus.memory_bytes - got.memory_bytes, 2 * 156**2 * 4 * 8 * 3584, rtol=1e-5)


def test_roofline_hand_computed():
    # Llama-3.1-8B (P = 8.03e9, H = 32, K = 8, D = 4096) on H100 SXM (989.4 TFLOP/s, 3.35 TB/s,
    # $2.99/h); c = 1000, L = 100, N = 1, bf16 weights and KV (2 bytes).
    # prefill: F = 2 P c + 4 H D c^2/2 = 1.606e13 + 2.62144e11; B = 2 P + 2*K*D*2*c = 1.606e10 + 1.31072e8
    # decode:  F = 2 P L + 4 H D (c L + L^2/2) = 1.606e12 + 5.505024e10
    #          B = L * 2 P + 131072 * (c L + L^2/2) + 131072 * L = 1.606e12 + 1.376256e10 + 1.31072e7
    #          (one cached token = 2 (K and V) * 8 heads * 4096 * 2 bytes = 131072 bytes)
    pre_f, pre_b = 1.606e13 + 2.62144e11, 1.606e10 + 1.31072e8
    dec_f, dec_b = 1.606e12 + 5.505024e10, 1.606e12 + 1.376256e10 + 1.31072e7
    seconds = max(pre_f / 989.4e12, pre_b / 3.35e12) + max(dec_f / 989.4e12, dec_b / 3.35e12)
    got = ttsim.roofline_cost(ttsim.get_model("llama-3.1-8b"), H100, 1000, 100, 1)
    np.testing.assert_allclose(got.flops, pre_f + dec_f, rtol=1e-6)
    np.testing.assert_allclose(got.memory_bytes, pre_b + dec_b, rtol=1e-6)
    np.testing.assert_allclose(got.seconds, seconds, rtol=1e-6)
    np.testing.assert_allclose(got.dollars, seconds * 2.99 / 3600, rtol=1e-6)


def test_memory_fit_hand_computed():
    # Qwen3-8B on H100 (80 GB): weights 2 * 8.19e9 = 1.638e10 B; KV per token 2*8*4608*2 = 147456 B.
    # c = 150, L = 14000, N = 8: KV = 147456 * (150 + 8 * 14000) = 1.6537190e10 -> fits.
    # max batch = floor((8e10 - 1.638e10 - 147456 * 150) / (147456 * 14000)) = floor(30.8) = 30.
    fit = ttsim.memory_fit(ttsim.get_model("qwen3-8b"), H100, 150, 14000, 8)
    np.testing.assert_allclose(fit.weight_bytes, 1.638e10, rtol=1e-6)
    np.testing.assert_allclose(fit.kv_bytes, 147456 * (150 + 8 * 14000), rtol=1e-6)
    assert bool(fit.fits)
    assert float(fit.max_batch_size) == 30
    assert not bool(ttsim.memory_fit(ttsim.get_model("qwen3-8b"), H100, 150, 14000, 31).fits)
    np.testing.assert_allclose(ttsim.kv_cache_bytes(ttsim.get_model("qwen3-8b"), 1000), 147456 * 1000, rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# Plain-Python scalar reference (keys counted by numerical integration)


def _area(start, steps, window):
    if steps <= 0:
        return 0.0
    kink = window - start
    points = [kink] if 0 < kink < steps else None
    return quad(lambda t: min(window, start + t), 0.0, steps, points=points, limit=200)[0]


def _ref_kinetics(m, hw, c, L, N, attention, B, blk):
    P, H, K, D = float(m.active_params), float(m.num_heads), float(m.num_kv_heads), float(m.head_dim * m.num_layers)
    intensity = float(hw.peak_flops) / float(hw.memory_bandwidth)
    if attention == "dense":
        compute = N * (2 * P * L + 2 * (2 * c + L) * L * H * D)
        memory = 2 * (2 * c + N * L) * L * K * D
    else:
        kvf = _area(c, L, B)
        compute = N * (2 * P * L + 4 * kvf * H * D)
        memory = 4 * kvf * K * D * N
        if attention == "block_topk":
            compute += N * math.floor((2 * c + L) / blk) * L * H * D
            memory += math.floor((2 * c + N * L) / blk) * L * K * D
    return compute, memory, compute + intensity * memory


GRID_C = np.array([0.0, 150.0, 3000.0])
GRID_L = np.array([1.0, 700.0, 9000.0])
GRID_N = np.array([1.0, 3.0, 16.0])


@pytest.mark.parametrize("attention", ["dense", "topk", "block_topk"])
def test_kinetics_vectorised_matches_scalar_loop(attention):
    m = ttsim.get_model("qwen3-4b")
    B, blk = 1024.0, 32.0
    kw = {} if attention == "dense" else {"kv_budget": B, "attention": attention, "block_size": blk}
    c, L, N = np.meshgrid(GRID_C, GRID_L, GRID_N, indexing="ij")
    with enable_x64(True):
        got = ttsim.kinetics_cost(m, B200, c, L, N, **kw)
        for idx in np.ndindex(c.shape):
            want = _ref_kinetics(m, B200, c[idx], L[idx], N[idx], attention, B, blk)
            np.testing.assert_allclose([got.flops[idx], got.memory_bytes[idx], got.eflops[idx]], want, rtol=1e-7)


@pytest.mark.parametrize("attention", ["dense", "topk", "block_topk", "sliding"])
@pytest.mark.parametrize("model_name", ["qwen3-8b", "qwen3-30b-a3b"])
def test_roofline_matches_the_step_by_step_decode_simulation(attention, model_name):
    """roofline_cost against tests/decode_simulation.py, which decodes token by token.

    The closed form counts (query, key) pairs as an integral (``cL + L^2/2``); the simulation
    counts each new token's keys including its own (``cL + L(L+1)/2``), so dense FLOPs differ by
    exactly ``4HD (N L + c) / 2`` (checked to float64 rounding). The closed form takes each phase's
    ``max(FLOPs/peak, bytes/bw)`` over the phase's totals, a lower bound of the simulation's sum
    of per-step maxima, equal when one resource binds at every step (measured gap below 4e-5 here).
    """
    name = model_name
    m, hw = ds.net(name), ds.chip("h100-sxm")
    window = math.inf if attention == "dense" else 96.0
    block = 16.0 if attention == "block_topk" else None
    with enable_x64(True):
        for c, L, N, batch in [(0, 40, 1, 1), (50, 60, 3, 2), (120, 30, 4, 4)]:
            f, b, t = ds.roofline(m, hw, prompt=c, gen=L, samples=N, batch=batch, window=window, block=block,
                                  bp=1.0, bkv=2.0)
            got = ttsim.roofline_cost(ttsim.get_model(name), H100, float(c), float(L), float(N), attention=attention,
                                      kv_budget=None if attention == "dense" else window, block_size=16.0,
                                      batch_size=float(batch), bytes_per_param=1.0)
            if attention == "dense":
                discretisation = 4 * m.heads * m.head_dim * m.layers * (N * L + c) / 2
                assert f - float(got.flops) == pytest.approx(discretisation, rel=1e-9)
                kv_tok = 2 * m.kv_heads * m.head_dim * m.layers * 2.0
                assert b - float(got.memory_bytes) == pytest.approx(kv_tok * N * L / 2, rel=1e-9)
            else:
                # integral vs per-token key counts under a window: measured <= 1.2e-4 (FLOPs), 1.5e-5 (bytes)
                np.testing.assert_allclose(float(got.flops), f, rtol=1e-3)
                np.testing.assert_allclose(float(got.memory_bytes), b, rtol=2e-4)
            assert float(got.seconds) <= t * (1 + 1e-12)  # max of sums <= sum of maxima
            np.testing.assert_allclose(float(got.seconds), t, rtol=4e-4)  # measured <= 3.5e-5


def test_broadcast_over_stacked_models_and_hardware_traces_once():
    names = ["qwen3-0.6b", "qwen3-8b", "qwen3-32b", "llama-3.1-70b"]
    models = ttsim.stack_models([ttsim.get_model(n) for n in names])
    hw = ttsim.stack_hardware([ttsim.get_hardware(n) for n in ("a100-80gb", "h100-sxm", "tpu-v5e")])
    m = jax.tree.map(lambda x: x[:, None, None], models)
    h = jax.tree.map(lambda x: x[None, :, None], hw)
    n = np.array([1.0, 4.0, 64.0])
    got = ttsim.roofline_cost(m, h, 500.0, 2000.0, n)
    assert got.seconds.shape == (4, 3, 3)
    for i, name in enumerate(names):
        for j, hname in enumerate(("a100-80gb", "h100-sxm", "tpu-v5e")):
            one = ttsim.roofline_cost(ttsim.get_model(name), ttsim.get_hardware(hname), 500.0, 2000.0, n)
            np.testing.assert_allclose(got.seconds[i, j], one.seconds, rtol=1e-6)
    # Every registered model reuses one compiled kernel (names are dropped before jit).
    ttsim.kinetics_cost(ttsim.get_model("qwen3-1.7b"), B200, 10.0, 20.0, 1.0)
    before = cost_mod._kinetics_impl._cache_size()
    for name in ttsim.load_models():
        ttsim.kinetics_cost(ttsim.get_model(name), B200, 10.0, 20.0, 1.0)
    assert cost_mod._kinetics_impl._cache_size() == before


# ----------------------------------------------------------------------------------------------
# Properties

pos = st.floats(0.0, 3e4, allow_nan=False, width=64)
samples = st.integers(1, 64)
budgets = st.floats(1.0, 4096.0, width=64)
MODELS = ["qwen3-0.6b", "qwen3-14b", "qwen3-30b-a3b", "llama-3.1-70b"]


def _all_costs(m, c, L, N, B):
    out = [ttsim.kinetics_cost(m, B200, c, L, N)]
    out.append(ttsim.kinetics_cost(m, B200, c, L, N, kv_budget=B))
    out.append(ttsim.kinetics_cost(m, B200, c, L, N, kv_budget=B, attention="block_topk", block_size=16.0))
    for att in ("dense", "topk", "block_topk", "sliding"):
        out.append(ttsim.roofline_cost(m, H100, c, L, N, attention=att, kv_budget=B, batch_size=8.0))
    return out


@settings(max_examples=12)
@given(st.sampled_from(MODELS), pos, pos, samples, budgets, st.floats(1.0, 5000.0), st.integers(1, 8))
def test_costs_non_decreasing_in_n_l_c(name, c, L, N, B, dx, dn):
    m = ttsim.get_model(name)
    with enable_x64(True):
        base = _all_costs(m, c, L, N, B)
        for more in (_all_costs(m, c + dx, L, N, B), _all_costs(m, c, L + dx, N, B), _all_costs(m, c, L, N + dn, B)):
            for a, b in zip(base, more):
                for f in ("flops", "memory_bytes", "eflops", "seconds"):
                    assert float(getattr(b, f)) >= float(getattr(a, f)) * (1 - 1e-12), (f, a, b)


@settings(max_examples=20)
@given(st.sampled_from(MODELS), st.floats(1.0, 3e4), pos, samples, st.floats(0.05, 1.0))
def test_sparse_never_costs_more_than_dense_when_budget_within_prompt(name, c, L, N, frac):
    m = ttsim.get_model(name)
    B = max(1.0, frac * c)  # B <= c: every step attends at most B <= context keys
    with enable_x64(True):
        dense = ttsim.kinetics_cost(m, B200, c, L, N)
        topk = ttsim.kinetics_cost(m, B200, c, L, N, kv_budget=B)
        assert float(topk.flops) <= float(dense.flops) * (1 + 1e-12)
        r_dense = ttsim.roofline_cost(m, H100, c, L, N)
        for att in ("topk", "sliding"):
            r = ttsim.roofline_cost(m, H100, c, L, N, attention=att, kv_budget=B)
            assert float(r.flops) <= float(r_dense.flops) * (1 + 1e-12)
        # One sample: no prefix sharing to lose, so bytes, eFLOPs and time are lower too.
        d1 = ttsim.kinetics_cost(m, B200, c, L, 1)
        t1 = ttsim.kinetics_cost(m, B200, c, L, 1, kv_budget=B)
        assert float(t1.memory_bytes) <= float(d1.memory_bytes) * (1 + 1e-12)
        assert float(t1.eflops) <= float(d1.eflops) * (1 + 1e-12)
        rd1 = ttsim.roofline_cost(m, H100, c, L, 1)
        for att in ("topk", "sliding"):
            r1 = ttsim.roofline_cost(m, H100, c, L, 1, attention=att, kv_budget=B)
            assert float(r1.seconds) <= float(rd1.seconds) * (1 + 1e-12)
            assert float(r1.memory_bytes) <= float(rd1.memory_bytes) * (1 + 1e-12)


@settings(max_examples=15)
@given(pos, pos, samples)
def test_moe_cost_uses_active_params(c, L, N):
    moe = ttsim.get_model("qwen3-30b-a3b")
    as_dense = dataclasses.replace(moe, params=moe.active_params, num_experts=np.float64(1), experts_per_token=np.float64(1))
    with enable_x64(True):
        a, b = ttsim.kinetics_cost(moe, B200, c, L, N), ttsim.kinetics_cost(as_dense, B200, c, L, N)
        for f in Cost_fields():
            np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-12)
        # Roofline decode at batch 1 reads exactly the active weights per step; FLOPs use them always.
        ra = ttsim.roofline_cost(moe, H100, c, L, N, batch_size=1.0, include_prefill=False)
        rb = ttsim.roofline_cost(as_dense, H100, c, L, N, batch_size=1.0, include_prefill=False)
        np.testing.assert_allclose(ra.flops, rb.flops, rtol=1e-12)
        np.testing.assert_allclose(ra.memory_bytes, rb.memory_bytes, rtol=1e-12)
        # With a big batch more experts are touched: between active and total weights.
        big = ttsim.roofline_cost(moe, H100, 0.0, 1.0, 512.0, include_prefill=False)
        full = dataclasses.replace(moe, num_experts=np.float64(1), experts_per_token=np.float64(1))
        big_full = ttsim.roofline_cost(full, H100, 0.0, 1.0, 512.0, include_prefill=False)
        # KV traffic: 512 tokens written, and N L^2 / 2 = 256 token-reads of the new keys.
        kv_write = float(ttsim.kv_cache_bytes(moe, 512.0 + 256.0))
        touched = (float(big.memory_bytes) - kv_write) / 2.0  # bf16 weights
        assert float(moe.active_params) < touched <= float(moe.params) * (1 + 1e-12)
        np.testing.assert_allclose(big_full.memory_bytes - kv_write, 2.0 * float(moe.params), rtol=1e-12)
        np.testing.assert_allclose(touched, ds.params_read(ds.net("qwen3-30b-a3b"), 512.0), rtol=1e-9)


def Cost_fields():
    return ("flops", "memory_bytes", "eflops", "seconds")


@settings(max_examples=15)
@given(pos, pos, samples, st.floats(0.01, 100.0))
def test_dollars_scale_linearly_with_price(c, L, N, k):
    hw2 = dataclasses.replace(H100, price_per_hour=np.float64(float(H100.price_per_hour) * k))
    m = ttsim.get_model("qwen3-8b")
    with enable_x64(True):
        for fn in (ttsim.roofline_cost, ttsim.kinetics_cost):
            a, b = fn(m, H100, c, L, N), fn(m, hw2, c, L, N)
            np.testing.assert_allclose(b.dollars, k * a.dollars, rtol=1e-12)
            np.testing.assert_allclose(a.dollars, a.seconds * float(H100.price_per_hour) / 3600, rtol=1e-12)
        two = ttsim.roofline_cost(m, H100, c, L, N, num_devices=2.0)
        assert float(two.seconds) <= float(ttsim.roofline_cost(m, H100, c, L, N).seconds)


def test_no_price_gives_nan_dollars_and_finite_costs_at_extremes():
    m = ttsim.get_model("llama-3.1-70b")
    got = ttsim.roofline_cost(m, ttsim.get_hardware("h200"), 1e6, 1e6, 1e6)
    assert np.isnan(got.dollars)
    assert all(np.isfinite(getattr(got, f)) for f in Cost_fields())
    assert got.flops.dtype == np.float32 and float(got.flops) > 2**31


# ----------------------------------------------------------------------------------------------
# Validation


def test_invalid_arguments_name_the_argument():
    m = ttsim.get_model("qwen3-8b")
    with pytest.raises(ValueError, match="prompt_tokens"):
        ttsim.kinetics_cost(m, B200, -1, 10, 1)
    with pytest.raises(ValueError, match="num_samples"):
        ttsim.roofline_cost(m, H100, 1, 10, 0)
    with pytest.raises(ValueError, match="kv_budget"):
        ttsim.roofline_cost(m, H100, 1, 10, 1, attention="sliding")
    with pytest.raises(ValueError, match="attention"):
        ttsim.kinetics_cost(m, B200, 1, 10, 1, kv_budget=4, attention="sliding")
    with pytest.raises(ValueError, match="block_size"):
        ttsim.kinetics_cost(m, B200, 1, 10, 1, kv_budget=4, attention="block-topk")
    with pytest.raises(ValueError, match="model"):
        ttsim.kinetics_cost("qwen3-8b", B200, 1, 10, 1)


def test_kinetics_costs_are_jittable():
    m = ttsim.get_model("qwen3-8b")
    f = jax.jit(lambda L: ttsim.kinetics_cost(m, B200, 100.0, L, 4.0).eflops)
    np.testing.assert_allclose(f(1000.0), 2.411179776e14, rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# FLOPs matching and cost-of-pass


def test_flops_matched_multiplier_equates_total_flops():
    M, d_pre = np.array([2.0, 14.0, 14.0]), 2e12
    ratio = np.array([0.16, 0.79, 22.0])  # Snell et al.'s R = D_inf / D_pre
    d_inf = ratio * d_pre
    x = np.asarray(ttsim.flops_matched_token_multiplier(M, d_pre, d_inf), np.float64)
    np.testing.assert_allclose(x, M + 3 * (M - 1) / ratio, rtol=1e-6)
    n = 1e9
    small = ttsim.pretraining_flops(n, d_pre) + ttsim.inference_flops(n, x * d_inf)
    large = ttsim.pretraining_flops(M * n, d_pre) + ttsim.inference_flops(M * n, d_inf)
    np.testing.assert_allclose(small, large, rtol=1e-5)
    assert float(ttsim.flops_matched_token_multiplier(1.0, d_pre, 1.0)) == 1.0
    with pytest.raises(ValueError, match="size_ratio"):
        ttsim.flops_matched_token_multiplier(0.5, d_pre, 1.0)


def test_cost_of_pass_and_frontier():
    cost = np.array([[1.0, 4.0], [2.0, 1.0], [10.0, 3.0]])
    p = np.array([[0.1, 0.8], [0.5, 0.0], [0.9, 0.3]])
    cop = np.asarray(ttsim.cost_of_pass(cost, p))
    np.testing.assert_allclose(cop, [[10.0, 5.0], [4.0, np.inf], [10.0 / 0.9, 10.0]], rtol=1e-6)
    front = ttsim.cost_of_pass_frontier(cost, p, axis=0)
    np.testing.assert_allclose(front.cost_of_pass, [4.0, 5.0], rtol=1e-6)
    np.testing.assert_array_equal(front.best_index, [1, 0])
    with pytest.raises(ValueError, match="success_prob"):
        ttsim.cost_of_pass(1.0, 1.5)
