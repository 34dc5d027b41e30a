"""Subprocess helper for the sweep tests (not a test module).

    python tests/sweep_worker.py run OUT_DIR RESULT.npz [--kill-after K] [--resume]
    python tests/sweep_worker.py multi OUT_DIR RESULT.npz PORT PROCESS_ID

``run`` evaluates :func:`grid_fn` over :data:`AXES` with checkpoints in OUT_DIR; with
``--kill-after K`` the process SIGKILLs itself right after the K-th chunk is stored (a crash
with no clean-up). ``multi`` joins a two-process ``jax.distributed`` job on 127.0.0.1:PORT.
Each run saves the values it returns (and its stats) to RESULT.npz.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

AXES = {
    "p": np.linspace(0.0, 1.0, 23),
    "k": np.array([1, 2, 3, 5, 8, 13, 21, 34, 55]),
    "d": np.array([0.0, 0.5, 1.5]),
}
CHUNK = 40
SEED = 7


def grid_fn(p, k, d, key):
    """Deterministic part (coverage) plus a seeded Monte Carlo estimate of it."""
    import jax
    import jax.numpy as jnp

    import ttsim

    exact = ttsim.coverage(p, k)
    mc = jnp.mean((jax.random.uniform(key, (256,)) < p).astype(jnp.float32))
    return {"exact": exact, "mc": mc, "shifted": exact + d}


def _save(path, result):
    np.savez(
        path,
        **{f"field_{n}": a for n, a in result.fields.items()},
        chunks_computed=result.stats.chunks_computed,
        chunks_resumed=result.stats.chunks_resumed,
        num_traces=result.stats.num_traces,
        num_devices=result.stats.num_devices,
        num_processes=result.stats.num_processes,
    )


def main(argv):
    mode, out_dir, result_path = argv[:3]
    if mode == "multi":
        port, pid = argv[3], int(argv[4])
        import jax

        jax.distributed.initialize(
            coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=pid
        )
    import ttsim

    kill_after = None
    if "--kill-after" in argv:
        kill_after = int(argv[argv.index("--kill-after") + 1])

    def on_chunk(cid, stats):
        if kill_after is not None and stats.chunks_computed >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    result = ttsim.run_sweep(
        grid_fn,
        AXES,
        chunk_size=CHUNK,
        out_dir=out_dir,
        resume="--resume" in argv,
        seed=SEED,
        progress=False,
        on_chunk=on_chunk,
    )
    _save(result_path, result)
    if mode == "multi":
        import jax

        jax.distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
