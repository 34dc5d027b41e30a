"""The on-disk side of a sweep: a chunked zarr store, a chunk journal, checksums and summaries.

Layout of ``out_dir`` (every file written atomically: temporary file + rename):

* ``results.zarr/`` — a zarr (format 3) group with one array per output field, shaped
  ``grid_shape + leaf_shape`` with named dimensions (the axis names), and one coordinate array
  per axis. Every computed chunk is one zarr chunk. ``xarray.open_zarr(out_dir + "/results.zarr")``
  or :func:`open_sweep` opens it as an ``xarray.Dataset``.
* ``manifest.json`` — what the sweep is (fingerprint, grid, chunk layout, fields); written once
  at the start, and again with ``"complete": true`` at the end.
* ``chunks.jsonl`` — the journal: one line per stored chunk, ``{"chunk", "start", "length",
  "checksum"}`` (BLAKE2b over chunk id, length and the chunk's bytes), appended and ``fsync``-ed
  after the chunk's data is on disk. A resume trusts a chunk only if its line parses, matches
  the layout, and the stored bytes hash to the recorded checksum; everything else is recomputed.
* ``sweep.json`` — axes, fields, stats and per-field summaries (min, max, mean, non-finite count)
  of a finished sweep; ``results.npz`` (kept for compatibility) only for results of at most
  :data:`IN_MEMORY_BYTES`, and ``results.csv`` (a tidy table) only for grids of at most
  ``csv_max_points`` points.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ttsim._src import zarr_compat as zc
from ttsim._src.outdir import atomic_open, atomic_write_text, is_ttsim_dir, prepare_out_dir

if TYPE_CHECKING:  # this module imports no JAX, so the CLI can check --out before loading it
    from ttsim._src.sweep_grid import ChunkPlan

FORMAT_VERSION = 2
"""Version of the on-disk sweep format (manifest, journal, store layout)."""

MANIFEST = "manifest.json"
JOURNAL = "chunks.jsonl"
META = "sweep.json"
STORE = "results.zarr"
CSV = "results.csv"
NPZ = "results.npz"
OUTPUTS = (MANIFEST, JOURNAL, META, STORE, CSV, NPZ)

IN_MEMORY_BYTES = 256 << 20
"""Results up to this size come back as NumPy arrays; larger ones stay on disk (zarr arrays)."""


class FieldSpec(NamedTuple):
    """One output leaf: its flat name, the zarr array holding it, per-point shape and dtype."""

    name: str
    array: str
    shape: tuple[int, ...]
    dtype: np.dtype

    def nbytes(self, num_points: int) -> int:
        return num_points * math.prod(self.shape) * np.dtype(self.dtype).itemsize


def field_specs(names, infos, axis_names) -> list[FieldSpec]:
    """Specs from the output names and the lowered program's ``out_info`` leaves."""
    taken = set(axis_names)
    out = []
    for name, info in zip(names, infos):
        array = name
        while array in taken or array.startswith("__") or set(array) <= {"."}:
            array = f"out_{array}"
        taken.add(array)
        out.append(FieldSpec(name, array, tuple(info.shape[1:]), np.dtype(info.dtype)))
    return out


