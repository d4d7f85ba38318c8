"""Withdraw a data cut from the analysts' database: every row of the cut goes, except its ledger history, and a
ledger row records the removal (``status = 'removed'``), all in one atomic replace (as publishing does). The
``latest`` views are rebuilt, so they move to the newest publication still standing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from rwe_cohorts.core.ledger import LEDGER, record_removal
from rwe_cohorts.publish.atomic import replaced_atomically
from rwe_cohorts.publish.database import PUBLISHED_SCHEMAS, catalog_name, latest_views, tables_in


@dataclass(frozen=True)
class Withdrawal:
    rows: dict[str, int]  # rows of the cut per published table (the ledger excluded)
    ledger_row: str | None  # the removal's ledger row id (None on a dry run or without an analysts' database)


def published_rows(target: Path, data_cut_id: str) -> dict[str, int]:
    """Rows of ``data_cut_id`` per table of the analysts' database (the ledger excluded); empty if there is none."""
    if not Path(target).exists():
        return {}
    con = duckdb.connect(str(target), read_only=True)
    try:
        return _cut_rows(con, data_cut_id)
    finally:
        con.close()


def _cut_rows(con: duckdb.DuckDBPyConnection, data_cut_id: str) -> dict[str, int]:
    out = {}
    for relation in tables_in(con, catalog_name(con), PUBLISHED_SCHEMAS):
        if relation == LEDGER:
            continue
        row = con.execute(f"select count(*) from {relation} where data_cut_id = ?", [data_cut_id]).fetchone()
        if row and row[0]:
            out[relation] = int(row[0])
    return out


def withdraw_cut(target: Path, data_cut_id: str, *, code_version: str, launched_by: str) -> Withdrawal:
    """Remove ``data_cut_id`` from the analysts' database at ``target`` and record the removal in its ledger."""
    target = Path(target)
    if not target.exists():
        return Withdrawal({}, None)
    with replaced_atomically(target) as tmp:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("begin transaction")
            rows = _cut_rows(con, data_cut_id)
            for relation in rows:
                con.execute(f"delete from {relation} where data_cut_id = ?", [data_cut_id])
            tables = tables_in(con, catalog_name(con), PUBLISHED_SCHEMAS)
            row_id = record_removal(con, data_cut_id, code_version=code_version, launched_by=launched_by)
            if LEDGER in tables:
                latest_views(con, tables)
            con.execute("commit")
            con.execute("checkpoint")
        finally:
            con.close()
    return Withdrawal(rows, row_id)
