"""Assemble the study report from the marts: spec summary, published comparison, attrition flow, Table 1 before and
after matching, the PS model's diagnostics, PS overlap and Love plots, balance with its exceptions, KM curves with
the numbers at risk, medians / landmarks / RMST, the forest plot of every hazard ratio, diagnostics, data quality
and provenance.

This module reads the marts and prepares each section's numbers and figures; ``templates/study_report.html.j2``
(a base layout and one template per section) lays them out. Published numbers from the spec's ``published`` block
are shown beside ours, labelled "published". Counts below the spec's ``privacy.min_cell_count`` are suppressed
everywhere, figures included. Stable element ids (``km-plot``, ``at-risk-table``, ``forest-plot``,
``attrition-flow``, ``table-one``, ...) let a browser test find each part. The file is self-contained: inline CSS,
images as data URIs, no scripts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from rwe_cohorts.cohort.models import matched_baseline_characteristics
from rwe_cohorts.core import warehouse
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.ingest.cbioportal import read_source_summary
from rwe_cohorts.report.balance import balance_section
from rwe_cohorts.report.formatting import count_text
from rwe_cohorts.report.plots import forest_plot
from rwe_cohorts.report.published import (
    comparison_frame,
    published_hazard_ratios,
    published_median_notes,
    published_source,
    risk_table,
)
from rwe_cohorts.report.quality import quality_section, study_checks
from rwe_cohorts.report.render import Figure, Section, frame_table, render
from rwe_cohorts.report.tables import (
    attrition_steps,
    conversion_box,
    diagnostics_table,
    hazard_ratio_table,
    landmarks_table,
    robustness_table,
    spec_summary,
    survival_summary_table,
    table_one,
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
) -> dict[str, Any]:
    """The primary KM plot (from ``marts.km_curves``; counts in the figure suppressed) with the at-risk table under
    it (ours beside the published), then medians / RMST for every analysis and the primary's landmarks."""
    mc = spec.privacy.min_cell_count
    primary = summary.filter(pl.col("analysis") == "primary")
    png = plot_survival_curves(
        km.filter(pl.col("analysis") == "primary"),
        _arm_order(primary, spec),
        risk.filter(pl.col("analysis") == "primary"),
        title=f"Overall survival, primary analysis (95% CI, {spec.survival.conf_type})",
        max_months=KM_MAX_MONTHS,
        count_text=lambda n: count_text(n, mc),
        arm_notes=published_median_notes(spec),
    )
    return {
        "km": Figure(
            png,
            "Kaplan-Meier curves of overall survival by arm with 95% confidence bands",
            "km-plot",
            "Kaplan-Meier estimate per arm with pointwise 95% CI bands (| marks censoring); published medians in the "
            "legend. Numbers at risk below, ours beside the published; they can rise after month 0 because patients "
            "enter the risk set at their first NGS report (delayed entry), not at the index.",
        ),
        "risk": risk_table(spec, risk),
        "summary": survival_summary_table(_arm_order(summary, spec), mc),
        "landmarks": landmarks_table(_arm_order(landmarks.filter(pl.col("analysis") == "primary"), spec), mc),
        "conventions": str(primary["conventions"][0]) if primary.height else "",
    }


