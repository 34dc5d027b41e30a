"""The README's Python example runs as written (on a small counts file it reads)."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    (tmp_path / "my_counts.csv").write_text("problem,n_samples,n_correct\na,100,3\nb,100,40\nc,100,0\nd,100,90\n")
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    coverage = np.array(lines[0].strip("[]").split(), float)
    assert np.all(np.diff(coverage) > 0) and np.all((coverage > 0) & (coverage < 1))
    seconds, dollars = (float(x) for x in lines[1].split())
    assert seconds > 0 and dollars > 0


def test_readme_quick_start_has_exactly_two_commands():
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
    assert [c.strip().count("\n") for c in commands] == [0, 0]
    assert "ttsim reproduce all --out results/" in commands[0]
    assert "pytest" in commands[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert commands[1].strip() in ci
