"""Boundary validation: host inputs are checked, device arrays are not copied back unless asked.

Issue 16: checking the values of an array already on the device costs a device-to-host copy on
every call. ttsim checks Python and NumPy inputs (and the arrays it makes from them, whose
host values it remembers), and device arrays only under ``ttsim.check_device_arrays()`` or
``TTSIM_CHECK_DEVICE_ARRAYS=1``.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ttsim
from ttsim._src import validation

# (call with a bad host input, the same call with the bad value on the device, message)
CASES = [
    (lambda x: ttsim.coverage(x, 4), [1.5, 0.2], "p must lie"),
    (lambda x: ttsim.beta_coverage(x, 1.0, 4), [-1.0], "alpha"),
    (lambda x: ttsim.best_of_n(0.3, 4, x), [np.nan], "d_prime"),
    (lambda x: ttsim.refinement_accuracy(0.1, x, 0.0, 3), [1.5], "a must lie"),
    (lambda x: ttsim.answer_probs(0.7, x), [0.4], "p \\+ q"),
    (lambda x: ttsim.kinetics_cost(ttsim.get_model("qwen3-8b"), ttsim.get_hardware("h100-sxm"), 100, x, 1),
     [-5.0], "gen_tokens"),
]


@pytest.mark.parametrize("call, bad, message", CASES)
def test_host_inputs_are_checked_device_arrays_only_when_asked(call, bad, message):
    with pytest.raises(ValueError, match=message):
        call(bad[0])  # a Python number
    with pytest.raises(ValueError, match=message):
        call(np.asarray(bad))  # a NumPy array
    call(jnp.asarray(bad))  # on the device: not copied back, not checked (the result is garbage-in)
    with ttsim.check_device_arrays(), pytest.raises(ValueError, match=message):
        call(jnp.asarray(bad))
    call(jnp.asarray(bad))  # the with-block restored the default


class HostCopy(BaseException):
    """Not an Exception, so that no ``except Exception`` on the way can swallow it."""


@pytest.fixture
def no_device_to_host(monkeypatch):
    """Make every read of a concrete jax.Array's values onto the host an error.

    Guards ``np.asarray`` / ``np.array`` (the route every host check takes) and the array's
    ``_value`` (``float()``, ``.item()``, ``.tolist()``).
    """
    from jax._src import array as jarray

    def refuse(*_args, **_kwargs):
        raise HostCopy("a device array was copied to the host")

    for name in ("asarray", "array"):
        original = getattr(np, name)

        def guarded(x, *args, _original=original, **kwargs):
            if isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer):
                refuse()
            return _original(x, *args, **kwargs)

        monkeypatch.setattr(np, name, guarded)
    if isinstance(getattr(jarray.ArrayImpl, "_value", None), property):
        monkeypatch.setattr(jarray.ArrayImpl, "_value", property(refuse))


def test_valid_device_arrays_cost_no_host_copy(no_device_to_host):
    p = jnp.linspace(0.01, 0.99, 7)
    k = jnp.arange(1.0, 9.0)[:, None]
    ttsim.coverage(p, k).block_until_ready()
    ttsim.beta_coverage(jnp.float32(0.5), jnp.float32(2.0), k).block_until_ready()
    ttsim.best_of_n(p, jnp.float32(8.0), jnp.float32(1.0)).block_until_ready()
    ttsim.refinement_accuracy(p, jnp.float32(0.3), jnp.float32(0.05), jnp.float32(4.0)).block_until_ready()
    probs = ttsim.answer_probs(p, jnp.float32(0.0))
    ttsim.majority_vote(probs, jnp.arange(1.0, 6.0)[:, None], max_k=8).block_until_ready()
    ttsim.genrm_accuracy(p, jnp.float32(0.8), jnp.float32(0.2), jnp.float32(4.0), jnp.float32(3.0),
                         max_verifications=4).block_until_ready()
    cost = ttsim.kinetics_cost(ttsim.get_model("qwen3-8b"), ttsim.get_hardware("h100-sxm"),
                               jnp.float32(512.0), k * 100.0, jnp.float32(4.0))
    cost.seconds.block_until_ready()


def test_the_guard_itself_catches_a_host_copy(no_device_to_host):
    # Mutation check of the fixture above: with device checks on, the same call must copy.
    with ttsim.check_device_arrays(), pytest.raises(HostCopy, match="copied"):
        ttsim.coverage(jnp.linspace(0.0, 1.0, 3), 2.0)


def test_remembered_host_values_are_released():
    gc.collect()
    before = len(validation._HOST_VALUES)
    for _ in range(50):
        ttsim.coverage(np.linspace(0, 1, 5), np.array([[1.0], [2.0]]))
    gc.collect()
    assert len(validation._HOST_VALUES) <= before + 2


def test_static_sizes_still_read_device_values():
    # Deriving a static table size from k is not a check: a concrete device k still works.
    probs = ttsim.answer_probs(0.5, 0.2)
    got = ttsim.majority_vote(probs, jnp.asarray([1.0, 3.0]))
    np.testing.assert_allclose(got, ttsim.majority_vote(probs, [1, 3]))
    with pytest.raises(ValueError, match="max_k"):
        jax.jit(lambda k: ttsim.majority_vote(probs, k))(jnp.float32(3))


def test_environment_variable_switches_device_checks_on():
    code = "import jax.numpy as jnp, ttsim\ntry:\n    ttsim.coverage(jnp.asarray([2.0]), 1)\nexcept ValueError as e:\n    print('raised', e)\n"
    env = dict(os.environ, TTSIM_CHECK_DEVICE_ARRAYS="1", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert "raised coverage: p must lie" in out.stdout, out.stderr
