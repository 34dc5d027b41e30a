"""The few zarr calls a sweep store makes, for zarr 3 (Python >= 3.11) and zarr 2.18 (Python 3.10).

zarr 3 needs Python 3.11; ttsim supports Python 3.10, where zarr 2.18 is the newest release.
Both write stores that ``xarray.open_zarr`` reads with the same named dimensions: zarr 3 through
``dimension_names`` (format 3), zarr 2 through the ``_ARRAY_DIMENSIONS`` attribute (format 2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def zarr_major() -> int:
    """Major version of the installed zarr."""
    import zarr

    return int(str(zarr.__version__).split(".")[0])


def create_group(path, attributes: dict):
    """A new (overwritten) group at ``path`` carrying ``attributes``."""
    import zarr

    if zarr_major() >= 3:
        return zarr.open_group(str(path), mode="w", attributes=attributes)
    group = zarr.open_group(str(path), mode="w")
    group.attrs.update(attributes)
    return group


def create_array(group, name: str, *, shape, chunks, dtype, dims, fill_value, attributes=None):
    """An uncompressed array with named dimensions in ``group``."""
    attributes = dict(attributes or {})
    if zarr_major() >= 3:
        return group.create_array(
            name, shape=shape, chunks=chunks, dtype=dtype, dimension_names=list(dims),
            compressors=None, fill_value=fill_value, attributes=attributes,
        )
    if dtype is str:
        dtype = np.dtype("U256")
    arr = group.create_dataset(name, shape=shape, chunks=chunks, dtype=dtype, compressor=None,
                               fill_value=fill_value, overwrite=True)
    arr.attrs.update({"_ARRAY_DIMENSIONS": list(dims), **attributes})
    return arr


def chunk_path(store_path, array: str, grid_index) -> Path:
    """The file holding chunk ``grid_index`` (one index per dimension) of ``array``."""
    parts = [str(int(i)) for i in grid_index]
    if zarr_major() >= 3:
        return Path(store_path, array, "c", *parts)
    return Path(store_path, array, ".".join(parts))


def is_store(store_path) -> bool:
    """Whether ``store_path`` holds a zarr group (format 3 or 2)."""
    return Path(store_path, "zarr.json").is_file() or Path(store_path, ".zgroup").is_file()
