"""Real sample logs: readers, and the pass@k / maj@k estimators with bootstrap intervals.

Two CSV formats are read (see ``docs/estimators.md``):

* sample rows ``problem,sample,answer,correct,tokens`` -- one row per generated sample;
  ``answer`` and ``tokens`` may be empty (an empty answer does not vote);
* per-problem counts ``problem,n_samples,n_correct``.

Extra columns are allowed; one of them may split the file into groups (``group_by``,
e.g. the ``model`` column of the Large Language Monkeys counts). This is the only module
of ``ttsim._src`` that reads files; the estimators below work on the parsed logs.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import scipy.special

from ttsim._src.coverage import pass_at_k
from ttsim._src.numerics import enable_x64

SAMPLE_COLUMNS = ("problem", "sample", "answer", "correct", "tokens")
COUNT_COLUMNS = ("problem", "n_samples", "n_correct")
_REQUIRED_SAMPLE_COLUMNS = ("problem", "sample", "answer", "correct")
_TRUE = {"1", "true"}
_FALSE = {"0", "false"}


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
    """

    problem: np.ndarray
    sample: np.ndarray
    answer: np.ndarray
    correct: np.ndarray
    tokens: np.ndarray
    source: str = ""
    line: np.ndarray | None = None


class MajAtK(NamedTuple):
    """maj@k estimates for each requested k.

    Attributes:
      k: ``(K,)`` int64 subset sizes.
      value: ``(K,)`` float64 mean over problems of the per-problem maj@k.
      per_problem: ``(P, K)`` float64 per-problem maj@k (rows in :func:`problem_order`).
      method: for each k, ``"exact"``, ``"monte_carlo"`` or ``"exact+monte_carlo"`` (mixed
        over problems).
      problem_method: ``(P, K)`` object array of ``"exact"`` / ``"monte_carlo"`` per problem.
      mc_stderr: ``(K,)`` Monte Carlo standard error of ``value`` (0 where exact).
    """

    k: np.ndarray
    value: np.ndarray
    per_problem: np.ndarray
    method: tuple[str, ...]
    problem_method: np.ndarray
    mc_stderr: np.ndarray


class ConfidenceInterval(NamedTuple):
    """Percentile bootstrap interval: ``low`` and ``high`` (shape of the statistic) at ``level``."""

    low: np.ndarray
    high: np.ndarray
    level: float


# ------------------------------------------------------------------------------- reading


def _read_rows(path) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) rows of a CSV file; errors name the file."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise FileNotFoundError(f"{name}: no such file")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = None
        rows = []
        for cells in reader:
            if header is None:
                if not cells or all(not c.strip() for c in cells):
                    continue
                header = [c.strip() for c in cells]
                continue
            if not cells or all(not c.strip() for c in cells):
                continue
            rows.append((reader.line_num, cells))
    if header is None:
        raise ValueError(f"{name}: empty file (no header line)")
    dup = {c for c in header if header.count(c) > 1}
    if dup:
        raise ValueError(f"{name}: line 1: duplicate column(s) {sorted(dup)}")
    if not rows:
        raise ValueError(f"{name}: no data rows after the header")
    for line, cells in rows:
        if len(cells) != len(header):
            raise ValueError(f"{name}: line {line}: expected {len(header)} fields (header: {','.join(header)}), got {len(cells)}")
    return name, header, rows


def _require(name: str, header: list[str], required: Sequence[str], kind: str) -> dict[str, int]:
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(
            f"{name}: missing column(s) {', '.join(missing)} for a {kind} file "
            f"(expected {','.join(required)}; found {','.join(header)})"
        )
    return {c: header.index(c) for c in header}


def _split_groups(name, header, rows, group_by):
    """``{group value: rows}`` in order of first appearance, or ``{None: rows}``."""
    if group_by is None:
        return {None: rows}
    if group_by not in header:
        raise ValueError(f"{name}: group_by column {group_by!r} not found (columns: {','.join(header)})")
    col = header.index(group_by)
    groups: dict[str, list] = {}
    for line, cells in rows:
        groups.setdefault(cells[col].strip(), []).append((line, cells))
    return groups


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
    return value


