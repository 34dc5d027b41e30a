"""Hypothesis strategies that draw valid inputs for ttsim's models (needs the optional ``hypothesis``).

Every strategy builds its value through the library's own constructors, so it only produces
inputs the library's argument checks accept, and shrinks towards simple values. See
:mod:`ttsim.testing`.
"""

from __future__ import annotations

import numpy as np


def _hyp():
    try:
        import hypothesis.strategies as st
    except ImportError:  # pragma: no cover - exercised only without hypothesis
        raise ImportError(
            "ttsim.testing strategies need the optional dependency 'hypothesis': pip install hypothesis "
            "(or pip install 'ttsim[test]'); the check_* properties work without it"
        ) from None
    return st


_EDGE_P = (0.0, 1.0, 1e-6, 1.0 - 1e-6, 0.5)


def _floats32(lo: float, hi: float):
    """float32-representable floats in [lo, hi] (bounds rounded inwards to float32)."""
    st = _hyp()
    lo32, hi32 = np.float32(lo), np.float32(hi)
    if lo32 < lo:
        lo32 = np.nextafter(lo32, np.float32(np.inf))
    if hi32 > hi:
        hi32 = np.nextafter(hi32, np.float32(-np.inf))
    return st.floats(float(lo32), float(hi32), allow_nan=False, width=32)


def probabilities(*, min_value: float = 0.0, max_value: float = 1.0, edges: bool = True):
    """Floats in [min_value, max_value] (float32-representable), drawing 0, 1 and near-0/1 often.

    Shrinks towards ``min_value``.
    """
    st = _hyp()
    base = _floats32(min_value, max_value)
    if not edges:
        return base
    edge = [e for e in _EDGE_P if min_value <= e <= max_value]
    return st.one_of(base, st.sampled_from(edge)) if edge else base


def probability_arrays(size: int = 8, *, edges: bool = True, min_value: float = 0.0, max_value: float = 1.0):
    """``(size,)`` float32 arrays of probabilities (fixed size: each new shape recompiles)."""
    st = _hyp()
    return st.lists(probabilities(min_value=min_value, max_value=max_value, edges=edges), min_size=size, max_size=size).map(
        lambda xs: np.asarray(xs, np.float32)
    )


def _log_uniform(lo: float, hi: float):
    """Floats in [lo, hi] uniform in log, shrinking towards the geometric middle (1 when lo*hi=1)."""
    st = _hyp()
    llo, lhi = np.log(lo), np.log(hi)
    mid = 0.5 * (llo + lhi)
    return st.floats(llo - mid, lhi - mid, allow_nan=False).map(lambda u: float(np.clip(np.exp(u + mid), lo, hi)))


def beta_params(min_value: float = 0.05, max_value: float = 20.0):
    """``(alpha, beta)`` pairs, log-uniform in [min_value, max_value] (U-shaped to peaked)."""
    st = _hyp()
    return st.tuples(_log_uniform(min_value, max_value), _log_uniform(min_value, max_value))


def beta_populations(num_nodes: int = 16, *, min_value: float = 0.05, max_value: float = 20.0):
    """:class:`ttsim.ProblemSet` of a Beta population (via :func:`ttsim.beta_population`)."""
    import ttsim

    return beta_params(min_value, max_value).map(lambda ab: ttsim.beta_population(ab[0], ab[1], num_nodes=num_nodes))


def beta_mixture_populations(num_components: int = 2, num_nodes: int = 16, *, min_value: float = 0.05, max_value: float = 20.0):
    """Mixtures of Betas (via :func:`ttsim.populations.beta_mixture_population`); ``2 * num_nodes * num_components`` problems."""
    import ttsim

    st = _hyp()

    @st.composite
    def draw(d):
        w = [d(st.floats(0.05, 1.0)) for _ in range(num_components)]
        ab = [d(beta_params(min_value, max_value)) for _ in range(num_components)]
        return ttsim.populations.beta_mixture_population(
            np.asarray(w, np.float32), np.asarray([x[0] for x in ab], np.float32), np.asarray([x[1] for x in ab], np.float32), num_nodes
        )

    return draw()


