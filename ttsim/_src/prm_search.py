r"""PRM-guided search: beam search, DVTS and best-of-N under one process reward model.

Model. A solution is S steps; on a problem of per-sample success p each step is right with
probability :math:`r = p^{1/S}` given a right prefix (a wrong step makes the rest wrong), so an
unguided sample is right with probability p. A process reward model scores every new step with
binormal noise, :math:`s \sim N(d'\,\mathbf 1\{\text{prefix right}\}, 1)` (step d′, the verifier
model of :mod:`ttsim._src.verifier`); a partial solution is ranked by its last step's score. A
share ρ (``persistence``) of the noise variance is a lineage's own error, inherited by its
children (the PRM keeps over-rating a prefix it over-rated).

Over-rated steps (PRM exploitation). A share h (``hack_share``) of wrong steps are ones the PRM
systematically over-rates: such a step, and every step after it in its lineage, scores
:math:`N(d' + \delta, 1)`, δ (``hack_margin``) above a right step. Selection pressure finds
them: beam search's global top-N/M keeps each over-rated step among its N candidates, whose M
children then outrank right partial solutions, so the beam collapses onto that trace (Hugging
Face: "if a single step is assigned high reward, the whole tree collapses to that trace"; Snell
et al.: beam search exploits the PRM at large budgets). A DVTS subtree sees only the M
candidates of its own parent, and best-of-N applies no per-step pressure. Accuracy of beam
search then falls at large N while DVTS holds up, and DVTS overtakes it (from N = 64).
Calibrated to the ordering of the Hugging Face study (beam > best-of-N at small N on hard
problems, DVTS > beam at large N): d′ = 1, S = 8, M = 4, h = 0.02, δ = 0.5 (:data:`HF_CALIBRATION`;
docs/new_strategies.md). h = 0 gives the model without them (the same numbers for the same key).

One search covers all three strategies: ``num_trees`` independent trees, each holding ``width``
partial solutions per step; after each step a tree keeps its ``keep`` best (by PRM score) and
extends each into ``width / keep`` children; at the end the best-scoring leaf over all trees is
the answer.

==================  ==========  =======  ======  =========================================
strategy            num_trees   width    keep    (N samples, beam width M)
==================  ==========  =======  ======  =========================================
best-of-N           N           1        1       N independent solutions, best final score
beam search         1           N        N / M   the top N/M of N, M children each
DVTS                N / M       M        1       N/M independent greedy subtrees of width M
==================  ==========  =======  ======  =========================================

Limits (tests; h = 0): a perfect PRM (d′ → ∞) is step-wise oracle selection, whose accuracy is
exact by a recursion on the number of right partial solutions; d′ = 0 selects at random, so the
accuracy is p; best-of-N is :func:`ttsim._src.verifier.best_of_n` with d′. With h > 0, best-of-N
(which reads final scores only, so any ρ) is a three-class binormal maximum: right p,
over-rated h(1 − p), wrong (1 − h)(1 − p).

Workload (in solution lengths L; a step is L/S tokens): every strategy generates N·L tokens in S
rounds (best-of-N: one round of N full solutions). In a tree the children of one parent share
its prefix (KV reuse, as in ETS), so the KV cache holds :func:`prm_search_kv_tokens` tokens
instead of N·L. The PRM reads every step once: a ``"prm"`` phase of N·``prm_cost`` L.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype
from ttsim._src.strategy import Phase, Strategy, Workload
from ttsim._src.traceable import traceable


class SearchShape(NamedTuple):
    """Static shape of a PRM search: trees, partial solutions per tree, survivors per step."""

    num_trees: int
    width: int
    keep: int


def search_shape(search: str, k: int, beam_width: int = 4) -> SearchShape:
    """The :class:`SearchShape` of ``"best_of_n"``, ``"beam"`` or ``"dvts"`` for N samples and beam
    width M (N a multiple of M for beam search and DVTS).

    Shapes: best-of-N :math:`(N, 1, 1)`, beam search :math:`(1, N, N/M)`, DVTS :math:`(N/M, M, 1)` as (trees, width, kept per step).

    References: Hugging Face, "Scaling test-time compute with open models", 2024; Snell et al., `Scaling LLM Test-Time Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    n, m = int(k), int(beam_width)
    if search == "best_of_n":
        return SearchShape(n, 1, 1)
    if m < 1 or n < m or n % m:
        raise ValueError(f"search_shape: k ({n}) must be a positive multiple of beam_width ({m})")
    if search == "beam":
        return SearchShape(1, n, n // m)
    if search == "dvts":
        return SearchShape(n // m, m, 1)
    raise ValueError(f"search_shape: search must be 'best_of_n', 'beam' or 'dvts'; got {search!r}")


def _one(key, r, d, rho, h, dh, shape: SearchShape, num_steps: int, num_trials: int):
    t, w, k = shape.num_trees, shape.width, shape.keep
    children = w // k
    k0, kscan = jax.random.split(key)
    ka, kn, kb = jax.random.split(k0, 3)
    a, b = jnp.sqrt(rho), jnp.sqrt(1.0 - rho)
    hack_cut = r + h * (1.0 - r)  # u in [r, hack_cut): a wrong step the PRM over-rates (share h)

    def extend(ka, kn, parent, parent_hack, bias):
        u = jax.random.uniform(ka, parent.shape)
        right = parent & (u < r)
        hack = jnp.where(parent, (u >= r) & (u < hack_cut), parent_hack)  # inherited once wrong
        mean = jnp.where(right, d, jnp.where(hack, dh, 0.0))
        return right, hack, a * bias + b * jax.random.normal(kn, parent.shape) + mean

    bias = jax.random.normal(kb, (num_trials, t, w))  # a lineage's persistent PRM error
    start = jnp.ones((num_trials, t, w), bool)
    right, hack, score = extend(ka, kn, start, ~start, bias)

    def step(carry, key_t):
        right, hack, bias, score = carry
        ka, kn = jax.random.split(key_t)
        _, idx = jax.lax.top_k(score, k)  # (T, trees, keep)

        def grow(x):  # the kept partial solutions, each repeated for its children: (T, trees, width)
            return jnp.repeat(jnp.take_along_axis(x, idx, axis=-1), children, axis=-1)

        bias = grow(bias)
        right, hack, score = extend(ka, kn, grow(right), grow(hack), bias)
        return (right, hack, bias, score), None

    (right, _, _, score), _ = jax.lax.scan(step, (right, hack, bias, score), jax.random.split(kscan, num_steps - 1))
    flat_r = right.reshape(num_trials, -1)
    best = jnp.argmax(score.reshape(num_trials, -1), axis=-1)
    return jnp.mean(jnp.take_along_axis(flat_r, best[:, None], axis=-1).astype(jnp.float32))


@functools.partial(jax.jit, static_argnames=("shape", "num_steps", "num_trials"))
def _search(key, p, d, rho, h, margin, shape, num_steps, num_trials):
    p, d, rho, h, margin = jnp.broadcast_arrays(p, d, rho, h, margin)
    r = jnp.exp(jnp.log(jnp.maximum(p, 1e-30)) / num_steps)
    r = jnp.where(p > 0, r, 0.0)
    one = functools.partial(_one, key, shape=shape, num_steps=num_steps, num_trials=num_trials)
    flat = (x.reshape(-1) for x in (r, d, rho, h, d + margin))
    acc = jax.vmap(one)(*flat)
    return acc.reshape(p.shape).astype(p.dtype)


@traceable
def prm_search_accuracy(
    key, p, d_prime, shape: SearchShape, *, persistence=0.0, hack_share=0.0, hack_margin=0.5, num_steps: int = 8, num_trials: int = 2048
) -> jax.Array:
    r"""Accuracy of a PRM-guided search (best-of-N, beam search or DVTS; see the module docstring).

    .. math:: \mathrm{acc} = \Pr\big(\text{the best-scoring leaf is right}\big), \qquad
              r = p^{1/S},\quad s \sim N\big(d'\,\mathbf 1\{\text{right}\}
              + (d' + \delta)\,\mathbf 1\{\text{over-rated}\}, 1\big)

    A wrong step is over-rated with probability h (``hack_share``); it and every step after it
    in its lineage score :math:`N(d' + \delta, 1)`, δ (``hack_margin``) above a right step (the
    PRM exploitation of Snell et al.). With h > 0 and δ > 0 more selection pressure finds more of
    them: beam search's global top-N/M keeps each one it meets and its M children then outrank
    right partial solutions, so the whole beam collapses onto that trace; a DVTS subtree only
    meets the M candidates of its own parent. h = 0 is the model without them (same numbers for
    the same key).

    Seeded Monte Carlo in JAX, vmapped over problems and parameters (common random numbers);
    standard error at most :math:`0.5/\sqrt{\mathrm{num\_trials}}`.

    Args:
      key: ``jax.random`` key (required).
      p: per-sample success probabilities; d_prime: step d′ of the PRM (broadcasts with p; a
        large finite value such as 50 stands for a perfect PRM).
      shape: a :class:`SearchShape` (static; :func:`search_shape`).
      persistence: ρ in [0, 1), the share of the PRM's score noise variance that a partial
        solution inherits from its parent (a lineage's persistent error: the PRM keeps liking a
        prefix it liked). ρ = 0: independent noise per step (broadcasts with p).
      hack_share: h in [0, 1], the share of wrong steps the PRM over-rates (broadcasts).
      hack_margin: δ (any real), how far above a right step's mean an over-rated step and its
        descendants score, in units of the score noise (broadcasts).
      num_steps: S, steps per solution (static). num_trials: trials (static).

    References: Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024 (beam search exploits the PRM at large budgets);
    Beeching, Tunstall & Rush, "Scaling test-time compute with open models", Hugging Face, 2024
    (beam search and DVTS: a step with a high reward collapses the beam onto its trace).
    """
    where = "prm_search_accuracy"
    if not isinstance(shape, SearchShape) or shape.width % shape.keep or min(shape) < 1:
        raise ValueError(f"{where}: shape must be a SearchShape with keep dividing width; got {shape!r}")
    if int(num_steps) < 1:
        raise ValueError(f"{where}: num_steps must be >= 1; got {num_steps}")
    dt = float_dtype(p, d_prime)
    p, d = v.asarray(p, dt), v.asarray(d_prime, dt)
    v.check_probability("p", p, where=where)
    v.check_in_range("d_prime", d, -np.inf, np.inf, lo_open=True, hi_open=True, where=where)
    rho = v.asarray(persistence, dt)
    v.check_in_range("persistence", rho, 0.0, 1.0, hi_open=True, where=where)
    h, margin = v.asarray(hack_share, dt), v.asarray(hack_margin, dt)
    v.check_probability("hack_share", h, where=where)
    v.check_in_range("hack_margin", margin, -np.inf, np.inf, lo_open=True, hi_open=True, where=where)
    return _search(key, p, d, rho, h, margin, shape, int(num_steps), int(num_trials))


def oracle_search_accuracy(p, shape: SearchShape, num_steps: int = 8) -> np.ndarray:
    r"""Exact accuracy of step-wise oracle selection (a perfect PRM) by a recursion on the number
    of right partial solutions per tree: with :math:`k_t` right of the width,

    .. math:: k_1 \sim \mathrm{Bin}(\mathrm{width}, r),\quad
              k_{t+1} \sim \mathrm{Bin}\big(\tfrac{\mathrm{width}}{\mathrm{keep}}\min(k_t, \mathrm{keep}), r\big),
              \quad \mathrm{acc} = 1 - \Pr(k_S = 0)^{\mathrm{num\_trees}}.

    Host NumPy/SciPy (a reference for the Monte Carlo).

    With a perfect PRM a step is kept right whenever one of its candidates is: :math:`\Pr = 1-(1-p)^{\text{candidates}}` per step, compounded over steps.

    References: Hugging Face, "Scaling test-time compute with open models", 2024; Snell et al., `Scaling LLM Test-Time Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    from scipy.stats import binom

    p = np.asarray(p, np.float64)
    out = np.zeros(p.shape)
    w, k, children = shape.width, shape.keep, shape.width // shape.keep
    for i, pi in np.ndenumerate(p):
        r = pi ** (1.0 / num_steps)
        dist = binom.pmf(np.arange(w + 1), w, r)
        for _ in range(num_steps - 1):
            new = np.zeros(w + 1)
            for kt, prob in enumerate(dist):
                trials = children * min(kt, k)
                new[: trials + 1] += prob * binom.pmf(np.arange(trials + 1), trials, r)
            dist = new
        out[i] = 1.0 - dist[0] ** shape.num_trees
    return out


class PRMCalibration(NamedTuple):
    """Constants of the PRM search model and the target they were set to hit.

    :data:`HF_CALIBRATION` holds the values calibrated to the qualitative ordering of the Hugging
    Face study (Llama-3.2 1B/3B on MATH-500): beam search ahead of best-of-N at small N on hard
    problems, DVTS ahead of beam search at large N. ``d_prime``, ``num_steps`` and
    ``beam_width`` are stated (the study's M = 4), ``hack_share`` and ``hack_margin`` calibrated.
    """

    d_prime: float = 1.0
    persistence: float = 0.0
    hack_share: float = 0.02
    hack_margin: float = 0.5
    num_steps: int = 8
    beam_width: int = 4


HF_CALIBRATION = PRMCalibration()


def compare_searches(key, p, ks, calibration: PRMCalibration = HF_CALIBRATION, *, num_trials: int = 2048) -> dict:
    r"""Accuracy of best-of-N, beam search and DVTS at each N in ``ks`` under one PRM model.

    .. math:: \mathrm{acc}_{\text{search}}(N, p) = \texttt{prm\_search\_accuracy}\big(p, d',
              \text{search\_shape}(\text{search}, N, M); \rho, h, \delta, S\big)

    The same key for every cell (common random numbers), so differences between searches carry
    less noise than each accuracy (standard error at most :math:`0.5/\sqrt{\mathrm{num\_trials}}`).
    Returns ``{"best_of_n" | "beam" | "dvts": array (len(ks),) + p.shape}``; every N must be a
    multiple of ``calibration.beam_width``.

    References: Beeching, Tunstall & Rush, "Scaling test-time compute with open models",
    Hugging Face, 2024; Snell et al., `Scaling LLM Test-Time Compute Optimally
    <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    c = calibration
    out = {}
    for search in ("best_of_n", "beam", "dvts"):
        rows = [
            prm_search_accuracy(key, p, c.d_prime, search_shape(search, int(n), c.beam_width), persistence=c.persistence,
                                hack_share=c.hack_share, hack_margin=c.hack_margin, num_steps=c.num_steps, num_trials=num_trials)
            for n in ks
        ]
        out[search] = np.stack([np.asarray(x) for x in rows])
    return out