def _counts_from_rows(name, header, rows, source) -> Counts:
    col = _require(name, header, COUNT_COLUMNS, "counts")
    problems, ns, cs, lines = [], [], [], []
    seen: dict[str, int] = {}
    for line, cells in rows:
        pid = cells[col["problem"]].strip()
        if not pid:
            raise ValueError(f"{name}: line {line}: column problem: empty problem id")
        if pid in seen:
            raise ValueError(
                f"{name}: line {line}: problem {pid!r} repeats line {seen[pid]}"
                " (pool the rows, or split the file with group_by / --group-by COLUMN)"
            )
        seen[pid] = line
        n = _parse_int(name, line, "n_samples", cells[col["n_samples"]])
        c = _parse_int(name, line, "n_correct", cells[col["n_correct"]])
        if n < 1:
            raise ValueError(f"{name}: line {line}: column n_samples: must be >= 1, got {n}")
        if c < 0:
            raise ValueError(f"{name}: line {line}: column n_correct: must be >= 0, got {c}")
        if c > n:
            raise ValueError(f"{name}: line {line}: column n_correct: {c} exceeds n_samples={n}")
        problems.append(pid)
        ns.append(n)
        cs.append(c)
        lines.append(line)
    return Counts(
        problem=problems, n=np.asarray(ns, np.int64), c=np.asarray(cs, np.int64), source=source,
        line=np.asarray(lines, np.int64),
    )


def _samples_from_rows(name, header, rows, source) -> SampleLog:
    col = _require(name, header, _REQUIRED_SAMPLE_COLUMNS, "sample-log")
    tok_col = col.get("tokens")
    problem, sample, answer, correct, tokens, lines = [], [], [], [], [], []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        pid = cells[col["problem"]].strip()
        if not pid:
            raise ValueError(f"{name}: line {line}: column problem: empty problem id")
        sid = cells[col["sample"]].strip()
        if sid:
            if (pid, sid) in seen:
                raise ValueError(f"{name}: line {line}: sample {sid!r} of problem {pid!r} repeats line {seen[(pid, sid)]}")
            seen[(pid, sid)] = line
        flag = cells[col["correct"]].strip().lower()
        if flag in _TRUE:
            correct.append(1)
        elif flag in _FALSE:
            correct.append(0)
        else:
            raise ValueError(f"{name}: line {line}: column correct: expected 0 or 1, got {cells[col['correct']]!r}")
        tok = math.nan
        if tok_col is not None and cells[tok_col].strip():
            try:
                tok = float(cells[tok_col])
            except ValueError:
                tok = math.nan
            if not (tok >= 0 and math.isfinite(tok)):
                raise ValueError(f"{name}: line {line}: column tokens: expected a count >= 0 or empty, got {cells[tok_col]!r}")
        problem.append(pid)
        sample.append(sid)
        answer.append(cells[col["answer"]].strip())
        tokens.append(tok)
        lines.append(line)
    return SampleLog(
        problem=np.asarray(problem, dtype=object),
        sample=np.asarray(sample, dtype=object),
        answer=np.asarray(answer, dtype=object),
        correct=np.asarray(correct, dtype=np.int8),
        tokens=np.asarray(tokens, dtype=np.float64),
        source=source,
        line=np.asarray(lines, dtype=np.int64),
    )


