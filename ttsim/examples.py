"""Example files to start from: ``ttsim.examples.write("examples/")``.

Writes ``counts.csv`` (``problem,n_samples,n_correct``), ``samples.csv``
(``problem,sample,answer,correct,tokens,confidence``), ``optimize.toml`` (a config for
``ttsim optimize``) and ``sweep.toml`` (a config for ``ttsim sweep``). The same files are
written by ``ttsim examples --out DIR``; see :mod:`ttsim._src.examples` for how they were made.
"""

from ttsim._src.examples import EXAMPLE_FILES, example_text
from ttsim._src.examples import write_examples as write

__all__ = ("EXAMPLE_FILES", "example_text", "write")
