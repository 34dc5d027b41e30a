"""``ttsim cost``, ``ttsim models`` and ``ttsim hardware``: JSON keys, agreement with the API, errors."""

import json

import numpy as np
import pytest

import ttsim
import ttsim.cost
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


# ----------------------------------------------------------------------------------------------
# Serving keys (issue 15), overflow and bad files (issue 18), help (issue 17)

SERVE = ["cost", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--prompt-tokens", "128", "--gen-tokens", "128"]


def test_cost_serving_keys_agree_with_the_library(capsys):
    out = _json(capsys, SERVE + ["--concurrency", "8", "--samples", "2", "--json"])
    for key in ("latency_s", "ttft_s", "tpot_s", "throughput_qps", "tokens_per_s", "joules", "max_concurrency"):
        assert key in out
    want = ttsim.cost.serving_cost(ttsim.get_model("llama-3.1-8b"), ttsim.get_hardware("h100-sxm"),
                                   ttsim.cost.parallel_workload(2.0), 128.0, 128.0, concurrency=8.0)
    assert out["latency_s"] == pytest.approx(float(want.seconds), rel=1e-6)
    assert out["throughput_qps"] == pytest.approx(8.0 / float(want.seconds), rel=1e-6)
    assert out["joules"] == pytest.approx(700.0 * float(want.seconds) / 8.0, rel=1e-6)
    tp = _json(capsys, SERVE + ["--tensor-parallel", "2", "--link-latency", "5e-6", "--json"])
    assert tp["devices"] == 2 and tp["comm_s"] > 0 and tp["tpot_s"] < out["tpot_s"]
    spec = _json(capsys, SERVE + ["--speculative-draft", "qwen3-0.6b", "--acceptance", "0.8", "--json"])
    assert spec["tpot_s"] < _json(capsys, SERVE + ["--json"])["tpot_s"]
    mtp = _json(capsys, SERVE + ["--speculative-draft", "mtp", "--acceptance", "0.0", "--json"])
    assert mtp["tpot_s"] >= _json(capsys, SERVE + ["--json"])["tpot_s"]


def test_joules_null_only_where_no_power_is_published(capsys):
    argv = list(SERVE)
    argv[argv.index("--hardware") + 1] = "tpu-v5p"
    out = _json(capsys, argv + ["--json"])
    assert out["joules"] is None and out["latency_s"] > 0 and out["dollars"] is not None


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--tensor-parallel", "3"], "--tensor-parallel 3 does not divide the 32 query heads of llama-3.1-8b; "
                                     "degrees that fit: 1, 2, 4, 8, 16, 32"),
        (["--speculative-draft", "qwen3-0.6b", "--acceptance", "1"], "--acceptance must be a number in [0, 1)"),
        (["--speculative-draft", "qwen3-0.6b", "--acceptance", "-0.1"], "--acceptance must be a number in [0, 1)"),
        (["--speculative-draft", "qwen3-0.6b"], "--acceptance is required"),
        (["--acceptance", "0.5"], "needs --speculative-draft"),
        (["--concurrency", "5000"], "at most 1905 fit on 1 chip(s) of h100-sxm"),
        (["--concurrency", "0"], "--concurrency must be an integer >= 1"),
        (["--hardware", "h100-pcie", "--tensor-parallel", "2"], "no interconnect bandwidth"),
        (["--devices", "4", "--tensor-parallel", "2"], "disagrees"),
        (["--gen-tokens", "10000000000000000"], "too large"),
    ],
)
def test_serving_errors_say_what_fits(capsys, extra, match):
    argv = list(SERVE)
    for flag, value in zip(extra[::2], extra[1::2]):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    if len(extra) % 2:
        argv += extra[-1:]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and "\n" not in err and err.startswith("ttsim cost: error:")


def test_token_overflow_is_rejected_never_reported_as_null(capsys):
    argv = ["cost", "--model", "qwen3-8b", "--hardware", "h100-sxm", "--prompt-tokens", "150",
            "--gen-tokens", "10000000000000000", "--json"]
    assert main(argv) == 2
    assert "--x64" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["directory", "non-utf8", "unreadable"])
def test_bad_registry_files_get_one_line_naming_the_file(capsys, tmp_path, kind):
    import os

    path = tmp_path / "models.toml"
    if kind == "directory":
        path.mkdir()
    elif kind == "non-utf8":
        path.write_bytes(b'["x"]\nsource = "\xff\xfe"\n')
    else:
        path.write_text('["x"]\n')
        os.chmod(path, 0)
        if os.access(path, os.R_OK):  # running as root: permissions do not apply
            pytest.skip("cannot make a file unreadable for this user")
    for flag, cmd in (("--models-file", ["models"]), ("--hardware-file", ["hardware"]),
                      ("--models-file", SERVE)):
        assert main(cmd + [flag, str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert str(path) in err and "\n" not in err


def test_cost_help_states_units_and_ends_with_a_worked_example(capsys):
    with pytest.raises(SystemExit):
        main(["cost", "--help"])
    text = capsys.readouterr().out
    for unit in ("FLOPs", "bytes", "seconds", "USD", "J per query"):
        assert unit in text
    assert "--cost-model" in text and "eFLOPs" in text
    last = text.strip().splitlines()
    assert any(line.strip().startswith("ttsim cost --model") for line in last[-6:])


def test_registry_reading_is_jax_free():
    # `ttsim models` / `ttsim hardware` list the tables without arrays: the registry module imports
    # neither jax nor numpy nor the array records at module level (they load inside load_models).
    import ast

    import ttsim._src.registry as reg

    tree = ast.parse(open(reg.__file__).read())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            top.add(node.module or "")
    assert not {m for m in top if m.split(".")[0] in ("jax", "numpy") or m == "ttsim._src.specs"}


def test_unknown_field_in_a_models_file_is_named(capsys, tmp_path):
    f = tmp_path / "m.toml"
    f.write_text('["tiny"]\nparams = 1e8\nnum_layers = 2\nnum_heads = 2\nnum_kv_heads = 1\nhead_dim = 8\n'
                 'source = "t"\nunit = "furlongs"\n')
    assert main(SERVE[:2] + ["tiny", "--models-file", str(f)] + SERVE[3:]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown field 'unit'" in err and str(f) in err and "gen_tokens" not in err
