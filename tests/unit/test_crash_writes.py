"""Writes are transactional under SIGKILL: a table is replaced whole or not at all, and the analysts' database is
the old file or the new one, never a mix. A writer process is killed at random moments while it rewrites; after
each kill the files open and hold exactly one complete version."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from rwe_cohorts.core.warehouse import PROJECT_ROOT

N_ROWS = 300_000

REPLACER = f"""
import sys
import polars as pl
from rwe_cohorts.core.warehouse import connect, replace_table
con = connect(sys.argv[1])
version = 0
while True:
    version += 1
    frame = pl.DataFrame({{"row": range({N_ROWS}), "version": [version] * {N_ROWS}}})
    replace_table(con, "marts.versions", frame)
"""

PUBLISHER = """
import sys
from pathlib import Path
from rwe_cohorts.publish.database import publish
from rwe_cohorts.core.warehouse import connect
warehouse, target = Path(sys.argv[1]), Path(sys.argv[2])
version = 0
while True:
    version += 1
    con = connect(warehouse)
    sql = "create or replace table marts.versions as select range as row, ? as version from range(50000)"
    con.execute(sql, [version])
    con.close()
    publish(warehouse, target, {}, data_cut_id="c1")
"""


def _kill_at_random(code: str, *args: str, after: float) -> None:
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=PROJECT_ROOT)
    time.sleep(after)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_replaced_table_is_whole_after_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    rng = random.Random(7)
    seen = set()
    for _ in range(3):
        _kill_at_random(REPLACER, str(db), after=2.0 + rng.random() * 2.0)
        con = duckdb.connect(str(db))  # replays the WAL if the kill came after a commit
        try:
            exists = con.execute("select count(*) from duckdb_tables() where table_name = 'versions'").fetchone()
            if exists and exists[0]:
                rows, versions = con.execute("select count(*), count(distinct version) from marts.versions").fetchone()
                assert (rows, versions) == (N_ROWS, 1)
                seen.add(con.execute("select any_value(version) from marts.versions").fetchone()[0])
        finally:
            con.close()
    assert seen, "at least one replacement committed before a kill"


def test_published_database_is_old_or_new_never_a_mix_after_sigkill(tmp_path: Path) -> None:
    warehouse, target = tmp_path / "w.duckdb", tmp_path / "analytics.duckdb"
    rng = random.Random(11)
    for _ in range(3):
        _kill_at_random(PUBLISHER, str(warehouse), str(target), after=2.0 + rng.random() * 2.0)
        if not target.exists():
            continue
        con = duckdb.connect(str(target), read_only=True)
        try:
            rows, versions = con.execute("select count(*), count(distinct version) from marts.versions").fetchone()
            assert (rows, versions) == (50_000, 1)
        finally:
            con.close()
    assert target.exists()
