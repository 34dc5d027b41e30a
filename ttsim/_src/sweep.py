"""Declarative parameter sweeps: chunked, sharded over devices and hosts, checkpointed.

A sweep evaluates a function at every point of the Cartesian product of named axes. The grid
is never materialised: points are streamed in fixed-size chunks through ONE compiled,
vmapped function whose only per-chunk inputs are the chunk's start (as a multi-index) and
its number of valid points; each point's axis indices are computed on device from its flat
offset inside the chunk. The chunk is sharded over a 1-D device mesh (``jax.make_mesh``,
``NamedSharding``); under ``jax.distributed`` the mesh spans every process, all processes
run the same chunks in the same order, and only process 0 writes.

With ``out_dir``, every finished chunk is written atomically (temporary file +
``os.replace``) and recorded in ``manifest.json``; ``resume=True`` reloads the recorded
chunks, so a sweep killed mid-run recomputes at most the chunk that was in flight and gives
bit-identical results. This module (with the CLI) is the only part of ttsim's core that
touches files.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import importlib
import inspect
import json
import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

_FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_META = "sweep.json"
_RESULTS = "results.npz"
_CSV = "results.csv"
_CHUNK_DIR = "chunks"
_MAX_AXIS_LEN = 2**30  # the on-device mixed-radix add of two digits must stay in int32


class SweepStats(NamedTuple):
    """How a sweep ran: sizes, work done, timings and the number of traces."""

    num_points: int
    num_chunks: int
    chunk_size: int  # points per chunk (a multiple of the device count)
    num_devices: int  # devices in the mesh (all processes)
    num_processes: int
    chunks_computed: int  # chunks evaluated by this call
    chunks_resumed: int  # chunks reloaded from the checkpoint
    num_traces: int  # times the chunk function was traced (1 for a fresh sweep)
    compile_seconds: float  # trace + lower + compile
    run_seconds: float  # evaluating the chunks, host copies and checkpoint writes
    points_per_second: float  # computed points / run_seconds


class SweepResult(NamedTuple):
    """Result of :func:`run_sweep`: arrays shaped by the named axes.

    ``values`` has the structure of the swept function's output; each leaf has shape
    ``shape + leaf_shape`` where ``shape = tuple(len(a) for a in axes.values())`` (C order,
    first axis slowest). ``fields`` maps flat leaf names (``"value"`` for a bare array,
    dict keys / NamedTuple fields joined by ``"."``) to the same arrays. After
    :func:`load_sweep`, ``values`` is that dict too.
    """

    axes: dict[str, np.ndarray]
    values: Any
    fields: dict[str, np.ndarray]
    stats: SweepStats
    out_dir: str | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes.values())

    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(self.axes)


# ----------------------------------------------------------------------------- axes


def sweep_axis(start, stop, num: int, *, log: bool = False, integer: bool = False) -> np.ndarray:
    r"""Values of one sweep axis: ``num`` points from ``start`` to ``stop`` (both included).

    .. math:: x_i = x_0 + i\,\frac{x_1 - x_0}{n - 1} \quad\text{or, with log,}\quad
              x_i = x_0\,(x_1/x_0)^{i/(n-1)}

    Args:
      start, stop: end points (> 0 when ``log``).
      num: number of points (>= 1).
      log: geometric spacing instead of linear.
      integer: round to whole numbers and drop duplicates (for counts such as k or n).

    Returns:
      ``(num,)`` float64 array, or int64 with ``integer`` (fewer entries when rounding merged
      duplicates).

    References: none (grid construction for the sweeps of Brown et al., 2024; Snell et al., 2024).
    """
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool) or num < 1:
        raise ValueError(f"sweep_axis: num must be an integer >= 1; got {num!r}")
    start, stop = float(start), float(stop)
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ValueError(f"sweep_axis: start and stop must be finite; got {start}, {stop}")
    if log:
        if start <= 0 or stop <= 0:
            raise ValueError(f"sweep_axis: start and stop must be > 0 with log=True; got {start}, {stop}")
        out = np.geomspace(start, stop, num)
    else:
        out = np.linspace(start, stop, num)
    if integer:
        out = np.unique(np.round(out)).astype(np.int64)
    return out


def _canonical_leaf(name: str, x) -> np.ndarray:
    a = np.asarray(x)
    x64 = jax.config.jax_enable_x64
    if a.dtype == np.bool_:
        return a
    if np.issubdtype(a.dtype, np.integer):
        return a.astype(np.int64 if x64 and a.dtype.itemsize == 8 else np.int32)
    if np.issubdtype(a.dtype, np.floating):
        return a.astype(np.float64 if x64 and a.dtype == np.float64 else np.float32)
    raise ValueError(f"run_sweep: {name} must be numeric; got dtype {a.dtype}")


def _prepare_axes(axes) -> dict[str, Any]:
    if not isinstance(axes, Mapping) or not axes:
        raise ValueError("run_sweep: axes must be a non-empty mapping of name -> values")
    out = {}
    for name, values in axes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"run_sweep: axis names must be Python identifiers; got {name!r}")
        if isinstance(values, (list, tuple)) and not hasattr(values, "_fields"):
            values = np.asarray(values)  # a plain sequence of numbers, not a pytree
        leaves, treedef = jax.tree_util.tree_flatten(values)
        if not leaves:
            raise ValueError(f"run_sweep: axes[{name!r}] is empty")
        leaves = [_canonical_leaf(f"axes[{name!r}]", x) for x in leaves]
        if treedef.num_leaves == 1 and treedef == jax.tree_util.tree_structure(0) and leaves[0].ndim != 1:
            raise ValueError(f"run_sweep: axes[{name!r}] must be 1-D; got shape {leaves[0].shape}")
        lengths = {x.shape[0] if x.ndim else -1 for x in leaves}
        if len(lengths) != 1 or min(lengths) < 1:
            raise ValueError(
                f"run_sweep: axes[{name!r}] leaves must share a leading axis of length >= 1; "
                f"got shapes {[x.shape for x in leaves]}"
            )
        if next(iter(lengths)) >= _MAX_AXIS_LEN:
            raise ValueError(f"run_sweep: axes[{name!r}] is longer than 2**30 values")
        out[name] = jax.tree_util.tree_unflatten(treedef, leaves)
    return out


def _axis_length(values) -> int:
    return jax.tree_util.tree_leaves(values)[0].shape[0]


def _axis_display(values, labels) -> np.ndarray:
    """What ``SweepResult.axes`` shows: the values of an array axis, else labels or indices."""
    leaves, treedef = jax.tree_util.tree_flatten(values)
    if labels is not None:
        return np.asarray(labels)
    if treedef == jax.tree_util.tree_structure(0):
        return leaves[0]
    return np.arange(leaves[0].shape[0])


# ----------------------------------------------------------------------------- naming / hashing


def _path_name(path) -> str:
    parts = []
    for k in path:
        if isinstance(k, jax.tree_util.DictKey):
            parts.append(str(k.key))
        elif isinstance(k, jax.tree_util.GetAttrKey):
            parts.append(k.name)
        elif isinstance(k, jax.tree_util.SequenceKey):
            parts.append(str(k.idx))
        elif isinstance(k, jax.tree_util.FlattenedIndexKey):
            parts.append(str(k.key))
        else:
            parts.append(str(k))
    return ".".join(parts) if parts else "value"


def _leaf_names(tree) -> list[str]:
    names = [_path_name(p) for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]
    if len(set(names)) != len(names):  # fall back to positional names
        names = [f"value{i}" for i in range(len(names))]
    return names


def _fn_name(fn) -> str:
    base = getattr(fn, "func", fn)  # functools.partial
    return f"{getattr(base, '__module__', '?')}.{getattr(base, '__qualname__', type(base).__name__)}"


def _fingerprint(fn, axes, fixed, seed, shape) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([_FORMAT_VERSION, _fn_name(fn), list(shape), seed]).encode())
    for name, values in axes.items():
        h.update(name.encode())
        h.update(str(jax.tree_util.tree_structure(values)).encode())
        for leaf in jax.tree_util.tree_leaves(values):
            h.update(str(leaf.dtype).encode() + np.ascontiguousarray(leaf).tobytes())
    static = {k: x for k, x in fixed.items() if _is_static(x)}
    h.update(repr(sorted(static.items())).encode())
    arrays = {k: x for k, x in fixed.items() if not _is_static(x)}
    h.update(str(jax.tree_util.tree_structure(arrays)).encode())
    for leaf in jax.tree_util.tree_leaves(arrays):
        leaf = np.asarray(leaf)
        h.update(str(leaf.dtype).encode() + str(leaf.shape).encode() + np.ascontiguousarray(leaf).tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- files


def _atomic_write(path: str, write: Callable[[Any], None], mode: str = "wb") -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, mode) as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _write_json(path: str, obj) -> None:
    _atomic_write(path, lambda fh: json.dump(obj, fh, indent=1), mode="w")


def _chunk_path(out_dir: str, cid: int) -> str:
    return os.path.join(out_dir, _CHUNK_DIR, f"chunk_{cid:08d}.npz")


def _save_chunk(out_dir: str, cid: int, names, arrays) -> None:
    payload = {f"f{i}": a for i, a in enumerate(arrays)}
    _atomic_write(_chunk_path(out_dir, cid), lambda fh: np.savez(fh, **payload))


def _load_chunk(out_dir: str, cid: int, n: int) -> list[np.ndarray]:
    with np.load(_chunk_path(out_dir, cid)) as z:
        return [z[f"f{i}"] for i in range(n)]


def _read_manifest(out_dir: str) -> dict | None:
    path = os.path.join(out_dir, _MANIFEST)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"run_sweep: cannot read {path}: {err}") from None


def _clear_chunks(out_dir: str) -> None:
    d = os.path.join(out_dir, _CHUNK_DIR)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if f.startswith("chunk_") and (f.endswith(".npz") or ".tmp" in f):
                os.remove(os.path.join(d, f))
    for f in (_MANIFEST, _RESULTS, _CSV, _META):
        path = os.path.join(out_dir, f)
        if os.path.exists(path):
            os.remove(path)


def _jsonable_axis(a: np.ndarray) -> list:
    return a.tolist()


# ----------------------------------------------------------------------------- device side


def _is_static(x) -> bool:
    """Python scalars, strings and None in ``fixed`` stay Python values (static arguments)."""
    return x is None or isinstance(x, (bool, int, float, str))


def _make_chunk_fn(fn, names, shape, use_key, static_fixed, trace_counter):
    """The per-chunk program: offsets (C,) -> outputs (C, ...), grid indices computed on device."""
    ndim = len(shape)

    def chunk_fn(offsets, start_digits, remaining, start_flat, seed, axis_values, array_fixed):
        fixed = {**static_fixed, **array_fixed}
        trace_counter[0] += 1
        j = jnp.minimum(offsets, remaining - 1)  # padded tail repeats the last valid point
        # digits of j (mixed radix = grid shape), then add the chunk start with carries.
        rem = j
        digits = [None] * ndim
        for d in range(ndim - 1, -1, -1):
            digits[d] = rem % shape[d]
            rem = rem // shape[d]
        carry = jnp.zeros_like(j)
        idx = [None] * ndim
        for d in range(ndim - 1, -1, -1):
            s = digits[d] + start_digits[d] + carry
            carry = (s >= shape[d]).astype(j.dtype)
            idx[d] = s - carry * shape[d]
        point = {
            name: jax.tree_util.tree_map(lambda a, i=i: a[i], axis_values[name])
            for name, i in zip(names, idx)
        }

        if use_key:
            flat = start_flat + j.astype(jnp.uint32)
            keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(jax.random.key(seed), flat)
            return jax.vmap(lambda pt, k: fn(**pt, **fixed, key=k))(point, keys)
        return jax.vmap(lambda pt: fn(**pt, **fixed))(point)

    return chunk_fn


def _resolve_devices(devices):
    if devices is None:
        return list(jax.devices())
    if isinstance(devices, (int, np.integer)) and not isinstance(devices, bool):
        if jax.process_count() > 1:
            raise ValueError("run_sweep: devices=<int> is single-process only; pass a device list")
        if not 1 <= devices <= jax.device_count():
            raise ValueError(f"run_sweep: devices must be in [1, {jax.device_count()}]; got {devices}")
        return list(jax.devices())[: int(devices)]
    devs = list(devices)
    if not devs:
        raise ValueError("run_sweep: devices must not be empty")
    return devs


def _place(tree, sharding, multiprocess: bool):
    """Put host arrays on the mesh; a global array assembled per process when multi-process."""
    if not multiprocess:
        return jax.device_put(tree, sharding)

    def one(x):
        x = np.asarray(x)
        return jax.make_array_from_callback(x.shape, sharding, lambda idx: x[idx])

    return jax.tree_util.tree_map(one, tree)


def _to_host(tree, multiprocess: bool):
    if multiprocess:
        from jax.experimental import multihost_utils

        return [np.asarray(x) for x in jax.tree_util.tree_leaves(multihost_utils.process_allgather(tree, tiled=True))]
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def _open_checkpoint(out_path, resume, fingerprint, chunk, done, fn, shape, num_points, num_chunks, field_names):
    """Check / reset ``out_path``, mark the finished chunks in ``done``; return the manifest."""
    os.makedirs(os.path.join(out_path, _CHUNK_DIR), exist_ok=True)
    old = _read_manifest(out_path)
    if resume and old is not None:
        if old.get("fingerprint") != fingerprint:
            raise ValueError(
                f"run_sweep: {out_path} holds a different sweep (function, axes, fixed or seed differ); "
                "use another out_dir or resume=False"
            )
        if old.get("chunk_size") != chunk:
            raise ValueError(
                f"run_sweep: chunk_size differs from the checkpoint in {out_path} "
                f"({old.get('chunk_size')} points per chunk there, {chunk} now)"
            )
        for cid in old.get("completed", []):
            if 0 <= cid < num_chunks and os.path.exists(_chunk_path(out_path, cid)):
                done[cid] = True
    elif not resume:
        _clear_chunks(out_path)
    manifest = {
        "version": _FORMAT_VERSION,
        "fingerprint": fingerprint,
        "function": _fn_name(fn),
        "shape": list(shape),
        "num_points": num_points,
        "chunk_size": chunk,
        "num_chunks": num_chunks,
        "fields": field_names,
        "completed": sorted(int(c) for c in np.flatnonzero(done)),
    }
    _write_json(os.path.join(out_path, _MANIFEST), manifest)
    return manifest


# ----------------------------------------------------------------------------- run_sweep


def run_sweep(
    fn: Callable[..., Any],
    axes: Mapping[str, Any],
    *,
    fixed: Mapping[str, Any] | None = None,
    chunk_size: int = 1 << 16,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    seed: int | None = None,
    progress: bool = True,
    devices=None,
    labels: Mapping[str, Any] | None = None,
    csv_max_points: int = 100_000,
    on_chunk: Callable[[int, SweepStats], None] | None = None,
) -> SweepResult:
    r"""Evaluate ``fn`` at every point of the Cartesian product of named axes.

    .. math:: y[i_1, \dots, i_d] = f(a_1 = A_1[i_1], \dots, a_d = A_d[i_d], **\mathrm{fixed})

    The grid (``N = \prod_j |A_j|`` points, flat index in C order) is streamed in chunks of
    ``chunk_size`` points (rounded up to a multiple of the device count) through one jitted,
    vmapped program, traced and compiled once; the last chunk is padded with copies of the last
    valid point and trimmed on the host. Each chunk is sharded over a 1-D mesh of ``devices``
    (all devices, across processes under ``jax.distributed``). Memory on the device is bounded
    by the chunk; the host holds the results (``N`` values per output leaf).

    Monte Carlo: with ``seed``, ``fn`` also receives ``key=fold_in(key(seed), n)`` with ``n`` the
    point's flat grid index, so results do not depend on the chunk size or device count.

    Args:
      fn: function of one grid point: keyword arguments named like the axes (scalars, or one
        slice of a pytree axis), plus ``fixed`` and ``key`` (when ``seed`` is given); returns an
        array or a pytree of arrays (usually scalars). Any ttsim model or cost function works.
      axes: ordered mapping name -> 1-D array of values (or a pytree whose leaves share a
        leading axis, e.g. a stacked ``ModelConfig``). Floats become float32 (float64 under x64),
        integers int32.
      fixed: keyword arguments passed unchanged to every call (arrays, pytrees).
      chunk_size: points per chunk (>= 1); bounds device memory.
      out_dir: folder for checkpoints and results (``results.npz``, ``sweep.json``,
        ``manifest.json``, ``chunks/``, and ``results.csv`` when ``N <= csv_max_points``).
      resume: reuse the chunks recorded in ``out_dir/manifest.json`` (the sweep must be the same:
        function name, axes, fixed values, seed and chunk size); otherwise ``out_dir`` is cleared.
      seed: integer seed for Monte Carlo functions (grids below 2**32 points).
      progress: show a tqdm bar with points/s (process 0 only).
      devices: ``None`` (all devices), a number of local devices, or a device list.
      labels: optional display values for axes (e.g. model names for a pytree axis).
      csv_max_points: write the tidy CSV only up to this many points.
      on_chunk: called as ``on_chunk(chunk_id, stats)`` after each chunk is stored.

    Returns:
      :class:`SweepResult` with the axes, the output pytree with leaves of shape
      ``grid_shape + leaf_shape``, flat ``fields`` and :class:`SweepStats`.

    Raises:
      ValueError: on empty / non-1-D axes, a bad ``chunk_size``, ``resume`` without ``out_dir``,
        or a checkpoint from a different sweep.

    Examples:
      >>> import ttsim
      >>> r = ttsim.run_sweep(ttsim.coverage, {"p": [0.1, 0.5], "k": [1, 2, 4]}, progress=False)
      >>> r.values.shape
      (2, 3)

    References: the sweeps of Brown et al., `Large Language Monkeys
    <https://arxiv.org/abs/2407.21787>`_, 2024, and Snell et al., `Scaling LLM Test-Time Compute
    Optimally <https://arxiv.org/abs/2408.03314>`_, 2024; sharding per jax-ml/jax docs.
    """
    if not callable(fn):
        raise ValueError(f"run_sweep: fn must be callable; got {type(fn).__name__}")
    if not isinstance(chunk_size, (int, np.integer)) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"run_sweep: chunk_size must be an integer >= 1; got {chunk_size!r}")
    if resume and out_dir is None:
        raise ValueError("run_sweep: resume=True needs out_dir")
    if seed is not None and (
        not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**32
    ):
        raise ValueError(f"run_sweep: seed must be an integer in [0, 2**32) or None; got {seed!r}")
    axes = _prepare_axes(axes)
    names = tuple(axes)
    fixed = dict(fixed or {})
    clash = set(fixed) & set(names)
    if clash:
        raise ValueError(f"run_sweep: {sorted(clash)} given both as axes and in fixed")
    if seed is not None and "key" in set(fixed) | set(names):
        raise ValueError("run_sweep: 'key' is passed by the sweep when seed is given")
    labels = dict(labels or {})
    for name in labels:
        if name not in axes:
            raise ValueError(f"run_sweep: labels[{name!r}] names no axis")
        if len(labels[name]) != _axis_length(axes[name]):
            raise ValueError(f"run_sweep: labels[{name!r}] must have one label per axis value")

    shape = tuple(_axis_length(axes[n]) for n in names)
    num_points = math.prod(shape)
    if seed is not None and num_points >= 2**32:
        raise ValueError("run_sweep: seeded sweeps are limited to 2**32 points (the key folds in a uint32 index)")
    devs = _resolve_devices(devices)
    ndev = len(devs)
    nproc = jax.process_count()
    multiprocess = nproc > 1
    is_writer = jax.process_index() == 0
    chunk = -(-int(chunk_size) // ndev) * ndev
    chunk = min(chunk, -(-num_points // ndev) * ndev)  # small grids: one chunk, little padding
    if chunk >= 2**31:
        raise ValueError("run_sweep: chunk_size must stay below 2**31 points")
    num_chunks = -(-num_points // chunk)
    fingerprint = _fingerprint(fn, axes, fixed, seed, shape)

    # ---- mesh, placement and the single compile
    mesh = jax.make_mesh((ndev,), ("grid",), axis_types=(jax.sharding.AxisType.Auto,), devices=devs)
    replicated = NamedSharding(mesh, P())
    offsets = _place(np.arange(chunk, dtype=np.int32), NamedSharding(mesh, P("grid")), multiprocess)
    axis_values = _place({n: axes[n] for n in names}, replicated, multiprocess)
    static_fixed = {k: x for k, x in fixed.items() if _is_static(x)}
    array_fixed = {
        k: jax.tree_util.tree_map(lambda a, k=k: _canonical_leaf(f"fixed[{k!r}]", a), x)
        for k, x in fixed.items()
        if not _is_static(x)
    }
    array_fixed = _place(array_fixed, replicated, multiprocess)
    seed_arg = np.uint32(seed if seed is not None else 0)
    traces = [0]
    chunk_fn = _make_chunk_fn(fn, names, shape, seed is not None, static_fixed, traces)

    def chunk_args(cid: int):
        start = cid * chunk
        digits = np.asarray(np.unravel_index(start, shape), dtype=np.int32).reshape(len(shape))
        remaining = np.int32(min(chunk, num_points - start))
        return offsets, digits, remaining, np.uint32(start % 2**32), seed_arg, axis_values, array_fixed

    t0 = time.perf_counter()
    lowered = jax.jit(chunk_fn).lower(*chunk_args(0))
    compiled = lowered.compile()
    compile_seconds = time.perf_counter() - t0
    out_info = lowered.out_info
    info_leaves, out_tree = jax.tree_util.tree_flatten(out_info)
    field_names = _leaf_names(jax.tree_util.tree_unflatten(out_tree, [0] * len(info_leaves)))
    for nm, info in zip(field_names, info_leaves):
        if info.shape[:1] != (chunk,):
            raise ValueError(f"run_sweep: output {nm!r} of fn is not an array per point")

    buffers = [np.empty((num_points,) + tuple(i.shape[1:]), dtype=i.dtype) for i in info_leaves]

    # ---- checkpoint state
    out_path = os.fspath(out_dir) if out_dir is not None else None
    done = np.zeros(num_chunks, dtype=bool)
    manifest = None
    if out_path is not None:
        error = None
        if is_writer:
            try:
                manifest = _open_checkpoint(out_path, resume, fingerprint, chunk, done, fn, shape, num_points,
                                            num_chunks, field_names)
            except ValueError as err:
                if not multiprocess:
                    raise
                error = err
        if multiprocess:  # every process must run the same chunks: process 0 decides
            from jax.experimental import multihost_utils

            flags = np.concatenate([[error is not None], done])
            flags = np.asarray(multihost_utils.broadcast_one_to_all(flags)).astype(bool)
            if flags[0]:
                raise error if error is not None else ValueError(
                    f"run_sweep: process 0 rejected the checkpoint in {out_path}"
                )
            done = flags[1:]
        for cid in np.flatnonzero(done):
            start = int(cid) * chunk
            stop = min(start + chunk, num_points)
            try:
                loaded = _load_chunk(out_path, int(cid), len(buffers))
            except (OSError, KeyError, ValueError):
                if multiprocess and not is_writer:
                    continue  # no shared file system: only process 0 holds resumed chunks
                raise
            for buf, arr in zip(buffers, loaded):
                buf[start:stop] = arr

    todo = [int(c) for c in np.flatnonzero(~done)]
    resumed = num_chunks - len(todo)
    from tqdm.auto import tqdm

    bar = tqdm(
        total=num_points,
        initial=min(num_points, resumed * chunk),
        unit="pt",
        unit_scale=True,
        desc="sweep",
        disable=not progress or not is_writer,
        leave=False,
    )
    computed = [0, 0]  # chunks, points
    t_run = time.perf_counter()

    def stats_now() -> SweepStats:
        elapsed = time.perf_counter() - t_run
        pts = computed[1]
        return SweepStats(
            num_points=num_points,
            num_chunks=num_chunks,
            chunk_size=chunk,
            num_devices=ndev,
            num_processes=nproc,
            chunks_computed=computed[0],
            chunks_resumed=resumed,
            num_traces=traces[0],
            compile_seconds=compile_seconds,
            run_seconds=elapsed,
            points_per_second=pts / elapsed if elapsed > 0 else 0.0,
        )

    def finish(cid: int, out) -> None:
        start = cid * chunk
        valid = min(chunk, num_points - start)
        host = [a[:valid] for a in _to_host(out, multiprocess)]
        for buf, arr in zip(buffers, host):
            buf[start : start + valid] = arr
        if out_path is not None and is_writer:
            _save_chunk(out_path, cid, field_names, host)
            manifest["completed"].append(cid)
            _write_json(os.path.join(out_path, _MANIFEST), manifest)
        computed[0] += 1
        computed[1] += valid
        bar.update(valid)
        if on_chunk is not None:
            on_chunk(cid, stats_now())

    pending = None
    try:
        for cid in todo:  # dispatch chunk i+1 before copying chunk i back (async dispatch)
            out = compiled(*chunk_args(cid))
            if pending is not None:
                finish(*pending)
            pending = (cid, out)
        if pending is not None:
            finish(*pending)
    finally:
        bar.close()
    stats = stats_now()

    grid = [b.reshape(shape + b.shape[1:]) for b in buffers]
    values = jax.tree_util.tree_unflatten(out_tree, grid)
    fields = dict(zip(field_names, grid))
    shown_axes = {n: _axis_display(axes[n], labels.get(n)) for n in names}
    result = SweepResult(axes=shown_axes, values=values, fields=fields, stats=stats, out_dir=out_path)
    if out_path is not None and is_writer:
        _write_results(result, fn, seed, fingerprint, csv_max_points)
    return result


# ----------------------------------------------------------------------------- results on disk


def _write_results(result: SweepResult, fn, seed, fingerprint, csv_max_points) -> None:
    out = result.out_dir
    arrays = {f"axis:{n}": a for n, a in result.axes.items()}
    arrays.update(result.fields)
    _atomic_write(os.path.join(out, _RESULTS), lambda fh: np.savez(fh, **arrays))
    meta = {
        "version": _FORMAT_VERSION,
        "function": _fn_name(fn),
        "fingerprint": fingerprint,
        "seed": seed,
        "axes": {n: _jsonable_axis(a) for n, a in result.axes.items()},
        "axis_dtypes": {n: str(a.dtype) for n, a in result.axes.items()},
        "shape": list(result.shape),
        "fields": {n: {"dtype": str(a.dtype), "shape": list(a.shape)} for n, a in result.fields.items()},
        "stats": result.stats._asdict(),
    }
    _write_json(os.path.join(out, _META), meta)
    if result.stats.num_points <= csv_max_points:
        _atomic_write(os.path.join(out, _CSV), lambda fh: _write_csv(fh, result), mode="w")


def _column(a: np.ndarray) -> list:
    """CSV cells: shortest round-trip text for floats of the array's own precision."""
    if np.issubdtype(a.dtype, np.floating):
        return [str(x) for x in a]
    return a.tolist()


