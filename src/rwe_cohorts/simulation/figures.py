"""The study's headline figures on one replicate, beside the published ones (calibration of the generator).

Each figure is computed from the chain's own outputs (``chain.ChainOutputs``) exactly as the marts define it:
eligible counts from ``marts.analytic_cohort``; medians from the primary analysis's Kaplan-Meier summary (delayed
entry; R's ``quantile.survfit`` rule); the primary log HR from the unstratified Cox model (Efron ties); numbers at
risk at month 0 (``entry == 0``) and month 36; ECOG unknown among eligible NTRK- patients (the published 38.1% is
"all NTRK-"); NTRK+ patients with a driver co-alteration; balance after matching (max |SMD|, levels significantly
above the threshold) and the PS model's warnings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.simulation.chain import ChainOutputs


@dataclass(frozen=True)
class Figure:
    """One calibration figure: its name, the published value and interval (if any) and how it is judged."""

    name: str
    published: float | None
    lower: float | None = None
    upper: float | None = None
    label: str = ""


def figures_spec(spec: StudySpec) -> tuple[Figure, ...]:
    """The figures judged, with the published values of the spec's ``published`` block and ``../STUDY.md``."""
    if spec.published is None:
        raise ValueError(f"study spec {spec.study_id!r} has no 'published' block to calibrate against")
    p = spec.published.model_dump()
    med, ci, hr = p["median_os_months"], p["median_os_ci_months"], p["hazard_ratio"]
    risk0 = dict(zip(p["at_risk_months"], zip(p["at_risk_exposed"], p["at_risk_comparator"], strict=True), strict=True))
    return (
        Figure("n_exposed", p["n_exposed"], 24, 32, "eligible NTRK+"),
        Figure("n_comparator", p["n_comparator_unmatched"], None, None, "eligible NTRK-"),
        Figure("n_matched_comparator", p["n_comparator_matched"], None, None, "matched NTRK-"),
        Figure("median_exposed", med["exposed"], ci["exposed"][0], ci["exposed"][1], "median OS NTRK+, months"),
        Figure(
            "median_comparator",
            med["comparator"],
            ci["comparator"][0],
            ci["comparator"][1],
            "median OS matched NTRK-, months",
        ),
        Figure(
            "log_hr", math.log(hr["estimate"]), math.log(hr["ci_lower"]), math.log(hr["ci_upper"]), "primary log HR"
        ),
        Figure("at_risk_0_exposed", risk0[0][0], None, None, "at risk at month 0, NTRK+"),
        Figure("at_risk_0_comparator", risk0[0][1], None, None, "at risk at month 0, matched NTRK-"),
        Figure("share_at_risk_0_exposed", risk0[0][0] / p["n_exposed"], None, None, "share at risk at 0, NTRK+"),
        Figure(
            "share_at_risk_0_comparator",
            risk0[0][1] / p["n_comparator_matched"],
            None,
            None,
            "share at risk at 0, matched NTRK-",
        ),
        Figure("at_risk_36_comparator", risk0[36][1], None, None, "at risk at month 36, matched NTRK-"),
        Figure("ecog_unknown_comparator", 0.381, None, None, "ECOG unknown, all eligible NTRK-"),
        Figure("driver_exposed", 2, None, None, "NTRK+ with a driver co-alteration"),
        Figure("max_abs_smd", None, None, 0.1, "max \\|SMD\\| after matching"),
        Figure("n_imbalanced", 0, None, None, "levels significantly above \\|SMD\\| 0.1"),
        Figure("n_ps_warnings", 0, None, None, "PS model warnings"),
    )


def _finite(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _count(frame: pl.DataFrame, arm: str, months: float) -> int:
    row = frame.filter(pl.col("arm") == arm, pl.col("time_months") == months)
    return int(row["n_at_risk"][0]) if row.height else 0


def replicate_figures(out: ChainOutputs, spec: StudySpec) -> dict[str, float]:
    """Every figure of :func:`figures_spec` on one replicate (NaN where not estimable)."""
    exposed, comparator = spec.arms.exposed, spec.arms.comparator
    cohort = out.cohort
    is_exp = cohort["is_exposed"]
    summary: dict[str, dict[str, Any]] = {r["arm"]: r for r in out.km.summary.to_dicts()}
    risk = out.km.at_risk
    n_exp = int(is_exp.sum())
    matched = out.matching.matched_cohort
    n_matched_comp = int((~matched["is_exposed"]).sum())
    comp = cohort.filter(~pl.col("is_exposed"))
    unknown_share = (comp["ecog_baseline"] == "unknown").cast(pl.Float64).mean()
    ecog_unknown = float(unknown_share) if comp.height and isinstance(unknown_share, float) else math.nan
    unstrat = out.cox.get("unstratified")

    def median(arm: str) -> float:
        value = summary.get(arm, {}).get("median")
        return float(value) if value is not None else math.nan

    r0e, r0c = _count(risk, exposed, 0.0), _count(risk, comparator, 0.0)
    return {
        "n_exposed": n_exp,
        "n_comparator": cohort.height - n_exp,
        "n_matched_comparator": n_matched_comp,
        "median_exposed": median(exposed),
        "median_comparator": median(comparator),
        "log_hr": unstrat["log_hr"] if unstrat else math.nan,
        "at_risk_0_exposed": r0e,
        "at_risk_0_comparator": r0c,
        "share_at_risk_0_exposed": r0e / max(int(summary.get(exposed, {}).get("n", 0)), 1),
        "share_at_risk_0_comparator": r0c / max(int(summary.get(comparator, {}).get("n", 0)), 1),
        "at_risk_36_comparator": _count(risk, comparator, 36.0),
        "ecog_unknown_comparator": ecog_unknown,
        "driver_exposed": int(cohort.filter(pl.col("is_exposed"))["has_driver_coalteration"].sum()),
        "max_abs_smd": _finite(out.matching.exceptions.max_abs_smd),
        "n_imbalanced": out.matching.exceptions.n_imbalanced,
        "n_ps_warnings": len(out.matching.fit.warnings),
    }
