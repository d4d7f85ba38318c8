"""One replicate of the study's estimator chain on a synthetic delivery generated in memory.

The chain is the pipeline's own: the delivery's raw tables are loaded into an in-memory DuckDB database with the
raw contracts' column types (as ``ingest.load_delivery`` does from Parquet), the staging, intermediate and
analytic-cohort SQL models run unchanged (``cohort.models.build_models``), then the spec's PS model and matching
(``matching.study.run_matching``) and the primary analysis's Kaplan-Meier and Cox models
(``survival.study.analysis_frame``, ``kaplan_meier_by_arm``, ``fit_cox_exposure``). Not run, because no estimate
depends on them: the data-quality suites, Table 1, attrition, the other analyses, the diagnostics and the
lifelines cross-check. Nothing is written to disk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from rwe_cohorts.cohort.models import INTERMEDIATE_MODELS, build_models
from rwe_cohorts.core import warehouse
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.ingest.staging import STAGING_MODELS
from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.ingest.synthetic.delivery import generate_blocks, static_tables
from rwe_cohorts.ingest.synthetic.encode import DAYS_PER_MONTH
from rwe_cohorts.matching.study import MatchingOutputs, run_matching
from rwe_cohorts.survival import ArmSpec, CoxSpec, KaplanMeierAnalysis, fit_cox_exposure, kaplan_meier_by_arm
from rwe_cohorts.survival.study import analysis_frame, km_settings

COX_MODELS: dict[str, CoxSpec] = {
    "unstratified": CoxSpec.unstratified(),
    "stratified_matched_set": CoxSpec.stratified("match_set_id"),
    "cluster_robust_matched_set": CoxSpec.cluster_robust("match_set_id"),
}
"""The matched-population Cox models of the study (``survival.study``), by the name ``marts.hazard_ratios`` uses."""


@dataclass(frozen=True)
class DeliveryParameters:
    """What one synthetic delivery is generated from (``rwe generate``'s options, no defects)."""

    seed: int
    n_patients: int = 58_001
    data_cut_date: dt.date = dt.date(2021, 3, 31)
    hazard_ratio: float = 1.6
    informative_entry: float = 0.0
    death_capture: float = cat.P_DEATH_CAPTURED


@dataclass(frozen=True)
class ChainOutputs:
    """The estimator chain's results on one delivery, and the latent truth of its matched patients."""

    cohort: pl.DataFrame
    matching: MatchingOutputs
    frame: pl.DataFrame
    km: KaplanMeierAnalysis
    cox: dict[str, dict[str, float]]
    cox_errors: dict[str, str]
    latent: pl.DataFrame


def load_in_memory(con: duckdb.DuckDBPyConnection, params: DeliveryParameters) -> pl.DataFrame:
    """Generate the delivery block by block into ``raw.*`` (contract types), return every patient's latent truth:
    patient_id, true_death_day, advanced_day (days since 1970-01-01), is_ntrk, linear_predictor."""
    contracts = load_contracts(warehouse.CONTRACTS_ROOT, "raw")
    parts: dict[str, list[pa.Table]] = {}
    latent = []
    for block in generate_blocks(
        params.n_patients,
        params.seed,
        params.data_cut_date,
        params.hazard_ratio,
        params.informative_entry,
        params.death_capture,
    ):
        for name, table in block.tables.items():
            parts.setdefault(name, []).append(table)
        p = block.patients
        latent.append(
            pl.DataFrame(
                {
                    "patient_id": pl.Series(block.patient_ids.to_pylist(), dtype=pl.String),
                    "true_death_day": p.death_day,
                    "advanced_day": p.advanced_day,
                    "is_ntrk": p.is_ntrk,
                    "linear_predictor": p.linear_predictor,
                }
            )
        )
    tables = {name: pa.concat_tables(t) for name, t in parts.items()} | static_tables()
    for name, table in tables.items():
        contract = contracts[f"raw.{name}"]
        cols = ", ".join(f"cast({c.name} as {c.type}) as {c.name}" for c in contract.columns)
        con.register("__incoming", table)
        con.execute(f"create or replace table raw.{name} as select {cols} from __incoming")
        con.unregister("__incoming")
    return pl.concat(latent)


def _cox(frame: pl.DataFrame, arms: ArmSpec) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    out: dict[str, dict[str, float]] = {}
    errors: dict[str, str] = {}
    for name, spec in COX_MODELS.items():
        try:
            r = fit_cox_exposure(frame, spec, arms)
        except (ValueError, ArithmeticError) as exc:  # SurvivalModelError / SurvivalInputError are ValueErrors
            errors[name] = str(exc)[:200]
            continue
        out[name] = {
            "log_hr": r.log_hr,
            "se": r.se,
            "ci_lower": float(np.log(r.hr_ci_lower)),
            "ci_upper": float(np.log(r.hr_ci_upper)),
            "converged": float(r.converged),
        }
    return out, errors


def run_chain(spec: StudySpec, params: DeliveryParameters, *, threads: int = 1) -> ChainOutputs:
    """Generate one delivery in memory and run the estimator chain of the spec's primary analysis on it."""
    con = warehouse.connect(":memory:", threads=threads)
    con.execute("set enable_progress_bar = false")
    try:
        latent = load_in_memory(con, params)
        build_models(con, (*STAGING_MODELS, *INTERMEDIATE_MODELS, "marts.analytic_cohort"), spec, params.data_cut_date)
        cohort = warehouse.read_frame(con, "marts.analytic_cohort")
        axes = warehouse.read_frame(con, "intermediate.cohort_time_axes")
    finally:
        con.close()
    matching = run_matching(cohort, spec)
    primary = spec.analysis("primary")
    frame = analysis_frame(
        primary, spec, cohort=cohort, time_axes=axes, matched=matching.matched_cohort, scores=matching.fit.scores
    )
    arms = ArmSpec(column="arm", exposed=spec.arms.exposed, comparator=spec.arms.comparator)
    km = kaplan_meier_by_arm(frame, arms, km_settings(spec, weighted=False))
    cox, errors = _cox(frame, arms)
    return ChainOutputs(cohort, matching, frame, km, cox, errors, latent)


def true_exit_months(frame: pl.DataFrame, cohort: pl.DataFrame, latent: pl.DataFrame) -> pl.DataFrame:
    """The analysis frame with each patient's true (latent) death time in months from the index date, whether or
    not it fell before the data cut or reached the mortality table: column ``true_exit_months``."""
    index = cohort.select("patient_id", pl.col("index_date").cast(pl.Date).cast(pl.Int64).alias("index_day"))
    return (
        frame.join(index, on="patient_id", how="left")
        .join(latent.select("patient_id", "true_death_day", "linear_predictor"), on="patient_id", how="left")
        .with_columns(((pl.col("true_death_day") - pl.col("index_day")) / DAYS_PER_MONTH).alias("true_exit_months"))
        .drop("index_day", "true_death_day")
    )
