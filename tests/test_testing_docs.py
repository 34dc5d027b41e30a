"""The worked example in docs/testing_your_scaling_law.md runs as written, and the law_checks experiment runs."""

import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing_your_scaling_law.md"


def _example_namespace() -> dict:
    text = DOC.read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "def test_" in b]
    assert len(blocks) == 1, "the page should hold exactly one worked example of property tests"
    namespace: dict = {"__name__": "doc_example"}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


def test_documented_example_runs_and_passes():
    ns = _example_namespace()
    tests = [name for name in ns if name.startswith("test_")]
    assert tests == [
        "test_my_law_is_a_sensible_scaling_law",
        "test_my_law_saturates_and_has_the_right_limits",
        "test_a_broken_variant_is_caught",
    ]
    for name in tests:
        ns[name]()


def test_documented_example_catches_a_broken_law():
    # Swap in a law that exceeds 1: the documented test body must fail in check_bounded.
    import numpy as np

    import ttsim

    ns = _example_namespace()
    good = ns["my_accuracy"]
    ns["my_accuracy"] = lambda problems, k, ceiling=0.9: 1.5 * good(problems, k, 1.0)
    body = ns["test_my_law_is_a_sensible_scaling_law"].hypothesis.inner_test
    pop = ttsim.empirical_population(np.array([0.2, 0.9, 1.0], np.float32))
    try:
        body(pop=pop, ks=np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0], np.float32), ceiling=0.9)
    except AssertionError as err:
        assert "bounded in [0, 1]" in str(err) and "my_accuracy" in str(err)
    else:
        raise AssertionError("the broken law was not caught")


def test_law_checks_experiment_fast_path(tmp_path):
    from ttsim.experiments import law_checks

    res = law_checks.run(tmp_path, seed=0, fast=True)
    for f in ("results.json", "table.csv", "table.md", "figure.png"):
        assert (tmp_path / f).exists(), f
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["num_checks"] == res["num_checks"] > 0
    k100 = saved["monkeys_median_abs_error_at_k100_fit_k10"]
    assert set(k100) == {"exp-power", "power", "beta"} and all(v is not None and 0 <= v < 0.5 for v in k100.values())
    rows = [r for r in saved["comparisons"] if "Pythia 12B exp-power b" in r["quantity"]]
    assert rows and abs(rows[0]["difference"]) < 0.03  # Brown et al.: b = -0.35
