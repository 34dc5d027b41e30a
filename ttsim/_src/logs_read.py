"""Reading sample logs and per-problem counts (columnar, with pyarrow's CSV reader).

Two CSV formats are read (see ``docs/estimators.md``):

* sample rows ``problem,sample,answer,correct[,tokens][,confidence]`` -- one row per generated
  sample; ``answer``, ``tokens`` and ``confidence`` may be empty (an empty answer does not vote);
* per-problem counts ``problem,n_samples,n_correct``.

Extra columns are allowed; one of them may split the file into groups (``group_by``, e.g. the
``model`` column of the Large Language Monkeys counts). This module and its CSV layer
:mod:`ttsim._src.logs_csv` are the only ones of ``ttsim._src`` that read log files; the
estimators work on the parsed logs.

The file is parsed in blocks by ``pyarrow.csv.open_csv`` (every column as text; see
:mod:`ttsim._src.logs_csv`) and each block is validated by vectorised checks; the first bad row is then reported with its file line and
column, as a row-by-row reader would. Strings are stored once (dictionary-encoded) and shared
by the object arrays of :class:`SampleLog`, so memory grows by a few tens of bytes per row.
"""

from __future__ import annotations

import math
import weakref
from typing import NamedTuple

import numpy as np

from ttsim._src.logs_csv import _Column, _header, _open_check, _read_table

SAMPLE_COLUMNS = ("problem", "sample", "answer", "correct", "tokens")
OPTIONAL_SAMPLE_COLUMNS = ("tokens", "confidence")
COUNT_COLUMNS = ("problem", "n_samples", "n_correct")
_REQUIRED_SAMPLE_COLUMNS = ("problem", "sample", "answer", "correct")
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


class Counts(NamedTuple):
    """Per-problem counts: problem ids, samples ``n`` and correct samples ``c`` (int64 arrays).

    ``source`` names where the counts came from (a file, or a file and group) and ``line``
    (``(P,)`` int64 or None) the file line of each problem's row (its first row in a sample
    log), for messages.
    """

    problem: list[str]
    n: np.ndarray
    c: np.ndarray
    source: str = ""
    line: np.ndarray | None = None


class SampleLog(NamedTuple):
    """One row per generated sample, in file order (all arrays have one entry per row).

    Attributes:
      problem, sample, answer: ``(R,)`` object arrays of strings (``answer == ""``: no answer).
      correct: ``(R,)`` int8 array of 0/1.
      tokens: ``(R,)`` float64 array, NaN where the log gives no token count.
      source: the file (and group) the rows came from, for messages.
      line: ``(R,)`` int64 file line of each row (or None), for messages.
      confidence: ``(R,)`` float64 score per sample (any real number, higher = more confident;
        NaN where empty), or None when the log has no ``confidence`` column.
    """

    problem: np.ndarray
    sample: np.ndarray
    answer: np.ndarray
    correct: np.ndarray
    tokens: np.ndarray
    source: str = ""
    line: np.ndarray | None = None
    confidence: np.ndarray | None = None


# ---------------------------------------------------------------------------- the formats


