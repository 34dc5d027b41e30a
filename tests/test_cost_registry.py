"""Model and hardware registries: contents, derived intensity, user files, errors; Pareto helpers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ttsim
from ttsim._src.pareto import _reference_front

REQUIRED_MODELS = [
    "qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-14b", "qwen3-32b", "qwen3-30b-a3b",
    "llama-3.1-8b", "llama-3.1-70b", "deepseek-r1-distill-qwen-1.5b", "deepseek-r1-distill-qwen-7b",
]
REQUIRED_HARDWARE = ["a100-80gb", "h100-sxm", "h200", "b200", "mi300x", "tpu-v5e", "tpu-v5p"]


def test_registries_hold_the_required_entries_with_sources():
    models = ttsim.load_models()
    hardware = ttsim.load_hardware()
    for name in REQUIRED_MODELS:
        assert name in models and models[name].source.startswith("https://")
    for name in REQUIRED_HARDWARE:
        assert name in hardware and hardware[name].source
    # Kinetics' parameter counts and papers.md's architecture numbers for Qwen3.
    want = {"qwen3-0.6b": (28, 16, 8, 0.752e9), "qwen3-4b": (36, 32, 8, 4.02e9), "qwen3-14b": (40, 40, 8, 14.77e9),
            "qwen3-32b": (64, 64, 8, 32.76e9), "qwen3-30b-a3b": (48, 32, 4, 30.5e9)}
    for name, (layers, heads, kv, params) in want.items():
        m = models[name]
        assert (float(m.num_layers), float(m.num_heads), float(m.num_kv_heads), float(m.params)) == (layers, heads, kv, params)
        assert float(m.head_dim) == 128
    moe = models["qwen3-30b-a3b"]
    assert bool(moe.is_moe) and float(moe.active_params) == 3.3e9
    assert not bool(models["qwen3-8b"].is_moe) and float(models["qwen3-8b"].active_params) == 8.19e9


def test_arithmetic_intensity_is_derived():
    for h in ttsim.load_hardware().values():
        assert float(h.arithmetic_intensity) == pytest.approx(float(h.peak_flops) / float(h.memory_bandwidth))
    assert float(ttsim.get_hardware("b200-fp8").arithmetic_intensity) == pytest.approx(562.5)
    assert np.isnan(float(ttsim.get_hardware("b200").price_per_hour))
    assert float(ttsim.get_hardware("tpu-v5e").price_per_hour) > 0


def test_lookup_is_case_insensitive_and_unknown_names_list_close_matches():
    assert ttsim.get_model("Qwen3-8B").name == "qwen3-8b"
    with pytest.raises(ValueError, match="did you mean.*qwen3-8b"):
        ttsim.get_model("qwen3-8")
    with pytest.raises(ValueError, match="did you mean.*h100-sxm"):
        ttsim.get_hardware("h100-sx")


def test_user_file_adds_and_overrides(tmp_path):
    f = tmp_path / "models.toml"
    f.write_text(
        '["my-model"]\nparams = 1e9\nnum_layers = 4\nnum_heads = 8\nnum_kv_heads = 2\nhead_dim = 64\nsource = "mine"\n'
        '["qwen3-8b"]\nparams = 9e9\nnum_layers = 36\nnum_heads = 32\nnum_kv_heads = 8\nhead_dim = 128\nsource = "override"\n'
    )
    models = ttsim.load_models(f)
    assert float(models["my-model"].params) == 1e9 and float(models["my-model"].active_params) == 1e9
    assert float(models["qwen3-8b"].params) == 9e9 and models["qwen3-8b"].source == "override"
    assert "qwen3-32b" in models
    assert float(ttsim.get_model("my-model", models_file=f).num_kv_heads) == 2
    h = tmp_path / "hw.toml"
    h.write_text('["my-chip"]\npeak_flops = 1e15\nmemory_bandwidth = 2e12\nmemory_capacity = 64e9\n'
                 'price_per_hour = 3.5\nsource = "spec"\n')
    chip = ttsim.get_hardware("my-chip", hardware_file=h)
    assert float(chip.arithmetic_intensity) == 500.0 and float(chip.price_per_hour) == 3.5


@pytest.mark.parametrize(
    "text, match",
    [
        ('["m"]\nparams = 1e9\nsource = "x"\n', r"\[m\] is missing num_layers"),
        ('["m"]\nparams = "big"\nnum_layers = 1\nnum_heads = 1\nnum_kv_heads = 1\nhead_dim = 1\nsource = "x"\n',
         r"\[m\] params must be a number"),
        ('["m"]\nparams = -1\nnum_layers = 1\nnum_heads = 1\nnum_kv_heads = 1\nhead_dim = 1\nsource = "x"\n',
         r"\[m\] params must be > 0"),
        ('["m"]\nparams = 1\nnum_layers = 1\nnum_heads = 1\nnum_kv_heads = 1\nhead_dim = 1\nsource = "x"\nnum_layer = 2\n',
         r"unknown field 'num_layer' \(did you mean 'num_layers'\?\)"),
        ('["m"\nparams = 1\n', "invalid TOML"),
    ],
)
def test_bad_user_files_name_file_entry_and_field(tmp_path, text, match):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        ttsim.load_models(f)
    assert "bad.toml" in str(err.value)


def test_missing_user_file():
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        ttsim.load_hardware("nope.toml")


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=16, max_size=16))  # one shape: one trace
def test_pareto_front_matches_pairwise_definition(points):
    cost = np.array([p[0] for p in points], np.float32)
    acc = np.array([p[1] for p in points], np.float32) / 6
    np.testing.assert_array_equal(np.asarray(ttsim.pareto_front(cost, acc)), _reference_front(cost, acc))


def test_pareto_front_small_cases():
    assert np.asarray(ttsim.pareto_front([1.0], [0.5])).tolist() == [True]
    # duplicates both kept; NaN never on the front; a strictly dominated point dropped
    got = ttsim.pareto_front([1.0, 1.0, np.nan, 2.0, 0.5], [0.5, 0.5, 0.9, 0.4, 0.1])
    assert np.asarray(got).tolist() == [True, True, False, False, True]


def test_budget_and_target_helpers():
    cost, acc = np.array([1.0, 2.0, 3.0, 2.5]), np.array([0.1, 0.5, 0.4, 0.7])
    np.testing.assert_allclose(ttsim.best_accuracy_within(cost, acc, [0.5, 1.0, 2.4, 10.0]), [-np.inf, 0.1, 0.5, 0.7])
    choice = ttsim.cheapest_reaching(cost, acc, [0.05, 0.45, 0.6, 0.9])
    np.testing.assert_allclose(choice.cost, [1.0, 2.0, 2.5, np.inf])
    np.testing.assert_array_equal(choice.index, [0, 1, 3, -1])
