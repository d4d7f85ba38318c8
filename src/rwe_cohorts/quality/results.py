"""Judged outcomes as tables: ``qa.expectation_results`` rows and a relation x tag x severity summary.

GX-free on purpose (polars only), so reporting code can use it without importing Great Expectations.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import polars as pl

from rwe_cohorts.quality.outcomes import ExpectationOutcome, RelationValidation

EXPECTATION_RESULTS_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.String(),
    "data_cut_id": pl.String(),
    "relation": pl.String(),
    "rule": pl.String(),
    "expectation_type": pl.String(),
    "column_name": pl.String(),
    "tag": pl.String(),
    "severity": pl.String(),
    "passed": pl.Boolean(),
    "element_count": pl.Int64(),
    "unexpected_count": pl.Int64(),
    "unexpected_share": pl.Float64(),
    "max_share": pl.Float64(),
    "max_count": pl.Int64(),
    "example_keys": pl.String(),
    "evaluated_at": pl.Datetime("us"),
}
"""Columns of ``qa.expectation_results`` (DuckDB: VARCHAR, BOOLEAN, BIGINT, DOUBLE, TIMESTAMP; ``example_keys`` is a
JSON list of key strings)."""

QA_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "relation": pl.String(),
    "tag": pl.String(),
    "severity": pl.String(),
    "n_checks": pl.Int64(),
    "n_failed": pl.Int64(),
}


def flatten(items: Iterable[ExpectationOutcome | RelationValidation]) -> list[ExpectationOutcome]:
    """Outcomes from a mix of outcomes and relation validations, in order."""
    out: list[ExpectationOutcome] = []
    for item in items:
        out.extend(item.results if isinstance(item, RelationValidation) else [item])
    return out


def outcomes_to_frame(
    outcomes: Iterable[ExpectationOutcome | RelationValidation],
    *,
    run_id: str,
    data_cut_id: str,
    evaluated_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """Rows for ``qa.expectation_results``: one per judged check, columns exactly :data:`EXPECTATION_RESULTS_SCHEMA`.

    ``evaluated_at`` defaults to now (UTC, stored without a zone).
    """
    when = (evaluated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
    rows = [
        {
            "run_id": run_id,
            "data_cut_id": data_cut_id,
            "relation": o.relation,
            "rule": o.rule,
            "expectation_type": o.expectation_type,
            "column_name": o.column,
            "tag": o.tag,
            "severity": o.severity,
            "passed": o.passed,
            "element_count": o.element_count,
            "unexpected_count": o.unexpected_count,
            "unexpected_share": o.unexpected_share,
            "max_share": o.max_share,
            "max_count": o.max_count,
            "example_keys": json.dumps(list(o.example_keys)),
            "evaluated_at": when,
        }
        for o in flatten(outcomes)
    ]
    return pl.DataFrame(rows, schema=EXPECTATION_RESULTS_SCHEMA)


def qa_summary(outcomes: Iterable[ExpectationOutcome | RelationValidation]) -> pl.DataFrame:
    """Number of checks and failed checks by relation x Kahn tag x severity, sorted."""
    frame = pl.DataFrame(
        [{"relation": o.relation, "tag": o.tag, "severity": o.severity, "passed": o.passed} for o in flatten(outcomes)],
        schema={"relation": pl.String(), "tag": pl.String(), "severity": pl.String(), "passed": pl.Boolean()},
    )
    return (
        frame.group_by("relation", "tag", "severity")
        .agg(n_checks=pl.len().cast(pl.Int64), n_failed=(~pl.col("passed")).sum().cast(pl.Int64))
        .sort("relation", "tag", "severity")
        .select(list(QA_SUMMARY_SCHEMA))
    )


def qa_summary_text(outcomes: Iterable[ExpectationOutcome | RelationValidation]) -> str:
    """One line for logs and run metadata.

    Counts rules (one expectation each), not Dagster checks. Example:
    ``"3 of 120 rules failed: raw.visits plausibility (error) 2, raw.demographics conformance (warn) 1"``.
    """
    items = flatten(outcomes)
    summary = qa_summary(items).filter(pl.col("n_failed") > 0)
    n_failed = sum(not o.passed for o in items)
    if n_failed == 0:
        return f"all {len(items)} rules passed"
    parts = [f"{r['relation']} {r['tag']} ({r['severity']}) {r['n_failed']}" for r in summary.iter_rows(named=True)]
    noun = "rule" if len(items) == 1 else "rules"
    return f"{n_failed} of {len(items)} {noun} failed: " + ", ".join(parts)
