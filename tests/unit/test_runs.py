"""The run ledger (marts.study_runs) and mart content hashes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from rwe_cohorts.core import ledger
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, connect

CONTRACT = load_contracts(CONTRACTS_ROOT, "marts")[ledger.LEDGER]


def _start(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    return ledger.start_run(
        con,
        CONTRACT,
        ledger.RunStart(
            run_id=run_id,
            data_cut_id="2021-03-31",
            study_id="ntrk",
            spec_hash="abc",
            spec_json="{}",
            code_version="deadbeef",
            package_versions={"duckdb": "1"},
            launched_by="rwe run",
        ),
    )


def test_ledger_lifecycle_and_interrupted_runs(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    assert _start(con, "run-1") == 0
    # run-1 never finishes (killed); the next run marks it interrupted
    assert _start(con, "run-2") == 1
    ledger.record_inputs(
        con,
        "run-2",
        data_cut_date=dt.date(2021, 3, 31),
        delivery_folder="cut",
        manifest_sha256="m",
        checksums={"visits": "s1"},
    )
    ledger.finish_run(con, "run-2", "failed", failed_steps=["b", "a"], is_published=False)
    rows = con.execute(
        "select run_id, status, failed_steps, input_checksums from marts.study_runs order by 1"
    ).fetchall()
    assert rows[0][:2] == ("run-1", "interrupted")
    assert rows[1][:3] == ("run-2", "failed", "a, b")
    assert json.loads(rows[1][3]) == {"visits": "s1"}
    cols = [
        c
        for (c, _) in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'study_runs' order by ordinal_position"
        ).fetchall()
    ]
    assert cols == list(CONTRACT.column_names)


def _mart(con: duckdb.DuckDBPyConnection, threads: int, order: str) -> str:
    con.execute(f"set threads = {threads}")
    con.execute(
        "create or replace table marts.summary as select g, sum(x) as total, avg(x) as mean, count(*) as n "
        f"from (select i % 7 as g, sqrt(i) * 1e-3 as x from range(2000000) t(i) order by {order}) group by g"
    )
    return ledger.content_hash(con, "marts.summary")


def test_content_hash_ignores_row_order_and_thread_count(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    a = _mart(con, 1, "i")
    b = _mart(con, 4, "random()")
    c = _mart(con, 2, "i desc")
    assert a == b == c
    con.execute("update marts.summary set n = n + 1 where g = 3")
    assert ledger.content_hash(con, "marts.summary") != a
    assert set(ledger.mart_hashes(con, ["marts.summary", ledger.LEDGER])) == {"marts.summary"}
