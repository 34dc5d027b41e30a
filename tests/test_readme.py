"""README.md runs as written: every code block (tests/docs_runner.py), the Quick start through .ci/run."""

import re

import numpy as np
from docs_runner import REPO, run_document

README = REPO / "README.md"


def _section(title: str) -> str:
    return README.read_text().split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_readme_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    failures = run_document(README, tmp_path)
    assert not failures, "README blocks fail:\n\n" + "\n\n".join(failures)
    # The first session's Python block printed a coverage curve and a cost.
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    curve = next(ln for ln in lines if ln.startswith("["))
    coverage = np.array(curve.strip("[]").split(), float)
    assert coverage.shape == (4,) and np.all(np.diff(coverage) > 0) and np.all((coverage > 0) & (coverage < 1))
    seconds, dollars = (float(x) for x in lines[lines.index(curve) + 1].split())
    assert seconds > 0 and dollars > 0


def test_first_session_starts_by_writing_the_example_files():
    blocks = re.findall(r"```(\w+)\n(.*?)```", _section("A first session"), flags=re.S)
    assert blocks[0] == ("bash", "ttsim examples --out examples/\n")
    later = "".join(body for _, body in blocks[1:])
    used = set(re.findall(r"examples/(\w+\.\w+)", later))
    from ttsim.examples import EXAMPLE_FILES

    assert used and used <= set(EXAMPLE_FILES)


def test_readme_quick_start_has_exactly_two_commands_and_ci_runs_both_verbatim():
    commands = re.findall(r"```bash\n(.*?)```", _section("Quick start"), flags=re.S)
    assert [c.strip().count("\n") for c in commands] == [0, 0]
    assert "ttsim reproduce all --out results/" in commands[0]
    assert "pytest" in commands[1]
    ci = (REPO / ".ci" / "run").read_text()
    for command in commands:
        assert command.strip() in ci


def test_ci_stops_on_any_failure_including_nothing_collected():
    # pytest exits 5 when it collects nothing; `set -e` makes that (and every other non-zero status) fail CI.
    lines = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines()]
    assert "set -euo pipefail" in lines
    assert lines.index("set -euo pipefail") < min(i for i, ln in enumerate(lines) if "pytest" in ln and not ln.startswith("#"))
