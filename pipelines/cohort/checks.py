"""Cohort checks: attrition counts never rise along the chain; the analytic cohort keeps its invariants."""

import dagster as dg

from pipelines.common import key
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.cohort.checks import analytic_cohort_invariants, attrition_never_rises


@dg.asset_check(asset=key("marts.attrition"), blocking=True, name="counts_never_rise", partitions_def=data_cuts)
def attrition_counts_never_rise(study: StudyResource) -> dg.AssetCheckResult:
    """Every arm's patient count is non-increasing from one eligibility step to the next."""
    with study.engine().data_sql() as con:
        problems = attrition_never_rises(con)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"summary": "; ".join(problems) or "counts never rise", "violations": len(problems)},
    )


@dg.asset_check(
    asset=key("marts.analytic_cohort"), blocking=True, name="time_axis_invariants", partitions_def=data_cuts
)
def analytic_cohort_invariants_check(study: StudyResource) -> dg.AssetCheckResult:
    """One row per patient, entry >= 0, exit > entry, both arms present; death dates reconciled, counted per arm."""
    arms = study.spec().arms
    with study.engine().data_sql() as con:
        found = analytic_cohort_invariants(con, exposed=arms.exposed, comparator=arms.comparator)
    return dg.AssetCheckResult(
        passed=not found.problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "summary": "; ".join(found.problems) or "ok",
            "duplicates": found.duplicates,
            "negative_entry": found.negative_entry,
            "exit_not_after_entry": found.exit_not_after_entry,
            "arms": found.arms,
            **{f"deaths_reconciled_to_last_activity/{arm}": c["reconciled"] for arm, c in found.reconciled.items()},
            **{
                f"death_month_before_last_activity/{arm}": c["month_before_activity"]
                for arm, c in found.reconciled.items()
            },
        },
    )


cohort_checks = [attrition_counts_never_rise, analytic_cohort_invariants_check]
