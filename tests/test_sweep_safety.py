"""Sweeps on bad input, on interruption and on existing folders: one-line errors, no lost files.

CLI cases run ``python -m ttsim.cli sweep ...`` in a subprocess and check the exact exit status,
a one-line message on stderr and that no traceback is printed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ttsim
import ttsim.sweep as tsweep
from ttsim._src.traceable import traceable

ROOT = Path(__file__).resolve().parent.parent
SMALL = 'function = "coverage"\nchunk_size = 4\n[axes]\np = [0.1, 0.5, 0.9]\nk = [1, 4, 16]\n'


def _cli(*args, timeout=240):
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    env["XLA_FLAGS"] = ""  # one CPU device is enough here
    return subprocess.run([sys.executable, "-m", "ttsim.cli", "sweep", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def _one_line_error(proc, pattern):
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert re.search(pattern, err), err


def _cfg(tmp_path, text=SMALL, name="cfg.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- allow-list


def test_sweepable_functions_is_an_allow_list_of_traceable_functions():
    names = tsweep.sweepable_functions()
    assert {"beta_coverage", "coverage", "population_coverage"} <= set(names)
    assert all(getattr(getattr(ttsim, n), "__ttsim_traceable__", False) for n in names if hasattr(ttsim, n))
    for host_only in ("optimize_allocation", "compute_to_match", "load_sweep", "read_log"):
        assert host_only not in names
    if hasattr(ttsim, "optimize_allocation"):
        with pytest.raises(ValueError, match="not sweepable: it is not a jit-traceable"):
            tsweep.resolve_sweep_function("optimize_allocation")


def test_a_tracer_error_in_the_cli_is_one_line(tmp_path, capsys, monkeypatch):
    from ttsim._src import sweep_config
    from ttsim.cli import main

    @traceable
    def host_only(p, k):
        return float(p) * k  # concretizes a tracer

    monkeypatch.setattr(sweep_config, "_public_functions", lambda: {"host_only": host_only})
    cfg = _cfg(tmp_path, 'function = "host_only"\n[axes]\np = [0.5]\nk = [1.0]\n')
    assert main(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot be evaluated under jax.jit" in err and "ConcretizationTypeError" in err
    assert len(err.splitlines()) == 1


# ----------------------------------------------------------------------------- domains


@pytest.mark.parametrize(
    "axes, match",
    [
        ({"alpha": [1.0, -0.5], "beta": [1.0], "k": [4]}, r"axis 'alpha' must be > 0 and finite; got -0\.5"),
        ({"alpha": [0.0], "beta": [1.0], "k": [4]}, r"axis 'alpha'.*got 0\.0"),
        ({"alpha": [1.0], "beta": [1.0], "k": [4, -3]}, r"axis 'k' must be >= 0 and finite; got -3"),
        ({"alpha": [1.0], "beta": [1.0], "k": [4.0, np.nan]}, r"axis 'k'.*nan"),
    ],
)
def test_beta_coverage_axes_are_checked_before_compiling(axes, match):
    with pytest.raises(ValueError, match=match):
        tsweep.run_sweep(ttsim.beta_coverage, axes, progress=False)


@pytest.mark.parametrize("p, bad", [(1.5, "1.5"), (np.nan, "nan"), (-0.1, "-0.1")])
def test_coverage_p_outside_zero_one_is_rejected_without_tracing(p, bad):
    traced = []

    def fn(p, k):
        traced.append(1)
        return ttsim.coverage(p, k)

    with pytest.raises(ValueError, match=rf"axis 'p' must be in \[0, 1\]; got {bad}"):
        tsweep.run_sweep(fn, {"p": [0.2, p], "k": [1.0]}, progress=False)
    with pytest.raises(ValueError, match=r"fixed argument 'p'"):
        tsweep.run_sweep(fn, {"k": [1.0]}, fixed={"p": p}, progress=False)
    assert traced == []


def test_user_domains_and_nan_everywhere():
    with pytest.raises(ValueError, match=r"axis 'x' must be in \[0, 2\]; got 3"):
        tsweep.run_sweep(lambda x: x, {"x": [1.0, 3.0]}, domain={"x": tsweep.Domain(0, 2)}, progress=False)
    with pytest.raises(ValueError, match=r"axis 'x'.*nan"):
        tsweep.run_sweep(lambda x: x, {"x": [1.0, np.nan]}, progress=False)
    fn = lambda x: x  # noqa: E731
    fn.__ttsim_domain__ = {"x": tsweep.Domain(0, 1, lo_open=True)}
    with pytest.raises(ValueError, match=r"axis 'x' must be in \(0, 1\]"):
        tsweep.run_sweep(fn, {"x": [0.0]}, progress=False)


def test_cli_domain_error_is_one_line(tmp_path):
    cfg = _cfg(tmp_path, 'function = "beta_coverage"\n[axes]\nalpha = [-1.0, 1.0]\n[fixed]\nbeta = 1.0\nk = 4\n')
    proc = _cli("--config", cfg, "--out", tmp_path / "o")
    _one_line_error(proc, r"axis 'alpha' must be > 0 and finite; got -1\.0")


def test_monte_carlo_functions_need_a_seed():
    def mc(p, key):
        return jnp.mean(jax.random.uniform(key, (8,)) < p)

    with pytest.raises(ValueError, match="Monte Carlo function.*seed"):
        tsweep.run_sweep(mc, {"p": [0.5]}, progress=False)
    r = tsweep.run_sweep(mc, {"p": [0.0, 1.0]}, seed=3, progress=False)
    np.testing.assert_array_equal(r.values, [0.0, 1.0])


# ----------------------------------------------------------------------------- sizes, summaries


def test_a_grid_too_large_for_memory_is_refused_before_compiling():
    traced = []

    def fn(p, k):
        traced.append(1)
        return p * k

    big = {"p": np.linspace(0, 1, 100_000), "k": np.arange(1, 100_001), "x": np.arange(100)}
    with pytest.raises(ValueError, match=r"more than half of the .* memory available; at most \d+ points fit in "
                                         r"memory; pass out_dir"):
        tsweep.run_sweep(lambda p, k, x: fn(p, k), big, progress=False)
    assert len(traced) == 1  # traced once to learn the output size, never compiled or run


def test_cli_grid_too_large_for_disk_is_one_line(tmp_path):
    cfg = _cfg(tmp_path, 'function = "coverage"\n[axes]\np = {start = 0, stop = 1, num = 1000000}\n'
                         'k = {start = 1, stop = 1000000, num = 1000000}\n')
    proc = _cli("--config", cfg, "--out", tmp_path / "o")
    _one_line_error(proc, r"on disk in .*free; at most \d+ points fit")


def test_text_summary_reports_non_finite_values(tmp_path, capsys, monkeypatch):
    from ttsim._src import sweep_config
    from ttsim.cli import main

    @traceable
    def log_of(x):
        return jnp.log(x - 1.0)  # NaN below 1, -inf at 1

    monkeypatch.setattr(sweep_config, "_public_functions", lambda: {"log_of": log_of})
    cfg = _cfg(tmp_path, 'function = "log_of"\n[axes]\nx = [0.5, 1.0, 2.0, 3.0]\n')
    assert main(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "non-finite" in out and "field 'value' has 2 non-finite value(s)" in out
    assert f"store: {tmp_path / 'o' / 'results.zarr'}" in out and "xarray.open_zarr(" in out
    assert main(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["fields"]["value"]["num_nonfinite"] == 2
    assert summary["fields"]["value"]["max"] == pytest.approx(np.log(2.0))
    assert summary["store"].endswith("results.zarr") and "open_sweep" in summary["open"]


# ----------------------------------------------------------------------------- output folders


def test_cli_out_that_is_a_file_is_one_line(tmp_path):
    target = tmp_path / "afile"
    target.write_text("mine")
    _one_line_error(_cli("--config", _cfg(tmp_path), "--out", target), r"--out: .*afile.* is a file")
    assert target.read_text() == "mine"


def test_cli_refuses_a_foreign_folder_and_force_keeps_the_users_files(tmp_path, capsys):
    from ttsim.cli import main

    out = tmp_path / "user"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    _one_line_error(_cli("--config", _cfg(tmp_path), "--out", out), r"--out: .*not empty and was not created by ttsim")
    (out / "results.csv").write_text("my,own\n")
    _one_line_error(_cli("--config", _cfg(tmp_path), "--out", out, "--force"),
                    r"--out: .*results\.csv.* was not written by ttsim")
    (out / "results.csv").unlink()
    assert main(["sweep", "--config", str(_cfg(tmp_path)), "--out", str(out), "--force", "--json"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    capsys.readouterr()
    # a ttsim folder: a rerun without --resume replaces ttsim's outputs, never the user's file
    assert main(["sweep", "--config", str(_cfg(tmp_path)), "--out", str(out), "--json"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads(capsys.readouterr().out)["stats"]["chunks_computed"] == 3


def test_cli_config_that_is_a_folder_is_one_line(tmp_path):
    _one_line_error(_cli("--config", tmp_path, "--out", tmp_path / "o"), r"is a folder, not a TOML file")


# ----------------------------------------------------------------------------- resume trusts nothing


AXES = {"p": np.linspace(0, 1, 12), "k": np.arange(1, 9)}


def _reference(tmp_path):
    out = tmp_path / "ckpt"
    ref = tsweep.run_sweep(ttsim.coverage, AXES, out_dir=out, chunk_size=16, progress=False)
    return out, ref


def _chunk_file(out, cid):
    from ttsim._src.sweep_grid import plan_chunks
    from ttsim._src.sweep_store import SweepStore, field_specs

    plan = plan_chunks((12, 8), 16, jax.device_count())
    info = jax.ShapeDtypeStruct((plan.capacity,), np.float32)
    return Path(SweepStore(out, plan, field_specs(["value"], [info], ["p", "k"]), ["p", "k"]).chunk_file(cid))


@pytest.mark.parametrize("damage", ["truncate", "swap", "garbage_line", "one_element"])
def test_resume_recomputes_chunks_that_fail_verification(tmp_path, damage):
    out, ref = _reference(tmp_path)
    a, b = _chunk_file(out, 1), _chunk_file(out, 2)
    if damage == "truncate":
        a.write_bytes(a.read_bytes()[:5])
    elif damage == "swap":  # valid data, but another chunk's values
        da, db = a.read_bytes(), b.read_bytes()
        a.write_bytes(db)
        b.write_bytes(da)
    elif damage == "garbage_line":
        with open(out / "chunks.jsonl", "a") as fh:
            fh.write('{"chunk": 1, "start": "x"\n[1, 2]\n{"chunk": true}\n')
    else:
        a.write_bytes(np.float32(0.5).tobytes())
    match = r"ignored 3 malformed journal line\(s\): chunks\.jsonl line" if damage == "garbage_line" else (
        r"recomputing \d stored chunk\(s\) that failed verification: chunk \d \(.*results\.zarr")
    with pytest.warns(RuntimeWarning, match=match):
        again = tsweep.run_sweep(ttsim.coverage, AXES, out_dir=out, chunk_size=16, resume=True, progress=False)
    np.testing.assert_array_equal(again.values, ref.values)
    expect = {"truncate": 1, "swap": 2, "garbage_line": 0, "one_element": 1}[damage]
    assert again.stats.chunks_computed == expect
    assert again.stats.chunks_resumed == ref.stats.num_chunks - expect
    # the journal now lists every chunk exactly once
    lines = [json.loads(x)["chunk"] for x in (out / "chunks.jsonl").read_text().splitlines()]
    assert sorted(lines) == list(range(ref.stats.num_chunks))


@pytest.mark.parametrize(
    "manifest, match",
    [
        ("[1, 2]", r"manifest\.json is not a sweep manifest"),
        ('{"version": 2, "fingerprint": 7, "chunk_size": 16, "chunk_shape": [1, 8]}', r"field 'fingerprint'"),
        ('{"version": 2, "fingerprint": "x", "chunk_size": "16", "chunk_shape": [1, 8]}', r"field 'chunk_size'"),
        ("{not json", r"cannot read .*manifest\.json"),
        ('{"version": 1}', r"another ttsim sweep format"),
    ],
)
def test_malformed_manifest_is_one_line(tmp_path, manifest, match):
    out, _ = _reference(tmp_path)
    (out / "manifest.json").write_text(manifest)
    with pytest.raises(ValueError, match=match):
        tsweep.run_sweep(ttsim.coverage, AXES, out_dir=out, chunk_size=16, resume=True, progress=False)


def test_cli_malformed_manifest_is_one_line(tmp_path):
    from ttsim.cli import main

    cfg = _cfg(tmp_path)
    assert main(["sweep", "--config", str(cfg), "--out", str(tmp_path / "o"), "--json"]) == 0
    (tmp_path / "o" / "manifest.json").write_text('{"version": 2, "fingerprint": null}')
    _one_line_error(_cli("--config", cfg, "--out", tmp_path / "o", "--resume"), r"manifest\.json: field 'fingerprint'")


# ----------------------------------------------------------------------------- the store


def test_store_opens_as_an_xarray_dataset_with_named_axes(tmp_path):
    import xarray

    axes = {"p": [0.1, 0.5, 0.9], "k": [1, 10]}
    r = tsweep.run_sweep(lambda p, k: {"cov": ttsim.coverage(p, k), "p": p}, axes, out_dir=tmp_path,
                         chunk_size=2, progress=False)
    ds = tsweep.open_sweep(tmp_path)
    assert ds["cov"].dims == ("p", "k") and list(ds.coords["k"].values) == [1, 10]
    np.testing.assert_array_equal(ds["cov"].values, r.fields["cov"])
    np.testing.assert_array_equal(ds["out_p"].values, r.fields["p"])  # a field named like an axis
    want = 1 - (1 - np.float32(0.5)) ** 10
    assert float(ds["cov"].sel(p=0.5, k=10)) == pytest.approx(want, rel=1e-6)
    plain = xarray.open_zarr(str(tmp_path / "results.zarr"), consolidated=False)
    np.testing.assert_array_equal(plain["cov"].values, r.fields["cov"])


def test_large_results_stay_on_disk(tmp_path, monkeypatch):
    from ttsim._src import sweep_store

    monkeypatch.setattr(sweep_store, "IN_MEMORY_BYTES", 1000)  # 600 float32 = 2400 bytes is "large"
    axes = {"p": np.linspace(0, 1, 30), "k": np.arange(1, 21)}
    mem = tsweep.run_sweep(ttsim.coverage, axes, chunk_size=64, progress=False)
    with pytest.warns(DeprecationWarning, match="results.npz is no longer written"):
        disk = tsweep.run_sweep(ttsim.coverage, axes, chunk_size=64, out_dir=tmp_path, progress=False)
    assert not isinstance(disk.values, np.ndarray)  # a lazy zarr array, never the whole grid in memory
    assert not (tmp_path / "results.npz").exists() and (tmp_path / "results.csv").exists()
    np.testing.assert_array_equal(np.asarray(disk.values), mem.values)
    assert disk.summary["value"]["num_nonfinite"] == 0
    assert disk.summary["value"]["mean"] == pytest.approx(float(np.mean(mem.values.astype(np.float64))), rel=1e-12)
    back = tsweep.load_sweep(tmp_path, in_memory=False)
    np.testing.assert_array_equal(np.asarray(back.fields["value"]), mem.values)


def test_docs_toml_example_is_accepted(tmp_path):
    text = (ROOT / "docs" / "sweeps_and_kernels.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert blocks
    for i, block in enumerate(blocks):
        cfg = tsweep.load_sweep_config(_cfg(tmp_path, block, f"doc{i}.toml"))
        assert cfg.function in tsweep.sweepable_functions()


def test_a_rerun_that_fails_before_computing_keeps_the_previous_results(tmp_path):
    ref = tsweep.run_sweep(ttsim.coverage, {"p": [0.2, 0.4], "k": [1, 2]}, out_dir=tmp_path, progress=False)

    def broken(p, k):
        return float(p) * k

    with pytest.raises(ValueError, match="cannot be evaluated under jax.jit"):
        tsweep.run_sweep(broken, {"p": [0.2, 0.4], "k": [1, 2]}, out_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="axis 'p'"):
        tsweep.run_sweep(ttsim.coverage, {"p": [2.0], "k": [1]}, out_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(tsweep.load_sweep(tmp_path).fields["value"], ref.values)
