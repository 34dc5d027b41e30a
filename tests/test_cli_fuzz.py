"""Fuzz the CLI: random bytes, mutated CSV logs and mutated TOML configs fed to every subcommand
that reads a file must give exit status 0 or 2 -- never a traceback, never an internal error --
and an error is one line on stderr (docs/promises.md).

Seeded and bounded (a few dozen cases, run in-process; a handful as real processes).
"""

import random
import subprocess
import sys

import pytest

from ttsim.cli import main
from ttsim.examples import example_text

SEED = 20241202

# Every subcommand that reads a user file, with the flag that takes it; cheap settings elsewhere.
_CSV_COMMANDS = [
    lambda f: ["estimate", f, "--bootstrap", "10", "--num-trials", "50"],
    lambda f: ["check-law", f, "--bootstrap", "10", "--report-k", "4"],
    lambda f: ["verify-split", "--counts", f, "--tpr", "0.8", "--fpr", "0.3", "--lam", "1", "--budget", "4"],
]
_TOML_COMMANDS = {
    "optimize": lambda f: ["optimize", "--config", f],
    "sweep": lambda f: ["sweep", "--config", f, "--out", f + ".out", "--no-progress"],
    "models": lambda f: ["models", "--models-file", f],
    "hardware": lambda f: ["hardware", "--hardware-file", f],
    "cost": lambda f: ["cost", "--model", "qwen3-8b", "--hardware", "h100-sxm", "--prompt-tokens", "10",
                       "--gen-tokens", "10", "--models-file", f],
}


def _check(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    _, err = capsys.readouterr()
    assert "Traceback" not in err, (argv, err)
    assert status in (0, 2), (argv, status, err)
    if status == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and ": error: " in lines[0], (argv, err)
        assert "internal error" not in lines[0], (argv, err)


# ---------------------------------------------------------------------------------------------
# Mutations.

_BAD_VALUES = ["", "-1", "nan", "inf", "1e400", "99999999999999999999", "0.5", "abc", "é", '"', "1,2", " "]


def mutate_csv(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    header, rows = lines[0], lines[1: 1 + rng.randint(1, 40)]
    kind = rng.randrange(9)
    if kind == 0:  # a cell replaced by a bad value
        i = rng.randrange(len(rows))
        cells = rows[i].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(_BAD_VALUES)
        rows[i] = ",".join(cells)
    elif kind == 1:  # a column dropped from the header or from a row
        cells = header.split(",")
        del cells[rng.randrange(len(cells))]
        header = ",".join(cells)
    elif kind == 2:  # a row truncated mid-line
        i = rng.randrange(len(rows))
        rows[i] = rows[i][: rng.randrange(len(rows[i]) + 1)]
    elif kind == 3:  # duplicated rows
        rows += rows[: rng.randint(1, 3)]
    elif kind == 4:  # header renamed
        header = header.upper() if rng.random() < 0.5 else header.replace("problem", "prob")
    elif kind == 5:  # a byte-order mark, CRLF line ends, blank lines
        return "\ufeff" + "\r\n".join([header, *rows, "", ""])
    elif kind == 6:  # only the header, or nothing
        return rng.choice([header + "\n", "", "\n\n"])
    elif kind == 7:  # extra cells
        rows = [r + ",extra" for r in rows]
    else:  # shuffled rows (valid)
        rng.shuffle(rows)
    return "\n".join([header, *rows]) + "\n"


def mutate_toml(text: str, rng: random.Random) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    i = rng.randrange(len(lines))
    kind = rng.randrange(6)
    if kind == 0 and "=" in lines[i]:  # a value replaced by another type or a bad number
        key = lines[i].split("=", 1)[0]
        value = rng.choice(['"text"', "-1", "0", "1e30", "nan", "inf", "[]", "[1, -2]", "{}", "true",
                            "99999999999999999999", '"beta_coverag"', '{ start = 1, stop = 0, num = 3 }'])
        lines[i] = f"{key}= {value}"
    elif kind == 1:  # a line deleted
        del lines[i]
    elif kind == 2:  # an unknown key
        lines.insert(i + 1, "unknown_key = 1")
    elif kind == 3:  # broken syntax
        lines[i] = lines[i].replace("=", rng.choice(["", "==", "= ="]), 1)
    elif kind == 4:  # a section renamed
        lines = [ln.replace("[", "[x", 1) if ln.startswith("[") and rng.random() < 0.5 else ln for ln in lines]
    else:  # random text
        lines[i] = "".join(rng.choice("[]{}=\"',.#abc123 \\") for _ in range(rng.randint(1, 30)))
    return "\n".join(lines) + "\n"


_REGISTRY = """\
["fuzz-model"]
params = 7.0e9
num_layers = 32
num_heads = 32
num_kv_heads = 8
head_dim = 128
hidden_size = 4096
vocab_size = 32000
source = "fuzz"
"""


# ---------------------------------------------------------------------------------------------


def test_random_bytes_to_every_file_reading_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rng = random.Random(SEED)
    commands = [*_CSV_COMMANDS, *_TOML_COMMANDS.values()]
    for i, command in enumerate(commands):
        path = tmp_path / f"bytes_{i}.bin"
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(0, 400))))
        _check(command(str(path)), capsys)