def _require(name: str, header: list[str], required, kind: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(
            f"{name}: missing column(s) {', '.join(missing)} for a {kind} file "
            f"(expected {','.join(required)}; found {','.join(header)})"
        )


def _concat(blocks):
    import pyarrow as pa

    return pa.chunked_array(blocks, type=pa.string()) if blocks else pa.chunked_array([], type=pa.string())


class _Bad:
    """The first bad row found so far: (row index, column order, message)."""

    def __init__(self):
        self.best = None

    def offer(self, rows: np.ndarray, order: int, message) -> None:
        if rows.size:
            r = int(rows[0])
            if self.best is None or (r, order) < self.best[:2]:
                self.best = (r, order, message(r))

    def raise_first(self) -> None:
        if self.best is not None:
            raise ValueError(self.best[2])


def _numbers(arr, *, empty_ok: bool) -> tuple[np.ndarray, np.ndarray]:
    """Float64 values of a trimmed text column (NaN where empty) and the rows that are not numbers."""
    import pyarrow.compute as pc

    is_num = pc.match_substring_regex(arr, _NUMBER).to_numpy(zero_copy_only=False)
    empty = pc.equal(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False)
    values = np.full(len(arr), np.nan)
    if is_num.any():
        values[is_num] = pc.cast(pc.filter(arr, is_num), "float64").to_numpy(zero_copy_only=False)
    bad = ~is_num & ~(empty & empty_ok)
    bad |= is_num & ~np.isfinite(values)
    return values, np.nonzero(bad)[0]


class _TextSink:
    """Keeps each column's text (small files: per-problem counts)."""

    def __init__(self, name, header):
        _require(name, header, COUNT_COLUMNS, "counts")
        self.blocks: dict[str, list] = {}

    def add(self, block: dict, lines: np.ndarray) -> None:
        for c, a in block.items():
            self.blocks.setdefault(c, []).append(a)

    def columns(self) -> dict:
        return {c: _concat(b) for c, b in self.blocks.items()}


class _SampleSink:
    """Converts each block of a sample log to compact arrays as it arrives (codes, int8, float64)
    and records the first bad cell in file order; the text itself is not kept."""

    def __init__(self, name, header):
        _require(name, header, _REQUIRED_SAMPLE_COLUMNS, "sample-log")
        self.name = name
        self.has = set(header)
        self.columns: dict[str, _Column] = {}
        self.parts: dict[str, list] = {"correct": [], "tokens": [], "confidence": []}
        self.bad = _Bad()
        self.rows = 0

    def _codes(self, c, a):
        return self.columns.setdefault(c, _Column()).add(a)

    def add(self, block: dict, lines: np.ndarray) -> None:
        import pyarrow.compute as pc

        name, r0, bad = self.name, self.rows, self.bad
        for c, a in block.items():
            if c not in ("correct", "tokens", "confidence"):
                self._codes(c, a)
        problem = block["problem"]
        empty = np.nonzero(pc.equal(pc.utf8_length(problem), 0).to_numpy(zero_copy_only=False))[0]
        bad.offer(empty + r0, 0, lambda r: f"{name}: line {lines[r - r0]}: column problem: empty problem id")
        raw = block["correct"]
        flag = pc.utf8_lower(raw)
        is_true = pc.is_in(flag, value_set=_pa_set("1", "true")).to_numpy(zero_copy_only=False)
        is_false = pc.is_in(flag, value_set=_pa_set("0", "false")).to_numpy(zero_copy_only=False)
        bad.offer(
            np.nonzero(~(is_true | is_false))[0] + r0, 2,
            lambda r: f"{name}: line {lines[r - r0]}: column correct: expected 0 or 1, got {raw[r - r0].as_py()!r}",
        )
        self.parts["correct"].append(is_true.astype(np.int8))
        if "tokens" in block:
            raw_t = block["tokens"]
            tokens, wrong = _numbers(raw_t, empty_ok=True)
            wrong = np.union1d(wrong, np.nonzero(tokens < 0)[0])
            bad.offer(wrong + r0, 3, lambda r: f"{name}: line {lines[r - r0]}: column tokens: expected a count >= 0 or empty, got {raw_t[r - r0].as_py()!r}")
            self.parts["tokens"].append(tokens)
        if "confidence" in block:
            raw_c = block["confidence"]
            conf, wrong = _numbers(raw_c, empty_ok=True)
            bad.offer(wrong + r0, 4, lambda r: f"{name}: line {lines[r - r0]}: column confidence: expected a finite number or empty, got {raw_c[r - r0].as_py()!r}")
            self.parts["confidence"].append(conf)
        self.rows += len(problem)

    def part(self, c):
        p = self.parts[c]
        if len(p) > 1:
            p[:] = [np.concatenate(p)]  # keep one copy
        return p[0] if p else None

    def codes(self, c) -> np.ndarray:
        col = self.columns[c]
        if len(col.codes) > 1:
            col.codes[:] = [np.concatenate(col.codes)]
        return col.codes[0] if col.codes else np.zeros(0, np.int32)


def _samples(name, header, sink: _SampleSink, line, rows, source) -> SampleLog:
    """A :class:`SampleLog` of the row subset ``rows`` (None: all), validated."""

    def take(a):
        return a if (rows is None or a is None) else a[rows]

    ln = take(line)
    bad = sink.bad
    if rows is not None and bad.best is not None:
        bad = _Bad()  # per-row errors of this group only (rows are in file order)
        first = np.searchsorted(rows, sink.bad.best[0])
        if first < rows.size and rows[first] == sink.bad.best[0]:
            bad.best = (int(first), sink.bad.best[1], sink.bad.best[2])
    pc_codes, sc_codes = take(sink.codes("problem")), take(sink.codes("sample"))
    pcol, scol = sink.columns["problem"], sink.columns["sample"]
    # Repeated (problem, sample) pairs; an empty sample id is never a repeat.
    empty_sid = scol.index.get("")
    span = len(pcol.index) * max(len(scol.index), 1)
    if span <= 4 * pc_codes.size + 1024:  # cheap test first: a count per possible pair, no sort
        pair = pc_codes.astype(np.int32 if span < 2**31 else np.int64) * max(len(scol.index), 1) + sc_codes
        if empty_sid is not None:
            pair = pair[sc_codes != empty_sid]
        size = max(span, int(pair.max()) + 1) if pair.size else span
        seen = np.zeros(size, np.uint8)  # one byte per possible pair (a count would take eight)
        seen[pair] = 1
        any_repeat = int(np.count_nonzero(seen)) < pair.size
        del pair, seen
    else:
        any_repeat = True
    key = np.zeros(0, np.int64)
    if any_repeat:
        key = pc_codes.astype(np.int64) * max(len(scol.index), 1) + sc_codes
    if any_repeat and empty_sid is not None:
        key = np.where(sc_codes == empty_sid, -1 - np.arange(key.size, dtype=np.int64), key)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    rep = np.nonzero(ks[1:] == ks[:-1])[0]
    del key
    if rep.size:
        second = order[rep + 1]  # later rows of repeated pairs (stable sort: file order)
        i = int(np.argmin(second))
        r, first = int(second[i]), int(order[np.searchsorted(ks, ks[rep[i]])])
        words_p, words_s = pcol.words(), scol.words()
        bad.offer(
            np.array([r]), 1,
            lambda r: f"{name}: line {ln[r]}: sample {words_s[sc_codes[r]]!r} of problem "
            f"{words_p[pc_codes[r]]!r} repeats line {ln[first]}",
        )
    del order, ks
    if rows is None:
        sink.bad = bad
    bad.raise_first()
    tokens = take(sink.part("tokens"))
    # Every file-wide code is numbered in order of first appearance (see _Column.add), so a
    # whole file needs no renumbering; a group (rows) does.
    whole = rows is None
    problem = _remember_first(pcol.words(), pc_codes, whole)
    sample = scol.words()[sc_codes]
    answer = _remember_first(sink.columns["answer"].words(), take(sink.codes("answer")), whole)
    return SampleLog(
        problem=problem,
        sample=sample,
        answer=answer,
        correct=take(sink.part("correct")),
        tokens=np.full(ln.size, np.nan) if tokens is None else tokens,
        source=source,
        line=np.asarray(ln, np.int64),
        confidence=take(sink.part("confidence")),
    )


def _remember_first(words: np.ndarray, codes: np.ndarray, in_order: bool = False) -> np.ndarray:
    """``words[codes]``, remembering its codes renumbered in order of first appearance.

    ``in_order``: the codes are already numbered so, and every word occurs (no sort needed).
    """
    if in_order:
        return _remember(words[codes], codes, words)
    first = np.full(len(words), -1, np.int64)
    seen = np.unique(codes, return_index=True)
    first[seen[0]] = seen[1]
    present = np.nonzero(first >= 0)[0]
    order = present[np.argsort(first[present], kind="stable")]
    remap = np.full(len(words), -1, np.int32)
    remap[order] = np.arange(order.size, dtype=np.int32)
    return _remember(words[codes], remap[codes], words[order])


def _pa_set(*values):
    import pyarrow as pa

    return pa.array(values, type=pa.string())


def _parse_int(name, line, column, text):
    t = text.strip()
    try:
        value = int(t)
    except ValueError:
        try:
            f = float(t)
        except ValueError:
            f = math.nan
        if not math.isfinite(f) or f != round(f):
            raise ValueError(f"{name}: line {line}: column {column}: expected a whole number, got {text!r}") from None
        value = int(f)
    if abs(value) >= 2**63:
        raise ValueError(f"{name}: line {line}: column {column}: {t} is too large (must be < 2^63)")
    return value


def _counts(name, header, sink: _TextSink, line, rows, source) -> Counts:
    cols = sink.columns()

    def col(c):
        a = cols[c]
        return (a if rows is None else a.take(rows)).to_pylist()

    ln = line if rows is None else line[rows]
    problems, ns, cs = [], [], []
    seen: dict[str, int] = {}
    for ln_i, pid, n_text, c_text in zip(ln.tolist(), col("problem"), col("n_samples"), col("n_correct")):
        if not pid:
            raise ValueError(f"{name}: line {ln_i}: column problem: empty problem id")
        if pid in seen:
            raise ValueError(
                f"{name}: line {ln_i}: problem {pid!r} repeats line {seen[pid]}"
                " (pool the rows, or split the file with group_by / --group-by COLUMN)"
            )
        seen[pid] = ln_i
        n = _parse_int(name, ln_i, "n_samples", n_text)
        c = _parse_int(name, ln_i, "n_correct", c_text)
        if n < 1:
            raise ValueError(f"{name}: line {ln_i}: column n_samples: must be >= 1, got {n}")
        if c < 0:
            raise ValueError(f"{name}: line {ln_i}: column n_correct: must be >= 0, got {c}")
        if c > n:
            raise ValueError(f"{name}: line {ln_i}: column n_correct: {c} exceeds n_samples={n}")
        problems.append(pid)
        ns.append(n)
        cs.append(c)
    return Counts(problem=problems, n=np.asarray(ns, np.int64), c=np.asarray(cs, np.int64), source=source, line=np.asarray(ln, np.int64))


def _read(path, group_by, kind: str):
    path = _open_check(path)
    header, _ = _header(path)
    name = str(path)
    if header is not None and kind == "auto":
        if "n_samples" in header or "n_correct" in header:  # a counts file (missing columns are named below)
            kind = "counts"
        elif "correct" in header:
            kind = "samples"
        else:
            raise ValueError(
                f"{name}: line 1: cannot tell the format from the header {','.join(header)}; expected "
                f"{','.join(SAMPLE_COLUMNS)} (sample log) or {','.join(COUNT_COLUMNS)} (counts)"
            )
    wanted = COUNT_COLUMNS if kind == "counts" else _REQUIRED_SAMPLE_COLUMNS + OPTIONAL_SAMPLE_COLUMNS
    if group_by is not None and group_by not in wanted:
        wanted = wanted + (group_by,)
    import pyarrow as pa

    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())  # freed blocks go back to the system, not a cache
    try:
        name, header, sink, line = _read_table(path, wanted, _TextSink if kind == "counts" else _SampleSink)
    finally:
        pa.set_memory_pool(pool)
    if kind == "counts":
        _require(name, header, COUNT_COLUMNS, "counts")
    else:
        _require(name, header, _REQUIRED_SAMPLE_COLUMNS, "sample-log")
    build = _counts if kind == "counts" else _samples
    if group_by is None:
        out = build(name, header, sink, line, None, name)
        del sink
        _trim()
        return out
    if group_by not in header:
        raise ValueError(f"{name}: group_by column {group_by!r} not found (columns: {','.join(header)})")
    if kind == "counts":
        gcol = _Column()
        codes = gcol.add(sink.columns()[group_by])
    else:
        gcol = sink.columns[group_by]
        codes = sink.codes(group_by)
    words = gcol.words()
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(words) + 1))
    return {
        str(words[g]): build(name, header, sink, line, order[bounds[g] : bounds[g + 1]], f"{name} [{group_by}={words[g]}]")
        for g in range(len(words))
    }


