"""Output folders that never lose a user's files, and atomic writes.

Rules (documented for users in ``docs/promises.md``):

* A folder ttsim writes into is *ttsim's* once it holds the marker file :data:`MARKER`.
* :func:`prepare_out_dir` accepts a missing folder (creates it and the marker), an empty folder
  (adds the marker) or a folder with the marker; it refuses a non-empty folder without the marker
  unless ``force=True``, and refuses a path that is a file. It never deletes anything.
* :func:`atomic_write` writes to a temporary file in the same folder and renames it over the
  target, so an interrupted run leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

MARKER = ".ttsim-output"
"""Name of the marker file that says a folder was created (or adopted) by ttsim."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def prepare_out_dir(path, *, flag: str = "--out", force: bool = False) -> Path:
    """Create or adopt an output folder; ValueError naming ``flag`` if it is not safe to write.

    Raises:
      ValueError: the path is a file, or a non-empty folder without the ttsim marker
        (and ``force`` is false), or it cannot be created.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{flag}: {str(p)!r} is a file, not a folder; give a folder path")
    if p.is_dir():
        marked = (p / MARKER).exists()
        try:
            non_empty = any(True for _ in p.iterdir())
        except OSError as e:
            raise ValueError(f"{flag}: cannot read folder {str(p)!r}: {e.strerror or e}") from None
        if non_empty and not marked and not force:
            raise ValueError(
                f"{flag}: folder {str(p)!r} is not empty and was not created by ttsim; "
                "choose a new or empty folder, or pass --force to write into it "
                "(files ttsim did not write are never deleted)"
            )
    try:
        p.mkdir(parents=True, exist_ok=True)
        (p / MARKER).touch(exist_ok=True)
    except OSError as e:
        raise ValueError(f"{flag}: cannot create folder {str(p)!r}: {e.strerror or e}") from None
    return p


def is_ttsim_dir(path) -> bool:
    """Whether ``path`` is a folder carrying the ttsim marker."""
    return Path(path, MARKER).is_file()


@contextlib.contextmanager
def atomic_open(path, mode: str = "w", **kwargs) -> Iterator:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` on success."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the mode a plain open() would
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
