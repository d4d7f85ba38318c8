"""Assemble the study report from the marts: spec summary, published comparison, attrition flow, Table 1 before and
after matching, PS overlap and Love plots, KM curves with the numbers at risk, medians / landmarks / RMST, the forest
plot of every hazard ratio, diagnostics, data quality and provenance.

Published numbers from the spec's ``published`` block are shown beside ours, labelled "published". Counts below the
spec's ``privacy.min_cell_count`` are suppressed everywhere, figures included. Stable element ids (``km-plot``,
``at-risk-table``, ``forest-plot``, ``attrition-flow``, ``table-one``, ...) let a browser test find each part.
"""

from __future__ import annotations

import html

import duckdb
import polars as pl

from rwe_cohorts.cohort.models import matched_baseline_characteristics
from rwe_cohorts.core import warehouse
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.matching import love_plot, ps_overlap_plot
from rwe_cohorts.report.formatting import ReportInputs, ReportSection, count_text, frame_to_html, png_img, render_report
from rwe_cohorts.report.plots import attrition_flow_html, forest_plot
from rwe_cohorts.report.published import (
    comparison_frame,
    comparison_html,
    published_hazard_ratios,
    published_median_notes,
    risk_table_html,
)
from rwe_cohorts.report.tables import (
    diagnostics_html,
    hazard_ratio_html,
    landmarks_html,
    quality_html,
    robustness_html,
    spec_summary,
    survival_summary_html,
    table_one_html,
)
from rwe_cohorts.survival import plot_survival_curves

KM_MAX_MONTHS = 36.0


def _maybe(con: duckdb.DuckDBPyConnection, relation: str) -> pl.DataFrame | None:
    return warehouse.read_frame(con, relation) if relation in warehouse.list_tables(con) else None


def _arm_order(frame: pl.DataFrame, spec: StudySpec) -> pl.DataFrame:
    """Rows of the exposed arm first, then the comparator (legend and table order)."""
    rank = pl.when(pl.col("arm") == spec.arms.exposed).then(0).otherwise(1)
    return frame.sort(rank, maintain_order=True)


def km_section(
    spec: StudySpec, km: pl.DataFrame, summary: pl.DataFrame, risk: pl.DataFrame, landmarks: pl.DataFrame
) -> str:
    """The primary KM plot (from ``marts.km_curves``; counts in the figure suppressed) with the at-risk table under
    it (ours beside the published), then medians / RMST for every analysis and the primary's landmarks."""
    mc = spec.privacy.min_cell_count
    primary = summary.filter(pl.col("analysis") == "primary")
    figure = plot_survival_curves(
        km.filter(pl.col("analysis") == "primary"),
        _arm_order(primary, spec),
        risk.filter(pl.col("analysis") == "primary"),
        title=f"Overall survival, primary analysis (95% CI, {spec.survival.conf_type})",
        max_months=KM_MAX_MONTHS,
        count_text=lambda n: count_text(n, mc),
        arm_notes=published_median_notes(spec),
    )
    conventions = str(primary["conventions"][0]) if primary.height else ""
    return (
        png_img(
            figure,
            "Kaplan-Meier curves of overall survival by arm with 95% confidence bands",
            element_id="km-plot",
            caption="Kaplan-Meier estimate per arm with pointwise 95% CI bands (| marks censoring); published "
            "medians in the legend. Numbers at risk below, ours beside the published.",
        )
        + risk_table_html(spec, risk)
        + "<h3>Medians and restricted mean survival time (every analysis)</h3>"
        + survival_summary_html(_arm_order(summary, spec), mc)
        + "<h3>Survival at landmarks (primary analysis)</h3>"
        + landmarks_html(_arm_order(landmarks.filter(pl.col("analysis") == "primary"), spec), mc)
        + f"<p class='muted'>{html.escape(conventions)}</p>"
    )