def checksum(cid: int, length: int, arrays) -> str:
    """BLAKE2b-128 of the chunk id, its length and the bytes of its arrays (C order)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{int(cid)}:{int(length)}".encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


class FieldSummary:
    """Running min / max / sum / non-finite count of one field, chunk by chunk (float64)."""

    def __init__(self) -> None:
        self.count = 0
        self.nonfinite = 0
        self.total = 0.0
        self.lo = math.inf
        self.hi = -math.inf

    def add(self, a: np.ndarray) -> None:
        a = np.asarray(a, dtype=np.float64).reshape(-1)
        fin = np.isfinite(a)
        n_fin = int(fin.sum())
        self.nonfinite += a.size - n_fin
        if n_fin:
            f = a[fin] if n_fin < a.size else a
            self.count += n_fin
            self.total += float(f.sum())
            self.lo = min(self.lo, float(f.min()))
            self.hi = max(self.hi, float(f.max()))

    def asdict(self) -> dict:
        ok = self.count > 0
        return {
            "min": self.lo if ok else None,
            "max": self.hi if ok else None,
            "mean": self.total / self.count if ok else None,
            "num_nonfinite": self.nonfinite,
        }


# ----------------------------------------------------------------------------- folder


def open_out_dir(path, *, force: bool, flag: str = "out_dir") -> Path:
    """Create or adopt the output folder (see :func:`ttsim._src.outdir.prepare_out_dir`).

    A foreign folder (``force=True``) that already holds a file with one of the output names is
    refused: ttsim never overwrites a file it did not write.
    """
    p = Path(path)
    ours = is_ttsim_dir(p)
    prepare_out_dir(p, flag=flag, force=force)
    present = [name for name in OUTPUTS if (p / name).exists()]
    if not ours and present:
        raise ValueError(
            f"{flag}: {str(p / present[0])!r} was not written by ttsim; move it away or "
            "choose another folder (ttsim never overwrites files it did not write)"
        )
    return p


def clear_outputs(path) -> None:
    """Remove ttsim's previous sweep outputs from ``path`` (a folder carrying the ttsim marker)."""
    p = Path(path)
    if not is_ttsim_dir(p):
        return
    for name in OUTPUTS:
        target = p / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


# ----------------------------------------------------------------------------- store


