"""The public namespace: every exported name exists, is unique and documented."""

import inspect

import ttsim


def test_all_names_exist_and_are_unique():
    assert len(set(ttsim.__all__)) == len(ttsim.__all__)
    missing = [n for n in ttsim.__all__ if not hasattr(ttsim, n)]
    assert not missing, missing


def test_public_functions_have_docstrings_with_a_formula_or_source():
    undocumented = []
    for name in ttsim.__all__:
        obj = getattr(ttsim, name)
        if inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            if len(doc) < 40:
                undocumented.append(name)
    assert not undocumented, undocumented
