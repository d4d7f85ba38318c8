"""Kaplan-Meier product-limit estimate with delayed entry (left truncation), Greenwood variance and CIs.

Estimand: S(t) = P(T > t), the survival function from the index date, estimated on counting-process risk sets
so that a patient contributes only after entering observation (first NGS report).

Formula (Klein & Moeschberger 2003, sec. 4.2 and 4.6; Therneau & Grambsch 2000, sec. 2.1):

- Curve times t_j: the distinct exit times (deaths and censorings), as R ``survfit`` reports them.
- At risk ``n_j = sum w_i 1{entry_i < t_j <= exit_i}`` (R ``Surv(entry, exit, event)`` convention: a subject
  entering at t_j is not at risk at t_j; one exiting at t_j is). Deaths ``d_j`` and censorings ``c_j`` at t_j.
- ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)``.
- Greenwood: ``se_log(t)^2 = sum_{t_j <= t} d_j / (n_j (n_j - d_j))`` is the variance of -log S(t) (R
  ``survfit``'s ``std.err``); ``std_error`` in the curve is the SE of S(t) itself, ``S(t) se_log(t)`` (R
  ``summary.survfit``'s ``std.err``). When d_j = n_j, S drops to 0 and the variance is infinite (NaN CI).
- Pointwise CI at level 1 - alpha, z = Phi^{-1}(1 - alpha/2), ``conf_type``:
  ``"log"`` (default; R ``conf.type="log"``): ``S exp(+-z se_log)``, upper capped at 1;
  ``"log-log"`` (lifelines' "exponential Greenwood"): ``exp(-exp(log(-log S) -+ z se_log / |log S|))``, (1, 1)
  while S = 1 (R reports NA there);
  ``"plain"``: ``S +- z S se_log`` clipped to [0, 1].

Weights (e.g. IPTW) replace counts by sums of weights; the variance is then the same weighted-count Greenwood
formula (R ``survfit(..., weights=, robust=FALSE)``), not a robust variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

from rwe_cohorts.survival.data import FloatArray, SurvivalArrays, to_arrays

ConfType = Literal["log", "log-log", "plain"]
CONF_TYPES: tuple[ConfType, ...] = ("log", "log-log", "plain")


@dataclass(frozen=True)
class KaplanMeierCurve:
    """One product-limit curve.

    ``curve`` columns: time, n_at_risk, n_event, n_censor, survival, std_error (SE of S), std_error_log
    (SE of -log S, Greenwood), ci_lower, ci_upper - one row per distinct exit time, ascending. ``n`` and
    ``events`` are unweighted counts of subjects and deaths.
    """

    curve: pl.DataFrame
    n: int
    events: int
    conf_type: ConfType
    conf_level: float
    last_time: float


def risk_set_sums(entry: FloatArray, exit_: FloatArray, weight: FloatArray, times: FloatArray) -> FloatArray:
    """``sum_i w_i 1{entry_i < t <= exit_i}`` for each t in ``times`` (sorted cumulative sums, O(n log n))."""
    exit_order = np.argsort(exit_, kind="stable")
    entry_order = np.argsort(entry, kind="stable")
    exit_cum = np.concatenate([np.cumsum(weight[exit_order][::-1])[::-1], [0.0]])
    entry_cum = np.concatenate([np.cumsum(weight[entry_order][::-1])[::-1], [0.0]])
    at_exit = exit_cum[np.searchsorted(exit_[exit_order], times, side="left")]
    at_entry = entry_cum[np.searchsorted(entry[entry_order], times, side="left")]
    return np.asarray(at_exit - at_entry, dtype=np.float64)


def confidence_band(
    survival: FloatArray, se_log: FloatArray, conf_type: ConfType, conf_level: float
) -> tuple[FloatArray, FloatArray]:
    """Pointwise (lower, upper) CI of S(t) from the Greenwood SE of -log S (see module docstring)."""
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    s = np.asarray(survival, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            lower = s * np.exp(-z * se_log)
            upper = np.minimum(s * np.exp(z * se_log), 1.0)
        elif conf_type == "plain":
            lower = np.clip(s - z * s * se_log, 0.0, 1.0)
            upper = np.clip(s + z * s * se_log, 0.0, 1.0)
        else:
            theta = np.log(-np.log(s))
            se_theta = se_log / np.abs(np.log(s))
            lower = np.exp(-np.exp(theta + z * se_theta))
            upper = np.exp(-np.exp(theta - z * se_theta))
            lower = np.where(s == 1.0, 1.0, lower)
            upper = np.where(s == 1.0, 1.0, upper)
    undefined = (s <= 0) | ~np.isfinite(se_log)
    lower = np.where(undefined, np.nan, lower)
    upper = np.where(undefined, np.nan, upper)
    return lower, upper


def kaplan_meier_arrays(
    data: SurvivalArrays, conf_type: ConfType = "log", conf_level: float = 0.95
) -> KaplanMeierCurve:
    """Product-limit curve of already-validated arrays (see :func:`kaplan_meier`)."""
    times, inverse = np.unique(data.exit, return_inverse=True)
    n_event = np.bincount(inverse, weights=data.weight * data.event, minlength=times.size)
    n_censor = np.bincount(inverse, weights=data.weight * ~data.event, minlength=times.size)
    n_risk = risk_set_sums(data.entry, data.exit, data.weight, times)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.asarray(np.cumprod(1.0 - n_event / n_risk), dtype=np.float64)
        green = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    se_log = np.asarray(np.sqrt(np.cumsum(green)), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        std_error = np.where(np.isfinite(se_log), survival * se_log, np.nan)
    lower, upper = confidence_band(survival, se_log, conf_type, conf_level)
    curve = pl.DataFrame(
        {
            "time": times,
            "n_at_risk": n_risk,
            "n_event": n_event,
            "n_censor": n_censor,
            "survival": survival,
            "std_error": std_error,
            "std_error_log": se_log,
            "ci_lower": lower,
            "ci_upper": upper,
        }
    )
    return KaplanMeierCurve(
        curve=curve,
        n=data.n,
        events=int(data.event.sum()),
        conf_type=conf_type,
        conf_level=conf_level,
        last_time=float(times[-1]),
    )


def kaplan_meier(
    df: pl.DataFrame, conf_type: ConfType = "log", conf_level: float = 0.95, weight_col: str | None = None
) -> KaplanMeierCurve:
    """Kaplan-Meier curve of one group with delayed entry (R ``survfit(Surv(entry, exit, event) ~ 1)``).

    >>> import polars as pl
    >>> df = pl.DataFrame({"entry_months": [0.0, 0.0, 2.0], "exit_months": [1.0, 3.0, 4.0],
    ...                    "is_event": [True, True, False]})
    >>> kaplan_meier(df).curve["survival"].to_list()
    [0.5, 0.25, 0.25]
    """
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    data = to_arrays(df, weight_col=weight_col, frame_name="Kaplan-Meier input")
    return kaplan_meier_arrays(data, conf_type, conf_level)
