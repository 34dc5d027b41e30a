"""Benchmark families: a ttsim sweep and a straightforward numpy/scipy baseline of the same formula.

Each family gives ``build(points) -> Family`` with the sweep (function, axes, fixed) and two
baselines evaluated on a random subsample of the grid:

* ``loop``: what a researcher would write: a Python loop over grid points, numpy inside
  (vectorised over problems or counts where that is natural), ``scipy.integrate.quad`` where
  the model is an integral, the Chen et al. (2021) numpy pass@k estimator, the chain iterated
  step by step. This is the baseline behind ``speedup_vs_numpy``.
* ``vectorized`` (closed forms only): one numpy/scipy call over the whole subsample, the
  strongest CPU baseline; reported beside it as ``speedup_vs_vectorized``.

Families whose ttsim function does not exist yet are reported as skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.integrate
import scipy.special as sp
import scipy.stats

import ttsim


class Family(NamedTuple):
    name: str
    fn: Callable[..., Any]  # the swept ttsim function of one point
    axes: dict[str, np.ndarray]
    fixed: dict[str, Any]
    field: str | None  # output field compared with the baseline (None: the single output)
    loop: Callable[[dict[str, float]], float]  # baseline for one point (float64 inputs)
    vectorized: Callable[[dict[str, np.ndarray]], np.ndarray] | None
    loop_samples: int  # grid points the loop baseline evaluates
    chunk_size: int
    note: str
    vec_samples: int = 1_000_000  # grid points the vectorized baseline evaluates


def _split(points: int, n_axes: int) -> int:
    """Axis length so that n_axes such axes hold at least ``points`` points."""
    m = max(2, math.ceil(points ** (1.0 / n_axes)))
    while m**n_axes < points:
        m += 1
    return m


def _ints(lo: int, hi: int, m: int) -> np.ndarray:
    """m distinct integers spread over [lo, hi] (hi - lo + 1 >= m)."""
    out = np.unique(np.round(np.linspace(lo, hi, m)))
    assert out.size == m, (lo, hi, m)
    return out


def _f32(x):
    return np.asarray(x, np.float32).astype(np.float64)


# ----------------------------------------------------------------------------- coverage / pass@k


def coverage(points: int) -> Family:
    n = _split(points, 2)
    axes = {"p": np.linspace(0.0, 1.0, n), "k": np.geomspace(1, 1e5, n)}

    def loop(pt):
        return 1.0 - (1.0 - pt["p"]) ** pt["k"]

    def vec(pts):
        return 1.0 - (1.0 - pts["p"]) ** pts["k"]

    return Family("coverage", ttsim.coverage, axes, {}, None, loop, vec, 20_000, 1 << 20,
                  "1-(1-p)^k; loop: one Python expression per point")


def pass_at_k(points: int) -> Family:
    m = _split(points, 3)
    axes = {"n": _ints(1_000, 100_000, m), "c": _ints(0, max(m, 500), m), "k": _ints(1, max(m, 500), m)}

    def loop(pt):  # the numpy estimator of Chen et al. (2021), as published
        n, c, k = int(pt["n"]), int(pt["c"]), int(pt["k"])
        if n - c < k:
            return 1.0
        return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))

    def vec(pts):
        n, c, k = pts["n"], pts["c"], pts["k"]
        ok = n - c >= k
        lr = sp.gammaln(n - c + 1) - sp.gammaln(np.where(ok, n - c - k + 1, 1)) - sp.gammaln(n + 1) + sp.gammaln(n - k + 1)
        return np.where(ok, -np.expm1(lr), 1.0)

    return Family("pass_at_k", ttsim.pass_at_k, axes, {}, None, loop, vec, 5_000, 1 << 18,
                  "unbiased pass@k; loop: Chen et al.'s np.prod estimator per point")


def beta_coverage(points: int) -> Family:
    m = _split(points, 3)
    axes = {
        "alpha": np.geomspace(0.05, 5.0, m),
        "beta": np.geomspace(0.2, 20.0, m),
        "k": np.geomspace(1, 1e4, m),
    }

    def loop(pt):  # expected coverage under a Beta prior, integrated numerically
        a, b, k = pt["alpha"], pt["beta"], pt["k"]
        log_norm = sp.betaln(a, b)

        def integrand(p):  # Beta(a, b) density times coverage, in plain math
            if p <= 0.0 or p >= 1.0:
                return 0.0
            dens = math.exp((a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - log_norm)
            return dens * -math.expm1(k * math.log1p(-p))

        val, _ = scipy.integrate.quad(integrand, 0, 1, limit=200)
        return val

    def vec(pts):
        a, b, k = pts["alpha"], pts["beta"], pts["k"]
        return -np.expm1(sp.betaln(a, b + k) - sp.betaln(a, b))

    return Family("beta_coverage", ttsim.beta_coverage, axes, {}, None, loop, vec, 300, 1 << 18,
                  "E_Beta[1-(1-p)^k]; loop: scipy.integrate.quad per point; vectorized: closed form betaln")


def population_coverage(points: int) -> Family:
    rng = np.random.default_rng(0)
    num_pop, num_problems = 16, 512
    p = rng.beta(0.3, 2.0, size=(num_pop, num_problems))
    pops = ttsim.empirical_population(p)
    kmax = max(2, points // num_pop)
    axes = {"problems": pops, "k": np.geomspace(1, 1e5, kmax)}
    p64 = _f32(p)

    def loop(pt):
        pi = p64[int(pt["problems"])]
        return float(np.mean(1.0 - (1.0 - pi) ** pt["k"]))

    def vec(pts):
        pi = p64[pts["problems"].astype(int)]
        return np.mean(1.0 - (1.0 - pi) ** pts["k"][:, None], axis=1)

    return Family("population_coverage", ttsim.population_coverage, axes, {}, None, loop, vec, 5_000, 1 << 14,
                  f"sum_i w_i (1-(1-p_i)^k), {num_pop} populations x {num_problems} problems; loop over (population, k), numpy over problems",
                  vec_samples=20_000)


# ----------------------------------------------------------------------------- votes, verifiers


def majority_vote(points: int) -> Family | None:
    if not (hasattr(ttsim, "majority_vote") and hasattr(ttsim, "answer_probs")):
        return None
    max_k = 16
    m = _split(points, 3)
    m = _split(max(2, points // max_k), 2)
    axes = {"p": np.linspace(0.05, 0.95, m), "q_frac": np.linspace(0.0, 1.0, m), "k": np.arange(1, max_k + 1)}

    def fn(p, q_frac, k):
        return ttsim.majority_vote(ttsim.answer_probs(p, q_frac * (1 - p), 1), k, method="exact", max_k=max_k)

    def loop(pt):  # enumerate the count vectors (c0, c1, c2) of k samples over 3 answers
        p, k = pt["p"], int(pt["k"])
        q = pt["q_frac"] * (1 - p)
        probs = np.array([p, q, max(0.0, 1 - p - q)])
        c0, c1 = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
        c2 = k - c0 - c1
        ok = c2 >= 0
        counts = np.stack([c0, c1, np.maximum(c2, 0)], -1)[ok]
        pmf = scipy.stats.multinomial.pmf(counts, k, probs)
        top = counts.max(axis=1)
        ties = (counts == top[:, None]).sum(axis=1)
        return float(np.sum(pmf * (counts[:, 0] == top) / ties))

    return Family("majority_vote", fn, axes, {}, None, loop, None, 300, 1 << 12,
                  f"exact plurality vote, 3 answers, k <= {max_k}; loop: multinomial enumeration per point")


def best_of_n(points: int) -> Family | None:
    if not hasattr(ttsim, "best_of_n"):
        return None
    m = _split(points, 3)
    axes = {"p": np.linspace(0.02, 0.98, m), "n": np.geomspace(1, 1024, m), "d_prime": np.linspace(0.0, 3.0, m)}
    c = 1.0 / math.sqrt(2.0 * math.pi)

    def loop(pt):  # n * int p phi(x - d) [p Phi(x - d) + (1 - p) Phi(x)]^(n-1) dx with quad
        p, n, d = pt["p"], pt["n"], pt["d_prime"]

        def f(x):
            g = p * sp.ndtr(x - d) + (1 - p) * sp.ndtr(x)
            return n * p * c * math.exp(-0.5 * (x - d) ** 2) * g ** (n - 1)

        val, _ = scipy.integrate.quad(f, -np.inf, np.inf, limit=200)
        return val

    return Family("best_of_n", ttsim.best_of_n, axes, {}, None, loop, None, 100, 1 << 13,
                  "binormal best-of-N verifier; loop: scipy.integrate.quad per point")


# ----------------------------------------------------------------------------- sequential, cost


def refinement(points: int) -> Family | None:
    if not hasattr(ttsim, "refinement_accuracy"):
        return None
    m = _split(points, 4)
    axes = {"p0": np.linspace(0, 1, m), "a": np.linspace(0, 0.5, m), "b": np.linspace(0, 0.2, m), "t": np.arange(m)}

    def loop(pt):  # iterate the fix/break chain step by step
        acc = pt["p0"]
        for _ in range(int(pt["t"])):
            acc = acc * (1 - pt["b"]) + (1 - acc) * pt["a"]
        return acc

    def vec(pts):
        s = pts["a"] + pts["b"]
        pi = np.where(s > 0, pts["a"] / np.where(s > 0, s, 1), pts["p0"])
        return pi + (pts["p0"] - pi) * (1 - s) ** pts["t"]

    return Family("refinement", ttsim.refinement_accuracy, axes, {}, None, loop, vec, 5_000, 1 << 18,
                  "p_t of the fix/break chain; loop: chain iterated t steps per point")


def kinetics_cost(points: int) -> Family | None:
    if not all(hasattr(ttsim, n) for n in ("kinetics_cost", "stack_models", "get_model", "get_hardware", "load_models")):
        return None
    names = list(ttsim.load_models())[:8]
    models = ttsim.stack_models([ttsim.get_model(n) for n in names])
    hw = ttsim.get_hardware("h100-sxm")
    m = _split(max(2, points // len(names)), 3)
    axes = {
        "model": models,
        "prompt_tokens": np.geomspace(64, 8192, m),
        "gen_tokens": np.geomspace(256, 32768, m),
        "num_samples": _ints(1, max(m, 64), m),
    }
    ms = [ttsim.get_model(n) for n in names]
    peak, bw, price = float(hw.peak_flops), float(hw.memory_bandwidth), float(hw.price_per_hour)

    def loop(pt):  # Kinetics dense-attention eFLOPs -> seconds, in plain Python floats
        mc = ms[int(pt["model"])]
        P, H, K = float(mc.active_params), float(mc.num_heads), float(mc.num_kv_heads)
        D = float(mc.head_dim) * float(mc.num_layers)
        c, L, N = pt["prompt_tokens"], pt["gen_tokens"], pt["num_samples"]
        compute = N * (2 * P * L + 2 * (2 * c + L) * L * H * D)
        memory = 2 * (2 * c + N * L) * L * K * D
        return (compute + peak / bw * memory) / peak

    return Family("kinetics_cost", ttsim.kinetics_cost, axes, {"hardware": hw}, "seconds", loop, None, 20_000, 1 << 16,
                  f"Kinetics dense cost (seconds field), {len(names)} models x 3 workload axes; loop: Python floats per point (price {price} $/h)")


FAMILIES = {
    "coverage": coverage,
    "pass_at_k": pass_at_k,
    "beta_coverage": beta_coverage,
    "population_coverage": population_coverage,
    "majority_vote": majority_vote,
    "best_of_n": best_of_n,
    "refinement": refinement,
    "kinetics_cost": kinetics_cost,
}
