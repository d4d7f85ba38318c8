"""The landing sensor: registers each new complete delivery as a data cut and requests its study run.

A delivery is complete when its manifest is readable and every file it lists is present with the manifest's checksum:
a delivery still being copied (manifest first or last, files missing or partly written) is not picked up, and the
sensor says which folders it is waiting for and why. Two folders claiming the same data cut id are refused.
Default status: RUNNING (a new delivery starts its run without anyone watching), one evaluation a minute.
"""

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from pipelines.jobs import study_job
from pipelines.partitions import DATA_CUTS, data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.core.spec import StudySpecError
from rwe_cohorts.ingest.delivery import scan_landing


def _waiting(incomplete: Mapping[str, list[str]]) -> str:
    return "; ".join(
        f"{folder}: {problems[0]}" + (f" (+{len(problems) - 1})" if len(problems) > 1 else "")
        for folder, problems in sorted(incomplete.items())
    )


@dg.sensor(
    job=study_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers a data cut when a complete delivery appears in the landing area and requests its run.",
)
def landing_sensor(context: dg.SensorEvaluationContext, study: StudyResource) -> dg.SensorResult | dg.SkipReason:
    registered = set(context.instance.get_dynamic_partitions(DATA_CUTS))
    scan = scan_landing(Path(study.landing_dir), registered=registered)
    new = sorted(
        (d for cut, d in scan.complete.items() if cut not in registered), key=lambda d: (d.data_cut_date, d.data_cut_id)
    )
    waiting = _waiting(scan.incomplete)
    if waiting:
        context.log.info(f"waiting for {len(scan.incomplete)} delivery folder(s): {waiting}")
    if not new:
        return dg.SkipReason(
            f"no new complete delivery in {study.landing_dir}" + (f"; waiting for {waiting}" if waiting else "")
        )
    try:
        study.spec()
    except StudySpecError as exc:  # a run would fail at once: launch nothing, say why (the deliveries stay new)
        return dg.SkipReason(f"{len(new)} new delivery(ies) not started: {exc}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=d.data_cut_id, run_key=f"{d.data_cut_id}:{d.manifest_sha256[:16]}") for d in new
        ],
        dynamic_partitions_requests=[data_cuts.build_add_request([d.data_cut_id for d in new])],
    )
