"""Sweeps: equal to direct evaluation, invariant to chunking / devices / processes, resumable."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ttsim

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import sweep_worker  # noqa: E402

needs_8 = pytest.mark.skipif(jax.device_count() < 8, reason="needs 8 (fake) devices")


def _env(**extra):
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    env.update(extra)
    return env


def _subprocess(args, timeout=180, env=None):
    return subprocess.run(
        [sys.executable, str(HERE / "sweep_worker.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or _env(),
    )


def _journal(out) -> list[int]:
    """Chunk ids recorded in a sweep's journal, in order."""
    lines = Path(out, "chunks.jsonl").read_text().splitlines()
    return [json.loads(line)["chunk"] for line in lines if line.strip()]


# ----------------------------------------------------------------------------- correctness


def test_grid_indexing_is_exact_for_uneven_axes_and_chunks():
    axes = {"a": np.arange(7) * 1.5, "b": np.arange(5), "c": np.array([10.0, 20.0, 30.0])}
    r = ttsim.run_sweep(lambda a, b, c: {"a": a, "b": b, "c": c}, axes, chunk_size=9, progress=False)
    A, B, C = np.meshgrid(axes["a"], axes["b"], axes["c"], indexing="ij")
    np.testing.assert_array_equal(r.values["a"], A.astype(np.float32))
    np.testing.assert_array_equal(r.values["b"], B.astype(np.int32))
    np.testing.assert_array_equal(r.values["c"], C.astype(np.float32))
    assert r.shape == (7, 5, 3) and r.stats.num_points == 105
    assert r.values["b"].dtype == np.int32


def test_beta_coverage_sweep_matches_direct_and_scipy():
    import scipy.special as sp

    alpha = np.geomspace(0.1, 5.0, 9)
    beta = np.array([0.5, 1.0, 3.0])
    k = np.array([1, 4, 16, 100, 1000])
    r = ttsim.run_sweep(ttsim.beta_coverage, {"alpha": alpha, "beta": beta, "k": k}, chunk_size=32, progress=False)
    direct = ttsim.beta_coverage(
        alpha[:, None, None].astype(np.float32), beta[None, :, None].astype(np.float32), k[None, None, :].astype(np.float32)
    )
    np.testing.assert_allclose(r.values, np.asarray(direct), rtol=2e-6, atol=1e-7)
    a32, b32 = alpha.astype(np.float32).astype(np.float64), beta.astype(np.float32).astype(np.float64)
    ref = 1 - np.exp(sp.betaln(a32[:, None, None], b32[None, :, None] + k) - sp.betaln(a32[:, None, None], b32[None, :, None]))
    np.testing.assert_allclose(r.values, ref, rtol=1e-4, atol=1e-5)


class _Out(NamedTuple):
    cov: jax.Array
    extra: dict


def test_pytree_output_and_fixed_arrays():
    problems = ttsim.empirical_population(np.array([0.05, 0.2, 0.9]), np.array([1.0, 2.0, 1.0]))

    def fn(k, problems):
        cov = ttsim.population_coverage(problems, k)
        return _Out(cov=cov, extra={"twice": 2 * cov, "vec": jnp.stack([cov, k])})

    ks = np.array([1.0, 2.0, 8.0, 64.0])
    r = ttsim.run_sweep(fn, {"k": ks}, fixed={"problems": problems}, progress=False)
    want = np.asarray(ttsim.population_coverage(problems, jnp.asarray(ks, jnp.float32)))
    assert isinstance(r.values, _Out)
    assert sorted(r.fields) == ["cov", "extra.twice", "extra.vec"]
    np.testing.assert_allclose(r.values.cov, want, rtol=1e-6)
    np.testing.assert_allclose(r.fields["extra.twice"], 2 * want, rtol=1e-6)
    assert r.fields["extra.vec"].shape == (4, 2)
    np.testing.assert_array_equal(r.fields["extra.vec"][:, 1], ks)


def test_static_fixed_values_are_python():
    seen = []

    def fn(x, scale, name):
        seen.append((type(scale), name))
        return x * scale

    r = ttsim.run_sweep(fn, {"x": [1.0, 2.0]}, fixed={"scale": 3, "name": "a"}, progress=False)
    np.testing.assert_array_equal(r.values, [3.0, 6.0])
    assert seen == [(int, "a")]


# ----------------------------------------------------------------------------- invariances


