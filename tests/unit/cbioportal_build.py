"""Load a converted cBioPortal delivery into a DuckDB file and build staging, intermediate, the cohort marts and
attrition on it, as the pipeline does (shared by the adapter's tests)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from rwe_cohorts.cohort.models import COHORT_MARTS, INTERMEDIATE_MODELS, build_models, sql_parameters
from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import connect, materialize_model
from rwe_cohorts.ingest.delivery import load_delivery, read_delivery, verify_delivery
from rwe_cohorts.ingest.staging import STAGING_MODELS


def build_warehouse(
    delivery_dir: Path, spec: StudySpec, contracts: dict[str, Contract], db: Path
) -> duckdb.DuckDBPyConnection:
    """The delivery verified and loaded, every model up to the analytic cohort built, and marts.attrition (with an
    empty matched cohort)."""
    delivery = read_delivery(delivery_dir)
    verify_delivery(delivery, contracts)
    con = connect(db)
    load_delivery(con, delivery, contracts)
    con.execute("create or replace table marts.matched_cohort (patient_id varchar, arm varchar)")
    build_models(con, STAGING_MODELS + INTERMEDIATE_MODELS + COHORT_MARTS, spec, delivery.data_cut_date)
    materialize_model(con, "marts.attrition", sql_parameters(spec, delivery.data_cut_date))
    return con
