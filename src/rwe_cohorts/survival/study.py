"""The study's survival analyses: each analysis in the spec becomes rows of the survival marts.

Populations (``analysis.population``):
- ``matched``: the primary matched cohort;
- ``matched_caliper``: re-matched with ``analysis.caliper_sd`` (SD of the logit PS) on the same PS model;
- ``eligible_iptw``: every eligible patient, ATT weights (exposed 1, comparator PS / (1 - PS)).

Time axis (``analysis.index`` / ``analysis.delayed_entry``): index = advanced diagnosis or start of the last line
started on or before the first NGS report (patients without such a line are left out of that analysis and counted);
delayed entry at the first report, or entry forced to 0 to show the immortal-time bias it causes.

Diagnostics (proportional hazards, entry-time dependence, conditional Kendall's tau) run on every matched-population
analysis; a diagnostic that does not pass is named in the ``warnings`` column of that analysis's hazard-ratio rows,
together with a Cox fit that did not converge. (Not run for IPTW: the tests are unweighted.)

Cox models per analysis: matched populations get the unstratified model (as published), the model stratified on
matched set (conditional) and the cluster-robust model (by matched set); IPTW gets the weighted model with robust
(per-patient) variance. A model that cannot be estimated (e.g. no events in an arm) is recorded with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from lifelines import CoxPHFitter

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.spec import Analysis, StudySpec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.matching.study import cohort_matcher, match_cohort, matched_cohort_frame
from rwe_cohorts.survival import (
    ArmSpec,
    CoxSpec,
    KaplanMeierAnalysis,
    KaplanMeierSettings,
    SurvivalInputError,
    SurvivalModelError,
    conditional_kendall_tau,
    entry_time_cox,
    fit_cox_exposure,
    kaplan_meier_by_arm,
    proportional_hazards_test,
)

TIME_COLUMNS = ("patient_id", "entry_months", "exit_months", "is_event")


@dataclass(frozen=True)
class SurvivalOutputs:
    km_curves: pl.DataFrame
    risk_table: pl.DataFrame
    survival_summary: pl.DataFrame
    survival_landmarks: pl.DataFrame
    hazard_ratios: pl.DataFrame
    diagnostics: pl.DataFrame
    primary_km: KaplanMeierAnalysis


def analysis_base(
    analysis: Analysis, *, cohort: pl.DataFrame, time_axes: pl.DataFrame, scores: pl.DataFrame
) -> pl.DataFrame:
    """Every cohort patient with a contributing time axis for the analysis's index: patient_id, arm, is_exposed,
    entry_months, exit_months, is_event, ps (null without a score)."""
    axis = time_axes.filter(pl.col("index_rule") == analysis.index, pl.col("is_contributor")).select(TIME_COLUMNS)
    return (
        cohort.select("patient_id", "arm", "is_exposed")
        .join(axis, on="patient_id", how="inner")
        .join(scores.select("patient_id", "ps"), on="patient_id", how="left")
    )


def _finish(frame: pl.DataFrame, analysis: Analysis) -> pl.DataFrame:
    """Entry forced to 0 without delayed entry; weight (ATT for IPTW, else 1); rows sorted by patient."""
    if not analysis.delayed_entry:
        frame = frame.with_columns(pl.lit(0.0).alias("entry_months"))
    weight = (
        pl.when(pl.col("is_exposed")).then(1.0).otherwise(pl.col("ps") / (1.0 - pl.col("ps")))
        if analysis.population == "eligible_iptw"
        else pl.lit(1.0)
    )
    return frame.with_columns(weight.alias("weight")).sort("patient_id")


def analysis_frame(
    analysis: Analysis,
    spec: StudySpec,
    *,
    cohort: pl.DataFrame,
    time_axes: pl.DataFrame,
    matched: pl.DataFrame,
    scores: pl.DataFrame,
) -> pl.DataFrame:
    """Rows for one analysis: arm, is_exposed, match_set_id, weight, entry_months, exit_months, is_event."""
    if analysis.population == "matched":
        members = matched.select("patient_id", "match_set_id")
    elif analysis.population == "matched_caliper":
        result = match_cohort(cohort, spec, scores=scores, caliper_sd=analysis.caliper_sd)
        members = matched_cohort_frame(cohort, scores, result).select("patient_id", "match_set_id")
    else:
        members = cohort.select("patient_id", pl.col("patient_id").alias("match_set_id"))
    base = analysis_base(analysis, cohort=cohort, time_axes=time_axes, scores=scores)
    return _finish(members.join(base, on="patient_id", how="inner"), analysis)


def _cox_models(analysis: Analysis) -> list[tuple[str, CoxSpec]]:
    if analysis.population == "eligible_iptw":
        return [("weighted_robust", CoxSpec.weighted("weight"))]
    return [
        ("unstratified", CoxSpec.unstratified()),
        ("stratified_matched_set", CoxSpec.stratified("match_set_id")),
        ("cluster_robust_matched_set", CoxSpec.cluster_robust("match_set_id")),
    ]


CROSS_CHECK_TOLERANCE = 0.01  # relative HR difference between our Efron fit and lifelines before a warning


def lifelines_hr(frame: pl.DataFrame, arms: ArmSpec) -> float:
    """The unstratified HR from lifelines ``CoxPHFitter`` (Efron ties, ``entry_col``): a second implementation run
    beside ours on every analysis. lifelines counts a subject entering exactly at an event time as at risk (entry <= t),
    R and our fitter do not (entry < t), so the two can differ slightly when entry and death fall on the same day."""
    data = frame.select(
        pl.col("entry_months"),
        pl.col("exit_months"),
        pl.col("is_event").cast(pl.Int8),
        (pl.col(arms.column) == arms.exposed_label).cast(pl.Float64).alias("exposed"),
    ).to_pandas()
    fitter = CoxPHFitter()
    fitter.fit(data, duration_col="exit_months", event_col="is_event", entry_col="entry_months")
    return float(np.exp(fitter.params_["exposed"]))


def _cox_rows(
    analysis: Analysis, frame: pl.DataFrame, arms: ArmSpec, diagnostic_warnings: Sequence[str]
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for model, cox_spec in _cox_models(analysis):
        base: dict[str, object] = {"analysis": analysis.id, "model": model, "description": analysis.description}
        try:
            result = fit_cox_exposure(frame, cox_spec, arms)
            estimate = result.to_frame().drop("analysis").row(0, named=True)
            notes = [*diagnostic_warnings, *([] if result.converged else ["Cox fit did not converge"])]
            check = lifelines_hr(frame, arms) if model == "unstratified" else None
            if check is not None and abs(check / result.hr - 1.0) > CROSS_CHECK_TOLERANCE:
                notes.append(f"lifelines HR {check:.4f} differs from ours by more than {CROSS_CHECK_TOLERANCE:.0%}")
            rows.append(
                {
                    **base,
                    "status": "estimated",
                    "reason": None,
                    **estimate,
                    "hr_lifelines": check,
                    "warnings": "; ".join(notes),
                }
            )
        except (SurvivalModelError, SurvivalInputError, ValueError) as exc:
            rows.append({**base, "status": "not_estimable", "reason": str(exc)[:300], "warnings": ""})
    return rows


def _diagnostics(frame: pl.DataFrame, arms: ArmSpec, analysis_id: str, delayed_entry: bool) -> list[dict[str, object]]:
    """PH test always; the entry diagnostics only when entry is delayed (with entry forced to 0 they are void)."""
    rows: list[dict[str, object]] = []
    checks: list[tuple[str, Callable[[], Any]]] = [
        ("proportional_hazards", lambda: proportional_hazards_test(frame, arms=arms)),
    ]
    if delayed_entry:
        checks += [
            ("entry_time_hazard", lambda: entry_time_cox(frame, arms=arms)),
            ("conditional_kendall_tau", lambda: conditional_kendall_tau(frame)),
        ]
    for name, run in checks:
        try:
            r = run()
        except (SurvivalModelError, SurvivalInputError, ValueError, ArithmeticError) as exc:
            rows.append(
                {"analysis": analysis_id, "diagnostic": name, "status": "not_estimable", "description": str(exc)[:300]}
            )
            continue
        statistic = getattr(r, "chisq", None)
        if statistic is None:
            statistic = getattr(r, "hr_per_month", None)
        if statistic is None:
            statistic = getattr(r, "tau", None)
        rows.append(
            {
                "analysis": analysis_id,
                "diagnostic": name,
                "statistic": float(statistic) if statistic is not None else None,
                "p_value": float(r.p_value),
                "threshold_p": float(r.threshold_p),
                "status": r.status,
                "description": r.description,
            }
        )
    return rows


def km_settings(spec: StudySpec, weighted: bool) -> KaplanMeierSettings:
    s = spec.survival
    return KaplanMeierSettings(
        conf_type=s.conf_type,
        landmarks_months=tuple(float(t) for t in s.landmarks_months),
        risk_table_months=tuple(float(t) for t in s.risk_table_months),
        rmst_tau_months=s.rmst_tau_months,
        weight_col="weight" if weighted else None,
    )


def _tag(frame: pl.DataFrame, analysis_id: str) -> pl.DataFrame:
    return frame.select(pl.lit(analysis_id).alias("analysis"), *frame.columns)


def _with_contract_columns(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Add the contract's columns a frame lacks, as nulls: when no model could be estimated (a cohort too small, say)
    the rows say why (status not_estimable, reason) and every estimate column is null."""
    missing = [c for c in contract.column_names if c not in frame.columns]
    return frame.with_columns(pl.lit(None).alias(c) for c in missing) if missing else frame


