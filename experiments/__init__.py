"""Reproductions of the papers behind ttsim (installed as ``ttsim.experiments``).

Each experiment is a module here exposing ``TITLE`` (one line) and
``run(out_dir, *, seed=0) -> dict``, and one entry in :data:`EXPERIMENTS` (its name, the paper
it reproduces and its typical running time). ``run`` writes into ``out_dir`` the layout of
``docs/results_schema.md`` through ``_common.write_outputs`` (``figure.png``, ``table.md`` +
``table.csv`` of the paper comparison, ``data.csv`` of the plotted data, ``results.json``) and
returns the results dict. Experiments are thin: every formula they use lives in ``ttsim``.

``run_experiments`` (behind ``ttsim reproduce``) runs a list of them and writes an
``index.md`` linking every output, with each experiment's wall time and peak RSS.

To add an experiment: write ``experiments/<name>.py`` and add one ``Experiment(...)`` line to
:data:`EXPERIMENTS`.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import NamedTuple

__all__ = ("EXPERIMENTS", "Experiment", "available", "citation", "load", "run_experiments")


class Experiment(NamedTuple):
    """One registered reproduction."""

    name: str
    """Module name in ``ttsim.experiments`` and output folder name."""
    paper: str
    """Citation of the paper it reproduces (also ``results.json``'s ``paper``)."""
    typical_seconds: float
    """Wall time of a full run on a quiet 2-core CPU (shown by ``ttsim reproduce --list``)."""


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment("monkeys", "Brown et al. (2024), Large Language Monkeys: Scaling Inference Compute with Repeated Sampling", 25),
    Experiment("kinetics", "Sadhukhan et al. (2025), Kinetics: Rethinking Test-Time Scaling Laws", 15),
    Experiment("saturation", "Scaling over Scaling (TTSPM, 2025): saturation points of parallel and sequential test-time scaling", 45),
    Experiment("verify_split", "Singhi et al. (2025), When To Solve, When To Verify: Compute-Optimal Problem Solving and Generative Verification", 60),
    Experiment("osca", "Zhang et al. (2024), Scaling LLM Inference with Optimized Sample Compute Allocation (OSCA)", 15),
    Experiment("compute_optimal", "Snell et al. (2024), Scaling LLM Test-Time Compute Optimally; with Kinetics (Sadhukhan et al., 2025) for hardware", 150),
    Experiment("law_checks", "Brown et al. (2024) and Schaeffer et al. (2025), How Do Large Language Monkeys Get Their Power (Laws)?", 150),
    Experiment("serving", "Sadhukhan et al., Kinetics: Rethinking Test-Time Scaling Laws, 2025 (accuracy data); NVIDIA NIM LLM benchmarking, docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance (measurements)", 25),
    Experiment("adaptive", "Li et al., Escape Sky-high Cost: Early-stopping Self-Consistency (ESC), ICLR 2024; Aggarwal et al., Let's Sample Step by Step: Adaptive-Consistency, EMNLP 2023; Fu et al., Deep Think with Confidence (DeepConf), 2025; Beeching, Tunstall & Rush, Scaling test-time compute with open models, Hugging Face, 2024", 30),
)
"""The registry: one line per experiment, in the order ``reproduce all`` runs them."""


def _registry() -> dict[str, Experiment]:
    return {e.name: e for e in EXPERIMENTS}


def available() -> list[str]:
    """Names of all registered experiments, sorted."""
    return sorted(_registry())


def citation(name: str) -> str:
    """The paper experiment ``name`` reproduces (the registry's ``paper``)."""
    return _registry()[name].paper


def load(name: str):
    """Import experiment ``name``; ValueError listing the available ones if unknown."""
    names = available()
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"unknown experiment {name!r}{hint}; available: {', '.join(names)}")
    return importlib.import_module(f"ttsim.experiments.{name}")


