"""What the generator's truth implies for the matched population: the estimands the simulation study judges.

The generator knows every patient's true death time (also after the data cut, also when the death never reached the
mortality table) and the planted hazard model (Weibull proportional hazards, NTRK log HR ``log(hazard_ratio)``
conditional on cancer type, age, ECOG, smoking and de-novo stage). A conditional HR is not collapsible: the
univariate HR of NTRK+ against matched NTRK- differs from the planted one even without confounding, because the
other prognostic factors (ECOG above all, which the published design does not match on) stay in the comparison.
So each model's truth is **the same model fitted to the same matched patients with complete follow-up**: every
matched patient's true death time in months from the index date as the exit, every exit an event (no censoring, no
missed death, no month-precision date), and the analysis's own delayed entry (entry at the first NGS report). It is
the quantity the delayed-entry analysis estimates once censoring is non-informative: the prognostic contrast of the
two arms as matched (the published question: is an NTRK fusion prognostic?). A replicate's complete-data fit
varies with its patients, so the study's truth is the fit to the **pooled** complete data of all replicates
(strata: replicate x matched set for the stratified model), and the medians are the Kaplan-Meier medians of the
pooled complete data per arm.

For reference the potential-outcome HR is computed too: each matched patient's death time under both arms
(``T(a) = T x HR^((a_obs - a) / shape)``, exact under the Weibull PH model without informative entry), the two
records stacked with the same entry (a record whose potential death precedes the entry is dropped: that patient
would not have been sequenced), fitted unstratified. It is the marginal causal HR in the matched population; it
differs from the complete-data truth by the confounding of unmatched prognostic factors (NTRK+ patients are fitter).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.simulation.chain import COX_MODELS, ChainOutputs, true_exit_months
from rwe_cohorts.survival import ArmSpec, CoxSpec, fit_cox_exposure, kaplan_meier_by_arm
from rwe_cohorts.survival.study import km_settings


@dataclass(frozen=True)
class ReplicateTruth:
    """One replicate's complete-data fits and the complete-data rows (for the pooled truth)."""

    log_hr: dict[str, float]
    medians: dict[str, float]
    complete: pl.DataFrame
    potential: pl.DataFrame


def complete_data(out: ChainOutputs) -> pl.DataFrame:
    """The primary analysis frame with each patient's true death as an observed event (entry unchanged)."""
    frame = true_exit_months(out.frame, out.cohort, out.latent)
    return frame.with_columns(pl.col("true_exit_months").alias("exit_months"), pl.lit(True).alias("is_event")).select(
        "patient_id", "arm", "match_set_id", "entry_months", "exit_months", "is_event"
    )


def potential_outcomes(complete: pl.DataFrame, spec: StudySpec, hazard_ratio: float) -> pl.DataFrame:
    """Two records per matched patient, the death time under each arm; records dying before entry dropped."""
    exposed = pl.col("arm") == spec.arms.exposed
    factor = float(hazard_ratio) ** (1.0 / cat.WEIBULL_SHAPE)
    as_exposed = complete.with_columns(
        pl.when(exposed).then(pl.col("exit_months")).otherwise(pl.col("exit_months") / factor).alias("exit_months"),
        pl.lit(spec.arms.exposed).alias("arm"),
    )
    as_comparator = complete.with_columns(
        pl.when(exposed).then(pl.col("exit_months") * factor).otherwise(pl.col("exit_months")).alias("exit_months"),
        pl.lit(spec.arms.comparator).alias("arm"),
    )
    stacked = pl.concat([as_exposed, as_comparator])
    return stacked.filter(pl.col("exit_months") > pl.col("entry_months"))


def fit_truth(complete: pl.DataFrame, spec: StudySpec) -> tuple[dict[str, float], dict[str, float]]:
    """Log HR of every Cox model and the KM median per arm on complete data."""
    arms = ArmSpec(column="arm", exposed=spec.arms.exposed, comparator=spec.arms.comparator)
    log_hr = {name: fit_cox_exposure(complete, model, arms).log_hr for name, model in COX_MODELS.items()}
    km = kaplan_meier_by_arm(complete.with_columns(pl.lit(1.0).alias("weight")), arms, km_settings(spec, False))
    medians = {r["arm"]: float(r["median"]) if r["median"] is not None else np.nan for r in km.summary.to_dicts()}
    return log_hr, medians


def replicate_truth(out: ChainOutputs, spec: StudySpec, hazard_ratio: float = 1.6) -> ReplicateTruth:
    """The complete-data fits of one replicate (its own patients)."""
    complete = complete_data(out)
    log_hr, medians = fit_truth(complete, spec)
    return ReplicateTruth(log_hr, medians, complete, potential_outcomes(complete, spec, hazard_ratio))


def pooled_truth(
    completes: list[pl.DataFrame], potentials: list[pl.DataFrame], spec: StudySpec
) -> tuple[dict[str, float], dict[str, float], float]:
    """The study's truth: the complete-data fits on every replicate's matched patients pooled (matched sets kept
    apart per replicate), the KM medians of the pool, and the pooled potential-outcome log HR."""
    tagged = [
        c.with_columns(pl.format("{}:{}", pl.lit(i), pl.col("match_set_id")).alias("match_set_id"))
        for i, c in enumerate(completes)
    ]
    log_hr, medians = fit_truth(pl.concat(tagged), spec)
    arms = ArmSpec(column="arm", exposed=spec.arms.exposed, comparator=spec.arms.comparator)
    po = fit_cox_exposure(pl.concat(potentials), CoxSpec.unstratified(), arms).log_hr
    return log_hr, medians, po
