"""Run the study job for one data cut in the local Dagster instance (``DAGSTER_HOME``, SQLite storage), headless,
and explain any failure. The run is recorded in the same instance ``dagster dev`` shows."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg

from pipelines.partitions import DATA_CUTS
from pipelines.resources import LAUNCHED_BY_TAG, dagster_home, study_resource_from_env
from rwe_cohorts.ingest.preflight import PreflightError, preflight


def _failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    out = []
    for ev in result.all_events:
        if ev.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = ev.event_specific_data
            if not evaluation.passed:  # type: ignore[union-attr]
                summary = evaluation.metadata.get("summary")  # type: ignore[union-attr]
                text = summary.value if summary is not None else ""
                out.append(
                    f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} "  # type: ignore[union-attr]
                    f"({evaluation.severity.value}) {text}"  # type: ignore[union-attr]
                )
    return out


def _step_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """Each failed step with its cause: a library error's description (file or table, column, count, example keys)
    as the step raised it, else the error's own message without the framework's wrapper."""
    out = []
    for ev in result.all_events:
        if ev.event_type_value != "STEP_FAILURE":
            continue
        data = ev.event_specific_data
        failure = getattr(data, "user_failure_data", None)
        if failure is not None and failure.description:
            text = failure.description
        else:
            err = getattr(data, "error", None)
            while err is not None and err.cause is not None and "Error occurred while executing" in err.message:
                err = err.cause
            text = err.message.strip() if err else "no message"
        lines = text.strip().splitlines()
        out.append(f"step {ev.step_key} failed: " + "\n    ".join(lines[:25]))
    return out


def run_study(data_cut: str | None = None) -> int:
    """Materialize every asset of ``study_job`` for one data cut; 0 on success, 1 with the cause first when the run
    fails, 2 when the pre-flight refuses (nothing is launched then: no run, partition, warehouse file or ledger row)."""
    home = dagster_home()
    study = study_resource_from_env()
    try:
        checked = preflight(Path(study.spec_path), Path(study.landing_dir), data_cut)
    except PreflightError as exc:
        print(f"rwe run: {exc}", file=sys.stderr)
        return 2
    for folder, problems in sorted(checked.skipped.items()):
        print(f"ignoring {folder}: {problems[0]}", file=sys.stderr)
    cut = checked.data_cut_id
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    from pipelines.definitions import defs

    with dg.DagsterInstance.get() as instance:
        if not instance.has_dynamic_partition(DATA_CUTS, cut):
            instance.add_dynamic_partitions(DATA_CUTS, [cut])
        job = defs.resolve_job_def("study_job")
        result = job.execute_in_process(
            instance=instance, partition_key=cut, tags={LAUNCHED_BY_TAG: "rwe run"}, raise_on_error=False
        )
        failed_checks = _failed_checks(result)
        if result.success:
            print(f"study run {result.run_id} of data cut {cut} succeeded (Dagster instance: {home})")
            for line in failed_checks:
                print(f"  warning: {line}")
            return 0
        print(f"study run {result.run_id} of data cut {cut} FAILED (Dagster instance: {home})", file=sys.stderr)
        for line in [*(f"failed check: {c}" for c in failed_checks), *_step_failures(result)]:
            print(f"  {line}", file=sys.stderr)
        return 1
