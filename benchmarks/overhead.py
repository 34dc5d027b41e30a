"""Library overhead per model family: ttsim's public function vs the same formula written plainly.

For every family the same grid is evaluated three ways, in one process, one after another:

* **ttsim**: the public function a user calls (validation, dtype handling and all), on inputs
  already on the device, as a user inside a jitted program or a sweep would pass them;
* **hand-written jit**: ``jax.jit`` of the formula written directly in ``jax.numpy`` (what a
  researcher would write without ttsim; the same algorithm unless the row says otherwise);
* **numpy/scipy**: one vectorised numpy/scipy evaluation of the same quantity in float64.

Reported per family: ``ttsim_over_numpy`` (numpy seconds / ttsim seconds),
``ttsim_over_hand_jit`` (hand-jit seconds / ttsim seconds: 1.0 means no overhead), each side's
maximum absolute error against an independent float64 reference on sampled grid points (exact
enumeration, scipy quadrature or the step-by-step recursion), and ``retraces`` (traces of the
ttsim path during the timed calls after the first: 0 means one trace serves every call).

Times are the median of repeated calls after a warm-up call (compilation excluded), with
``block_until_ready``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.integrate
import scipy.special as sp

GOAL_OVER_NUMPY = 5.0
GOAL_OVER_HAND_JIT = 0.8


class Overhead(NamedTuple):
    name: str
    grid: str  # human-readable grid description
    ttsim: Callable[[], Any]
    hand_jit: Callable[[], Any]
    numpy: Callable[[], np.ndarray]
    reference: Callable[[np.ndarray], np.ndarray]  # flat indices -> float64 reference values
    num_reference: int  # sampled points checked against the reference
    note: str = ""
    candidates: np.ndarray | None = None  # flat indices the reference can handle (default: all)


# ----------------------------------------------------------------------------- timing helpers


_TRACES: list[str] = []
_LISTENING = False


def _listen() -> None:
    global _LISTENING
    if not _LISTENING:
        import jax

        jax.monitoring.register_event_duration_secs_listener(
            lambda name, dur, **kw: _TRACES.append(name) if name.endswith("jaxpr_trace_duration") else None
        )
        _LISTENING = True


def _ready(x):
    import jax

    return jax.block_until_ready(x)


def _time(fn: Callable[[], Any], *, min_seconds: float, min_reps: int = 3) -> tuple[float, Any, int]:
    """Median seconds per call after one warm-up call, the last output, and traces after warm-up."""
    out = _ready(fn())
    before = len(_TRACES)
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_seconds and len(times) < 200):
        t0 = time.perf_counter()
        out = _ready(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out, len(_TRACES) - before


def _flat(x) -> np.ndarray:
    return np.asarray(x, np.float64).reshape(-1)


# ----------------------------------------------------------------------------- the families


def beta_coverage(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import betaln

    import ttsim

    na, nb, nk = (max(4, int(100 * math.sqrt(scale))), max(4, int(100 * math.sqrt(scale))), 599)
    a = np.geomspace(0.05, 5.0, na)[:, None, None]
    b = np.geomspace(0.2, 20.0, nb)[None, :, None]
    k = np.geomspace(1, 1e4, nk)[None, None, :]
    a32, b32, k32 = (jnp.asarray(x, jnp.float32) for x in (a, b, k))

    @jax.jit
    def hand(a, b, k):
        return -jnp.expm1(betaln(a, b + k) - betaln(a, b))

    def numpy():
        return -np.expm1(sp.betaln(a, b + k) - sp.betaln(a, b))

    shape = np.broadcast_shapes(a.shape, b.shape, k.shape)

    def reference(idx):
        i, j, l = np.unravel_index(idx, shape)
        av, bv, kv = _f32(a.reshape(-1)[i]), _f32(b.reshape(-1)[j]), _f32(k.reshape(-1)[l])
        out = []
        for x, y, z in zip(av, bv, kv):  # E[1-(1-p)^k] under Beta(a, b), by quadrature in float64
            ln = sp.betaln(x, y)

            def f(p, x=x, y=y, z=z, ln=ln):
                if p <= 0.0 or p >= 1.0:
                    return 0.0
                return math.exp((x - 1) * math.log(p) + (y - 1) * math.log1p(-p) - ln) * -math.expm1(z * math.log1p(-p))

            out.append(scipy.integrate.quad(f, 0, 1, limit=400, epsabs=1e-13, epsrel=1e-11)[0])
        return np.array(out)

    return Overhead(
        "beta_coverage", f"{na} x {nb} x {nk} (alpha, beta, k)",
        lambda: ttsim.beta_coverage(a32, b32, k32), lambda: hand(a32, b32, k32), numpy, reference, 200,
        "closed form 1 - B(a, b+k)/B(a, b) on all three sides; reference: scipy quad of the Beta integral",
    )


def population_coverage(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp

    import ttsim

    num_p = max(16, int(10_000 * math.sqrt(scale)))
    num_k = max(16, int(10_000 * math.sqrt(scale)))
    rng = np.random.default_rng(0)
    p = _f32(rng.beta(0.3, 2.0, num_p))
    w = np.full(num_p, 1.0 / num_p)
    k = _f32(np.geomspace(1, 1e5, num_k))
    pop = ttsim.empirical_population(jnp.asarray(p, jnp.float32))
    kj = jnp.asarray(k, jnp.float32)
    pj, wj = jnp.asarray(p, jnp.float32), jnp.asarray(w, jnp.float32)

    @jax.jit
    def hand(p, w, k):
        return jnp.sum(w * -jnp.expm1(k[:, None] * jnp.log1p(-p)[None, :]), axis=1)

    def numpy():
        return (w * -np.expm1(k[:, None] * np.log1p(-p)[None, :])).sum(axis=1)

    def reference(idx):
        return np.array([math.fsum(w * -np.expm1(k[i] * np.log1p(-p))) for i in idx])

    return Overhead(
        "population_coverage", f"{num_p} problems x {num_k} k",
        lambda: ttsim.population_coverage(pop, kj), lambda: hand(pj, wj, kj), numpy, reference, 50,
        "sum_i w_i (1 - (1-p_i)^k); reference: float64 with math.fsum",
    )


def _vote_grid(scale: float, max_k: int):
    m = max(4, int(40 * math.sqrt(scale)))
    p = np.linspace(0.05, 0.9, m)[:, None, None]
    frac = np.linspace(0.0, 1.0, m)[None, :, None]
    k = np.arange(1, max_k + 1, dtype=np.float64)[None, None, :]
    q = frac * (1 - p)
    return p, q, k


def _vote_enumeration(p, q, k_max: int) -> np.ndarray:
    """Exact plurality-vote accuracy, 3 answers (p, q, 1-p-q), k = 1..k_max: enumeration in float64."""
    p, q = np.broadcast_arrays(p, q)
    r = np.clip(1 - p - q, 0.0, 1.0)
    out = np.zeros(p.shape + (k_max,))
    for kk in range(1, k_max + 1):
        for c0 in range(kk + 1):
            for c1 in range(kk - c0 + 1):
                c2 = kk - c0 - c1
                top = max(c0, c1, c2)
                if c0 != top:
                    continue
                ties = (c0 == top) + (c1 == top) + (c2 == top)
                logc = sp.gammaln(kk + 1) - sp.gammaln(c0 + 1) - sp.gammaln(c1 + 1) - sp.gammaln(c2 + 1)
                pmf = np.exp(logc + sp.xlogy(c0, p) + sp.xlogy(c1, q) + sp.xlogy(c2, r))
                out[..., kk - 1] += pmf / ties
    return out


def majority_vote_exact(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import xlogy

    import ttsim

    max_k = 16
    p, q, k = _vote_grid(scale, max_k)
    probs = np.stack(np.broadcast_arrays(p[..., 0], q[..., 0], 1 - p[..., 0] - q[..., 0]), -1)
    probs32 = jnp.asarray(probs, jnp.float32)[:, :, None, :]  # batch (m, m, 1) against k (max_k,)
    k32 = jnp.asarray(k[0, 0], jnp.float32)
    # every count vector (c0, c1, c2) of k samples, k = 1..max_k, as static tables
    rows = [(kk, c0, c1, kk - c0 - c1) for kk in range(1, max_k + 1) for c0 in range(kk + 1) for c1 in range(kk - c0 + 1)]
    tab = np.array(rows, np.float64)
    top = tab[:, 1:].max(1)
    win = (tab[:, 1] == top) / (tab[:, 1:] == top[:, None]).sum(1)
    logc = sp.gammaln(tab[:, 0] + 1) - sp.gammaln(tab[:, 1:] + 1).sum(1)
    onehot = (tab[:, 0][None, :] == np.arange(1, max_k + 1)[:, None]).astype(np.float64)  # (K, rows)
    tabj, winj, logcj, onehotj = (jnp.asarray(x, jnp.float32) for x in (tab, win, logc, onehot))

    @jax.jit
    def hand(probs):
        probs = probs[..., 0, :]
        logpmf = logcj + jnp.sum(xlogy(tabj[:, 1:], probs[..., None, :]), -1)
        return jnp.einsum("...r,kr->...k", jnp.exp(logpmf) * winj, onehotj)

    def numpy():
        term = sp.xlogy(tab[:, 1:], probs[..., None, :]).sum(-1)
        return np.einsum("...r,kr->...k", np.exp(logc + term) * win, onehot)

    shape = probs.shape[:-1] + (max_k,)
    ref = _vote_enumeration(p[..., 0], q[..., 0], max_k)

    return Overhead(
        "majority_vote_exact", f"{probs.shape[0]} x {probs.shape[1]} (p, q) x k = 1..{max_k}, 3 answers",
        lambda: ttsim.majority_vote(probs32, k32, method="exact", max_k=max_k), lambda: hand(probs32), numpy,
        lambda idx: ref.reshape(-1)[idx], 500,
        "ttsim: O(k^3 A) count DP per distribution; hand jit and numpy: enumeration of all count vectors "
        f"({len(rows)} for k <= {max_k}), which is cheaper at 3 answers but grows as k^(A-1); "
        f"reference: float64 enumeration (grid shape {shape})",
    )


def majority_vote_monte_carlo(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp

    import ttsim

    max_k, trials = 16, 4096
    m = max(4, int(12 * math.sqrt(scale)))
    p = np.linspace(0.05, 0.9, m)[:, None]
    q = (np.linspace(0.0, 1.0, m)[None, :] * (1 - p))
    probs = np.stack(np.broadcast_arrays(p, q, 1 - p - q), -1)
    probs32 = jnp.asarray(probs, jnp.float32)
    kk = max_k
    key = jax.random.key(0)

    @jax.jit
    def hand(key, probs):
        draws = jax.random.categorical(key, jnp.log(jnp.clip(probs, 1e-30, 1.0))[..., None, None, :],
                                       shape=probs.shape[:-1] + (trials, kk))
        counts = jnp.sum(jax.nn.one_hot(draws, 3), axis=-2)
        top = counts.max(-1)
        ties = jnp.sum(counts == top[..., None], -1)
        return jnp.mean(jnp.where(counts[..., 0] == top, 1.0 / ties, 0.0), -1)

    rng = np.random.default_rng(0)

    def numpy():
        flat = probs.reshape(-1, 3)
        counts = np.stack([rng.multinomial(kk, pr, size=trials) for pr in flat])
        top = counts.max(-1)
        ties = (counts == top[..., None]).sum(-1)
        return np.mean(np.where(counts[..., 0] == top, 1.0 / ties, 0.0), -1).reshape(probs.shape[:-1])

    ref = _vote_enumeration(p, q, kk)[..., kk - 1]

    def run_ttsim():
        try:
            return ttsim.majority_vote(key, probs32, kk, method="monte_carlo", num_trials=trials)
        except TypeError:  # older signature: key as a keyword
            return ttsim.majority_vote(probs32, kk, method="monte_carlo", key=key, num_trials=trials)

    return Overhead(
        "majority_vote_monte_carlo", f"{m} x {m} (p, q), k = {kk}, {trials} trials",
        run_ttsim, lambda: hand(key, probs32), numpy, lambda idx: ref.reshape(-1)[idx], m * m,
        "errors are Monte Carlo errors (standard error <= 0.5/sqrt(trials) = 0.008); reference: exact enumeration",
    )


def _bon_reference(p, d, n):
    c = 1.0 / math.sqrt(2.0 * math.pi)

    def f(x):
        g = p * sp.ndtr(x - d) + (1 - p) * sp.ndtr(x)
        return n * p * c * math.exp(-0.5 * (x - d) ** 2) * g ** (n - 1)

    return scipy.integrate.quad(f, -np.inf, np.inf, limit=400, epsabs=1e-12)[0]


def best_of_n(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import ndtr

    import ttsim

    m = max(4, int(40 * math.sqrt(scale)))
    p = np.linspace(0.02, 0.98, m)[:, None, None]
    d = np.linspace(0.0, 3.0, m)[None, :, None]
    n = np.geomspace(1, 1024, 10)[None, None, :]
    p32, d32, n32 = (jnp.asarray(x, jnp.float32) for x in (p, d, n))
    x = np.linspace(-8.0, 12.0, 513)
    dx = x[1] - x[0]
    xj = jnp.asarray(x, jnp.float32)

    @jax.jit
    def hand(p, d, n):  # fixed 513-node trapezoid on [-8, 12]
        g = p[..., None] * ndtr(xj - d[..., None]) + (1 - p[..., None]) * ndtr(xj)
        dens = jnp.exp(-0.5 * (xj - d[..., None]) ** 2) / jnp.sqrt(2 * jnp.pi)
        f = n[..., None] * p[..., None] * dens * jnp.exp((n[..., None] - 1) * jnp.log(jnp.clip(g, 1e-38, 1.0)))
        return jnp.sum(f, -1) * dx - 0.5 * dx * (f[..., 0] + f[..., -1])

    def numpy():
        g = p[..., None] * sp.ndtr(x - d[..., None]) + (1 - p[..., None]) * sp.ndtr(x)
        dens = np.exp(-0.5 * (x - d[..., None]) ** 2) / np.sqrt(2 * np.pi)
        f = n[..., None] * p[..., None] * dens * g ** (n[..., None] - 1)
        return scipy.integrate.trapezoid(f, x, axis=-1)

    shape = np.broadcast_shapes(p.shape, d.shape, n.shape)

    def reference(idx):
        i, j, l = np.unravel_index(idx, shape)
        return np.array([_bon_reference(_f32(p.reshape(-1)[a]), _f32(d.reshape(-1)[b]), _f32(n.reshape(-1)[c]))
                         for a, b, c in zip(i, j, l)])

    def run_ttsim():
        return ttsim.best_of_n(p32, n32, d32)

    return Overhead(
        "best_of_n", f"{m} x {m} x 10 (p, d', N)", run_ttsim, lambda: hand(p32, d32, n32), numpy, reference, 200,
        "ttsim: 128-node Gauss-Legendre on a searched interval; hand jit and numpy: fixed 513-node trapezoid on "
        "[-8, 12]; reference: scipy quad",
    )


def refinement(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp

    import ttsim

    m = max(4, int(60 * scale ** 0.25))
    p0 = np.linspace(0, 1, m)[:, None, None, None]
    a = np.linspace(0, 0.5, m)[None, :, None, None]
    b = np.linspace(0, 0.2, m)[None, None, :, None]
    t = np.arange(m, dtype=np.float64)[None, None, None, :]
    j = [jnp.asarray(x, jnp.float32) for x in (p0, a, b, t)]

    @jax.jit
    def hand(p0, a, b, t):
        s = a + b
        pi = jnp.where(s > 0, a / jnp.where(s > 0, s, 1.0), p0)
        return pi + (p0 - pi) * jnp.exp(t * jnp.log1p(-s))

    def numpy():
        s = a + b
        with np.errstate(invalid="ignore", divide="ignore"):
            pi = np.where(s > 0, a / np.where(s > 0, s, 1.0), p0)
        return pi + (p0 - pi) * (1 - s) ** t

    shape = np.broadcast_shapes(p0.shape, a.shape, b.shape, t.shape)

    def reference(idx):  # the chain iterated step by step in float64
        i, jj, l, s = np.unravel_index(idx, shape)
        out = []
        for w, x, y, z in zip(_f32(p0.reshape(-1)[i]), _f32(a.reshape(-1)[jj]), _f32(b.reshape(-1)[l]), t.reshape(-1)[s]):
            acc = w
            for _ in range(int(z)):
                acc = acc * (1 - y) + (1 - acc) * x
            out.append(acc)
        return np.array(out)

    return Overhead(
        "refinement", f"{m}^4 (p0, a, b, t)", lambda: ttsim.refinement_accuracy(*j), lambda: hand(*j), numpy,
        reference, 2000, "closed form of the fix/break chain; reference: the chain iterated t steps in float64",
    )


def genrm(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import gammaln

    import ttsim

    m = max(4, int(30 * math.sqrt(scale)))
    max_v = 16
    p = np.linspace(0.05, 0.95, m)[:, None, None]
    s = np.arange(1, m + 1, dtype=np.float64)[None, :, None]
    v = np.arange(0, max_v + 1, dtype=np.float64)[None, None, :]
    tpr, fpr = 0.8, 0.3
    p32, s32, v32 = (jnp.asarray(x, jnp.float32) for x in (p, s, v))
    lev = np.arange(max_v + 1, dtype=np.float64)

    def _binom_pmf(xp, lev, v, r, gl, log, log1p, where):
        logc = gl(v + 1) - gl(lev + 1) - gl(where(lev <= v, v - lev, 0) + 1)
        lp = logc + lev * log(r) + (v - lev) * log1p(-r)
        return where(lev <= v, xp.exp(lp), 0.0)

    @jax.jit
    def hand(p, s, v):
        levj = jnp.asarray(lev, jnp.float32)
        vv = v[..., None]
        bt = _binom_pmf(jnp, levj, vv, tpr, gammaln, jnp.log, jnp.log1p, jnp.where)
        bf = _binom_pmf(jnp, levj, vv, fpr, gammaln, jnp.log, jnp.log1p, jnp.where)
        g = p[..., None] * bt + (1 - p[..., None]) * bf
        cdf = jnp.cumsum(g, -1)
        cdf_prev = cdf - g
        post = p[..., None] * bt / jnp.where(g > 0, g, 1.0)
        sel = jnp.exp(s[..., None] * jnp.log(jnp.clip(cdf, 1e-38, 1.0))) - jnp.exp(s[..., None] * jnp.log(jnp.clip(cdf_prev, 1e-38, 1.0)))
        sel = jnp.where(cdf_prev > 0, sel, jnp.exp(s[..., None] * jnp.log(jnp.clip(cdf, 1e-38, 1.0))))
        return jnp.sum(sel * post, -1)

    def numpy():
        vv = v[..., None]
        bt = _binom_pmf(np, lev, vv, tpr, sp.gammaln, np.log, np.log1p, np.where)
        bf = _binom_pmf(np, lev, vv, fpr, sp.gammaln, np.log, np.log1p, np.where)
        g = p[..., None] * bt + (1 - p[..., None]) * bf
        cdf = np.cumsum(g, -1)
        with np.errstate(invalid="ignore", divide="ignore"):
            post = np.where(g > 0, p[..., None] * bt / np.where(g > 0, g, 1.0), 0.0)
        return np.sum((cdf ** s[..., None] - np.clip(cdf - g, 0, None) ** s[..., None]) * post, -1)

    shape = np.broadcast_shapes(p.shape, s.shape, v.shape)

    def reference(idx):  # enumerate the S solutions' correctness and verdict counts exactly
        from itertools import product

        i, jj, l = np.unravel_index(idx, shape)
        out = []
        for pp, ss, vv in zip(_f32(p.reshape(-1)[i]), s.reshape(-1)[jj], v.reshape(-1)[l]):
            ss, vv = int(ss), int(vv)
            pm_t = [math.comb(vv, x) * tpr**x * (1 - tpr) ** (vv - x) for x in range(vv + 1)]
            pm_f = [math.comb(vv, x) * fpr**x * (1 - fpr) ** (vv - x) for x in range(vv + 1)]
            acc = 0.0
            for corr in product((0, 1), repeat=ss):
                pc = math.prod(pp if c else 1 - pp for c in corr)
                for scores in product(range(vv + 1), repeat=ss):
                    ps = math.prod((pm_t if c else pm_f)[x] for c, x in zip(corr, scores))
                    top = max(scores)
                    winners = [c for c, x in zip(corr, scores) if x == top]
                    acc += pc * ps * sum(winners) / len(winners)
            out.append(acc)
        return np.array(out)

    small = np.flatnonzero((np.broadcast_to(s, shape).reshape(-1) <= 3) & (np.broadcast_to(v, shape).reshape(-1) <= 4))

    return Overhead(
        "genrm", f"{m} x {m} x {max_v + 1} (p, S, V), tpr {tpr}, fpr {fpr}",
        lambda: ttsim.genrm_accuracy(p32, tpr, fpr, s32, v32, max_verifications=max_v), lambda: hand(p32, s32, v32),
        numpy, reference, 60, "exact selection formula on all sides; reference: enumeration of every solution's "
        "correctness and verdict count (S <= 3, V <= 4)", candidates=small,
    )


def kinetics_cost(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp

    import ttsim

    hw = ttsim.get_hardware("h100-sxm")
    names = ["qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-14b", "qwen3-32b"]
    ms = [ttsim.get_model(n) for n in names]
    models = ttsim.stack_models(ms)
    m = max(4, int(100 * scale ** (1 / 3)))
    c = np.geomspace(64, 8192, m)[None, :, None, None]
    L = np.geomspace(256, 32768, m)[None, None, :, None]
    N = np.round(np.geomspace(1, 64, m))[None, None, None, :]
    cj, Lj, Nj = (jnp.asarray(x, jnp.float32) for x in (c, L, N))
    P = np.array([float(x.active_params) for x in ms])[:, None, None, None]
    H = np.array([float(x.num_heads) for x in ms])[:, None, None, None]
    K = np.array([float(x.num_kv_heads) for x in ms])[:, None, None, None]
    D = np.array([float(x.head_dim) * float(x.num_layers) for x in ms])[:, None, None, None]
    Pj, Hj, Kj, Dj = (jnp.asarray(x, jnp.float32) for x in (P, H, K, D))
    peak, bw = float(hw.peak_flops), float(hw.memory_bandwidth)
    mj = jax.tree_util.tree_map(lambda x: jnp.asarray(x)[:, None, None, None], models)

    price = float(hw.price_per_hour)

    def formula(xp, P, H, K, D, c, L, N):  # all five fields of ttsim's Cost, as the public function returns
        compute = N * (2 * P * L + 2 * (2 * c + L) * L * H * D)
        memory = 2 * (2 * c + N * L) * L * K * D
        eflops = compute + peak / bw * memory
        seconds = eflops / peak
        return xp.broadcast_arrays(compute, memory, eflops, seconds, seconds * price / 3600)

    hand = jax.jit(lambda *a: formula(jnp, *a))

    def reference(idx):
        full = formula(np, P, H, K, D, _f32(c), _f32(L), _f32(N))[3]
        return full.reshape(-1)[idx]

    return Overhead(
        "kinetics_cost", f"{len(names)} models x {m}^3 (prompt, gen, samples), 5 outputs",
        lambda: ttsim.kinetics_cost(mj, hw, cj, Lj, Nj).seconds, lambda: hand(Pj, Hj, Kj, Dj, cj, Lj, Nj)[3],
        lambda: formula(np, P, H, K, D, c, L, N)[3], reference, 1000,
        "Kinetics dense cost; every side computes the five fields of ttsim's Cost (flops, memory, eFLOPs, "
        "seconds, dollars) and seconds are compared; reference: the same closed form in float64",
    )


def estimators(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import gammaln

    import ttsim

    num_p = max(100, int(10_000 * scale))
    rng = np.random.default_rng(0)
    n = np.full(num_p, 1000.0)
    c = rng.binomial(1000, rng.beta(0.3, 2.0, num_p)).astype(np.float64)
    ks = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000], np.float64)
    counts = ttsim.Counts([str(i) for i in range(num_p)], n.astype(np.int64), c.astype(np.int64))

    def logratio(xp, gl, n, c, k):
        ok = n - c >= k
        lr = gl(n - c + 1) - gl(xp.where(ok, n - c - k + 1, 1)) - gl(n + 1) + gl(n - k + 1)
        return xp.where(ok, -xp.expm1(lr), 1.0)

    @jax.jit
    def hand(n, c, k):
        return jnp.mean(logratio(jnp, gammaln, n[:, None], c[:, None], k[None, :]), 0)

    nj, cj, kj = (jnp.asarray(x, jnp.float64 if jax.config.jax_enable_x64 else jnp.float32) for x in (n, c, ks))

    def numpy():
        return np.mean(logratio(np, sp.gammaln, n[:, None], c[:, None], ks[None, :]), 0)

    def reference(idx):  # exact rationals via math.comb, averaged
        out = []
        for j in idx:
            k = int(ks[j])
            vals = [1.0 - math.comb(int(nn - cc), k) / math.comb(int(nn), k) if nn - cc >= k else 1.0 for nn, cc in zip(n, c)]
            out.append(math.fsum(vals) / len(vals))
        return np.array(out)

    return Overhead(
        "estimators_pass_at_k", f"{num_p} problems x {ks.size} k (n = 1000 samples each)",
        lambda: ttsim.estimate_pass_at_k(counts, ks), lambda: hand(nj, cj, kj), numpy, reference, ks.size,
        "unbiased pass@k averaged over problems; reference: exact rationals with math.comb",
    )


def _f32(x):
    return np.asarray(x, np.float32).astype(np.float64)


def weighted_vote(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import ndtr

    import ttsim

    kk, trials, d = 8, 4096, 1.5
    m = max(3, int(10 * math.sqrt(scale)))
    p = np.linspace(0.1, 0.8, m)[:, None]
    q = np.linspace(0.0, 1.0, m)[None, :] * (1 - p)
    probs = np.stack(np.broadcast_arrays(p, q, 1 - p - q), -1)
    probs32 = jnp.asarray(probs, jnp.float32)
    key = jax.random.key(0)

    def sim(xp, answers, z):  # answers (..., trials, k) ints, z standard normals: Phi-weighted vote
        scores = z + d * (answers == 0)
        h = ndtr(scores) if xp is jnp else sp.ndtr(scores)
        onehot = (answers[..., None] == xp.arange(3)).astype(h.dtype)
        weight = xp.sum(onehot * h[..., None], -2)
        present = xp.sum(onehot, -2) > 0
        weight = xp.where(present, weight, -1.0)
        top = weight.max(-1)
        ties = xp.sum(weight == top[..., None], -1)
        return xp.mean(xp.where(weight[..., 0] == top, 1.0 / ties, 0.0), -1)

    @jax.jit
    def hand(key, probs):
        k1, k2 = jax.random.split(key)
        shape = probs.shape[:-1] + (trials, kk)
        answers = jax.random.categorical(k1, jnp.log(jnp.clip(probs, 1e-30, 1.0))[..., None, None, :], shape=shape)
        return sim(jnp, answers, jax.random.normal(k2, shape))

    rng = np.random.default_rng(0)

    def draw(num):
        u = rng.random(probs.shape[:-1] + (num, kk))
        cum = np.cumsum(probs, -1)[..., None, None, :]
        answers = (u[..., None] > cum).sum(-1)
        return sim(np, answers, rng.standard_normal(answers.shape))

    ref = draw(200_000)  # an independent float64 Monte Carlo with 50x the trials

    def run_ttsim():
        try:
            return ttsim.weighted_vote(key, probs32, kk, d)
        except TypeError:  # older signature: key as a keyword
            return ttsim.weighted_vote(probs32, kk, d, key=key, num_trials=trials)

    return Overhead(
        "weighted_vote", f"{m} x {m} (p, q), k = {kk}, d' = {d}, {trials} trials",
        run_ttsim, lambda: hand(key, probs32), lambda: draw(trials), lambda idx: ref.reshape(-1)[idx], m * m,
        "Monte Carlo on all sides (errors are sampling errors, standard error <= 0.008); reference: float64 Monte Carlo "
        "with 200000 trials",
    )


def roofline_cost(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp

    import ttsim

    hw = ttsim.get_hardware("h100-sxm")
    model = ttsim.get_model("qwen3-8b")
    m = max(4, int(150 * scale ** (1 / 3)))
    c = np.geomspace(64, 8192, m)[:, None, None]
    L = np.round(np.geomspace(256, 32768, m))[None, :, None]  # whole tokens: the reference loops over them
    N = np.round(np.geomspace(1, 64, m))[None, None, :]
    cj, Lj, Nj = (jnp.asarray(x, jnp.float32) for x in (c, L, N))
    P, H, K, D = (float(model.active_params), float(model.num_heads), float(model.num_kv_heads), float(model.kv_dim))
    W = float(model.params)
    peak, bw = float(hw.peak_flops), float(hw.memory_bandwidth)

    price = float(hw.price_per_hour)

    def formula(xp, c, L, N):  # dense model, dense attention, one batch of N, bf16 weights and KV
        kv = 2.0 * K * D * 2.0
        pre_flops = 2 * P * c + 4 * H * D * 0.5 * c * c
        pre_bytes = W * 2.0 + kv * c
        pre = xp.maximum(pre_flops / peak, pre_bytes / bw)
        flops = N * (2 * P * L + 4 * H * D * (c * L + 0.5 * L * L))
        byts = L * W * 2.0 + kv * (c * L + 0.5 * N * L * L) + kv * N * L
        seconds = pre + xp.maximum(flops / peak, byts / bw)
        all_flops, all_bytes = pre_flops + flops, pre_bytes + byts
        eflops = all_flops + peak / bw * all_bytes
        # all five fields of ttsim's Cost, as the public function returns
        return xp.broadcast_arrays(all_flops, all_bytes, eflops, seconds, seconds * price / 3600)

    hand = jax.jit(lambda c, L, N: formula(jnp, c, L, N))

    def reference(idx):  # a decode loop, token step by token step, in float64
        i, j, l = np.unravel_index(idx, np.broadcast_shapes(c.shape, L.shape, N.shape))
        out = []
        kv = 2.0 * K * D * 2.0
        for cc, ll, nn in zip(_f32(c.reshape(-1)[i]), _f32(L.reshape(-1)[j]), N.reshape(-1)[l]):
            t = max((2 * P * cc + 4 * H * D * 0.5 * cc * cc) / peak, (W * 2.0 + kv * cc) / bw)
            steps = int(round(ll))
            f_tot = b_tot = 0.0
            for s in range(steps):  # step s: each of nn sequences attends to cc + s + 0.5 keys on average
                f_tot += nn * (2 * P + 4 * H * D * (cc + s + 0.5))
                b_tot += W * 2.0 + kv * (cc + nn * (s + 0.5)) + kv * nn
            out.append(t + max(f_tot / peak, b_tot / bw))
        return np.array(out)

    return Overhead(
        "roofline_cost", f"qwen3-8b on h100-sxm, {m}^3 (prompt, gen, samples), 5 outputs",
        lambda: ttsim.roofline_cost(model, hw, cj, Lj, Nj).seconds, lambda: hand(cj, Lj, Nj)[3],
        lambda: formula(np, c, L, N)[3], reference, 20,
        "dense model and attention, one batch; every side computes the five fields of ttsim's Cost and "
        "seconds are compared; reference: the decode loop summed step by step in float64",
    )


def optimizer_table(scale: float) -> Overhead:
    import jax
    import jax.numpy as jnp

    import ttsim

    num_bins, per_bin = 5, max(20, int(400 * scale))
    rng = np.random.default_rng(0)
    p = rng.beta(0.3, 2.0, num_bins * per_bin)
    bins = np.repeat(np.arange(num_bins), per_bin)
    binned = ttsim.bin_population(p, bins, num_bins)
    n_grid = np.unique(np.round(np.geomspace(1, 4096, max(16, int(256 * scale)))))
    options = ttsim.optim.option_grid(ttsim.strategies.parallel(), k=n_grid.tolist())
    pb = np.asarray(binned.p[0], np.float64)
    wb = np.asarray(binned.weight, np.float64)
    pj, wj, nj = jnp.asarray(pb, jnp.float32), jnp.asarray(wb, jnp.float32), jnp.asarray(n_grid, jnp.float32)

    @jax.jit
    def hand(p, w, n):
        return jnp.einsum("bk,bkj->bj", w, -jnp.expm1(n * jnp.log1p(-p)[..., None]))

    def numpy():
        return np.einsum("bk,bkj->bj", wb, -np.expm1(n_grid * np.log1p(-pb)[..., None]))

    def reference(idx):
        b, j = np.unravel_index(idx, (num_bins, n_grid.size))
        return np.array([math.fsum(wb[x] * -np.expm1(n_grid[y] * np.log1p(-_f32(pb[x])))) for x, y in zip(b, j)])

    return Overhead(
        "optimizer_table", f"{num_bins} bins x {per_bin} problems x {n_grid.size} options (parallel)",
        lambda: ttsim.optim.option_table(binned, options).accuracy, lambda: hand(pj, wj, nj), numpy, reference, 50,
        "the optimizer's (bins x options) accuracy table for best-of-N; ttsim also builds the cost table and "
        "the feasibility mask (most of its time), the other sides only the accuracy",
    )


FAMILIES: dict[str, Callable[[float], Any]] = {
    "beta_coverage": beta_coverage,
    "population_coverage": population_coverage,
    "majority_vote_exact": majority_vote_exact,
    "majority_vote_monte_carlo": majority_vote_monte_carlo,
    "best_of_n": best_of_n,
    "refinement": refinement,
    "genrm": genrm,
    "weighted_vote": weighted_vote,
    "kinetics_cost": kinetics_cost,
    "roofline_cost": roofline_cost,
    "optimizer_table": optimizer_table,
    "estimators_pass_at_k": estimators,
}


def measure(name: str, scale: float = 1.0, *, min_seconds: float = 0.5, seed: int = 0) -> dict:
    """Time one family three ways and check each side against the reference."""
    _listen()
    fam: Overhead = FAMILIES[name](scale)
    t_ttsim, y_ttsim, retraces = _time(fam.ttsim, min_seconds=min_seconds)
    t_hand, y_hand, _ = _time(fam.hand_jit, min_seconds=min_seconds)
    t_np, y_np, _ = _time(fam.numpy, min_seconds=min_seconds, min_reps=2)
    yt, yh, yn = _flat(y_ttsim), _flat(y_hand), _flat(y_np)
    rng = np.random.default_rng(seed)
    pool = np.arange(yt.size) if fam.candidates is None else fam.candidates
    sample_idx = np.sort(rng.choice(pool, size=min(fam.num_reference, pool.size), replace=False))
    ref = fam.reference(sample_idx)
    ok = np.isfinite(ref)

    def err(y):
        return float(np.max(np.abs(y[sample_idx][ok] - ref[ok]))) if ok.any() else float("nan")

    return {
        "grid": fam.grid,
        "points": int(yt.size),
        "ttsim_seconds": t_ttsim,
        "hand_jit_seconds": t_hand,
        "numpy_seconds": t_np,
        "ttsim_over_numpy": t_np / t_ttsim,
        "ttsim_over_hand_jit": t_hand / t_ttsim,
        "ttsim_max_abs_error": err(yt),
        "hand_jit_max_abs_error": err(yh),
        "numpy_max_abs_error": err(yn),
        "reference_points": int(ok.sum()),
        "retraces": int(retraces),
        "meets_numpy_goal": bool(t_np / t_ttsim >= GOAL_OVER_NUMPY),
        "meets_hand_jit_goal": bool(t_hand / t_ttsim >= GOAL_OVER_HAND_JIT),
        "note": fam.note,
    }
