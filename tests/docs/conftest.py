"""Fixtures of the documentation tests: a real published analysts' database for the ready queries.

``ntrk_run`` (the NTRK study run end to end, with its published ``data/analytics.duckdb``) is defined in
``tests/pipelines/conftest.py``, which pytest applies only to tests under ``tests/pipelines``; it is re-exported here
the way ``tests/browser/conftest.py`` re-exports ``study_runner``. As a second registration it is built a second time
when both folders run in one session. Once ``ntrk_run`` moves to ``tests/conftest.py`` (visible everywhere, built
once) the re-export is skipped and this file can go.
"""

from __future__ import annotations

from pathlib import Path

if "def ntrk_run(" not in (Path(__file__).resolve().parents[1] / "conftest.py").read_text():
    from tests.pipelines.conftest import ntrk_run  # noqa: F401  (re-exported fixture)