def _mc_fn(p, n, key):
    wins = jax.random.uniform(key, (32,)) < p
    return jnp.mean(wins.astype(jnp.float32)) * n


MC_AXES = {"p": np.linspace(0.0, 1.0, 13), "n": np.array([1.0, 2.0, 3.0, 4.0, 5.0])}


@needs_8
def test_chunk_size_and_device_count_do_not_change_results():
    ref = ttsim.run_sweep(ttsim.beta_coverage, {"alpha": np.geomspace(0.1, 4, 11), "beta": [0.5, 2.0, 7.0], "k": np.arange(1, 30)},
                          chunk_size=64, devices=1, progress=False)
    for chunk, devices in [(1, 1), (100, 8), (7, None), (10_000, 3)]:
        r = ttsim.run_sweep(ttsim.beta_coverage, {"alpha": np.geomspace(0.1, 4, 11), "beta": [0.5, 2.0, 7.0], "k": np.arange(1, 30)},
                            chunk_size=chunk, devices=devices, progress=False)
        np.testing.assert_array_equal(r.values, ref.values)
        assert r.stats.chunk_size % r.stats.num_devices == 0


@needs_8
def test_monte_carlo_keys_follow_the_point_not_the_chunk():
    a = ttsim.run_sweep(_mc_fn, MC_AXES, seed=11, chunk_size=4, devices=1, progress=False)
    b = ttsim.run_sweep(_mc_fn, MC_AXES, seed=11, chunk_size=24, devices=8, progress=False)
    np.testing.assert_array_equal(a.values, b.values)
    # The key of point (i, j) is fold_in(key(seed), flat index): check one point directly.
    i, j = 5, 3
    flat = i * len(MC_AXES["n"]) + j
    want = _mc_fn(jnp.float32(MC_AXES["p"][i]), jnp.float32(MC_AXES["n"][j]), jax.random.fold_in(jax.random.key(11), flat))
    np.testing.assert_allclose(a.values[i, j], want, rtol=1e-6)
    c = ttsim.run_sweep(_mc_fn, MC_AXES, seed=12, chunk_size=24, progress=False)
    assert not np.array_equal(a.values, c.values)
    # p = 0 and p = 1 rows are exact; the rest within 5 standard errors of p * n.
    p = MC_AXES["p"][:, None]
    tol = 5 * np.sqrt(p * (1 - p) / 32) * MC_AXES["n"][None, :] + 1e-6
    assert np.all(np.abs(a.values - p * MC_AXES["n"][None, :]) <= tol)