def _write_csv(fh, result: SweepResult) -> None:
    shape = result.shape
    idx = np.unravel_index(np.arange(math.prod(shape)), shape)
    cols, headers = [], []
    for (name, a), i in zip(result.axes.items(), idx):
        headers.append(name)
        cols.append(_column(a[i]))
    for name, a in result.fields.items():
        flat = a.reshape(math.prod(shape), -1)
        if a.ndim == len(shape):
            headers.append(name)
            cols.append(_column(flat[:, 0]))
        else:
            for j in range(flat.shape[1]):
                headers.append(f"{name}[{j}]")
                cols.append(_column(flat[:, j]))
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(headers)
    w.writerows(zip(*cols))


def load_sweep(out_dir: str | os.PathLike) -> SweepResult:
    r"""Read a finished sweep written by :func:`run_sweep` (``results.npz`` + ``sweep.json``).

    .. math:: \text{fields}[\text{name}][i_1,\dots,i_d] = f(A_1[i_1],\dots,A_d[i_d])_{\text{name}}

    Returns:
      :class:`SweepResult` whose ``values`` and ``fields`` are both the dict name -> array.

    Raises:
      ValueError: if the folder holds no finished sweep.

    References: companion of :func:`run_sweep`.
    """
    out = os.fspath(out_dir)
    meta_path, res_path = os.path.join(out, _META), os.path.join(out, _RESULTS)
    if not (os.path.exists(meta_path) and os.path.exists(res_path)):
        raise ValueError(f"load_sweep: {out} holds no finished sweep ({_META} and {_RESULTS} needed)")
    with open(meta_path) as fh:
        meta = json.load(fh)
    with np.load(res_path) as z:
        axes = {n: z[f"axis:{n}"] for n in meta["axes"]}
        fields = {n: z[n] for n in meta["fields"]}
    stats = SweepStats(**meta["stats"])
    return SweepResult(axes=axes, values=dict(fields), fields=fields, stats=stats, out_dir=out)


