r"""Communication between chips: tensor-parallel all-reduces and pipeline-parallel hops.

Megatron-style tensor parallelism over ``n`` chips splits every layer's matmuls and heads and
adds two all-reduces per layer per forward pass (after attention and after the MLP), each of
the pass's activations ``tokens * hidden * b_act`` bytes. A ring all-reduce sends
``2 (n - 1) / n`` of the message through each chip's link in one direction:

.. math:: t_\text{all-reduce} = \frac{2 (n-1)}{n}\,\frac{M}{\text{bw}_\text{link}/2} + \ell

with ``bw_link`` the bidirectional per-chip interconnect bandwidth of the registry (one
direction is half of it) and ``\ell`` a per-message latency. ``n = 1`` sends nothing.
Pipeline parallelism over ``p`` stages sends the activations of each micro-batch across the
``p - 1`` stage boundaries (point to point, one direction).

References:
  Shoeybi et al., `Megatron-LM <https://arxiv.org/abs/1909.08053>`_, 2019;
  Patarasuk and Yuan, `Bandwidth optimal all-reduce algorithms for clusters of workstations
  <https://doi.org/10.1016/j.jpdc.2008.09.002>`_, 2009;
  Pope et al., `Efficiently Scaling Transformer Inference <https://arxiv.org/abs/2211.05102>`_, 2022.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ttsim._src import validation as v
from ttsim._src.numerics import float_dtype
from ttsim._src.specs import Hardware, ModelConfig, _check_model
from ttsim._src.traceable import traceable


class Communication(NamedTuple):
    """Traffic one chip sends over its links, and the time it takes.

    Attributes:
      bytes: bytes sent per chip.
      seconds: link time plus per-message latencies (on the critical path: not overlapped).
      messages: collective operations / point-to-point sends.
    """

    bytes: jax.Array
    seconds: jax.Array
    messages: jax.Array


def hidden_width(model: ModelConfig):
    """The residual-stream width: ``hidden_size``, or ``num_heads * head_dim`` where it is unknown."""
    h = v.asarray(model.hidden_size)
    return jnp.where(jnp.isfinite(h), h, model.num_heads * model.head_dim)


def link_bandwidth(hardware: Hardware):
    """One direction of the per-chip interconnect: half the registry's bidirectional figure."""
    return 0.5 * v.asarray(hardware.interconnect_bandwidth)


def check_parallelism(model: ModelConfig, hardware: Hardware | None, tensor_parallel, pipeline_parallel,
                      *, where: str) -> None:
    """ValueError unless the degrees are whole numbers >= 1 that the model and hardware allow.

    Tensor parallelism must divide the query heads (each chip holds whole heads; KV heads are
    replicated when ``n`` exceeds them); pipeline parallelism must not exceed the layers. A
    degree above 1 needs the hardware's interconnect bandwidth.
    """
    v.check_count("tensor_parallel", tensor_parallel, minimum=1, where=where)
    v.check_count("pipeline_parallel", pipeline_parallel, minimum=1, where=where)
    tp = v._values(tensor_parallel)
    pp = v._values(pipeline_parallel)
    heads = v._values(model.num_heads)
    layers = v._values(model.num_layers)
    if tp is not None and heads is not None:
        bad = np.mod(heads, tp) != 0
        if np.any(bad):
            h = int(np.broadcast_to(heads, np.broadcast_shapes(np.shape(heads), tp.shape)).reshape(-1)[0])
            fits = [d for d in range(1, h + 1) if h % d == 0]
            raise ValueError(
                f"{where}: tensor_parallel={int(np.max(tp))} does not divide the model's {h} query heads; "
                f"degrees that fit: {', '.join(map(str, fits))}"
            )
    if pp is not None and layers is not None and np.any(pp > layers):
        raise ValueError(f"{where}: pipeline_parallel={int(np.max(pp))} exceeds the model's {int(np.max(layers))} layers")
    multi = (tp is not None and np.any(tp > 1)) or (pp is not None and np.any(pp > 1))
    if multi and hardware is not None:
        bw = v._values(hardware.interconnect_bandwidth)
        if bw is not None and np.any(~np.isfinite(bw) | (bw <= 0)):
            raise ValueError(
                f"{where}: hardware {hardware.name or ''!s} has no interconnect_bandwidth in the registry; "
                "use tensor_parallel=1 and pipeline_parallel=1, or add the figure with a hardware file"
            )


