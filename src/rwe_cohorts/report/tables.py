"""Display tables of the study report, built from the marts: the spec summary, Table 1 before and after matching,
survival summaries, hazard ratios, diagnostics with PASS / WARN, and the data-quality summary.

Each returns view objects (:class:`~rwe_cohorts.report.render.Table`) holding display text; the templates under
``templates/sections`` lay them out. Every count goes through small-cell suppression
(:func:`rwe_cohorts.report.formatting.suppress`); no patient rows are rendered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.matching.diagnostics import balance_exceptions
from rwe_cohorts.report.balance import ps_model_statement
from rwe_cohorts.report.formatting import count_text, estimate_ci, fmt, fmt_p
from rwe_cohorts.report.render import Cell, Row, Table, frame_table


def spec_summary(spec: StudySpec) -> dict[str, str]:
    """The study design in a few lines, from the resolved spec (the report's first section)."""
    e, x, m, s = spec.eligibility, spec.exposure, spec.matching, spec.survival
    months = ", ".join(f"{t:g}" for t in s.landmarks_months)
    summary = {
        "study": f"{spec.study_id}: {spec.title}",
        "reference": spec.reference,
        "data source": spec.source,
        "arms": f"{spec.arms.exposed} (exposed) vs {spec.arms.comparator} (comparator)",
        "eligibility": f"age >= {e.min_age_years} at advanced diagnosis; advanced diagnosis "
        f"{e.advanced_diagnosis_start_date} to {e.advanced_diagnosis_end_date}; cancer types: "
        f"{', '.join(e.cancer_types) or 'all solid tumours'}; never treated with {', '.join(e.excluded_drugs)}",
        "exposure": f"{' / '.join(x.alteration_types)} involving {', '.join(x.genes)} on any NGS report"
        f"{' (functional only)' if x.require_functional else ''}; negative needs "
        f"{x.negative_requires.replace('_', ' ')} (not tested is not negative)",
        "time axis": f"time zero = {spec.time_axis.primary_index.replace('_', ' ')}; delayed entry at the first NGS "
        f"report; death month imputed to day {spec.time_axis.death_day_of_month}; months = days / "
        f"{spec.time_axis.days_per_month:g}",
        "matching": f"1:{m.ratio} {'with' if m.replace else 'without'} replacement; exact on "
        f"{', '.join(m.exact) or 'nothing'}; nearest neighbour on the logit PS of "
        f"{', '.join(c.name for c in m.ps_covariates)}; caliper "
        f"{'none' if m.caliper_sd is None else f'{m.caliper_sd:g} SD'}; {m.order} PS first; balance: |SMD| <= "
        f"{m.balance_smd_threshold:g}"
        + (
            f", an exception an imbalance only if significantly above it (family-wise alpha {m.balance_alpha:g})"
            if m.balance_alpha is not None
            else ""
        )
        + f"{' (blocking)' if m.balance_blocking else ' (warn)'}",
        "propensity model": ps_model_statement(m.ps_model, m.exact),
        "survival": f"Kaplan-Meier, CI transform {s.conf_type}; landmarks at {months} months; RMST to "
        f"{s.rmst_tau_months:g} months; Cox (Efron) with Wald, LR and score P; {s.robustness_match_orders} random "
        "match orders for robustness",
    }
    summary.update({f"analysis: {a.id}": a.description for a in spec.analyses})
    mc = spec.privacy.min_cell_count
    summary["small-cell suppression"] = f"patient counts 1-{mc - 1} shown as <{mc}"
    summary["spec hash (sha256)"] = spec.spec_hash
    return summary


def _cell(r: dict[str, Any] | None, arm: str, min_cell: int) -> str:
    """One Table 1 cell: n (%) for levels, median [IQR] for continuous rows, the arm size for the count row."""
    if r is None:
        return "0 (0.0%)"
    n = int(r[f"n_{arm}"])
    if r["kind"] == "continuous":
        med = r[f"median_{arm}"]
        return "-" if med is None else f"{med:.1f} [{r[f'q1_{arm}']:.1f}, {r[f'q3_{arm}']:.1f}]"
    shown = count_text(n, min_cell)
    pct = r[f"pct_{arm}"]
    if r["kind"] == "count" or shown.startswith("<") or pct is None:
        return shown
    return f"{shown} ({pct:.1f}%)"


def _smd(r: dict[str, Any] | None) -> str:
    if r is None:
        return "0.000"
    return "-" if r["smd"] is None else f"{r['smd']:.3f}"


def attrition_steps(
    attrition: pl.DataFrame, *, min_cell: int, arms: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The CONSORT-style flow's boxes, in step order: the step's description, the patients remaining per arm, and
    the patients excluded per arm at that step (arms with none excluded left out; none for the first step). Counts
    below ``min_cell`` are shown as ``<min_cell``."""
    arm_order = list(arms) if arms else sorted(attrition["arm"].unique().to_list())
    steps = attrition.sort("step_order")["step_order"].unique(maintain_order=True).to_list()
    out = []
    for i, step in enumerate(steps):
        rows = {r["arm"]: r for r in attrition.filter(pl.col("step_order") == step).to_dicts()}
        present = [a for a in arm_order if a in rows]
        removed = [
            (a, count_text(rows[a]["patients_removed"], min_cell)) for a in present if rows[a]["patients_removed"]
        ]
        out.append(
            {
                "description": str(next(iter(rows.values()))["description"]),
                "remaining": [(a, count_text(rows[a]["patients_remaining"], min_cell)) for a in present],
                "removed": removed if i else [],
            }
        )
    return out


def conversion_box(source: Mapping[str, Any] | None, *, min_cell: int) -> dict[str, Any] | None:
    """The flow's first box for a delivery converted from cBioPortal: the study's patients and samples, those the
    conversion did not deliver per reason, and the delivered ones the pipeline removes later (and at which step),
    from the manifest's ``source`` block. None for another source. Counts below ``min_cell`` are ``<min_cell``."""
    steps = (source or {}).get("attrition")
    if not source or not steps:
        return None
    first, last = steps[0], steps[-1]
    return {
        "study": f"cBioPortal study {source.get('study_id', '?')}",
        "patients": count_text(first["patients"], min_cell),
        "samples": count_text(first["samples"], min_cell),
        "removed": [
            {
                "description": s["description"],
                "patients": count_text(s["patients_removed"], min_cell),
                "samples": count_text(s["samples_removed"], min_cell),
            }
            for s in steps[1:]
            if s["patients_removed"] or s["samples_removed"]
        ],
        "delivered_patients": count_text(last["patients"], min_cell),
        "delivered_samples": count_text(last["samples"], min_cell),
        "later": [
            {"reason": d["reason"], "step": d["pipeline_step"], "patients": count_text(d["patients"], min_cell)}
            for d in source.get("removed_downstream", [])
        ],
    }


def table_one(before: pl.DataFrame, after: pl.DataFrame | None, spec: StudySpec) -> Table:
    """Table 1 (``id="table-one"``): exposed vs all eligible comparators with SMD, then the matched cohort with SMD.

    ``before`` is ``marts.baseline_characteristics``, ``after`` the same table for ``marts.matched_cohort``. A level
    absent from the matched cohort is 0 in both matched arms (SMD 0). The matched exposed column is shown only when
    some exposed patients went unmatched.
    """
    mc = spec.privacy.min_cell_count
    exp, comp = spec.arms.exposed, spec.arms.comparator
    after_rows = {(r["covariate"], r["level"]): r for r in (after.to_dicts() if after is not None else [])}
    n_before = before.filter(pl.col("covariate") == "patients").to_dicts()
    n_after = after_rows.get(("patients", None))
    show_matched_exposed = bool(n_after and n_before and n_after["n_exposed"] != n_before[0]["n_exposed"])
    head = ["covariate", "level", f"{exp}", f"{comp}, all eligible", "SMD before"]
    if after is not None:
        head += [f"{exp}, matched"] if show_matched_exposed else []
        head += [f"{comp}, matched", "SMD after"]
    rows = []
    for r in before.sort("row_order").to_dicts():
        a = after_rows.get((r["covariate"], r["level"])) if after is not None else None
        numbers = [_cell(r, "exposed", mc), _cell(r, "comparator", mc), _smd(r)]
        if after is not None:
            numbers += [_cell(a, "exposed", mc)] if show_matched_exposed else []
            numbers += [_cell(a, "comparator", mc), _smd(a)]
        cells = [Cell(r["covariate"]), Cell(r["level"] or ""), *(Cell(n, "num") for n in numbers)]
        rows.append(Row(cells))
    return Table(head, rows, "table-one")


def survival_summary_table(summary: pl.DataFrame, min_cell: int) -> Table:
    """Median OS and RMST (with 95% CIs) and the RMST difference per analysis and arm (``id="survival-summary"``)."""
    rows = [
        {
            "analysis": r["analysis"],
            "arm": r["arm"],
            "n": r["n"],
            "events": r["events"],
            "median OS, months (95% CI)": estimate_ci(r["median"], r["median_ci_lower"], r["median_ci_upper"]),
            f"RMST to {r['rmst_tau']:g} mo (95% CI)": estimate_ci(r["rmst"], r["rmst_ci_lower"], r["rmst_ci_upper"]),
            "RMST difference (95% CI)": estimate_ci(
                r["rmst_difference"], r["rmst_difference_ci_lower"], r["rmst_difference_ci_upper"]
            ),
        }
        for r in summary.to_dicts()
    ]
    return frame_table(
        pl.DataFrame(rows), count_columns=("n", "events"), min_cell=min_cell, table_id="survival-summary"
    )


def landmarks_table(landmarks: pl.DataFrame, min_cell: int) -> Table:
    rows = [
        {
            "arm": r["arm"],
            "month": f"{r['time_months']:g}",
            "survival (95% CI)": estimate_ci(r["survival"], r["ci_lower"], r["ci_upper"], 3),
            "at risk": r["n_at_risk"],
        }
        for r in landmarks.sort("arm", "time_months").to_dicts()
    ]
    return frame_table(pl.DataFrame(rows), count_columns=("at risk",), min_cell=min_cell, table_id="landmarks")


def hazard_ratio_table(hazard_ratios: pl.DataFrame, min_cell: int) -> Table:
    """Every analysis and model: HR (95% Wald CI) and the Wald, likelihood-ratio and score P values, labelled."""
    rows = [
        {
            "analysis": r["analysis"],
            "model": r["model"],
            "status": r["status"],
            "HR (95% Wald CI)": estimate_ci(r["hr"], r["hr_ci_lower"], r["hr_ci_upper"], 3),
            "P Wald": fmt_p(r["p_wald"]),
            "P likelihood ratio": fmt_p(r["p_lr"]),
            "P score": fmt_p(r["p_score"]),
            "n exposed": r["n_exposed"],
            "n comparator": r["n_comparator"],
            "warnings": r["warnings"] or r.get("reason") or "",
        }
        for r in hazard_ratios.to_dicts()
    ]
    return frame_table(
        pl.DataFrame(rows),
        count_columns=("n exposed", "n comparator"),
        min_cell=min_cell,
        status_columns=("status",),
        table_id="hazard-ratio-table",
    )


def diagnostics_table(
    diagnostics: pl.DataFrame, balance: pl.DataFrame, hazard_ratios: pl.DataFrame, spec: StudySpec
) -> Table:
    """Matching and survival diagnostics with PASS / WARN against thresholds stated in the spec or the mart."""
    threshold = spec.matching.balance_smd_threshold
    exceptions = balance_exceptions(balance, threshold, spec.matching.balance_alpha)
    worst = exceptions.max_abs_smd
    flagged = hazard_ratios.filter(pl.col("warnings").fill_null("") != "")
    rows = [
        {
            "analysis": "matched cohort",
            "diagnostic": "covariate balance after matching",
            "statistic": worst,
            "threshold": f"|SMD| <= {threshold:g}",
            "status": "warn" if exceptions.n_imbalanced else "pass",
            "detail": f"max |SMD| {fmt(worst)}; {exceptions.summary}",
        },
        {
            "analysis": "all",
            "diagnostic": "Cox fit cross-checked with lifelines",
            "statistic": None,
            "threshold": "HR within 1%",
            "status": "warn" if flagged.height else "pass",
            "detail": "; ".join(f"{r['analysis']}/{r['model']}: {r['warnings']}" for r in flagged.to_dicts())
            or "no differences",
        },
    ]
    rows += [
        {
            "analysis": r["analysis"],
            "diagnostic": r["diagnostic"],
            "statistic": r["statistic"],
            "threshold": "-" if r["threshold_p"] is None else f"P >= {r['threshold_p']:g}",
            "status": r["status"],
            "detail": f"P = {fmt(r['p_value'], 4)}. {r['description']}",
        }
        for r in diagnostics.to_dicts()
    ]
    return frame_table(pl.DataFrame(rows), status_columns=("status",), table_id="diagnostics-table")


def robustness_table(robust: pl.DataFrame | None) -> Table | None:
    if robust is None or not robust["hr"].drop_nulls().len():
        return None
    hr = robust["hr"].drop_nulls()
    stats = pl.DataFrame(
        {
            "match orders": [robust.height],
            "HR median": [hr.median()],
            "HR 2.5th percentile": [hr.quantile(0.025)],
            "HR 97.5th percentile": [hr.quantile(0.975)],
        }
    )
    return frame_table(stats)
