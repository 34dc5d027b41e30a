"""``ttsim models``: list the model registry."""

from __future__ import annotations

from ttsim.cli._common import format_table, print_json


def register(sub) -> None:
    p = sub.add_parser("models", help="list the registered model configurations",
                       description="List the model registry (shipped models.toml plus --models-file).")
    p.add_argument("--models-file", help="extra model registry (TOML) merged over the shipped one")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from ttsim._src.registry import model_entries  # jax-free: listing needs no arrays

    entries = model_entries(args.models_file)
    fields = ("params", "active_params", "num_layers", "num_heads", "num_kv_heads", "head_dim",
              "hidden_size", "vocab_size", "num_experts", "experts_per_token")
    out = {}
    for name, e in entries.items():
        row = {"display_name": e.get("display_name", name)}
        row.update({f: float(e[f]) for f in fields})
        row["source"] = str(e["source"])
        out[name] = row
    if args.json:
        print_json({"models": out})
        return 0
    rows = [
        (n, f"{r['params'] / 1e9:.3g}", f"{r['active_params'] / 1e9:.3g}", int(r["num_layers"]), int(r["num_heads"]),
         int(r["num_kv_heads"]), int(r["head_dim"]), r["source"].split(";")[0].split(" ")[0])
        for n, r in out.items()
    ]
    print(format_table(rows, ("name", "params (B)", "active (B)", "layers", "heads", "kv heads", "head dim", "source")))
    return 0
