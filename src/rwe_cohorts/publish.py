"""Publish the analyst-facing schemas (``marts``, ``qa``) to a separate DuckDB file by atomic replace.

The published database is built whole in a temporary file next to the target (same folder, same file system), its
tables and columns described from the data contracts (DuckDB ``COMMENT ON``), checkpointed, closed and then moved
over the target with ``os.replace`` (atomic on POSIX). A reader that opened the old file keeps seeing the old state;
the next reader sees the new one; nobody sees a half-written database. Patient-level marts are published only when
asked (``include_restricted``); by default the published file holds aggregates and QA results only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rwe_cohorts.contracts import Contract
from rwe_cohorts.warehouse import check_identifier

PUBLISHED_SCHEMAS = ("marts", "qa")
RESTRICTED = ("marts.analytic_cohort", "marts.propensity_scores", "marts.matched_cohort")


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: tuple[str, ...]
    rows: Mapping[str, int]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish(
    warehouse_path: Path,
    target: Path,
    contracts: Mapping[str, Contract],
    *,
    schemas: Sequence[str] = PUBLISHED_SCHEMAS,
    include_restricted: bool = False,
) -> PublishResult:
    """Copy every table of ``schemas`` from the warehouse into a fresh database and atomically replace ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("attach ? as src (read_only)", [str(warehouse_path)])
            found = con.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_catalog = 'src' and list_contains(?, table_schema) order by 1",
                [list(schemas)],
            ).fetchall()
            tables = [t for (t,) in found if include_restricted or t not in RESTRICTED]
            for schema in schemas:
                con.execute(f"create schema if not exists {check_identifier(schema)}")
            for relation in tables:
                check_identifier(relation)
                con.execute(f"create table {relation} as select * from src.{relation}")
                count = con.execute(f"select count(*) from {relation}").fetchone()
                rows[relation] = int(count[0]) if count else 0
                contract = contracts.get(relation)
                if contract is None:
                    continue
                con.execute(f"comment on table {relation} is {_quote(contract.description)}")
                for column in contract.columns:
                    unit = f" [{column.unit}]" if column.unit else ""
                    con.execute(
                        f"comment on column {relation}.{check_identifier(column.name)} is "
                        f"{_quote(column.description + unit)}"
                    )
            con.execute("detach src")
            con.execute("checkpoint")
        finally:
            con.close()
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return PublishResult(path=target, tables=tuple(rows), rows=rows)
