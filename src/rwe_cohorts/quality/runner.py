"""Validate DuckDB relations against their contracts: DuckDB computes, Great Expectations judges, we apply tolerance.

For one relation, the check query is the rows (``t.*``) plus one boolean column per row rule and foreign key. By
default (``engine="sql"``) it becomes a temporary view on the caller's DuckDB connection and GX's SQL engine runs the
contract suite on it (:mod:`rwe_cohorts.quality.gx_duckdb_patch`): DuckDB computes every metric (bundled aggregates,
``limit``-ed example keys through ``unexpected_index_column_names``) and no rows leave the engine. Each expectation's
counts and up to five example primary keys are read from the GX result, and the contract tolerance (``max_share`` and
the absolute ``max_count``) decides ``passed``.

The pandas path (``engine="pandas"``, the reference the SQL path is tested against) hands the rows to GX's pandas
engine. Large relations are validated in key-disjoint batches of about ``batch_rows`` rows (rows are bucketed by a hash
of the primary key, so duplicate keys always meet in the same batch and uniqueness stays exact); counts are summed over
batches and pandas memory stays bounded by one batch. DuckDB computes the rule columns and the batch numbers in one scan
and streams the rows sorted by batch (Arrow record batches), so a relation is read once, not once per batch. Each batch
is a separate GX validation result in the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.quality.context import GXContext
from rwe_cohorts.quality.derived import (
    BATCH_COLUMN,
    check_query,
    checked_view,
    derived_columns,
    evaluable_expressions,
    key_hash_sql,
    quote_relation,
    table_columns,
)
from rwe_cohorts.quality.gx_duckdb_patch import bound_connection
from rwe_cohorts.quality.outcomes import (
    MAX_EXAMPLE_KEYS,
    ExpectationOutcome,
    RelationValidation,
    format_key,
    judge,
)
from rwe_cohorts.quality.suites import SCHEMA_RULE, CheckSpec, build_suite, contract_checks

Engine = Literal["sql", "pandas"]

DEFAULT_BATCH_ROWS = 1_000_000
"""Rows per GX batch (about 400 MB of pandas for a 6-column table). GX has a fixed cost per batch (building its
metric graph, about 0.5 s for a 12-expectation suite), so much smaller batches cost time at a million patients
(20.7M visits); much larger ones cost memory."""

_STREAM_ROWS = 100_000
"""Rows per Arrow record batch read from DuckDB while assembling a GX batch."""


@dataclass
class Tally:
    """Counts of one expectation accumulated over batches (mutable working state of the runner)."""

    element_count: int = 0
    unexpected_count: int = 0
    evaluated: int = 0
    examples: list[str] = field(default_factory=list)
    error: str | None = None
    seen: bool = False

    def add(
        self,
        result: Any,
        *,
        table_level: bool,
        frame: pd.DataFrame | None,
        key_columns: tuple[str, ...],
        max_examples: int,
    ) -> None:
        """Fold one GX ``ExpectationValidationResult`` into the tally.

        On ``frame`` (pandas) GX reports the labels of the first unexpected rows, whose ``key_columns`` values become
        the example keys; with ``frame=None`` (SQL) GX reports the ``key_columns`` values themselves.
        """
        self.seen = True
        message = exception_message(result)
        if message is not None:
            self.error = self.error or message
            return
        details: dict[str, Any] = result.result or {}
        if table_level or "unexpected_count" not in details:
            self.element_count = 1
            self.evaluated = 1
            self.unexpected_count = max(self.unexpected_count, 0 if result.success else 1)
            return
        elements = int(details.get("element_count") or 0)
        missing = int(details.get("missing_count") or 0)
        self.element_count += elements
        self.evaluated += elements - missing
        self.unexpected_count += int(details.get("unexpected_count") or 0)
        self.examples.extend(example_keys(frame, details, key_columns, max_examples - len(self.examples)))

    def outcome(self, relation: str, spec: CheckSpec, *, observed: float | None = None) -> ExpectationOutcome:
        """Judge the tally under the check's tolerance."""
        share, passed = judge(self.unexpected_count, self.evaluated, max_share=spec.max_share, max_count=spec.max_count)
        return ExpectationOutcome(
            relation=relation,
            rule=spec.rule,
            expectation_type=spec.expectation_type,
            column=spec.column,
            tag=spec.tag,
            severity=spec.severity,
            passed=passed and self.error is None,
            element_count=self.element_count,
            unexpected_count=self.unexpected_count,
            unexpected_share=share,
            max_share=spec.max_share,
            max_count=spec.max_count,
            example_keys=tuple(self.examples),
            observed_value=observed,
            error=self.error,
        )


