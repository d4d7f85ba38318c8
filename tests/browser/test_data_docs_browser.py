"""The Great Expectations Data Docs QA reviews, opened offline in headless Chromium (every non-file request aborted):
the index lists every validation, and a validation page shows which expectations passed and which failed, with the
icons drawn (the icon font loaded from the site itself). The site is written by the pipeline's own code
(``GXContext.build_data_docs``, which points the pages at the vendored scripts and styles) from a small hand-made
raw database with one planted fault. Without a browser: no page references a resource outside the site, and the
vendored files are the ones ``vendor/data-docs/assets.json`` pins."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from rwe_cohorts.quality import GXContext, validate_relation
from rwe_cohorts.quality.data_docs import VENDOR, external_resources, validation_pages
from tests.browser.report_browser import inspect_page
from tests.unit.quality_raw_db import CONTRACTS, raw_database

INDEX_JS = """() => ({
    rows: jQuery('.ge-index-page-validation-results-table').bootstrapTable('getData').length,
    shown: document.querySelectorAll('.ge-index-page-validation-results-table tbody tr').length,
})"""
PAGE_JS = """() => ({
    passed: document.querySelectorAll('.fa-check-circle').length,
    failed: document.querySelectorAll('.fa-times').length,
    iconFont: Array.from(document.fonts).some(f => f.family.includes('Font Awesome 6 Free') && f.status === 'loaded'),
})"""


@pytest.fixture(scope="module")
def data_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Data Docs site with two validations of run ``run-1`` of cut ``cut-1``: raw.demographics with one planted
    failure (an unknown gender code) and raw.ecog, which passes."""
    root = tmp_path_factory.mktemp("gx")
    con = raw_database()
    con.execute("update raw.demographics set gender = 'X' where patient_id = 'F000000000002'")
    context = GXContext.file(root)
    for relation in ("raw.demographics", "raw.ecog"):
        validate_relation(con, CONTRACTS[relation], run_id="run-1", data_cut_id="cut-1", context=context)
    return context.build_data_docs().parent


def test_no_page_loads_anything_from_outside_the_site(data_docs: Path) -> None:
    pages = list(data_docs.rglob("*.html"))
    assert (
        pages and {str(p.relative_to(data_docs)): external_resources(p) for p in pages if external_resources(p)} == {}
    )


def test_the_vendored_files_are_the_pinned_ones() -> None:
    assets = json.loads((VENDOR / "assets.json").read_text())
    for asset in assets:
        data = (VENDOR / "files" / asset["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == asset["sha256"], asset["file"]
    for folder in (VENDOR / "files").iterdir():
        assert (folder / "LICENSE.txt").is_file(), f"{folder.name} ships without its licence"


def test_the_index_lists_every_validation_offline(data_docs: Path, chromium: str) -> None:
    page = inspect_page(
        data_docs / "index.html",
        element_ids=(),
        screenshot=data_docs.parent / "index.png",
        chromium=chromium,
        evaluate=INDEX_JS,
    )
    assert page.problems == [], f"Chromium {page.browser_version}: {page.problems}"
    on_disk = len(list((data_docs / "validations").rglob("*.html")))
    assert page.evaluated == {"rows": on_disk, "shown": on_disk} and on_disk == 2


def test_a_validation_page_shows_what_passed_and_what_failed(data_docs: Path, chromium: str) -> None:
    (failing,) = validation_pages(data_docs, "raw.demographics", "cut-1", "run-1")
    page = inspect_page(
        failing, element_ids=(), screenshot=data_docs.parent / "validation.png", chromium=chromium, evaluate=PAGE_JS
    )
    assert page.problems == [], f"Chromium {page.browser_version}: {page.problems}"
    result = page.evaluated
    assert isinstance(result, dict) and result["iconFont"], result
    assert result["failed"] >= 1 and result["passed"] >= 1, result
