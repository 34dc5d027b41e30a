"""Model and hardware registries: the shipped TOML files plus optional user files (the only I/O).

``ttsim/data/models.toml`` and ``ttsim/data/hardware.toml`` hold one table per entry, keyed by
a lower-case name (see the comments at the top of each file for the fields). A user file with
the same layout adds entries or overrides shipped ones by name.

Reading and checking the tables is jax-free (``ttsim models`` / ``ttsim hardware`` list them
without importing jax); only :func:`load_models` / :func:`load_hardware` build the array records.
"""

from __future__ import annotations

import difflib
import math
import sys
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_MODEL_REQUIRED = ("params", "num_layers", "num_heads", "num_kv_heads", "head_dim", "source")
_MODEL_OPTIONAL = {
    "active_params": None,
    "hidden_size": math.nan,
    "vocab_size": math.nan,
    "num_experts": 1.0,
    "experts_per_token": 1.0,
}
_MODEL_TEXT = ("display_name", "source", "note")
_HARDWARE_REQUIRED = ("peak_flops", "memory_bandwidth", "memory_capacity", "source")
_HARDWARE_OPTIONAL = ("price_per_hour", "interconnect_bandwidth", "tdp_watts", "idle_watts")
_HARDWARE_TEXT = (
    "display_name", "source", "price_source", "interconnect", "interconnect_source", "power_source",
    "precision", "note",
)


