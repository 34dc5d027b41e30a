"""The CSV layer of the log readers: a file parsed block by block into trimmed text columns.

``pyarrow.csv.open_csv`` reads every column as text in blocks of ``_BLOCK`` bytes; each block's
wanted columns go to a *sink* (the format's own converter in :mod:`ttsim._src.logs_read`) and
are released. Errors name the file and the physical line, as a row-by-row reader would.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

_BLOCK = 1 << 20  # bytes per parsed block (larger blocks raise the reader's peak memory, not its speed)


def _open_check(path) -> Path:
    """The path, checked to be a readable regular file (errors name it; no traceback)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a CSV file")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as err:
        raise ValueError(f"{path}: cannot read the file ({err.strerror or err})") from None
    return path


def _bad_utf8_line(path: Path) -> int:
    """The first line of ``path`` that is not valid UTF-8 (1-based), or 0."""
    with open(path, "rb") as fh:
        for i, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return i
    return 0


def _header(path: Path) -> tuple[list[str] | None, int]:
    """The stripped header cells and the physical line it ends on (leading blank lines skipped)."""
    name = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            for cells in reader:
                if cells and any(c.strip() for c in cells):
                    return [c.strip() for c in cells], reader.line_num
    except UnicodeDecodeError:
        raise ValueError(f"{name}: line {_bad_utf8_line(path)}: not UTF-8 text") from None
    except csv.Error as err:
        raise ValueError(f"{name}: line 1: {err}") from None
    return None, 0


def _field_count_error(path: Path, header: list[str], header_line: int) -> ValueError:
    """The message for the first row whose field count differs from the header's."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        for cells in reader:
            if reader.line_num <= header_line or not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                return ValueError(
                    f"{path}: line {reader.line_num}: expected {len(header)} fields "
                    f"(header: {','.join(header)}), got {len(cells)}"
                )
    return ValueError(f"{path}: a row has the wrong number of fields (header: {','.join(header)})")


class _Column:
    """A text column accumulated block by block as int32 codes into one dictionary of strings."""

    def __init__(self):
        self.index: dict[str, int] = {}
        self.codes: list[np.ndarray] = []

    def add(self, arr) -> np.ndarray:
        import pyarrow.compute as pc

        out = []
        for chunk in getattr(arr, "chunks", [arr]):
            enc = pc.dictionary_encode(chunk)
            words = enc.dictionary.to_pylist()
            index = self.index
            remap = np.fromiter((index.setdefault(w, len(index)) for w in words), np.int64, len(words))
            out.append(remap[enc.indices.to_numpy(zero_copy_only=False)].astype(np.int32))
        codes = np.concatenate(out) if out else np.zeros(0, np.int32)
        self.codes.append(codes)
        return codes

    def words(self) -> np.ndarray:
        out = np.empty(len(self.index), dtype=object)
        out[:] = list(self.index)
        return out

    def values(self) -> np.ndarray:
        codes = np.concatenate(self.codes) if self.codes else np.zeros(0, np.int32)
        return self.words()[codes]


def _read_table(path, wanted: tuple[str, ...], make_sink):
    """Parse the file block by block: (name, header, sink, rows' lines).

    Each block's trimmed text columns (those of ``wanted`` that the header has; all-blank rows
    dropped) go to ``sink.add(columns, lines)`` and are then released, where
    ``sink = make_sink(name, header)``; ``line`` holds the physical file line of each kept row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    path = _open_check(path)
    name = str(path)
    header, header_line = _header(path)
    if header is None:
        raise ValueError(f"{name}: empty file (no header line)")
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise ValueError(f"{name}: line {header_line}: duplicate column(s) {dup}")
    bad_rows = []

    def on_bad(row):
        if row.text.strip(" \t\r\n,"):
            bad_rows.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(header))]  # header cells may be blank: own names
    # A plain buffered stream, not a memory map: mapped pages of the whole file would count in
    # the process's resident memory (a 319 MB log added ~470 MB at the first block).
    stream = pa.OSFile(str(path), "rb")
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(skip_rows=header_line, column_names=names, block_size=_BLOCK, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_bad),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    keep_cols = [c for c in wanted if c in header]
    sink = make_sink(name, header)
    lines = []
    next_line = header_line + 1
    try:
        for batch in reader:
            m = batch.num_rows
            arrays = [pc.utf8_trim_whitespace(batch.column(i)) for i in range(len(names))]
            extra = np.zeros(m, np.int64)  # newlines inside quoted values shift later rows
            for i in range(len(names)):
                col = batch.column(i)
                if pc.any(pc.match_substring(col, "\n")).as_py():
                    extra += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
            starts = next_line + np.arange(m, dtype=np.int64) + np.concatenate([[0], np.cumsum(extra)[:-1]])
            next_line += m + int(extra.sum())
            blank = np.ones(m, bool)
            for a in arrays:
                blank &= pc.equal(pc.utf8_length(a), 0).to_numpy(zero_copy_only=False)
            keep = ~blank
            mask = pa.array(keep)
            block = {}
            for c in keep_cols:
                a = arrays[header.index(c)]
                block[c] = a if keep.all() else pc.filter(a, mask)
            lines.append(starts[keep])
            sink.add(block, starts[keep])
            del block, arrays, batch
            if bad_rows:
                break
    except pa.ArrowInvalid as err:
        if "UTF8" in str(err) or "utf8" in str(err).lower():
            raise ValueError(f"{name}: line {_bad_utf8_line(path)}: not UTF-8 text") from None
        raise ValueError(f"{name}: cannot parse as CSV ({str(err).splitlines()[0]})") from None
    if bad_rows:
        raise _field_count_error(path, header, header_line)
    line = np.concatenate(lines) if lines else np.zeros(0, np.int64)
    del lines
    pa.default_memory_pool().release_unused()
    if line.size == 0:
        raise ValueError(f"{name}: no data rows after the header")
    return name, header, sink, line
