"""``rwe cut remove ID``: retire a data cut (a mistyped or withdrawn delivery) from every place the pipeline keeps it.

Without ``--yes`` it only shows what it would remove. With it, under the run lock (no run is writing meanwhile):
the cut's rows leave the analysts' database in one atomic replace, with a ``removed`` row in its ledger; then the
cut's warehouse file, report folder and Great Expectations results (the Data Docs index rebuilt) are deleted; the
delivery folder is moved to ``<landing>/.retired/`` (kept, but no longer seen by the sensor or ``rwe status``); and the
Dagster partition is deleted, so the UI no longer lists the cut (its past runs stay in the run history).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.partitions import DATA_CUTS
from pipelines.resources import PARTITION_TAG, StudyResource, code_version, dagster_home, study_resource_from_env
from rwe_cohorts.core.runlock import run_lock
from rwe_cohorts.ingest.delivery import check_cut_id, read_manifests
from rwe_cohorts.publish.withdraw import published_rows, withdraw_cut
from rwe_cohorts.quality.housekeeping import cut_result_folders, remove_cut_results


@dataclass(frozen=True)
class RemovalPlan:
    data_cut_id: str
    partition: bool
    runs: int
    warehouse_files: list[Path]
    report_folder: Path | None
    gx_folders: list[Path]
    published: dict[str, int]
    delivery_folder: Path | None

    @property
    def empty(self) -> bool:
        return not (
            self.partition
            or self.warehouse_files
            or self.report_folder
            or self.gx_folders
            or self.published
            or self.delivery_folder
        )


def _gx_project(study: StudyResource) -> Path:
    return Path(study.gx_dir) / "gx"


def plan_removal(cut: str, study: StudyResource | None = None) -> RemovalPlan:
    """What removing data cut ``cut`` would delete (nothing is changed)."""
    check_cut_id(cut)
    study = (study or study_resource_from_env()).for_cut(cut)
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    with dg.DagsterInstance.get() as instance:
        partition = instance.has_dynamic_partition(DATA_CUTS, cut)
        runs = len(instance.get_run_ids(filters=dg.RunsFilter(tags={PARTITION_TAG: cut})))
    warehouse = study.warehouse_path
    spark = study.spark_warehouse_path  # the Spark engine's tables of the cut (RWE_ENGINE=spark)
    files = [p for p in (warehouse, Path(f"{warehouse}.wal"), Path(f"{warehouse}.tmp"), spark) if p.exists()]
    report = study.report_path().parent
    deliveries = [d.folder for d in read_manifests(Path(study.landing_dir))[0] if d.data_cut_id == cut]
    return RemovalPlan(
        data_cut_id=cut,
        partition=partition,
        runs=runs,
        warehouse_files=files,
        report_folder=report if report.is_dir() else None,
        gx_folders=cut_result_folders(_gx_project(study), cut),
        published=published_rows(Path(study.published_path), cut),
        delivery_folder=deliveries[0] if len(deliveries) == 1 else None,
    )


def format_plan(plan: RemovalPlan, *, done: bool) -> str:
    verb = "removed" if done else "would remove"
    if plan.empty:
        return f"data cut {plan.data_cut_id}: nothing to remove (no partition, files, results or published rows)"
    lines = [f"data cut {plan.data_cut_id}: {verb}"]
    if plan.partition:
        lines.append(f"  the Dagster partition (its {plan.runs} past run(s) stay in the run history)")
    lines += [f"  {p}" for p in [*plan.warehouse_files, *([plan.report_folder] if plan.report_folder else [])]]
    if plan.gx_folders:
        lines.append(f"  {len(plan.gx_folders)} Great Expectations result folder(s) and Data Docs page(s)")
    if plan.published:
        total = sum(plan.published.values())
        lines.append(f"  {total:,} row(s) in {len(plan.published)} table(s) of the analysts' database")
    lines.append("  and records the removal in the analysts' ledger (marts.study_runs, status removed)")
    if plan.delivery_folder:
        lines.append(f"  moves the delivery {plan.delivery_folder} to {plan.delivery_folder.parent / '.retired'}/")
    return "\n".join(lines)


def remove_cut(plan: RemovalPlan, study: StudyResource | None = None) -> None:
    """Carry out ``plan`` under the run lock (published rows first, atomically; then files; the partition last)."""
    cut = plan.data_cut_id
    study = (study or study_resource_from_env()).for_cut(cut)
    with run_lock(Path(study.warehouse_dir) / ".lock", f"rwe cut remove {cut}", timeout_s=study.lock_timeout_s):
        withdraw_cut(Path(study.published_path), cut, code_version=code_version(), launched_by="rwe cut remove")
        for path in plan.warehouse_files:
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        if plan.report_folder:
            shutil.rmtree(plan.report_folder, ignore_errors=True)
        if remove_cut_results(_gx_project(study), cut):
            from rwe_cohorts.quality import GXContext  # Great Expectations is slow to import: only when needed

            GXContext.file(Path(study.gx_dir)).build_data_docs()
        if plan.delivery_folder and plan.delivery_folder.exists():
            retired = plan.delivery_folder.parent / ".retired"
            retired.mkdir(exist_ok=True)
            target = retired / plan.delivery_folder.name
            if target.exists():  # retired before under the same folder name: keep both
                target = target.with_name(f"{target.name}.{os.getpid()}")
            plan.delivery_folder.rename(target)
        os.environ["DAGSTER_HOME"] = str(dagster_home())
        with dg.DagsterInstance.get() as instance:
            if instance.has_dynamic_partition(DATA_CUTS, cut):
                instance.delete_dynamic_partition(DATA_CUTS, cut)