def prm_search_kv_tokens(shape: SearchShape, num_steps: int = 8) -> float:
    r"""Distinct tokens held in the KV cache over a search, in solution lengths L (prefix sharing).

    Step t (1..S) adds width·num_trees new steps of L/S tokens; in a tree the ``width/keep``
    children of a parent share its prefix, so the distinct prefix tokens are those of the kept
    partial solutions: :math:`\sum_t \big(N + \mathrm{num\_trees}\cdot\mathrm{keep}\,(t-1)\big)/S`
    against :math:`\sum_t N\,t/S` without sharing. (Best-of-N shares nothing.)

    References: Hooper et al., ETS: Efficient Tree Search for inference-time scaling, 2025.
    """
    n = shape.num_trees * shape.width
    kept = shape.num_trees * shape.keep if shape.width > 1 else n
    s = int(num_steps)
    return float(sum(n + kept * (t - 1) for t in range(1, s + 1)) / s)


class PRMSearchParams(NamedTuple):
    """Parameters of a PRM search strategy: step d′ of the PRM, its cost per solution (in L), the
    lineage persistence ρ, the Monte Carlo key as raw key data (``jax.random.key_data``), and the
    share h and margin δ of over-rated wrong steps (last, with defaults: h = 0 is the model
    without them, so four positional fields still build a valid value)."""

    d_prime: jax.Array
    prm_cost: jax.Array
    persistence: jax.Array
    key: jax.Array
    hack_share: jax.Array = 0.0
    hack_margin: jax.Array = 0.5