def test_mutated_csv_logs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rng = random.Random(SEED + 1)
    sources = [example_text("counts.csv"), example_text("samples.csv")]
    for i in range(18):
        path = tmp_path / f"log_{i}.csv"
        path.write_text(mutate_csv(rng.choice(sources), rng), encoding="utf-8")
        _check(rng.choice(_CSV_COMMANDS)(str(path)), capsys)


@pytest.mark.parametrize("command", ["sweep", "optimize", "models"])
def test_mutated_toml_configs(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"{SEED}-{command}")
    source = {"sweep": example_text("sweep.toml"), "optimize": example_text("optimize.toml"),
              "models": _REGISTRY}[command]
    for i in range(6):
        path = tmp_path / f"config_{i}.toml"
        path.write_text(mutate_toml(source, rng), encoding="utf-8")
        _check(_TOML_COMMANDS[command](str(path)), capsys)


def test_random_flag_values(capsys):
    rng = random.Random(SEED + 2)
    values = ["-1", "0", "nan", "inf", "-inf", "1e400", "99999999999999999999", "abc", "", "1,,2", "0.5", "1e-45"]
    templates = [
        ["saturation", "--p", "{}", "--eps", "{}"],
        ["saturation", "--worst-case", "--eps", "{}"],
        ["verify-split", "--p", "{}", "--tpr", "0.8", "--fpr", "{}", "--lam", "1", "--budget", "{}"],
        ["cost", "--model", "qwen3-8b", "--hardware", "h100-sxm", "--prompt-tokens", "{}", "--gen-tokens", "{}",
         "--samples", "{}"],
    ]
    for _ in range(12):
        argv = [a if a != "{}" else rng.choice(values) for a in rng.choice(templates)]
        _check(argv, capsys)


@pytest.mark.parametrize("case", range(3))
def test_random_bytes_as_a_process(tmp_path, case):
    rng = random.Random(SEED + 10 + case)
    path = tmp_path / "input.csv"
    path.write_bytes(bytes(rng.randrange(256) for _ in range(300)))
    argv = [*_CSV_COMMANDS, _TOML_COMMANDS["sweep"], _TOML_COMMANDS["optimize"]][case * 2](str(path))
    proc = subprocess.run([sys.executable, "-m", "ttsim.cli", *argv], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode in (0, 2), proc.stderr
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        assert proc.stderr.count("\n") == 1 and ": error: " in proc.stderr


def test_random_names_and_output_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rng = random.Random(SEED + 3)
    (tmp_path / "a_file").write_text("x")
    alphabet = "abc/._- é\x01"
    for _ in range(6):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        _check(["reproduce", "zz" + name.replace("/", ""), "--out", "results"], capsys)
        out = rng.choice(["a_file", "a_file/sub", name, name + "//", "results"])
        _check(["examples", "--out", out], capsys)
