"""The end of every ``ttsim COMMAND --help``: worked examples and the units of the output.

The examples use the files written by ``ttsim examples --out examples/`` and run as shown
(``tests/test_cli_help.py`` runs every line that starts with ``  ttsim``).
"""

from __future__ import annotations

import argparse
import textwrap

_START = "  ttsim examples --out examples/     # writes the example files used below\n"

EPILOGS: dict[str, str] = {
    "": """\
start here:
  ttsim examples --out examples/
  ttsim estimate examples/samples.csv --k 1,4,16
  ttsim COMMAND --help                # worked examples and units of each command

Every error is one line on stderr naming the file or flag, with exit status 2; --debug (or
TTSIM_DEBUG=1) adds the traceback. See docs/promises.md.""",
    "examples": """\
example:
  ttsim examples --out examples/

writes counts.csv (problem,n_samples,n_correct), samples.csv
(problem,sample,answer,correct,tokens,confidence), optimize.toml and sweep.toml; an existing
folder is refused unless ttsim wrote it or --force is given.""",
    "estimate": _START + """\
  ttsim estimate examples/samples.csv --k 1,4,16
  ttsim estimate examples/counts.csv --k 1,10,100 --json

units: pass@k and maj@k are fractions of problems solved, in [0, 1]; intervals are percentile
bootstrap intervals over problems at --level; k counts samples per problem.""",
    "check-law": _START + """\
  ttsim check-law examples/counts.csv --law beta --fit-max-k 10 --report-k 100 --bootstrap 50

units: coverage (pass@k) and errors are fractions of problems in [0, 1]; error = predicted -
measured; k counts samples per problem.""",
    "cost": """\
example:
  ttsim cost --model qwen3-8b --hardware h100-sxm --prompt-tokens 600 --gen-tokens 16000 --samples 8

units: flops in FLOPs, memory in bytes, eflops in FLOP-equivalents (Kinetics: FLOPs + arithmetic
intensity x bytes), seconds of wall time on --devices chips, dollars in USD at the registry's
price per chip-hour (null / '-' when the accelerator has no price); token counts are tokens
per sample.""",
    "models": """\
example:
  ttsim models --json

units: params and active params in billions (JSON: parameters); head dim and hidden size in
elements.""",
    "hardware": """\
example:
  ttsim hardware

units: peak TFLOP/s (JSON peak_flops: FLOP/s), HBM TB/s (memory_bandwidth: bytes/s), HBM GB
(memory_capacity: bytes), arithmetic intensity in FLOP/byte, price in USD per chip-hour.""",
    "optimize": _START + """\
  ttsim optimize --config examples/optimize.toml

units: budget and cost are the average cost per problem in the config's [cost] unit (samples,
tokens, flops, memory_bytes, eflops, seconds or dollars); accuracy is a fraction in [0, 1].""",
    "sweep": _START + """\
  ttsim sweep --config examples/sweep.toml --out runs/sweep_example

units: those of the swept function (coverage: a fraction in [0, 1]); axes in the function's
own units. An existing --out is refused unless ttsim wrote it (--resume continues it).""",
    "saturation": """\
examples:
  ttsim saturation --worst-case --eps 0.01,0.005,0.001
  ttsim saturation --p 0.1 --eps 0.01 --json

units: n_star counts samples (parallel) or refinement steps (sequential); eps is an absolute
gain in accuracy (a fraction in [0, 1]) per extra sample or step.""",
    "verify-split": """\
example:
  ttsim verify-split --p 0.5 --tpr 0.8 --fpr 0.3 --lam 2 --budget 8,32,128

units: budget C = S (1 + lam V) in solution-equivalents (the cost of one solution is 1; one
verification costs lam); accuracies are fractions in [0, 1].""",
    "reproduce": """\
examples:
  ttsim reproduce --list
  ttsim reproduce saturation --out results/

each experiment writes DIR/<name>/ (figure.png, table.md, table.csv, data.csv, results.json);
an existing --out is refused unless ttsim wrote it or --force is given.""",
}
"""``{command: epilog}``; the key ``""`` is the top-level ``ttsim --help``."""


ARGUMENT_HELP: dict[tuple[str, str], str] = {
    ("cost", "--cost-model"): "roofline (default): prefill + decode time from FLOPs and bytes, and dollars; "
    "kinetics: the Kinetics decode-only FLOPs / KV-memory / eFLOPs model",
    ("reproduce", "--seed"): "seed of the experiments' random draws (default 0, the seed behind the "
    "published numbers)",
    ("saturation", "--strategy"): "parallel (default): F(N) = 1 - (1 - p)^N over N samples; sequential: "
    "refinement steps (TTSPM with p_r = --p, or the fix/break chain --a, --b, --p0)",
}
"""Help for arguments a command registered without any (used only where its help is empty)."""


class HelpFormatter(argparse.HelpFormatter):
    """Wraps prose paragraphs of descriptions and epilogs but keeps indented lines (examples) as written."""

    def _fill_text(self, text, width, indent):
        out = []
        for paragraph in text.split("\n\n"):
            lines = paragraph.split("\n")
            if any(line.startswith("  ") for line in lines) or (
                len(lines) > 1 and lines[0].rstrip().endswith(":")
            ):
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(textwrap.fill(" ".join(paragraph.split()), width,
                                         initial_indent=indent, subsequent_indent=indent))
        return "\n\n".join(out)
