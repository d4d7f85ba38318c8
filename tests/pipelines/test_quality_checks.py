"""The raw quality check in Dagster: two small deliveries in turn, row-count drift against the previous data cut.

Only the ingest multi-asset and the ``raw_quality`` check run (an in-process job over the raw assets, one partition per
data cut), on an ephemeral Dagster instance with the warehouses, landing area and GX project under a temporary folder.
Each data cut has its own warehouse; the first cut is published between the runs, as a full run would do, because
the drift baseline is the latest earlier published cut.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import dagster as dg
import duckdb
import pytest

from pipelines.ingest.assets import raw_tables
from pipelines.partitions import DATA_CUTS, data_cuts
from pipelines.quality.checks import quality_checks
from pipelines.resources import StudyResource, study_resource_from_env
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.ingest.synthetic import generate_delivery
from rwe_cohorts.publish.database import publish

FIRST, SECOND = dt.date(2020, 12, 31), dt.date(2021, 3, 31)
TwoRuns = tuple[Path, dg.ExecuteInProcessResult, dg.ExecuteInProcessResult]


def _resource(root: Path) -> StudyResource:
    """Everything under ``root`` (landing area, warehouse, GX project); the default study spec."""
    return study_resource_from_env({"RWE_DATA_DIR": str(root)})


def _run_raw(root: Path, cut: dt.date) -> dg.ExecuteInProcessResult:
    (raw_check,) = [c for c in quality_checks if c.node_def.name == "raw_quality"]
    defs = dg.Definitions(
        assets=[raw_tables],
        asset_checks=[raw_check],
        jobs=[dg.define_asset_job("raw_job", selection=dg.AssetSelection.assets(raw_tables), partitions_def=data_cuts)],
        resources={"study": _resource(root)},
    )
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(DATA_CUTS, [cut.isoformat()])
    return defs.resolve_job_def("raw_job").execute_in_process(instance=instance, partition_key=cut.isoformat())


def _warehouse(root: Path, cut: dt.date) -> Path:
    return root / "warehouse" / f"{cut.isoformat()}.duckdb"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> TwoRuns:
    root = tmp_path_factory.mktemp("raw_quality")
    generate_delivery(root / "landing" / f"cut_{FIRST}", n_patients=2_000, seed=5, data_cut_date=FIRST)
    generate_delivery(root / "landing" / f"cut_{SECOND}", n_patients=4_000, seed=5, data_cut_date=SECOND)
    first = _run_raw(root, FIRST)
    publish(_warehouse(root, FIRST), root / "analytics.duckdb", load_contracts(CONTRACTS_ROOT), data_cut_id=str(FIRST))
    second = _run_raw(root, SECOND)
    return root, first, second


def _drift_rows(root: Path, cut: dt.date, run_id: str) -> list[tuple[str, str, bool]]:
    con = duckdb.connect(str(_warehouse(root, cut)), read_only=True)
    try:
        return con.execute(
            "select relation, severity, passed from qa.expectation_results "
            "where rule = 'row_count_drift' and run_id = ? order by relation",
            [run_id],
        ).fetchall()
    finally:
        con.close()


def test_first_delivery_has_no_drift_outcome_and_records_its_counts(two_runs: TwoRuns) -> None:
    root, first, _ = two_runs
    assert first.success
    assert _drift_rows(root, FIRST, first.run_id) == []
    con = duckdb.connect(str(_warehouse(root, FIRST)), read_only=True)
    counts = dict(
        con.execute(
            "select relation, row_count from qa.delivery_row_counts where data_cut_id = ?", [FIRST.isoformat()]
        ).fetchall()
    )
    con.close()
    assert counts["raw.demographics"] == 2_000 and len(counts) == 11


def test_second_delivery_warns_on_drift_without_blocking(two_runs: TwoRuns) -> None:
    root, _, second = two_runs
    assert second.success
    rows = _drift_rows(root, SECOND, second.run_id)
    assert len(rows) == 11 and {severity for _, severity, _ in rows} == {"warn"}
    passed = {relation: ok for relation, _, ok in rows}
    assert not passed["raw.demographics"]  # 2,000 -> 4,000 patients: +100%
    assert passed["raw.panel_genes"]  # the panel catalogue does not change
    evaluations = {
        e.asset_key.to_user_string(): e
        for e in second.get_asset_check_evaluations()
        if e.check_name == "contract_suite"
    }
    demographics = evaluations["raw/demographics"]
    assert not demographics.passed and demographics.severity == dg.AssetCheckSeverity.WARN
    assert "row_count_drift" in str(demographics.metadata["summary"].value)
    assert evaluations["raw/panel_genes"].passed
    con = duckdb.connect(str(_warehouse(root, SECOND)), read_only=True)
    keys = con.execute(
        "select example_keys from qa.expectation_results where run_id = ? and rule = 'row_count_drift'",
        [second.run_id],
    ).fetchall()
    con.close()
    assert all(json.loads(k) == [] for (k,) in keys)