def example_keys(
    frame: pd.DataFrame | None, details: Mapping[str, Any], key_columns: tuple[str, ...], limit: int
) -> list[str]:
    """Primary keys of the unexpected rows GX listed in ``partial_unexpected_index_list``: row labels of ``frame``
    (pandas path), or mappings of key column to value (SQL path, ``frame=None``)."""
    entries = details.get("partial_unexpected_index_list") or []
    if frame is None:
        # GX's SQL engine lists a multicolumn expectation's unexpected rows by their values only: for the compound
        # key's uniqueness those values are the key
        values = details.get("partial_unexpected_list") or []
        if not entries and all(isinstance(v, Mapping) and set(key_columns) <= set(v) for v in values):
            entries = values
        found = [e for e in entries if isinstance(e, Mapping)][: max(limit, 0)]
        return [format_key(row, key_columns) for row in found] if key_columns else []
    labels = [int(x) for x in entries if isinstance(x, Integral)][: max(limit, 0)]
    if not key_columns or not labels:
        return []
    rows = frame.loc[labels, list(key_columns)].to_dict("records")
    return [format_key(row, key_columns) for row in rows]


def fetch_frame(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    """Run ``query`` and return a pandas frame through Arrow (several times faster than ``.df()`` for strings).

    Dates arrive as ``datetime.date`` objects, strings as pandas' Arrow-backed ``str`` dtype.
    """
    table = con.sql(query).to_arrow_table()
    return table.to_pandas() if table is not None else con.sql(query).df()


def batch_frames(con: duckdb.DuckDBPyConnection, query: str) -> Iterator[tuple[int, pd.DataFrame]]:
    """Stream a :func:`check_query` result sorted by batch number; yield ``(batch number, frame)`` per batch.

    The batch number column is dropped from the frames; a batch with no rows is not yielded.
    """
    reader = con.sql(query).to_arrow_reader(_STREAM_ROWS)
    pending: list[pa.RecordBatch] = []
    current: int | None = None
    for record_batch in reader:
        numbers = record_batch.column(BATCH_COLUMN).to_numpy(zero_copy_only=False)
        data = record_batch.drop_columns([BATCH_COLUMN])
        starts = [0, *(np.flatnonzero(np.diff(numbers)) + 1).tolist()]
        for start, end in zip(starts, [*starts[1:], len(numbers)], strict=True):
            number = int(numbers[start])
            if current is not None and number != current and pending:
                yield current, pa.Table.from_batches(pending).to_pandas()
                pending = []
            current = number
            pending.append(data.slice(start, end - start))
    if current is not None and pending:
        yield current, pa.Table.from_batches(pending).to_pandas()


def exception_message(result: Any) -> str | None:
    """The exception message of a GX expectation result, or None when it was evaluated normally.

    GX reports either one ``{raised_exception, exception_message}`` block or one such block per failed metric.
    """
    info = getattr(result, "exception_info", None) or {}
    blocks = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, Mapping)]
    for block in blocks:
        if block.get("raised_exception"):
            return str(block.get("exception_message") or "expectation raised an exception")
    return None


def _missing_relation(contract: Contract) -> RelationValidation:
    outcome = ExpectationOutcome(
        relation=contract.relation,
        rule=SCHEMA_RULE,
        expectation_type="expect_table_columns_to_match_ordered_list",
        column=None,
        tag="conformance",
        severity="error",
        passed=False,
        element_count=0,
        unexpected_count=0,
        unexpected_share=0.0,
        max_share=0.0,
        max_count=None,
        error=f"relation {contract.relation} does not exist",
    )
    return RelationValidation(relation=contract.relation, success=False, results=[outcome])


def _applies(spec: CheckSpec, present: set[str]) -> bool:
    """Column-level checks of a column the table lacks are left to ``column_exists__<column>``."""
    if spec.column is None or spec.expectation_type == "expect_column_to_exist":
        return True
    return all(c in present for c in spec.column.split(","))


