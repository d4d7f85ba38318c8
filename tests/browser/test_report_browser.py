"""The study report of a real pipeline run, opened in headless Chromium with the network cut off: no console or page
errors, no failed or non-local requests, every image decoded, the KM plot, the at-risk table and the forest plot (and
the other parts) visible; a full-page screenshot is written beside the report. Also, without a browser: the HTML
references no resource outside itself."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser.report_browser import external_references, find_chromium, inspect_page

REQUIRED_IDS = ("km-plot", "at-risk-table", "forest-plot")
OTHER_IDS = (
    "study-spec",
    "published-comparison",
    "attrition-flow",
    "table-one",
    "ps-overlap-plot",
    "love-plot",
    "survival-summary",
    "landmarks",
    "hazard-ratio-table",
    "diagnostics-table",
    "data-quality",
    "provenance",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_report_references_no_external_resources(study_report_file: Path) -> None:
    html = study_report_file.read_text()
    assert external_references(html) == []
    assert "<script" not in html.lower()


def test_report_renders_offline_in_chromium(study_report_file: Path, chromium: str) -> None:
    screenshot = study_report_file.parent / "report_screenshot.png"
    start = time.perf_counter()
    page = inspect_page(
        study_report_file, element_ids=REQUIRED_IDS + OTHER_IDS, screenshot=screenshot, chromium=chromium
    )
    elapsed = time.perf_counter() - start
    assert page.problems == [], f"Chromium {page.browser_version}: {page.problems}"
    hidden = [i for i in REQUIRED_IDS + OTHER_IDS if not page.visible.get(i)]
    assert hidden == [], f"not present or not visible: {hidden}"
    assert screenshot.read_bytes()[:8] == PNG_SIGNATURE and screenshot.stat().st_size > 50_000
    assert elapsed < 120, f"opening the report took {elapsed:.0f} s"


def test_chromium_is_found_through_rwe_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("RWE_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)


def test_data_docs_link_resolves_beside_the_report(study_report_file: Path) -> None:
    match = re.search(r"id='data-docs-link' href='([^']+)'", study_report_file.read_text())
    assert match, "the data-quality section links the Great Expectations Data Docs"
    assert (study_report_file.parent / match.group(1)).resolve().is_file()
