"""Fixtures for the browser tests: a real study report built by the whole pipeline, and the system Chromium.

The report is the one of the shared end-to-end run (``ntrk_run`` in ``tests/conftest.py``: the ``rwe`` command in a
subprocess with its own data folder, Dagster instance and spec), so the suite builds the pipeline once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.report_browser import find_chromium


@pytest.fixture(scope="session")
def study_report_file(ntrk_run: Path) -> Path:
    """The study report of the default data cut of the shared end-to-end run (20,000 generated patients, seed 7)."""
    report = ntrk_run / "data" / "reports" / "2021-03-31" / "study_report.html"
    assert report.exists(), f"no study report at {report}"
    return report


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; the browser tests skip (with the reason) only when none is installed."""
    path = find_chromium()
    if path is None:
        pytest.skip(
            "no Chromium binary: set RWE_CHROMIUM or install it with .ci/install-browser "
            "(apt-get install chromium); CI installs it, so this test runs there"
        )
    return path
