"""Run the study job in the local Dagster instance (``DAGSTER_HOME``, SQLite storage) and explain any failure."""

from __future__ import annotations

import os
import sys

import dagster as dg

from pipelines.resources import dagster_home


def run_study(delivery: str = "") -> int:
    """Materialize every asset of ``study_job``; return 0 on success, 1 with a readable reason otherwise."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    from pipelines.definitions import defs

    run_config = {"ops": {"raw_tables": {"config": {"delivery": delivery}}}} if delivery else None
    with dg.DagsterInstance.get() as instance:
        job = defs.resolve_job_def("study_job")
        result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False)
        failed_checks = []
        for ev in result.all_events:
            if ev.event_type_value == "ASSET_CHECK_EVALUATION":
                evaluation = ev.event_specific_data
                if not evaluation.passed:
                    summary = evaluation.metadata.get("summary")
                    text = summary.value if summary is not None else ""
                    failed_checks.append(
                        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
                        f"({evaluation.severity.value}) {text}"
                    )
        if result.success:
            print(f"study run {result.run_id} succeeded (Dagster instance: {home})")
            for line in failed_checks:
                print(f"  warning: {line}")
            return 0
        print(f"study run {result.run_id} FAILED (Dagster instance: {home})", file=sys.stderr)
        for line in failed_checks:
            print(f"  failed check: {line}", file=sys.stderr)
        for ev in result.all_events:
            if ev.event_type_value == "STEP_FAILURE":
                err = ev.event_specific_data.error  # type: ignore[union-attr]
                message = err.message.strip().splitlines() if err else []
                print(f"  step {ev.step_key} failed: " + "\n    ".join(message[:12]), file=sys.stderr)
        return 1