@needs_8
def test_sharded_path_uses_eight_devices_and_one_trace():
    chex.clear_trace_counter()
    counted = chex.assert_max_traces(lambda p, k: ttsim.coverage(p, k), n=1)
    r = ttsim.run_sweep(counted, {"p": np.linspace(0, 1, 50), "k": np.arange(1, 41)}, chunk_size=100, progress=False)
    # blocks of 2 p-values x 40 k = 80 points (<= 100), one per chunk: 25 chunks
    assert r.stats.num_devices == 8 and r.stats.num_chunks == 25 and r.stats.num_traces == 1
    want = 1 - (1 - np.linspace(0, 1, 50, dtype=np.float32)[:, None].astype(np.float64)) ** np.arange(1, 41)
    np.testing.assert_allclose(r.values, want, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- files, resume


def test_outputs_written_and_reloaded(tmp_path):
    axes = {"p": [0.1, 0.5, 0.9], "k": [1, 10]}
    r = ttsim.run_sweep(ttsim.coverage, axes, out_dir=tmp_path, chunk_size=4, progress=False)
    for f in ("results.npz", "sweep.json", "manifest.json", "results.csv", "chunks.jsonl", "results.zarr"):
        assert (tmp_path / f).exists(), f
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["chunk_size"] == r.stats.chunk_size
    assert _journal(tmp_path) == list(range(r.stats.num_chunks))
    back = ttsim.load_sweep(tmp_path)
    np.testing.assert_array_equal(back.fields["value"], r.values)
    np.testing.assert_array_equal(back.axes["k"], [1, 10])
    lines = (tmp_path / "results.csv").read_text().splitlines()
    assert lines[0] == "p,k,value" and len(lines) == 7 and lines[1].startswith("0.1,1,")
    # No CSV for grids above csv_max_points.
    ttsim.run_sweep(ttsim.coverage, axes, out_dir=tmp_path / "big", csv_max_points=5, progress=False)
    assert not (tmp_path / "big" / "results.csv").exists()


def test_resume_reuses_chunks_and_rejects_a_different_sweep(tmp_path):
    axes = {"p": np.linspace(0, 1, 20), "k": np.arange(1, 11)}
    full = ttsim.run_sweep(ttsim.coverage, axes, out_dir=tmp_path, chunk_size=16, progress=False)
    again = ttsim.run_sweep(ttsim.coverage, axes, out_dir=tmp_path, chunk_size=16, resume=True, progress=False)
    assert again.stats.chunks_computed == 0 and again.stats.chunks_resumed == full.stats.num_chunks
    assert full.stats.num_traces == 1 and again.stats.num_traces == 1  # one trace per sweep shape
    np.testing.assert_array_equal(again.values, full.values)
    with pytest.raises(ValueError, match="different sweep"):
        ttsim.run_sweep(ttsim.coverage, {"p": np.linspace(0, 1, 21), "k": np.arange(1, 11)}, out_dir=tmp_path,
                        chunk_size=16, resume=True, progress=False)
    with pytest.raises(ValueError, match="chunk_size"):
        ttsim.run_sweep(ttsim.coverage, axes, out_dir=tmp_path, chunk_size=32, resume=True, progress=False)


def test_killed_sweep_resumes_bit_identically(tmp_path):
    out = tmp_path / "ckpt"
    killed = _subprocess(["run", str(out), str(tmp_path / "dead.npz"), "--kill-after", "3"])
    assert killed.returncode == -9, killed.stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False and _journal(out) == [0, 1, 2]
    assert not (out / "results.npz").exists()
    resumed = _subprocess(["run", str(out), str(tmp_path / "resumed.npz"), "--resume"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    got = np.load(tmp_path / "resumed.npz")
    num_chunks = manifest["num_chunks"]
    # Only the chunk in flight at the kill is lost: the 3 stored chunks are reused.
    assert int(got["chunks_resumed"]) == 3 and int(got["chunks_computed"]) == num_chunks - 3
    ref = ttsim.run_sweep(sweep_worker.grid_fn, sweep_worker.AXES, chunk_size=sweep_worker.CHUNK,
                          seed=sweep_worker.SEED, progress=False)
    for name, arr in ref.fields.items():
        np.testing.assert_array_equal(got[f"field_{name}"], arr)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_distributed_sweep_matches_single_process(tmp_path):
    port = str(_free_port())
    env = _env(XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "sweep_worker.py"), "multi", str(tmp_path / "out"), str(tmp_path / f"p{i}.npz"), port, str(i)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for i in range(2)
    ]
    try:
        outs = [p.communicate(timeout=180) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    ref = ttsim.run_sweep(sweep_worker.grid_fn, sweep_worker.AXES, chunk_size=sweep_worker.CHUNK,
                          seed=sweep_worker.SEED, devices=1, progress=False)
    for i in range(2):
        got = np.load(tmp_path / f"p{i}.npz")
        assert int(got["num_processes"]) == 2 and int(got["num_devices"]) == 4
        for name, arr in ref.fields.items():
            np.testing.assert_array_equal(got[f"field_{name}"], arr)
    written = ttsim.load_sweep(tmp_path / "out")  # only process 0 writes
    np.testing.assert_array_equal(written.fields["mc"], ref.fields["mc"])


# ----------------------------------------------------------------------------- validation, config, CLI


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(axes={}), "non-empty"),
        (dict(axes={"p": []}), "p"),
        (dict(axes={"p": [[0.1, 0.2]]}), "1-D"),
        (dict(axes={"p": [0.1]}, chunk_size=0), "chunk_size"),
        (dict(axes={"p": [0.1]}, resume=True), "resume"),
        (dict(axes={"p": [0.1]}, seed=-1), "seed"),
        (dict(axes={"p": [0.1]}, fixed={"p": 1.0}), "both"),
        (dict(axes={"p": [3_000_000_000]}), "outside int32"),
    ],
)
def test_run_sweep_rejects_bad_arguments(kwargs, match):
    axes = kwargs.pop("axes")
    with pytest.raises(ValueError, match=match):
        ttsim.run_sweep(lambda p, k=1.0: p, axes, progress=False, **kwargs)


