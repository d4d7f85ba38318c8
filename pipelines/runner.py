"""Run the study job for one data cut in the local Dagster instance (``DAGSTER_HOME``, SQLite storage), headless,
and explain any failure. The run is recorded in the same instance ``dagster dev`` shows."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg

from pipelines.partitions import DATA_CUTS
from pipelines.resources import LAUNCHED_BY_TAG, dagster_home, study_resource_from_env
from rwe_cohorts.ingest.delivery import check_cut_id, missing_or_changed_files, read_manifests


def resolve_data_cut(data_cut: str | None) -> str:
    """The data cut to run: the one asked for, else the latest delivery in the landing area (by data cut date).

    If the latest delivery is not complete (files missing, or checksums that differ from its manifest, as when a
    copy is still going on), this is an error naming the folder and its problems rather than a silent run of an
    older cut.
    """
    if data_cut:
        return check_cut_id(data_cut)
    landing = Path(study_resource_from_env().landing_dir)
    deliveries, unreadable = read_manifests(landing)
    for folder, problems in sorted(unreadable.items()):
        print(f"ignoring {folder}: {problems[0]}", file=sys.stderr)
    if not deliveries:
        raise FileNotFoundError(f"no delivery (a folder with a valid manifest.json) under {landing}")
    latest = max(deliveries, key=lambda d: (d.data_cut_date, d.data_cut_id))
    problems = missing_or_changed_files(latest)  # only the latest is checked: ingest verifies it again in full
    if problems:
        listed = "\n  ".join(problems[:20])
        raise ValueError(
            f"the latest delivery {latest.folder.name} (data cut {latest.data_cut_id}) is not complete:\n  {listed}\n"
            "wait until it is completely copied, or run an earlier cut with --data-cut"
        )
    return latest.data_cut_id


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


def run_study(data_cut: str | None = None) -> int:
    """Materialize every asset of ``study_job`` for one data cut; 0 on success, 1 with a readable reason otherwise."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    from pipelines.definitions import defs

    try:
        cut = resolve_data_cut(data_cut)
    except (FileNotFoundError, ValueError) as exc:
        print(f"rwe run: {exc}", file=sys.stderr)
        return 1
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
        for line in failed_checks:
            print(f"  failed check: {line}", file=sys.stderr)
        for ev in result.all_events:
            if ev.event_type_value == "STEP_FAILURE":
                err = ev.event_specific_data.error  # type: ignore[union-attr]
                message = err.message.strip().splitlines() if err else []
                print(f"  step {ev.step_key} failed: " + "\n    ".join(message[:12]), file=sys.stderr)
        return 1
