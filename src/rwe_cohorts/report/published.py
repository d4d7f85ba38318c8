"""The published study's numbers beside the reproduction's, for the study report.

The published values come from the spec's ``published`` block (for the NTRK study: Hibar et al. 2022, the numbers in
``STUDY.md``: cohort sizes, median OS with 95% CI per arm, HR with 95% CI and P for the primary and last-line
analyses, numbers at risk under the KM plot). They are public figures and are shown as printed (no suppression);
ours are suppressed below the spec's minimum cell count. A quantity the spec does not publish shows ``-``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.report.formatting import count_text, estimate_ci
from rwe_cohorts.report.plots import PublishedHazardRatio
from rwe_cohorts.report.render import Cell, Row, Table

# analysis id -> key of the published HR in the spec's ``published`` block
PUBLISHED_HR_KEYS = {"primary": "hazard_ratio", "index_last_line": "hazard_ratio_index_last_line"}


def published_values(spec: StudySpec) -> dict[str, Any]:
    """The spec's ``published`` block as a plain dict (empty when the study has no published numbers)."""
    return dict(spec.published.model_extra or {}) if spec.published else {}


def published_hazard_ratios(spec: StudySpec) -> list[PublishedHazardRatio]:
    """The published HRs, keyed by the analysis they correspond to (for the forest plot)."""
    pub = published_values(spec)
    out = []
    for analysis, key in PUBLISHED_HR_KEYS.items():
        p = pub.get(key)
        if isinstance(p, Mapping):
            out.append(
                PublishedHazardRatio(
                    analysis, float(p["estimate"]), float(p["ci_lower"]), float(p["ci_upper"]), p.get("p_value")
                )
            )
    return out


def published_median_notes(spec: StudySpec) -> dict[str, str]:
    """Legend notes for the KM plot: ``published median 10.2`` per arm label."""
    med = published_values(spec).get("median_os_months")
    if not isinstance(med, Mapping):
        return {}
    labels = {"exposed": spec.arms.exposed, "comparator": spec.arms.comparator}
    return {labels[k]: f"published median {v}" for k, v in med.items() if k in labels}


def _published_median(pub: Mapping[str, Any], arm_key: str) -> str:
    med, ci = pub.get("median_os_months"), pub.get("median_os_ci_months")
    if not isinstance(med, Mapping) or arm_key not in med:
        return "-"
    limits = ci.get(arm_key) if isinstance(ci, Mapping) else None
    return f"{med[arm_key]} ({limits[0]}-{limits[1]})" if limits else str(med[arm_key])


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _published_count(pub: Mapping[str, Any], key: str) -> str:
    value = pub.get(key)
    return f"{value:,}" if isinstance(value, int) else "-"


def _patients(table_one: pl.DataFrame | None, column: str) -> Any:
    if table_one is None:
        return None
    row = table_one.filter(pl.col("covariate") == "patients").to_dicts()
    return row[0][column] if row else None


def comparison_frame(
    spec: StudySpec,
    *,
    summary: pl.DataFrame,
    hazard_ratios: pl.DataFrame,
    table_one: pl.DataFrame | None,
    table_one_matched: pl.DataFrame | None,
) -> pl.DataFrame:
    """One row per quantity: ours (reproduction) beside the published value, both as display text."""
    pub = published_values(spec)
    mc = spec.privacy.min_cell_count
    exp, comp = spec.arms.exposed, spec.arms.comparator
    rows: list[dict[str, str]] = [
        {
            "quantity": f"eligible {exp}",
            "reproduction": count_text(_patients(table_one, "n_exposed"), mc),
            "published": _published_count(pub, "n_exposed"),
        },
        {
            "quantity": f"eligible {comp} (before matching)",
            "reproduction": count_text(_patients(table_one, "n_comparator"), mc),
            "published": _published_count(pub, "n_comparator_unmatched"),
        },
        {
            "quantity": f"matched {comp}",
            "reproduction": count_text(_patients(table_one_matched, "n_comparator"), mc),
            "published": _published_count(pub, "n_comparator_matched"),
        },
    ]
    prim = summary.filter(pl.col("analysis") == "primary")
    for arm_key, label in (("exposed", exp), ("comparator", comp)):
        ours = prim.filter(pl.col("arm") == label).to_dicts()
        o = ours[0] if ours else {}
        rows.append(
            {
                "quantity": f"median OS, months (95% CI), {label}",
                "reproduction": estimate_ci(o.get("median"), o.get("median_ci_lower"), o.get("median_ci_upper")),
                "published": _published_median(pub, arm_key),
            }
        )
    for analysis, key in PUBLISHED_HR_KEYS.items():
        h = hazard_ratios.filter((pl.col("analysis") == analysis) & (pl.col("model") == "unstratified")).to_dicts()
        if not h or h[0].get("hr") is None:
            continue
        r, p = h[0], pub.get(key)
        rows.append(
            {
                "quantity": f"HR {exp} vs {comp} (95% Wald CI), {analysis}",
                "reproduction": f"{estimate_ci(r['hr'], r['hr_ci_lower'], r['hr_ci_upper'], 3)}; "
                f"P Wald {_p(r['p_wald'])}, LR {_p(r['p_lr'])}, score {_p(r['p_score'])}",
                "published": f"{estimate_ci(p['estimate'], p['ci_lower'], p['ci_upper'], 3)}; "
                f"P = {p['p_value']} (test not stated)"
                if isinstance(p, Mapping)
                else "-",
            }
        )
    return pl.DataFrame(rows)


def risk_table(spec: StudySpec, risk: pl.DataFrame, *, analysis: str = "primary") -> Table:
    """Numbers at risk at the spec's months (``id="at-risk-table"``): our row per arm (small counts suppressed,
    ``class="count"``), each followed by the published row (``class="published"``) when the spec has one for the
    same months."""
    pub = published_values(spec)
    mc = spec.privacy.min_cell_count
    months = [float(m) for m in spec.survival.risk_table_months]
    rows = risk.filter(pl.col("analysis") == analysis)
    same_months = pub.get("at_risk_months") == [int(m) if m.is_integer() else m for m in months]
    body = []
    for arm_key, label in (("exposed", spec.arms.exposed), ("comparator", spec.arms.comparator)):
        ours = dict(rows.filter(pl.col("arm") == label).select("time_months", "n_at_risk").iter_rows())
        cells = [Cell(f"{label} (reproduction)"), *(Cell(count_text(ours.get(m), mc), "count") for m in months)]
        body.append(Row(cells, "reproduction"))
        published = pub.get(f"at_risk_{arm_key}")
        if same_months and isinstance(published, list) and len(published) == len(months):
            body.append(Row([Cell(f"{label} (published)"), *(Cell(str(v), "num") for v in published)], "published"))
    return Table(
        ["arm", *(f"{m:g}" for m in months)],
        body,
        "at-risk-table",
        caption=f"Numbers at risk, {analysis} analysis (months since index). They can rise after month 0: with delayed "
        "entry a patient joins the risk set only once sequenced (at the first NGS report), so patients sequenced "
        "after the index enter the count later.",
    )


def published_source(spec: StudySpec) -> str:
    """Where the published numbers come from, or why there are none."""
    return spec.reference if published_values(spec) else "none: this study has no published numbers"
