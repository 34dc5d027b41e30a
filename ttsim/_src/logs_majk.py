"""maj@k on sample logs: exact dynamic programme where cheap, batched seeded Monte Carlo in JAX otherwise."""

from __future__ import annotations

import functools
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

from ttsim._src.logs_passk import check_ks, pass_at_k_exact
from ttsim._src.logs_read import SampleLog, _codes, counts_from_samples

_METHODS = ("auto", "exact", "monte_carlo")
MC_WORK = 2e8  # rows touched by the default Monte Carlo (num_trials=None), whole log
MAX_MC_WORK = 5e12  # refused above: trials x problems x samples (many hours on a CPU)
_EXACT_SECONDS = 20.0  # "auto" budget of estimated dynamic-programme time, whole log


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
      num_trials: Monte Carlo subsets per (problem, k) (0 when nothing needed Monte Carlo).
    """

    k: np.ndarray
    value: np.ndarray
    per_problem: np.ndarray
    method: tuple[str, ...]
    problem_method: np.ndarray
    mc_stderr: np.ndarray
    num_trials: int = 0


class _Groups(NamedTuple):
    """Answer groups of every problem: groups sorted by problem, rows' group ids."""

    n: np.ndarray  # (P,) rows per problem
    size: np.ndarray  # (G,) rows per distinct non-empty answer
    correct: np.ndarray  # (G,) some row of this answer is correct
    start: np.ndarray  # (P+1,) problem i's groups are start[i]:start[i+1]
    row_problem: np.ndarray  # (R,) problem index of each row
    row_group: np.ndarray  # (R,) group id of each row, -1 for an empty answer