def _read(path, group_by, kind: str):
    name, header, rows = _read_rows(path)
    if kind == "auto":
        if "n_samples" in header or "n_correct" in header:  # a counts file (missing columns are named below)
            kind = "counts"
        elif "correct" in header:
            kind = "samples"
        else:
            raise ValueError(
                f"{name}: line 1: cannot tell the format from the header {','.join(header)}; expected "
                f"{','.join(SAMPLE_COLUMNS)} (sample log) or {','.join(COUNT_COLUMNS)} (counts)"
            )
    build = _counts_from_rows if kind == "counts" else _samples_from_rows
    groups = _split_groups(name, header, rows, group_by)
    out = {g: build(name, header, r, name if g is None else f"{name} [{group_by}={g}]") for g, r in groups.items()}
    return out[None] if group_by is None else out


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
      ValueError: naming the file and the line or column: empty file, missing columns,
        counts that are not whole numbers, ``n_samples < 1``, ``n_correct > n_samples``,
        a repeated problem.
    """
    return _read(path, group_by, "counts")


def read_sample_log(path, *, group_by: str | None = None):
    """Read a sample log CSV with columns ``problem,sample,answer,correct,tokens``.

    ``answer`` and ``tokens`` may be empty; the ``tokens`` column itself is optional.
    ``correct`` must be 0 or 1 (``true`` / ``false`` are accepted too). A repeated
    (problem, sample) pair is an error. With ``group_by`` the rows are split by that
    column and a ``{value: SampleLog}`` dict is returned.

    Raises:
      ValueError: naming the file and the line or column.
    """
    return _read(path, group_by, "samples")


def read_log(path, *, group_by: str | None = None):
    """Read either format, deciding by the header.

    A header with ``n_samples`` or ``n_correct`` is a counts file (:func:`read_counts`);
    otherwise one with ``correct`` is a sample log (:func:`read_sample_log`). Returns a
    :class:`Counts` or a :class:`SampleLog` (or a dict of them with ``group_by``).
    """
    return _read(path, group_by, "auto")


def problem_order(log: SampleLog) -> list[str]:
    """The problem ids of a sample log in order of first appearance (the row order of estimates)."""
    return list(dict.fromkeys(log.problem.tolist()))


def counts_from_samples(log: SampleLog) -> Counts:
    """Per-problem counts of a sample log: ``n`` rows and ``c`` correct rows per problem."""
    problems = problem_order(log)
    index = {p: i for i, p in enumerate(problems)}
    idx = np.fromiter((index[p] for p in log.problem), dtype=np.int64, count=len(log.problem))
    n = np.bincount(idx, minlength=len(problems)).astype(np.int64)
    c = np.bincount(idx, weights=log.correct, minlength=len(problems)).astype(np.int64)
    line = None
    if log.line is not None:
        first = np.unique(idx, return_index=True)[1]  # first row of each problem, in problem order
        line = np.asarray(log.line, np.int64)[first]
    return Counts(problem=problems, n=n, c=c, source=log.source, line=line)


# ------------------------------------------------------------------------------- pass@k


def _as_counts(counts) -> Counts:
    if isinstance(counts, SampleLog):
        return counts_from_samples(counts)
    if isinstance(counts, Counts):
        return counts
    raise ValueError(f"counts: expected Counts or SampleLog, got {type(counts).__name__}")


def _check_ks(ks, n: np.ndarray, problems: list[str], source: str, where: str, lines=None, kind: str = "counts") -> np.ndarray:
    k = np.atleast_1d(np.asarray(ks))
    if k.ndim != 1 or k.size == 0:
        raise ValueError(f"{where}: ks must be a non-empty 1-D list of sample counts; got shape {k.shape}")
    kf = k.astype(np.float64)
    if not np.all(np.isfinite(kf)) or np.any(kf != np.round(kf)) or np.any(kf < 1):
        raise ValueError(f"{where}: ks must be whole numbers >= 1; got {k.tolist()}")
    k = kf.astype(np.int64)
    if len(n) == 0:
        raise ValueError(f"{where}: {source or 'log'}: no problems")
    i = int(np.argmin(n))
    if k.max() > n[i]:
        prefix = f"{source}: " if source else ""
        at = ""
        if lines is not None:
            at = f" (line {int(lines[i])}, column n_samples)" if kind == "counts" else f" (its first row is line {int(lines[i])})"
        raise ValueError(
            f"{where}: {prefix}problem {problems[i]!r} has {int(n[i])} samples, fewer than k={int(k.max())}{at}"
        )
    return k


def per_problem_pass_at_k(counts, ks) -> np.ndarray:
    r"""Unbiased pass@k of every problem: a ``(P, K)`` float64 array.

    .. math:: \widehat{\mathrm{pass@}k}_i = 1 - \binom{n_i-c_i}{k}\Big/\binom{n_i}{k}
              = 1 - \prod_{j=n_i-c_i+1}^{n_i}\Big(1-\frac{k}{j}\Big)

    Evaluated by :func:`ttsim.pass_at_k` in float64.

    Args:
      counts: :class:`Counts` (or a :class:`SampleLog`, counted first).
      ks: ``(K,)`` sample counts, each ``<=`` every problem's ``n``.

    Raises:
      ValueError: naming the problem (and file) with fewer samples than the largest k.

    References: Chen et al., `Evaluating Large Language Models Trained on Code
    <https://arxiv.org/abs/2107.03374>`_, 2021.
    """
    kind = "samples" if isinstance(counts, SampleLog) else "counts"
    counts = _as_counts(counts)
    k = _check_ks(ks, counts.n, counts.problem, counts.source, "estimate_pass_at_k", counts.line, kind)
    with enable_x64(True):
        n = jnp.asarray(counts.n, jnp.float64)[:, None]
        c = jnp.asarray(counts.c, jnp.float64)[:, None]
        out = pass_at_k(n, c, jnp.asarray(k, jnp.float64)[None, :])
        return np.asarray(out, dtype=np.float64)


def estimate_pass_at_k(counts, ks, *, per_problem: bool = False) -> np.ndarray:
    r"""pass@k of a log: the mean over problems of the unbiased estimator.

    .. math:: \widehat{\mathrm{pass@}k} = \frac1P\sum_{i=1}^{P}\Big[1 - \binom{n_i-c_i}{k}\Big/\binom{n_i}{k}\Big]

    Args:
      counts: :class:`Counts` or :class:`SampleLog`.
      ks: ``(K,)`` whole numbers ``1 <= k <= min_i n_i``.
      per_problem: return the ``(P, K)`` per-problem values instead of the mean.

    Returns:
      ``(K,)`` float64 array (or ``(P, K)`` with ``per_problem=True``).

    Raises:
      ValueError: if a problem has fewer samples than a requested k (naming it and the file).

    References: Chen et al., `Evaluating Large Language Models Trained on Code
    <https://arxiv.org/abs/2107.03374>`_, 2021; Brown et al., `Large Language Monkeys
    <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    values = per_problem_pass_at_k(counts, ks)
    return values if per_problem else values.mean(axis=0)


def default_ks(n_min: int) -> list[int]:
    """Default k grid for a log whose smallest problem has ``n_min`` samples: 1, 2, 4, ... <= n_min, and n_min."""
    n_min = int(n_min)
    if n_min < 1:
        raise ValueError(f"default_ks: n_min must be >= 1; got {n_min}")
    ks = [1 << i for i in range(n_min.bit_length()) if (1 << i) <= n_min]
    return ks if ks[-1] == n_min else ks + [n_min]


# ------------------------------------------------------------------------------- bootstrap


def bootstrap_ci(per_problem_values, *, num_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> ConfidenceInterval:
    r"""Percentile bootstrap confidence interval of a mean over problems.

    Problems are resampled with replacement ``num_resamples`` times; the interval is the
    :math:`(1-\ell)/2` and :math:`(1+\ell)/2` quantiles of the resampled means
    :math:`\bar v^{*b} = \frac1P\sum_i v_{I^{*b}_i}`. Computed by ``scipy.stats.bootstrap``
    (method ``"percentile"``), seeded.

    Args:
      per_problem_values: ``(P,)`` or ``(P, K)`` per-problem values (e.g. pass@k for K values of k).
      num_resamples: bootstrap resamples (>= 1).
      level: confidence level in (0, 1).
      seed: seed of the resampling.

    Returns:
      :class:`ConfidenceInterval` with ``low`` / ``high`` of shape ``()`` or ``(K,)``. With a
      single problem the interval collapses to its value.

    References: Efron & Tibshirani, An Introduction to the Bootstrap, 1993.
    """
    import scipy.stats

    values = np.asarray(per_problem_values, dtype=np.float64)
    if values.ndim not in (1, 2) or values.shape[0] == 0:
        raise ValueError(f"bootstrap_ci: per_problem_values must be (P,) or (P, K) with P >= 1; got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("bootstrap_ci: per_problem_values must be finite")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"bootstrap_ci: level must lie in (0, 1); got {level}")
    if int(num_resamples) < 1:
        raise ValueError(f"bootstrap_ci: num_resamples must be >= 1; got {num_resamples}")
    if values.shape[0] == 1:
        return ConfidenceInterval(low=values[0].copy(), high=values[0].copy(), level=float(level))
    res = scipy.stats.bootstrap(
        (values,),
        np.mean,
        axis=0,
        vectorized=True,
        method="percentile",
        n_resamples=int(num_resamples),
        confidence_level=float(level),
        rng=np.random.default_rng(seed),
    )
    ci = res.confidence_interval
    return ConfidenceInterval(low=np.asarray(ci.low), high=np.asarray(ci.high), level=float(level))


# ------------------------------------------------------------------------------- maj@k

_METHODS = ("auto", "exact", "monte_carlo")


class _Votes(NamedTuple):
    """One problem's votes: sizes of the distinct non-empty answers, their correctness, n rows."""

    size: np.ndarray  # (G,) int64
    correct: np.ndarray  # (G,) bool: some row with this answer has correct = 1
    group: np.ndarray  # (n,) int64 row -> answer group, -1 for an empty answer
    n: int


def _problem_votes(log: SampleLog) -> list[_Votes]:
    problems = problem_order(log)
    rows: dict[str, list[int]] = {p: [] for p in problems}
    for i, p in enumerate(log.problem.tolist()):
        rows[p].append(i)
    out = []
    for p in problems:
        r = np.asarray(rows[p], dtype=np.int64)
        answers = log.answer[r]
        voting = answers != ""
        labels, inverse = np.unique(answers[voting].astype(str), return_inverse=True)
        group = np.full(len(r), -1, dtype=np.int64)
        group[voting] = inverse
        size = np.bincount(inverse, minlength=len(labels)).astype(np.int64)
        correct = np.bincount(inverse, weights=log.correct[r][voting], minlength=len(labels)) > 0
        out.append(_Votes(size=size, correct=correct, group=group, n=len(r)))
    return out


def _log_comb(n, k):
    n = np.asarray(n, np.float64)
    k = np.asarray(k, np.float64)
    ok = (k >= 0) & (k <= n)
    kk = np.where(ok, k, 0.0)
    val = scipy.special.gammaln(n + 1) - scipy.special.gammaln(kk + 1) - scipy.special.gammaln(n - kk + 1)
    return np.where(ok, val, -np.inf)


def _exact_cost(votes: _Votes, k: int) -> float:
    """Multiply-adds of :func:`_maj_exact` (the 'auto' method's feasibility test)."""
    if not votes.correct.any() or k >= votes.n or len(votes.size) <= 1:
        return 0.0
    cost = 0.0
    for m in range(1, min(k, int(votes.size.max())) + 1):
        big = votes.size >= m
        if not votes.correct[big].any():
            continue
        g = int(big.sum())
        t = min(g, k // m) + 1
        c = min(int(votes.correct[big].sum()), t - 1) + 1
        cost += g * (k + 1) ** 2 * t * c
    return cost


def _maj_deterministic(votes: _Votes, counts: np.ndarray) -> float:
    """Plurality score of one subset whose per-answer vote counts are ``counts`` (G,)."""
    top = counts.max() if counts.size else 0
    if top == 0:
        return 0.0
    tied = counts == top
    return float((tied & votes.correct).sum() / tied.sum())


def _maj_exact(votes: _Votes, k: int) -> float:
    r"""Exact expected plurality score of a uniform size-k subset (without replacement).

    For each possible winning count M, the answers that can reach M (size >= M) are drawn
    one after another from the multivariate hypergeometric (a chain of hypergeometric
    draws from the shrinking pool), each capped at M, tracking the number t of answers at
    exactly M and the number s of correct ones among them; every other row (empty answers
    and answers too small to reach M) is one non-voting pool. The score is
    :math:`\sum_M \sum_{t\ge1,s} \Pr(r, t, s)\,s/t`.
    """
    size, correct, n = votes.size, votes.correct, votes.n
    if not correct.any():
        return 0.0
    if k >= n:
        return _maj_deterministic(votes, size)
    if len(size) == 1:  # one answer, correct: wins unless the subset holds only empty rows
        return float(-np.expm1(_log_comb(n - size[0], k) - _log_comb(n, k)))
    if k == 1:  # one vote: right with the share of rows whose answer is a correct one
        return float(size[correct].sum() / n)
    lf = scipy.special.gammaln(np.arange(n + 1, dtype=np.float64) + 1.0)  # lf[i] = log(i!)
    r = np.arange(k + 1)
    total = 0.0
    for m_top in range(1, min(k, int(size.max())) + 1):
        big = size >= m_top
        if not correct[big].any():
            continue
        bsize, bcorr = size[big], correct[big]
        t_max = min(len(bsize), k // m_top)
        c_max = min(int(bcorr.sum()), t_max)
        state = np.zeros((k + 1, t_max + 1, c_max + 1))
        state[k, 0, 0] = 1.0  # k draws still to make
        pool = n
        x = np.arange(m_top + 1)
        j = r[:, None] - x[None, :]  # draws left for the rest of the pool
        # banded transfer A[r - x, r] = pmf[r, x] for x < m_top (draws r -> r - x)
        keep = j[:, :-1] >= 0
        rows_to, cols_from = j[:, :-1][keep], np.broadcast_to(r[:, None], j[:, :-1].shape)[keep]
        for m, cor in zip(bsize.tolist(), bcorr.tolist(), strict=True):
            # pmf[r, x] = C(m, x) C(pool - m, r - x) / C(pool, r): x of the r remaining draws
            # come from this answer (m >= m_top >= x); zero where r > pool (unreachable).
            rest = pool - m
            ok = (j >= 0) & (j <= rest) & (r[:, None] <= pool)
            jj = np.clip(j, 0, rest)
            rc = np.minimum(r, pool)
            log_pmf = (
                (lf[m] - lf[x] - lf[m - x])[None, :]
                + (lf[rest] - lf[jj] - lf[rest - jj])
                - (lf[pool] - lf[rc] - lf[pool - rc])[:, None]
            )
            pmf = np.where(ok, np.exp(np.where(ok, log_pmf, -np.inf)), 0.0)
            transfer = np.zeros((k + 1, k + 1))
            transfer[rows_to, cols_from] = pmf[:, :-1][keep]
            new = (transfer @ state.reshape(k + 1, -1)).reshape(state.shape)
            # x == m_top: one more answer at the top count (and a correct one if cor); a state
            # with c == c_max cannot gain another correct tie (c_max counts all correct ones).
            w = pmf[m_top:, m_top][:, None, None] * state[m_top:, :-1, :]
            if cor:
                new[: k + 1 - m_top, 1:, 1:] += w[:, :, :-1]
            else:
                new[: k + 1 - m_top, 1:, :] += w
            state = new
            pool -= m
        t = np.arange(t_max + 1)[:, None]
        s = np.arange(c_max + 1)[None, :]
        frac = np.where(t > 0, s / np.maximum(t, 1), 0.0)
        total += float(np.sum(state.sum(axis=0) * frac))
    return total


def _maj_monte_carlo(votes: _Votes, k: int, num_trials: int, rng: np.random.Generator) -> tuple[float, float]:
    """Mean plurality score over ``num_trials`` random size-k subsets, and its standard error."""
    if not votes.correct.any():
        return 0.0, 0.0
    n, g = votes.n, len(votes.size)
    group = np.where(votes.group < 0, g, votes.group)  # empty answers -> an extra, non-voting column
    chunk = max(1, 4_000_000 // n)
    scores = []
    for start in range(0, num_trials, chunk):
        t = min(chunk, num_trials - start)
        idx = np.argpartition(rng.random((t, n)), k - 1, axis=1)[:, :k]
        flat = (np.arange(t)[:, None] * (g + 1) + group[idx]).ravel()
        counts = np.bincount(flat, minlength=t * (g + 1)).reshape(t, g + 1)[:, :g]
        top = counts.max(axis=1, keepdims=True)
        tied = (counts == top) & (top > 0)
        num_tied = tied.sum(axis=1)
        scores.append(np.where(num_tied > 0, (tied & votes.correct).sum(axis=1) / np.maximum(num_tied, 1), 0.0))
    s = np.concatenate(scores)
    return float(s.mean()), float(s.std(ddof=1) / np.sqrt(len(s))) if len(s) > 1 else 0.0


def estimate_maj_at_k(
    log: SampleLog,
    ks,
    *,
    method: str = "auto",
    num_trials: int = 20_000,
    seed: int = 0,
    max_exact_cost: float = 2e8,
) -> MajAtK:
    r"""maj@k: expected plurality-vote accuracy of a uniformly random size-k subset of each
    problem's samples (drawn without replacement), averaged over problems.

    .. math:: \widehat{\mathrm{maj@}k} = \frac1P\sum_i \binom{n_i}{k}^{-1}\sum_{S\subseteq[n_i],\,|S|=k}
              \frac{\#\{a \in \mathrm{top}(S): a \text{ correct}\}}{\#\,\mathrm{top}(S)}

    where top(S) is the set of answers with the most votes in S. Empty answers do not vote;
    a subset with no votes scores 0; an answer string is correct if any of its rows has
    ``correct = 1``; a tie among t answers scores (number of correct ones)/t. The subset's
    per-answer counts are multivariate hypergeometric; ``"exact"`` sums over them by dynamic
    programming (per winning count M: a chain of hypergeometric draws tracking the ties),
    in float64; ``"monte_carlo"`` averages ``num_trials`` seeded random subsets; ``"auto"``
    is exact when the dynamic programme costs at most ``max_exact_cost`` multiply-adds for
    that (problem, k), else Monte Carlo.

    Args:
      log: a :class:`SampleLog`.
      ks: ``(K,)`` whole numbers ``1 <= k <= min_i n_i``.
      method: ``"auto"``, ``"exact"`` or ``"monte_carlo"``.
      num_trials: Monte Carlo subsets per (problem, k).
      seed: Monte Carlo seed (each (problem, k) gets its own stream).
      max_exact_cost: the ``"auto"`` threshold.

    Returns:
      :class:`MajAtK` (values, per-problem values, the method used for each k, and the
      Monte Carlo standard error of each mean, 0 where exact).

    Raises:
      ValueError: for a problem with fewer samples than a requested k (naming it and the
        file), or a bad ``method`` / ``num_trials``.

    References: Wang et al., `Self-Consistency Improves Chain of Thought Reasoning
    <https://arxiv.org/abs/2203.11171>`_, 2022; Brown et al., `Large Language Monkeys
    <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    if not isinstance(log, SampleLog):
        raise ValueError(f"estimate_maj_at_k: log must be a SampleLog (a counts file has no answers); got {type(log).__name__}")
    if method not in _METHODS:
        raise ValueError(f"estimate_maj_at_k: method must be one of {', '.join(_METHODS)}; got {method!r}")
    if int(num_trials) < 2:
        raise ValueError(f"estimate_maj_at_k: num_trials must be >= 2; got {num_trials}")
    counts = counts_from_samples(log)
    k = _check_ks(ks, counts.n, counts.problem, counts.source, "estimate_maj_at_k", counts.line, "samples")
    votes = _problem_votes(log)
    per = np.zeros((len(votes), len(k)))
    var = np.zeros((len(votes), len(k)))
    used = np.empty((len(votes), len(k)), dtype=object)
    for i, pv in enumerate(votes):
        for j, kj in enumerate(k.tolist()):
            exact = method == "exact" or (method == "auto" and _exact_cost(pv, kj) <= max_exact_cost)
            if exact:
                per[i, j], used[i, j] = _maj_exact(pv, kj), "exact"
            else:
                rng = np.random.default_rng([int(seed), i, kj])
                per[i, j], se = _maj_monte_carlo(pv, kj, int(num_trials), rng)
                var[i, j], used[i, j] = se**2, "monte_carlo"
    methods = []
    for j in range(len(k)):
        kinds = set(used[:, j].tolist())
        methods.append(kinds.pop() if len(kinds) == 1 else "exact+monte_carlo")
    return MajAtK(
        k=k,
        value=per.mean(axis=0),
        per_problem=per,
        method=tuple(methods),
        problem_method=used,
        mc_stderr=np.sqrt(var.sum(axis=0)) / len(votes),
    )
