"""The rwe-cohorts Dagster code location: assembles assets, checks, jobs and resources (no asset is defined here)."""

from __future__ import annotations

import dagster as dg

from pipelines.cohort.assets import attrition, cohort_assets
from pipelines.cohort.checks import cohort_checks
from pipelines.ingest.assets import raw_tables, staging_assets
from pipelines.ingest.schedules import monthly_latest_cut
from pipelines.ingest.sensors import landing_sensor
from pipelines.jobs import study_job
from pipelines.matching.assets import matching
from pipelines.matching.checks import balance_check
from pipelines.publish.assets import analytics_database
from pipelines.quality.checks import quality_checks
from pipelines.report.assets import study_report
from pipelines.resources import StudyResource, resources
from pipelines.survival.assets import hazard_ratio_robustness, survival
from rwe_cohorts.core.spec import StudySpecError


def _balance_blocking(study: object) -> bool:
    """The spec's ``matching.balance_blocking``; True (the safe side) when the spec cannot be read: no run starts
    with an invalid spec anyway."""
    try:
        return bool(study.spec().matching.balance_blocking)  # type: ignore[attr-defined]
    except (StudySpecError, OSError):
        return True


def build_defs(study: StudyResource | None = None) -> dg.Definitions:
    """The code location; ``study`` overrides the resource read from the environment (tests run it elsewhere)."""
    resources_ = {"study": study} if study is not None else resources()
    return dg.Definitions(
        assets=[
            raw_tables,
            *staging_assets,
            *cohort_assets,
            matching,
            attrition,
            survival,
            hazard_ratio_robustness,
            study_report,
            analytics_database,
        ],
        asset_checks=[*quality_checks, *cohort_checks, balance_check(blocking=_balance_blocking(resources_["study"]))],
        jobs=[study_job],
        sensors=[landing_sensor],
        schedules=[monthly_latest_cut],
        resources=resources_,
        # One process, steps in sequence; the study resource holds the run lock for the whole run.
        executor=dg.in_process_executor,
    )


defs = build_defs()
