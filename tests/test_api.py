"""The public namespace: a small lazy core, every old name still working, and documented models.

Docstring rule (house style): a public function states its formula (``.. math::`` or
``:math:``) and the paper or source it comes from (a ``References:`` line). Helpers that
are not models (file readers, registries, hypothesis strategies, deprecated aliases) are
exempt when listed in ``NO_FORMULA`` with the reason; other areas still being documented
are in ``PENDING_DOCS`` (the set only shrinks).
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import warnings

import pytest
from test_glossary import public_functions

import ttsim

# Not models: no formula to state. (module prefix, reason)
NO_FORMULA = {
    "ttsim.testing": "property checks and hypothesis strategies for users' tests",
    "ttsim._src.examples": "writes the example files",
    "ttsim._src.logs_read": "file readers (the formats are in docs/estimators.md)",
    "ttsim._src.logs_plot": "figures of estimates",
    "ttsim._src.registry": "look-ups in the model and hardware registries",
    "ttsim._src.specs": "stacking of model and hardware records",
    "ttsim._src.legacy_options": "deprecated adapters onto strategy values",
    "ttsim._src.validation": "the switch for value checks of device arrays",
}
DEPRECATED = {"RefinementPopulation", "refinement_success"}

# Functions of other areas without a formula or a reference yet (module: names).
PENDING_DOCS = {
    "ttsim._src.binning": {"bin_population"},
    "ttsim._src.cost_units": {"cost_spec", "cost_units", "get_cost_unit", "register_cost_unit", "workload_phase_costs"},
    "ttsim._src.laws": {"k_grid", "law_coverage"},
    "ttsim._src.logs_majk": {"default_num_trials"},
    "ttsim._src.logs_passk": {"default_ks", "per_problem_pass_at_k"},
    "ttsim._src.option_grid": {"concat_grids", "describe_grid_option", "feasibility_mask", "option_grid"},
    "ttsim._src.solvers": {"exact_solver", "get_solver", "knapsack_solver", "lagrangian_solver", "register_solver", "solvers",
                           "uniform_solver"},
    "ttsim._src.stopping_logs": {"log_arrays"},
}


def test_core_namespace_is_small_unique_and_resolves():
    assert len(set(ttsim.__all__)) == len(ttsim.__all__)
    assert 25 <= len(ttsim.__all__) <= 40, len(ttsim.__all__)
    missing = [n for n in ttsim.__all__ if not hasattr(ttsim, n)]
    assert not missing, missing


def test_import_is_lazy():
    # `import ttsim` must not import JAX (the CLI's --help starts in < 1 s); a name does.
    code = (
        "import sys, ttsim; assert 'jax' not in sys.modules, 'jax imported'; "
        "ttsim.coverage; assert 'jax' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_old_public_name_still_works():
    # The 163 names of the flat namespace: core names silently, moved ones with a warning
    # that names the new home.
    assert len(ttsim._public_names()) >= 163
    for name in ttsim._public_names():
        if name in ttsim._CORE:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                getattr(ttsim, name)
            continue
        with pytest.warns(DeprecationWarning, match=f"ttsim.{name} is deprecated.*use "):
            obj = getattr(ttsim, name)
        assert obj is ttsim._lookup(name)
    with pytest.raises(AttributeError):
        ttsim.no_such_name  # noqa: B018


def _has_formula(doc: str) -> bool:
    return ".. math::" in doc or ":math:`" in doc


def _has_reference(doc: str) -> bool:
    return re.search(r"^\s*References?:\s*\S", doc, flags=re.MULTILINE) is not None


def test_public_functions_state_a_formula_and_a_reference():
    missing = []
    for qual, fn in public_functions():
        if not inspect.isfunction(fn) or fn.__name__ in DEPRECATED:
            continue
        module = fn.__module__
        if any(module.startswith(prefix) for prefix in NO_FORMULA):
            continue
        if fn.__name__ in PENDING_DOCS.get(module, ()):
            continue
        doc = inspect.getdoc(fn) or ""
        if not (_has_formula(doc) and _has_reference(doc)):
            missing.append(f"{qual} (formula: {_has_formula(doc)}, reference: {_has_reference(doc)})")
    assert not missing, missing


def test_docstring_check_rejects_a_bare_docstring():
    # The checker itself can fail: a long docstring with neither formula nor reference.
    doc = "Compute something useful about populations of problems and return it as an array."
    assert not _has_formula(doc) and not _has_reference(doc)
    assert _has_formula(":math:`x`") and _has_reference("References: Brown et al., 2024.")


def test_pending_docs_only_lists_real_gaps():
    gaps = set()
    for _, fn in public_functions():
        if inspect.isfunction(fn):
            doc = inspect.getdoc(fn) or ""
            if not (_has_formula(doc) and _has_reference(doc)):
                gaps.add((fn.__module__, fn.__name__))
    stale = {(m, n) for m, names in PENDING_DOCS.items() for n in names if (m, n) not in gaps}
    assert not stale, f"remove these documented functions from PENDING_DOCS: {sorted(stale)}"
