"""Cohort construction: the study spec bound as SQL parameters, and the SQL models in dependency order (the staging
models, one per raw table, belong to ingest: :mod:`rwe_cohorts.ingest.staging`).

The derivations themselves are SQL files (``sql/intermediate``, ``sql/marts``) an analyst can read; this module only
says which models exist, in which order they run, and which spec values they receive as bound parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl

from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import TableInfo, connect, materialize_model, read_frame, replace_table

INTERMEDIATE_MODELS = (
    "intermediate.patient_genomics",
    "intermediate.patient_therapy",
    "intermediate.patient_outcomes",
    "intermediate.patient_baseline",
    "intermediate.patient_eligibility",
    "intermediate.cohort_time_axes",
)
# Dependency order: Table 1 describes exactly the analytic cohort, so its long-form input comes after it.
COHORT_MARTS = ("marts.analytic_cohort", "intermediate.cohort_covariate_values", "marts.baseline_characteristics")


def sql_parameters(spec: StudySpec, data_cut_date: dt.date) -> dict[str, Any]:
    """Every value a SQL model may bind, taken from the study spec and the delivery's data cut."""
    e, x, c, t = spec.eligibility, spec.exposure, spec.covariates, spec.time_axis
    return {
        "min_age_years": e.min_age_years,
        "window_start_date": e.advanced_diagnosis_start_date,
        "window_end_date": e.advanced_diagnosis_end_date,
        "cancer_types": list(e.cancer_types),
        "excluded_drugs": list(e.excluded_drugs),
        "exposure_genes": list(x.genes),
        "exposure_alteration_types": list(x.alteration_types),
        "require_functional": x.require_functional,
        "negative_requires_all_genes": x.negative_requires == "all_genes_assessed",
        "driver_genes": list(c.driver_genes),
        "ecog_window_days_before": c.ecog_window_days_before,
        "ecog_window_days_after": c.ecog_window_days_after,
        "brain_metastasis_codes": list(c.brain_metastasis_codes),
        "older_age_years": c.older_age_years,
        "death_day_of_month": t.death_day_of_month,
        "days_per_month": t.days_per_month,
        "data_cut_date": data_cut_date,
        "exposed_label": spec.arms.exposed,
        "comparator_label": spec.arms.comparator,
    }


def build_models(
    con: duckdb.DuckDBPyConnection, relations: tuple[str, ...], spec: StudySpec, data_cut_date: dt.date
) -> dict[str, TableInfo]:
    """Materialize SQL models in the order given (callers pass a dependency-ordered tuple)."""
    params = sql_parameters(spec, data_cut_date)
    return {rel: materialize_model(con, rel, params) for rel in relations}


def matched_baseline_characteristics(con: duckdb.DuckDBPyConnection, spec: StudySpec) -> pl.DataFrame:
    """Table 1 of the matched cohort (``marts.matched_cohort``): the SQL model of ``marts.baseline_characteristics``
    (same levels, quartiles and SMD formulas), run on the matched patients in a scratch in-memory database.

    Returns an aggregate frame shaped like ``marts.baseline_characteristics``; patient rows never leave this function.
    """
    covariates = con.sql(
        "select v.* from intermediate.cohort_covariate_values as v "
        "semi join marts.matched_cohort as m on v.patient_id = m.patient_id"
    ).pl()
    members = con.sql(
        "select c.patient_id, c.is_exposed from marts.analytic_cohort as c "
        "semi join marts.matched_cohort as m on c.patient_id = m.patient_id"
    ).pl()
    scratch = connect(":memory:")
    try:
        replace_table(scratch, "intermediate.cohort_covariate_values", covariates)
        replace_table(scratch, "marts.analytic_cohort", members)
        labels = {"exposed_label": spec.arms.exposed, "comparator_label": spec.arms.comparator}
        materialize_model(scratch, "marts.baseline_characteristics", labels)
        return read_frame(scratch, "marts.baseline_characteristics")
    finally:
        scratch.close()
