"""The CLI's central error handling (ttsim/cli/__init__.py): every crash class becomes one line
on stderr naming the file or flag, with exit status 2 and no traceback (docs/promises.md).

Per-command checks (bad values of a command's own flags) live with each command's tests; this file
covers what the central handler guarantees for every command.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ttsim.cli import main

BIN = [sys.executable, "-m", "ttsim.cli"]


def _run(argv, capsys):
    """In-process run: (status, stdout, stderr)."""
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe" + bytes(range(200)))
    (tmp_path / "huge.csv").write_text("problem,n_samples,n_correct\na,99999999999999999999,3\n")
    (tmp_path / "plain.csv").write_text("problem,n_samples,n_correct\na,10,3\nb,10,5\n")
    return tmp_path


_COST = ["cost", "--model", "qwen3-8b", "--hardware", "h100-sxm", "--prompt-tokens", "10", "--gen-tokens", "10"]
_SPLIT = ["verify-split", "--tpr", "0.8", "--fpr", "0.3", "--lam", "1", "--budget", "4"]


# Commands may name a bad file in their own words (e.g. the registry reader's "models file: ... is a
# directory"); what every command must do is: status 2, one line, the path named, the problem said.
@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "folder"],
        ["check-law", "folder"],
        ["optimize", "--config", "folder"],
        ["sweep", "--config", "folder", "--out", "out"],
        [*_COST, "--models-file", "folder"],
        [*_COST, "--hardware-file", "folder"],
        ["models", "--models-file", "folder"],
        ["hardware", "--hardware-file", "folder"],
        [*_SPLIT, "--counts", "folder"],
    ],
)
def test_a_folder_instead_of_a_file_is_named(files, capsys, argv):
    status, _, err = _run(argv, capsys)
    assert status == 2
    line = _one_line(err)
    assert line.startswith(f"ttsim {argv[0]}: error: ") and "folder" in line.split("error: ", 1)[1]
    assert "is a folder" in line or "is a directory" in line, line


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "binary.csv"],
        ["check-law", "binary.csv"],
        ["optimize", "--config", "binary.toml"],
        ["sweep", "--config", "binary.toml", "--out", "out"],
        ["models", "--models-file", "binary.toml"],
        [*_COST, "--hardware-file", "binary.toml"],
    ],
)
def test_a_file_that_is_not_utf8_is_named(files, capsys, argv):
    status, _, err = _run(argv, capsys)
    assert status == 2
    line = _one_line(err)
    assert line.startswith(f"ttsim {argv[0]}: error: ") and "binary." in line and "UTF-8" in line, line


def test_the_log_reader_names_the_file_and_line_of_a_bad_path(files, capsys):
    # estimate's reader names the file (and the line where one is at fault) itself.
    status, _, err = _run(["estimate", "folder"], capsys)
    assert status == 2 and _one_line(err) == "ttsim estimate: error: folder: is a directory, not a CSV file"
    status, _, err = _run(["estimate", "binary.csv"], capsys)
    assert status == 2 and _one_line(err) == "ttsim estimate: error: binary.csv: line 2: not UTF-8 text"


def test_a_path_through_a_file_is_named(files, capsys):
    status, _, err = _run(["sweep", "--config", "plain.csv/x.toml", "--out", "out"], capsys)
    assert status == 2
    line = _one_line(err)
    assert "plain.csv/x.toml" in line and ("not a folder" in line or "Not a directory" in line), line


def test_a_count_beyond_int64_is_one_line_naming_the_file(files, capsys):
    status, _, err = _run(["estimate", "huge.csv"], capsys)
    assert status == 2
    line = _one_line(err)
    assert line.startswith("ttsim estimate: error:") and "huge.csv" in line


def _raising(monkeypatch, exc):
    """Make `ttsim models` raise ``exc`` (the handler is the same for every command)."""
    import ttsim.cli.cmd_models as cmd

    def run(args):
        raise exc

    monkeypatch.setattr(cmd, "run", run)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (PermissionError(13, "Permission denied", "my.toml"), "'my.toml': permission denied"),
        (FileNotFoundError(2, "No such file or directory", "gone.csv"), "'gone.csv': no such file or folder"),
        (IsADirectoryError(21, "Is a directory", "runs"), "'runs': is a folder, not a file"),
        (NotADirectoryError(20, "Not a directory", "f/x"), "'f/x': a part of this path is a file, not a folder"),
        (FileExistsError(17, "File exists", "out"), "'out': already exists"),
        (OverflowError("int too large to convert"), "a number is too large to represent (int too large to convert); check the input values"),
        (KeyError("unknown model 'x'"), "unknown model 'x'"),
        (UnicodeEncodeError("ascii", "é", 0, 1, "ordinal not in range"),
         "cannot write 'é' in the output encoding ascii; set PYTHONIOENCODING=utf-8 (or a UTF-8 locale)"),
    ],
)
def test_os_and_value_errors_become_one_line(monkeypatch, capsys, exc, expected):
    _raising(monkeypatch, exc)
    status, _, err = _run(["models"], capsys)
    assert status == 2
    line = _one_line(err)
    assert line.startswith("ttsim models: error: ") and line.endswith(expected), line


def test_the_flag_of_an_unreadable_file_is_named(monkeypatch, capsys, tmp_path):
    path = str(tmp_path / "secret.toml")
    _raising(monkeypatch, PermissionError(13, "Permission denied", path))
    status, _, err = _run(["models", "--models-file", path], capsys)
    assert status == 2
    assert _one_line(err) == f"ttsim models: error: --models-file {path!r}: permission denied"


def test_memory_errors_say_what_would_fit(monkeypatch, capsys):
    exc = np.empty  # numpy's _ArrayMemoryError is what an oversized allocation raises
    try:
        exc((1 << 52,), np.uint8)  # 4 PiB
    except MemoryError as err:
        _raising(monkeypatch, err)
    else:  # pragma: no cover - an allocator that accepts 32 EiB
        _raising(monkeypatch, MemoryError("Unable to allocate 32 EiB"))
    status, _, err = _run(["models"], capsys)
    assert status == 2
    line = _one_line(err)
    assert line.startswith("ttsim models: error: not enough memory: ") and "smaller" in line


def test_jax_tracer_errors_are_one_line(monkeypatch, capsys):
    import jax

    def needs_concrete(x):
        return 1 if x > 0 else 0

    try:
        jax.jit(needs_concrete)(1.0)
    except Exception as err:  # noqa: BLE001 - whichever tracer error this JAX raises
        _raising(monkeypatch, err)
    status, _, err = _run(["models"], capsys)
    assert status == 2
    assert "traced array" in _one_line(err)


def test_unexpected_errors_are_one_line_internal_errors_with_status_1(monkeypatch, capsys):
    _raising(monkeypatch, ZeroDivisionError("division by zero"))
    status, _, err = _run(["models"], capsys)
    assert status == 1
    line = _one_line(err)
    assert line.startswith("ttsim models: error: internal error: ZeroDivisionError: division by zero")
    assert "--debug" in line


@pytest.mark.parametrize("argv", [["--debug", "models"], ["models", "--debug"], ["models"]])
def test_debug_shows_the_traceback(monkeypatch, capsys, argv):
    _raising(monkeypatch, ZeroDivisionError("division by zero"))
    if "--debug" not in argv:
        monkeypatch.setenv("TTSIM_DEBUG", "1")
    status, _, err = _run(argv, capsys)
    assert status == 1
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("ttsim models: error: internal error")


def test_keyboard_interrupt_exits_130_with_one_line(monkeypatch, capsys):
    _raising(monkeypatch, KeyboardInterrupt())
    status, _, err = _run(["models"], capsys)
    assert status == 130
    assert _one_line(err) == "ttsim models: interrupted"


def test_usage_errors_are_one_line(capsys):
    status, _, err = _run(["estimate"], capsys)
    assert status == 2
    assert _one_line(err) == (
        "ttsim estimate: error: the following arguments are required: FILE.csv (see 'ttsim estimate --help')"
    )
    status, _, err = _run(["nosuch"], capsys)
    assert status == 2 and _one_line(err).startswith("ttsim: error: argument COMMAND: invalid choice: 'nosuch'")


def test_out_that_is_a_file_or_a_foreign_folder_is_refused(files, capsys):
    status, _, err = _run(["examples", "--out", "plain.csv"], capsys)
    assert status == 2
    assert _one_line(err) == "ttsim examples: error: --out: 'plain.csv' is a file, not a folder; give a folder path"
    (files / "mine").mkdir()
    (files / "mine" / "notes.txt").write_text("keep me")
    status, _, err = _run(["examples", "--out", "mine"], capsys)
    assert status == 2 and "--force" in _one_line(err)
    assert sorted(os.listdir(files / "mine")) == ["notes.txt"]
    status, _, _ = _run(["examples", "--out", "mine", "--force"], capsys)
    assert status == 0 and (files / "mine" / "notes.txt").read_text() == "keep me"


def test_printed_paths_have_no_double_slashes(files, capsys):
    status, out, _ = _run(["examples", "--out", "ex//"], capsys)
    assert status == 0 and "//" not in out
    assert out.split() == [f"ex/{name}" for name in ("counts.csv", "samples.csv", "optimize.toml", "sweep.toml")]


def test_folder_arguments_are_normalised_before_the_command_sees_them():
    import argparse

    from ttsim.cli import _normalise_folders

    for given, seen in [("results/", "results"), ("runs//a//", "runs/a"), ("a", "a")]:
        args = argparse.Namespace(out=given)
        _normalise_folders(args)
        assert args.out == seen and "//" not in f"{args.out}/index.md"


def test_counts_in_json_are_integers(capsys):
    status, out, _ = _run(["models", "--json"], capsys)
    assert status == 0
    row = json.loads(out)["models"]["qwen3-8b"]
    assert all(isinstance(row[k], int) for k in ("num_layers", "num_heads", "num_kv_heads", "head_dim", "vocab_size"))
    from ttsim.cli._common import to_jsonable

    assert to_jsonable({"n_star": np.float32(37.0), "accuracy": 1.0, "k": [1.0, 2.0], "x": np.int64(3)}) == {
        "n_star": 37, "accuracy": 1.0, "k": [1, 2], "x": 3}


# ---------------------------------------------------------------------------------------------
# A few as real processes: exit status and stderr as a shell sees them.


@pytest.mark.parametrize(
    ("argv", "status", "needle"),
    [
        (["estimate", "folder"], 2, "ttsim estimate: error: folder: is a directory, not a CSV file"),
        (["check-law", "binary.csv"], 2, "ttsim check-law: error: binary.csv: line 2: not UTF-8 text"),
        (["estimate", "huge.csv"], 2, "ttsim estimate: error: huge.csv: line 2: column n_samples: "),
    ],
)
def test_as_a_process(files, argv, status, needle):
    proc = subprocess.run([*BIN, *argv], capture_output=True, text=True, timeout=300, cwd=files)
    assert proc.returncode == status, proc.stderr
    assert proc.stderr.startswith(needle) and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_sigint_exits_130_without_a_traceback(files):
    import signal
    import time

    script = ("import sys, time, ttsim.cli.cmd_models as m\n"
              "def run(args):\n    print('ready', flush=True); time.sleep(60)\n"
              "m.run = run\nfrom ttsim.cli import main\nsys.exit(main(['models']))\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip() == "ttsim models: interrupted"



def test_integer_lists_beyond_int64_name_the_flag(files, capsys):
    status, _, err = _run(["estimate", "plain.csv", "--k", "1,99999999999999999999"], capsys)
    assert status == 2
    assert _one_line(err) == (
        "ttsim estimate: error: --k: 99999999999999999999 is outside the 64-bit integer range "
        "(at most 9223372036854775807 in size)"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["estimate", "plain.csv", "--seed", "-1"], "--seed: must be a non-negative integer; got -1"),
        (["estimate", "plain.csv", "--bootstrap", "99999999999999999999"],
         "--bootstrap: 99999999999999999999 is outside the 64-bit integer range"),
    ],
)
def test_integer_flags_are_checked_centrally(files, capsys, argv, message):
    status, _, err = _run(argv, capsys)
    assert status == 2
    assert main(argv) == 2  # returned, not raised: callers of main() get the status
    assert _one_line(capsys.readouterr().err) == f"ttsim {argv[0]}: error: {message}"