def build_report(
    con: duckdb.DuckDBPyConnection,
    spec: StudySpec,
    *,
    data_cut_id: str,
    provenance: dict[str, str],
    data_docs_href: str | None = None,
    source: Mapping[str, Any] | None = None,
) -> str:
    """The report HTML, from the marts in ``con`` (the matched Table 1 aggregates the matched patients' covariates
    with the Table 1 SQL model; no patient row is rendered). ``source``: the delivery's conversion summary
    (:func:`rwe_cohorts.ingest.cbioportal.read_source_summary`), whose attrition is the flow's first box."""
    mc = spec.privacy.min_cell_count

    def read(relation: str) -> pl.DataFrame:
        return warehouse.read_frame(con, relation)

    summary, hrs, balance = read("marts.survival_summary"), read("marts.hazard_ratios"), read("marts.covariate_balance")
    before = _maybe(con, "marts.baseline_characteristics")
    has_covariates = "intermediate.cohort_covariate_values" in warehouse.list_tables(con)
    after = matched_baseline_characteristics(con, spec) if has_covariates else None
    comparison = comparison_frame(spec, summary=summary, hazard_ratios=hrs, table_one=before, table_one_matched=after)
    arms = (spec.arms.exposed, spec.arms.comparator)
    sections = [
        Section("Study specification", "study-spec", "study_spec.html.j2", {"summary": spec_summary(spec)}),
        Section(
            "Reproduction vs published",
            "comparison",
            "comparison.html.j2",
            {"table": frame_table(comparison, table_id="published-comparison"), "source": published_source(spec)},
        ),
        Section(
            f"Attrition (CONSORT flow; counts below {mc} shown as <{mc})",
            "attrition",
            "attrition.html.j2",
            {
                "steps": attrition_steps(read("marts.attrition"), min_cell=mc, arms=arms),
                "source": conversion_box(source, min_cell=mc),
            },
        ),
        Section(
            "Table 1: baseline characteristics before and after matching",
            "baseline",
            "baseline.html.j2",
            {"table": table_one(before, after, spec) if before is not None else None, "min_cell": mc},
        ),
        Section(
            "Propensity scores and covariate balance",
            "balance",
            "balance.html.j2",
            balance_section(
                spec,
                balance=balance,
                scores=read("marts.propensity_scores"),
                ps_model=read("marts.ps_model"),
                levels=read("marts.ps_levels"),
                overlap=read("marts.ps_overlap"),
            ),
        ),
        Section(
            "Overall survival",
            "survival",
            "survival.html.j2",
            km_section(
                spec, read("marts.km_curves"), summary, read("marts.risk_table"), read("marts.survival_landmarks")
            ),
        ),
        Section(
            "Hazard ratios (every analysis and model; Wald, likelihood-ratio and score P)",
            "hazard-ratios",
            "hazard_ratios.html.j2",
            {
                "forest": Figure(
                    forest_plot(hrs, published=published_hazard_ratios(spec)),
                    "Forest plot of the hazard ratios of every analysis and model",
                    "forest-plot",
                    "HR with 95% Wald CI (log scale); published HRs in orange under their analysis.",
                ),
                "table": hazard_ratio_table(hrs, mc),
            },
        ),
    ]
    robustness = robustness_table(_maybe(con, "marts.hazard_ratio_robustness"))
    if robustness is not None:
        sections.append(
            Section("Robustness over random match orders", "robustness", "robustness.html.j2", {"table": robustness})
        )
    sections += [
        Section(
            "Diagnostics (PASS / WARN against the stated threshold)",
            "diagnostics",
            "diagnostics.html.j2",
            {"table": diagnostics_table(read("marts.survival_diagnostics"), balance, hrs, spec)},
        ),
        Section(
            "Data quality (latest run)",
            "data-quality",
            "data_quality.html.j2",
            quality_section(
                _maybe(con, "qa.expectation_results"), data_docs_href, data_cut_id, study_checks(con, spec)
            ),
        ),
    ]
    return render(
        "study_report.html.j2",
        title=spec.title,
        data_cut_id=data_cut_id,
        sections=sections,
        provenance=provenance,
    )


def report_provenance(
    con: duckdb.DuckDBPyConnection,
    spec: StudySpec,
    *,
    data_cut_id: str,
    code_version: str,
    packages: dict[str, str],
    delivery_folder: Path,
) -> dict[str, str]:
    """The report's provenance block: data cut, spec hash, input checksums (from ``raw.load_log``), code and package
    versions, and for a delivery converted from cBioPortal, the source study and the time axis that applied."""
    checksums = con.execute("select table_name, file_sha256 from raw.load_log order by 1").fetchall()
    provenance = {
        "data cut": data_cut_id,
        "spec": f"{spec.study_id} (sha256 {spec.spec_hash})",
        "input checksums (sha256, first 12)": ", ".join(f"{t}:{s[:12]}" for t, s in checksums),
        "code version": code_version,
        "packages": ", ".join(f"{k} {v}" for k, v in packages.items()),
    }
    source = read_source_summary(delivery_folder)
    if source:
        provenance["source"] = (
            f"cBioPortal study {source.get('study_id', '?')}, fusion strictness {source.get('fusion_strictness')}"
        )
        provenance["time axis"] = str(source.get("time_axis_statement", ""))
        provenance["age"] = str(source.get("age_statement", ""))
        provenance["cancer type"] = (
            f"OncoTree main type ({source.get('oncotree_version', '?')}), the exact-matching stratum; a patient with "
            "samples of several types is the type of the first sequenced solid-tumour sample"
        )
    return provenance


def write_report(
    con: duckdb.DuckDBPyConnection,
    spec: StudySpec,
    out: Path,
    *,
    data_cut_id: str,
    provenance: dict[str, str],
    data_docs: Path | None = None,
    source: Mapping[str, Any] | None = None,
) -> int:
    """Build the report and write it to ``out`` whole or not at all (a temporary file beside it, then an atomic
    rename); the Data Docs are linked relative to ``out`` when they exist. Returns the size in characters."""
    href = os.path.relpath(data_docs, out.parent) if data_docs is not None and data_docs.exists() else None
    html = build_report(con, spec, data_cut_id=data_cut_id, provenance=provenance, data_docs_href=href, source=source)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(html)
    tmp.replace(out)
    return len(html)
