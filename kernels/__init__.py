"""Pallas kernels for ttsim's sweep hot paths, each with a pure-``jnp`` reference.

Installed as ``ttsim.kernels`` (the folder is ``kernels/`` in the repository; the name
``kernels`` on PyPI belongs to an unrelated project).
"""

__all__: tuple[str, ...] = ()
