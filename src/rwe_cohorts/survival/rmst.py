"""Restricted mean survival time (RMST) to a horizon tau and the between-arm difference.

Estimand: ``RMST(tau) = E[min(T, tau)] = integral_0^tau S(u) du``, the mean survival time over the first tau
months; it needs no proportional-hazards assumption (useful here because the curves cross).

Estimator: the area under the Kaplan-Meier step function from 0 to tau (R ``print(survfit(...), rmean=tau)``,
survRM2 ``rmst2``). If tau exceeds the last curve time the last value of S is carried forward to tau, as R's
``rmean`` does; ``RmstEstimate.is_extrapolated`` flags this.

Variance (R ``survmean``; survRM2; Klein & Moeschberger 2003 sec. 4.5):
``Var = sum_{t_j <= tau} A_j^2 d_j / (n_j (n_j - d_j))`` with ``A_j = integral_{t_j}^tau S(u) du`` the area after
t_j, and the term set to 0 when d_j = n_j. Between arms: ``diff = RMST_1 - RMST_0``,
``se = sqrt(se_1^2 + se_0^2)`` (independent samples), normal CI and two-sided P (survRM2 ``unadjusted.result``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from rwe_cohorts.survival.kaplan_meier import KaplanMeierCurve


@dataclass(frozen=True)
class RmstEstimate:
    """RMST to ``tau`` (months) with its SE and normal CI."""

    tau: float
    rmst: float
    se: float
    ci_lower: float
    ci_upper: float
    is_extrapolated: bool


@dataclass(frozen=True)
class RmstDifference:
    """RMST(exposed) - RMST(comparator) to ``tau`` with SE, normal CI and two-sided P."""

    tau: float
    exposed_label: str
    comparator_label: str
    difference: float
    se: float
    ci_lower: float
    ci_upper: float
    p_value: float


def restricted_mean(km: KaplanMeierCurve, tau: float, conf_level: float = 0.95) -> RmstEstimate:
    """RMST of one Kaplan-Meier curve to ``tau`` (see module docstring for formula and conventions)."""
    if tau <= 0:
        raise ValueError(f"tau must be > 0, got {tau}")
    c = km.curve.filter(km.curve["time"] <= tau)
    times = c["time"].to_numpy()
    survival = c["survival"].to_numpy()
    n_risk = c["n_at_risk"].to_numpy()
    n_event = c["n_event"].to_numpy()
    grid = np.concatenate([[0.0], times, [tau]])
    heights = np.concatenate([[1.0], survival])
    rectangles = np.diff(grid) * heights
    area_after = np.cumsum(rectangles[::-1])[::-1][1:]  # area from t_j to tau, one per curve time <= tau
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n_risk - n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    variance = float(np.sum(area_after**2 * hh))
    rmst = float(rectangles.sum())
    se = float(np.sqrt(variance))
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    return RmstEstimate(
        tau=float(tau),
        rmst=rmst,
        se=se,
        ci_lower=rmst - z * se,
        ci_upper=rmst + z * se,
        is_extrapolated=bool(tau > km.last_time),
    )


def rmst_difference(
    exposed: RmstEstimate,
    comparator: RmstEstimate,
    exposed_label: str = "exposed",
    comparator_label: str = "comparator",
    conf_level: float = 0.95,
) -> RmstDifference:
    """Difference of two independent RMST estimates at the same tau, with normal CI and two-sided P."""
    if exposed.tau != comparator.tau:
        raise ValueError(f"RMST horizons differ: {exposed.tau} vs {comparator.tau}")
    diff = exposed.rmst - comparator.rmst
    se = float(np.hypot(exposed.se, comparator.se))
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else float("nan")
    return RmstDifference(
        tau=exposed.tau,
        exposed_label=exposed_label,
        comparator_label=comparator_label,
        difference=diff,
        se=se,
        ci_lower=diff - z * se,
        ci_upper=diff + z * se,
        p_value=p,
    )
