"""``ttsim cost``: FLOPs, bytes, seconds, dollars, latency and joules of one sampling workload."""

from __future__ import annotations

import argparse
import math

from ttsim.cli._common import CLIError, format_table, print_json

_ATTENTION = ("dense", "topk", "block-topk", "sliding")

_DESCRIPTION = """\
Cost of one query: N samples of L tokens after a c-token prompt, on a model and an accelerator.

Units: flops and eflops in FLOPs; memory_bytes, weight_bytes, kv_cache_bytes, comm_bytes in
bytes; seconds, latency_s, ttft_s (time to first token), tpot_s (time per output token) in
seconds; throughput_qps in queries/s and tokens_per_s in tokens/s of one replica; dollars in
USD (null where the hardware has no published price); joules in J per query (null where the
hardware has no published board power).

--cost-model roofline (default): prefill + batched decode, each max(FLOPs/peak, bytes/bandwidth),
weights and KV reads counted. --cost-model kinetics: the Kinetics paper's decode-only
FLOPs/KV-memory/eFLOPs model. Either way the serving keys (latency_s, ttft_s, tpot_s,
throughput_qps, tokens_per_s, joules) come from the serving model: C queries in flight
(--concurrency), tensor/pipeline parallelism with their communication, optional speculative
decoding. See docs/cost_models.md."""

_EPILOG = """\
worked example:
  ttsim cost --model llama-3.1-8b --hardware h100-sxm --prompt-tokens 128 --gen-tokens 128 \\
      --concurrency 8 --json
  prints flops, memory_bytes, seconds, dollars, ..., latency_s (about 0.64 s per query),
  tpot_s (about 4.9 ms per token), throughput_qps (about 12.5 queries/s) and joules.
  Add --tensor-parallel 2, or --speculative-draft qwen3-0.6b --draft-tokens 4 --acceptance 0.7."""