def run_survival(
    spec: StudySpec,
    *,
    cohort: pl.DataFrame,
    time_axes: pl.DataFrame,
    matched: pl.DataFrame,
    scores: pl.DataFrame,
    analyses: Sequence[Analysis] | None = None,
) -> SurvivalOutputs:
    """Every analysis of the spec: KM per arm, Cox variants, diagnostics on the primary analysis."""
    arms = ArmSpec(column="arm", exposed=spec.arms.exposed, comparator=spec.arms.comparator)
    curves, risks, summaries, landmarks, hrs, diags = [], [], [], [], [], []
    primary_km: KaplanMeierAnalysis | None = None
    for analysis in analyses or spec.analyses:
        frame = analysis_frame(analysis, spec, cohort=cohort, time_axes=time_axes, matched=matched, scores=scores)
        weighted = analysis.population == "eligible_iptw"
        km = kaplan_meier_by_arm(frame, arms, km_settings(spec, weighted))
        if analysis.id == "primary":
            primary_km = km
        found = [] if weighted else _diagnostics(frame, arms, analysis.id, analysis.delayed_entry)
        diags.extend(found)
        warned = [f"{d['diagnostic']}: {d['status']}" for d in found if d["status"] != "pass"]
        curves.append(_tag(km.curves, analysis.id))
        risks.append(_tag(km.at_risk, analysis.id))
        diff = km.rmst_difference
        summaries.append(
            _tag(km.summary, analysis.id).with_columns(
                pl.lit(diff.difference).alias("rmst_difference"),
                pl.lit(diff.ci_lower).alias("rmst_difference_ci_lower"),
                pl.lit(diff.ci_upper).alias("rmst_difference_ci_upper"),
                pl.lit(km.conventions).alias("conventions"),
            )
        )
        landmarks.append(_tag(km.landmarks, analysis.id))
        hrs.extend(_cox_rows(analysis, frame, arms, warned))
    if primary_km is None:
        raise ValueError("the spec has no 'primary' analysis")
    marts = load_contracts(CONTRACTS_ROOT, "marts")  # parsed once per stage, not once per table
    return SurvivalOutputs(
        km_curves=pl.concat(curves, how="vertical_relaxed"),
        risk_table=pl.concat(risks, how="vertical_relaxed"),
        survival_summary=pl.concat(summaries, how="vertical_relaxed"),
        survival_landmarks=pl.concat(landmarks, how="vertical_relaxed"),
        hazard_ratios=_with_contract_columns(pl.DataFrame(hrs, infer_schema_length=None), marts["marts.hazard_ratios"]),
        diagnostics=_with_contract_columns(
            pl.DataFrame(diags, infer_schema_length=None), marts["marts.survival_diagnostics"]
        ),
        primary_km=primary_km,
    )


