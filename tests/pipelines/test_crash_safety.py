"""Crash safety: a run killed with SIGKILL in the middle of ingest, data quality, survival or publishing leaves the
warehouse and the analysts' database consistent (the published file is the old one, whole), the killed run is
recorded as interrupted, and the next run completes with marts identical (content hashes) to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from rwe_cohorts.core.warehouse import PROJECT_ROOT

CUT = "2021-03-31"
# (step whose start triggers the kill, seconds to wait before killing)
EVERY_STAGE = (
    ("raw_tables", 0.3),
    ("raw_quality", 3.0),
    ("survival", 0.5),
    ("published__analytics_database", 0.2),
)
# CI kills while publishing (the one step that writes what analysts read); `pytest -m slow` kills at every stage above.
CI_STAGES = (EVERY_STAGE[3],)


def _ledger(path: Path) -> list[tuple[str, str, str | None]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select run_id, status, mart_hashes from marts.study_runs where data_cut_id = ? order by started_at",
            [CUT],
        ).fetchall()
    finally:
        con.close()


def _run_and_kill(env: dict[str, str], step: str, delay: float) -> str:
    """Start ``rwe run``, SIGKILL it ``delay`` seconds after ``step`` starts; return its stderr up to the kill."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--data-cut", CUT],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    seen = []
    marker = f'Started execution of step "{step}"'
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"run ended before {step} was reached:\n" + "".join(seen[-20:])
    return "".join(seen)


def test_a_run_killed_while_publishing_leaves_consistent_state_and_the_next_run_recovers(
    ntrk_run: Path, rwe_env: Callable[[Path], dict[str, str]]
) -> None:
    _kill_then_recover(ntrk_run, rwe_env(ntrk_run), CI_STAGES)


@pytest.mark.slow
def test_runs_killed_at_every_stage_leave_consistent_state_and_the_next_run_recovers(
    ntrk_run: Path, rwe_env: Callable[[Path], dict[str, str]]
) -> None:
    _kill_then_recover(ntrk_run, rwe_env(ntrk_run), EVERY_STAGE)


def _kill_then_recover(ntrk_run: Path, env: dict[str, str], kill_points: tuple[tuple[str, float], ...]) -> None:
    published = ntrk_run / "data" / "analytics.duckdb"
    warehouse = ntrk_run / "data" / "warehouse" / f"{CUT}.duckdb"
    reference = json.loads(_ledger(warehouse)[-1][2] or "{}")
    assert reference, "the uninterrupted run recorded its mart hashes"
    before = published.read_bytes()

    for step, delay in kill_points:
        _run_and_kill(env, step, delay)
        # the published file is the old one, whole, and opens; the warehouse opens (DuckDB replays its WAL)
        assert published.read_bytes() == before, f"published database changed by a run killed in {step}"
        duckdb.connect(str(published), read_only=True).close()
        _ledger(warehouse)

    final = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--data-cut", CUT],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert final.returncode == 0, final.stderr[-3000:]
    ledger = _ledger(warehouse)
    statuses = [status for _, status, _ in ledger[-(len(kill_points) + 1) :]]
    assert statuses == ["interrupted"] * len(kill_points) + ["succeeded"]
    assert json.loads(ledger[-1][2] or "{}") == reference, "marts differ from the uninterrupted run"
    assert not list(published.parent.glob(".analytics.duckdb.*")), "no temporary files left behind"
