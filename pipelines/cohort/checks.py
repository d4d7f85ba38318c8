"""Cohort checks: attrition counts never rise along the chain; the analytic cohort keeps its invariants."""

import dagster as dg

from pipelines.common import key
from pipelines.resources import StudyResource
from rwe_cohorts.cohort.models import attrition_never_rises, reconciled_deaths


@dg.asset_check(asset=key("marts.attrition"), blocking=True, name="counts_never_rise")
def attrition_counts_never_rise(study: StudyResource) -> dg.AssetCheckResult:
    """Every arm's patient count is non-increasing from one eligibility step to the next."""
    with study.connect() as con:
        problems = attrition_never_rises(con)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"summary": "; ".join(problems) or "counts never rise", "violations": len(problems)},
    )


@dg.asset_check(asset=key("marts.analytic_cohort"), blocking=True, name="time_axis_invariants")
def analytic_cohort_invariants(study: StudyResource) -> dg.AssetCheckResult:
    """One row per patient, entry >= 0, exit > entry, both arms present; death dates reconciled, counted per arm."""
    with study.connect() as con:
        reconciled = reconciled_deaths(con)
        row = con.execute(
            """
            select count(*) - count(distinct patient_id), count(*) filter (where entry_days < 0),
                count(*) filter (where exit_days <= entry_days), count(distinct arm)
            from marts.analytic_cohort
            """
        ).fetchone()
    dupes, neg_entry, bad_exit, n_arms = row if row else (0, 0, 0, 0)
    problems = [
        f"{n} {what}"
        for n, what in ((dupes, "duplicate patients"), (neg_entry, "negative entries"), (bad_exit, "exit <= entry"))
        if n
    ]
    if n_arms < 2:
        problems.append(f"only {n_arms} arm(s) among eligible patients")
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "summary": "; ".join(problems) or "ok",
            "duplicates": dupes,
            "negative_entry": neg_entry,
            "exit_not_after_entry": bad_exit,
            "arms": n_arms,
            **{f"deaths_reconciled_to_last_activity/{arm}": counts["reconciled"] for arm, counts in reconciled.items()},
            **{
                f"death_month_before_last_activity/{arm}": counts["month_before_activity"]
                for arm, counts in reconciled.items()
            },
        },
    )


cohort_checks = [attrition_counts_never_rise, analytic_cohort_invariants]
