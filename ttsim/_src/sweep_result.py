"""What a sweep returns (:class:`SweepResult`, :class:`SweepStats`), its finished files, :func:`load_sweep`."""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, NamedTuple

import numpy as np

from ttsim._src import sweep_store as st
from ttsim._src.outdir import atomic_write_text
from ttsim._src.sweep_grid import FORMAT_VERSION, fn_name


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class SweepStats(NamedTuple):
    """How a sweep ran: sizes, work done, timings and the number of traces."""

    num_points: int
    num_chunks: int
    chunk_size: int  # compiled points per chunk (a multiple of the device count)
    num_devices: int  # devices in the mesh (all processes)
    num_processes: int
    chunks_computed: int  # chunks evaluated by this call
    chunks_resumed: int  # chunks reloaded (and verified) from the checkpoint
    num_traces: int  # times the chunk function was traced (1 for a fresh sweep)
    compile_seconds: float  # trace + lower + compile
    run_seconds: float  # evaluating the chunks, host copies and checkpoint writes
    points_per_second: float  # computed points / run_seconds
    chunks_rejected: int = 0  # stored chunks that failed verification on resume (recomputed)


class SweepResult(NamedTuple):
    """Result of :func:`run_sweep`: arrays shaped by the named axes.

    ``values`` has the structure of the swept function's output; each leaf has shape
    ``shape + leaf_shape`` where ``shape = tuple(len(a) for a in axes.values())`` (C order,
    first axis slowest). ``fields`` maps flat leaf names (``"value"`` for a bare array,
    dict keys / NamedTuple fields joined by ``"."``) to the same arrays. Leaves are NumPy
    arrays, or lazy zarr arrays on disk for results larger than ``IN_MEMORY_BYTES`` (256 MiB)
    written to ``out_dir``. ``summary`` maps each field to its min, max, mean (over finite
    values) and ``num_nonfinite``, computed chunk by chunk. After :func:`load_sweep`,
    ``values`` is the dict of fields.
    """

    axes: dict[str, np.ndarray]
    values: Any
    fields: dict[str, Any]
    stats: SweepStats
    out_dir: str | None = None
    summary: dict[str, dict] | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes.values())

    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(self.axes)

    @property
    def store(self) -> str | None:
        """Path of the zarr store (``xarray.open_zarr(store)``), or None without ``out_dir``."""
        return None if self.out_dir is None else os.path.join(self.out_dir, st.STORE)



def write_finished(result: SweepResult, specs, fn, seed, fp, header, csv_max_points) -> None:
    """sweep.json, the completed manifest, and the small-grid CSV / npz (all atomic)."""
    out = result.out_dir
    meta = {
        "version": FORMAT_VERSION,
        "function": fn_name(fn),
        "fingerprint": fp,
        "seed": seed,
        "store": st.STORE,
        "axes": {n: np.asarray(a).tolist() for n, a in result.axes.items()},
        "axis_dtypes": {n: str(np.asarray(a).dtype) for n, a in result.axes.items()},
        "shape": list(result.shape),
        "fields": {
            s.name: {"dtype": str(s.dtype), "shape": list(result.shape) + list(s.shape),
                     "array": s.array}
            for s in specs
        },
        "summary": result.summary,
        "stats": result.stats._asdict(),
    }
    atomic_write_text(os.path.join(out, st.META), json.dumps(meta, indent=1))
    atomic_write_text(os.path.join(out, st.MANIFEST), json.dumps({**header, "complete": True}, indent=1))
    nbytes = sum(s.nbytes(result.stats.num_points) for s in specs)
    small_csv = result.stats.num_points <= csv_max_points
    small_npz = nbytes <= st.IN_MEMORY_BYTES
    if small_npz or small_csv:
        fields = {n: np.asarray(a) for n, a in result.fields.items()}
        st.write_small_outputs(out, result.axes, fields, result.stats.num_points, npz=small_npz,
                               csv=small_csv)
    if not small_npz:
        warnings.warn(
            f"run_sweep: results.npz is no longer written for results over "
            f"{st.IN_MEMORY_BYTES >> 20} MiB (it would be built in memory); read "
            f"{os.path.join(out, st.STORE)} with ttsim.sweep.open_sweep or xarray.open_zarr",
            DeprecationWarning,
            stacklevel=3,
        )


def load_sweep(out_dir: str | os.PathLike, *, in_memory: bool | None = None) -> SweepResult:
    r"""Read a finished sweep written by :func:`run_sweep` (``sweep.json`` + ``results.zarr``).

    .. math:: \text{fields}[\text{name}][i_1,\dots,i_d] = f(A_1[i_1],\dots,A_d[i_d])_{\text{name}}

    Args:
      out_dir: the sweep's output folder.
      in_memory: NumPy arrays (True) or lazy zarr arrays (False); default NumPy up to 256 MiB.

    Returns:
      :class:`SweepResult` whose ``values`` and ``fields`` are both the dict name -> array.

    Raises:
      ValueError: if the folder holds no finished sweep (naming the missing or unreadable file).

    References: companion of :func:`run_sweep`.
    """
    out = os.fspath(out_dir)
    meta_path = os.path.join(out, st.META)
    if not os.path.isfile(meta_path):
        raise ValueError(f"load_sweep: {out} holds no finished sweep ({st.META} missing)")
    try:
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
        axes = {n: np.asarray(v, dtype=meta["axis_dtypes"][n]) for n, v in meta["axes"].items()}
        stats = SweepStats(**meta["stats"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"load_sweep: cannot read {meta_path}: {_first_line(err)}") from None
    if "store" not in meta:  # written by an older ttsim: results.npz
        with np.load(os.path.join(out, st.NPZ)) as z:
            fields = {n: z[n] for n in meta["fields"]}
    else:
        fields = st.read_fields(out, meta, in_memory=in_memory)
    return SweepResult(axes, dict(fields), fields, stats, out, meta.get("summary"))
