"""Running a sweep: one compiled, vmapped chunk program streamed over the grid.

The grid is never materialised: the only per-chunk inputs of the compiled program are the
chunk's start (a multi-index), its flat start and its number of valid points; each point's
axis indices are computed on device from its offset inside the chunk. The chunk is sharded
over a 1-D device mesh (``jax.make_mesh``, ``NamedSharding``); under ``jax.distributed`` the
mesh spans every process, all processes run the same chunks in the same order, and only
process 0 writes. With ``out_dir`` each finished chunk is streamed to the zarr store of
:mod:`ttsim._src.sweep_store` and journalled with its checksum, so host memory is bounded by
the chunk, not the grid, and a killed sweep resumes bit-identically.
"""

from __future__ import annotations

import inspect
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from ttsim._src import sweep_store as st
from ttsim._src.sweep_domain import check_domains
from ttsim._src.sweep_grid import (
    FORMAT_VERSION,
    axis_display,
    axis_length,
    canonical_leaf,
    fingerprint,
    fn_name,
    is_static,
    leaf_names,
    plan_chunks,
    prepare_axes,
)
from ttsim._src.sweep_result import SweepResult, SweepStats, write_finished

# ----------------------------------------------------------------------------- device side


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
            base = jax.random.key(seed)
            keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(base, flat)
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
            raise ValueError(
                f"run_sweep: devices must be in [1, {jax.device_count()}]; got {devices}"
            )
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

        tree = multihost_utils.process_allgather(tree, tiled=True)
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _available_memory() -> int:
    """Bytes of memory available to a new allocation (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def _gib(n: int) -> str:
    return f"{n / 2**30:.3g} GiB"


def _check_sizes(specs, plan, out_path, keep_in_memory: bool) -> None:
    """One-line ValueError when the results (memory or disk) or one chunk cannot fit."""
    per_point = sum(s.nbytes(1) for s in specs)
    total = per_point * plan.num_points
    avail = _available_memory()
    chunk_bytes = 3 * per_point * plan.capacity  # device output, host copy, store buffer
    if chunk_bytes > avail:
        raise ValueError(
            f"run_sweep: one chunk needs {_gib(chunk_bytes)} of memory, {_gib(avail)} available; "
            f"use chunk_size <= {max(1, avail // (3 * per_point))}"
        )
    if keep_in_memory and total > avail // 2:
        fit = avail // 2 // per_point
        hint = "" if out_path is not None else "; pass out_dir to stream the results to disk"
        raise ValueError(
            f"run_sweep: the results need {_gib(total)} ({plan.num_points} points x {per_point} "
            f"bytes), more than half of the {_gib(avail)} of memory available; "
            f"at most {fit} points fit in memory{hint}"
        )
    if out_path is not None:
        import shutil

        free = shutil.disk_usage(out_path).free
        if total > free:
            raise ValueError(
                f"run_sweep: the results need {_gib(total)} on disk in {out_path}, only "
                f"{_gib(free)} free; at most {free // per_point} points fit"
            )


def _resume_manifest(out_path, fp: str, plan) -> dict | None:
    """The checkpoint's manifest if it is this sweep's (None if there is none); ValueError if not."""
    old = st.read_manifest(out_path)
    if old is None:
        return None
    if old["fingerprint"] != fp:
        raise ValueError(
            f"run_sweep: {out_path} holds a different sweep (function, axes, fixed or seed "
            "differ); use another out_dir or resume=False"
        )
    if old["chunk_size"] != plan.capacity or old["chunk_shape"] != list(plan.chunk_shape):
        raise ValueError(
            f"run_sweep: chunk_size differs from the checkpoint in {out_path} "
            f"({old['chunk_size']} points per chunk there, {plan.capacity} now)"
        )
    store = os.path.join(out_path, st.STORE)
    if not os.path.isdir(store):
        raise ValueError(f"run_sweep: {store} is missing; rerun without resume")
    return old


def _needs_key(fn) -> bool | None:
    """True if ``fn`` has a required ``key``, False if an optional one, None if none/unknown."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    if "key" not in params:
        return None
    return params["key"].default is inspect.Parameter.empty


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
    force: bool = False,
    domain: Mapping[str, Any] | None = None,
    in_memory: bool | None = None,
) -> SweepResult:
    r"""Evaluate ``fn`` at every point of the Cartesian product of named axes.

    .. math:: y[i_1, \dots, i_d] = f(a_1 = A_1[i_1], \dots, a_d = A_d[i_d], **\mathrm{fixed})

    The grid (``N = \prod_j |A_j|`` points, flat index in C order) is streamed in chunks of at
    most ``chunk_size`` points through one jitted, vmapped program, traced and compiled once.
    A chunk is an N-D block of the grid (one index of the leading axes, a run of one axis, all
    later axes), so it is one contiguous range of flat indices and one chunk of the on-disk
    store; the compiled chunk is padded to a multiple of the device count with copies of its
    last point and trimmed on the host. Each chunk is sharded over a 1-D mesh of ``devices``
    (all devices, across processes under ``jax.distributed``). With ``out_dir`` every finished
    chunk is written to a zarr store (``out_dir/results.zarr``, open it with
    :func:`open_sweep` or ``xarray.open_zarr``) and journalled with a checksum, so host memory
    is bounded by the chunk, not by the grid.

    Before anything is compiled, every axis value and fixed value is checked against the
    argument's domain (``p`` in [0, 1], ``k`` >= 0, ``alpha`` > 0, no NaN; see
    :mod:`ttsim._src.sweep_domain`), and the results' size against free memory or disk.

    Monte Carlo: ``fn`` with a ``key`` parameter needs ``seed``; it then receives
    ``key=fold_in(key(seed), n)`` with ``n`` the point's flat grid index, so a point's random
    stream does not depend on the chunk it lands in, the chunk size or the device count.
    Results are bit-identical for the same chunk size and device count (and across a resume);
    across chunk sizes XLA compiles a different program and values may differ in the last bit.

    Args:
      fn: function of one grid point: keyword arguments named like the axes (scalars, or one
        slice of a pytree axis), plus ``fixed`` and ``key`` (when ``seed`` is given); returns an
        array or a pytree of arrays (usually scalars). Any jit-traceable function works;
        ``ttsim.sweep.sweepable_functions()`` lists ttsim's.
      axes: ordered mapping name -> 1-D array of values (or a pytree whose leaves share a
        leading axis, e.g. a stacked ``ModelConfig``). Floats become float32 (float64 under x64),
        integers int32.
      fixed: keyword arguments passed unchanged to every call (arrays, pytrees; Python scalars
        and strings stay static).
      chunk_size: at most this many points per chunk (>= 1); bounds device and host memory.
      out_dir: folder for the store and checkpoints (``results.zarr/``, ``manifest.json``,
        ``chunks.jsonl``, ``sweep.json``, ``results.npz`` for results up to 256 MiB, and
        ``results.csv`` when ``N <= csv_max_points``). A missing or empty folder, or one ttsim wrote before; another
        non-empty folder only with ``force``. Files ttsim did not write are never deleted.
      resume: reuse the verified chunks in ``out_dir`` (the sweep must be the same: function
        name, axes, fixed values, seed and chunk size); otherwise ttsim's previous outputs in
        ``out_dir`` are replaced.
      seed: integer seed for Monte Carlo functions (grids below 2**32 points).
      progress: show a tqdm bar with points/s (process 0 only).
      devices: ``None`` (all devices), a number of local devices, or a device list.
      labels: optional display values for axes (e.g. model names for a pytree axis).
      csv_max_points: write the tidy CSV only up to this many points.
      on_chunk: called as ``on_chunk(chunk_id, stats)`` after each chunk is stored.
      force: write into a non-empty folder ttsim did not create.
      domain: mapping argument name -> ``ttsim.sweep.Domain`` overriding the built-in domains.
      in_memory: return NumPy arrays (True) or lazy zarr arrays (False); default: NumPy without
        ``out_dir`` or when the results take at most 256 MiB.

    Returns:
      :class:`SweepResult` with the axes, the output pytree with leaves of shape
      ``grid_shape + leaf_shape``, flat ``fields``, :class:`SweepStats` and per-field summaries.

    Raises:
      ValueError: on empty / non-1-D axes, a value outside an argument's domain, a bad
        ``chunk_size``, ``resume`` without ``out_dir``, an unsafe ``out_dir``, results that do not
        fit, a function that cannot be traced, or a checkpoint from a different sweep.

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
    if (
        not isinstance(chunk_size, (int, np.integer))
        or isinstance(chunk_size, bool)
        or chunk_size < 1
    ):
        raise ValueError(f"run_sweep: chunk_size must be an integer >= 1; got {chunk_size!r}")
    if resume and out_dir is None:
        raise ValueError("run_sweep: resume=True needs out_dir")
    if seed is not None and (
        not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**32
    ):
        raise ValueError(f"run_sweep: seed must be an integer in [0, 2**32) or None; got {seed!r}")
    axes = prepare_axes(axes)
    names = tuple(axes)
    fixed = dict(fixed or {})
    clash = set(fixed) & set(names)
    if clash:
        raise ValueError(f"run_sweep: {sorted(clash)} given both as axes and in fixed")
    if seed is not None and "key" in set(fixed) | set(names):
        raise ValueError("run_sweep: 'key' is passed by the sweep when seed is given")
    if seed is None and _needs_key(fn) and "key" not in set(fixed) | set(names):
        raise ValueError(
            f"run_sweep: {fn_name(fn)} is a Monte Carlo function (it needs key): pass seed=<int>"
        )
    labels = dict(labels or {})
    for name in labels:
        if name not in axes:
            raise ValueError(f"run_sweep: labels[{name!r}] names no axis")
        if len(labels[name]) != axis_length(axes[name]):
            raise ValueError(f"run_sweep: labels[{name!r}] must have one label per axis value")
    check_domains(fn, axes, fixed, domain)

    shape = tuple(axis_length(axes[n]) for n in names)
    num_points = math.prod(shape)
    if seed is not None and num_points >= 2**32:
        raise ValueError(
            "run_sweep: seeded sweeps are limited to 2**32 points (the key folds in a uint32 index)"
        )
    devs = _resolve_devices(devices)
    ndev = len(devs)
    nproc = jax.process_count()
    multiprocess = nproc > 1
    is_writer = jax.process_index() == 0
    plan = plan_chunks(shape, int(chunk_size), ndev)
    chunk = plan.capacity
    fp = fingerprint(fn, axes, fixed, seed, shape)
    out_path = os.fspath(out_dir) if out_dir is not None else None
    if out_path is not None and is_writer:
        st.open_out_dir(out_path, force=force)  # before any expensive work
        if resume and not multiprocess:  # (multi-process: process 0 reports it to all, below)
            _resume_manifest(out_path, fp, plan)

    # ---- mesh, placement and the single trace
    mesh = jax.make_mesh(
        (ndev,), ("grid",), axis_types=(jax.sharding.AxisType.Auto,), devices=devs
    )
    replicated = NamedSharding(mesh, P())
    offsets = _place(np.arange(chunk, dtype=np.int32), NamedSharding(mesh, P("grid")), multiprocess)
    axis_values = _place({n: axes[n] for n in names}, replicated, multiprocess)
    static_fixed = {k: x for k, x in fixed.items() if is_static(x)}
    array_fixed = {
        k: jax.tree_util.tree_map(lambda a, k=k: canonical_leaf(f"fixed[{k!r}]", a), x)
        for k, x in fixed.items()
        if not is_static(x)
    }
    array_fixed = _place(array_fixed, replicated, multiprocess)
    seed_arg = np.uint32(seed if seed is not None else 0)
    traces = [0]
    chunk_fn = _make_chunk_fn(fn, names, shape, seed is not None, static_fixed, traces)

    def chunk_args(cid: int):
        digits = np.asarray(plan.index(cid), dtype=np.int32).reshape(len(shape))
        start = plan.start(cid)
        remaining = np.int32(plan.length(cid))
        return offsets, digits, remaining, np.uint32(start % 2**32), seed_arg, axis_values, array_fixed

    t0 = time.perf_counter()
    try:
        lowered = jax.jit(chunk_fn).lower(*chunk_args(0))
    except Exception as err:  # noqa: BLE001 - a user function failing under jit: one line
        raise ValueError(
            f"run_sweep: {fn_name(fn)} cannot be evaluated under jax.jit "
            f"({type(err).__name__}: {_first_line(err)})"
        ) from err
    info_leaves, out_tree = jax.tree_util.tree_flatten(lowered.out_info)
    field_names = leaf_names(jax.tree_util.tree_unflatten(out_tree, [0] * len(info_leaves)))
    for nm, info in zip(field_names, info_leaves):
        if info.shape[:1] != (chunk,):
            raise ValueError(f"run_sweep: output {nm!r} of fn is not an array per point")
    specs = st.field_specs(field_names, info_leaves, names)
    total_bytes = sum(s.nbytes(num_points) for s in specs)
    keep = (out_path is None or total_bytes <= st.IN_MEMORY_BYTES) if in_memory is None else in_memory
    if out_path is None and not keep:
        raise ValueError("run_sweep: in_memory=False needs out_dir")
    disk_check = out_path if is_writer and not (resume and st.read_manifest_exists(out_path)) else None
    _check_sizes(specs, plan, disk_check, keep)
    compiled = lowered.compile()
    compile_seconds = time.perf_counter() - t0

    buffers = [np.empty((num_points,) + s.shape, dtype=s.dtype) for s in specs] if keep else None
    summaries = {s.name: st.FieldSummary() for s in specs}
    shown_axes = {n: axis_display(axes[n], labels.get(n)) for n in names}

    def absorb(cid: int, host) -> None:
        start, valid = plan.start(cid), plan.length(cid)
        for s, arr in zip(specs, host):
            summaries[s.name].add(arr)
        if buffers is not None:
            for buf, arr in zip(buffers, host):
                buf[start : start + valid] = arr

    # ---- checkpoint state
    done = np.zeros(plan.num_chunks, dtype=bool)
    store = None
    rejected: list[str] = []
    bad_lines: list[str] = []
    if out_path is not None:
        store = st.SweepStore(out_path, plan, specs, names)
        header = {
            "version": FORMAT_VERSION,
            "fingerprint": fp,
            "function": fn_name(fn),
            "shape": list(shape),
            "num_points": num_points,
            "chunk_size": chunk,
            "chunk_shape": list(plan.chunk_shape),
            "num_chunks": plan.num_chunks,
            "fields": [s.name for s in specs],
            "journal": st.JOURNAL,
            "store": st.STORE,
            "complete": False,
        }
        error = None
        if is_writer:
            try:
                old = _resume_manifest(out_path, fp, plan) if resume else None
                if old is not None:
                    good, rejected, bad_lines = store.verified_chunks(absorb)
                    store.write_header(header)  # "complete": false until this run finishes
                    done[good] = True
                else:
                    attrs = {"ttsim_function": fn_name(fn), "seed": seed, "fingerprint": fp}
                    st.clear_outputs(out_path)  # ttsim's previous outputs, only now
                    store.create(shown_axes, attrs, header)
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
            if not is_writer and buffers is not None:
                for cid in np.flatnonzero(done):  # resumed chunks: readable with a shared disk
                    try:
                        absorb(int(cid), store.read_chunk(int(cid)))
                    except Exception:  # noqa: BLE001 - no shared file system
                        pass
    if (rejected or bad_lines) and is_writer:
        parts = []
        if rejected:
            parts.append(
                f"recomputing {len(rejected)} stored chunk(s) that failed verification: "
                + "; ".join(rejected[:5]) + (" ..." if len(rejected) > 5 else "")
            )
        if bad_lines:
            parts.append(f"ignored {len(bad_lines)} malformed journal line(s): "
                         + ", ".join(bad_lines[:5]) + (" ..." if len(bad_lines) > 5 else ""))
        warnings.warn(f"run_sweep: {out_path}: " + "; ".join(parts), RuntimeWarning, stacklevel=2)

    todo = [int(c) for c in np.flatnonzero(~done)]
    resumed = plan.num_chunks - len(todo)
    from tqdm.auto import tqdm

    bar = tqdm(
        total=num_points,
        initial=num_points - sum(plan.length(c) for c in todo),
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
            num_chunks=plan.num_chunks,
            chunk_size=chunk,
            num_devices=ndev,
            num_processes=nproc,
            chunks_computed=computed[0],
            chunks_resumed=resumed,
            num_traces=traces[0],
            compile_seconds=compile_seconds,
            run_seconds=elapsed,
            points_per_second=pts / elapsed if elapsed > 0 else 0.0,
            chunks_rejected=len(rejected),
        )

    def finish(cid: int, out) -> None:
        valid = plan.length(cid)
        host = [a[:valid] for a in _to_host(out, multiprocess)]
        absorb(cid, host)
        if store is not None and is_writer:
            store.write_chunk(cid, host)
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
        if store is not None:
            store.close()
    stats = stats_now()
    summary = {name: s.asdict() for name, s in summaries.items()}

    if buffers is not None:
        grid = [b.reshape(shape + b.shape[1:]) for b in buffers]
    else:
        try:
            grid = store.open_arrays()
        except Exception as err:  # noqa: BLE001 - e.g. another process's disk
            raise ValueError(
                f"run_sweep: the results are too large to return in memory and {out_path} cannot "
                f"be read here ({_first_line(err)}); read them on process 0"
            ) from None
    values = jax.tree_util.tree_unflatten(out_tree, grid)
    fields = dict(zip(field_names, grid))
    result = SweepResult(shown_axes, values, fields, stats, out_path, summary)
    if store is not None and is_writer:
        write_finished(result, specs, fn, seed, fp, header, csv_max_points)
    return result
