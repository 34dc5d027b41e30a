"""``ttsim estimate``: JSON keys, defaults, group-by, and clear errors (exit 2 naming the file)."""

import csv
import json

import numpy as np
import pytest

import ttsim
from ttsim.cli import main


def write_csv(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.fixture
def sample_log(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for p in range(6):
        for s in range(8 if p else 10):
            a = int(rng.integers(0, 4))
            rows.append([f"q{p}", s, "" if a == 3 else f"ans{a}", int(a == 0), int(rng.integers(50, 500))])
    return write_csv(tmp_path / "samples.csv", ["problem", "sample", "answer", "correct", "tokens"], rows)


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_json_for_a_sample_log(capsys, sample_log):
    out = run_json(capsys, ["estimate", sample_log, "--json", "--bootstrap", "200"])
    for key in ("n_problems", "samples_per_problem", "pass_at_k", "maj_at_k", "maj_method", "pass_at_k_ci", "maj_at_k_ci"):
        assert key in out
    assert out["n_problems"] == 6
    assert out["samples_per_problem"] == {"min": 8, "max": 10}
    assert list(out["pass_at_k"]) == ["1", "2", "4", "8"]  # powers of two up to the smallest n, and n
    assert list(out["maj_at_k"]) == ["1", "2", "4", "8"]
    assert set(out["maj_method"].values()) == {"exact"}
    log = ttsim.read_sample_log(sample_log)
    np.testing.assert_allclose(list(out["pass_at_k"].values()), ttsim.estimate_pass_at_k(log, [1, 2, 4, 8]))
    np.testing.assert_allclose(list(out["maj_at_k"].values()), ttsim.estimate_maj_at_k(log, [1, 2, 4, 8]).value)
    for k, (lo, hi) in out["pass_at_k_ci"].items():
        assert lo <= out["pass_at_k"][k] <= hi


def test_explicit_k_and_table(capsys, sample_log):
    out = run_json(capsys, ["estimate", sample_log, "--k", "3,1", "--json", "--bootstrap", "0"])
    assert list(out["pass_at_k"]) == ["1", "3"]
    assert out["pass_at_k_ci"] is None
    assert main(["estimate", sample_log, "--k", "1,2"]) == 0
    text = capsys.readouterr().out
    assert "pass@k" in text and "maj@k" in text and "exact" in text


def test_counts_file_has_null_maj_with_reason(capsys, tmp_path):
    path = write_csv(tmp_path / "counts.csv", ["problem", "n_samples", "n_correct"], [["a", 5, 1], ["b", 6, 0]])
    out = run_json(capsys, ["estimate", path, "--json"])
    assert out["maj_at_k"] is None and "answer" in out["maj_at_k_note"]
    assert list(out["pass_at_k"]) == ["1", "2", "4", "5"]
    np.testing.assert_allclose(out["pass_at_k"]["1"], (1 / 5 + 0) / 2)


def test_group_by_splits_the_monkeys_counts(capsys):
    from ttsim.experiments._common import data_dir

    path = str(data_dir("monkeys") / "pythia_math_10k.csv")
    out = run_json(capsys, ["estimate", path, "--group-by", "model", "--k", "1,100", "--json", "--bootstrap", "0"])
    assert out["n_groups"] == 7
    g = out["groups"]["Pythia 12B"]
    assert g["n_problems"] == 128 and g["samples_per_problem"] == {"min": 10000, "max": 10000}
    # PROVENANCE.md table: Pythia 12B pass@100 = 0.4834
    assert abs(g["pass_at_k"]["100"] - 0.4834) < 5e-5


@pytest.mark.parametrize(
    "header,rows,argv_extra,pattern",
    [
        (["problem", "sample", "correct"], [["p", 0, 1]], [], r"bad\.csv: missing column\(s\) answer"),
        (["problem", "sample", "answer", "correct"], [["p", 0, "a", 1], ["p", 1, "b", "yes"]], [], r"bad\.csv: line 3: column correct"),
        (["problem", "sample", "answer", "correct"], [["p", 0, "a", 1], ["p", 1, "b", 0]], ["--k", "1,3"], r"bad\.csv: problem 'p' has 2 samples, fewer than k=3 \(its first row is line 2\)"),
        (["problem", "n_samples", "n_correct"], [["a", 9, 1], ["b", 4, 0]], ["--k", "8"], r"bad\.csv: problem 'b' has 4 samples, fewer than k=8 \(line 3, column n_samples\)"),
        (["problem", "n_samples", "n_correct"], [["p", 4, 5]], [], r"bad\.csv: line 2: column n_correct"),
        (["problem", "n_samples"], [["p", 4]], [], r"bad\.csv: missing column\(s\) n_correct for a counts file"),
        (["problem", "sample", "answer", "correct"], [["p", 0, "a", 1]], ["--k", "1,x"], r"--k"),
        (["problem", "sample", "answer", "correct"], [["p", 0, "a", 1]], ["--k", "0"], r"--k"),
        (["problem", "sample", "answer", "correct"], [["p", 0, "a", 1]], ["--group-by", "model"], r"bad\.csv: group_by column 'model'"),
    ],
)
def test_bad_input_exits_2_with_message(capsys, tmp_path, header, rows, argv_extra, pattern):
    import re

    path = write_csv(tmp_path / "bad.csv", header, rows)
    assert main(["estimate", path, "--json", *argv_extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert re.search(pattern, err), err


def test_missing_file_exits_2(capsys, tmp_path):
    assert main(["estimate", str(tmp_path / "none.csv")]) == 2
    assert "none.csv" in capsys.readouterr().err
