"""Assemble the study report from the marts: design, attrition, balance, survival, hazard ratios, diagnostics, QA.

Published numbers from the spec's ``published`` block are shown beside ours, labelled "published". Counts below the
spec's ``privacy.min_cell_count`` are suppressed.
"""

from __future__ import annotations

import duckdb
import polars as pl

from rwe_cohorts import warehouse
from rwe_cohorts.matching import love_plot, ps_overlap_plot
from rwe_cohorts.report import ReportInputs, ReportSection, frame_to_html, png_img, render_report, suppress
from rwe_cohorts.report_plots import attrition_flow_html, forest_plot
from rwe_cohorts.spec import StudySpec
from rwe_cohorts.study_survival import run_survival
from rwe_cohorts.survival import plot_kaplan_meier


def _published(spec: StudySpec) -> dict[str, object]:
    return dict(spec.published.model_extra or {}) if spec.published else {}


def _comparison(spec: StudySpec, summary: pl.DataFrame, hrs: pl.DataFrame) -> pl.DataFrame:
    pub = _published(spec)
    rows: list[dict[str, object]] = []
    med = pub.get("median_os_months") or {}
    ci = pub.get("median_os_ci_months") or {}
    prim = summary.filter(pl.col("analysis") == "primary")
    for arm_key, label in (("exposed", spec.arms.exposed), ("comparator", spec.arms.comparator)):
        ours = prim.filter(pl.col("arm") == label).to_dicts()
        o = ours[0] if ours else {}
        pub_ci = ci.get(arm_key) if isinstance(ci, dict) else None
        rows.append(
            {
                "quantity": f"median OS, months ({label})",
                "reproduction": f"{o.get('median', float('nan')):.1f} "
                f"({o.get('median_ci_lower', float('nan')):.1f}-{o.get('median_ci_upper', float('nan')):.1f})",
                "published": f"{med.get(arm_key)} ({pub_ci[0]}-{pub_ci[1]})"
                if isinstance(med, dict) and pub_ci
                else "-",
            }
        )
    for analysis, pub_key in (("primary", "hazard_ratio"), ("index_last_line", "hazard_ratio_index_last_line")):
        h = hrs.filter((pl.col("analysis") == analysis) & (pl.col("model") == "unstratified")).to_dicts()
        p = pub.get(pub_key)
        if not h or h[0].get("hr") is None:
            continue
        r = h[0]
        rows.append(
            {
                "quantity": f"HR {spec.arms.exposed} vs {spec.arms.comparator} ({analysis})",
                "reproduction": f"{r['hr']:.3f} ({r['hr_ci_lower']:.3f}-{r['hr_ci_upper']:.3f}); "
                f"P Wald {r['p_wald']:.4f}, LR {r['p_lr']:.4f}, score {r['p_score']:.4f}",
                "published": f"{p['estimate']} ({p['ci_lower']}-{p['ci_upper']}), P = {p['p_value']}"
                if isinstance(p, dict)
                else "-",
            }
        )
    return pl.DataFrame(rows)


def _risk_comparison(spec: StudySpec, risk: pl.DataFrame) -> pl.DataFrame:
    """Our numbers at risk (small counts suppressed) beside the published ones (public figures, shown as printed)."""
    pub = _published(spec)
    mc = spec.privacy.min_cell_count
    prim = risk.filter(pl.col("analysis") == "primary")
    months = [float(m) for m in spec.survival.risk_table_months]
    rows = []
    for arm_key, label in (("exposed", spec.arms.exposed), ("comparator", spec.arms.comparator)):
        ours = dict(prim.filter(pl.col("arm") == label).select("time_months", "n_at_risk").iter_rows())
        rows.append({"arm": f"{label} (reproduction)", **{f"{m:g}": suppress(ours.get(m), mc) for m in months}})
        published = pub.get(f"at_risk_{arm_key}")
        if isinstance(published, list) and pub.get("at_risk_months") == [int(m) for m in months]:
            rows.append(
                {"arm": f"{label} (published)", **{f"{m:g}": str(v) for m, v in zip(months, published, strict=True)}}
            )
    return pl.DataFrame(rows)


def _table_one(table: pl.DataFrame, min_cell: int) -> pl.DataFrame:
    """Table 1 for display: n (%) for levels, median [IQR] for continuous rows, small counts suppressed."""
    rows = []
    for r in table.sort("row_order").to_dicts():
        cells = {"covariate": r["covariate"], "level": r["level"] or ""}
        for arm in ("exposed", "comparator"):
            label = r[f"{arm}_arm"]
            n = int(r[f"n_{arm}"])
            if r["kind"] == "continuous":
                med = r[f"median_{arm}"]
                cells[label] = "-" if med is None else f"{med:.1f} [{r[f'q1_{arm}']:.1f}-{r[f'q3_{arm}']:.1f}]"
            elif r["kind"] == "count":
                cells[label] = suppress(n, min_cell)
            else:
                pct = r[f"pct_{arm}"]
                shown = suppress(n, min_cell)
                cells[label] = shown if shown.startswith("<") or pct is None else f"{n} ({pct:.1f}%)"
        cells["SMD"] = "-" if r["smd"] is None else f"{r['smd']:.3f}"
        rows.append(cells)
    return pl.DataFrame(rows)


def _maybe(con: duckdb.DuckDBPyConnection, relation: str) -> pl.DataFrame | None:
    return warehouse.read_frame(con, relation) if relation in warehouse.list_tables(con) else None


def _status_html(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("status").str.to_uppercase())


