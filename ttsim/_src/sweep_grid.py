"""The grid of a sweep: axis values, the chunk layout, output field names and the fingerprint.

A sweep's grid is the Cartesian product of named axes ``A_1 x ... x A_d`` in C order (first axis
slowest). It is cut into *blocks*: every block is ``(1, ..., 1, b, n_{j+1}, ..., n_d)`` (one
index of each axis before the split axis ``j``, ``b`` consecutive indices of axis ``j``, all of
the later axes), so it is one contiguous range of flat indices AND one N-D chunk of the on-disk
store. A chunk of the computation is exactly one chunk of the store.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import numpy as np

from ttsim._src.sweep_store import FORMAT_VERSION

MAX_AXIS_LEN = 2**30  # the on-device mixed-radix add of two digits must stay in int32


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
    if num >= MAX_AXIS_LEN:
        raise ValueError(f"sweep_axis: num must be below 2**30 (an axis's length); got {num!r}")
    start, stop = float(start), float(stop)
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ValueError(f"sweep_axis: start and stop must be finite; got {start}, {stop}")
    if log:
        if start <= 0 or stop <= 0:
            raise ValueError(
                f"sweep_axis: start and stop must be > 0 with log=True; got {start}, {stop}"
            )
        out = np.geomspace(start, stop, num)
    else:
        out = np.linspace(start, stop, num)
    if integer:
        out = np.unique(np.round(out)).astype(np.int64)
    return out


def canonical_leaf(name: str, x) -> np.ndarray:
    """A host array in the sweep's dtype rule: float32 / int32, or 64-bit under ``jax_enable_x64``."""
    a = np.asarray(x)
    x64 = jax.config.jax_enable_x64
    if a.dtype == np.bool_:
        return a
    if np.issubdtype(a.dtype, np.integer):
        target = np.int64 if x64 and a.dtype.itemsize == 8 else np.int32
        info = np.iinfo(target)
        if a.size and (a.min() < info.min or a.max() > info.max):
            raise ValueError(
                f"run_sweep: {name} holds integers outside {np.dtype(target).name} "
                f"(got {a.max() if a.max() > info.max else a.min()}); give them as floats"
                + ("" if x64 else " or enable x64")
            )
        return a.astype(target)
    if np.issubdtype(a.dtype, np.floating):
        return a.astype(np.float64 if x64 and a.dtype == np.float64 else np.float32)
    raise ValueError(f"run_sweep: {name} must be numeric; got dtype {a.dtype}")


def prepare_axes(axes) -> dict[str, Any]:
    """Check the axes mapping and convert every leaf with :func:`canonical_leaf`."""
    if not isinstance(axes, Mapping) or not axes:
        raise ValueError("run_sweep: axes must be a non-empty mapping of name -> values")
    out = {}
    scalar = jax.tree_util.tree_structure(0)
    for name, values in axes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"run_sweep: axis names must be Python identifiers; got {name!r}")
        if isinstance(values, (list, tuple)) and not hasattr(values, "_fields"):
            values = np.asarray(values)  # a plain sequence of numbers, not a pytree
        leaves, treedef = jax.tree_util.tree_flatten(values)
        if not leaves:
            raise ValueError(f"run_sweep: axes[{name!r}] is empty")
        leaves = [canonical_leaf(f"axes[{name!r}]", x) for x in leaves]
        if treedef == scalar and leaves[0].ndim != 1:
            raise ValueError(f"run_sweep: axes[{name!r}] must be 1-D; got shape {leaves[0].shape}")
        lengths = {x.shape[0] if x.ndim else -1 for x in leaves}
        if len(lengths) != 1 or min(lengths) < 1:
            raise ValueError(
                f"run_sweep: axes[{name!r}] leaves must share a leading axis of length >= 1; "
                f"got shapes {[x.shape for x in leaves]}"
            )
        if next(iter(lengths)) >= MAX_AXIS_LEN:
            raise ValueError(f"run_sweep: axes[{name!r}] is longer than 2**30 values")
        out[name] = jax.tree_util.tree_unflatten(treedef, leaves)
    return out


def axis_length(values) -> int:
    return jax.tree_util.tree_leaves(values)[0].shape[0]


def axis_display(values, labels) -> np.ndarray:
    """What ``SweepResult.axes`` shows: the values of an array axis, else labels or indices."""
    leaves, treedef = jax.tree_util.tree_flatten(values)
    if labels is not None:
        return np.asarray(labels)
    if treedef == jax.tree_util.tree_structure(0):
        return leaves[0]
    return np.arange(leaves[0].shape[0])


# ----------------------------------------------------------------------------- chunk layout


