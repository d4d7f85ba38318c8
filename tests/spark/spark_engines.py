"""The Spark engine's test helpers (``conftest.py`` exports the fixtures): one local SparkSession per test session (the
JVM starts once, ~10 s), and one small
synthetic delivery built on both engines (DuckDB and Spark local mode) through the same SQL models.

Skipped when pyspark is not installed (it is an optional extra); ``make test`` installs it, so CI runs these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rwe_cohorts.cohort.models import COHORT_MARTS, INTERMEDIATE_MODELS, sql_parameters
from rwe_cohorts.core import ledger, spark
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.engine import DuckDBEngine, Engine, SparkEngine
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, replace_table
from rwe_cohorts.ingest.staging import STAGING_MODELS
from rwe_cohorts.ingest.study import land_data_cut
from rwe_cohorts.matching.study import matching_marts, run_matching

PATIENTS = 3000
SEED = 20220801
CUT = "2021-03-31"
SQL_MODELS = (*STAGING_MODELS, *INTERMEDIATE_MODELS, *COHORT_MARTS)


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    session = spark.session(spark.SparkSettings(master="local[2]", driver_memory="2g", shuffle_partitions=2))
    yield session
    session.stop()


@dataclass
class BothEngines:
    """The same delivery built on both engines: every SQL model, the matching stage on each collected cohort, and
    the attrition model (which reads the matched cohort back)."""

    duckdb: DuckDBEngine
    spark: SparkEngine
    folder: Path
    data_cut_date: dt.date


def build(engine: Engine, duck: DuckDBEngine, landing: Path, spec: StudySpec, spark_tables: Any = None) -> dt.date:
    run = ledger.RunStart(
        run_id=f"test-{engine.name}",
        data_cut_id=CUT,
        study_id=spec.study_id,
        spec_hash=spec.spec_hash,
        spec_json="{}",
        code_version="test",
        package_versions={},
        launched_by="test",
    )
    with duck.connect() as con:
        ledger.start_run(con, load_contracts(CONTRACTS_ROOT, "marts")[ledger.LEDGER], run)
        delivery = land_data_cut(con, landing, CUT, run_id=run.run_id, spark_tables=spark_tables)
    params = sql_parameters(spec, delivery.data_cut_date)
    for relation in SQL_MODELS:
        engine.materialize(relation, params)
    cohort = engine.read_frame("marts.analytic_cohort")
    contracts = load_contracts(CONTRACTS_ROOT)
    for relation, frame in matching_marts(run_matching(cohort, spec), spec).items():
        with duck.connect() as con:
            replace_table(con, relation, frame, contracts[relation])
        engine.written(relation, frame, contracts[relation])
    engine.materialize("marts.attrition", params)
    return delivery.data_cut_date


@pytest.fixture(scope="session")
def both_engines(tmp_path_factory: pytest.TempPathFactory, spark_session: Any, spec: StudySpec) -> BothEngines:
    from rwe_cohorts.ingest.synthetic import generate_delivery

    root = tmp_path_factory.mktemp("engines")
    generate_delivery(root / "landing" / f"cut_{CUT}", n_patients=PATIENTS, seed=SEED)
    duck = DuckDBEngine(root / "duckdb" / f"{CUT}.duckdb")
    cut_date = build(duck, duck, root / "landing", spec)
    spark_duck = DuckDBEngine(root / "spark" / f"{CUT}.duckdb")
    on_spark = SparkEngine(
        tables=spark.SparkWarehouse(spark_session, root / "spark" / f"{CUT}.spark"), duckdb=spark_duck
    )
    build(on_spark, spark_duck, root / "landing", spec, spark_tables=on_spark.tables)
    return BothEngines(duck, on_spark, root / "landing" / f"cut_{CUT}", cut_date)
