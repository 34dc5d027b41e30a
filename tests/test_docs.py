"""Every code block of every page under docs/ runs as written (see tests/docs_runner.py for what each language means)."""

import pytest
from docs_runner import REPO, documents, run_document

PAGES = [p for p in documents() if p.parent.name == "docs"]


def test_every_page_is_collected():
    assert len(PAGES) == len(list((REPO / "docs").glob("*.md"))) >= 1


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_runs_as_written(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    failures = run_document(page, tmp_path)
    assert not failures, f"{len(failures)} block(s) of docs/{page.name} fail:\n\n" + "\n\n".join(failures)