class SweepStore:
    """The zarr store and journal of one sweep in ``root`` (see the module docstring)."""

    def __init__(self, root, plan: ChunkPlan, fields: list[FieldSpec], axis_names):
        self.root = Path(root)
        self.plan = plan
        self.fields = fields
        self.axis_names = tuple(axis_names)
        self._group = None
        self._journal = None

    # -- paths
    @property
    def store_path(self) -> Path:
        return self.root / STORE

    def chunk_file(self, cid: int, field: FieldSpec | None = None) -> str:
        """Path of chunk ``cid``'s file of ``field`` (the first field by default)."""
        field = field or self.fields[0]
        idx = self.plan.index(cid)
        grid_idx = [i // c for i, c in zip(idx, self.plan.chunk_shape)]
        return str(zc.chunk_path(self.store_path, field.array, grid_idx + [0] * len(field.shape)))

    # -- creation
    def create(self, axes_display: dict, attrs: dict, header: dict) -> None:
        """Create the zarr arrays and coordinates, the manifest header and an empty journal."""
        group = zc.create_group(self.store_path, attrs)
        for name, values in axes_display.items():
            values = np.asarray(values)
            dtype = str if values.dtype.kind in "US" else values.dtype
            coord = zc.create_array(group, name, shape=values.shape, chunks=values.shape, dtype=dtype,
                                    dims=[name], fill_value=None)
            coord[...] = values
        for f in self.fields:
            extra = [f"{f.array}_dim{i}" for i in range(len(f.shape))]
            fill = np.nan if np.issubdtype(f.dtype, np.floating) else 0
            zc.create_array(
                group,
                f.array,
                shape=self.plan.shape + f.shape,
                chunks=self.plan.chunk_shape + f.shape,
                dtype=f.dtype,
                dims=list(self.axis_names) + extra,
                fill_value=fill,
                attributes={"ttsim_field": f.name},
            )
        self._group = group
        atomic_write_text(self.root / MANIFEST, json.dumps(header, indent=1))
        atomic_write_text(self.root / JOURNAL, "")

    def write_header(self, header: dict) -> None:
        """Rewrite ``manifest.json`` (atomically)."""
        atomic_write_text(self.root / MANIFEST, json.dumps(header, indent=1))

    def _arrays(self):
        if self._group is None:
            import zarr

            self._group = zarr.open_group(str(self.store_path), mode="r+")
        return [self._group[f.array] for f in self.fields]

    def open_arrays(self, *, writable: bool = False) -> list:
        """The fields' zarr arrays (lazy; read-only unless ``writable``)."""
        if writable:
            return self._arrays()
        import zarr

        group = zarr.open_group(str(self.store_path), mode="r")
        return [group[f.array] for f in self.fields]

    # -- chunks
    def write_chunk(self, cid: int, host: list[np.ndarray]) -> str:
        """Write chunk ``cid`` (one ``(length, *leaf)`` array per field) and journal it."""
        plan = self.plan
        length = plan.length(cid)
        region = plan.region(cid)
        bshape = plan.block_shape(cid)
        for arr, f, a in zip(self._arrays(), self.fields, host):
            arr[region] = a.reshape(bshape + f.shape)
        digest = checksum(cid, length, host)
        line = json.dumps(
            {"chunk": int(cid), "start": plan.start(cid), "length": length, "checksum": digest}
        )
        if self._journal is None:
            self._journal = open(self.root / JOURNAL, "a", encoding="utf-8")  # noqa: SIM115
        self._journal.write(line + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        return digest

    def read_chunk(self, cid: int) -> list[np.ndarray]:
        """Chunk ``cid`` of every field, as ``(length, *leaf)`` arrays."""
        length = self.plan.length(cid)
        region = self.plan.region(cid)
        return [
            np.asarray(arr[region]).reshape((length,) + f.shape)
            for arr, f in zip(self._arrays(), self.fields)
        ]

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    # -- resume
    def journal_records(self) -> tuple[dict[int, str], list[str]]:
        """Valid journal lines (last one per chunk wins) and a description of each rejected line."""
        path = self.root / JOURNAL
        records: dict[int, str] = {}
        rejected: list[str] = []
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return records, rejected
        except OSError as err:
            raise ValueError(f"run_sweep: cannot read {path}: {err.strerror or err}") from None
        plan = self.plan
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                cid = rec["chunk"]
                ok = (
                    isinstance(cid, int) and not isinstance(cid, bool)
                    and 0 <= cid < plan.num_chunks
                    and rec["start"] == plan.start(cid)
                    and rec["length"] == plan.length(cid)
                    and isinstance(rec["checksum"], str)
                )
            except (ValueError, KeyError, TypeError):
                ok = False
            if ok:
                records[cid] = rec["checksum"]
            else:
                rejected.append(f"{JOURNAL} line {lineno}")
        return records, rejected

    def verified_chunks(self, on_chunk_data=None) -> tuple[list[int], list[str], list[str]]:
        """Chunks whose stored bytes match the journal's checksum, the chunks rejected (and why),
        and the malformed journal lines ignored.

        ``on_chunk_data(cid, arrays)`` sees each verified chunk's data (for summaries). The
        journal is rewritten (atomically) with the verified chunks only.
        """
        records, bad_lines = self.journal_records()
        good, rejected = [], []
        for cid in sorted(records):
            try:
                data = self.read_chunk(cid)
            except Exception as err:  # noqa: BLE001 - any unreadable / corrupt chunk is recomputed
                rejected.append(
                    f"chunk {cid} ({self.chunk_file(cid)}: {type(err).__name__})"
                )
                continue
            if checksum(cid, self.plan.length(cid), data) != records[cid]:
                rejected.append(f"chunk {cid} ({self.chunk_file(cid)}: checksum mismatch)")
                continue
            good.append(cid)
            if on_chunk_data is not None:
                on_chunk_data(cid, data)
        lines = [
            json.dumps({"chunk": c, "start": self.plan.start(c), "length": self.plan.length(c),
                        "checksum": records[c]})
            for c in good
        ]
        atomic_write_text(self.root / JOURNAL, "".join(line + "\n" for line in lines))
        return good, rejected, bad_lines


def read_manifest_exists(root) -> bool:
    return (Path(root) / MANIFEST).is_file()


def read_manifest(root) -> dict | None:
    """The manifest of ``root`` (None if absent); one-line ValueError naming a malformed field."""
    path = Path(root) / MANIFEST
    if not path.exists():
        return None
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"run_sweep: cannot read {path}: {err}") from None
    if not isinstance(m, dict):
        raise ValueError(f"run_sweep: {path} is not a sweep manifest (not a JSON object)")
    if m.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"run_sweep: {path} was written by another ttsim sweep format "
            f"(version {m.get('version')!r}, this ttsim writes {FORMAT_VERSION}); "
            "rerun without resume"
        )
    checks = {
        "fingerprint": lambda v: isinstance(v, str),
        "chunk_size": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "chunk_shape": lambda v: isinstance(v, list) and all(isinstance(x, int) for x in v),
    }
    for key, ok in checks.items():
        if not ok(m.get(key)):
            raise ValueError(
                f"run_sweep: {path}: field {key!r} is missing or malformed ({m.get(key)!r}); "
                "rerun without resume"
            )
    return m