def prm_search_strategy(key, search: str, k: int, *, beam_width: int = 4, d_prime=1.0, prm_cost=1.0, persistence=0.0, hack_share=0.0, hack_margin=0.5, num_steps: int = 8, num_trials: int = 1024) -> Strategy:
    r"""Best-of-N, beam search or DVTS under a PRM as a :class:`~ttsim._src.strategy.Strategy`.

    Workload: solver phase ``count = N``, ``length = 1`` (L per search path), ``depth = S`` rounds
    (1 for best-of-N), ``context`` = the average prefix a step reads, :math:`(S-1)/(2S)` L (0 for
    best-of-N, which generates whole solutions); PRM phase ``role="prm"``, ``count = N``,
    ``length = prm_cost`` (PRM work per solution, in L), same depth. Accuracy:
    :func:`prm_search_accuracy` with the params' d′, ρ, h (``hack_share``) and δ (``hack_margin``).

    References: Hugging Face, "Scaling test-time compute with open models", 2024; Snell et al., 2024.
    """
    num_samples = int(k)
    shape = search_shape(search, num_samples, beam_width)
    s = int(num_steps)
    k_acc, _ = jax.random.split(key)

    @traceable
    def accuracy(p, params):
        return prm_search_accuracy(jax.random.wrap_key_data(params.key), p, params.d_prime, shape, persistence=params.persistence, hack_share=params.hack_share, hack_margin=params.hack_margin, num_steps=s, num_trials=num_trials)

    def workload(params):
        depth = v.asarray(1.0 if search == "best_of_n" else float(s))
        ctx = v.asarray(0.0 if search == "best_of_n" else (s - 1) / (2.0 * s))
        n = v.asarray(float(num_samples))
        return Workload(
            (
                Phase(count=n, length=jnp.ones_like(n), depth=depth, context=ctx, role="solver"),
                Phase(count=n, length=v.asarray(params.prm_cost, n.dtype), depth=depth, context=jnp.zeros_like(n), role="prm"),
            )
        )

    f32 = functools.partial(v.asarray, dtype=jnp.float32)
    params = PRMSearchParams(f32(d_prime), f32(prm_cost), f32(persistence), jax.random.key_data(k_acc), f32(hack_share), f32(hack_margin))
    return Strategy(name=f"prm_{search}", accuracy=accuracy, workload=workload, params=params)