# ----------------------------------------------------------------------------- config files


_NOT_SWEEPABLE_PREFIXES = ("fit_", "load_", "read_", "estimate_", "bootstrap_", "run_", "sweep", "get_", "resolve_")


def sweepable_functions() -> list[str]:
    r"""Names of public ttsim functions a sweep config may name (functions of arrays).

    .. math:: \{\, f \in \texttt{ttsim.__all__} : f \text{ is a function, not a fit/loader/runner} \,\}

    References: ttsim's sweep CLI.
    """
    import ttsim

    out = []
    for name in ttsim.__all__:
        obj = getattr(ttsim, name, None)
        if callable(obj) and not inspect.isclass(obj) and not name.startswith(_NOT_SWEEPABLE_PREFIXES):
            out.append(name)
    return sorted(out)


def resolve_sweep_function(name: str) -> Callable[..., Any]:
    r"""The public ttsim function called ``name``; ValueError listing close matches otherwise.

    .. math:: \texttt{name} \mapsto \texttt{getattr(ttsim, name)}

    References: ttsim's sweep CLI.
    """
    import ttsim

    allowed = sweepable_functions()
    if name not in allowed:
        close = difflib.get_close_matches(str(name), allowed, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; sweepable: {', '.join(allowed)}"
        raise ValueError(f"function: {name!r} is not a sweepable ttsim function{hint}")
    return getattr(ttsim, name)


class SweepConfig(NamedTuple):
    """A parsed sweep configuration (see :func:`load_sweep_config`)."""

    function: str
    fn: Callable[..., Any]
    axes: dict[str, Any]
    fixed: dict[str, Any]
    chunk_size: int
    seed: int | None
    labels: dict[str, list[str]]


def _named_object(param: str, value: str, where: str):
    """Resolve a string given for ``param`` through ``ttsim.get_<param>`` (e.g. model, hardware)."""
    import ttsim

    getter = getattr(ttsim, f"get_{param}", None)
    if getter is None:
        raise ValueError(f"{where}: string values are only allowed for parameters with a ttsim.get_{param} registry")
    try:
        return getter(value)
    except (ValueError, KeyError) as err:
        raise ValueError(f"{where}: {err}") from None


def _parse_axis(name: str, spec, where: str):
    key = f"{where}axes.{name}"
    if isinstance(spec, dict):
        unknown = set(spec) - {"start", "stop", "num", "log", "integer"}
        if unknown:
            raise ValueError(f"{key}: unknown key(s) {sorted(unknown)} (allowed: start, stop, num, log, integer)")
        for req in ("start", "stop", "num"):
            if req not in spec:
                raise ValueError(f"{key}.{req} is missing")
        for fld in ("start", "stop"):
            if not isinstance(spec[fld], (int, float)) or isinstance(spec[fld], bool):
                raise ValueError(f"{key}.{fld} must be a number; got {spec[fld]!r}")
        if not isinstance(spec["num"], int) or isinstance(spec["num"], bool) or spec["num"] < 1:
            raise ValueError(f"{key}.num must be an integer >= 1; got {spec['num']!r}")
        for fld in ("log", "integer"):
            if not isinstance(spec.get(fld, False), bool):
                raise ValueError(f"{key}.{fld} must be true or false; got {spec[fld]!r}")
        try:
            return sweep_axis(spec["start"], spec["stop"], spec["num"], log=spec.get("log", False),
                              integer=spec.get("integer", False)), None
        except ValueError as err:
            raise ValueError(f"{key}: {str(err).split(': ', 1)[-1]}") from None
    if isinstance(spec, list) and spec:
        if all(isinstance(x, str) for x in spec):
            objs = [_named_object(name, x, key) for x in spec]
            mod = importlib.import_module("ttsim")
            stack = getattr(mod, f"stack_{name}s", None) or getattr(mod, f"stack_{name}", None)
            if stack is not None:  # e.g. ttsim.stack_models: joins names, stacks the numbers
                return stack(objs), list(spec)
            return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *objs), list(spec)
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in spec):
            return np.asarray(spec), None
    raise ValueError(f"{key} must be a non-empty list of numbers (or names) or a table {{start, stop, num, log}}")


