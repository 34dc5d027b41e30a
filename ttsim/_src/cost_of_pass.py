"""FLOPs matching between model sizes (Snell et al.) and cost-of-pass (Erol et al.)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype
from ttsim._src.specs import CostOfPassFrontier, _as_arrays
from ttsim._src.traceable import traceable


@traceable
def pretraining_flops(params, tokens) -> jax.Array:
    r"""Training compute ``6 N D_pre`` for ``N`` parameters and ``D_pre`` tokens.

    .. math:: F_\text{pre} = 6\,N\,D_\text{pre}

    Args:
      params: parameters ``N`` (array).
      tokens: pretraining tokens ``D_pre`` (array).

    References:
      Kaplan et al., `Scaling Laws for Neural Language Models <https://arxiv.org/abs/2001.08361>`_, 2020;
      Snell et al., `Scaling LLM Test-Time Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    v.check_nonnegative("params", params, where="pretraining_flops")
    v.check_nonnegative("tokens", tokens, where="pretraining_flops")
    dt = float_dtype(params, tokens)
    return 6.0 * v.asarray(params, dt) * v.asarray(tokens, dt)


@traceable
def inference_flops(params, tokens) -> jax.Array:
    r"""Inference compute ``2 N D_inf`` for ``N`` parameters and ``D_inf`` processed tokens.

    .. math:: F_\text{inf} = 2\,N\,D_\text{inf}

    Args:
      params: parameters ``N`` (array).
      tokens: inference tokens ``D_inf`` (array).

    References:
      Snell et al., `Scaling LLM Test-Time Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    v.check_nonnegative("params", params, where="inference_flops")
    v.check_nonnegative("tokens", tokens, where="inference_flops")
    dt = float_dtype(params, tokens)
    return 2.0 * v.asarray(params, dt) * v.asarray(tokens, dt)


@traceable
def flops_matched_token_multiplier(size_ratio, pretrain_tokens, inference_tokens) -> jax.Array:
    r"""Inference-token multiplier that makes a small model cost as much as an ``M``-times larger one.

    Total (pretraining + inference) FLOPs of the large model, ``6 M N D_pre + 2 M N D_inf``,
    equal those of the small model run on ``X D_inf`` inference tokens,
    ``6 N D_pre + 2 N X D_inf``, when

    .. math:: X = M + 3\,\frac{D_\text{pre}}{D_\text{inf}}\,(M - 1)

    Args:
      size_ratio: ``M >= 1``, parameters of the large model over the small one (array).
      pretrain_tokens: ``D_pre > 0`` (array).
      inference_tokens: ``D_inf > 0`` (array); Snell et al. use ``R = D_inf / D_pre`` in
        ``{0.16, 0.79, 22}``.

    Returns:
      ``X`` broadcast over the inputs.

    References:
      Snell et al., `Scaling LLM Test-Time Compute Optimally <https://arxiv.org/abs/2408.03314>`_, 2024.
    """
    where = "flops_matched_token_multiplier"
    v.check_in_range("size_ratio", size_ratio, 1.0, np.inf, hi_open=True, where=where)
    v.check_positive("pretrain_tokens", pretrain_tokens, where=where)
    v.check_positive("inference_tokens", inference_tokens, where=where)
    dt = float_dtype(size_ratio, pretrain_tokens, inference_tokens)
    m, dp, di = _as_arrays(dt, size_ratio, pretrain_tokens, inference_tokens)
    return m + 3.0 * (dp / di) * (m - 1.0)


@traceable
def cost_of_pass(cost_per_attempt, success_prob) -> jax.Array:
    r"""Expected cost to obtain one correct answer: cost of an attempt over its success rate.

    .. math:: \mathrm{CoP} = \frac{\mathbb{E}[\text{cost of one attempt}]}{P(\text{success})}

    ``inf`` where the success probability is 0.

    Args:
      cost_per_attempt: expected cost of one attempt (any unit; array, >= 0).
      success_prob: probability the attempt is correct (array in [0, 1]).

    References:
      Erol et al., `Cost-of-Pass: An Economic Framework for Evaluating Language Models
      <https://arxiv.org/abs/2504.13359>`_, 2025.
    """
    v.check_nonnegative("cost_per_attempt", cost_per_attempt, where="cost_of_pass")
    v.check_probability("success_prob", success_prob, where="cost_of_pass")
    dt = float_dtype(cost_per_attempt, success_prob)
    cost, p = _as_arrays(dt, cost_per_attempt, success_prob)
    ok = p > 0
    return jnp.where(ok, cost / jnp.where(ok, p, 1.0), jnp.inf)


@traceable
def cost_of_pass_frontier(cost_per_attempt, success_prob, *, axis: int = 0) -> CostOfPassFrontier:
    r"""The cost-of-pass frontier: the cheapest model/strategy per solved problem.

    .. math:: \mathrm{CoP}^\star = \min_m \frac{\text{cost}_m}{p_m},\qquad m^\star = \arg\min_m \frac{\text{cost}_m}{p_m}

    Args:
      cost_per_attempt: costs, candidates along ``axis`` (array, >= 0).
      success_prob: success probabilities, same shape (array in [0, 1]).
      axis: the candidate axis.

    Returns:
      :class:`CostOfPassFrontier` (the minimum and its index along ``axis``).

    References:
      Erol et al., `Cost-of-Pass <https://arxiv.org/abs/2504.13359>`_, 2025.
    """
    cop = cost_of_pass(cost_per_attempt, success_prob)
    return CostOfPassFrontier(jnp.min(cop, axis=axis), jnp.argmin(cop, axis=axis))