def _groups(log: SampleLog) -> _Groups:
    import pyarrow as pa
    import pyarrow.compute as pc

    pcode, pwords = _codes(log.problem)
    acode, awords = _codes(log.answer)
    num_p, num_a = len(pwords), max(len(awords), 1)
    empty = np.nonzero(awords == "")[0]
    voting = acode != (empty[0] if empty.size else -1)
    wide = np.int64 if num_p * num_a >= 2**31 else np.int32
    key = pcode[voting].astype(wide) * num_a + acode[voting]
    enc = pc.dictionary_encode(pa.array(key))  # hashing, no sort of the rows
    del key
    uniq = enc.dictionary.to_numpy(zero_copy_only=False)
    order = np.argsort(uniq)
    rank = np.empty(order.size, np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    row_group = np.full(pcode.size, -1, np.int32)
    if voting.all():  # every row votes: write the group ids in place (no row-sized temporary)
        np.take(rank, enc.indices.to_numpy(zero_copy_only=False), out=row_group)
        inv = row_group
    else:
        inv = rank[enc.indices.to_numpy(zero_copy_only=False)]
        row_group[voting] = inv
    del enc
    ukey = uniq[order]
    size = np.bincount(inv, minlength=ukey.size)
    correct = np.bincount(inv, weights=np.asarray(log.correct)[voting], minlength=ukey.size) > 0
    del inv
    start = np.searchsorted(ukey // num_a, np.arange(num_p + 1))
    return _Groups(np.bincount(pcode, minlength=num_p), size, correct, start, pcode, row_group)


def _log_comb(n, k):
    n, k = np.asarray(n, np.float64), np.asarray(k, np.float64)
    ok = (k >= 0) & (k <= n)
    kk = np.where(ok, k, 0.0)
    val = scipy.special.gammaln(n + 1) - scipy.special.gammaln(kk + 1) - scipy.special.gammaln(n - kk + 1)
    return np.where(ok, val, -np.inf)


def _exact_cost(size: np.ndarray, correct: np.ndarray, k: int) -> tuple[float, int]:
    """(multiply-adds, Python iterations) of :func:`_maj_exact` for one problem and k."""
    cost, steps = 0.0, 0
    for m in range(1, min(k, int(size.max())) + 1):
        big = size >= m
        if not correct[big].any():
            continue
        g = int(big.sum())
        t = min(g, k // m) + 1
        c = min(int(correct[big].sum()), t - 1) + 1
        cost += g * (k + 1) ** 2 * t * c
        steps += g
    return cost, steps


def _maj_exact(size: np.ndarray, correct: np.ndarray, n: int, k: int) -> float:
    r"""Exact expected plurality score of a uniform size-k subset (without replacement), 1 < k < n.

    For each possible winning count M, the answers that can reach M (size >= M) are drawn
    one after another from the multivariate hypergeometric (a chain of hypergeometric
    draws from the shrinking pool), each capped at M, tracking the number t of answers at
    exactly M and the number s of correct ones among them; every other row (empty answers
    and answers too small to reach M) is one non-voting pool. The score is
    :math:`\sum_M \sum_{t\ge1,s} \Pr(r, t, s)\,s/t`.
    """
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
        keep = j[:, :-1] >= 0  # banded transfer A[r - x, r] = pmf[r, x] for x < m_top
        rows_to, cols_from = j[:, :-1][keep], np.broadcast_to(r[:, None], j[:, :-1].shape)[keep]
        for m, cor in zip(bsize.tolist(), bcorr.tolist(), strict=True):
            # pmf[r, x] = C(m, x) C(pool - m, r - x) / C(pool, r); zero where r > pool.
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
            # x == m_top: one more answer at the top count (a correct one if cor).
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


def _closed_forms(gr: _Groups, k: np.ndarray):
    """Per (problem, k): value and whether a closed form applies (no correct answer, k = 1, k = n, one answer)."""
    num_p = gr.n.size
    gp = np.repeat(np.arange(num_p), np.diff(gr.start))
    any_correct = np.bincount(gp, weights=gr.correct, minlength=num_p) > 0
    num_groups = np.diff(gr.start)
    right_rows = np.bincount(gp, weights=gr.size * gr.correct, minlength=num_p)
    top = np.zeros(num_p, np.int64)
    np.maximum.at(top, gp, gr.size)
    at_top = gr.size == top[gp]
    full = np.bincount(gp, weights=at_top & gr.correct, minlength=num_p) / np.maximum(np.bincount(gp, weights=at_top, minlength=num_p), 1)
    n = gr.n[:, None].astype(np.float64)
    kk = k[None, :].astype(np.float64)
    one_answer = pass_at_k_exact(n, np.maximum(right_rows[:, None], 0), np.minimum(kk, n))
    value = np.where(kk >= n, full[:, None], np.where(kk == 1, right_rows[:, None] / n, one_answer))
    value = np.where(any_correct[:, None], value, 0.0)
    closed = ~any_correct[:, None] | (kk == 1) | (kk >= n) | (num_groups[:, None] == 1)
    return value, np.broadcast_to(closed, value.shape)


@functools.partial(jax.jit, static_argnames=("ks", "num_trials", "num_groups"))
def _mc_sums(keys, labels, correct, n, num_valid, *, ks, num_trials, num_groups):
    """Sum and sum of squares over ``num_trials`` random orderings of each problem's rows of the
    plurality score of every prefix of length k in ``ks``: ``(B, K)`` each.

    A uniformly random ordering's first k rows are a uniform size-k subset drawn without
    replacement, for every k at once. The vote counts of all prefixes come from one product
    of the prefix masks with the one-hot answers of the ordered rows.
    """
    width = labels.shape[1]
    span = -(-max(ks) // 8) * 8  # only the first max(ks) rows of an ordering matter
    prefix = (jnp.arange(span)[None, :] < jnp.asarray(ks)[:, None]).astype(jnp.float32)  # (K, span)
    label_bits = int(num_groups).bit_length()  # labels 0..num_groups (num_groups: no vote)

    def one(key, lab, cor, n_i):
        # Random keys in the high bits, the row's label in the low bits: sorting orders the rows
        # uniformly at random (ties of the 32 - label_bits random bits, probability ~ W^2 2^-33
        # per ordering, fall back to label order) and carries each row's label along.
        bits = jax.random.bits(key, (num_trials, width), jnp.uint32)
        packed = (bits >> label_bits << label_bits) | lab.astype(jnp.uint32)
        packed = jnp.where(jnp.arange(width) < n_i, packed, jnp.uint32(0xFFFFFFFF))  # padding sorts last
        seq = (jnp.sort(packed, axis=1)[:, :span] & jnp.uint32((1 << label_bits) - 1)).astype(jnp.int32)
        onehot = jax.nn.one_hot(seq, num_groups, dtype=jnp.float32)  # labels >= num_groups -> zeros
        votes = jnp.einsum("kw,twg->tkg", prefix, onehot)
        top = votes.max(axis=-1)
        tied = votes == top[..., None]
        score = jnp.where(top > 0, (tied & cor).sum(-1) / tied.sum(-1), 0.0)  # (T, K)
        score = jnp.where(jnp.arange(num_trials)[:, None] < num_valid, score, 0.0)
        return score.sum(0), (score * score).sum(0)

    return jax.vmap(one)(keys, labels, correct, n)


@jax.jit
def _problem_keys(key, problems, chunk):
    """The key of each problem's ``chunk``-th batch of trials: fold_in(fold_in(key, problem), chunk)."""
    return jax.vmap(lambda i: jax.random.fold_in(jax.random.fold_in(key, i), chunk))(problems)


def _round_up(x: int, to: int) -> int:
    return max(to, -(-x // to) * to)


def _monte_carlo(key, gr: _Groups, problems: np.ndarray, k: np.ndarray, num_trials: int, progress=None):
    """``(len(problems), K)`` Monte Carlo means and standard errors, problems in batches."""

    rp = gr.row_problem
    if rp.size < 2 or bool(np.all(rp[1:] >= rp[:-1])):  # rows already grouped by problem: no sort
        order = np.arange(rp.size, dtype=np.int32 if rp.size < 2**31 else np.int64)
    else:
        order = np.argsort(rp, kind="stable")
    row_start = np.concatenate([[0], np.cumsum(gr.n)])
    mean = np.zeros((problems.size, k.size))
    se = np.zeros((problems.size, k.size))
    batch = 8
    ks = tuple(int(x) for x in k)
    for b0 in range(0, problems.size, batch):
        idx = problems[b0 : b0 + batch]
        pad = np.concatenate([idx, np.full(batch - idx.size, idx[0])])
        n_b = gr.n[pad]
        width = _round_up(int(n_b.max()), 64)
        num_groups = _round_up(int(np.diff(gr.start)[pad].max()), 4)
        pos = row_start[pad][:, None] + np.arange(width)[None, :]
        valid = np.arange(width)[None, :] < n_b[:, None]
        rows = order[np.where(valid, pos, 0)]
        local = gr.row_group[rows] - gr.start[pad][:, None]
        labels = np.where(valid & (gr.row_group[rows] >= 0), local, num_groups).astype(np.int32)
        cor = np.zeros((batch, num_groups), bool)
        for j, p in enumerate(pad):
            g = gr.correct[gr.start[p] : gr.start[p + 1]]
            cor[j, : g.size] = g
        chunk = int(max(1, min(num_trials, (1 << 23) // (batch * width * max(num_groups, 4)))))
        s1 = np.zeros((batch, k.size))
        s2 = np.zeros((batch, k.size))
        done = 0
        c = 0
        while done < num_trials:
            keys = _problem_keys(key, jnp.asarray(pad), c)
            take = min(chunk, num_trials - done)
            a, b = _mc_sums(
                keys, jnp.asarray(labels), jnp.asarray(cor), jnp.asarray(n_b), take,
                ks=ks, num_trials=chunk, num_groups=num_groups,
            )
            s1 += np.asarray(a, np.float64)
            s2 += np.asarray(b, np.float64)
            done += take
            c += 1
        m = s1 / num_trials
        var = np.maximum(s2 / num_trials - m * m, 0.0) * num_trials / max(num_trials - 1, 1)
        mean[b0 : b0 + idx.size] = m[: idx.size]
        se[b0 : b0 + idx.size] = np.sqrt(var / num_trials)[: idx.size]
        if progress is not None:
            progress(idx.size)
    return mean, se


def default_num_trials(num_problems: int) -> int:
    """Monte Carlo subsets per (problem, k) when not given: 20000, fewer for large logs (>= 100)."""
    return int(min(20_000, max(100, MC_WORK // max(num_problems, 1) // 1000)))


def check_mc_size(num_trials: int, num_problems: int, max_n: int, where: str = "num_trials") -> None:
    """Refuse Monte Carlo work that would take many hours, naming the largest that would not."""
    work = float(num_trials) * num_problems * max_n
    if work > MAX_MC_WORK:
        most = int(MAX_MC_WORK // (num_problems * max_n))
        raise ValueError(
            f"{where}: {num_trials} trials x {num_problems} problems x {max_n} samples would take many hours; "
            f"use at most {most}"
        )


def estimate_maj_at_k(
    key,
    log=None,
    ks=None,
    *,
    method: str = "auto",
    num_trials: int | None = None,
    max_exact_cost: float = 2e8,
    progress=None,
    seed=None,
) -> MajAtK:
    r"""maj@k: expected plurality-vote accuracy of a uniformly random size-k subset of each
    problem's samples (drawn without replacement), averaged over problems.

    .. math:: \widehat{\mathrm{maj@}k} = \frac1P\sum_i \binom{n_i}{k}^{-1}\sum_{S\subseteq[n_i],\,|S|=k}
              \frac{\#\{a \in \mathrm{top}(S): a \text{ correct}\}}{\#\,\mathrm{top}(S)}

    where top(S) is the set of answers with the most votes in S. Empty answers do not vote;
    a subset with no votes scores 0; an answer string is correct if any of its rows has
    ``correct = 1``; a tie among t answers scores (number of correct ones)/t.

    Closed forms are used where they exist (no correct answer, k = 1, k = n, a single
    answer). Otherwise ``"exact"`` sums over the multivariate hypergeometric vote counts by
    dynamic programming (per winning count M: a chain of hypergeometric draws tracking the
    ties), in float64; ``"monte_carlo"`` averages ``num_trials`` random orderings of each
    problem's rows (the first k rows of a uniform ordering are a uniform size-k subset, so one
    ordering serves every k), jitted and vmapped over batches of problems, seeded by ``key``;
    ``"auto"`` is exact for a (problem, k) whose programme costs at most ``max_exact_cost``
    multiply-adds while the whole log's estimated exact time stays within about 20 s, else
    Monte Carlo.

    Args:
      key: randomness of the Monte Carlo, required: a jax PRNG key or an int seed.
      log: a :class:`SampleLog`.
      ks: ``(K,)`` whole numbers ``1 <= k <= min_i n_i``.
      method: ``"auto"``, ``"exact"`` or ``"monte_carlo"``.
      num_trials: Monte Carlo orderings per problem (default: 20000, fewer for large logs,
        see :func:`default_num_trials`).
      max_exact_cost: the ``"auto"`` threshold per (problem, k).
      progress: optional callable receiving the number of problems done per batch.
      seed: deprecated (the old call ``estimate_maj_at_k(log, ks, seed=0)``).

    Returns:
      :class:`MajAtK` (values, per-problem values, the method used for each k, and the
      Monte Carlo standard error of each mean, 0 where exact).

    Raises:
      ValueError: for a problem with fewer samples than a requested k (naming it and the
        file), a bad ``method`` / ``num_trials``, or Monte Carlo work that would take hours.

    References: Wang et al., `Self-Consistency Improves Chain of Thought Reasoning
    <https://arxiv.org/abs/2203.11171>`_, 2022; Brown et al., `Large Language Monkeys
    <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    if isinstance(key, SampleLog):
        warnings.warn(
            "estimate_maj_at_k(log, ks, seed=...) is deprecated: pass the key first, estimate_maj_at_k(key, log, ks, ...)",
            DeprecationWarning,
            stacklevel=2,
        )
        key, log, ks = (0 if seed is None else seed), key, log
    elif seed is not None:
        raise ValueError("estimate_maj_at_k: give the randomness once (key first), not also seed")
    if not isinstance(log, SampleLog):
        raise ValueError(f"estimate_maj_at_k: log must be a SampleLog (a counts file has no answers); got {type(log).__name__}")
    if method not in _METHODS:
        raise ValueError(f"estimate_maj_at_k: method must be one of {', '.join(_METHODS)}; got {method!r}")
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        if key < 0:
            raise ValueError(f"estimate_maj_at_k: seed must be >= 0; got {key}")
        key = jax.random.key(int(key))
    gr = _groups(log)
    counts = counts_from_samples(log)
    k = check_ks(ks, counts.n, counts.problem, counts.source, "estimate_maj_at_k", counts.line, "samples")
    num_p = gr.n.size
    if num_trials is None:
        num_trials = default_num_trials(num_p)
    num_trials = int(num_trials)
    if num_trials < 2:
        raise ValueError(f"estimate_maj_at_k: num_trials must be >= 2; got {num_trials}")
    closed_value, closed = _closed_forms(gr, k)
    per = closed_value.copy()
    var = np.zeros(per.shape)
    use_mc = np.zeros(per.shape, bool)
    if method == "monte_carlo":
        use_mc = np.ones(per.shape, bool)
    else:
        spent = 0.0
        for j, kj in enumerate(k.tolist()):
            todo = np.nonzero(~closed[:, j])[0]
            costs = [_exact_cost(gr.size[gr.start[i] : gr.start[i + 1]], gr.correct[gr.start[i] : gr.start[i + 1]], kj) for i in todo]
            seconds = sum(c / 2e8 + s * 2e-5 for c, s in costs)
            affordable = method == "exact" or spent + seconds <= _EXACT_SECONDS
            for i, (c, _) in zip(todo.tolist(), costs, strict=True):
                if method == "exact" or (affordable and c <= max_exact_cost):
                    s = slice(gr.start[i], gr.start[i + 1])
                    per[i, j] = _maj_exact(gr.size[s], gr.correct[s], int(gr.n[i]), kj)
                else:
                    use_mc[i, j] = True
            if affordable:
                spent += seconds
    mc_problems = np.nonzero(use_mc.any(axis=1))[0]
    if mc_problems.size:
        check_mc_size(num_trials, mc_problems.size, int(gr.n.max()), "estimate_maj_at_k: num_trials")
        cols = np.nonzero(use_mc.any(axis=0))[0]
        mean, se = _monte_carlo(key, gr, mc_problems, k[cols], num_trials, progress)
        rows = np.ix_(mc_problems, cols)
        sub = use_mc[rows]
        per[rows] = np.where(sub, mean, per[rows])
        var[rows] = np.where(sub, se**2, 0.0)
    used = np.where(use_mc, "monte_carlo", "exact").astype(object)
    methods = []
    for j in range(k.size):
        kinds = set(used[:, j].tolist())
        methods.append(kinds.pop() if len(kinds) == 1 else "exact+monte_carlo")
    return MajAtK(
        k=k,
        value=per.mean(axis=0),
        per_problem=per,
        method=tuple(methods),
        problem_method=used,
        mc_stderr=np.sqrt(var.sum(axis=0)) / num_p,
        num_trials=num_trials if mc_problems.size else 0,
    )

