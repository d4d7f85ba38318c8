"""Row-count drift between deliveries (plausibility): a relation that shrinks or grows too much is suspicious.

Each delivery's row counts (from ``raw.load_log``) are kept in ``qa.delivery_row_counts``, one row per data cut and
relation; the raw quality check compares the delivery being checked with the latest earlier data cut recorded there.
Each data cut has its own warehouse, so the earlier cuts' counts are first imported from the analysts' database
(``import_baseline``): the baseline is the latest earlier cut that was published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import duckdb

from rwe_cohorts.core.contracts import Contract, Severity
from rwe_cohorts.quality.outcomes import ExpectationOutcome
from rwe_cohorts.quality.store import ensure_table

RULE = "row_count_drift"
ROW_COUNTS = "qa.delivery_row_counts"
DEFAULT_MAX_REL_CHANGE = 0.5


def row_count_drift(
    current: Mapping[str, int],
    previous: Mapping[str, int] | None,
    max_rel_change: float = DEFAULT_MAX_REL_CHANGE,
    *,
    severity: Severity = "warn",
) -> list[ExpectationOutcome]:
    """Compare row counts per relation with the previous cut; one outcome per relation, sorted by relation.

    Relative change = ``|current - previous| / previous`` (a relation new in this cut passes; one that vanished counts
    as 0 rows, a change of 100%). A check passes when the change is at most ``max_rel_change``; the change is reported
    as ``observed_value``. Without a previous cut there is no baseline and the result is empty.

    >>> [o.passed for o in row_count_drift({"raw.visits": 100}, {"raw.visits": 40})]
    [False]
    """
    if previous is None:
        return []
    out: list[ExpectationOutcome] = []
    for relation in sorted(set(current) | set(previous)):
        now = int(current.get(relation, 0))
        before = previous.get(relation)
        change = 0.0 if before is None else (abs(now - before) / before if before else (0.0 if now == 0 else 1.0))
        passed = change <= max_rel_change
        out.append(
            ExpectationOutcome(
                relation=relation,
                rule=RULE,
                expectation_type="row_count_relative_change",
                column=None,
                tag="plausibility",
                severity=severity,
                passed=passed,
                element_count=1,
                unexpected_count=0 if passed else 1,
                unexpected_share=0.0 if passed else 1.0,
                max_share=0.0,
                max_count=None,
                observed_value=change,
            )
        )
    return out


def loaded_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per raw relation of the delivery currently landed, from ``raw.load_log`` (``raw.<table>`` -> rows)."""
    rows = con.execute("select table_name, row_count from raw.load_log order by table_name").fetchall()
    return {f"raw.{table}": int(n) for table, n in rows}


def previous_row_counts(
    con: duckdb.DuckDBPyConnection, contract: Contract, *, data_cut_id: str, data_cut_date: dt.date
) -> dict[str, int] | None:
    """Row counts of the latest data cut recorded before ``data_cut_date`` (another cut id), or None if there is none.

    ``contract`` is the one of ``qa.delivery_row_counts`` (the table is created from it when absent).
    """
    ensure_table(con, contract)
    row = con.execute(
        f"select data_cut_id from {contract.relation} where data_cut_id <> ? and data_cut_date <= ? "
        "group by data_cut_id order by max(data_cut_date) desc, max(recorded_at) desc limit 1",
        [data_cut_id, data_cut_date],
    ).fetchone()
    if row is None:
        return None
    rows = con.execute(f"select relation, row_count from {contract.relation} where data_cut_id = ?", [row[0]])
    return {str(relation): int(n) for relation, n in rows.fetchall()}


def record_row_counts(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    counts: Mapping[str, int],
    *,
    data_cut_id: str,
    data_cut_date: dt.date,
    run_id: str,
    recorded_at: dt.datetime | None = None,
) -> None:
    """Store this data cut's row counts in ``qa.delivery_row_counts``, replacing earlier rows of the same cut."""
    when = (recorded_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
    ensure_table(con, contract)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {contract.relation} where data_cut_id = ?", [data_cut_id])
        con.executemany(
            f"insert into {contract.relation} values (?, ?, ?, ?, ?, ?)",
            [(data_cut_id, data_cut_date, rel, int(n), run_id, when) for rel, n in sorted(counts.items())],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def delivery_drift(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    *,
    data_cut_id: str,
    data_cut_date: dt.date,
    run_id: str,
    max_rel_change: float = DEFAULT_MAX_REL_CHANGE,
    severity: Severity = "warn",
) -> list[ExpectationOutcome]:
    """Drift of the landed delivery versus the previous data cut, then record its counts as the next baseline.

    The first delivery has no baseline and returns no outcome. Checking the same cut again compares it with the cut
    before it, not with itself.
    """
    current = loaded_row_counts(con)
    previous = previous_row_counts(con, contract, data_cut_id=data_cut_id, data_cut_date=data_cut_date)
    outcomes = row_count_drift(current, previous, max_rel_change, severity=severity)
    record_row_counts(con, contract, current, data_cut_id=data_cut_id, data_cut_date=data_cut_date, run_id=run_id)
    return outcomes


def import_baseline(con: duckdb.DuckDBPyConnection, contract: Contract, published: Path, *, data_cut_id: str) -> int:
    """Copy the other data cuts' row counts from the analysts' database into this warehouse's
    ``qa.delivery_row_counts`` (each data cut has its own warehouse, so the previous cut's counts live in the published
    file). Rows already present are replaced; returns the rows imported (0 without a published database)."""
    ensure_table(con, contract)
    if not Path(published).exists():
        return 0
    con.execute("attach ? as published_baseline (read_only)", [str(published)])
    try:
        present = con.execute(
            "select count(*) from information_schema.tables where table_catalog = 'published_baseline' "
            "and table_schema = 'qa' and table_name = 'delivery_row_counts'"
        ).fetchone()
        if not present or not present[0]:
            return 0
        names = ", ".join(contract.column_names)
        con.execute("begin transaction")
        try:
            con.execute(f"delete from {contract.relation} where data_cut_id <> ?", [data_cut_id])
            con.execute(
                f"insert into {contract.relation} ({names}) select {names} "
                f"from published_baseline.{contract.relation} where data_cut_id <> ?",
                [data_cut_id],
            )
            con.execute("commit")
        except duckdb.Error:
            con.execute("rollback")
            raise
        row = con.execute(f"select count(*) from {contract.relation} where data_cut_id <> ?", [data_cut_id]).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.execute("detach published_baseline")
