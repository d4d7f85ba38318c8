"""Publish the analyst-facing schemas (``marts``, ``qa``) to a separate DuckDB file by atomic replace.

The analysts' database keeps every published data cut side by side: each table has a ``data_cut_id`` column, and
publishing a cut replaces that cut's rows and leaves the other cuts' rows as they were. Schema ``latest`` holds one
view per table restricted to the most recent data cut published (by data cut date, from ``marts.study_runs``).

The new state is built whole in a temporary copy next to the target (same folder, same file system): the previous
file is copied, the cut's rows are replaced, tables and columns are described from the data contracts (DuckDB
``COMMENT ON``), the copy is checkpointed, closed, flushed to disk and moved over the target with ``os.replace``
(atomic on POSIX). A reader that opened the old file keeps seeing the old state; the next reader sees the new one;
nobody sees a half-written database. Patient-level marts are published only when asked (``include_restricted``);
by default the published file holds aggregates and QA results only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.ledger import CURRENT_PUBLICATIONS, LEDGER, PublishedRun, record_published
from rwe_cohorts.core.suppression import DISPLAY_SUFFIX, suppress_frame
from rwe_cohorts.core.warehouse import check_identifier
from rwe_cohorts.publish.atomic import replaced_atomically

PUBLISHED_SCHEMAS = ("marts", "qa")
RESTRICTED = ("marts.analytic_cohort", "marts.propensity_scores", "marts.matched_cohort")


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: tuple[str, ...]
    rows: Mapping[str, int]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, relation: str) -> list[str]:
    schema, table = relation.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns where table_catalog = ? and table_schema = ? "
        "and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def tables_in(con: duckdb.DuckDBPyConnection, catalog: str, schemas: Sequence[str]) -> list[str]:
    found = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = ? and table_type = 'BASE TABLE' and list_contains(?, table_schema) order by 1",
        [catalog, list(schemas)],
    ).fetchall()
    return [t for (t,) in found]


def _describe(con: duckdb.DuckDBPyConnection, relation: str, contract: Contract | None) -> None:
    con.execute(
        f"comment on column {relation}.data_cut_id is "
        f"{_quote('Data cut the row belongs to (every published data cut is kept side by side)')}"
    )
    if contract is None:
        return
    con.execute(f"comment on table {relation} is {_quote(contract.description)}")
    names = set(_columns(con, catalog_name(con), relation))
    for column in contract.columns:
        if column.name in names and column.name != "data_cut_id":
            unit = f" [{column.unit}]" if column.unit else ""
            note = {
                "count": " (small-cell suppressed: NULL when 1 to min_cell-1; see the _display column)",
                "derived": " (NULL when a count it is computed from is suppressed)",
                "withheld": " (withheld from the analysts' database: always NULL)",
            }.get(column.small_cell or "", "")
            con.execute(
                f"comment on column {relation}.{check_identifier(column.name)} is "
                f"{_quote(column.description + unit + note)}"
            )
            display = column.name + DISPLAY_SUFFIX
            if column.small_cell == "count" and display in names:
                con.execute(
                    f"comment on column {relation}.{check_identifier(display)} is "
                    f"{_quote(f'{column.name} as shown to readers: the count, or <min_cell when suppressed')}"
                )


def catalog_name(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("select current_database()").fetchone()
    return str(row[0]) if row else "memory"


def latest_views(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    """Schema ``latest``: one view per table, rows of the most recent published data cut only."""
    con.execute("drop schema if exists latest cascade")
    if LEDGER not in tables:
        return
    names = [t.split(".", 1)[1] for t in tables]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ValueError(f"published tables share a name across schemas: {clash}; latest.<name> would be ambiguous")
    con.execute("create schema latest")
    latest = (
        f"(select data_cut_id from ({CURRENT_PUBLICATIONS}) "
        "order by data_cut_date desc nulls last, finished_at desc limit 1)"
    )
    for relation in tables:
        name = relation.split(".", 1)[1]
        con.execute(f"create view latest.{name} as select * from {relation} where data_cut_id = {latest}")
        con.execute(
            f"comment on view latest.{name} is "
            f"{_quote(f'{relation} of the most recent published data cut (see {LEDGER})')}"
        )


def publish(
    warehouse_path: Path,
    target: Path,
    contracts: Mapping[str, Contract],
    *,
    data_cut_id: str,
    schemas: Sequence[str] = PUBLISHED_SCHEMAS,
    include_restricted: bool = False,
    min_cell: int | None = None,
    run: PublishedRun | None = None,
) -> PublishResult:
    """Replace data cut ``data_cut_id`` in the analysts' database with the warehouse's ``schemas``, atomically.

    Rows of other data cuts are kept. A warehouse table that carries ``data_cut_id`` itself contributes only its rows
    of this cut; any other table gets the column. With ``min_cell``, counts and derived values are suppressed as
    their contracts say (``rwe_cohorts.core.suppression``). With ``run``, the published ledger records that run as
    succeeded and published in the same atomic replace (the warehouse's own ledger is the caller's to update once
    this returns, so a run killed before the replace is found unfinished, never recorded as published). Returns the
    tables and this cut's rows per table.
    """
    target = Path(target)
    rows: dict[str, int] = {}
    with replaced_atomically(target) as tmp:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("attach ? as src (read_only)", [str(warehouse_path)])
            here = catalog_name(con)
            source = [t for t in tables_in(con, "src", schemas) if include_restricted or t not in RESTRICTED]
            existing = set(tables_in(con, here, schemas))
            for schema in schemas:
                con.execute(f"create schema if not exists {check_identifier(schema)}")
            con.execute("begin transaction")
            for relation in source:
                check_identifier(relation)
                if "data_cut_id" in _columns(con, "src", relation):
                    new = f"select * from src.{relation} where data_cut_id = $cut"
                else:
                    new = f"select $cut::varchar as data_cut_id, * from src.{relation}"
                contract = contracts.get(relation)
                if min_cell and contract is not None and any(c.small_cell for c in contract.columns):
                    current = pl.from_arrow(con.execute(new, {"cut": data_cut_id}).to_arrow_table())
                    assert isinstance(current, pl.DataFrame)
                    frame = suppress_frame(current, contract, min_cell)
                    con.register("published_frame", frame.to_arrow())
                    new = "select * from published_frame where data_cut_id = $cut"
                if relation in existing:
                    con.execute(
                        f"create table {relation}__next as select * from {relation} where data_cut_id <> $cut "
                        f"union all by name {new}",
                        {"cut": data_cut_id},
                    )
                    con.execute(f"drop table {relation} cascade")
                    con.execute(f"alter table {relation}__next rename to {relation.split('.', 1)[1]}")
                else:
                    con.execute(f"create table {relation} as {new}", {"cut": data_cut_id})
                con.execute("drop view if exists published_frame")
                count = con.execute(f"select count(*) from {relation} where data_cut_id = ?", [data_cut_id]).fetchone()
                rows[relation] = int(count[0]) if count else 0
                _describe(con, relation, contracts.get(relation))
            for relation in sorted(existing - set(source)):
                con.execute(f"delete from {relation} where data_cut_id = ?", [data_cut_id])
            if run is not None and LEDGER in source:
                record_published(con, run)
            latest_views(con, tables_in(con, here, schemas))
            con.execute("commit")
            con.execute("detach src")
            con.execute("checkpoint")
        finally:
            con.close()
    return PublishResult(path=target, tables=tuple(rows), rows=rows)


def published_cuts(path: Path) -> list[tuple[str, str | None]]:
    """Data cuts in the analysts' database with their date, oldest first (empty if there is none yet)."""
    if not Path(path).exists():
        return []
    con = duckdb.connect(str(path), read_only=True)
    try:
        if LEDGER not in tables_in(con, catalog_name(con), ["marts"]):
            return []
        rows = con.execute(
            f"select data_cut_id, cast(max(data_cut_date) as varchar) from ({CURRENT_PUBLICATIONS}) "
            "group by 1 order by 2 nulls first, 1"
        ).fetchall()
    finally:
        con.close()
    return [(str(c), d) for c, d in rows]
