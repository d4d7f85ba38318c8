"""Kaplan-Meier analysis of both arms: curves, medians, landmarks, numbers at risk and RMST difference.

Conventions are those of :mod:`~rwe_cohorts.survival.kaplan_meier` (counting-process risk sets
``entry < t <= exit``, Greenwood variance, CI transform ``conf_type``), :mod:`~rwe_cohorts.survival.curve_summaries`
(R median rule, landmarks, numbers at risk) and :mod:`~rwe_cohorts.survival.rmst` (area under the KM step
function, R ``rmean`` / survRM2 variance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from rwe_cohorts.survival.curve_summaries import median_survival, numbers_at_risk, survival_at
from rwe_cohorts.survival.data import ArmSpec, to_arrays
from rwe_cohorts.survival.kaplan_meier import CONF_TYPES, ConfType, KaplanMeierCurve, kaplan_meier_arrays
from rwe_cohorts.survival.rmst import RmstDifference, RmstEstimate, restricted_mean, rmst_difference


@dataclass(frozen=True)
class KaplanMeierSettings:
    """Study-level KM settings (mirrors the ``survival:`` block of the study YAML)."""

    conf_type: ConfType = "log"
    conf_level: float = 0.95
    landmarks_months: tuple[float, ...] = (6.0, 12.0, 18.0, 24.0, 36.0)
    risk_table_months: tuple[float, ...] = tuple(float(m) for m in range(0, 37, 3))
    rmst_tau_months: float = 24.0
    weight_col: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.conf_type not in CONF_TYPES:
            problems.append(f"conf_type {self.conf_type!r} not in {CONF_TYPES}")
        if not 0 < self.conf_level < 1:
            problems.append(f"conf_level {self.conf_level} not in (0, 1)")
        if self.rmst_tau_months <= 0:
            problems.append(f"rmst_tau_months {self.rmst_tau_months} must be > 0")
        if any(t < 0 for t in self.landmarks_months + self.risk_table_months):
            problems.append("landmark / risk-table months must be >= 0")
        if problems:
            raise ValueError("invalid KaplanMeierSettings: " + "; ".join(problems))

    @property
    def conventions(self) -> str:
        return (
            f"Kaplan-Meier on counting-process risk sets (at risk: entry < t <= exit); Greenwood variance; "
            f"{self.conf_level:.0%} CI conf.type='{self.conf_type}'; median and its CI by R quantile.survfit; "
            f"RMST to {self.rmst_tau_months:g} months, R rmean/survRM2 variance; numbers at risk: "
            "entry < t <= exit (t > 0), entry == 0 (t = 0)"
        )


@dataclass(frozen=True)
class KaplanMeierAnalysis:
    """All KM outputs, as polars frames keyed by ``arm`` (the arm labels of :class:`ArmSpec`).

    - ``curves``: arm + the curve columns of :class:`KaplanMeierCurve`.
    - ``summary``: arm, n, events, median, median_ci_lower, median_ci_upper, rmst_tau, rmst, rmst_se,
      rmst_ci_lower, rmst_ci_upper, rmst_is_extrapolated (one row per arm, exposed first).
    - ``landmarks``: arm, time_months, survival, std_error, ci_lower, ci_upper, n_at_risk.
    - ``at_risk``: arm, time_months, n_at_risk (the risk table under the plot).
    - ``rmst_difference``: exposed minus comparator.
    """

    curves: pl.DataFrame
    summary: pl.DataFrame
    landmarks: pl.DataFrame
    at_risk: pl.DataFrame
    rmst_difference: RmstDifference
    settings: KaplanMeierSettings
    conventions: str
    per_arm: dict[str, KaplanMeierCurve] = field(repr=False)


def kaplan_meier_by_arm(
    df: pl.DataFrame, arms: ArmSpec | None = None, settings: KaplanMeierSettings | None = None
) -> KaplanMeierAnalysis:
    """Kaplan-Meier per arm with delayed entry, and the summaries the study reports."""
    arms = arms or ArmSpec()
    settings = settings or KaplanMeierSettings()
    data = to_arrays(df, arms=arms, weight_col=settings.weight_col, frame_name="Kaplan-Meier input")
    assert data.is_exposed is not None
    curves, summaries, landmarks, at_risk = [], [], [], []
    per_arm: dict[str, KaplanMeierCurve] = {}
    rmst: dict[str, RmstEstimate] = {}
    for label, mask in ((arms.exposed_label, data.is_exposed), (arms.comparator_label, ~data.is_exposed)):
        arm_data = data.subset(mask)
        km = kaplan_meier_arrays(arm_data, settings.conf_type, settings.conf_level)
        per_arm[label] = km
        med = median_survival(km)
        rmst[label] = restricted_mean(km, settings.rmst_tau_months, settings.conf_level)
        curves.append(km.curve.with_columns(pl.lit(label).alias("arm")).select("arm", *km.curve.columns))
        summaries.append(
            {
                "arm": label,
                "n": km.n,
                "events": km.events,
                "median": med.median,
                "median_ci_lower": med.ci_lower,
                "median_ci_upper": med.ci_upper,
                "rmst_tau": rmst[label].tau,
                "rmst": rmst[label].rmst,
                "rmst_se": rmst[label].se,
                "rmst_ci_lower": rmst[label].ci_lower,
                "rmst_ci_upper": rmst[label].ci_upper,
                "rmst_is_extrapolated": rmst[label].is_extrapolated,
            }
        )
        marks = survival_at(km, settings.landmarks_months).with_columns(
            pl.Series("n_at_risk", numbers_at_risk(arm_data, settings.landmarks_months), dtype=pl.Int64)
        )
        landmarks.append(marks.with_columns(pl.lit(label).alias("arm")).select("arm", *marks.columns))
        at_risk.append(
            pl.DataFrame(
                {
                    "arm": [label] * len(settings.risk_table_months),
                    "time_months": [float(t) for t in settings.risk_table_months],
                    "n_at_risk": numbers_at_risk(arm_data, settings.risk_table_months),
                },
                schema={"arm": pl.String, "time_months": pl.Float64, "n_at_risk": pl.Int64},
            )
        )
    difference = rmst_difference(
        rmst[arms.exposed_label],
        rmst[arms.comparator_label],
        arms.exposed_label,
        arms.comparator_label,
        settings.conf_level,
    )
    return KaplanMeierAnalysis(
        curves=pl.concat(curves),
        summary=pl.DataFrame(summaries),
        landmarks=pl.concat(landmarks),
        at_risk=pl.concat(at_risk),
        rmst_difference=difference,
        settings=settings,
        conventions=settings.conventions,
        per_arm=per_arm,
    )
