"""Every argument of every public function reachable from ``ttsim`` uses a name from docs/glossary.md.

The glossary file is the one source: names are the backticked words at the start of its
list items. Names used by areas still being renamed are listed in ``PENDING`` (each with
the module that uses it) so that they can be closed one by one; the set must only shrink.
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from pathlib import Path

import ttsim

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"

# Argument names outside the glossary in areas not yet renamed (module: names). Close an
# entry by renaming the argument (old keyword kept with a DeprecationWarning) or by adding
# the name to docs/glossary.md with its one meaning.
PENDING = {
    # The deprecated Options/make_options adapters keep the argument names of the API they preserve.
    "ttsim._src.legacy_options": {"index", "split_max_v", "v", "vote_max_k", "vote_table"},
}


def glossary_names() -> set[str]:
    text = GLOSSARY.read_text(encoding="utf-8")
    return set(re.findall(r"^- `(\w+)`", text, flags=re.MULTILINE))


def public_functions():
    """(qualified name, callable) for every public function and ProblemSet method reachable from ttsim."""
    objs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ttsim._public_names():
            objs[f"ttsim.{name}"] = ttsim._lookup(name)
        for ns in ttsim._SUBMODULES:
            try:
                mod = importlib.import_module(f"ttsim.{ns}")
            except ImportError:
                continue
            for name in getattr(mod, "__all__", ()):
                objs[f"ttsim.{ns}.{name}"] = getattr(mod, name)
    out = []
    for qual, obj in objs.items():
        if inspect.isclass(obj):
            if obj is ttsim.ProblemSet:
                out += [(f"{qual}.{m}", getattr(obj, m)) for m in ("expect", "mean", "sample", "resample")]
            continue
        if callable(obj):
            out.append((qual, obj))
    return out


def _violations():
    allowed = glossary_names()
    bad = {}
    for qual, fn in public_functions():
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            continue
        module = getattr(fn, "__module__", "") or ""
        for p in sig.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self" or p.name in allowed:
                continue
            bad.setdefault(module, {}).setdefault(p.name, set()).add(qual)
    return bad


def test_glossary_lists_each_name_once():
    text = GLOSSARY.read_text(encoding="utf-8")
    names = re.findall(r"^- `(\w+)`", text, flags=re.MULTILINE)
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"docs/glossary.md lists these names more than once: {dupes}"
    assert {"p", "k", "n", "c", "t", "m", "key", "budget", "wrong_mode_share", "verify_cost"} <= set(names)


def test_public_argument_names_are_in_the_glossary():
    bad = _violations()
    unexpected = {
        (module, name): sorted(quals)
        for module, names in bad.items()
        for name, quals in names.items()
        if name not in PENDING.get(module, ())
    }
    assert not unexpected, (
        "argument names not in docs/glossary.md (rename them, keeping the old keyword with a "
        f"DeprecationWarning, or add the name to the glossary): {unexpected}"
    )


def test_pending_only_lists_real_violations():
    # A PENDING entry that no longer occurs must be removed, so the set only shrinks.
    bad = _violations()
    stale = {(m, n) for m, names in PENDING.items() for n in names if n not in bad.get(m, {})}
    assert not stale, f"remove these fixed names from PENDING: {sorted(stale)}"


def test_renamed_keywords_still_work_with_a_warning():
    import numpy as np
    import pytest

    with pytest.warns(DeprecationWarning, match="verify_cost"):
        old = ttsim.accuracy.verification_budget(4.0, 2.0, lam=0.5)
    np.testing.assert_allclose(old, ttsim.accuracy.verification_budget(4.0, 2.0, 0.5))
    with pytest.warns(DeprecationWarning, match="use k="):
        old = ttsim.best_of_n(0.3, n=4.0, d_prime=1.0)
    np.testing.assert_allclose(old, ttsim.best_of_n(0.3, 4.0, 1.0))
    with pytest.warns(DeprecationWarning, match="ttsim.accuracy.fit_power_law"):
        assert ttsim.fit_power_law is ttsim.accuracy.fit_power_law
