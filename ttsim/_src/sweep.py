"""Declarative parameter sweeps (facade): chunked, sharded over devices and hosts, streamed to disk.

The sweep is split by concept:

* :mod:`ttsim._src.sweep_grid` — axes, the chunk layout, field names, the fingerprint;
* :mod:`ttsim._src.sweep_domain` — argument domains checked before compiling;
* :mod:`ttsim._src.sweep_runner` — :func:`run_sweep` (one compiled chunk program) and
  :func:`load_sweep`;
* :mod:`ttsim._src.sweep_store` — the zarr store, the checksummed chunk journal, summaries,
  :func:`open_sweep`;
* :mod:`ttsim._src.sweep_config` — the ``@traceable`` allow-list and TOML configs.
"""

from __future__ import annotations

from ttsim._src.sweep_config import (
    SweepConfig,
    load_sweep_config,
    resolve_sweep_function,
    sweepable_functions,
)
from ttsim._src.sweep_domain import CANONICAL_DOMAINS, Domain, check_domains
from ttsim._src.sweep_grid import ChunkPlan, plan_chunks, sweep_axis
from ttsim._src.sweep_result import SweepResult, SweepStats, load_sweep
from ttsim._src.sweep_runner import run_sweep
from ttsim._src.sweep_store import open_sweep

__all__ = (
    "CANONICAL_DOMAINS",
    "ChunkPlan",
    "Domain",
    "SweepConfig",
    "SweepResult",
    "SweepStats",
    "check_domains",
    "load_sweep",
    "load_sweep_config",
    "open_sweep",
    "plan_chunks",
    "resolve_sweep_function",
    "run_sweep",
    "sweep_axis",
    "sweepable_functions",
)
