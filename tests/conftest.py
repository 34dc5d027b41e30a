"""Test configuration: eight fake CPU devices for the sharding tests, hypothesis profile."""

import os

# Must happen before JAX initialises its backends.
_flag = "--xla_force_host_platform_device_count=8"
if _flag not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + _flag).strip()
os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import HealthCheck, settings  # noqa: E402

# CI ("ttsim", the default): derandomised, 50 examples per property (the core numerics get
# at least 50 each). Before a release run the "thorough" profile: random seeds and hundreds
# of examples per property, e.g.  HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_coverage.py
settings.register_profile(
    "ttsim",
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    deadline=None,
    derandomize=False,
    database=None,
    max_examples=500,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ttsim"))
