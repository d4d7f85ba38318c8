"""Survival summaries: KM and Cox for every analysis in the spec, diagnostics, robustness over match orders."""

import dagster as dg
import polars as pl

from pipelines.common import describe, display, explain_failures, key
from pipelines.common_io import image, preview, read, write
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.report.formatting import suppress

SURVIVAL_MARTS = (
    "marts.km_curves",
    "marts.risk_table",
    "marts.survival_summary",
    "marts.survival_landmarks",
    "marts.hazard_ratios",
    "marts.survival_diagnostics",
)
INPUTS = ("marts.analytic_cohort", "intermediate.cohort_time_axes", "marts.matched_cohort", "marts.propensity_scores")


def _inputs(study: StudyResource) -> dict[str, pl.DataFrame]:
    """The cohort, time axes, matched cohort and propensity scores, keyed as the library functions name them."""
    names = ("cohort", "time_axes", "matched", "scores")
    return {name: read(study, relation) for name, relation in zip(names, INPUTS, strict=True)}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key(r),
            group_name="survival",
            deps=[key(i) for i in INPUTS],
            description=describe(r),
            kinds={"python", "duckdb"},
        )
        for r in SURVIVAL_MARTS
    ],
    can_subset=False,
    partitions_def=data_cuts,
)
def survival(study: StudyResource):  # type: ignore[no-untyped-def]
    """KM per arm (delayed entry), Cox (Efron; Wald, LR and score tests) and diagnostics for each analysis."""
    # imported on use, not with the code location (the library pulls in lifelines, scipy, matplotlib)
    from rwe_cohorts.survival import plot_kaplan_meier
    from rwe_cohorts.survival.study import run_survival

    spec = study.spec()
    with explain_failures():
        out = run_survival(spec, **_inputs(study))
    frames = {
        "marts.km_curves": out.km_curves,
        "marts.risk_table": out.risk_table,
        "marts.survival_summary": out.survival_summary,
        "marts.survival_landmarks": out.survival_landmarks,
        "marts.hazard_ratios": out.hazard_ratios,
        "marts.survival_diagnostics": out.diagnostics,
    }
    meta = write(study, frames, spec_hash=spec.spec_hash)
    primary = out.hazard_ratios.filter(
        (out.hazard_ratios["analysis"] == "primary") & (out.hazard_ratios["model"] == "unstratified")
    ).to_dicts()
    mc = spec.privacy.min_cell_count
    summary_cols = ["analysis", "arm", "n", "events", "median", "median_ci_lower", "median_ci_upper", "rmst"]
    hr_cols = ["analysis", "model", "hr", "hr_ci_lower", "hr_ci_upper", "p_wald", "p_lr", "p_score"]
    extra: dict[str, dict[str, object]] = {
        "marts.survival_summary": {
            "preview": preview(out.survival_summary.select(summary_cols), counts=("n", "events"), min_cell=mc)
        },
        "marts.km_curves": {
            "km_plot": image(
                plot_kaplan_meier(out.primary_km, max_months=36.0, count_text=lambda n: suppress(n, mc)),
                "KM primary",
            )
        },
        "marts.hazard_ratios": {
            "preview": preview(out.hazard_ratios.select(hr_cols), min_cell=mc),
            **(
                {
                    f"primary_{k}": primary[0].get(k)
                    for k in ("hr", "hr_ci_lower", "hr_ci_upper", "p_wald", "p_lr", "p_score")
                }
                if primary
                else {}
            ),
        },
        "marts.survival_diagnostics": {
            "warnings": ", ".join(f"{r['diagnostic']}" for r in out.diagnostics.to_dicts() if r["status"] != "pass")
            or "none"
        },
    }
    for relation in SURVIVAL_MARTS:
        shown = {k: display(v) for k, v in extra.get(relation, {}).items()}
        yield dg.MaterializeResult(asset_key=key(relation), metadata={**meta[relation], **shown})


@dg.asset(
    key=key("marts.hazard_ratio_robustness"),
    group_name="survival",
    deps=[key(i) for i in INPUTS],
    partitions_def=data_cuts,
    description=describe("marts.hazard_ratio_robustness"),
    kinds={"python", "duckdb"},
)
def hazard_ratio_robustness(study: StudyResource) -> dg.MaterializeResult:
    """The primary HR over many random exposed processing orders (the spec's robustness_match_orders)."""
    from rwe_cohorts.survival.study import robustness_over_match_orders  # imported on use: lifelines, scipy

    spec = study.spec()
    inputs = _inputs(study)
    with explain_failures():
        frame = robustness_over_match_orders(
            spec,
            cohort=inputs["cohort"],
            time_axes=inputs["time_axes"],
            scores=inputs["scores"],
            n_orders=spec.survival.robustness_match_orders,
            seed=spec.survival.robustness_seed,
        )
    meta = write(study, {"marts.hazard_ratio_robustness": frame}, spec_hash=spec.spec_hash)
    hr = frame["hr"].drop_nulls()
    stats = (
        {
            "hr_median": display(float(hr.median())),  # type: ignore[arg-type]
            "hr_p025": display(float(hr.quantile(0.025))),  # type: ignore[arg-type]
            "hr_p975": display(float(hr.quantile(0.975))),  # type: ignore[arg-type]
        }
        if hr.len()
        else {}
    )
    return dg.MaterializeResult(metadata={**meta["marts.hazard_ratio_robustness"], **stats})
