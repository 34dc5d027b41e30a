"""Reproductions of the papers behind ttsim (installed as ``ttsim.experiments``).

Each experiment is a module here exposing ``TITLE`` (one line) and
``run(out_dir, *, seed=0) -> dict``. ``run`` writes into ``out_dir`` a PNG figure, a
table (Markdown and CSV) and ``results.json`` with its headline numbers, each beside the
paper's figure, and returns the headline dict. Experiments are thin: every formula they
use lives in the ``ttsim`` library.

``run_experiments`` (behind ``ttsim reproduce``) runs a list of them and writes an
``index.md`` linking every output.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import time
from pathlib import Path

__all__ = ("available", "load", "run_experiments")


def available() -> list[str]:
    """Names of all experiments shipped with ttsim, sorted."""
    import ttsim.experiments as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def load(name: str):
    """Import experiment ``name``; ValueError listing the available ones if unknown."""
    names = available()
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"unknown experiment {name!r}{hint}; available: {', '.join(names)}")
    return importlib.import_module(f"ttsim.experiments.{name}")


def run_experiments(names: list[str], out_dir: str | Path, *, seed: int = 0, progress: bool = True) -> dict:
    """Run the named experiments (``["all"]`` for every one) into ``out_dir/<name>/``.

    Returns ``{name: headline dict}`` and writes ``out_dir/index.md`` linking each
    experiment's figure, table and ``results.json``.
    """
    from tqdm.auto import tqdm

    if not names:
        raise ValueError("names: give at least one experiment name or 'all'")
    if "all" in names:
        names = available()
    modules = [(n, load(n)) for n in dict.fromkeys(names)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, dict] = {}
    timings: dict[str, float] = {}
    bar = tqdm(modules, desc="reproduce", unit="exp", disable=not progress)
    for name, module in bar:
        bar.set_postfix_str(name)
        exp_dir = out / name
        exp_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        summary[name] = module.run(exp_dir, seed=seed)
        timings[name] = time.perf_counter() - t0
        if not (exp_dir / "results.json").exists():
            (exp_dir / "results.json").write_text(json.dumps(summary[name], indent=2, default=float))
    _write_index(out, modules, timings)
    return summary


def _write_index(out: Path, modules, timings: dict[str, float]) -> None:
    existing = sorted(p.name for p in out.iterdir() if p.is_dir() and (p / "results.json").exists())
    titles = {name: getattr(m, "TITLE", name) for name, m in modules}
    lines = ["# ttsim reproductions", ""]
    for name in existing:
        d = out / name
        title = titles.get(name)
        if title is None:
            try:
                title = load(name).TITLE
            except (ValueError, AttributeError):
                title = name
        lines.append(f"## {name}: {title}")
        lines.append("")
        for f in sorted(d.iterdir()):
            if f.suffix == ".png":
                lines.append(f"![{name}]({name}/{f.name})")
        for f in sorted(d.iterdir()):
            if f.suffix in {".md", ".csv", ".json"}:
                lines.append(f"- [{f.name}]({name}/{f.name})")
        if name in timings:
            lines.append(f"- ran in {timings[name]:.1f} s")
        lines.append("")
    (out / "index.md").write_text("\n".join(lines))
