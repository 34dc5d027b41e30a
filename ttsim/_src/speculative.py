r"""Speculative decoding and multi-token prediction: tokens gained per target step.

A draft proposes ``γ`` tokens; the target model verifies them in one pass over ``γ + 1``
tokens and keeps the longest accepted prefix plus one token of its own. With each draft
token accepted independently with probability ``α``, the expected tokens per target step are

.. math:: \tau(\alpha, \gamma) = \frac{1 - \alpha^{\gamma+1}}{1 - \alpha}
          \qquad(\gamma + 1 \text{ at } \alpha \to 1).

The draft is either a registry model (its own roofline step, ``γ`` of them per target step)
or MTP heads of the target, each draft token costing ``draft_fraction`` of a target step.
The serving model (:func:`ttsim.cost.serving_cost`) prices both.

References:
  Leviathan et al., `Fast Inference from Transformers via Speculative Decoding
  <https://arxiv.org/abs/2211.17192>`_, 2023;
  Chen et al., `Accelerating Large Language Model Decoding with Speculative Sampling
  <https://arxiv.org/abs/2302.01318>`_, 2023;
  Gloeckle et al., `Better & Faster LLMs via Multi-token Prediction <https://arxiv.org/abs/2404.19737>`_, 2024.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype
from ttsim._src.traceable import traceable


class Speculative(NamedTuple):
    """A speculative-decoding set-up (a pytree: its numbers can be swept).

    Attributes:
      draft_tokens: ``γ`` tokens proposed per target step (array, whole numbers >= 1).
      acceptance: ``α`` per-token acceptance probability (array in [0, 1)).
      draft: the draft :class:`~ttsim.ModelConfig`, or None for MTP heads.
      draft_fraction: with ``draft=None``, the cost of one draft token as a fraction of one
        target decode step (MTP heads: about one layer's worth of the target); ignored otherwise.
    """

    draft_tokens: jax.Array
    acceptance: jax.Array
    draft: Any = None
    draft_fraction: jax.Array = 0.0


def check_speculative(spec: Speculative | None, *, where: str) -> None:
    """ValueError naming the field unless ``γ >= 1`` is whole, ``0 <= α < 1`` and the draft is priced."""
    if spec is None:
        return
    if not isinstance(spec, Speculative):
        raise ValueError(f"{where}: speculative must be a ttsim.cost.Speculative; got {type(spec).__name__}")
    v.check_count("speculative.draft_tokens", spec.draft_tokens, minimum=1, where=where)
    v.check_in_range("speculative.acceptance", spec.acceptance, 0.0, 1.0, hi_open=True, where=where)
    if spec.draft is None:
        v.check_in_range("speculative.draft_fraction", spec.draft_fraction, 0.0, 1.0, where=where)
    else:
        from ttsim._src.specs import _check_model

        _check_model(spec.draft, where)


def _tokens_per_step(alpha, gamma):
    # (1 - α^{γ+1}) / (1 - α) = Σ_{i=0}^{γ} α^i, written with expm1/log1p-free pieces that stay
    # finite at α = 0 and accurate near α = 1 (the limit γ + 1).
    near_one = alpha > 1.0 - 1e-6
    a = jnp.where(near_one, 0.5, alpha)
    direct = -jnp.expm1((gamma + 1.0) * jnp.log(jnp.where(a > 0, a, 1.0))) / (1.0 - a)
    direct = jnp.where(a > 0, direct, 1.0)
    return jnp.where(near_one, gamma + 1.0 - 0.5 * gamma * (gamma + 1.0) * (1.0 - alpha), direct)


@traceable
def expected_tokens_per_step(acceptance, draft_tokens) -> jax.Array:
    r"""Expected tokens emitted per target verification step, ``τ = (1 − α^{γ+1}) / (1 − α)``.

    .. math:: \tau = \sum_{i=0}^{\gamma} \alpha^i = \frac{1 - \alpha^{\gamma+1}}{1 - \alpha},
              \qquad \tau(0, \gamma) = 1,\quad \tau(\alpha \to 1, \gamma) = \gamma + 1

    Args:
      acceptance: ``α`` in [0, 1) (array).
      draft_tokens: ``γ >= 1`` (array).

    Returns:
      ``τ`` broadcast over the inputs, in ``[1, γ + 1)``.

    References:
      Leviathan et al., `Fast Inference from Transformers via Speculative Decoding
      <https://arxiv.org/abs/2211.17192>`_, 2023.
    """
    where = "expected_tokens_per_step"
    v.check_in_range("acceptance", acceptance, 0.0, 1.0, hi_open=True, where=where)
    v.check_in_range("draft_tokens", draft_tokens, 1.0, np.inf, hi_open=True, where=where)
    dt = float_dtype(acceptance, draft_tokens)
    return _tokens_per_step(v.asarray(acceptance, dt), v.asarray(draft_tokens, dt))