def _trim() -> None:
    """Give the memory freed while parsing back to the system (glibc keeps freed heap pages)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def read_counts(path, *, group_by: str | None = None):
    """Read a per-problem counts CSV with columns ``problem,n_samples,n_correct``.

    Extra columns are ignored unless ``group_by`` names one: then the rows are split by its
    value and a ``{value: Counts}`` dict is returned (groups in order of first appearance).
    Each problem may appear once (per group).

    Args:
      path: CSV file.
      group_by: optional column whose values split the file (e.g. ``"model"``).

    Returns:
      :class:`Counts` (or a dict of them with ``group_by``).

    Raises:
      ValueError: naming the file and the line or column: a directory or unreadable file,
        text that is not UTF-8, empty file, missing columns, counts that are not whole numbers
        or are >= 2^63, ``n_samples < 1``, ``n_correct > n_samples``, a repeated problem.
    """
    return _read(path, group_by, "counts")


def read_sample_log(path, *, group_by: str | None = None):
    """Read a sample log CSV with columns ``problem,sample,answer,correct[,tokens][,confidence]``.

    ``answer``, ``tokens`` and ``confidence`` may be empty; the ``tokens`` and ``confidence``
    columns themselves are optional (``SampleLog.confidence`` is None without the column).
    ``correct`` must be 0 or 1 (``true`` / ``false`` are accepted too), ``tokens`` a count
    >= 0, ``confidence`` a finite real number (higher = more confident). A repeated
    (problem, sample) pair is an error. With ``group_by`` the rows are split by that column
    and a ``{value: SampleLog}`` dict is returned.

    Read block by block with pyarrow's CSV reader and checked by vectorised tests: time is
    linear in the rows, memory a few tens of bytes per row.

    Raises:
      ValueError: naming the file and the line or column (the first bad row in the file).
    """
    return _read(path, group_by, "samples")


def read_log(path, *, group_by: str | None = None):
    """Read either format, deciding by the header.

    A header with ``n_samples`` or ``n_correct`` is a counts file (:func:`read_counts`);
    otherwise one with ``correct`` is a sample log (:func:`read_sample_log`). Returns a
    :class:`Counts` or a :class:`SampleLog` (or a dict of them with ``group_by``).
    """
    return _read(path, group_by, "auto")


_CODES: dict[int, tuple] = {}  # id(array) -> (weakref to the array, codes, words), filled by the reader


def _remember(values: np.ndarray, codes: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Record the int32 codes of a string array the reader built (saves re-encoding 10^7 strings)."""
    key = id(values)
    _CODES[key] = (weakref.ref(values, lambda _, key=key: _CODES.pop(key, None)), codes, words)
    return values


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int32 codes of an object array of strings (in order of first appearance) and the words."""
    import pyarrow as pa
    import pyarrow.compute as pc

    hit = _CODES.get(id(values))
    if hit is not None and hit[0]() is values:
        return hit[1], hit[2]
    enc = pc.dictionary_encode(pa.array(values, type=pa.string()))
    words = np.empty(len(enc.dictionary), dtype=object)
    words[:] = enc.dictionary.to_pylist()
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int32), words


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """First row of each code, for codes numbered in order of first appearance (as :func:`_codes`
    returns them): exactly the rows where the running maximum grows (no sort of the rows)."""
    if codes.size == 0:
        return np.zeros(0, np.int64)
    new = np.empty(codes.size, bool)
    new[0] = True
    np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=new[1:])
    return np.flatnonzero(new)


def problem_order(log: SampleLog) -> list[str]:
    """The problem ids of a sample log in order of first appearance (the row order of estimates)."""
    return _codes(log.problem)[1].tolist()


def counts_from_samples(log: SampleLog) -> Counts:
    """Per-problem counts of a sample log: ``n`` rows and ``c`` correct rows per problem."""
    idx, words = _codes(log.problem)
    num = len(words)
    n = np.bincount(idx, minlength=num).astype(np.int64)
    c = np.bincount(idx, weights=log.correct, minlength=num).astype(np.int64)
    line = None
    if log.line is not None:
        first = _first_rows(idx)  # first row of each problem, in problem order
        line = np.asarray(log.line, np.int64)[first]
    return Counts(problem=words.tolist(), n=n, c=c, source=log.source, line=line)
