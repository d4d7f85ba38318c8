"""``rwe status``: every data cut (registered or waiting in the landing area), its last run and check outcomes.

Reads the local Dagster instance (the same one ``dagster dev`` shows), the landing area and the analysts' database;
writes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.partitions import DATA_CUTS
from pipelines.resources import PARTITION_TAG, dagster_home, study_resource_from_env
from rwe_cohorts.ingest.delivery import scan_landing
from rwe_cohorts.publish.database import published_cuts


@dataclass(frozen=True)
class CutStatus:
    data_cut_id: str
    delivery: str
    last_run_id: str
    last_run_status: str
    last_run_started: str
    checks_passed: int
    checks_failed_error: int
    checks_failed_warn: int
    published: bool
    cause: str = ""  # why the last run failed: the first failed step's or blocking check's message


def _cause(instance: dg.DagsterInstance, run_id: str) -> str:
    """The first line of what stopped a failed run: a step failure's description (a rejected delivery names the
    file and column), else the first failed ERROR check's summary."""
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data if event else None
        failure = getattr(data, "user_failure_data", None)
        error = getattr(data, "error", None)
        text = failure.description if failure is not None and failure.description else (error.message if error else "")
        if text and "Error occurred while executing" not in text:
            return f"step {record.event_log_entry.step_key}: {text.strip().splitlines()[0]}"
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if evaluation is not None and not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:  # type: ignore[union-attr]
            summary = evaluation.metadata.get("summary")  # type: ignore[union-attr]
            return f"check {evaluation.check_name} failed: {summary.value if summary is not None else ''}"  # type: ignore[union-attr]
    return "see the run in the Dagster UI"


def _checks(instance: dg.DagsterInstance, run_id: str) -> tuple[int, int, int]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    passed = error = warn = 0
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if evaluation is None:
            continue
        if evaluation.passed:  # type: ignore[union-attr]
            passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:  # type: ignore[union-attr]
            error += 1
        else:
            warn += 1
    return passed, error, warn


def collect_status() -> list[CutStatus]:
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    study = study_resource_from_env()
    published = {cut for cut, _ in published_cuts(Path(study.published_path))}
    out = []
    with dg.DagsterInstance.get() as instance:
        registered = set(instance.get_dynamic_partitions(DATA_CUTS))
        scan = scan_landing(Path(study.landing_dir), registered=registered)
        folders = {cut: d.folder.name for cut, d in scan.complete.items()}
        cuts = sorted(registered | set(folders))
        for cut in cuts:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={PARTITION_TAG: cut}), limit=1)
            run = runs[0] if runs else None
            started = ""
            if run is not None:
                stats = instance.get_run_stats(run.run_id)
                if stats.start_time:
                    started = dt.datetime.fromtimestamp(stats.start_time, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            passed, error, warn = _checks(instance, run.run_id) if run else (0, 0, 0)
            out.append(
                CutStatus(
                    data_cut_id=cut,
                    delivery=folders.get(cut, "(not in landing)" if cut in registered else ""),
                    last_run_id=run.run_id if run else "",
                    last_run_status=run.status.value if run else "never run",
                    last_run_started=started,
                    checks_passed=passed,
                    checks_failed_error=error,
                    checks_failed_warn=warn,
                    published=cut in published,
                    cause=_cause(instance, run.run_id) if run and run.status == dg.DagsterRunStatus.FAILURE else "",
                )
            )
        for folder, problems in sorted(scan.incomplete.items()):
            out.append(
                CutStatus(
                    data_cut_id="?",
                    delivery=f"{folder} (incomplete: {problems[0]})",
                    last_run_id="",
                    last_run_status="waiting",
                    last_run_started="",
                    checks_passed=0,
                    checks_failed_error=0,
                    checks_failed_warn=0,
                    published=False,
                )
            )
    return out


def spec_warning() -> str | None:
    """A warning line when the configured study spec (``RWE_STUDY_SPEC``) is invalid: every run would be refused."""
    from rwe_cohorts.core.spec import StudySpecError, load_spec

    path = study_resource_from_env().spec_path
    try:
        load_spec(path)
    except StudySpecError as exc:
        return f"warning: the configured study spec is invalid, so no run can start until it is fixed: {exc}"
    return None


def format_status(rows: list[CutStatus]) -> str:
    header = ("data cut", "delivery", "last run", "status", "started", "checks pass/warn/fail", "published")
    body = [
        (
            r.data_cut_id,
            r.delivery,
            r.last_run_id[:8],
            r.last_run_status,
            r.last_run_started,
            f"{r.checks_passed}/{r.checks_failed_warn}/{r.checks_failed_error}" if r.last_run_id else "",
            "yes" if r.published else "no",
        )
        for r in rows
    ]
    if not body:
        return "no data cuts: no delivery in the landing area and none registered"
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in (header, *body)]
    causes = [f"  {r.data_cut_id}: {r.cause}" for r in rows if r.cause]
    legend = (
        "checks: the run's Dagster asset checks (one per table's data-quality suite, the genomics check, the two "
        "cohort checks, the balance check); fail = failed at ERROR severity (blocking), warn = failed at WARN"
    )
    return "\n".join([*lines, *(["why the last run failed:", *causes] if causes else []), legend])