def register(sub) -> None:
    p = sub.add_parser(
        "cost",
        help="cost, latency and energy of N samples of L tokens after a c-token prompt",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True, help="model name (see `ttsim models`)")
    p.add_argument("--hardware", required=True, help="accelerator name (see `ttsim hardware`)")
    p.add_argument("--prompt-tokens", required=True, metavar="C", help="prompt length c in tokens (integer >= 0)")
    p.add_argument("--gen-tokens", required=True, metavar="L", help="generated tokens per sample (integer >= 0)")
    p.add_argument("--samples", default="1", metavar="N", help="parallel samples N per query (integer >= 1; default 1)")
    p.add_argument("--attention", choices=_ATTENTION,
                   help="attention kind (default: topk when --kv-budget is given, else dense)")
    p.add_argument("--kv-budget", metavar="B", help="KV tokens attended per step (top-k budget or sliding window)")
    p.add_argument("--block-size", default="16", metavar="S", help="block size for block-topk (default 16)")
    p.add_argument("--cost-model", default="roofline", choices=("kinetics", "roofline"),
                   help="roofline (default): prefill + decode time from FLOPs and bytes with weight reads; "
                   "kinetics: the Kinetics paper's decode-only eFLOPs model (no weights, no prefill)")
    p.add_argument("--batch-size", metavar="B", help="roofline: sequences decoded together (default N)")
    p.add_argument("--bytes-per-param", default="2", help="weight bytes per parameter (default 2)")
    p.add_argument("--bytes-per-kv", default="2", help="KV-cache bytes per element (default 2)")
    p.add_argument("--devices", help="roofline: chips the model is spread over (default: the TP x PP degree)")
    p.add_argument("--concurrency", default="1", metavar="C",
                   help="queries in flight on one replica, continuous batching (integer >= 1; default 1)")
    p.add_argument("--tensor-parallel", default="1", metavar="n",
                   help="tensor-parallel chips (must divide the model's query heads; default 1)")
    p.add_argument("--pipeline-parallel", default="1", metavar="p", help="pipeline stages (default 1)")
    p.add_argument("--link-latency", default="0", metavar="S",
                   help="seconds per all-reduce / pipeline send (default 0: no published figure ships)")
    p.add_argument("--speculative-draft", metavar="MODEL",
                   help="speculative decoding with this draft model (registry name), or 'mtp' for "
                   "multi-token-prediction heads (then --mtp-fraction)")
    p.add_argument("--draft-tokens", default="4", metavar="G", help="draft tokens per target step (default 4)")
    p.add_argument("--acceptance", metavar="A", help="per-token acceptance probability in [0, 1)")
    p.add_argument("--mtp-fraction", default="0.05", metavar="F",
                   help="with --speculative-draft mtp: one draft token's cost as a fraction of a target step")
    p.add_argument("--models-file", help="extra model registry (TOML) merged over the shipped one")
    p.add_argument("--hardware-file", help="extra hardware registry (TOML) merged over the shipped one")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _integer(text, flag: str, minimum: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise CLIError(f"{flag} must be an integer >= {minimum}; got {text!r}") from None
    if value < minimum:
        raise CLIError(f"{flag} must be an integer >= {minimum}; got {value}")
    return value


def _number(text, flag: str, *, lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> float:
    rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    try:
        value = float(str(text).strip())
    except ValueError:
        raise CLIError(f"{flag} must be a number in {rng}; got {text!r}") from None
    bad = not math.isfinite(value) and not (hi == math.inf and value == math.inf and not hi_open)
    if bad or value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi):
        raise CLIError(f"{flag} must be a number in {rng}; got {text!r}")
    return value


def _positive(text, flag: str) -> float:
    return _number(text, flag, lo=0.0, hi=math.inf, lo_open=True, hi_open=True)


def _gb(x: float) -> str:
    return f"{x / 1e9:.4g} GB"


def run(args) -> int:
    c = _integer(args.prompt_tokens, "--prompt-tokens", 0)
    L = _integer(args.gen_tokens, "--gen-tokens", 0)
    N = _integer(args.samples, "--samples", 1)
    budget = None if args.kv_budget is None else _integer(args.kv_budget, "--kv-budget", 1)
    attention_name = args.attention or ("dense" if budget is None else "topk")
    attention = attention_name.replace("-", "_")
    if attention != "dense" and budget is None:
        raise CLIError(f"--kv-budget is required with --attention {attention_name}")
    if attention == "dense" and budget is not None:
        raise CLIError("--kv-budget has no effect with --attention dense (use topk, block-topk or sliding)")
    block = _integer(args.block_size, "--block-size", 1)
    C = _integer(args.concurrency, "--concurrency", 1)
    tp = _integer(args.tensor_parallel, "--tensor-parallel", 1)
    pp = _integer(args.pipeline_parallel, "--pipeline-parallel", 1)
    link_latency = _number(args.link_latency, "--link-latency", lo=0.0, hi=math.inf, hi_open=True)
    bpp = _positive(args.bytes_per_param, "--bytes-per-param")
    bkv = _positive(args.bytes_per_kv, "--bytes-per-kv")
    devices = tp * pp if args.devices is None else _integer(args.devices, "--devices", 1)
    if args.devices is not None and (tp > 1 or pp > 1) and devices != tp * pp:
        raise CLIError(f"--devices {devices} disagrees with --tensor-parallel {tp} x --pipeline-parallel {pp}; "
                       "give one of them")
    spec_args = None
    if args.speculative_draft is not None:
        if args.acceptance is None:
            raise CLIError("--acceptance is required with --speculative-draft (a probability in [0, 1))")
        gamma = _integer(args.draft_tokens, "--draft-tokens", 1)
        alpha = _number(args.acceptance, "--acceptance", lo=0.0, hi=1.0, hi_open=True)
        mtp = str(args.speculative_draft).lower() == "mtp"
        fraction = _number(args.mtp_fraction, "--mtp-fraction", lo=0.0, hi=1.0) if mtp else 0.0
        spec_args = (gamma, alpha, None if mtp else args.speculative_draft, fraction)
    elif args.acceptance is not None:
        raise CLIError("--acceptance needs --speculative-draft MODEL (or 'mtp')")

    import ttsim
    from ttsim._src.latency import parallel_workload, serving_cost
    from ttsim._src.speculative import Speculative

    model = ttsim.get_model(args.model, models_file=args.models_file)
    hardware = ttsim.get_hardware(args.hardware, hardware_file=args.hardware_file)
    heads = int(model.num_heads)
    if heads % tp:
        fits = ", ".join(str(d) for d in range(1, heads + 1) if heads % d == 0)
        raise CLIError(f"--tensor-parallel {tp} does not divide the {heads} query heads of {model.name}; "
                       f"degrees that fit: {fits}")
    if pp > int(model.num_layers):
        raise CLIError(f"--pipeline-parallel {pp} exceeds the {int(model.num_layers)} layers of {model.name}")
    if (tp > 1 or pp > 1) and not math.isfinite(float(hardware.interconnect_bandwidth)):
        raise CLIError(f"hardware {hardware.name} has no interconnect bandwidth in the registry: use "
                       "--tensor-parallel 1 --pipeline-parallel 1, or add interconnect_bandwidth with --hardware-file")
    speculative = None
    if spec_args is not None:
        gamma, alpha, draft_name, fraction = spec_args
        draft = None if draft_name is None else ttsim.get_model(draft_name, models_file=args.models_file)
        speculative = Speculative(float(gamma), alpha, draft, fraction)

    out = {
        "model": model.name,
        "hardware": hardware.name,
        "cost_model": args.cost_model,
        "attention": attention_name,
        "prompt_tokens": c,
        "gen_tokens": L,
        "samples": N,
        "kv_budget": budget,
        "arithmetic_intensity": float(hardware.arithmetic_intensity),
        "price_per_hour": float(hardware.price_per_hour),
    }
    if args.cost_model == "kinetics":
        if attention == "sliding":
            raise CLIError("--attention sliding is only available with --cost-model roofline")
        cost = ttsim.kinetics_cost(
            model, hardware, float(c), float(L), float(N), kv_budget=budget, attention=attention,
            block_size=float(block) if attention == "block_topk" else None,
        )
    else:
        batch = None if args.batch_size is None else float(_integer(args.batch_size, "--batch-size", 1))
        kw = dict(attention=attention, kv_budget=budget, batch_size=batch, bytes_per_param=bpp,
                  bytes_per_kv=bkv, num_devices=float(devices))
        cost = ttsim.roofline_cost(model, hardware, float(c), float(L), float(N), block_size=float(block), **kw)
        fit = ttsim.memory_fit(
            model, hardware, float(c), float(L), float(N), attention=attention, kv_budget=budget,
            batch_size=batch, bytes_per_param=bpp, bytes_per_kv=bkv, num_devices=float(devices),
        )
        out.update(
            batch_size=N if batch is None else int(batch),
            devices=devices,
            weight_bytes=float(fit.weight_bytes),
            kv_cache_bytes=float(fit.kv_bytes),
            memory_capacity_bytes=float(fit.capacity_bytes),
            fits_in_memory=bool(fit.fits),
            max_batch_size=float(fit.max_batch_size),
        )
    costs = {k: float(v) for k, v in cost._asdict().items()}
    out.update(costs)
    finite_required = {k: v for k, v in costs.items() if k not in ("dollars",)}
    if attention != "block_topk":  # the serving model has no block-scoring term: keys left out
        serve = serving_cost(
            model, hardware, parallel_workload(float(N)), float(c), float(L), concurrency=float(C),
            tensor_parallel=float(tp), pipeline_parallel=float(pp), attention=attention, kv_budget=budget,
            bytes_per_param=bpp, bytes_per_kv=bkv, link_latency=link_latency, speculative=speculative,
        )
        max_c = float(serve.max_concurrency)
        if args.concurrency != "1" and not bool(serve.fits):
            if max_c < 1:
                raise CLIError(f"--concurrency {C}: not even one query fits: the weights and one query's KV need "
                               f"more than the {_gb(float(tp * pp) * float(hardware.memory_capacity))} of "
                               f"{tp * pp} chip(s); raise --tensor-parallel or --pipeline-parallel")
            raise CLIError(f"--concurrency {C}: the KV cache of {C} queries does not fit next to the weights; "
                           f"at most {int(max_c)} fit on {tp * pp} chip(s) of {hardware.name}")
        srv = {
            "concurrency": C, "tensor_parallel": tp, "pipeline_parallel": pp,
            "latency_s": float(serve.seconds), "ttft_s": float(serve.ttft), "tpot_s": float(serve.tpot),
            "prefill_s": float(serve.prefill_seconds), "decode_s": float(serve.decode_seconds),
            "comm_s": float(serve.comm_seconds), "comm_bytes": float(serve.comm_bytes),
            "throughput_qps": float(serve.throughput_qps), "tokens_per_s": float(serve.tokens_per_second),
            "dollars_per_query": float(serve.dollars), "joules": float(serve.joules),
            "max_concurrency": max_c if math.isfinite(max_c) else None,
        }
        if speculative is not None:
            srv.update(speculative_draft=str(args.speculative_draft), draft_tokens=spec_args[0],
                       acceptance=spec_args[1])
        out.update(srv)
        finite_required.update({k: v for k, v in srv.items()
                                if isinstance(v, float) and k not in ("dollars_per_query", "joules")})
    overflow = [k for k, v in finite_required.items() if not math.isfinite(v)]
    if overflow:
        import jax

        hint = "" if jax.config.jax_enable_x64 else "; rerun as `ttsim --x64 cost ...` to compute in float64"
        raise CLIError(f"the token counts are too large: {overflow[0]} overflows the floating-point range"
                       f"{hint} (null in the output only ever means a price or power figure is not published)")
    if args.json:
        print_json(out)
    else:
        shown = [(k, None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()]
        print(format_table(shown, ("quantity", "value")))  # "-" where no price / power is known
    return 0
