"""The DuckDB warehouse: schemas, SQL models from files, whole-table replacement, table descriptions.

SQL models live in ``sql/<layer>/<relation>.sql``, one relation per file; the file stem is the relation name and the
folder is its schema. A model is a single ``SELECT``; this module materializes it with ``CREATE OR REPLACE
TABLE`` inside a transaction, so a table is replaced whole or not at all. Values are bound as named parameters
(``$name``); only the parameters a model mentions are bound, and a missing one is an error naming the model. Tables
written from Python frames are cast to their data contract's column order and types on the way in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from rwe_cohorts.core.contracts import Contract

SCHEMAS = ("raw", "staging", "intermediate", "marts", "qa")
PROJECT_ROOT = Path(__file__).resolve().parents[3]
SQL_ROOT = PROJECT_ROOT / "sql"
CONTRACTS_ROOT = PROJECT_ROOT / "data_contracts"

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


class SqlModelError(RuntimeError):
    """A SQL model could not be materialized; the message names the model file."""


@dataclass(frozen=True)
class TableInfo:
    relation: str
    rows: int
    columns: tuple[tuple[str, str], ...]


DEFAULT_MEMORY_SHARE = 0.25
"""Share of physical RAM DuckDB may use when no limit is given (DuckDB's own default is 80%). The pipeline's Python
side (pandas batches for GX, polars frames, the PS model) lives in the same process, so DuckDB gets a quarter and
spills larger sorts, joins and aggregates to ``<warehouse>.tmp`` instead of pushing the process past the RAM."""


def default_memory_limit() -> str:
    """``DEFAULT_MEMORY_SHARE`` of physical RAM in MB (at least 1 GB), e.g. ``"6144MB"`` on a 24 GB machine."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1024, int(total * DEFAULT_MEMORY_SHARE) // 2**20)}MB"


def connect(
    path: Path | str, *, read_only: bool = False, threads: int = 0, memory_limit: str = ""
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (creating parent folders) and make sure every schema exists.

    ``threads`` (0: DuckDB's default, one per core) and ``memory_limit`` (e.g. ``"8GB"``; empty:
    :func:`default_memory_limit`, a quarter of RAM) bound the engine; results do not depend on them.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"memory_limit": memory_limit or default_memory_limit()}
    if threads:
        config["threads"] = int(threads)
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    if not read_only:
        for schema in SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
    return con


def check_identifier(name: str) -> str:
    """Identifiers are never formatted from free text: they must be plain lower-case names."""
    for part in name.split("."):
        if not _IDENT.match(part):
            raise ValueError(f"not a valid identifier: {name!r}")
    return name


def model_path(relation: str, sql_root: Path = SQL_ROOT) -> Path:
    schema, table = check_identifier(relation).split(".", 1)
    return sql_root / schema / f"{table}.sql"


def model_parameters(sql: str) -> list[str]:
    """Named parameters (``$name``) used by a SQL text, in order of first use, comments excluded."""
    body = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    seen: list[str] = []
    for name in _PARAM.findall(body):
        if name not in seen:
            seen.append(name)
    return seen


def materialize_model(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    params: Mapping[str, Any] | None = None,
    *,
    sql_root: Path = SQL_ROOT,
) -> TableInfo:
    """Run ``sql/<schema>/<table>.sql`` and replace ``<schema>.<table>`` with its result, atomically."""
    path = model_path(relation, sql_root)
    sql = path.read_text()
    wanted = model_parameters(sql)
    params = params or {}
    missing = [p for p in wanted if p not in params]
    if missing:
        raise SqlModelError(f"{path.relative_to(sql_root.parent)}: parameters not provided: {missing}")
    bound = {p: params[p] for p in wanted}
    select = sql.strip().rstrip(";")
    try:
        con.execute("begin transaction")
        con.execute(f"create or replace table {relation} as\n{select}", bound)
        con.execute("commit")
    except duckdb.Error as exc:
        con.execute("rollback")
        raise SqlModelError(f"{path.relative_to(sql_root.parent)}: {exc}") from exc
    return table_info(con, relation)


def replace_table(
    con: duckdb.DuckDBPyConnection, relation: str, frame: pl.DataFrame, contract: Contract | None = None
) -> TableInfo:
    """Replace a table with a polars frame, whole or not at all; with a contract, cast to its columns and types."""
    check_identifier(relation)
    arrow = frame.to_arrow()  # noqa: F841  (referenced by name in the SQL below)
    select = "*"
    if contract is not None:
        missing = [c for c in contract.column_names if c not in frame.columns]
        extra = [c for c in frame.columns if c not in contract.column_names]
        if missing or extra:
            raise SqlModelError(f"{relation}: frame does not match its contract (missing {missing}, extra {extra})")
        select = ", ".join(f"cast({check_identifier(c.name)} as {c.type}) as {c.name}" for c in contract.columns)
    try:
        con.execute("begin transaction")
        con.execute(f"create or replace table {relation} as select {select} from arrow")
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise
    return table_info(con, relation)


def table_info(con: duckdb.DuckDBPyConnection, relation: str) -> TableInfo:
    schema, table = check_identifier(relation).split(".", 1)
    rows = con.execute(f"select count(*) from {relation}").fetchone()
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return TableInfo(relation=relation, rows=int(rows[0]) if rows else 0, columns=tuple((c, t) for c, t in cols))


def read_frame(con: duckdb.DuckDBPyConnection, relation: str, columns: Iterable[str] | None = None) -> pl.DataFrame:
    """Read a table into polars (identifiers checked)."""
    cols = ", ".join(check_identifier(c) for c in columns) if columns else "*"
    return con.sql(f"select {cols} from {check_identifier(relation)}").pl()


def list_tables(con: duckdb.DuckDBPyConnection, schemas: Iterable[str] = SCHEMAS) -> list[str]:
    wanted = list(schemas)
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in (select unnest(?::varchar[])) order by 1",
        [wanted],
    ).fetchall()
    return [r[0] for r in rows]