class ChunkPlan(NamedTuple):
    """How the grid is cut: blocks of ``block`` indices of axis ``split_axis`` times the later axes.

    ``capacity`` is the compiled chunk length (points, a multiple of the device count); a block
    has ``block * trailing`` points or fewer (the last block of the split axis), and the rest of
    the compiled chunk repeats the block's last point and is dropped on the host.
    """

    shape: tuple[int, ...]
    split_axis: int
    block: int
    blocks_per_row: int
    trailing: int
    num_chunks: int
    capacity: int

    @property
    def num_points(self) -> int:
        return math.prod(self.shape)

    @property
    def chunk_shape(self) -> tuple[int, ...]:
        j = self.split_axis
        return (1,) * j + (self.block,) + tuple(self.shape[j + 1 :])

    def index(self, cid: int) -> tuple[int, ...]:
        """Grid multi-index of the chunk's first point."""
        j = self.split_axis
        row, b = divmod(int(cid), self.blocks_per_row)
        lead = np.unravel_index(row, self.shape[:j]) if j else ()
        return tuple(int(i) for i in lead) + (b * self.block,) + (0,) * (len(self.shape) - j - 1)

    def start(self, cid: int) -> int:
        """Flat (C-order) index of the chunk's first point."""
        return int(np.ravel_multi_index(self.index(cid), self.shape))

    def length(self, cid: int) -> int:
        """Number of grid points in chunk ``cid``."""
        b = int(cid) % self.blocks_per_row
        n = self.shape[self.split_axis]
        return (min(n, (b + 1) * self.block) - b * self.block) * self.trailing

    def region(self, cid: int) -> tuple[slice, ...]:
        """The chunk's slices of the grid (one N-D block)."""
        j = self.split_axis
        idx = self.index(cid)
        n = self.shape[j]
        lead = tuple(slice(i, i + 1) for i in idx[:j])
        return lead + (slice(idx[j], min(n, idx[j] + self.block)),) + (slice(None),) * (
            len(self.shape) - j - 1
        )

    def block_shape(self, cid: int) -> tuple[int, ...]:
        """Shape of chunk ``cid``'s block (the last block of the split axis may be shorter)."""
        j = self.split_axis
        return (1,) * j + (self.length(cid) // self.trailing,) + tuple(self.shape[j + 1 :])


def plan_chunks(shape: tuple[int, ...], chunk_size: int, num_devices: int) -> ChunkPlan:
    """Cut ``shape`` into blocks of at most ``chunk_size`` points (balanced along the split axis).

    The split axis is the first axis whose later axes hold at most ``chunk_size`` points
    together (the last axis at the latest, when ``chunk_size`` is smaller than it).
    """
    d = len(shape)
    trailing = [math.prod(shape[j + 1 :]) for j in range(d)]
    j = next(j for j in range(d) if trailing[j] <= chunk_size)
    per_block = max(1, min(shape[j], chunk_size // trailing[j]))
    blocks_per_row = -(-shape[j] // per_block)
    block = -(-shape[j] // blocks_per_row)  # balanced: all blocks but the last equal
    blocks_per_row = -(-shape[j] // block)
    points = block * trailing[j]
    capacity = -(-points // num_devices) * num_devices
    if capacity >= 2**31:
        raise ValueError("run_sweep: chunk_size must stay below 2**31 points")
    num_chunks = math.prod(shape[:j]) * blocks_per_row
    return ChunkPlan(tuple(shape), j, block, blocks_per_row, trailing[j], num_chunks, capacity)


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


def leaf_names(tree) -> list[str]:
    """Flat output field names: dict keys / NamedTuple fields joined by ``.``; ``value`` for a bare array."""
    names = [_path_name(p) for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]
    if len(set(names)) != len(names) or any("/" in n for n in names):
        names = [f"value{i}" for i in range(len(names))]  # fall back to positional names
    return names


def fn_name(fn) -> str:
    base = getattr(fn, "func", fn)  # functools.partial
    mod = getattr(base, "__module__", "?")
    return f"{mod}.{getattr(base, '__qualname__', type(base).__name__)}"


def is_static(x) -> bool:
    """Python scalars, strings and None in ``fixed`` stay Python values (static arguments)."""
    return x is None or isinstance(x, (bool, int, float, str))


def fingerprint(fn, axes, fixed, seed, shape) -> str:
    """SHA-256 of the function name, axes, fixed values, seed and grid shape."""
    h = hashlib.sha256()
    h.update(json.dumps([FORMAT_VERSION, fn_name(fn), list(shape), seed]).encode())
    for name, values in axes.items():
        h.update(name.encode())
        h.update(str(jax.tree_util.tree_structure(values)).encode())
        for leaf in jax.tree_util.tree_leaves(values):
            h.update(str(leaf.dtype).encode() + np.ascontiguousarray(leaf).tobytes())
    static = {k: x for k, x in fixed.items() if is_static(x)}
    h.update(repr(sorted(static.items())).encode())
    arrays = {k: x for k, x in fixed.items() if not is_static(x)}
    h.update(str(jax.tree_util.tree_structure(arrays)).encode())
    for leaf in jax.tree_util.tree_leaves(arrays):
        leaf = np.asarray(leaf)
        h.update(str(leaf.dtype).encode() + str(leaf.shape).encode())
        h.update(np.ascontiguousarray(leaf).tobytes())
    return h.hexdigest()
