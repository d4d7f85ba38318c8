"""The monthly schedule: on the 2nd of each month at 06:00 UTC, run the study on the latest complete data cut.

It complements the landing sensor (which runs each new delivery as it arrives): the schedule re-runs the latest cut
every month, for example after a study spec or code change, and registers that cut if the sensor is off.
Default status: STOPPED (turn it on in the Dagster UI, or set it running in code, where a monthly re-run is wanted).
"""

from pathlib import Path

import dagster as dg

from pipelines.jobs import study_job
from pipelines.partitions import DATA_CUTS
from pipelines.resources import StudyResource
from rwe_cohorts.ingest.delivery import scan_landing


@dg.schedule(
    job=study_job,
    cron_schedule="0 6 2 * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Monthly: materialize the latest complete data cut in the landing area.",
)
def monthly_latest_cut(context: dg.ScheduleEvaluationContext, study: StudyResource) -> dg.RunRequest | dg.SkipReason:
    registered = set(context.instance.get_dynamic_partitions(DATA_CUTS))
    scan = scan_landing(Path(study.landing_dir), registered=registered)
    if not scan.complete:
        return dg.SkipReason(f"no complete delivery in {study.landing_dir}")
    latest = max(scan.complete.values(), key=lambda d: (d.data_cut_date, d.data_cut_id))
    if latest.data_cut_id not in registered:
        context.instance.add_dynamic_partitions(DATA_CUTS, [latest.data_cut_id])
    return dg.RunRequest(partition_key=latest.data_cut_id)
