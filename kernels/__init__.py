"""Pallas kernels for ttsim's sweep hot paths, each with a pure-``jnp`` reference.

Installed as ``ttsim.kernels`` (the folder is ``kernels/`` in the repository; the name
``kernels`` on PyPI belongs to an unrelated project). Every kernel ``f_pallas`` has a
reference ``f_reference`` with the same signature (a static ``interpret`` flag included) and a
dispatcher ``f`` that picks the kernel on GPU/TPU and the reference elsewhere. CPU tests run the
kernels with ``interpret=True`` against the references.
"""

from ttsim.kernels.population_coverage import (
    population_coverage,
    population_coverage_pallas,
    population_coverage_reference,
)

__all__ = (
    "population_coverage",
    "population_coverage_pallas",
    "population_coverage_reference",
)
