"""Persist expectation results: ``qa.expectation_results`` keeps every run; ``qa.qa_summary`` summarises each run.

Re-running the same run id and relations replaces those rows (idempotent); other runs are kept. Each write is one
transaction.
"""

from __future__ import annotations

import duckdb
import polars as pl

from rwe_cohorts.core.contracts import Contract

RESULTS = "qa.expectation_results"
SUMMARY = "qa.qa_summary"


def ensure_table(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create the contract's table (its columns and types, in order) unless it exists."""
    cols = ", ".join(f"{c.name} {c.type}" for c in contract.columns)
    con.execute(f"create table if not exists {contract.relation} ({cols})")


def store_results(
    con: duckdb.DuckDBPyConnection,
    results: pl.DataFrame,
    summary: pl.DataFrame,
    *,
    results_contract: Contract,
    summary_contract: Contract,
) -> None:
    """Append this run's rows, replacing any earlier rows of the same run id and relations."""
    for frame, contract in ((results, results_contract), (summary, summary_contract)):
        missing = [c for c in contract.column_names if c not in frame.columns]
        if missing:
            raise ValueError(f"{contract.relation}: frame lacks columns {missing}")
    con.execute("begin transaction")
    try:
        for frame, contract in ((results, results_contract), (summary, summary_contract)):
            ensure_table(con, contract)
            if frame.is_empty():
                continue
            run_ids = frame["run_id"].unique().to_list()
            relations = frame["relation"].unique().to_list()
            con.execute(
                f"delete from {contract.relation} where list_contains(?, run_id) and list_contains(?, relation)",
                [run_ids, relations],
            )
            arrow = frame.select(contract.column_names).to_arrow()  # noqa: F841  (named in the SQL below)
            casts = ", ".join(f"cast({c.name} as {c.type})" for c in contract.columns)
            con.execute(f"insert into {contract.relation} select {casts} from arrow")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def run_totals(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[int, int, int]:
    """Checks evaluated in run ``run_id`` and how many failed at error and at warn severity (from ``qa.qa_summary``;
    zeros when the run stored none)."""
    row = con.execute(
        "select coalesce(sum(n_checks), 0), coalesce(sum(n_failed) filter (where severity = 'error'), 0), "
        f"coalesce(sum(n_failed) filter (where severity = 'warn'), 0) from {SUMMARY} where run_id = ?",
        [run_id],
    ).fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
