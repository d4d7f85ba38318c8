"""Fixtures for the browser tests: a real study report built by the whole pipeline, and the system Chromium.

The pipeline runs through the ``study_runner`` fixture of ``tests/pipelines/conftest.py`` (the ``rwe`` command in a
subprocess with its own data folder, Dagster instance and spec), imported from there rather than copied: the
project root is on ``sys.path`` (the editable install's ``.pth``), so ``tests`` imports as a namespace package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.report_browser import find_chromium
from tests.pipelines.conftest import study_runner  # noqa: F401  (re-exported fixture)

N_PATIENTS = 20_000
SEED = 7


@pytest.fixture(scope="session")
def study_report_file(tmp_path_factory: pytest.TempPathFactory, study_runner: Callable[..., Path]) -> Path:  # noqa: F811
    """The study report of a whole pipeline run (20,000 generated patients, seed 7) in a temporary folder."""
    root = study_runner(tmp_path_factory.mktemp("browser"), "ntrk_hibar2022.yaml", patients=N_PATIENTS, seed=SEED)
    reports = sorted((root / "data" / "reports").glob("**/study_report.html"))
    assert len(reports) == 1, f"expected one study report under {root / 'data' / 'reports'}, found {reports}"
    return reports[0]


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
