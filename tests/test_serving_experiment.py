"""The `serving` experiment: output layout, kinds, and what its numbers must satisfy."""

import json

import numpy as np
import pytest

from ttsim.experiments import available, serving
from ttsim.experiments import kinetics as kin


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("serving")
    serving.run(d, seed=0)
    return d


def test_layout_and_schema(out):
    assert "serving" in available()
    for f in ("figure.png", "table.md", "table.csv", "data.csv", "results.json"):
        assert (out / f).is_file()
    res = json.loads((out / "results.json").read_text())
    assert res["experiment"] == "serving" and res["paper"] and res["calibrated_constants"] == []
    for row in res["comparisons"]:
        assert set(row) >= {"quantity", "reproduced", "paper", "difference", "kind", "note"}
        assert row["kind"] in ("reproduced", "consistency", "calibrated")
    itl = [r for r in res["comparisons"] if "ITL" in r["quantity"]]
    assert len(itl) >= 2 and all("docs.nvidia.com" in r["note"] for r in itl)
    # the roofline at 100% efficiency is a lower bound on the measured latency
    assert all(r["reproduced"] < r["paper"] for r in itl)


def test_points_obey_the_models(out):
    import csv

    rows = list(csv.DictReader(open(out / "data.csv")))
    by = {(r["model"], r["hardware"], r["strategy"], int(r["m"]), int(r["t"])): r for r in rows}
    configs = kin.load_configs()
    for (model, hw, kind, m, t), r in by.items():
        if kind == "sequential":  # t attempts one after another wait longer than t side by side
            par = by[(model, hw, "parallel", t, 1)]
            assert float(r["latency_s"]) > float(par["latency_s"])
            assert float(r["accuracy"]) == pytest.approx(float(par["accuracy"]))
        if kind == "adaptive":  # stopping early never waits longer than the full chain
            assert float(r["latency_s"]) <= float(by[(model, hw, "sequential", 1, t)]["latency_s"]) * (1 + 1e-6)
            assert float(r["latency_p90_s"]) >= float(r["latency_s"]) * 0.5
        if kind == "parallel" and m == 1:
            cfg = configs[f"{model.replace('.', '-')}_dense"]
            assert float(r["accuracy"]) == pytest.approx(float(np.mean(cfg["c"] / cfg["n"])), rel=1e-5)
        assert float(r["joules_per_correct"]) >= float(r["joules_per_query"])
