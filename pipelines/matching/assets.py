"""Propensity-score model, 1:k matching and balance: one computation, six marts, the attrition's last step."""

import dagster as dg

from pipelines.common import describe, display, explain_failures, key
from pipelines.common_io import image, read, write
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.report.formatting import suppress

MATCHING_MARTS = (
    "marts.ps_model",
    "marts.ps_levels",
    "marts.propensity_scores",
    "marts.matched_cohort",
    "marts.covariate_balance",
    "marts.ps_overlap",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key(r),
            group_name="matching",
            deps=[key("marts.analytic_cohort")],
            description=describe(r),
            kinds={"python", "duckdb"},
        )
        for r in MATCHING_MARTS
    ],
    can_subset=False,
    partitions_def=data_cuts,
)
def matching(context: dg.AssetExecutionContext, study: StudyResource):  # type: ignore[no-untyped-def]
    """Penalised logistic PS model over the eligible pool (the spec's ``matching.ps_model``), greedy 1:k
    nearest-neighbour matching on the logit PS within exact strata (rounds, largest PS first, ties by patient id),
    covariate balance before/after with the balance test, PS overlap and effective sample sizes."""
    # imported on use, not with the code location (the library pulls in statsmodels, scikit-learn, scipy, matplotlib)
    from rwe_cohorts.matching import love_plot, ps_overlap_plot
    from rwe_cohorts.matching.study import matching_marts, merged_levels_text, run_matching

    spec = study.spec()
    cohort = read(study, "marts.analytic_cohort")
    with explain_failures():
        out = run_matching(cohort, spec)
    for warning in out.fit.warnings:
        context.log.warning(f"propensity model: {warning}")
    for note in out.fit.notes:
        context.log.info(f"propensity model: {note}")
    meta = write(study, matching_marts(out, spec), spec_hash=spec.spec_hash)
    counts = out.matched_cohort.group_by("arm").len().sort("arm")
    ess = {
        f"ess_{k}_{'exposed' if r['is_exposed'] else 'comparator'}": r[f"ess_{k}"]
        for r in out.overlap.to_dicts()
        for k in ("att", "matched")
    }
    extra: dict[str, dict[str, object]] = {
        "marts.ps_model": {
            "c_statistic": out.fit.c_statistic,
            "share_equipoise": out.share_equipoise,
            "converged": out.fit.converged,
            "method": dg.MetadataValue.text(out.fit.method),
            "warnings": dg.MetadataValue.text("\n".join(out.fit.warnings) or "none"),
            "ps_overlap_plot": image(
                ps_overlap_plot(out.fit.scores, count_text=lambda n: suppress(n, spec.privacy.min_cell_count)),
                "PS overlap",
            ),
        },
        "marts.ps_levels": {"merged_levels": merged_levels_text(out.fit.levels) or "none"},
        "marts.matched_cohort": {
            **{f"n_{r['arm']}": r["len"] for r in counts.to_dicts()},
            "exposed_with_fewer_than_k": out.result.unmatched.height,
        },
        "marts.covariate_balance": {
            "max_abs_smd_after": out.exceptions.max_abs_smd or 0.0,
            "balance_exceptions": dg.MetadataValue.text(out.exceptions.summary),
            "love_plot": image(love_plot(out.balance, threshold=spec.matching.balance_smd_threshold), "Love plot"),
        },
        "marts.ps_overlap": ess,
    }
    for relation in MATCHING_MARTS:
        shown = {k: display(v) for k, v in extra.get(relation, {}).items()}
        yield dg.MaterializeResult(asset_key=key(relation), metadata={**meta[relation], **shown})
