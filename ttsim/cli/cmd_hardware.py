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
    from ttsim._src.registry import hardware_entries  # jax-free: listing needs no arrays

    entries = hardware_entries(args.hardware_file)
    out = {}
    for name, e in entries.items():
        out[name] = {
            "display_name": e.get("display_name", name),
            "precision": str(e.get("precision", "bf16")),
            "peak_flops": e["peak_flops"],
            "memory_bandwidth": e["memory_bandwidth"],
            "memory_capacity": e["memory_capacity"],
            "arithmetic_intensity": e["peak_flops"] / e["memory_bandwidth"],
            "price_per_hour": e["price_per_hour"],
            "price_source": e.get("price_source"),
            "interconnect": e.get("interconnect"),
            "interconnect_bandwidth": e["interconnect_bandwidth"],
            "interconnect_source": e.get("interconnect_source"),
            "tdp_watts": e["tdp_watts"],
            "idle_watts": e["idle_watts"],
            "power_source": e.get("power_source"),
            "source": str(e["source"]),
        }
    if args.json:
        print_json({"hardware": out})
        return 0
    def known(x):
        return None if x != x else x  # NaN (not published) prints as "-"

    rows = [
        (n, r["precision"], r["peak_flops"] / 1e12, r["memory_bandwidth"] / 1e12, r["memory_capacity"] / 1e9,
         round(r["arithmetic_intensity"], 1), known(r["price_per_hour"]),
         known(r["interconnect_bandwidth"] / 1e9), known(r["tdp_watts"]))
        for n, r in out.items()
    ]
    print(format_table(rows, ("name", "precision", "peak TFLOP/s", "HBM TB/s", "HBM GB", "I (FLOP/B)",
                              "$/chip-hour", "link GB/s (bidir)", "TDP W")))
    return 0