def balance_section(spec: StudySpec, balance: pl.DataFrame, scores: pl.DataFrame) -> str:
    """PS overlap and Love plots, and the SMD of every PS covariate level before and after matching."""
    mc = spec.privacy.min_cell_count
    threshold = spec.matching.balance_smd_threshold
    exp, comp = spec.arms.exposed, spec.arms.comparator
    table = balance.select(
        "covariate",
        "level",
        pl.col("mean_exposed_before").alias(f"{exp} mean / share"),
        pl.col("mean_control_before").alias(f"{comp} (eligible) mean / share"),
        pl.col("smd_before").alias("SMD before"),
        pl.col("mean_control_after").alias(f"{comp} (matched) mean / share"),
        pl.col("smd_after").alias("SMD after"),
    )
    return (
        png_img(
            ps_overlap_plot(scores, count_text=lambda n: count_text(n, mc)),
            "Propensity score overlap between arms",
            element_id="ps-overlap-plot",
            caption="Propensity score densities by arm over the eligible pool (before matching).",
        )
        + png_img(
            love_plot(balance, threshold=threshold),
            "Love plot of absolute standardized mean differences before and after matching",
            element_id="love-plot",
            caption=f"|SMD| per PS covariate level before (open) and after (filled) matching; threshold {threshold:g}.",
        )
        + frame_to_html(table, table_id="balance-table")
    )


def build_report(
    con: duckdb.DuckDBPyConnection,
    spec: StudySpec,
    *,
    data_cut_id: str,
    provenance: dict[str, str],
    data_docs_href: str | None = None,
) -> str:
    """The report HTML, from the marts in ``con`` (the matched Table 1 aggregates the matched patients' covariates
    with the Table 1 SQL model; no patient row is rendered)."""
    mc = spec.privacy.min_cell_count

    def read(relation: str) -> pl.DataFrame:
        return warehouse.read_frame(con, relation)

    summary, hrs, balance = read("marts.survival_summary"), read("marts.hazard_ratios"), read("marts.covariate_balance")
    table_one = _maybe(con, "marts.baseline_characteristics")
    has_covariates = "intermediate.cohort_covariate_values" in warehouse.list_tables(con)
    table_one_matched = matched_baseline_characteristics(con, spec) if has_covariates else None
    comparison = comparison_frame(
        spec, summary=summary, hazard_ratios=hrs, table_one=table_one, table_one_matched=table_one_matched
    )
    sections = [
        ReportSection("Reproduction vs published", comparison_html(spec, comparison), "comparison"),
        ReportSection(
            f"Attrition (CONSORT flow; counts below {mc} shown as <{mc})",
            attrition_flow_html(read("marts.attrition"), min_cell=mc, arms=(spec.arms.exposed, spec.arms.comparator)),
            "attrition",
        ),
        ReportSection(
            "Table 1: baseline characteristics before and after matching",
            table_one_html(table_one, table_one_matched, spec) if table_one is not None else "<p>not available</p>",
            "baseline",
        ),
        ReportSection(
            "Propensity scores and covariate balance",
            balance_section(spec, balance, read("marts.propensity_scores")),
            "balance",
        ),
        ReportSection(
            "Overall survival",
            km_section(
                spec, read("marts.km_curves"), summary, read("marts.risk_table"), read("marts.survival_landmarks")
            ),
            "survival",
        ),
        ReportSection(
            "Hazard ratios (every analysis and model; Wald, likelihood-ratio and score P)",
            png_img(
                forest_plot(hrs, published=published_hazard_ratios(spec)),
                "Forest plot of the hazard ratios of every analysis and model",
                element_id="forest-plot",
                caption="HR with 95% Wald CI (log scale); published HRs in orange under their analysis.",
            )
            + hazard_ratio_html(hrs, mc),
            "hazard-ratios",
        ),
    ]
    robustness = robustness_html(_maybe(con, "marts.hazard_ratio_robustness"))
    if robustness:
        sections.append(ReportSection("Robustness over random match orders", robustness, "robustness"))
    sections += [
        ReportSection(
            "Diagnostics (PASS / WARN against the stated threshold)",
            diagnostics_html(read("marts.survival_diagnostics"), balance, hrs, spec),
            "diagnostics",
        ),
        ReportSection(
            "Data quality (latest run)",
            quality_html(_maybe(con, "qa.expectation_results"), data_docs_href, data_cut_id),
            "data-quality",
        ),
    ]
    return render_report(
        ReportInputs(
            title=spec.title,
            data_cut_id=data_cut_id,
            spec_summary=spec_summary(spec),
            sections=sections,
            provenance=provenance,
        )
    )
