"""``ttsim optimize --config``: JSON output, the shipped example config, errors naming the key."""

import json
from pathlib import Path

import pytest

from ttsim.cli import main
from ttsim.cli.cmd_optimize import load_config

EXAMPLE = Path(__file__).resolve().parents[1] / "experiments" / "optimize_example.toml"

SMALL = """
[population]
source = "p"
p = [0.02, 0.1, 0.3, 0.5, 0.7, 0.9]

[bins]
num_bins = 2

[[strategy]]
name = "parallel"
n = [1, 2, 4, 8]

[search]
budgets = [2, 5]
compare_exact = true
"""


def _write(tmp_path, text, name="cfg.toml"):
    f = tmp_path / name
    f.write_text(text)
    return str(f)


def test_json_output(tmp_path, capsys):
    assert main(["optimize", "--config", _write(tmp_path, SMALL), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "knapsack" and out["unit"] == "samples"
    assert out["evaluations"] == 2 * 4 and out["exact_evaluations"] == 4**2  # allocations the exhaustive search scored
    assert out["seconds"] >= 0 and out["exact_seconds"] >= 0
    for r in out["results"]:
        assert r["cost"] <= r["budget"] + 1e-9
        assert abs(r["gap"]) < 1e-6 and r["certified"]
        assert len(r["allocation"]) == 2
        assert {"bin", "mass", "strategy", "N", "accuracy", "cost"} <= set(r["allocation"][0])
    # budget 5 over two equal bins with N in {1,2,4,8}: hand-check against enumeration
    p = [0.02, 0.1, 0.3, 0.5, 0.7, 0.9]
    easy, hard = p[3:], p[:3]

    def acc(ps, n):
        return sum(1 - (1 - x) ** n for x in ps) / len(ps)

    best = max((acc(easy, a) + acc(hard, b)) / 2 for a in (1, 2, 4, 8) for b in (1, 2, 4, 8) if (a + b) / 2 <= 5)
    assert abs(out["results"][1]["accuracy"] - best) < 1e-6


def test_table_output(tmp_path, capsys):
    assert main(["optimize", "--config", _write(tmp_path, SMALL)]) == 0
    text = capsys.readouterr().out
    assert "budget" in text and "parallel" in text and "model evaluations" in text


def test_example_config_parses():
    cfg = load_config(EXAMPLE)
    assert cfg["options"].num_options >= 4 and cfg["binned"].num_bins >= 2
    assert cfg["search"]["compare_exact"]


@pytest.mark.parametrize(
    "edit,needle",
    [
        (("[bins]", "[bins]\nnum_binz = 3"), "[bins] num_binz"),
        (("[search]\nbudgets = [2, 5]", "[search]\nbudgets = 'many'"), "[search] budgets"),
        (("name = \"parallel\"", "name = \"beam\""), "strategy"),
        (("source = \"p\"", "source = \"csv\""), "[population] source"),
        (("[search]\nbudgets = [2, 5]", "[search]\nbudgets = [0.1]"), "[search] budgets"),
        (("compare_exact = true", "compare_exact = true\nmethod = \"relaxed\"\n[[strategy]]\nname = \"sequential\"\nt = [2]"),
         "[search] method"),
        (("[population]", "[populace]\n[population]"), "populace"),
        (("[[strategy]]\nname = \"parallel\"\nn = [1, 2, 4, 8]", "[[strategy]]\nname = \"parallel\"\nn = [1, 2.5]"), "n"),
    ],
)
def test_bad_config_names_the_key(tmp_path, capsys, edit, needle):
    text = SMALL.replace(*edit)
    assert text != SMALL
    assert main(["optimize", "--config", _write(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_file_and_bad_toml(tmp_path, capsys):
    assert main(["optimize", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "--config" in capsys.readouterr().err
    assert main(["optimize", "--config", _write(tmp_path, "[population\n")]) == 2
    assert "invalid TOML" in capsys.readouterr().err


def test_eflops_unit_with_registry_names(tmp_path, capsys):
    text = SMALL.replace("[search]", """[cost]
unit = "eflops"
gen_tokens = 4000
prompt_tokens = 150
models = ["qwen3-8b"]
hardware = ["b200-fp8"]

[search]""").replace("budgets = [2, 5]", "budgets = [2e15, 1e16]")
    assert main(["optimize", "--config", _write(tmp_path, text), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unit"] == "eflops"
    for r in out["results"]:
        assert r["cost"] <= r["budget"] * (1 + 1e-9)
    bad = text.replace('models = ["qwen3-8b"]', 'models = ["qwen3-9b"]')
    assert main(["optimize", "--config", _write(tmp_path, bad, "bad.toml")]) == 2
    assert "[cost]" in capsys.readouterr().err


@pytest.mark.parametrize("unit,models,budgets", [("tokens", "", "[8000, 20000]"), ("flops", 'models = ["qwen3-8b"]', "[1.5e14, 4e14]")])
def test_token_and_flops_units_without_hardware(tmp_path, capsys, unit, models, budgets):
    text = SMALL.replace("[search]", f"""[cost]
unit = "{unit}"
gen_tokens = 4000
{models}

[search]""").replace("budgets = [2, 5]", f"budgets = {budgets}")
    assert main(["optimize", "--config", _write(tmp_path, text), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unit"] == unit
    for r in out["results"]:
        assert r["cost"] <= r["budget"] and abs(r["gap"]) < 1e-6
    if unit == "tokens":  # 8000 tokens per problem = N=2 in both bins, spent exactly
        assert out["results"][0]["cost"] == 8000.0


def test_value_form_equals_original_form_and_constraints(tmp_path, capsys):
    value = SMALL.replace('name = "parallel"\nn = [1, 2, 4, 8]', 'name = "parallel"\nk = [1, 2, 4, 8]')
    assert main(["optimize", "--config", _write(tmp_path, SMALL), "--json"]) == 0
    old = json.loads(capsys.readouterr().out)
    assert main(["optimize", "--config", _write(tmp_path, value, "v.toml"), "--json"]) == 0
    new = json.loads(capsys.readouterr().out)
    assert [r["accuracy"] for r in new["results"]] == [r["accuracy"] for r in old["results"]]
    assert new["results"][0]["allocation"][0]["k"] == old["results"][0]["allocation"][0]["N"]
    # a constraint: at most 2 solution-equivalents per option rules out k = 4, 8 in every bin
    capped = value + '\n[[constraint]]\nunit = "samples"\nmax = 2\n'
    assert main(["optimize", "--config", _write(tmp_path, capped, "c.toml"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for r in out["results"]:
        assert all(a["k"] <= 2 for a in r["allocation"])
    assert out["results"][1]["accuracy"] < new["results"][1]["accuracy"]


@pytest.mark.parametrize(
    "edit,needle",
    [
        ('name = "parallel"\nk = [1, 2]', '[[strategy]] #1 name'),
        ('name = "paralel"\nk = [1, 2]', "unknown strategy"),
        ('name = "parallel"\nkk = [1, 2]', "kk"),
        ('name = "parallel"\nk = [1, 2]\n[[constraint]]\nunit = "samples"', "[[constraint]] #1 max"),
        ('name = "parallel"\nk = [1, 2]\n[[constraint]]\nunit = "joulez"\nmax = 1', "unit"),
        ('name = "parallel"\nk = [1, 2]\n[[constraint]]\nunit = "samples"\nmax = 0.5', "constraint"),
    ],
)
def test_value_form_errors_name_the_key(tmp_path, capsys, edit, needle):
    text = SMALL.replace('name = "parallel"\nn = [1, 2, 4, 8]', edit)
    if needle == "[[strategy]] #1 name":
        text = text.replace('name = "parallel"', 'name = "ttsim.strategies:no_such"')
    assert main(["optimize", "--config", _write(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ('\n[cost]\nunit = "parsecs"\n', "[cost] unit: unknown unit 'parsecs'"),
        ("", "max_nodes must be >= 1"),
    ],
)
def test_bad_unit_and_node_limit_are_named(tmp_path, capsys, extra, needle):
    text = SMALL.replace("compare_exact = true", "compare_exact = true\nmax_nodes = -1") if not extra else SMALL + extra
    assert main(["optimize", "--config", _write(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err


def test_node_limits_below_one_are_errors():
    import numpy as np

    import ttsim.optim as to

    with pytest.raises(ValueError, match="max_nodes must be >= 1"):
        to.knapsack_solver(-1)
    with pytest.raises(ValueError, match="max_nodes must be >= 1"):
        to.exact_allocation(np.full((3, 2), 0.2), 4, max_nodes=0)
