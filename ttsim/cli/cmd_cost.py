"""``ttsim cost``: FLOPs, bytes, eFLOPs, seconds and dollars of one sampling workload."""

from __future__ import annotations

import math

from ttsim.cli._common import CLIError, format_table, print_json

_ATTENTION = ("dense", "topk", "block-topk", "sliding")


def register(sub) -> None:
    p = sub.add_parser(
        "cost",
        help="cost of N samples of L tokens after a c-token prompt on a model and accelerator",
        description="Cost of decoding N samples of L tokens after a c-token prompt. "
        "--cost-model kinetics: the Kinetics decode-only FLOPs / KV-memory / eFLOPs model; "
        "roofline (default): prefill + decode roofline time, bytes and dollars.",
    )
    p.add_argument("--model", required=True, help="model name (see `ttsim models`)")
    p.add_argument("--hardware", required=True, help="accelerator name (see `ttsim hardware`)")
    p.add_argument("--prompt-tokens", required=True, metavar="C", help="prompt length c (integer >= 0)")
    p.add_argument("--gen-tokens", required=True, metavar="L", help="generated tokens per sample (integer >= 0)")
    p.add_argument("--samples", default="1", metavar="N", help="parallel samples N (integer >= 1; default 1)")
    p.add_argument("--attention", choices=_ATTENTION,
                   help="attention kind (default: topk when --kv-budget is given, else dense)")
    p.add_argument("--kv-budget", metavar="B", help="KV tokens attended per step (top-k budget or sliding window)")
    p.add_argument("--block-size", default="16", metavar="S", help="block size for block-topk (default 16)")
    p.add_argument("--cost-model", default="roofline", choices=("kinetics", "roofline"))
    p.add_argument("--batch-size", metavar="B", help="roofline: sequences decoded together (default N)")
    p.add_argument("--bytes-per-param", default="2", help="roofline: weight bytes per parameter (default 2)")
    p.add_argument("--bytes-per-kv", default="2", help="roofline: KV-cache bytes per element (default 2)")
    p.add_argument("--devices", default="1", help="roofline: chips the model is spread over (default 1)")
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


def _positive(text, flag: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise CLIError(f"{flag} must be a positive number; got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise CLIError(f"{flag} must be a positive number; got {text!r}")
    return value


def run(args) -> int:
    import ttsim

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
    model = ttsim.get_model(args.model, models_file=args.models_file)
    hardware = ttsim.get_hardware(args.hardware, hardware_file=args.hardware_file)

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
        kw = dict(
            attention=attention, kv_budget=budget, batch_size=batch,
            bytes_per_param=_positive(args.bytes_per_param, "--bytes-per-param"),
            bytes_per_kv=_positive(args.bytes_per_kv, "--bytes-per-kv"),
            num_devices=float(_integer(args.devices, "--devices", 1)),
        )
        cost = ttsim.roofline_cost(model, hardware, float(c), float(L), float(N), block_size=float(block), **kw)
        fit = ttsim.memory_fit(
            model, hardware, float(c), float(L), float(N), attention=attention, kv_budget=budget,
            batch_size=batch, bytes_per_param=kw["bytes_per_param"],
            bytes_per_kv=kw["bytes_per_kv"], num_devices=kw["num_devices"],
        )
        out.update(
            batch_size=N if batch is None else int(batch),
            devices=int(kw["num_devices"]),
            weight_bytes=float(fit.weight_bytes),
            kv_cache_bytes=float(fit.kv_bytes),
            memory_capacity_bytes=float(fit.capacity_bytes),
            fits_in_memory=bool(fit.fits),
            max_batch_size=float(fit.max_batch_size),
        )
    out.update({k: float(v) for k, v in cost._asdict().items()})
    if args.json:
        print_json(out)
    else:
        shown = [(k, None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()]
        print(format_table(shown, ("quantity", "value")))  # "-" where no price is known
    return 0
