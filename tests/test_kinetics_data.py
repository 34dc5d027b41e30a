"""``kinetics_cost`` against the per-problem costs the Kinetics code computed (shipped AIME24 tables).

The tables hold, per (configuration, problem, N), the one-problem compute and memory cost
averaged over the n observed generation lengths, in units of 1e12 (memory already x I = 562.5).
"""

import dataclasses

import numpy as np
import pytest

import ttsim
from ttsim._src.numerics import enable_x64
from ttsim.experiments import kinetics as exp

TOL = 1e-9  # float64 relative tolerance (the tables were written by numpy in float64)


@pytest.fixture(scope="module")
def data():
    configs = exp.load_configs()
    shipped = exp.load_shipped_costs()
    with enable_x64(True):
        prompt, agree = exp.recover_prompt_lengths(configs, shipped)
    return configs, shipped, prompt, agree


def _ours(cfg, prompt, *, model=None, convention="exact"):
    hw = ttsim.get_hardware("b200-fp8")
    with enable_x64(True):
        ns, cost = exp.config_costs(cfg, prompt, hw, convention=convention, model=model)
    return ns, cost


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) / np.asarray(b) - 1)))


def test_prompt_lengths_are_integers_shared_by_the_models(data):
    configs, shipped, prompt, agree = data
    assert prompt[:3].tolist() == [155.0, 177.0, 140.0]  # PROVENANCE.md's first three problems
    for name in ("qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-32b"):
        assert agree[name] == 30
        cfg = configs[f"{name.replace('.', '-')}_dense"]
        with enable_x64(True):
            raw = np.asarray(ttsim.kinetics_prompt_tokens(ttsim.get_model(name), shipped[f"{name.replace('.', '-')}_dense"][1][:, 0], cfg["lengths"]))
        np.testing.assert_allclose(raw, np.round(raw), atol=1e-6)
    assert agree["qwen3-14b"] == 0  # its table used P = 14.33e9 (next test)


@pytest.mark.parametrize("model", ["qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-32b"])
def test_dense_costs_reproduce_the_paper_with_registry_models(data, model):
    configs, shipped, prompt, _ = data
    name = f"{model.replace('.', '-')}_dense"
    ns, cost = _ours(configs[name], prompt)
    for i, n in enumerate(ns):
        compute, memory = shipped[name][int(n)].T
        assert _rel(cost["flops"][i], compute) < TOL
        assert _rel(cost["memory_bytes"][i] * 562.5, memory) < TOL
        assert _rel(cost["eflops"][i], compute + memory) < TOL


def test_dense_14b_table_used_a_different_parameter_count(data):
    configs, shipped, prompt, _ = data
    cfg = configs["qwen3-14b_dense"]
    m = ttsim.get_model("qwen3-14b")
    p = np.float64(exp.SHIPPED_P_14B)
    ns, cost = _ours(cfg, prompt, model=dataclasses.replace(m, params=p, active_params=p))
    _, registry = _ours(cfg, prompt)
    mean_len = cfg["lengths"].mean(axis=1)
    for i, n in enumerate(ns):
        compute, memory = shipped["qwen3-14b_dense"][int(n)].T
        assert _rel(cost["flops"][i], compute) < TOL and _rel(cost["memory_bytes"][i] * 562.5, memory) < TOL
        # With the registry's 14.77e9 the only change is 2 * dP * mean(L) * N FLOPs.
        np.testing.assert_allclose(registry["flops"][i] - compute, 2 * (14.77e9 - 14.33e9) * mean_len * n, rtol=1e-6)


def test_sparse_costs_reproduce_the_tables_with_the_code_convention(data):
    configs, shipped, prompt, _ = data
    checked = 0
    for name, cfg in configs.items():
        if cfg["attention"] == "dense" or name in exp.ANOMALOUS_CONFIGS:
            continue
        model = ttsim.get_model(cfg["model"])
        if cfg["model"] == "qwen3-14b":
            p = np.float64(exp.SHIPPED_P_14B)
            model = dataclasses.replace(model, params=p, active_params=p)
        ns, cost = _ours(cfg, prompt, model=model, convention="kinetics_code")
        _, exact = _ours(cfg, prompt, model=model)
        H, K, D = float(model.num_heads), float(model.num_kv_heads), float(model.kv_dim)
        short = np.max(cfg["kv_budget"] - prompt - cfg["lengths"].min(axis=1)) > 0  # some L < B - c
        for i, n in enumerate(ns):
            compute, memory = shipped[name][int(n)].T
            assert _rel(cost["flops"][i], compute) < TOL, name
            assert _rel(cost["memory_bytes"][i] * 562.5, memory) < TOL, name
            if not short:  # the only difference is the sign of the correction: N (B - c)_+^2 * 4 HD
                gap = n * np.maximum(0.0, cfg["kv_budget"] - prompt) ** 2
                np.testing.assert_allclose(cost["flops"][i] - exact["flops"][i], 4 * H * D * gap, rtol=1e-6, atol=1.0)
                np.testing.assert_allclose(cost["memory_bytes"][i] - exact["memory_bytes"][i], 4 * K * D * gap, rtol=1e-6, atol=1.0)
            checked += 1
    assert checked >= 200


def test_anomalous_32b_top128_table_used_the_dense_formula(data):
    configs, shipped, prompt, _ = data
    cfg = dict(configs["qwen3-32b_local0_topk128"], attention="dense")
    ns, cost = _ours(cfg, prompt)
    for i, n in enumerate(ns):
        compute, memory = shipped["qwen3-32b_local0_topk128"][int(n)].T
        assert _rel(cost["flops"][i], compute) < TOL and _rel(cost["memory_bytes"][i] * 562.5, memory) < TOL
