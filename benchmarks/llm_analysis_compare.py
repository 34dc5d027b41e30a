"""Compare ttsim's serving cost model with the peer tool llm-analysis on the terms both share.

Run: ``pip install llm-analysis`` (not a ttsim dependency: it pins transformers), then
``python benchmarks/llm_analysis_compare.py``. Prints one row per batch size: weights, KV cache per
token, prefill latency, per-token decode latency (ttsim's TPOT) and the ratio ttsim / llm-analysis.

Both tools are rooflines with 100% efficiency here (``flops_efficiency = hbm_memory_efficiency =
1``); the model is Qwen3-8B (llm-analysis needs the MLP width to be a multiple of the hidden size,
which Llama-3.1-8B's 14336 / 4096 is not) and the accelerator the registry's H100 SXM. Differences
are explained in docs/cost_models.md ("Against llm-analysis").
"""

from __future__ import annotations

import logging
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)


def main() -> None:
    from llm_analysis.analysis import LLMAnalysis
    from llm_analysis.config import GPUConfig, ModelConfig

    import ttsim
    from ttsim import cost

    m = ttsim.get_model("qwen3-8b")
    hw = ttsim.get_hardware("h100-sxm")
    la_model = ModelConfig(name="qwen3-8b", num_layers=36, n_head=32, hidden_dim=4096, vocab_size=151936,
                           max_seq_len=40960, num_key_value_heads=8, ffn_embed_dim=12288, model_type="llama")
    la_gpu = GPUConfig(name="h100-sxm", mem_per_GPU_in_GB=80, hbm_bandwidth_in_GB_per_sec=3350,
                       intra_node_bandwidth_in_GB_per_sec=450, intra_node_min_message_latency=0.0,
                       peak_fp16_TFLOPS=989.4, peak_i8_TFLOPS=1978.9, peak_i4_TFLOPS=3957.8,
                       inter_node_bandwidth_in_GB_per_sec=50)
    la = LLMAnalysis(la_model, la_gpu, flops_efficiency=1.0, hbm_memory_efficiency=1.0)
    prompt, gen = 1024, 256
    print(f"llm-analysis params {la.get_num_params_total():.4g} vs ttsim registry params {float(m.params):.4g}")
    import dataclasses

    import numpy as np

    la_params = float(la.get_num_params_total())
    same = dataclasses.replace(m, params=np.asarray(la_params), active_params=np.asarray(la_params))
    print("batch | prefill s: ttsim / ttsim(P=llm-a) / llm-a | decode s per token: ttsim / ttsim(P=llm-a) / llm-a")
    for batch in (1, 8, 64, 128):
        r = la.inference(batch_size_per_gpu=batch, seq_len=prompt, num_tokens_to_generate=gen)
        # ttsim: `batch` independent queries of one sample each, in flight together
        kw = dict(concurrency=float(batch), prefix_caching=False)
        got = cost.serving_cost(m, hw, cost.parallel_workload(1.0), float(prompt), float(gen), **kw)
        eq = cost.serving_cost(same, hw, cost.parallel_workload(1.0), float(prompt), float(gen), **kw)
        print(f"{batch:5d} | {float(got.prefill_seconds):.4g} / {float(eq.prefill_seconds):.4g} / "
              f"{r['prefill_latency']:.4g} | {float(got.tpot):.4g} / {float(eq.tpot):.4g} / {r['decode_latency']:.4g}")
    kv_la = r["kv_cache_memory_per_gpu"] / (128 * (prompt + gen))
    print(f"KV bytes per token: ttsim {float(cost.kv_cache_bytes(m, 1.0)):.6g}, llm-analysis {kv_la:.6g}")


if __name__ == "__main__":
    main()
