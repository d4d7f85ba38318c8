"""The cohort stage's invariant checks on hand-made analytic cohorts: a sound cohort passes; duplicates, negative
entries and exits not after entry are counted; an empty arm is named by its label in plain words."""

from __future__ import annotations

import duckdb
import pytest

from rwe_cohorts.cohort.checks import analytic_cohort_invariants


def _cohort(rows: list[tuple[str, str, int, int]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("create schema marts")
    con.execute("create schema intermediate")
    con.execute(
        "create table marts.analytic_cohort (patient_id varchar, arm varchar, entry_days integer, exit_days integer, "
        "is_event boolean, is_death_date_reconciled boolean)"
    )
    con.execute(
        "create table intermediate.patient_outcomes (patient_id varchar, is_death_month_before_activity boolean)"
    )
    con.executemany("insert into marts.analytic_cohort values (?, ?, ?, ?, false, false)", rows)
    con.execute("insert into intermediate.patient_outcomes select patient_id, false from marts.analytic_cohort")
    return con


def test_a_sound_cohort_has_no_problems() -> None:
    con = _cohort([("a", "NTRK+", 0, 10), ("b", "NTRK-", 5, 20), ("c", "NTRK-", 0, 1)])
    found = analytic_cohort_invariants(con, exposed="NTRK+", comparator="NTRK-")
    assert found.problems == [] and found.patients_per_arm == {"NTRK+": 1, "NTRK-": 2}


def test_broken_rows_are_counted() -> None:
    con = _cohort([("a", "NTRK+", -1, 10), ("a", "NTRK+", 0, 10), ("b", "NTRK-", 20, 20)])
    found = analytic_cohort_invariants(con, exposed="NTRK+", comparator="NTRK-")
    assert found.problems == ["1 duplicate patients", "1 negative entries", "1 exit <= entry"]


@pytest.mark.parametrize(
    ("present", "missing", "role"), [("NTRK-", "NTRK+", "exposed"), ("NTRK+", "NTRK-", "comparator")]
)
def test_an_empty_arm_is_named_in_plain_words(present: str, missing: str, role: str) -> None:
    con = _cohort([("a", present, 0, 10), ("b", present, 0, 12)])
    found = analytic_cohort_invariants(con, exposed="NTRK+", comparator="NTRK-")
    assert found.problems == [
        f"no {missing} patient ({role} arm) is among the 2 eligible patients: the study compares two arms, so it "
        "cannot go on with this delivery"
    ]
