"""Summaries of a Kaplan-Meier curve: median with CI, survival at landmarks, numbers at risk.

Median (R ``quantile.survfit`` / ``print.survfit``, survival >= 2.39): the first time the curve reaches
S(t) <= 0.5; if S equals 0.5 (within sqrt(machine eps)) over an interval, the midpoint of that interval (to the
next drop, or to the last curve time when the curve ends flat at 0.5). The CI limits are the same quantile of the
pointwise lower CI curve (lower limit: it crosses 0.5 first) and of the upper CI curve (upper limit), i.e. the
Brookmeyer & Crowley (1982) interval with the curve's CI transform (``conf_type="log"`` gives R's default).
NaN = not reached.

Landmark survival S(t) is the step function at t (last curve time <= t) with its pointwise CI; NaN when t is
beyond the last exit time (R ``summary(fit, times=)`` without ``extend``).

Numbers at risk at time t count subjects (unweighted) with ``entry < t <= exit`` for t > 0, and those with
``entry == 0`` at t = 0. With delayed entry they can rise after t = 0.

References: Klein & Moeschberger (2003) sec. 4.5; Brookmeyer & Crowley (1982) Biometrics 38:29; R survival
``quantile.survfit`` documentation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from rwe_cohorts.survival.data import FloatArray, SurvivalArrays
from rwe_cohorts.survival.kaplan_meier import KaplanMeierCurve

QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))


@dataclass(frozen=True)
class MedianSurvival:
    """Median survival time with CI (NaN = not reached)."""

    median: float
    ci_lower: float
    ci_upper: float


def _find_quantile(x: FloatArray, cdf: FloatArray, p: float, tol: float) -> float:
    """Port of R survival's ``findq``: x includes the start time (cdf 0 there)."""
    keep = ~np.isnan(cdf)
    xmax = float(x[-1])
    x, cdf = x[keep], cdf[keep]
    if cdf.size == 0 or float(np.max(cdf)) < p:
        return float("nan")
    _, first = np.unique(cdf, return_index=True)
    first = np.sort(first)
    x, cdf = x[first], cdf[first]

    def index_at_or_above(shift: float) -> int | None:
        candidates = np.flatnonzero(cdf + shift >= p)
        if candidates.size == 0:
            return None
        return int(candidates[np.argmin(cdf[candidates])])

    i1 = index_at_or_above(tol)
    i2 = index_at_or_above(-tol)
    if i1 is None:
        return float("nan")
    if abs(p - float(cdf[-1])) < tol:
        return (float(x[i1]) + xmax) / 2
    if i2 is None:
        return float("nan")
    return (float(x[i1]) + float(x[i2])) / 2


def survival_quantile(km: KaplanMeierCurve, p: float = 0.5, start_time: float = 0.0) -> MedianSurvival:
    """Time by which a fraction ``p`` has died (S(t) <= 1 - p), with CI, by R's rule (see module docstring)."""
    c = km.curve
    x = np.concatenate([[start_time], c["time"].to_numpy()])

    def cdf(column: str) -> FloatArray:
        return np.concatenate([[0.0], 1.0 - c[column].to_numpy()])

    return MedianSurvival(
        median=_find_quantile(x, cdf("survival"), p, QUANTILE_TOLERANCE),
        ci_lower=_find_quantile(x, cdf("ci_lower"), p, QUANTILE_TOLERANCE),
        ci_upper=_find_quantile(x, cdf("ci_upper"), p, QUANTILE_TOLERANCE),
    )


def median_survival(km: KaplanMeierCurve) -> MedianSurvival:
    """Median survival with CI (R ``print(survfit(...))`` ``median``, ``0.95LCL``, ``0.95UCL``)."""
    return survival_quantile(km, 0.5)


def survival_at(km: KaplanMeierCurve, times_months: Sequence[float]) -> pl.DataFrame:
    """S(t), CI and SE at each landmark t (columns time_months, survival, std_error, ci_lower, ci_upper)."""
    c = km.curve
    curve_times = c["time"].to_numpy()
    t = np.asarray(times_months, dtype=np.float64)
    idx = np.searchsorted(curve_times, t, side="right") - 1

    def pick(column: str, before_first: float) -> FloatArray:
        values = np.concatenate([[before_first], c[column].to_numpy()])[idx + 1]
        return np.where(t > km.last_time, np.nan, values)

    return pl.DataFrame(
        {
            "time_months": t,
            "survival": pick("survival", 1.0),
            "std_error": pick("std_error", 0.0),
            "ci_lower": pick("ci_lower", 1.0),
            "ci_upper": pick("ci_upper", 1.0),
        }
    )


def numbers_at_risk(data: SurvivalArrays, times_months: Sequence[float]) -> list[int]:
    """Subjects at risk at each t: ``entry < t <= exit`` (t > 0) or ``entry == 0`` (t = 0); unweighted."""
    counts = []
    for t in times_months:
        entered = (data.entry == 0) if t == 0 else (data.entry < t)
        counts.append(int(np.sum(entered & (data.exit >= t))))
    return counts
