"""The second study spec (ALK-rearranged vs ALK-negative advanced NSCLC) runs end to end through Dagster with no
code change: a biomarker study is a new YAML file. Small generated delivery, real local Dagster instance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from rwe_cohorts.core.spec import load_spec


def warehouse_file(root: Path, cut: str = "2021-03-31") -> Path:
    """The warehouse of data cut ``cut`` in a study run under ``root`` (one DuckDB file per data cut)."""
    return root / "data" / "warehouse" / f"{cut}.duckdb"


N_PATIENTS = 20_000
StudyRunner = Callable[..., Path]  # the ``study_runner`` fixture (tests/pipelines/conftest.py)


@pytest.fixture(scope="module")
def alk_run(tmp_path_factory: pytest.TempPathFactory, study_runner: StudyRunner) -> Path:
    # study_runner asserts that `rwe generate` and `rwe run` both exit 0.
    return study_runner(tmp_path_factory.mktemp("alk"), "alk_nsclc.yaml", patients=N_PATIENTS, seed=7)


@pytest.fixture(scope="module")
def warehouse(alk_run: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse_file(alk_run)), read_only=True)


def test_only_nsclc_patients_are_in_the_analytic_cohort(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute("select cancer_type, arm, count(*) from marts.analytic_cohort group by all").fetchall()
    assert {(c, a) for c, a, _ in rows} == {("NSCLC", "ALK+"), ("NSCLC", "ALK-")}
    assert warehouse.execute("select count(*) from marts.analytic_cohort where exposure_gene <> 'ALK'").fetchone() == (
        0,
    )


def test_attrition_removes_other_cancers_and_alk_inhibitor_use(
    alk_run: Path, warehouse: duckdb.DuckDBPyConnection
) -> None:
    spec = load_spec(alk_run / "spec.yaml")
    removed = {
        (step, arm): (n, description)
        for step, arm, n, description in warehouse.execute(
            "select step, arm, patients_removed, description from marts.attrition"
        ).fetchall()
    }
    assert removed[("cancer_type", "ALK-")][0] > 0
    n_alk_inhibitor, description = removed[("excluded_drug_naive", "ALK+")]
    assert n_alk_inhibitor > 0, "no ALK+ patient was excluded for an ALK inhibitor"
    assert all(drug in description for drug in spec.eligibility.excluded_drugs)
    rises = warehouse.execute(
        "select count(*) from (select patients_remaining > lag(patients_remaining) over "
        "(partition by arm order by step_order) as rises from marts.attrition) where rises"
    ).fetchone()
    assert rises == (0,)


def test_hazard_ratios_and_table1_exist(alk_run: Path, warehouse: duckdb.DuckDBPyConnection) -> None:
    spec = load_spec(alk_run / "spec.yaml")
    rows = warehouse.execute(
        "select analysis, hr, hr_ci_lower, hr_ci_upper from marts.hazard_ratios where hr is not null"
    ).fetchall()
    assert {a for a, *_ in rows} == {a.id for a in spec.analyses}
    assert all(0 < lo <= hr <= hi for _, hr, lo, hi in rows)
    arms = warehouse.execute(
        "select distinct exposed_arm, comparator_arm from marts.baseline_characteristics"
    ).fetchall()
    assert arms == [("ALK+", "ALK-")]
    report = list((alk_run / "data" / "reports").glob("*/study_report.html"))
    assert len(report) == 1 and "ALK+" in report[0].read_text()
