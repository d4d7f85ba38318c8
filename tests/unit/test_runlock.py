"""The run lock: one holder at a time, waiting runs served first come first served, a killed holder frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rwe_cohorts.core.runlock import RunLockTimeout, run_lock
from rwe_cohorts.core.warehouse import PROJECT_ROOT

HOLDER = """
import sys, time
from pathlib import Path
from rwe_cohorts.core.runlock import run_lock
folder, name, hold, log = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])
with run_lock(folder, name, poll_s=0.05):
    with log.open("a") as fh:
        fh.write(f"start {name} {time.time():.3f}\\n")
    time.sleep(hold)
    with log.open("a") as fh:
        fh.write(f"end {name} {time.time():.3f}\\n")
"""


def _spawn(folder: Path, name: str, hold: float, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), name, str(hold), str(log)], cwd=PROJECT_ROOT)


def _wait_for(path: Path, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_waiting_runs_are_served_in_arrival_order_one_at_a_time(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    first = _spawn(tmp_path, "first", 1.0, log)
    _wait_for(log, "start first")
    second = _spawn(tmp_path, "second", 0.2, log)
    time.sleep(0.5)  # the second ticket is written before the third
    third = _spawn(tmp_path, "third", 0.2, log)
    for p in (first, second, third):
        assert p.wait(timeout=60) == 0
    events = [line.split() for line in log.read_text().splitlines()]
    assert [(e[0], e[1]) for e in events] == [
        ("start", "first"),
        ("end", "first"),
        ("start", "second"),
        ("end", "second"),
        ("start", "third"),
        ("end", "third"),
    ]
    assert not list((tmp_path / "queue").iterdir()), "tickets are removed"


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    holder = _spawn(tmp_path, "doomed", 600.0, log)
    _wait_for(log, "start doomed")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    started = time.monotonic()
    with run_lock(tmp_path, "next", poll_s=0.05, timeout_s=10):
        pass
    assert time.monotonic() - started < 5


def test_timeout_names_whom_it_waited_for(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    holder = _spawn(tmp_path, "slow-run", 5.0, log)
    try:
        _wait_for(log, "start slow-run")
        with pytest.raises(RunLockTimeout, match=r"run\.lock"), run_lock(tmp_path, "impatient", timeout_s=0.5):
            pass
    finally:
        holder.kill()
        holder.wait()