def build_report(
    con: duckdb.DuckDBPyConnection,
    spec: StudySpec,
    *,
    data_cut_id: str,
    provenance: dict[str, str],
    data_docs_href: str | None = None,
) -> str:
    """The report HTML, from the marts in ``con``."""
    mc = spec.privacy.min_cell_count
    attrition = warehouse.read_frame(con, "marts.attrition")
    balance = warehouse.read_frame(con, "marts.covariate_balance")
    scores = warehouse.read_frame(con, "marts.propensity_scores")
    summary = warehouse.read_frame(con, "marts.survival_summary")
    hrs = warehouse.read_frame(con, "marts.hazard_ratios")
    risk = warehouse.read_frame(con, "marts.risk_table")
    diags = warehouse.read_frame(con, "marts.survival_diagnostics")
    robust = _maybe(con, "marts.hazard_ratio_robustness")
    qa = _maybe(con, "qa.expectation_results")
    table_one = _maybe(con, "marts.baseline_characteristics")
    primary = run_survival(
        spec,
        cohort=warehouse.read_frame(con, "marts.analytic_cohort"),
        time_axes=warehouse.read_frame(con, "intermediate.cohort_time_axes"),
        matched=warehouse.read_frame(con, "marts.matched_cohort"),
        scores=scores,
        analyses=[spec.analysis("primary")],
    ).primary_km
    landmarks = warehouse.read_frame(con, "marts.survival_landmarks").filter(pl.col("analysis") == "primary")
    published_hr = _published(spec).get("hazard_ratio")
    reference_hr = float(published_hr["estimate"]) if isinstance(published_hr, dict) else None
    sections = [
        ReportSection(
            "Reproduction vs published",
            frame_to_html(_comparison(spec, summary, hrs))
            + frame_to_html(_risk_comparison(spec, risk), count_columns=(), min_cell=mc),
        ),
        ReportSection(f"Attrition (counts below {mc} shown as <{mc})", attrition_flow_html(attrition, min_cell=mc)),
        ReportSection(
            "Table 1: exposed vs all eligible comparators (n (%), median [IQR], SMD)",
            frame_to_html(_table_one(table_one, mc)) if table_one is not None else "<p>not available</p>",
        ),
        ReportSection(
            "Covariate balance before and after matching (standardized mean differences)",
            frame_to_html(
                balance.select(
                    "covariate",
                    "level",
                    "mean_exposed_before",
                    "mean_control_before",
                    "smd_before",
                    "mean_exposed_after",
                    "mean_control_after",
                    "smd_after",
                )
            )
            + png_img(love_plot(balance, threshold=spec.matching.balance_smd_threshold), "Love plot")
            + png_img(ps_overlap_plot(scores), "Propensity score overlap"),
        ),
        ReportSection(
            "Overall survival (primary analysis)",
            png_img(plot_kaplan_meier(primary, max_months=36.0), "Kaplan-Meier curves")
            + frame_to_html(
                summary.select(
                    "analysis",
                    "arm",
                    "n",
                    "events",
                    "median",
                    "median_ci_lower",
                    "median_ci_upper",
                    "rmst",
                    "rmst_difference",
                ),
                count_columns=("n", "events"),
                min_cell=mc,
            )
            + f"<p class='muted'>{primary.conventions}</p>"
            + "<h3>Survival at landmarks (primary analysis)</h3>"
            + frame_to_html(landmarks.drop("analysis"), count_columns=("n_at_risk",), min_cell=mc),
        ),
        ReportSection(
            "Hazard ratios (every analysis and model; three tests labelled)",
            png_img(forest_plot(hrs, reference_hr=reference_hr), "Forest plot of hazard ratios")
            + frame_to_html(
                hrs.select(
                    "analysis",
                    "model",
                    "status",
                    "hr",
                    "hr_ci_lower",
                    "hr_ci_upper",
                    "p_wald",
                    "p_lr",
                    "p_score",
                    "n_exposed",
                    "n_comparator",
                    "warnings",
                ),
                count_columns=("n_exposed", "n_comparator"),
                min_cell=mc,
            ),
        ),
        ReportSection("Diagnostics (PASS / WARN against the stated threshold)", frame_to_html(_status_html(diags))),
    ]
    if robust is not None and robust["hr"].drop_nulls().len():
        hr = robust["hr"].drop_nulls()
        stats = pl.DataFrame(
            {
                "match_orders": [robust.height],
                "hr_median": [hr.median()],
                "hr_p2_5": [hr.quantile(0.025)],
                "hr_p97_5": [hr.quantile(0.975)],
            }
        )
        sections.append(ReportSection("Robustness over random match orders", frame_to_html(stats)))
    if qa is not None:
        by = (
            qa.group_by("relation", "tag", "severity")
            .agg(pl.len().alias("checks"), (~pl.col("passed")).sum().alias("failed"))
            .sort("relation", "tag")
        )
        link = f"<p><a href='{data_docs_href}'>Great Expectations Data Docs</a> (local)</p>" if data_docs_href else ""
        sections.append(ReportSection("Data quality (latest run)", frame_to_html(by) + link))
    return render_report(
        ReportInputs(
            title=spec.title,
            data_cut_id=data_cut_id,
            spec_summary={
                "study": spec.study_id,
                "reference": spec.reference,
                "spec hash": spec.spec_hash,
                "matching": f"1:{spec.matching.ratio} on {', '.join(spec.matching.exact)} + logit PS",
            },
            sections=sections,
            provenance=provenance,
        )
    )
