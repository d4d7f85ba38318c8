"""The report's data-quality section, counted the way Dagster and ``rwe status`` count.

A **check** is one Dagster asset check of the run: one per table's data-quality suite (its contract's rules plus,
for raw tables, the row-count drift against the previous cut), the genomics plausibility check on
``raw.genomic_alterations``, the two cohort invariant checks and the covariate balance check. A **rule** is one
expectation inside a suite (one row of ``qa.expectation_results``, one expectation in the Data Docs). A check
passes when none of its rules fails; it is FAIL when an error-severity rule fails, WARN when only warn-severity rules
do. The section's headline gives both counts and the worst status, so a balance warning reads WARN here as it does in
Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import polars as pl

from rwe_cohorts.cohort.checks import analytic_cohort_invariants, attrition_never_rises
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import list_tables, read_frame
from rwe_cohorts.matching.diagnostics import balance_exceptions
from rwe_cohorts.quality.genomics_rules import GENOMICS_CHECK, GENOMICS_RULES, RELATION
from rwe_cohorts.report.render import Cell, Row, Table, frame_table

Status = Literal["pass", "warn", "fail"]
_ORDER: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class CheckOutcome:
    check: str  # ``<asset>:<check name>``, as Dagster names it
    status: Status
    rules: int
    failed_error: int
    failed_warn: int
    detail: str


def _status(failed_error: int, failed_warn: int) -> Status:
    return "fail" if failed_error else "warn" if failed_warn else "pass"


def suite_checks(run: pl.DataFrame) -> list[CheckOutcome]:
    """The data-quality checks of one run from its ``qa.expectation_results`` rows: one per relation's suite, and the
    genomics check's rules apart (as the Dagster checks report them)."""
    genomics = (pl.col("relation") == RELATION) & pl.col("rule").is_in(list(GENOMICS_RULES))
    out = []
    for name, rows in (
        *((f"{rel}:contract_suite", g) for (rel,), g in run.filter(~genomics).group_by("relation")),
        *([(f"{RELATION}:{GENOMICS_CHECK}", run.filter(genomics))] if run.filter(genomics).height else []),
    ):
        failed = rows.filter(~pl.col("passed"))
        error = failed.filter(pl.col("severity") == "error").height
        warn = failed.height - error
        detail = ", ".join(sorted(failed["rule"].to_list()))
        out.append(CheckOutcome(name, _status(error, warn), rows.height, error, warn, detail))
    return sorted(out, key=lambda c: c.check)


def study_checks(con: duckdb.DuckDBPyConnection, spec: StudySpec) -> list[CheckOutcome]:
    """The cohort and balance checks, recomputed from the marts with the same library functions the Dagster checks
    call (one rule each)."""
    out: list[CheckOutcome] = []
    tables = set(list_tables(con))
    if {"marts.analytic_cohort", "intermediate.patient_outcomes"} <= tables:
        found = analytic_cohort_invariants(con, exposed=spec.arms.exposed, comparator=spec.arms.comparator)
        bad = int(bool(found.problems))
        out.append(
            CheckOutcome(
                "marts.analytic_cohort:time_axis_invariants", _status(bad, 0), 1, bad, 0, "; ".join(found.problems)
            )
        )
    if "marts.attrition" in tables:
        rises = attrition_never_rises(con)
        out.append(
            CheckOutcome(
                "marts.attrition:counts_never_rise",
                _status(len(rises) > 0, 0),
                1,
                int(bool(rises)),
                0,
                "; ".join(rises),
            )
        )
    if "marts.covariate_balance" in tables:
        m = spec.matching
        balance = balance_exceptions(
            read_frame(con, "marts.covariate_balance"), m.balance_smd_threshold, m.balance_alpha
        )
        bad = int(balance.n_imbalanced > 0)  # the check fails on a significant imbalance, as the Dagster check does
        error, warn = (bad, 0) if m.balance_blocking else (0, bad)
        detail = balance.summary if balance.names else ""
        out.append(
            CheckOutcome("marts.covariate_balance:smd_within_threshold", _status(error, warn), 1, error, warn, detail)
        )
    return out


def quality_section(
    qa: pl.DataFrame | None,
    data_docs_href: str | None,
    data_cut_id: str,
    study: list[CheckOutcome],
) -> dict[str, Any]:
    """The data-quality section's data: the latest quality run of this data cut, every check with its status and
    rule counts, the failed rules by name, and the (restricted) Data Docs link."""
    out: dict[str, Any] = {"data_docs_href": data_docs_href, "run_id": None}
    if qa is None or qa.is_empty():
        return out
    cut = qa.filter(pl.col("data_cut_id") == data_cut_id) if "data_cut_id" in qa.columns else qa
    cut = cut if cut.height else qa
    latest = cut.group_by("run_id").agg(pl.col("evaluated_at").max()).sort("evaluated_at")["run_id"][-1]
    run = cut.filter(pl.col("run_id") == latest)
    checks = [*suite_checks(run), *study]
    counts = {s: sum(c.status == s for c in checks) for s in ("pass", "warn", "fail")}
    failed_rules = run.filter(~pl.col("passed")).select("relation", "rule", "severity", "unexpected_count")
    rows = [
        Row(
            [
                Cell(c.check),
                Cell(c.status, "status"),
                Cell(f"{c.rules:,}", "num"),
                Cell(f"{c.failed_error:,}", "num"),
                Cell(f"{c.failed_warn:,}", "num"),
                Cell(c.detail),
            ]
        )
        for c in sorted(checks, key=lambda c: (-_ORDER[c.status], c.check))
    ]
    out.update(
        run_id=str(latest),
        checks=len(checks),
        counts=counts,
        rules=sum(c.rules for c in checks if c.check.endswith((":contract_suite", f":{GENOMICS_CHECK}"))),
        rules_failed=failed_rules.height,
        verdict=max((c.status for c in checks), key=lambda s: _ORDER[s], default="pass"),
        summary=Table(
            ["check", "status", "rules", "failed (error)", "failed (warn)", "failed rules / detail"],
            rows,
            "quality-summary",
        ),
        failed_checks=frame_table(failed_rules, count_columns=("unexpected_count",)) if failed_rules.height else None,
    )
    return out
