"""The reproduce runner and CLI plumbing, with a stand-in experiment module; the results schema."""

import copy
import json
import types

import pytest

import ttsim.experiments as exps
from ttsim._src.outdir import MARKER
from ttsim.cli import main
from ttsim.experiments import _common


def _fake_experiment(name):
    def run(out_dir, *, seed=0):
        fig = _common.pyplot().figure()
        _common.save_figure(fig, out_dir)
        rows = [_common.comparison("x", 1.5, 1.0, kind="reproduced"),
                _common.comparison("y", 2, 2, kind="calibrated", note="c set to hit y")]
        return _common.write_outputs(out_dir, experiment=name, paper=f"paper of {name}", title=f"title of {name}",
                                     comparisons=rows, calibrated_constants=[_common.calibrated("c", 3, "y = 2")],
                                     data=[{"k": 1, "y": 0.5}], extra={"seed": seed})

    return types.SimpleNamespace(TITLE=f"title of {name}", run=run)


@pytest.fixture
def fake(monkeypatch):
    mods = {"alpha": _fake_experiment("alpha"), "beta": _fake_experiment("beta")}
    monkeypatch.setattr(exps, "EXPERIMENTS", tuple(exps.Experiment(n, f"paper of {n}", 1.0) for n in mods))

    def load(name):
        if name not in mods:
            raise ValueError(f"unknown experiment {name!r}")
        return mods[name]

    monkeypatch.setattr(exps, "load", load)
    return mods


def test_run_all_writes_outputs_and_index(tmp_path, fake):
    summary = exps.run_experiments(["all"], tmp_path / "res", seed=3, progress=False)
    assert set(summary) == {"alpha", "beta"} and summary["alpha"]["seed"] == 3
    index = (tmp_path / "res" / "index.md").read_text()
    for name in ("alpha", "beta"):
        assert f"## {name}: title of {name}" in index
        assert f"({name}/figure.png)" in index
        assert f"[results.json]({name}/results.json)" in index
        assert _common.validate_output_dir(tmp_path / "res" / name) == summary[name]
    assert "| experiment | wall time (s) | peak RSS (MiB) |" in index
    assert (tmp_path / "res" / MARKER).exists()


def test_results_integers_and_kinds(tmp_path, fake):
    res = exps.run_experiments(["alpha"], tmp_path, progress=False)["alpha"]
    on_disk = json.loads((tmp_path / "alpha" / "results.json").read_text())
    assert on_disk == res
    row = on_disk["comparisons"][1]
    assert row["reproduced"] == 2 and isinstance(row["reproduced"], int) and isinstance(row["difference"], int)
    table = (tmp_path / "alpha" / "table.md").read_text()
    assert table.index("## Reproduced from data") < table.index("## Calibrated") < table.index("## Calibrated and stated")


def test_schema_validator_rejects_each_defect():
    good = {"experiment": "e", "paper": "p", "calibrated_constants": [],
            "comparisons": [_common.comparison("q", 1.0, 0.5, kind="consistency")]}
    _common.validate_results(good)

    def broken(edit):
        bad = copy.deepcopy(good)
        edit(bad)
        with pytest.raises(ValueError):
            _common.validate_results(bad)

    broken(lambda r: r.pop("paper"))
    broken(lambda r: r.update(comparison=r["comparisons"]))
    broken(lambda r: r["comparisons"][0].update(kind="tuned"))
    broken(lambda r: r["comparisons"][0].update(difference=0.1))
    broken(lambda r: r["comparisons"][0].pop("note"))
    broken(lambda r: r["comparisons"][0].update(kind="calibrated"))  # no constant named
    broken(lambda r: r["comparisons"][0].update(reproduced="0.5"))
    broken(lambda r: r["comparisons"].clear())
    with pytest.raises(ValueError, match="kind"):
        _common.comparison("q", 1.0, None, kind="reproduced from data")


def test_cli_reproduce_json(tmp_path, fake, capsys):
    assert main(["reproduce", "beta", "--out", str(tmp_path / "r"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["beta"] and out["beta"]["experiment"] == "beta"


def test_cli_reproduce_errors(tmp_path, fake, capsys):
    def one_line_error(argv, *needles):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.endswith("\n") and err.count("\n") == 1, err
        for n in needles:
            assert n in err, err

    one_line_error(["reproduce", "gamma", "--out", str(tmp_path / "a")], "unknown experiment 'gamma'")
    one_line_error(["reproduce", "all", "nosuch", "--out", str(tmp_path / "b")], "unknown experiment 'nosuch'")
    assert not (tmp_path / "b").exists()  # checked before any work
    one_line_error(["reproduce", "alpha"], "--out")
    afile = tmp_path / "file.txt"
    afile.write_text("mine")
    one_line_error(["reproduce", "alpha", "--out", str(afile)], "--out", "is a file")
    one_line_error(["reproduce", "alpha", "--out", str(tmp_path / "c"), "--seed", "-1"], "--seed")


def test_cli_never_overwrites_foreign_files(tmp_path, fake, capsys):
    mine = tmp_path / "mine"
    (mine / "alpha").mkdir(parents=True)
    (mine / "index.md").write_text("my notes")
    (mine / "alpha" / "results.json").write_text("{}")
    assert main(["reproduce", "alpha", "--out", str(mine)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (mine / "index.md").read_text() == "my notes"
    assert (mine / "alpha" / "results.json").read_text() == "{}"
    assert main(["reproduce", "alpha", "--out", str(mine) + "/", "--force"]) == 0
    out = capsys.readouterr().out
    assert "//" not in out and "index.md" in out
    assert json.loads((mine / "alpha" / "results.json").read_text())["experiment"] == "alpha"
    # a folder ttsim made may be written again without --force
    assert main(["reproduce", "alpha", "--out", str(tmp_path / "new")]) == 0
    assert main(["reproduce", "alpha", "--out", str(tmp_path / "new")]) == 0


def test_cli_list_and_help(capsys):
    assert main(["reproduce", "--list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(exps.EXPERIMENTS)
    for line, e in zip(lines, exps.EXPERIMENTS):
        assert line.startswith(e.name) and e.paper in line and " s " in line
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    help_text = capsys.readouterr().out
    assert "--seed" in help_text and "seed of the experiments" in help_text and "--force" in help_text


def test_registry_matches_the_modules():
    import pkgutil

    on_disk = sorted(m.name for m in pkgutil.iter_modules(exps.__path__) if not m.name.startswith("_"))
    assert exps.available() == on_disk
    for name in exps.available():
        module = exps.load(name)
        assert callable(module.run), name
        assert isinstance(module.TITLE, str) and module.TITLE, name
        assert exps.citation(name)
