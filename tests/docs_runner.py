"""Run every fenced code block of a Markdown page as written, with sybil (tests/test_docs.py, tests/test_readme.py).

Each page runs in its own temporary working folder that holds the example files
(``examples/``, written by ``ttsim.examples.write``) and a link ``experiments -> <repo>/experiments``
(the page is read as from a fresh clone); its blocks run in order and Python blocks share one
namespace. What each block's language means:

* ``python``: executed (``>>>`` blocks as doctests). A block that defines ``test_*`` functions is a
  test file: it is saved as ``test_doc_<line>.py`` and run with ``python -m pytest -q``, as the
  reader would, without ttsim's own test configuration.
* ``bash`` / ``sh`` / ``shell``: run with ``bash -euo pipefail``; must exit 0. A block that
  ``.ci/run`` contains verbatim (the README's Quick start) is run there, by CI, not here.
* ``console``: each ``$ `` line (with ``\\`` continuations) is run as above and must exit 0; the
  other lines are the output shown to the reader.
* ``toml``: parsed. A config for a command (sweep: ``function`` + ``[axes]``; optimize:
  ``[[strategy]]`` / ``[search]``; a models or hardware registry) is run through that command.
* ``json`` and ``csv``: parsed. ``text``: not run (output, diagrams, usage lines).
* A block with ``title="NAME"`` after the language (``toml title="sweep.toml"``) is also saved as
  NAME in the working folder, so later blocks can use it.
* A block without a language fails: label it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from sybil import Sybil

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

REPO = Path(__file__).resolve().parents[1]
LANGUAGES = ("python", "bash", "sh", "shell", "console", "toml", "json", "csv", "text")
TIMEOUT_S = 900


class Block(str):
    """A block's source (a ``str`` with sybil's line offset) plus its language and attributes."""

    language: str
    attrs: dict

    def __new__(cls, source, language, attrs):
        obj = super().__new__(cls, source)
        obj.line_offset = getattr(source, "line_offset", 0)
        obj.language = language
        obj.attrs = attrs
        return obj


class _Run(NamedTuple):
    rc: int
    output: str


def _attrs(text: str) -> dict:
    out = {}
    for part in shlex.split(text):
        key, eq, value = part.partition("=")
        out[key] = value if eq else True
    return out


def _where(example) -> str:
    return f"{Path(example.path).name}:{example.line}"


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _shell(script: str, cwd) -> _Run:
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=_env(), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    return _Run(proc.returncode, (proc.stdout + proc.stderr)[-4000:])


def _workdir(example) -> Path:
    return Path(example.namespace["__workdir__"])


def _save(example) -> None:
    name = example.parsed.attrs.get("title")
    if isinstance(name, str) and name:
        path = _workdir(example) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(example.parsed))


def _ci_script() -> str:
    ci = REPO / ".ci" / "run"
    return ci.read_text() if ci.exists() else ""


def evaluate_python(example):
    source = str(example.parsed)
    _save(example)
    if re.search(r"^def test_\w+\(", source, flags=re.M):
        name = f"test_doc_{example.line}.py"
        (_workdir(example) / name).write_text(source)
        run = _shell(f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider {name}", _workdir(example))
        if run.rc != 0:
            return f"{_where(example)}: the documented test file fails under pytest (exit {run.rc}):\n{run.output}"
        return None
    if source.lstrip().startswith(">>>"):
        import doctest

        test = doctest.DocTestParser().get_doctest(source, example.namespace, _where(example),
                                                   example.path, example.line)
        report = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, out=report.write, clear_globs=False)
        return report.getvalue() or None
    PythonEvaluator()(example)
    return None


def evaluate_bash(example):
    script = str(example.parsed)
    _save(example)
    if script.strip() and script.strip() in _ci_script():
        return None  # run verbatim by .ci/run (test_readme checks it is there)
    run = _shell(script, _workdir(example))
    if run.rc != 0:
        return f"{_where(example)}: bash block exits with status {run.rc}:\n{script}\n--- output ---\n{run.output}"
    return None


def console_commands(text: str) -> list[str]:
    """The ``$ `` commands of a console block, continuation lines joined."""
    commands, current = [], None
    for line in text.splitlines():
        if current is not None:
            current += "\n" + line
        elif line.startswith("$ "):
            current = line[2:]
        else:
            continue
        if not current.endswith("\\"):
            commands.append(current)
            current = None
    if current is not None:
        commands.append(current)
    return commands


def evaluate_console(example):
    commands = console_commands(str(example.parsed))
    if not commands:
        return f"{_where(example)}: console block without a '$ ' command; label output as text"
    for command in commands:
        run = _shell(command, _workdir(example))
        if run.rc != 0:
            return f"{_where(example)}: `{command}` exits with status {run.rc}:\n{run.output}"
    return None


def _run_cli(argv) -> _Run:
    from ttsim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
    return _Run(rc, (out.getvalue() + err.getvalue())[-4000:])


def _toml_command(config: dict, path: Path, workdir: Path) -> list[str] | None:
    tables = [v for v in config.values() if isinstance(v, dict)]
    if "function" in config and "axes" in config:
        return ["sweep", "--config", str(path), "--out", str(workdir / f"_sweep_{path.stem}"), "--no-progress"]
    if "strategy" in config or "search" in config:
        return ["optimize", "--config", str(path)]
    if tables and len(tables) == len(config) and all("params" in t for t in tables):
        return ["models", "--models-file", str(path)]
    if tables and len(tables) == len(config) and all("peak_flops" in t for t in tables):
        return ["hardware", "--hardware-file", str(path)]
    return None


def evaluate_toml(example):
    text = str(example.parsed)
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return f"{_where(example)}: TOML does not parse: {err}"
    _save(example)
    workdir = _workdir(example)
    path = workdir / f"_doc_{example.line}.toml"
    path.write_text(text)
    argv = _toml_command(config, path, workdir)
    if argv is not None:
        run = _run_cli(argv)
        if run.rc != 0:
            return f"{_where(example)}: TOML config fails `ttsim {argv[0]}` (exit {run.rc}):\n{run.output}"
    return None


def evaluate_json(example):
    _save(example)
    try:
        json.loads(str(example.parsed))
    except json.JSONDecodeError as err:
        return f"{_where(example)}: JSON does not parse ({err}); show abbreviated output as text"
    return None


def evaluate_csv(example):
    _save(example)
    rows = list(csv.reader(io.StringIO(str(example.parsed))))
    widths = {len(r) for r in rows if r}
    if len(widths) > 1:
        return f"{_where(example)}: CSV rows have different numbers of columns ({sorted(widths)})"
    return None


def evaluate_text(example):
    _save(example)
    return None


def evaluate_unlabelled(example):
    return (f"{_where(example)}: code block without a known language ({example.parsed.language!r}); "
            f"label it as one of {', '.join(LANGUAGES)}")


_EVALUATORS = {
    "python": evaluate_python, "bash": evaluate_bash, "sh": evaluate_bash, "shell": evaluate_bash,
    "console": evaluate_console, "toml": evaluate_toml, "json": evaluate_json, "csv": evaluate_csv,
    "text": evaluate_text,
}


class FencedBlockParser:
    """Every fenced block of a Markdown page, whatever its language (unlabelled ones included)."""

    def __init__(self):
        self.lexer = RawFencedCodeBlockLexer(
            info_pattern=re.compile(r"(?P<info>[^\n]*)$\n", re.MULTILINE),
            mapping={"info": "info", "source": "source"},
        )

    def __call__(self, document):
        for region in self.lexer(document):
            info = region.lexemes["info"].strip()
            language, _, rest = info.partition(" ")
            region.parsed = Block(region.lexemes["source"], language, _attrs(rest))
            region.evaluator = _EVALUATORS.get(language, evaluate_unlabelled)
            yield region


SYBIL = Sybil(parsers=[FencedBlockParser()], patterns=["*.md"], path=str(REPO))


def prepare_workdir(workdir: Path) -> Path:
    """The page's working folder: example files in ``examples/`` and a link to the repo's experiments."""
    import ttsim.examples

    ttsim.examples.write(workdir / "examples")
    if (REPO / "experiments").is_dir():
        (workdir / "experiments").symlink_to(REPO / "experiments", target_is_directory=True)
    return workdir


def run_document(path: Path, workdir: Path) -> list[str]:
    """Evaluate every block of ``path`` in order in ``workdir``; return the failures (empty: all ran).

    The caller changes into ``workdir`` (Python blocks read relative paths from there).
    """
    document = SYBIL.parse(Path(path))
    document.namespace["__workdir__"] = str(prepare_workdir(Path(workdir)))
    document.namespace["__name__"] = f"doc_{Path(path).stem}"
    failures = []
    for example in document:
        try:
            result = example.region.evaluator(example)
        except Exception as err:  # noqa: BLE001 - reported with the block's line
            import traceback

            tb = "".join(traceback.format_exception(err)[-6:])
            result = f"{_where(example)}: {type(err).__name__}: {err}\n{tb}"
        if result:
            failures.append(result)
    return failures


def documents() -> list[Path]:
    """README.md and every page under docs/."""
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
