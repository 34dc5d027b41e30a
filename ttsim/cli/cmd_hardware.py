"""``ttsim hardware``: list the hardware registry."""

from __future__ import annotations

from ttsim.cli._common import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("hardware", help="list the registered accelerators",
                       description="List the hardware registry (shipped hardware.toml plus --hardware-file); "
                       "the arithmetic intensity is peak FLOP/s / bandwidth.")
    p.add_argument("--hardware-file", help="extra hardware registry (TOML) merged over the shipped one")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    import ttsim
    from ttsim._src.registry import hardware_entries

    profiles = ttsim.load_hardware(args.hardware_file)
    entries = hardware_entries(args.hardware_file)
    out = {}
    for name, h in profiles.items():
        e = entries[name]
        out[name] = {
            "display_name": e.get("display_name", name),
            "precision": h.precision,
            "peak_flops": float(h.peak_flops),
            "memory_bandwidth": float(h.memory_bandwidth),
            "memory_capacity": float(h.memory_capacity),
            "arithmetic_intensity": float(h.arithmetic_intensity),
            "price_per_hour": float(h.price_per_hour),
            "price_source": e.get("price_source"),
            "source": h.source,
        }
    if args.json:
        print_json({"hardware": out})
        return 0
    rows = [
        (n, r["precision"], r["peak_flops"] / 1e12, r["memory_bandwidth"] / 1e12, r["memory_capacity"] / 1e9,
         round(r["arithmetic_intensity"], 1), r["price_per_hour"] if r["price_per_hour"] == r["price_per_hour"] else None)
        for n, r in out.items()
    ]
    print(format_table(rows, ("name", "precision", "peak TFLOP/s", "HBM TB/s", "HBM GB", "I (FLOP/B)", "$/chip-hour")))
    return 0
