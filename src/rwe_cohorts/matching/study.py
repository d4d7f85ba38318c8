"""The study's matching step: propensity model over the eligible pool, 1:k matching, balance and overlap.

Everything comes from the study spec's ``matching`` block (exact strata, PS covariates, ratio, caliper, replacement,
processing order, penalty, balance threshold). Booleans used as categorical PS covariates are coded ``yes`` / ``no``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.matching import (
    GreedyMatcher,
    MatchResult,
    PropensityFit,
    covariate_balance,
    fit_propensity,
    ps_overlap_summary,
)


@dataclass(frozen=True)
class MatchingOutputs:
    fit: PropensityFit
    result: MatchResult
    matched_cohort: pl.DataFrame
    balance: pl.DataFrame
    overlap: pl.DataFrame
    max_abs_smd_after: float
    imbalanced: tuple[str, ...]


def ps_covariates(spec: StudySpec) -> tuple[list[str], list[str]]:
    """(categorical, continuous) PS covariates in spec order."""
    cov = spec.matching.ps_covariates
    return [c.name for c in cov if c.kind == "categorical"], [c.name for c in cov if c.kind == "continuous"]


def ps_frame(cohort: pl.DataFrame, spec: StudySpec) -> pl.DataFrame:
    """The analytic cohort restricted to the PS columns, booleans coded as categorical levels."""
    categorical, continuous = ps_covariates(spec)
    cols = ["patient_id", "is_exposed", *spec.matching.exact, *categorical, *continuous]
    frame = cohort.select(list(dict.fromkeys(cols)))
    casts = [
        pl.when(pl.col(c)).then(pl.lit("yes")).otherwise(pl.lit("no")).alias(c)
        for c in categorical
        if frame.schema[c] == pl.Boolean
    ]
    casts += [pl.col(c).cast(pl.Float64) for c in continuous]
    return frame.with_columns(casts)


def cohort_matcher(
    cohort: pl.DataFrame, spec: StudySpec, *, scores: pl.DataFrame, caliper_sd: float | None = None
) -> GreedyMatcher:
    """The spec's matcher over the cohort's stored scores (patient_id, is_exposed, ps, logit_ps), prepared once for
    any processing order; ``caliper_sd`` overrides the spec's. Its input rows: the cohort's rows that have a score."""
    m = spec.matching
    scored = ps_frame(cohort, spec).select("patient_id", *m.exact).join(scores, on="patient_id", how="inner")
    return GreedyMatcher(
        scored,
        exact=list(m.exact),
        score_col="logit_ps",
        ratio=m.ratio,
        caliper_sd=caliper_sd if caliper_sd is not None else m.caliper_sd,
        replace=m.replace,
    )


def match_cohort(
    cohort: pl.DataFrame,
    spec: StudySpec,
    *,
    scores: pl.DataFrame,
    caliper_sd: float | None = None,
    shuffle_seed: int | None = None,
) -> MatchResult:
    """Match on stored scores (patient_id, is_exposed, ps, logit_ps); ``caliper_sd`` overrides the spec's."""
    matcher = cohort_matcher(cohort, spec, scores=scores, caliper_sd=caliper_sd)
    order = spec.matching.order if shuffle_seed is None else "largest"
    return matcher.match(order=order, shuffle_seed=shuffle_seed)


def fit_ps(cohort: pl.DataFrame, spec: StudySpec) -> PropensityFit:
    """The propensity model over the eligible pool, covariates and penalty from the spec."""
    categorical, continuous = ps_covariates(spec)
    return fit_propensity(
        ps_frame(cohort, spec), categorical=categorical, continuous=continuous, penalty=spec.matching.ps_penalty
    )


def matched_cohort_frame(cohort: pl.DataFrame, scores: pl.DataFrame, result: MatchResult) -> pl.DataFrame:
    """marts.matched_cohort: patient, arm, matched set, PS, logit PS, round, distance to its exposed patient."""
    return (
        result.matched.select("patient_id", "match_set_id", "match_round", "distance")
        .join(scores.select("patient_id", "ps", "logit_ps"), on="patient_id", how="left")
        .join(cohort.select("patient_id", "arm", "is_exposed", "cancer_type"), on="patient_id", how="left")
        .select(
            "patient_id",
            "arm",
            "is_exposed",
            "cancer_type",
            "match_set_id",
            "ps",
            "logit_ps",
            "match_round",
            "distance",
        )
        .sort("match_set_id", "match_round", "patient_id")
    )


def run_matching(cohort: pl.DataFrame, spec: StudySpec) -> MatchingOutputs:
    """PS model, matching, balance before/after and PS overlap, as the spec says."""
    fit = fit_ps(cohort, spec)
    result = match_cohort(cohort, spec, scores=fit.scores)
    matched = matched_cohort_frame(cohort, fit.scores, result)
    categorical, continuous = ps_covariates(spec)
    before = ps_frame(cohort, spec)
    after = before.join(matched.select("patient_id"), on="patient_id", how="semi")
    balance = covariate_balance(before, after, categorical=categorical, continuous=continuous)
    threshold = spec.matching.balance_smd_threshold
    smd_after = balance["smd_after"].abs()
    max_smd = float(smd_after.max()) if balance.height else 0.0  # type: ignore[arg-type]
    bad = balance.filter(pl.col("smd_after").abs() > threshold)
    imbalanced = tuple(f"{r['covariate']}={r['level']}" if r["level"] else r["covariate"] for r in bad.to_dicts())
    overlap = ps_overlap_summary(fit.scores)
    return MatchingOutputs(fit, result, matched, balance, overlap, max_smd, imbalanced)


def ps_model_frame(fit: PropensityFit, spec: StudySpec) -> pl.DataFrame:
    """marts.ps_model: coefficients plus fit statistics repeated on every row (one table, one grain: term)."""
    return fit.coefficients.with_columns(
        pl.lit(fit.c_statistic).alias("c_statistic"),
        pl.lit(fit.n).alias("n"),
        pl.lit(fit.n_exposed).alias("n_exposed"),
        pl.lit(fit.converged).alias("converged"),
        pl.lit(fit.method).alias("method"),
        pl.lit("; ".join(fit.warnings)).alias("warnings"),
        pl.lit(spec.spec_hash).alias("spec_hash"),
    )