def validate_relation(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    *,
    run_id: str,
    data_cut_id: str,
    context: GXContext,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    max_examples: int = MAX_EXAMPLE_KEYS,
    engine: Engine = "sql",
) -> RelationValidation:
    """Validate one relation against its contract and return the judged outcome of every check.

    The GX run is named ``<data_cut_id>__<run_id>`` in the result store (on the pandas path suffixed ``__batch<i>of<n>``
    when the relation is split into batches of ``batch_rows``). Checks on a column the table lacks are not reported
    separately (``column_exists__<column>`` and ``columns_match_contract`` fail instead); a rule DuckDB cannot evaluate
    (at bind time, or on the data, e.g. a scalar sub-query meeting a duplicate key) fails with its error message.
    ``success`` is false when any ``error``-severity check failed. GX's SQL engine needs a DuckDB connection: on
    another DuckDB-shaped connection (the Spark engine's) the pandas path runs whatever ``engine`` says.
    """
    if not isinstance(con, duckdb.DuckDBPyConnection):
        engine = "pandas"
    columns = table_columns(con, contract.relation)
    if columns is None:
        return _missing_relation(contract)
    present = set(columns) | set(derived_columns(contract))
    checks = [spec for spec, _ in contract_checks(contract)]
    expressions, broken = evaluable_expressions(con, contract)
    key = tuple(c for c in contract.primary_key if c in present)
    ((n_rows,),) = con.execute(f"select count(*) from {quote_relation(contract.relation)}").fetchall()
    n_batches = max(1, math.ceil(n_rows / batch_rows)) if key == contract.primary_key and key else 1

    table_level = {spec.rule: spec.is_table_level for spec in checks}

    def fold(tallies: dict[str, Tally], result: Any, frame: pd.DataFrame | None) -> None:
        for item in result.results:
            rule = (item.expectation_config.meta or {}).get("rule") if item.expectation_config else None
            if rule in tallies:
                tallies[rule].add(
                    item, table_level=table_level[rule], frame=frame, key_columns=key, max_examples=max_examples
                )

    def run_sql(exprs: Mapping[str, str]) -> dict[str, Tally]:
        tallies = {spec.rule: Tally() for spec in checks}
        with checked_view(con, contract, exprs) as view, bound_connection(con):
            query = f"select * from {view}"
            context.ensure_suite(contract.relation, contract, lambda: build_suite(contract), query=query)
            result = context.run(
                contract.relation, None, run_id=f"{data_cut_id}__{run_id}", max_examples=max_examples, key_columns=key
            )
        fold(tallies, result, None)
        return tallies

    def run_batches(exprs: Mapping[str, str]) -> dict[str, Tally]:
        context.ensure_suite(contract.relation, contract, lambda: build_suite(contract))
        tallies = {spec.rule: Tally() for spec in checks}
        if n_batches > 1:
            frames = batch_frames(con, check_query(contract, exprs, batches=(key_hash_sql(key), n_batches)))
        else:
            ordered = isinstance(con, duckdb.DuckDBPyConnection)  # Spark's tables have no row ids
            frames = iter([(0, fetch_frame(con, check_query(contract, exprs, table_order=ordered)))])
        for i, frame in frames:
            run_name = f"{data_cut_id}__{run_id}" + (f"__batch{i + 1}of{n_batches}" if n_batches > 1 else "")
            fold(tallies, context.run(contract.relation, frame, run_id=run_name, max_examples=max_examples), frame)
        return tallies

    run_all = run_sql if engine == "sql" else run_batches
    try:
        tallies = run_all(expressions)
    except duckdb.Error:
        # a rule that binds but fails on the data: find it, replace it by a failing null, validate again
        expressions, broken = evaluable_expressions(con, contract, execute=True)
        tallies = run_all(expressions)

    outcomes: list[ExpectationOutcome] = []
    for spec in checks:
        if not _applies(spec, present):
            continue
        tally = tallies[spec.rule]
        if spec.column in broken:
            tally.error = f"rule could not be evaluated in DuckDB: {broken[spec.column]}"
        elif not tally.seen:
            tally.error = "expectation missing from the GX result"
        outcomes.append(tally.outcome(contract.relation, spec))
    success = not any(o.severity == "error" and not o.passed for o in outcomes)
    return RelationValidation(relation=contract.relation, success=success, results=outcomes)


def validate_relations(
    con: duckdb.DuckDBPyConnection,
    contracts: Iterable[Contract],
    *,
    run_id: str,
    data_cut_id: str,
    context: GXContext,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    engine: Engine = "sql",
) -> list[RelationValidation]:
    """Validate several relations (e.g. ``load_contracts(root, 'raw').values()``) in the given order."""
    return [
        validate_relation(
            con, c, run_id=run_id, data_cut_id=data_cut_id, context=context, batch_rows=batch_rows, engine=engine
        )
        for c in contracts
    ]
