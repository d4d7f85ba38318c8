"""DuckDB side of the checks: row rules and foreign keys evaluated into boolean columns.

DuckDB computes the facts that need SQL or other tables (a contract row rule, ``exists`` in the referenced relation);
Great Expectations then judges each boolean column, so every rule is documented and judged in one place. One derived
column per rule, named after it: ``rule__<rule name>`` and ``fk__<columns>__<referenced relation>``; a null result
counts as a failure (``coalesce(<expect>, false)``).

The statements are generated from the contracts (the fixed list of identifiers), never from user input; identifiers
are quoted and rule expressions are the contract's own SQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence

import duckdb

from rwe_cohorts.core.contracts import Contract, ForeignKey, Rule

NULL_BOOLEAN = "cast(null as boolean)"


def quote_ident(name: str) -> str:
    """Quote one SQL identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def quote_relation(relation: str) -> str:
    """Quote a ``schema.table`` relation name."""
    return ".".join(quote_ident(part) for part in relation.split("."))


def rule_column(rule: Rule) -> str:
    """Name of the derived boolean column of a row rule."""
    return f"rule__{rule.name}"


def fk_column(fk: ForeignKey) -> str:
    """Name of the derived boolean column of a foreign key (``fk__patient_id__raw_demographics``)."""
    return "fk__" + fk.name.removeprefix("fk_")


def derived_columns(contract: Contract) -> tuple[str, ...]:
    """Derived boolean columns of a contract, in suite order: rules, then foreign keys."""
    return tuple(rule_column(r) for r in contract.rules) + tuple(fk_column(fk) for fk in contract.foreign_keys)


def fk_expression(fk: ForeignKey) -> str:
    """True when the row's key exists in the referenced relation; a key with a null part references nothing."""
    join = " and ".join(
        f"r.{quote_ident(rc)} = t.{quote_ident(c)}" for c, rc in zip(fk.columns, fk.ref_columns, strict=True)
    )
    nulls = " or ".join(f"t.{quote_ident(c)} is null" for c in fk.columns)
    return f"({nulls} or exists (select 1 from {quote_relation(fk.references)} r where {join}))"


def derived_expressions(contract: Contract) -> dict[str, str]:
    """Map each derived column to the boolean SQL expression (over the table aliased ``t``) that computes it."""
    out = {rule_column(r): f"({r.expect})" for r in contract.rules}
    out.update({fk_column(fk): fk_expression(fk) for fk in contract.foreign_keys})
    return out


def table_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str] | None:
    """The relation's columns in order, or None when the relation does not exist."""
    try:
        return list(con.sql(f"select * from {quote_relation(relation)} limit 0").columns)
    except duckdb.Error:
        return None


def check_view(relation: str) -> str:
    """Name of the temporary view holding a relation's check query on the SQL path (``rwe_check__raw__visits``)."""
    return "rwe_check__" + relation.replace(".", "__")


@contextlib.contextmanager
def checked_view(con: duckdb.DuckDBPyConnection, contract: Contract, expressions: Mapping[str, str]) -> Iterator[str]:
    """A temporary view of the relation's rows plus its derived rule columns, for GX's SQL engine; dropped on exit.

    GX sends a few dozen queries per suite (bundled counts, example keys per expectation). So that the rules' sub-
    queries and the foreign keys' joins run once, not once per query, the derived columns are computed once, in table
    order, into a temporary table of booleans (``rwe_derived__<schema>__<table>``, one byte per row and rule), and the
    view pairs it row by row with the table (a positional join: the table's own columns are read straight from it). A
    rule that fails on the data raises here (``duckdb.Error``), before GX runs. Yields the view's name.
    """
    view = check_view(contract.relation)
    derived = "rwe_derived__" + contract.relation.replace(".", "__")
    relation = quote_relation(contract.relation)
    try:
        if expressions:
            columns = ", ".join(f"coalesce({expr}, false) as {quote_ident(col)}" for col, expr in expressions.items())
            con.execute(
                f"create or replace temp table {quote_ident(derived)} as "
                f"select {columns} from {relation} t order by t.rowid"
            )
            body = f"select t.*, d.* from {relation} t positional join {quote_ident(derived)} d"
        else:
            body = f"select t.* from {relation} t"
        con.execute(f"create or replace temp view {quote_ident(view)} as {body}")
        yield view
    finally:
        con.execute(f"drop view if exists {quote_ident(view)}")
        con.execute(f"drop table if exists {quote_ident(derived)}")


