r"""Energy: a stated power model per chip, joules per query and per correct answer.

Power model (per chip, at utilisation ``u`` in [0, 1]):

.. math:: P(u) = P_\text{idle} + u\,(P_\text{TDP} - P_\text{idle})

The roofline keeps the binding resource (tensor cores or HBM) saturated while a chip computes
or streams memory (``u = 1``, power at TDP) and idle while it waits on the interconnect
(``u = 0``). Over a query's critical path of ``t_busy + t_wait`` seconds on ``n`` chips that
serve ``C`` queries at once,

.. math:: E_\text{query} = \frac{n\,\big(P_\text{TDP}\,t_\text{busy} + P_\text{idle}\,t_\text{wait}\big)}{C},
          \qquad E_\text{correct} = \frac{E_\text{query}}{\text{accuracy}}

No vendor publishes idle power for the shipped chips: where ``idle_watts`` is unknown the waits
count 0 W (so the figure is a lower bound by the waiting share); where ``tdp_watts`` is unknown
the energy is NaN (``null`` in JSON). Real chips rarely hold TDP: this is an upper-bound model
of the busy part, not a measurement.

References:
  Erol et al., `Cost-of-Pass <https://arxiv.org/abs/2504.13359>`_, 2025 (the per-correct form);
  Patterson et al., `Carbon Emissions and Large Neural Network Training
  <https://arxiv.org/abs/2104.10350>`_, 2021 (energy from time and chip power).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype
from ttsim._src.specs import Hardware, _check_hardware, _hardware_arrays
from ttsim._src.traceable import traceable


def _power(hw, u):
    idle = jnp.where(jnp.isfinite(hw.idle_watts), hw.idle_watts, 0.0)
    return idle + u * (hw.tdp_watts - idle)


@traceable
def power_watts(hardware: Hardware, utilisation) -> jax.Array:
    r"""Chip power at utilisation ``u``: ``P_idle + u (P_TDP − P_idle)`` watts.

    .. math:: P(u) = P_\text{idle} + u\,(P_\text{TDP} - P_\text{idle})

    Args:
      hardware: :class:`~ttsim.Hardware` (``tdp_watts``; ``idle_watts`` counts 0 where unknown).
      utilisation: ``u`` in [0, 1] (array).

    Returns:
      Watts per chip; NaN where the TDP is not published.

    References:
      Patterson et al., `Carbon Emissions and Large Neural Network Training
      <https://arxiv.org/abs/2104.10350>`_, 2021.
    """
    _check_hardware(hardware, "power_watts")
    v.check_probability("utilisation", utilisation, where="power_watts")
    dt = float_dtype(utilisation, *jax.tree.leaves(hardware))
    return _power(_hardware_arrays(hardware, dt), v.asarray(utilisation, dt))


@traceable
def energy_joules(hardware: Hardware, busy_seconds, wait_seconds=0.0, *, num_chips=1.0, concurrency=1.0) -> jax.Array:
    r"""Joules per query: ``n (P_TDP t_busy + P_idle t_wait) / C``.

    .. math:: E = \frac{n\,\big(P(1)\,t_\text{busy} + P(0)\,t_\text{wait}\big)}{C}

    Args:
      hardware: :class:`~ttsim.Hardware`.
      busy_seconds: seconds the chips compute or stream memory (array, >= 0).
      wait_seconds: seconds they wait on communication (array, >= 0).
      num_chips: ``n`` chips of the replica (array, >= 1).
      concurrency: ``C`` queries sharing those seconds (array, >= 1).

    Returns:
      Joules per query; NaN where the TDP is not published.

    References:
      Patterson et al., `Carbon Emissions and Large Neural Network Training
      <https://arxiv.org/abs/2104.10350>`_, 2021.
    """
    where = "energy_joules"
    _check_hardware(hardware, where)
    v.check_nonnegative("busy_seconds", busy_seconds, where=where)
    v.check_nonnegative("wait_seconds", wait_seconds, where=where)
    v.check_positive("num_chips", num_chips, where=where)
    v.check_positive("concurrency", concurrency, where=where)
    dt = float_dtype(busy_seconds, wait_seconds, num_chips, concurrency, *jax.tree.leaves(hardware))
    hw = _hardware_arrays(hardware, dt)
    busy, wait, n, C = (v.asarray(x, dt) for x in (busy_seconds, wait_seconds, num_chips, concurrency))
    return n * (_power(hw, 1.0) * busy + _power(hw, 0.0) * wait) / C


@traceable
def joules_per_correct(joules_per_query, accuracy) -> jax.Array:
    r"""Energy per correct answer: joules per query over accuracy (the energy cost-of-pass).

    .. math:: E_\text{correct} = \frac{E_\text{query}}{\text{accuracy}}\quad(\infty \text{ at accuracy } 0)

    Args:
      joules_per_query: expected joules of one query (array, >= 0).
      accuracy: probability the query's answer is correct (array in [0, 1]).

    References:
      Erol et al., `Cost-of-Pass <https://arxiv.org/abs/2504.13359>`_, 2025.
    """
    where = "joules_per_correct"
    j = v._values(joules_per_query)
    if j is not None and np.any(j < 0):  # NaN (no published TDP) passes through as NaN
        raise ValueError(f"{where}: joules_per_query must be >= 0; got {j[j < 0].reshape(-1)[0]!r}")
    v.check_probability("accuracy", accuracy, where=where)
    dt = float_dtype(joules_per_query, accuracy)
    e, acc = v.asarray(joules_per_query, dt), v.asarray(accuracy, dt)
    ok = acc > 0
    return jnp.where(ok, e / jnp.where(ok, acc, 1.0), jnp.inf)