def _comm_impl(model, hardware, tokens, tp, pp, b_act, latency):
    msg = tokens / pp * hidden_width(model) * b_act  # one micro-batch's activations
    bw = link_bandwidth(hardware)
    safe_bw = jnp.where(bw > 0, bw, 1.0)
    ring = 2.0 * (tp - 1.0) / tp * msg
    n_ar = jnp.where(tp > 1, 2.0 * model.num_layers, 0.0)  # per chip per step, summed over micro-batches
    n_p2p = pp - 1.0
    sent = n_ar * ring + n_p2p * msg
    seconds = jnp.where(sent > 0, sent / safe_bw, 0.0) + (n_ar + n_p2p) * latency
    return Communication(sent, seconds, n_ar + n_p2p)


@traceable
def tensor_parallel_communication(
    model: ModelConfig,
    hardware: Hardware,
    tokens,
    *,
    tensor_parallel=1.0,
    pipeline_parallel=1.0,
    bytes_per_activation=2.0,
    link_latency=0.0,
) -> Communication:
    r"""Link traffic and time of one forward pass over ``tokens`` tokens under TP x PP.

    .. math::
        \text{bytes} = 2\,n_\text{layers}\cdot\frac{2(n-1)}{n}\,M + (p - 1)\,M,\qquad
        M = \frac{\text{tokens}}{p}\,h\,b_\text{act}

        t = \frac{\text{bytes}}{\text{bw}_\text{link}/2} + \big(2 n_\text{layers}[n > 1] + p - 1\big)\,\ell

    The ``tokens`` are split into ``p`` micro-batches; each crosses ``p - 1`` stage boundaries and
    runs ``2 n_layers / p`` all-reduces in each of the ``p`` stages. ``n = p = 1``: zero.

    Args:
      model: :class:`ModelConfig` (``hidden_size``; ``num_heads * head_dim`` where unknown).
      hardware: :class:`Hardware` (``interconnect_bandwidth``, bidirectional per chip).
      tokens: tokens in the pass (array, >= 0), e.g. the decode batch times tokens per step.
      tensor_parallel: ``n`` chips per layer (array of whole numbers >= 1).
      pipeline_parallel: ``p`` stages (array of whole numbers >= 1).
      bytes_per_activation: activation precision (2 for bf16).
      link_latency: ``\ell``, seconds per collective or send (array, >= 0; no published figure
        ships with ttsim: measure it, e.g. with nccl-tests, and pass it).

    Returns:
      :class:`Communication` per chip.

    References:
      Shoeybi et al., `Megatron-LM <https://arxiv.org/abs/1909.08053>`_, 2019;
      Pope et al., `Efficiently Scaling Transformer Inference <https://arxiv.org/abs/2211.05102>`_, 2022.
    """
    where = "tensor_parallel_communication"
    _check_model(model, where)
    check_parallelism(model, hardware, tensor_parallel, pipeline_parallel, where=where)
    v.check_nonnegative("tokens", tokens, where=where)
    v.check_positive("bytes_per_activation", bytes_per_activation, where=where)
    v.check_nonnegative("link_latency", link_latency, where=where)
    dt = float_dtype(tokens, tensor_parallel, pipeline_parallel, bytes_per_activation, link_latency,
                     *jax.tree.leaves(model), *jax.tree.leaves(hardware))
    from ttsim._src.specs import _hardware_arrays, _model_arrays

    args = (v.asarray(x, dt) for x in (tokens, tensor_parallel, pipeline_parallel, bytes_per_activation, link_latency))
    return _comm_impl(_model_arrays(model, dt), _hardware_arrays(hardware, dt), *args)
