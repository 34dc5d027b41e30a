"""The example files (`ttsim examples`, `ttsim.examples.write`): what their docstring says they are, valid for the readers."""

import numpy as np
import pytest

import ttsim
import ttsim.examples
from ttsim._src.examples import _generate_csv


def test_shipped_csv_files_are_the_seeded_generator_output():
    for name, text in _generate_csv().items():
        assert ttsim.examples.example_text(name) == text, name


def test_write_creates_every_file_and_the_readers_accept_them(tmp_path):
    paths = ttsim.examples.write(tmp_path / "examples")
    assert [p.name for p in paths] == list(ttsim.examples.EXAMPLE_FILES)
    counts = ttsim.read_counts(tmp_path / "examples" / "counts.csv")
    assert len(counts.problem) == len(set(counts.problem)) == 60
    assert np.all(np.asarray(counts.n) == 200) and np.all((np.asarray(counts.c) >= 0) & (np.asarray(counts.c) <= 200))
    log = ttsim.read_sample_log(tmp_path / "examples" / "samples.csv")
    assert ttsim.counts_from_samples(log).n.tolist() == [16] * 20
    header = (tmp_path / "examples" / "samples.csv").read_text().splitlines()[0]
    assert header == "problem,sample,answer,correct,tokens,confidence"


def test_configs_parse():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    sweep = tomllib.loads(ttsim.examples.example_text("sweep.toml"))
    assert sweep["function"] == "beta_coverage" and set(sweep["axes"]) == {"alpha", "beta", "k"}
    optimize = tomllib.loads(ttsim.examples.example_text("optimize.toml"))
    assert optimize["cost"]["unit"] == "samples" and len(optimize["strategy"]) == 3


def test_write_keeps_foreign_files_and_refuses_foreign_folders(tmp_path):
    ttsim.examples.write(tmp_path / "ex")
    ttsim.examples.write(tmp_path / "ex")  # its own folder: written again
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(ValueError, match="not empty and was not created by ttsim"):
        ttsim.examples.write(foreign)
    ttsim.examples.write(foreign, force=True)
    assert (foreign / "notes.txt").read_text() == "keep" and (foreign / "counts.csv").exists()
    with pytest.raises(ValueError, match="unknown example file"):
        ttsim.examples.example_text("nosuch.csv")