def resolve_names(names: list[str]) -> list[str]:
    """Expand ``all`` and check every other name; ValueError naming the first unknown one."""
    if not names:
        raise ValueError("names: give at least one experiment name or 'all'")
    known = available()
    for n in names:
        if n != "all" and n not in known:
            load(n)  # raises the ValueError with close matches
    if "all" in names:
        order = [e.name for e in EXPERIMENTS if e.name in known]
        return list(dict.fromkeys(order + [n for n in names if n != "all"]))
    return list(dict.fromkeys(names))


def _reset_peak_rss() -> bool:
    """Reset the process's peak RSS (Linux ``clear_refs`` 5); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    """Peak RSS in MiB: ``VmHWM`` (resettable) where available, else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _release_memory() -> None:
    """Drop JAX's compiled executables and Python garbage between experiments."""
    import gc

    try:
        import jax

        jax.clear_caches()
    except Exception:  # pragma: no cover - jax missing or too old
        pass
    gc.collect()


def run_experiments(
    names: list[str], out_dir: str | Path, *, seed: int = 0, progress: bool = True, force: bool = False
) -> dict:
    """Run the named experiments (``["all"]`` for every one) into ``out_dir/<name>/``.

    ``out_dir`` is prepared with ``prepare_out_dir`` (a folder ttsim did not create and that
    is not empty is refused unless ``force``; nothing is deleted). Returns
    ``{name: results dict}`` and writes ``out_dir/index.md`` linking each experiment's figure,
    table and ``results.json``, with its wall time and peak RSS.
    """
    from tqdm.auto import tqdm

    from ttsim._src.outdir import atomic_write_text, prepare_out_dir

    names = resolve_names(names)
    out = prepare_out_dir(out_dir, flag="--out", force=force)
    modules = [(n, load(n)) for n in names]
    summary: dict[str, dict] = {}
    stats: dict[str, tuple[float, float | None]] = {}
    bar = tqdm(modules, desc="reproduce", unit="exp", disable=not progress)
    for name, module in bar:
        bar.set_postfix_str(name)
        exp_dir = prepare_out_dir(out / name, flag="--out", force=force)
        resettable = _reset_peak_rss()
        t0 = time.perf_counter()
        summary[name] = module.run(exp_dir, seed=seed)
        stats[name] = (time.perf_counter() - t0, _peak_rss_mb() if resettable else None)
        _release_memory()
    atomic_write_text(out / "index.md", _index(out, modules, stats))
    return summary


def _index(out: Path, modules, stats) -> str:
    lines = ["# ttsim reproductions", ""]
    if stats:
        lines += ["| experiment | wall time (s) | peak RSS (MiB) |", "|---|---|---|"]
        for name, (sec, rss) in stats.items():
            lines.append(f"| [{name}](#{name}) | {sec:.1f} | {'n/a' if rss is None else f'{rss:.0f}'} |")
        total = sum(sec for sec, _ in stats.values())
        peaks = [rss for _, rss in stats.values() if rss is not None]
        lines.append(f"| **all** | {total:.1f} | {f'{max(peaks):.0f}' if peaks else 'n/a'} |")
        lines += ["", "Peak RSS is the process's high-water mark during that experiment (Linux `VmHWM`, reset "
                  "before each one, so the row **all** is the maximum over the experiments; an outside "
                  "`ru_maxrss`, e.g. `/usr/bin/time -v`, sees only the last experiment's).", ""]
    for name, module in modules:
        d = out / name
        if not d.is_dir():
            continue
        lines += [f"## {name}: {getattr(module, 'TITLE', name)}", ""]
        files = sorted(p.name for p in d.iterdir() if not p.name.startswith("."))
        lines += [f"![{name}]({name}/{f})" for f in files if f.endswith(".png")]
        lines += [f"- [{f}]({name}/{f})" for f in files if f.endswith((".md", ".csv", ".json"))]
        lines.append("")
    return "\n".join(lines)
