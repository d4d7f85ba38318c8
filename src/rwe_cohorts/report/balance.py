"""The report's propensity-score and balance section: the PS model's diagnostics (estimator, convergence,
c-statistic, equipoise, effective sample sizes, merged and separated levels), the PS overlap and Love plots, the
balance table with variance ratios and the balance test, and every balance exception with its reason.

Numbers come from ``marts.ps_model``, ``marts.ps_levels``, ``marts.ps_overlap``, ``marts.covariate_balance`` and
``marts.propensity_scores`` (the overlap plot's densities); counts go through small-cell suppression.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from rwe_cohorts.core.spec import PsModel, StudySpec
from rwe_cohorts.matching import love_plot, ps_overlap_plot
from rwe_cohorts.matching.diagnostics import balance_exceptions
from rwe_cohorts.report.formatting import count_text, fmt
from rwe_cohorts.report.render import Figure, frame_table


def ps_model_statement(m: PsModel, exact: tuple[str, ...]) -> str:
    """The PS estimator in one line, from the spec (the report's spec summary)."""
    if m.penalty == "l2" and m.penalty_lambda is not None:
        penalty = (
            f"ridge (L2) penalty lambda = {m.penalty_lambda:g}, i.e. a normal prior with SD "
            f"{m.penalty_lambda**-0.5:.2g} on each log odds ratio; intercept "
            f"{'penalised' if m.penalize_intercept else 'not penalised'}"
        )
    else:
        penalty = "unpenalised maximum likelihood (Wald standard errors)"
    scale = {
        "continuous": "continuous covariates centred and scaled to SD 1 before the penalty, level indicators 0/1",
        "all": "every column centred and scaled to SD 1 before the penalty",
        "none": "covariates in their own units",
    }[m.standardize]
    strata = (
        f"exact-matching variables ({', '.join(exact)}) in the model as categorical terms"
        if m.include_exact and exact
        else "exact-matching variables not in the model"
    )
    return (
        f"logistic regression, {penalty}; {scale}; {strata}; levels with fewer than {m.min_level_patients} "
        "patients merged into the covariate's most frequent level"
    )


def _levels_text(levels: pl.DataFrame, min_cell: int) -> str:
    merged = levels.filter("is_merged")
    return "; ".join(
        f"{r['covariate']}[{r['level']}] ({count_text(r['n'], min_cell)} patients, "
        f"{count_text(r['n_exposed'], min_cell)} exposed) -> {r['covariate']}[{r['coded_as']}]"
        for r in merged.to_dicts()
    )


def ps_diagnostics(
    spec: StudySpec, ps_model: pl.DataFrame, levels: pl.DataFrame, overlap: pl.DataFrame
) -> dict[str, str]:
    """The PS model's diagnostics as label -> text (``marts.ps_model`` repeats them on every term row)."""
    mc = spec.privacy.min_cell_count
    fit = ps_model.row(0, named=True)
    arm = {True: spec.arms.exposed, False: spec.arms.comparator}
    by_arm = {bool(r["is_exposed"]): r for r in overlap.to_dicts()}

    def ess(column: str, n_column: str) -> str:
        return "; ".join(
            f"{arm[e]} {fmt(by_arm[e][column], 1)} of {count_text(by_arm[e][n_column], mc)}"
            for e in (True, False)
            if e in by_arm
        )

    return {
        "estimator": str(fit["method"]),
        "converged": "yes" if fit["converged"] else "no",
        "c-statistic": f"{fit['c_statistic']:.3f} (area under the ROC curve of the PS; 0.5 = no discrimination)",
        "equipoise": f"{fit['share_equipoise']:.1%} of all patients with preference score in 0.3-0.7 "
        "(Walker 2013; CohortMethod computeEquipoise)",
        "effective sample size, ATT weights (eligible pool)": ess("ess_att", "n")
        + " (Kish (sum w)^2 / sum w^2; exposed 1, comparator ps / (1 - ps))",
        "effective sample size, matched cohort": ess("ess_matched", "n_matched")
        + " (Kish, matching weights: 1 / comparators in the set)",
        "merged sparse levels": _levels_text(levels, mc) or "none",
        "coding notes": str(fit["notes"]) or "none",
        "warnings": str(fit["warnings"]) or "none",
    }


def balance_section(
    spec: StudySpec,
    *,
    balance: pl.DataFrame,
    scores: pl.DataFrame,
    ps_model: pl.DataFrame,
    levels: pl.DataFrame,
    overlap: pl.DataFrame,
) -> dict[str, Any]:
    """The section's data: PS diagnostics, overlap and Love plots, the balance table and the exceptions."""
    mc = spec.privacy.min_cell_count
    m = spec.matching
    exp, comp = spec.arms.exposed, spec.arms.comparator
    table = balance.select(
        "covariate",
        "level",
        pl.col("mean_exposed_before").alias(f"{exp} mean / share"),
        pl.col("mean_control_before").alias(f"{comp} (eligible) mean / share"),
        pl.col("smd_before").alias("SMD before"),
        pl.col("mean_control_after").alias(f"{comp} (matched) mean / share"),
        pl.col("smd_after").alias("SMD after"),
        pl.col("variance_ratio_after").alias("variance ratio after"),
        pl.col("smd_se_after").alias("SE of SMD after"),
        pl.col("balance_after").alias("balance after"),
    )
    exceptions = balance_exceptions(balance, m.balance_smd_threshold, m.balance_alpha)
    test = (
        f"an |SMD| above {m.balance_smd_threshold:g} is an imbalance when significantly above it at family-wise "
        f"alpha {m.balance_alpha:g} (Bonferroni over the rows; Hripcsak et al. 2025, as CohortMethod), otherwise "
        "within chance"
        if m.balance_alpha is not None
        else f"every |SMD| above {m.balance_smd_threshold:g} is an imbalance (no balance test)"
    )
    return {
        "diagnostics": ps_diagnostics(spec, ps_model, levels, overlap),
        "overlap": Figure(
            ps_overlap_plot(scores, count_text=lambda n: count_text(n, mc)),
            "Propensity score overlap between arms",
            "ps-overlap-plot",
            "Propensity score densities by arm over the eligible pool (before matching).",
        ),
        "love": Figure(
            love_plot(balance, threshold=m.balance_smd_threshold),
            "Love plot of absolute standardized mean differences before and after matching",
            "love-plot",
            f"|SMD| per PS covariate level before (open) and after (filled) matching; threshold "
            f"{m.balance_smd_threshold:g}.",
        ),
        "table": frame_table(table, table_id="balance-table"),
        "test": f"Variance ratio = s1^2 / s0^2 (continuous covariates; 0.5-2 is usually read as acceptable). SE of "
        "an SMD d with n1 exposed and n0 comparators = sqrt((n1 + n0) / (n1 n0) + d^2 / (2 (n1 + n0 - 2))); "
        f"{test}.",
        "exceptions": exceptions.details,
        "threshold": f"{m.balance_smd_threshold:g}",
    }
