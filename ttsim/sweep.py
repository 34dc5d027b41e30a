"""Parameter sweeps: ``ttsim.sweep.run_sweep`` over named axes, streamed to a zarr store.

* :func:`run_sweep` — evaluate a jit-traceable function over the Cartesian product of named
  axes, in chunks, on every device; with ``out_dir`` each chunk is written to
  ``out_dir/results.zarr`` as it finishes (resumable, checksummed).
* :func:`open_sweep` — the store as an ``xarray.Dataset`` (named axes, coordinates).
* :func:`load_sweep` — a finished sweep as a :class:`SweepResult`.
* :func:`sweep_axis` — linear / geometric / integer axis values.
* :func:`sweepable_functions`, :func:`resolve_sweep_function` — the ``@traceable`` allow-list.
* :func:`load_sweep_config` — a TOML sweep (what ``ttsim sweep --config`` runs).
* :class:`Domain` — an argument's allowed values (``run_sweep(..., domain=...)``).
"""

from ttsim._src.sweep import (
    CANONICAL_DOMAINS,
    Domain,
    SweepConfig,
    SweepResult,
    SweepStats,
    load_sweep,
    load_sweep_config,
    open_sweep,
    resolve_sweep_function,
    run_sweep,
    sweep_axis,
    sweepable_functions,
)

__all__ = (
    "CANONICAL_DOMAINS",
    "Domain",
    "SweepConfig",
    "SweepResult",
    "SweepStats",
    "load_sweep",
    "load_sweep_config",
    "open_sweep",
    "resolve_sweep_function",
    "run_sweep",
    "sweep_axis",
    "sweepable_functions",
)
