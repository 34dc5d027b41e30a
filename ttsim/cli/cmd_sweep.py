"""``ttsim sweep --config FILE.toml --out DIR [--resume] [--json] [--distributed ...]``: run a declarative sweep."""

from __future__ import annotations

import numpy as np

from ttsim.cli._common import CLIError, format_table, print_json


def register(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="evaluate a ttsim function over the Cartesian product of named axes",
        description="Run the sweep described by a TOML config (function, [axes], [fixed], chunk_size, "
        "seed) in checkpointed chunks over all devices; writes DIR/results.npz, DIR/sweep.json, "
        "DIR/manifest.json and DIR/results.csv (small grids). See experiments/sweep_example.toml.",
    )
    p.add_argument("--config", required=True, help="TOML sweep configuration")
    p.add_argument("--out", required=True, help="output / checkpoint folder")
    p.add_argument("--resume", action="store_true", help="reuse the chunks already in --out")
    p.add_argument("--chunk-size", type=int, default=None, help="override the config's chunk_size")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    g = p.add_argument_group(
        "multi-host",
        "run the same command on every host: each process computes its devices' share of every chunk "
        "and process 0 writes --out",
    )
    g.add_argument("--distributed", action="store_true",
                   help="call jax.distributed.initialize() first (auto-detects SLURM, Open MPI, Cloud TPU)")
    g.add_argument("--coordinator", metavar="HOST:PORT", help="coordinator address (implies --distributed)")
    g.add_argument("--num-processes", type=int, metavar="N", help="number of processes (implies --distributed)")
    g.add_argument("--process-id", type=int, metavar="I", help="this process's index in [0, N) (implies --distributed)")
    p.set_defaults(func=run)


def _initialize_distributed(args) -> bool:
    """Join a ``jax.distributed`` job when asked; returns whether one was joined."""
    explicit = {"coordinator_address": args.coordinator, "num_processes": args.num_processes,
                "process_id": args.process_id}
    if not args.distributed and all(v is None for v in explicit.values()):
        return False
    if args.num_processes is not None and args.num_processes < 1:
        raise CLIError(f"--num-processes must be >= 1; got {args.num_processes}")
    if args.process_id is not None and (
        args.process_id < 0 or (args.num_processes is not None and args.process_id >= args.num_processes)
    ):
        raise CLIError(f"--process-id must be in [0, --num-processes); got {args.process_id}")
    import jax

    try:
        jax.distributed.initialize(**{k: v for k, v in explicit.items() if v is not None})
    except (RuntimeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CLIError(f"--distributed: jax.distributed.initialize failed: {first}") from None
    return True


def _summary(cfg, result) -> dict:
    fields = {}
    for name, arr in result.fields.items():
        a = np.asarray(arr, dtype=np.float64)
        fin = a[np.isfinite(a)]
        fields[name] = {
            "shape": list(arr.shape),
            "min": float(fin.min()) if fin.size else None,
            "max": float(fin.max()) if fin.size else None,
            "mean": float(fin.mean()) if fin.size else None,
            "num_nonfinite": int(a.size - fin.size),
        }
    return {
        "function": cfg.function,
        "out_dir": result.out_dir,
        "axes": {n: len(a) for n, a in result.axes.items()},
        "fields": fields,
        "stats": result.stats._asdict(),
    }


def run(args) -> int:
    distributed = _initialize_distributed(args)  # before any JAX computation
    import jax

    import ttsim

    cfg = ttsim.load_sweep_config(args.config)
    chunk = cfg.chunk_size if args.chunk_size is None else args.chunk_size
    if chunk < 1:
        raise ValueError(f"--chunk-size must be >= 1; got {chunk}")
    result = ttsim.run_sweep(
        cfg.fn,
        cfg.axes,
        fixed=cfg.fixed,
        chunk_size=chunk,
        out_dir=args.out,
        resume=args.resume,
        seed=cfg.seed,
        labels=cfg.labels,
        progress=not args.no_progress and not args.json,
    )
    is_writer = jax.process_index() == 0
    if distributed:
        jax.distributed.shutdown()
    if not is_writer:
        return 0  # process 0 reports (and wrote --out)
    summary = _summary(cfg, result)
    if args.json:
        print_json(summary)
        return 0
    s = result.stats
    print(
        f"{cfg.function}: {s.num_points} points in {s.num_chunks} chunks of {s.chunk_size} on "
        f"{s.num_devices} device(s); computed {s.chunks_computed}, resumed {s.chunks_resumed}; "
        f"compile {s.compile_seconds:.2f} s, run {s.run_seconds:.2f} s ({s.points_per_second:.3g} points/s)"
    )
    rows = [[n, "x".join(map(str, f["shape"])), f["min"], f["mean"], f["max"]] for n, f in summary["fields"].items()]
    print(format_table(rows, ["field", "shape", "min", "mean", "max"]))
    print(f"wrote {args.out}/results.npz and sweep.json")
    return 0