def empirical_populations(num_problems: int = 8, *, weighted: bool = True, edges: bool = True):
    """Empirical populations (via :func:`ttsim.empirical_population`): per-problem p with 0/1 edge cases.

    With ``weighted``, problems get positive weights in [0.1, 10] (not all equal).
    """
    import ttsim

    st = _hyp()

    @st.composite
    def draw(d):
        p = d(probability_arrays(num_problems, edges=edges))
        if weighted and d(st.booleans()):
            w = d(st.lists(_floats32(0.1, 10.0), min_size=num_problems, max_size=num_problems))
            return ttsim.empirical_population(p, np.asarray(w, np.float32))
        return ttsim.empirical_population(p)

    return draw()


def populations(num_problems: int = 8, num_nodes: int = 8):
    """Any population: empirical (``num_problems``), Beta or a 2-component mixture (``num_nodes``)."""
    st = _hyp()
    return st.one_of(empirical_populations(num_problems), beta_populations(num_nodes), beta_mixture_populations(2, num_nodes))


def problem_counts(num_problems: int = 8, *, max_n: int = 64, min_n: int = 1, equal_n: bool = False):
    """Per-problem counts ``(n, c)``: int64 ``(num_problems,)`` arrays with 1 <= n <= max_n, 0 <= c <= n.

    Includes all-fail and all-pass problems; valid for :func:`ttsim.pass_at_k`,
    :func:`ttsim.fit_beta` and :func:`ttsim.check_law`.
    """
    st = _hyp()

    @st.composite
    def draw(d):
        if equal_n:
            n = np.full(num_problems, d(st.integers(min_n, max_n)), np.int64)
        else:
            n = np.asarray(d(st.lists(st.integers(min_n, max_n), min_size=num_problems, max_size=num_problems)), np.int64)
        frac = d(st.lists(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0), min_size=num_problems, max_size=num_problems))
        c = np.clip(np.round(np.asarray(frac) * n), 0, n).astype(np.int64)
        return n, c

    return draw()


def answer_distributions(num_other: int = 2, *, edges: bool = True):
    """``(2 + num_other,)`` answer distributions from :func:`ttsim.answer_probs` (index 0 correct).

    Draws p (with edge cases) and the dominant wrong answer's share q <= 1 - p.
    """
    import ttsim

    st = _hyp()

    @st.composite
    def draw(d):
        p = d(probabilities(edges=edges))
        frac = d(probabilities(edges=edges))
        q = float(np.float32(frac) * np.float32(1.0 - p))
        q = min(q, float(np.float32(1.0) - np.float32(p)))
        return np.asarray(ttsim.answer_probs(np.float32(p), np.float32(max(q, 0.0)), num_other))

    return draw()


def verifier_d_primes(min_value: float = 0.0, max_value: float = 6.0):
    """Verifier sensitivity d′ (equal-variance binormal), in [min_value, max_value]; shrinks to min."""
    st = _hyp()
    return st.one_of(_floats32(min_value, max_value), st.sampled_from([min_value, max_value]))


def verifier_aucs(min_value: float = 0.5, max_value: float = 0.999):
    """Verifier AUC in [min_value, max_value] (0.5 = chance)."""
    return _floats32(min_value, max_value)


def tpr_fpr(*, informative: bool = True):
    """``(tpr, fpr)`` pairs in [0, 1]; with ``informative``, tpr >= fpr (better than chance)."""
    st = _hyp()

    @st.composite
    def draw(d):
        a, b = d(probabilities()), d(probabilities())
        return (max(a, b), min(a, b)) if informative else (a, b)

    return draw()


def refinement_chains(*, edges: bool = True, min_rate: float = 0.0):
    """``(p0, a, b)`` fix/break chain parameters for :func:`ttsim.refinement_accuracy`.

    ``a`` = P(wrong -> right), ``b`` = P(right -> wrong) per step; ``a + b >= min_rate``.
    """
    st = _hyp()

    @st.composite
    def draw(d):
        p0, a, b = d(probabilities(edges=edges)), d(probabilities(edges=edges)), d(probabilities(edges=edges))
        if a + b < min_rate:
            a = float(np.float32(min(1.0, min_rate)))
        return p0, a, b

    return draw()


