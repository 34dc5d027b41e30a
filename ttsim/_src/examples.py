"""Example files a new user can start from: logs in both CSV formats and two TOML configs.

The files ship in ``ttsim/data/examples/`` and are copied (never generated on the fly) by
:func:`write_examples` and ``ttsim examples --out DIR``:

* ``counts.csv`` -- per-problem counts ``problem,n_samples,n_correct`` (60 problems, 200
  samples each), read by ``ttsim.read_counts`` / ``ttsim estimate`` / ``ttsim check-law``;
* ``samples.csv`` -- a sample log ``problem,sample,answer,correct,tokens,confidence`` (20
  problems, 16 samples each; ``confidence`` is an optional column, a score in [0, 1] that is
  higher on correct samples), read by ``ttsim.read_sample_log`` / ``ttsim estimate``;
* ``optimize.toml`` -- a config for ``ttsim optimize --config``;
* ``sweep.toml`` -- a config for ``ttsim sweep --config``.

The two CSV files are synthetic and seeded: :func:`_generate_csv` made them (problem success
rates drawn from a Beta population, answers with one dominant wrong answer, token counts
log-normal) and ``tests/test_examples.py`` checks the shipped files still equal its output.
"""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

EXAMPLE_FILES = ("counts.csv", "samples.csv", "optimize.toml", "sweep.toml")
"""Names of the example files, in the order they are written."""


def example_text(name: str) -> str:
    """The text of one shipped example file (a name from :data:`EXAMPLE_FILES`)."""
    if name not in EXAMPLE_FILES:
        raise ValueError(f"name: unknown example file {name!r}; choose one of {', '.join(EXAMPLE_FILES)}")
    return resources.files("ttsim.data").joinpath("examples", name).read_text(encoding="utf-8")


def write_examples(out, *, force: bool = False) -> list[Path]:
    """Write the example files into the folder ``out``; return their paths.

    ``out`` may be missing (it is created), empty, or a folder ttsim wrote before (it holds the
    marker file ``.ttsim-output``); a non-empty foreign folder is refused with a ValueError
    naming ``out`` unless ``force`` is true. Files are written atomically and nothing else in
    the folder is touched.
    """
    from ttsim._src.outdir import atomic_write_text, prepare_out_dir

    folder = prepare_out_dir(out, flag="out", force=force)
    paths = []
    for name in EXAMPLE_FILES:
        path = folder / name
        atomic_write_text(path, example_text(name))
        paths.append(path)
    return paths


def _generate_csv(seed: int = 2024) -> dict[str, str]:
    """The synthetic ``counts.csv`` and ``samples.csv`` (how the shipped files were made).

    counts: 60 problems, p_i ~ Beta(0.5, 2.0), n = 200 samples, c_i ~ Binomial(200, p_i).
    samples: 20 problems, p_i ~ Beta(0.8, 1.2), 16 samples each; a correct sample answers the
    problem's reference answer, a wrong one the dominant wrong answer with probability 0.3 and
    one of four other wrong answers otherwise; tokens ~ round(LogNormal(log 900, 0.4));
    confidence ~ Beta(5, 2) if correct else Beta(2, 3), rounded to 3 decimals.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    counts = io.StringIO()
    counts.write("problem,n_samples,n_correct\n")
    p = rng.beta(0.5, 2.0, size=60)
    c = rng.binomial(200, p)
    for i, ci in enumerate(c):
        counts.write(f"q{i + 1:02d},200,{int(ci)}\n")

    samples = io.StringIO()
    samples.write("problem,sample,answer,correct,tokens,confidence\n")
    p = rng.beta(0.8, 1.2, size=20)
    for i, pi in enumerate(p):
        reference = int(rng.integers(10, 1000))
        wrong = [reference + d for d in (1, -1, 2, 10, -7)]
        for s in range(16):
            correct = bool(rng.random() < pi)
            if correct:
                answer = reference
            elif rng.random() < 0.3:
                answer = wrong[0]
            else:
                answer = wrong[1 + int(rng.integers(0, 4))]
            tokens = int(round(rng.lognormal(np.log(900.0), 0.4)))
            confidence = rng.beta(5, 2) if correct else rng.beta(2, 3)
            samples.write(f"p{i + 1:02d},{s},{answer},{int(correct)},{tokens},{confidence:.3f}\n")
    return {"counts.csv": counts.getvalue(), "samples.csv": samples.getvalue()}
