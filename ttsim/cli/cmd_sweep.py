"""``ttsim sweep --config FILE.toml --out DIR [--resume] [--json] [--distributed ...]``: run a declarative sweep."""

from __future__ import annotations

from ttsim.cli._common import CLIError, format_table, print_json


def register(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="evaluate a ttsim function over the Cartesian product of named axes",
        description="Run the sweep described by a TOML config (function, [axes], [fixed], chunk_size, "
        "seed) in checkpointed chunks over all devices. Each chunk is streamed to the zarr store "
        "DIR/results.zarr as it finishes (open it with xarray.open_zarr or "
        "ttsim.sweep.open_sweep); also writes DIR/sweep.json, DIR/manifest.json, DIR/chunks.jsonl "
        "and, for small grids, DIR/results.csv and DIR/results.npz. "
        "See experiments/sweep_example.toml.",
    )
    p.add_argument("--config", required=True, help="TOML sweep configuration")
    p.add_argument("--out", required=True, help="output / checkpoint folder")
    p.add_argument("--resume", action="store_true",
                   help="reuse the verified chunks already in --out (corrupt ones are recomputed)")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty --out folder that ttsim did not create "
                   "(files ttsim did not write are never deleted or overwritten)")
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
        fields[name] = {"shape": list(arr.shape), **result.summary[name]}
    out = {
        "function": cfg.function,
        "out_dir": result.out_dir,
        "store": result.store,
        "open": _open_hint(result),
        "axes": {n: len(a) for n, a in result.axes.items()},
        "fields": fields,
        "stats": result.stats._asdict(),
    }
    return out


def _open_hint(result) -> str | None:
    if result.store is None:
        return None
    return f"xarray.open_zarr({result.store!r}) or ttsim.sweep.open_sweep({result.out_dir!r})"


def _wants_distributed(args) -> bool:
    return bool(args.distributed) or any(
        v is not None for v in (args.coordinator, args.num_processes, args.process_id)
    )


def run(args) -> int:
    import os

    from ttsim._src.sweep_store import open_out_dir  # no JAX: paths are checked first

    if args.chunk_size is not None and args.chunk_size < 1:
        raise CLIError(f"--chunk-size must be >= 1; got {args.chunk_size}")
    if os.path.isdir(args.config):
        raise CLIError(f"--config: {args.config} is a folder, not a TOML file")
    try:
        os.stat(args.config)
    except NotADirectoryError:
        raise CLIError(f"--config: {args.config}: a part of the path is a file, not a folder") from None
    except FileNotFoundError:
        raise CLIError(f"--config: {args.config}: file not found") from None
    single = not _wants_distributed(args)
    if single:  # one process: check --out before importing JAX or compiling anything
        open_out_dir(args.out, force=args.force, flag="--out")
    distributed = _initialize_distributed(args)  # before any JAX computation
    import jax

    from ttsim import sweep as tsweep

    cfg = tsweep.load_sweep_config(args.config)
    chunk = cfg.chunk_size if args.chunk_size is None else args.chunk_size
    if not single and jax.process_index() == 0:  # process 0 writes --out
        open_out_dir(args.out, force=args.force, flag="--out")
    try:
        result = tsweep.run_sweep(
            cfg.fn,
            cfg.axes,
            fixed=cfg.fixed,
            chunk_size=chunk,
            out_dir=args.out,
            resume=args.resume,
            seed=cfg.seed,
            labels=cfg.labels,
            progress=not args.no_progress and not args.json,
            force=args.force,
        )
    except (TypeError, RuntimeError, jax.errors.JaxRuntimeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CLIError(f"{args.config}: {cfg.function} failed: {type(err).__name__}: {first}") from None
    except OSError as err:
        raise CLIError(f"--out: cannot write {args.out}: {err.strerror or err}") from None
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
        f"{cfg.function}: {s.num_points} points in {s.num_chunks} chunks of up to {s.chunk_size} on "
        f"{s.num_devices} device(s); computed {s.chunks_computed}, resumed {s.chunks_resumed}; "
        f"compile {s.compile_seconds:.2f} s, run {s.run_seconds:.2f} s ({s.points_per_second:.3g} points/s)"
    )
    if s.chunks_rejected:
        print(f"warning: {s.chunks_rejected} stored chunk(s) failed verification and were recomputed")
    rows = [
        [n, "x".join(map(str, f["shape"])), f["min"], f["mean"], f["max"], f["num_nonfinite"]]
        for n, f in summary["fields"].items()
    ]
    print(format_table(rows, ["field", "shape", "min", "mean", "max", "non-finite"]))
    for n, f in summary["fields"].items():
        if f["num_nonfinite"]:
            print(f"warning: field {n!r} has {f['num_nonfinite']} non-finite value(s) (NaN or inf); "
                  "min, mean and max are over the finite values")
    print(f"store: {result.store}")
    print(f"open it with {summary['open']}")
    return 0