def test_sweep_axis():
    np.testing.assert_allclose(ttsim.sweep_axis(1, 1000, 4, log=True), [1, 10, 100, 1000])
    np.testing.assert_allclose(ttsim.sweep_axis(0, 1, 3), [0, 0.5, 1])
    np.testing.assert_array_equal(ttsim.sweep_axis(1, 10, 30, log=True, integer=True), np.arange(1, 11))
    with pytest.raises(ValueError, match="num"):
        ttsim.sweep_axis(0, 1, 0)
    with pytest.raises(ValueError, match="log"):
        ttsim.sweep_axis(0, 1, 3, log=True)


def _write(tmp_path, text, name="cfg.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, match",
    [
        ('function = "beta_coverag"\n[axes]\nk = [1]', "did you mean beta_coverage"),
        ('function = "beta_coverage"\n[axes]\nalpah = [1.0]\n[fixed]\nbeta = 1.0\nk = 1', r"axes\.alpah.*did you mean alpha"),
        ('function = "beta_coverage"\n[axes]\nalpha = [1.0]\n[fixed]\nk = 1', "needs 'beta'"),
        ('function = "beta_coverage"\n[axes]\nalpha = {start = 1, stop = 2}\nbeta = [1.0]\nk = [1]', r"axes\.alpha\.num is missing"),
        ('function = "beta_coverage"\n[axes]\nalpha = {start = 1, stop = 2, num = 0}\nbeta = [1.0]\nk = [1]', r"axes\.alpha\.num"),
        ('function = "beta_coverage"\n[axes]\nalpha = {start = 0, stop = 2, num = 3, log = true}\nbeta = [1.0]\nk = [1]', r"axes\.alpha"),
        ('function = "beta_coverage"\nchunk_size = -3\n[axes]\nalpha = [1.0]\nbeta = [1.0]\nk = [1]', "chunk_size"),
        ('function = "beta_coverage"\nbogus = 1\n[axes]\nalpha = [1.0]', "bogus"),
        ('function = "beta_coverage"\n[axes]\nalpha = "x"\nbeta = [1.0]\nk = [1]', r"axes\.alpha"),
        ('function = "beta_coverage"\nseed = 1\n[axes]\nalpha = [1.0]\nbeta = [1.0]\nk = [1]', "seed"),
        ("function = [", "invalid TOML"),
        ('function = "coverage"\n[axes]\np = [0.5]\nk = [99999999999999999999]', r"axes\.k: integers must fit in 64 bits"),
        ('function = "coverage"\n[axes]\np = {start = 0, stop = 1, num = 100000000000}\nk = [1]', r"axes\.p: num must be below 2\*\*30"),
        ('function = "optimize_allocation"\n[axes]\np = [0.5]', "not (a )?sweepable"),
    ],
)
def test_bad_configs_name_the_key(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        ttsim.load_sweep_config(_write(tmp_path, text))


def test_cli_sweep_runs_the_example_and_resumes(tmp_path, capsys):
    from ttsim.cli import main

    example = HERE.parent / "experiments" / "sweep_example.toml"
    cfg = ttsim.load_sweep_config(example)
    assert cfg.function == "beta_coverage"
    small = _write(tmp_path, 'function = "beta_coverage"\nchunk_size = 16\n[axes]\nalpha = {start = 0.1, stop = 2, num = 5, log = true}\n'
                             'beta = [1.0, 2.0]\n[fixed]\nk = 10\n')
    assert main(["sweep", "--config", str(small), "--out", str(tmp_path / "o"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stats"]["num_points"] == 10 and out["stats"]["num_traces"] == 1
    assert 0 < out["fields"]["value"]["min"] <= out["fields"]["value"]["max"] <= 1
    assert main(["sweep", "--config", str(small), "--out", str(tmp_path / "o"), "--resume", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["chunks_computed"] == 0
    assert main(["sweep", "--config", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.toml" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(ttsim, "kinetics_cost"), reason="cost models not available")
def test_config_with_named_models_sweeps_a_pytree_axis(tmp_path):
    cfg_path = _write(tmp_path, 'function = "kinetics_cost"\n[axes]\nmodel = ["qwen3-0.6b", "qwen3-8b"]\n'
                                'gen_tokens = [1000.0, 4000.0]\n[fixed]\nhardware = "h100-sxm"\nprompt_tokens = 512\n'
                                'num_samples = 4\n')
    cfg = ttsim.load_sweep_config(cfg_path)
    r = ttsim.run_sweep(cfg.fn, cfg.axes, fixed=cfg.fixed, labels=cfg.labels, out_dir=tmp_path / "o", progress=False)
    assert r.shape == (2, 2) and list(r.axes["model"]) == ["qwen3-0.6b", "qwen3-8b"]
    hw = ttsim.get_hardware("h100-sxm")
    for i, name in enumerate(["qwen3-0.6b", "qwen3-8b"]):
        for j, L in enumerate([1000.0, 4000.0]):
            want = ttsim.kinetics_cost(ttsim.get_model(name), hw, 512.0, L, 4.0)
            np.testing.assert_allclose(r.values.seconds[i, j], want.seconds, rtol=1e-6)
    rows = (tmp_path / "o" / "results.csv").read_text().splitlines()
    assert rows[0].startswith("model,gen_tokens,flops") and rows[1].startswith("qwen3-0.6b,1000.0,")
    bad = _write(tmp_path, 'function = "kinetics_cost"\n[axes]\nmodel = ["qwen3-0.6b", "no-such-model"]\n'
                           'gen_tokens = [1.0]\n[fixed]\nhardware = "h100-sxm"\nprompt_tokens = 1\nnum_samples = 1\n', "bad.toml")
    with pytest.raises(ValueError, match=r"axes\.model"):
        ttsim.load_sweep_config(bad)


def test_cli_sweep_joins_a_distributed_job_when_asked(tmp_path, capsys, monkeypatch):
    from ttsim.cli import main

    calls = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: calls.append(("init", kw)))
    monkeypatch.setattr(jax.distributed, "shutdown", lambda: calls.append(("shutdown", {})))
    cfg = _write(tmp_path, 'function = "coverage"\n[axes]\np = [0.1, 0.5]\nk = [1, 4]\n')
    argv = ["sweep", "--config", str(cfg), "--out", str(tmp_path / "o"), "--json"]
    assert main(argv) == 0 and calls == []  # single process by default
    capsys.readouterr()
    assert main(argv + ["--coordinator", "10.0.0.1:1234", "--num-processes", "1", "--process-id", "0"]) == 0
    assert calls == [("init", {"coordinator_address": "10.0.0.1:1234", "num_processes": 1, "process_id": 0}),
                     ("shutdown", {})]
    assert json.loads(capsys.readouterr().out)["stats"]["num_points"] == 4
    calls.clear()
    assert main(argv + ["--distributed"]) == 0 and calls[0] == ("init", {})  # cluster auto-detection
    capsys.readouterr()
    assert main(argv + ["--num-processes", "2", "--process-id", "2"]) == 2
    assert "--process-id must be in [0, --num-processes)" in capsys.readouterr().err


def test_cli_sweep_reports_a_failed_distributed_start(tmp_path, capsys, monkeypatch):
    from ttsim.cli import main

    def fail(**kw):
        raise RuntimeError("coordinator unreachable\nmore detail")

    monkeypatch.setattr(jax.distributed, "initialize", fail)
    cfg = _write(tmp_path, 'function = "coverage"\n[axes]\np = [0.1]\nk = [1]\n')
    assert main(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o"), "--distributed"]) == 2
    err = capsys.readouterr().err.strip()
    assert "jax.distributed.initialize failed: coordinator unreachable" in err and "\n" not in err


@pytest.mark.parametrize("shape, chunk, ndev", [((7, 5, 3), 9, 1), ((50, 40), 100, 8), ((3, 1000), 64, 3),
                                                ((4, 4, 4), 1, 2), ((5,), 1000, 1), ((2, 3, 4, 5), 13, 4)])
def test_chunk_blocks_tile_the_grid_once_in_flat_order(shape, chunk, ndev):
    from ttsim._src.sweep_grid import plan_chunks

    plan = plan_chunks(shape, chunk, ndev)
    seen = np.zeros(shape, dtype=int)
    flat = np.arange(np.prod(shape)).reshape(shape)
    nxt = 0
    for cid in range(plan.num_chunks):
        block = flat[plan.region(cid)]
        assert block.shape == plan.block_shape(cid) and block.size == plan.length(cid) <= chunk
        # one contiguous run of flat indices, starting where the previous chunk stopped
        np.testing.assert_array_equal(block.reshape(-1), np.arange(nxt, nxt + block.size))
        assert plan.start(cid) == nxt
        seen[plan.region(cid)] += 1
        nxt += block.size
    assert np.all(seen == 1) and plan.capacity % ndev == 0 and plan.capacity >= max(
        plan.length(c) for c in range(plan.num_chunks))