# ----------------------------------------------------------------------------- small outputs


def write_small_outputs(root, axes_display: dict, fields: dict, num_points: int, *, npz: bool,
                        csv: bool) -> None:
    """``results.npz`` (results that fit in memory) and ``results.csv`` (small grids), atomically."""
    root = Path(root)
    if npz:
        arrays = {f"axis:{n}": a for n, a in axes_display.items()}
        arrays.update(fields)
        with atomic_open(root / NPZ, "wb") as fh:
            np.savez(fh, **arrays)
    if csv:
        with atomic_open(root / CSV, "w", encoding="utf-8", newline="") as fh:
            _write_csv(fh, axes_display, fields, num_points)


def _column(a: np.ndarray) -> list:
    """CSV cells: shortest round-trip text for floats of the array's own precision."""
    if np.issubdtype(a.dtype, np.floating):
        return [str(x) for x in a]
    return a.tolist()


def _write_csv(fh, axes_display: dict, fields: dict, num_points: int) -> None:
    shape = tuple(len(a) for a in axes_display.values())
    idx = np.unravel_index(np.arange(num_points), shape)
    cols, headers = [], []
    for (name, a), i in zip(axes_display.items(), idx):
        headers.append(name)
        cols.append(_column(np.asarray(a)[i]))
    for name, a in fields.items():
        a = np.asarray(a)
        flat = a.reshape(num_points, -1)
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


# ----------------------------------------------------------------------------- reading back


def store_path_of(path) -> Path:
    """``path`` itself if it is a ``.zarr`` store, else ``path/results.zarr``."""
    p = Path(path)
    return p if p.suffix == ".zarr" else p / STORE


def open_sweep(path):
    r"""Open a sweep's store as an ``xarray.Dataset`` (lazy: nothing is read until used).

    .. math:: \text{ds}[\text{field}].\text{sel}(a_1 = x_1, \dots) = f(x_1, \dots)_{\text{field}}

    Args:
      path: the sweep's ``out_dir`` or its ``results.zarr`` store.

    Returns:
      ``xarray.Dataset`` with one data variable per output field, dimensions named by the axes
      and coordinates holding the axis values (labels for named axes such as models). Chunks not
      computed yet (an interrupted sweep) read as NaN (0 for integer fields).

    Raises:
      ValueError: if there is no sweep store at ``path``.

    References: companion of :func:`run_sweep`; the store is zarr format 3 (zarr-specs).
    """
    import xarray

    store = store_path_of(path)
    if not zc.is_store(store):
        raise ValueError(f"open_sweep: {str(store)!r} is not a sweep store (no zarr group there)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ds = xarray.open_zarr(str(store), consolidated=False, mask_and_scale=False)
    renames = {v: ds[v].attrs["ttsim_field"] for v in ds.data_vars
               if ds[v].attrs.get("ttsim_field", v) != v and ds[v].attrs["ttsim_field"] not in ds}
    return ds.rename(renames) if renames else ds


def read_fields(root, meta: dict, *, in_memory: bool | None = None) -> dict[str, Any]:
    """Field arrays of a sweep store: NumPy when small (or asked), else lazy zarr arrays."""
    import zarr

    group = zarr.open_group(str(store_path_of(root)), mode="r")
    out = {}
    total = sum(int(np.prod(f["shape"])) * np.dtype(f["dtype"]).itemsize
                for f in meta["fields"].values())
    load = total <= IN_MEMORY_BYTES if in_memory is None else in_memory
    for name, spec in meta["fields"].items():
        arr = group[spec.get("array", name)]
        out[name] = np.asarray(arr[...]) if load else arr
    return out
