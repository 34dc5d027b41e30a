"""The reproduce runner and CLI plumbing, with a stand-in experiment module."""

import json
import types

import pytest

import ttsim.experiments as exps
from ttsim.cli import main


def _fake_experiment(name):
    def run(out_dir, *, seed=0):
        (out_dir / "figure.png").write_bytes(b"\x89PNG")
        (out_dir / "table.md").write_text("| a |\n|---|\n| 1 |\n")
        res = {"seed": seed, "value": 1.5}
        (out_dir / "results.json").write_text(json.dumps(res))
        return res

    return types.SimpleNamespace(TITLE=f"title of {name}", run=run)


@pytest.fixture
def fake(monkeypatch):
    mods = {"alpha": _fake_experiment("alpha"), "beta": _fake_experiment("beta")}
    monkeypatch.setattr(exps, "available", lambda: sorted(mods))

    def load(name):
        if name not in mods:
            raise ValueError(f"unknown experiment {name!r}")
        return mods[name]

    monkeypatch.setattr(exps, "load", load)
    return mods


def test_run_all_writes_outputs_and_index(tmp_path, fake):
    summary = exps.run_experiments(["all"], tmp_path, seed=3, progress=False)
    assert summary == {"alpha": {"seed": 3, "value": 1.5}, "beta": {"seed": 3, "value": 1.5}}
    index = (tmp_path / "index.md").read_text()
    for name in ("alpha", "beta"):
        assert f"## {name}: title of {name}" in index
        assert f"({name}/figure.png)" in index
        assert f"[results.json]({name}/results.json)" in index


def test_cli_reproduce_json(tmp_path, fake, capsys):
    assert main(["reproduce", "beta", "--out", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"beta": {"seed": 0, "value": 1.5}}


def test_cli_reproduce_errors(tmp_path, fake, capsys):
    assert main(["reproduce", "gamma", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown experiment 'gamma'" in err and "\n" == err[-1] and err.count("\n") == 1
    assert main(["reproduce", "alpha"]) == 2
    assert "--out" in capsys.readouterr().err


def test_shipped_experiments_have_run_and_title():
    for name in exps.available():
        module = exps.load(name)
        assert callable(module.run), name
        assert isinstance(module.TITLE, str) and module.TITLE, name
