"""``ttsim cost``, ``ttsim models`` and ``ttsim hardware``: JSON keys, agreement with the API, errors."""

import json

import numpy as np
import pytest

import ttsim
from ttsim.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


BASE = ["cost", "--model", "qwen3-8b", "--prompt-tokens", "150", "--gen-tokens", "14000", "--samples", "8"]


def test_cost_roofline_json(capsys):
    out = _json(capsys, BASE + ["--hardware", "h100-sxm", "--json"])
    for key in ("flops", "memory_bytes", "eflops", "seconds", "dollars", "fits_in_memory", "max_batch_size"):
        assert key in out
    want = ttsim.roofline_cost(ttsim.get_model("qwen3-8b"), ttsim.get_hardware("h100-sxm"), 150.0, 14000.0, 8.0)
    assert out["seconds"] == pytest.approx(float(want.seconds), rel=1e-6)
    assert out["dollars"] == pytest.approx(float(want.seconds) * 2.99 / 3600, rel=1e-6)
    assert out["fits_in_memory"] is True and out["max_batch_size"] == 30


def test_cost_kinetics_json_and_null_price(capsys):
    out = _json(capsys, BASE + ["--hardware", "b200-fp8", "--cost-model", "kinetics", "--attention", "topk",
                                "--kv-budget", "1024", "--json"])
    want = ttsim.kinetics_cost(ttsim.get_model("qwen3-8b"), ttsim.get_hardware("b200-fp8"), 150.0, 14000.0, 8.0,
                               kv_budget=1024.0)
    assert out["eflops"] == pytest.approx(float(want.eflops), rel=1e-6)
    assert out["flops"] == pytest.approx(float(want.flops), rel=1e-6)
    assert out["memory_bytes"] == pytest.approx(float(want.memory_bytes), rel=1e-6)
    assert out["dollars"] is None and out["arithmetic_intensity"] == 562.5


def test_kv_budget_alone_means_topk_like_the_library(capsys):
    out = _json(capsys, BASE + ["--hardware", "b200-fp8", "--cost-model", "kinetics", "--kv-budget", "1024", "--json"])
    want = ttsim.kinetics_cost(ttsim.get_model("qwen3-8b"), ttsim.get_hardware("b200-fp8"), 150.0, 14000.0, 8.0,
                               kv_budget=1024.0)
    assert out["attention"] == "topk" and out["eflops"] == pytest.approx(float(want.eflops), rel=1e-6)
    assert main(BASE + ["--hardware", "h200"]) == 0  # no published price: "-" in the table, not "nan"
    rows = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines()[2:])
    assert rows["dollars"].strip() == "-" and rows["price_per_hour"].strip() == "-"


def test_cost_block_topk_and_table_output(capsys):
    assert main(BASE + ["--hardware", "tpu-v5p", "--attention", "block-topk", "--kv-budget", "512", "--block-size", "32"]) == 0
    text = capsys.readouterr().out
    assert "seconds" in text and "dollars" in text


def test_models_and_hardware_listings(capsys):
    models = _json(capsys, ["models", "--json"])["models"]
    assert models["qwen3-30b-a3b"]["active_params"] == 3.3e9 and "source" in models["llama-3.1-70b"]
    hw = _json(capsys, ["hardware", "--json"])["hardware"]
    assert hw["b200-fp8"]["arithmetic_intensity"] == 562.5 and hw["h200"]["price_per_hour"] is None
    assert main(["models"]) == 0 and "qwen3-14b" in capsys.readouterr().out
    assert main(["hardware"]) == 0 and "mi300x" in capsys.readouterr().out


def test_user_registry_files(capsys, tmp_path):
    f = tmp_path / "m.toml"
    f.write_text('["tiny"]\nparams = 1e8\nnum_layers = 2\nnum_heads = 2\nnum_kv_heads = 1\nhead_dim = 8\nsource = "t"\n')
    out = _json(capsys, ["cost", "--model", "tiny", "--models-file", str(f), "--hardware", "a100-80gb",
                         "--prompt-tokens", "10", "--gen-tokens", "10", "--json"])
    assert out["model"] == "tiny" and np.isfinite(out["seconds"])
    assert "tiny" in _json(capsys, ["models", "--models-file", str(f), "--json"])["models"]


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--model", "qwen3-8", "--hardware", "h100-sxm"], "did you mean qwen3-8b"),
        (["--model", "qwen3-8b", "--hardware", "h100"], "unknown hardware 'h100'; did you mean h100-sxm"),
        (["--model", "qwen3-8b", "--hardware", "h100-sxm", "--prompt-tokens", "-5"], "--prompt-tokens must be an integer >= 0"),
        (["--model", "qwen3-8b", "--hardware", "h100-sxm", "--gen-tokens", "2.5"], "--gen-tokens must be an integer >= 0; got '2.5'"),
        (["--model", "qwen3-8b", "--hardware", "h100-sxm", "--samples", "0"], "--samples must be an integer >= 1"),
        (["--model", "qwen3-8b", "--hardware", "h100-sxm", "--attention", "topk"], "--kv-budget is required"),
        (["--model", "qwen3-8b", "--hardware", "h100-sxm", "--attention", "dense", "--kv-budget", "64"], "no effect"),
        (["--model", "qwen3-8b", "--hardware", "h100-sxm", "--kv-budget", "-3"], "--kv-budget must be an integer >= 1"),
        (["--model", "qwen3-8b", "--hardware", "h100-sxm", "--prompt-tokens", "ten"], "--prompt-tokens must be an integer"),
        (["--model", "qwen3-8b", "--hardware", "h100-sxm", "--attention", "sliding", "--kv-budget", "8",
          "--cost-model", "kinetics"], "sliding is only available"),
    ],
)
def test_cost_errors_exit_2_with_one_line(capsys, extra, match):
    argv = ["cost", "--prompt-tokens", "10", "--gen-tokens", "10"] + extra
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and "\n" not in err and err.startswith("ttsim cost: error:")
