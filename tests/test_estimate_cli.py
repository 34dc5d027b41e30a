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
    np.testing.assert_allclose(list(out["maj_at_k"].values()), ttsim.estimate_maj_at_k(0, log, [1, 2, 4, 8]).value)
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


# ---------------------------------------------------------------------------- adversarial input (issue 18)

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402


def _cli(*argv):
    proc = subprocess.run([sys.executable, "-m", "ttsim.cli", *argv], capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def _one_line_error(rc, out, err, *needles):
    assert rc == 2, (rc, err)
    assert out == "" and "Traceback" not in err and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.fixture
def small_log(tmp_path):
    rows = [[f"q{p}", s, f"a{(p + s) % 3}", int((p + s) % 3 == 0)] for p in range(4) for s in range(6)]
    return write_csv(tmp_path / "small.csv", ["problem", "sample", "answer", "correct"], rows)


@pytest.mark.parametrize("command", ["estimate", "check-law"])
def test_directory_and_non_utf8_files_are_named(tmp_path, command):
    _one_line_error(*_cli(command, str(tmp_path)), f"error: {tmp_path}: is a directory")
    bad = tmp_path / "bad_bytes.csv"
    bad.write_bytes(b"problem,n_samples,n_correct\n\xff\xfe,10,2\n")
    _one_line_error(*_cli(command, str(bad)), "bad_bytes.csv: line 2: not UTF-8 text")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_named(tmp_path, small_log):
    os.chmod(small_log, 0)
    _one_line_error(*_cli("estimate", small_log), "small.csv: cannot read the file")


def test_counts_too_large_for_int64(tmp_path):
    path = write_csv(tmp_path / "huge.csv", ["problem", "n_samples", "n_correct"], [["a", 2**63, 1]])
    _one_line_error(*_cli("estimate", path), "huge.csv: line 2: column n_samples", "too large")


@pytest.mark.parametrize(
    "argv,needles",
    [
        (["--bootstrap", "1000000000"], ["--bootstrap: 1000000000 resamples", "use at most"]),
        (["--num-trials", "1000000000000"], ["--num-trials: 1000000000000 trials x 4 problems x 6 samples", "use at most"]),
        (["--k", "99999999999999999999"], ["--k:", "99999999999999999999", "64-bit integer range"]),
        (["--seed", "-1"], ["--seed: must be a non-negative integer; got -1"]),
        (["--plot", "out.txt"], ["--plot:", ".png"]),
    ],
)
def test_resource_and_flag_errors_name_the_flag(small_log, argv, needles):
    _one_line_error(*_cli("estimate", small_log, *argv), *needles)


@pytest.mark.parametrize("value", ["0", "-5"])
def test_check_law_report_k_must_be_positive(small_log, value):
    _one_line_error(*_cli("check-law", small_log, "--report-k", value), f"--report-k: must be a whole number >= 1; got {value}")


def test_plots_of_the_users_data(tmp_path, sample_log):
    out = tmp_path / "est.png"
    assert main(["estimate", sample_log, "--plot", str(out), "--bootstrap", "100"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rng = np.random.default_rng(1)
    rows = [[f"q{i}", s, "x", int(rng.random() < 0.02 + 0.02 * i)] for i in range(40) for s in range(64)]
    log = write_csv(tmp_path / "law.csv", ["problem", "sample", "answer", "correct"], rows)
    law_png = tmp_path / "law.png"
    assert main(["check-law", log, "--fit-max-k", "8", "--bootstrap", "20", "--plot", str(law_png)]) == 0
    assert law_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