def read_toml(path, label: str) -> dict:
    """Read a TOML file; errors name ``label`` and the path (the one TOML reader of ttsim).

    A missing file raises FileNotFoundError; a directory, an unreadable file, text that is not
    UTF-8 and invalid TOML raise ValueError. Every message is one line naming the file.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"{label}: no such file: {path}") from None
    except IsADirectoryError:
        raise ValueError(f"{label}: {path} is a directory, not a TOML file") from None
    except OSError as err:
        raise ValueError(f"{label}: cannot read {path}: {err.strerror or err}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{label}: {path} is not UTF-8 text (byte {err.start}); TOML files must be UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{label}: {path}: invalid TOML: {err}") from None


def _shipped(name: str) -> Path:
    return Path(str(resources.files("ttsim.data") / name))


def _number(path, key: str, field: str, value, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{path}: [{key}] {field} must be a number; got {value!r}")
    value = float(value)
    if not math.isfinite(value) or (value <= 0 if positive else value < 0):
        raise ValueError(f"{path}: [{key}] {field} must be {'> 0' if positive else '>= 0'}; got {value!r}")
    return value


def _entries(path, label: str, required, known) -> dict[str, dict]:
    data = read_toml(path, label)
    out = {}
    for key, entry in data.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: top-level key {key!r} must be a table ([{key}])")
        missing = [f for f in required if f not in entry]
        if missing:
            raise ValueError(f"{path}: [{key}] is missing {', '.join(missing)}")
        unknown = sorted(set(entry) - set(known) - {"_file"})
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{path}: [{key}] has unknown field {unknown[0]!r}{hint}")
        out[key.lower()] = {**entry, "_file": str(path)}
    return out


def _model_numbers(path, key: str, entry: dict) -> dict[str, float]:
    nums = {}
    for f in ("params", "num_layers", "num_heads", "num_kv_heads", "head_dim"):
        nums[f] = _number(path, key, f, entry[f])
    active = entry.get("active_params")
    nums["active_params"] = nums["params"] if active is None else _number(path, key, "active_params", active)
    if nums["active_params"] > nums["params"]:
        raise ValueError(f"{path}: [{key}] active_params must be <= params")
    for f in ("hidden_size", "vocab_size", "num_experts", "experts_per_token"):
        nums[f] = _number(path, key, f, entry[f]) if f in entry else _MODEL_OPTIONAL[f]
    if nums["experts_per_token"] > nums["num_experts"]:
        raise ValueError(f"{path}: [{key}] experts_per_token must be <= num_experts")
    if nums["num_experts"] > nums["experts_per_token"] and nums["active_params"] == nums["params"]:
        raise ValueError(f"{path}: [{key}] an MoE entry (num_experts > experts_per_token) needs active_params < params")
    return nums


def _hardware_numbers(path, key: str, entry: dict) -> dict[str, float]:
    nums = {f: _number(path, key, f, entry[f]) for f in ("peak_flops", "memory_bandwidth", "memory_capacity")}
    price = entry.get("price_per_hour")
    nums["price_per_hour"] = math.nan if price is None else _number(path, key, "price_per_hour", price, positive=False)
    for f in ("interconnect_bandwidth", "tdp_watts", "idle_watts"):
        nums[f] = _number(path, key, f, entry[f]) if f in entry else math.nan
    if nums["idle_watts"] > nums["tdp_watts"]:  # False when either is NaN
        raise ValueError(f"{path}: [{key}] idle_watts must be <= tdp_watts")
    return nums


def _model_from_entry(path, key: str, entry: dict):
    import numpy as np

    from ttsim._src.specs import _MODEL_FIELDS, ModelConfig

    arrays = {f: np.asarray(entry[f], np.float64) for f in _MODEL_FIELDS}  # checked by model_entries
    return ModelConfig(**arrays, name=key, source=str(entry["source"]))


def _hardware_from_entry(path, key: str, entry: dict):
    import numpy as np

    from ttsim._src.specs import _HARDWARE_FIELDS, Hardware

    arrays = {f: np.asarray(entry[f], np.float64) for f in _HARDWARE_FIELDS}  # checked by hardware_entries
    return Hardware(
        **arrays, name=key, precision=str(entry.get("precision", "bf16")), source=str(entry["source"])
    )


def _model_known():
    return _MODEL_REQUIRED + tuple(_MODEL_OPTIONAL) + _MODEL_TEXT


def _hardware_known():
    return _HARDWARE_REQUIRED + _HARDWARE_OPTIONAL + _HARDWARE_TEXT


def model_entries(path=None) -> dict[str, dict]:
    """The registry tables (shipped, then ``path`` overriding by name), checked, without jax.

    Each entry holds its TOML fields, the checked numbers (``active_params`` and the optional
    fields filled in) and ``_file`` (where it came from).
    """
    out = _entries(_shipped("models.toml"), "models registry", _MODEL_REQUIRED, _model_known())
    if path is not None:
        out.update(_entries(path, "models file", _MODEL_REQUIRED, _model_known()))
    return {k: {**e, **_model_numbers(e["_file"], k, e)} for k, e in out.items()}


def hardware_entries(path=None) -> dict[str, dict]:
    """The hardware tables (shipped, then ``path`` overriding by name), checked, without jax.

    Numbers absent from the file (price, interconnect, power) are NaN.
    """
    out = _entries(_shipped("hardware.toml"), "hardware registry", _HARDWARE_REQUIRED, _hardware_known())
    if path is not None:
        out.update(_entries(path, "hardware file", _HARDWARE_REQUIRED, _hardware_known()))
    return {k: {**e, **_hardware_numbers(e["_file"], k, e)} for k, e in out.items()}


def load_models(path=None) -> dict:
    """Load the model registry: the shipped ``models.toml`` merged with an optional user file.

    Each TOML table ``[name]`` gives ``params``, ``num_layers``, ``num_heads``,
    ``num_kv_heads``, ``head_dim`` and ``source`` (required), and optionally
    ``active_params`` (MoE), ``hidden_size``, ``vocab_size``, ``num_experts``,
    ``experts_per_token``, ``display_name``, ``note``. Entries in ``path`` override shipped
    entries of the same (case-insensitive) name.

    Args:
      path: optional user TOML file (``ttsim ... --models-file FILE``).

    Returns:
      ``{name: ModelConfig}`` in file order.

    Raises:
      FileNotFoundError / ValueError naming the file, the entry and the field.
    """
    return {k: _model_from_entry(e["_file"], k, e) for k, e in model_entries(path).items()}


def load_hardware(path=None) -> dict:
    """Load the hardware registry: the shipped ``hardware.toml`` merged with an optional user file.

    Each TOML table ``[name]`` gives ``peak_flops`` (dense, FLOP/s), ``memory_bandwidth``
    (bytes/s), ``memory_capacity`` (bytes) and ``source`` (required), and optionally
    ``price_per_hour`` (USD per chip-hour; NaN when absent), ``price_source``, ``precision``,
    ``interconnect_bandwidth`` (bytes/s, bidirectional per chip), ``interconnect``,
    ``interconnect_source``, ``tdp_watts``, ``idle_watts``, ``power_source`` (numbers NaN when
    absent), ``display_name``, ``note``. The arithmetic intensity is derived
    (:attr:`Hardware.arithmetic_intensity`).

    Args:
      path: optional user TOML file (``ttsim ... --hardware-file FILE``).

    Returns:
      ``{name: Hardware}`` in file order.
    """
    return {k: _hardware_from_entry(e["_file"], k, e) for k, e in hardware_entries(path).items()}


def _lookup(registry: dict, name: str, kind: str):
    key = str(name).lower()
    if key in registry:
        return registry[key]
    contains = [k for k in registry if k.startswith(key) or key in k]
    close = list(dict.fromkeys(contains + difflib.get_close_matches(key, list(registry), n=4, cutoff=0.5)))[:4]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown {kind} {name!r}{hint} (known: {', '.join(registry)})")


def get_model(name: str, *, models_file=None):
    """The registered :class:`ModelConfig` called ``name`` (case-insensitive).

    Args:
      name: registry key, e.g. ``"qwen3-8b"`` (see ``ttsim models``).
      models_file: optional user TOML merged over the shipped registry.

    Raises:
      ValueError: unknown name; the message lists the close matches.
    """
    return _lookup(load_models(models_file), name, "model")


def get_hardware(name: str, *, hardware_file=None):
    """The registered :class:`Hardware` profile called ``name`` (case-insensitive).

    Args:
      name: registry key, e.g. ``"h100-sxm"`` (see ``ttsim hardware``).
      hardware_file: optional user TOML merged over the shipped registry.

    Raises:
      ValueError: unknown name; the message lists the close matches.
    """
    return _lookup(load_hardware(hardware_file), name, "hardware")