def load_sweep_config(path: str | os.PathLike) -> SweepConfig:
    r"""Parse a TOML sweep configuration.

    .. code-block:: toml

        function = "beta_coverage"      # a public ttsim function (see sweepable_functions())
        chunk_size = 65536              # optional
        seed = 0                        # optional; passes key=... to Monte Carlo functions
        [axes]
        alpha = {start = 0.05, stop = 5.0, num = 40, log = true}
        beta = [0.5, 1.0, 2.0]
        [fixed]
        k = 100

    .. math:: \text{axes} \to \prod_j A_j, \quad \text{fixed} \to \text{keyword arguments}

    Raises:
      ValueError: naming the file and the offending key (unknown function, unknown parameter,
        malformed axis, missing required parameter).

    References: ttsim's sweep CLI.
    """
    from ttsim._src.registry import read_toml

    path = os.fspath(path)
    try:
        cfg = read_toml(path, "sweep config")
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    where = f"{path}: "
    unknown = set(cfg) - {"function", "axes", "fixed", "chunk_size", "seed"}
    if unknown:
        raise ValueError(f"{where}unknown key(s) {sorted(unknown)} (allowed: function, axes, fixed, chunk_size, seed)")
    if "function" not in cfg or not isinstance(cfg["function"], str):
        raise ValueError(f"{where}function must be the name of a ttsim function")
    try:
        fn = resolve_sweep_function(cfg["function"])
    except ValueError as err:
        raise ValueError(f"{where}{err}") from None
    axes_cfg = cfg.get("axes")
    if not isinstance(axes_cfg, dict) or not axes_cfg:
        raise ValueError(f"{where}axes must be a table with at least one axis")
    fixed_cfg = cfg.get("fixed", {})
    if not isinstance(fixed_cfg, dict):
        raise ValueError(f"{where}fixed must be a table")
    chunk_size = cfg.get("chunk_size", 1 << 16)
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"{where}chunk_size must be an integer >= 1; got {chunk_size!r}")
    seed = cfg.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ValueError(f"{where}seed must be an integer; got {seed!r}")

    params = inspect.signature(fn).parameters
    has_var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for section, keys in (("axes", axes_cfg), ("fixed", fixed_cfg)):
        for name in keys:
            if name not in params and not has_var_kw:
                close = difflib.get_close_matches(name, list(params), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ValueError(
                    f"{where}{section}.{name}: {cfg['function']} has no parameter {name!r} "
                    f"(parameters: {', '.join(params)}){hint}"
                )
    both = set(axes_cfg) & set(fixed_cfg)
    if both:
        raise ValueError(f"{where}axes.{sorted(both)[0]} is also given in fixed")
    given = set(axes_cfg) | set(fixed_cfg) | ({"key"} if seed is not None else set())
    for name, p in params.items():
        if (
            p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and name not in given
        ):
            raise ValueError(f"{where}{cfg['function']} needs {name!r}: add it to axes or fixed")
    if seed is not None and "key" not in params:
        raise ValueError(f"{where}seed: {cfg['function']} takes no key (it is not a Monte Carlo function)")

    axes, labels = {}, {}
    for name, spec in axes_cfg.items():
        values, lab = _parse_axis(name, spec, where)
        axes[name] = values
        if lab is not None:
            labels[name] = lab
    fixed = {}
    for name, value in fixed_cfg.items():
        key = f"{where}fixed.{name}"
        if isinstance(value, str):
            has_registry = hasattr(importlib.import_module("ttsim"), f"get_{name}")
            fixed[name] = _named_object(name, value, key) if has_registry else value
        elif isinstance(value, (bool, int, float)):
            fixed[name] = value
        elif isinstance(value, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
            fixed[name] = np.asarray(value)
        else:
            raise ValueError(f"{key} must be a number, a list of numbers or a registry name; got {value!r}")
    return SweepConfig(cfg["function"], fn, axes, fixed, chunk_size, seed, labels)