BATCH_COLUMN = "__batch"
"""Name of the batch number column that :func:`check_query` adds when it splits a relation into batches."""


def check_query(
    contract: Contract,
    expressions: Mapping[str, str],
    *,
    batches: tuple[str, int] | None = None,
    table_order: bool = True,
) -> str:
    """The statement that fetches a relation's rows plus one boolean column per rule and foreign key.

    ``expressions`` maps each derived column to its SQL (a broken rule may be replaced by a null boolean). With
    ``batches = (hash_sql, n)`` every row also gets its batch number ``hash % n`` in :data:`BATCH_COLUMN` and the rows
    come sorted by it, so one scan streams every batch in turn: rows with equal keys share a batch, so per-batch
    uniqueness equals global uniqueness. Without batches, rows come in table order (DuckDB's ``rowid``), unless
    ``table_order`` is false (an engine without row ids: Spark, whose example keys the tests compare as sets).
    """
    derived = ", ".join(f"coalesce({expr}, false) as {quote_ident(col)}" for col, expr in expressions.items())
    select = "t.*" + (f", {derived}" if derived else "")
    if batches is None:
        # in table order: a rule's sub-query or a foreign key's join would otherwise shuffle the rows, and with them
        # which failing rows are the examples (DuckDB turns the order plus an outer ``limit`` into a top-N)
        return f"select {select} from {quote_relation(contract.relation)} t" + (
            " order by t.rowid" if derived and table_order else ""
        )
    number = f"({batches[0]}) % {int(batches[1])}"
    return (
        f"select {select}, {number} as {quote_ident(BATCH_COLUMN)} from {quote_relation(contract.relation)} t "
        f"order by {quote_ident(BATCH_COLUMN)}"
    )


def evaluable_expressions(
    con: duckdb.DuckDBPyConnection, contract: Contract, *, execute: bool = False
) -> tuple[dict[str, str], dict[str, str]]:
    """Split the derived expressions into those DuckDB can evaluate and the broken ones (column -> error message).

    Broken expressions (e.g. a rule on a column the table lacks) are replaced by a null boolean so the rest of the
    relation can still be validated; the runner reports them as failed checks carrying the DuckDB error. By default an
    expression is only bound (``limit 0``); with ``execute=True`` each one is evaluated over the whole table, which
    also finds errors that only data can raise (e.g. a scalar sub-query returning several rows on a duplicate key).
    """
    expressions = derived_expressions(contract)

    def probe(exprs: Mapping[str, str]) -> None:
        query = check_query(contract, exprs, table_order=isinstance(con, duckdb.DuckDBPyConnection))
        if execute:
            checks = ", ".join(f"bool_and({quote_ident(col)})" for col in exprs) or "count(*)"
            con.sql(f"select {checks} from ({query})").fetchall()
        else:
            con.sql(query + " limit 0")

    try:
        probe(expressions)
        return expressions, {}
    except duckdb.Error:
        pass
    ok: dict[str, str] = {}
    broken: dict[str, str] = {}
    for col, expr in expressions.items():
        try:
            probe({col: expr})
            ok[col] = expr
        except duckdb.Error as exc:
            broken[col] = str(exc).splitlines()[0]
            ok[col] = NULL_BOOLEAN
    return ok, broken


def key_hash_sql(key_columns: Sequence[str]) -> str:
    """SQL hashing a row's primary key (used to split large relations into key-disjoint batches)."""
    return "hash(" + ", ".join(f"t.{quote_ident(c)}" for c in key_columns) + ")"
