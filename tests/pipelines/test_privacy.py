"""Privacy: no patient-level row or patient key reaches Dagster's event log (messages and metadata) of a successful
run, the study report or the analysts' database. (A failing check names example keys on purpose, so QA can find the
rows; those messages go to the run that failed, and the published QA copy withholds them.)"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dagster as dg
import duckdb

PATIENT_KEY = re.compile(r"\bF[0-9A-F]{12}\b")


def test_no_patient_key_in_dagster_events_the_report_or_the_published_database(ntrk_run: Path) -> None:
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(ntrk_run / "dagster_home")
    try:
        with dg.DagsterInstance.get() as instance:
            runs = [r for r in instance.get_runs() if r.status == dg.DagsterRunStatus.SUCCESS]
            assert runs
            for run in runs:
                for entry in instance.all_logs(run.run_id):
                    text = f"{entry.user_message} {entry.dagster_event!r}"
                    found = PATIENT_KEY.findall(text)
                    assert not found, f"patient key {found[0]} in run {run.run_id[:8]} event {entry.step_key}"
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous

    for report in (ntrk_run / "data" / "reports").glob("*/study_report.html"):
        assert not PATIENT_KEY.search(report.read_text()), report

    con = duckdb.connect(str(ntrk_run / "data" / "analytics.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from duckdb_columns() where column_name = 'patient_id'").fetchone() == (0,)
        text_columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() where data_type = 'VARCHAR' "
            "and schema_name in ('marts', 'qa')"
        ).fetchall()
        for schema, table, column in text_columns:
            hits = con.execute(
                f"select count(*) from {schema}.{table} where regexp_matches({column}, '\\bF[0-9A-F]{{12}}\\b')"
            ).fetchone()
            assert hits == (0,), f"{schema}.{table}.{column} holds patient keys"
    finally:
        con.close()