def robustness_over_match_orders(
    spec: StudySpec, *, cohort: pl.DataFrame, time_axes: pl.DataFrame, scores: pl.DataFrame, n_orders: int, seed: int
) -> pl.DataFrame:
    """The primary unstratified HR over ``n_orders`` random exposed processing orders (seeds seed, seed+1, ...).

    Each order's frame is what :func:`analysis_frame` builds from that order's matched cohort; the matcher and the
    per-patient analysis rows are prepared once and each order only gathers its matched rows (no joins per order).
    """
    primary = spec.analysis("primary")
    arms = ArmSpec(column="arm", exposed=spec.arms.exposed, comparator=spec.arms.comparator)
    matcher = cohort_matcher(cohort, spec, scores=scores)
    ids = matcher.base.select("patient_id")
    base = analysis_base(primary, cohort=cohort, time_axes=time_axes, scores=scores)
    aligned = ids.join(
        base.with_columns(pl.lit(True).alias("__in")), on="patient_id", how="left", maintain_order="left"
    )
    columns = ["patient_id", "match_set_id", *base.columns[1:]]
    rows: list[dict[str, object]] = []
    for i in range(n_orders):
        found = matcher.matched_rows(shuffle_seed=seed + i)
        heads = found.matched_exposed
        members = pl.Series(np.concatenate([heads, found.control_row]))
        sets = pl.Series(np.concatenate([heads, found.exposed_row]))
        frame = (
            aligned[members]
            .with_columns(ids["patient_id"].gather(sets).alias("match_set_id"))
            .filter(pl.col("__in"))
            .select(columns)
        )
        frame = _finish(frame, primary)
        try:
            r = fit_cox_exposure(frame, CoxSpec.unstratified(), arms)
            rows.append({"match_order": i, "seed": seed + i, "hr": r.hr, "p_lr": r.p_lr, "n": frame.height})
        except (SurvivalModelError, SurvivalInputError):
            rows.append({"match_order": i, "seed": seed + i, "hr": None, "p_lr": None, "n": frame.height})
    schema = {"match_order": pl.Int64, "seed": pl.Int64, "hr": pl.Float64, "p_lr": pl.Float64, "n": pl.Int64}
    return pl.DataFrame(rows, schema=schema)