def sample_budgets(size: int = 8, *, max_k: int = 1024, min_k: int = 1):
    """``(size,)`` sorted distinct whole-number sample counts in [min_k, max_k] (float32).

    Fixed size, so a jitted model compiles once. ``max_k - min_k + 1 >= size`` is required.
    """
    st = _hyp()
    if max_k - min_k + 1 < size:
        raise ValueError(f"sample_budgets: need max_k - min_k + 1 >= size; got [{min_k}, {max_k}] for size {size}")
    return st.lists(st.integers(min_k, max_k), min_size=size, max_size=size, unique=True).map(
        lambda xs: np.asarray(sorted(xs), np.float32)
    )


def budgets(size: int = 8, *, min_value: float = 1.0, max_value: float = 1e6):
    """``(size,)`` sorted positive budgets (tokens, FLOPs, dollars), log-uniform in [min, max] (float64)."""
    st = _hyp()
    return st.lists(_log_uniform(min_value, max_value), min_size=size, max_size=size).map(lambda xs: np.sort(np.asarray(xs)))


def sample_allocations(num_options: int = 3, *, max_total: int = 64):
    """``(num_options,)`` int64 sample counts over configurations, each >= 0, summing to 1..max_total."""
    st = _hyp()

    @st.composite
    def draw(d):
        total = d(st.integers(1, max_total))
        cuts = sorted(d(st.lists(st.integers(0, total), min_size=num_options - 1, max_size=num_options - 1)))
        return np.diff(np.asarray([0, *cuts, total], np.int64))

    return draw()


def model_configs(*, moe: bool | None = None):
    """:class:`ttsim.ModelConfig` values with consistent architecture numbers.

    params in [1e8, 1e12] (log-uniform), 1-128 layers, query heads a multiple of the KV heads,
    head_dim in {64, 80, 96, 128, 256}, hidden size = heads * head_dim; MoE configs (when
    ``moe`` is None or True) route ``experts_per_token`` of ``num_experts`` with
    active_params < params. Shrinks towards a small dense model.
    """
    import ttsim

    st = _hyp()

    @st.composite
    def draw(d):
        params = d(_log_uniform(1e8, 1e12))
        layers = d(st.integers(1, 128))
        kv = d(st.sampled_from([1, 2, 4, 8, 16]))
        group = d(st.sampled_from([1, 2, 4, 8]))
        head_dim = d(st.sampled_from([64, 80, 96, 128, 256]))
        vocab = d(st.integers(32_000, 262_144))
        is_moe = d(st.booleans()) if moe is None else moe
        if is_moe:
            experts = d(st.sampled_from([8, 16, 64, 128]))
            per_tok = d(st.integers(1, min(8, experts - 1)))
            active = params * d(st.floats(0.02, 0.9))
        else:
            experts, per_tok, active = 1, 1, params
        f = np.float64
        return ttsim.ModelConfig(
            params=np.asarray(params, f), active_params=np.asarray(active, f), num_layers=np.asarray(layers, f),
            num_heads=np.asarray(kv * group, f), num_kv_heads=np.asarray(kv, f), head_dim=np.asarray(head_dim, f),
            hidden_size=np.asarray(kv * group * head_dim, f), vocab_size=np.asarray(vocab, f),
            num_experts=np.asarray(experts, f), experts_per_token=np.asarray(per_tok, f), name="generated",
            source="ttsim.testing.model_configs",
        )

    return draw()


def hardware_profiles(*, priced: bool | None = None):
    """:class:`ttsim.Hardware` profiles: peak 1e13-1e16 FLOP/s, bandwidth 1e11-2e13 B/s,
    capacity 8-300 GB, price 0.1-20 $/h (or NaN when ``priced`` is False / drawn unpriced)."""
    import ttsim

    st = _hyp()

    @st.composite
    def draw(d):
        has_price = d(st.booleans()) if priced is None else priced
        f = np.float64
        return ttsim.Hardware(
            peak_flops=np.asarray(d(_log_uniform(1e13, 1e16)), f),
            memory_bandwidth=np.asarray(d(_log_uniform(1e11, 2e13)), f),
            memory_capacity=np.asarray(d(_log_uniform(8e9, 3e11)), f),
            price_per_hour=np.asarray(d(_log_uniform(0.1, 20.0)) if has_price else np.nan, f),
            name="generated",
            source="ttsim.testing.hardware_profiles",
        )

    return draw()
