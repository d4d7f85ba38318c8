"""The rwe-cohorts Dagster code location: assembles assets, checks, jobs and resources (no asset is defined here)."""

from __future__ import annotations

import dagster as dg

from pipelines.cohort.assets import cohort_assets
from pipelines.ingest.assets import raw_tables, staging_assets
from pipelines.jobs import study_job
from pipelines.resources import resources

defs = dg.Definitions(
    assets=[raw_tables, *staging_assets, *cohort_assets],
    jobs=[study_job],
    resources=resources(),
    # One process, steps in sequence: DuckDB allows one writer per file.
    executor=dg.in_process_executor,
)
