"""Diagnostics of the propensity model and the matched sample: effective sample sizes, the share of patients in
empirical equipoise, and the test of whether a standardized mean difference after matching exceeds the threshold.

- Kish effective sample size of weights w: ESS = (sum w)^2 / sum w^2 (Kish 1965); n for equal weights.
- ATT (odds) weights over the eligible pool: 1 for an exposed patient, e / (1 - e) for a comparator with PS e (the
  weights of the IPTW analysis; Hirano, Imbens & Ridder 2003). Their comparator ESS says how many comparators the
  ATT-weighted pool is worth.
- Matching weights: 1 for an exposed patient whose set has at least one comparator (0 otherwise), and for a
  comparator the sum over the sets it is in of 1 / (comparators in that set), so that each set's comparators stand
  for its one exposed patient. With complete 1:k sets without replacement every comparator weighs 1/k and the
  comparator ESS is the number of matched comparators.
- Equipoise: the share of all patients (both arms) whose preference score (Walker et al. 2013, see
  :func:`rwe_cohorts.matching.balance.preference_score`) lies in [0.3, 0.7], inclusive (CohortMethod
  ``computeEquipoise``).
- Balance test (Hripcsak et al. 2025, as CohortMethod ``computeCovariateBalance``): the SMD d of a sample with n1
  exposed and n0 comparators (Kish ESS per arm when weighted) has variance
  Var(d) = (n1 + n0) / (n1 n0) + d^2 / (2 (n1 + n0 - 2)) (the large-sample variance of a standardized difference,
  Hedges & Olkin 1985). The P value that |SMD| exceeds the threshold t is
  P = Pr(Z > (|d| - t) / se) + Pr(Z < (-|d| - t) / se), Z standard normal; a level is *imbalanced* when
  P < alpha / K (Bonferroni over the K balance rows with a defined SMD), *within chance* when |d| > t but
  P >= alpha / K, and *balanced* when |d| <= t. With ``alpha = None`` every |d| > t is imbalanced.

References: Kish L (1965). Survey Sampling. Wiley. Hripcsak G, Zhang L, Chen Y, Li K, Suchard MA, Ryan PB,
Schuemie MJ (2025). Assessing covariate balance with small sample sizes. Stat Med (medRxiv 2024.04.23.24306230).
Austin PC (2009). Stat Med 28:3083-3107.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from rwe_cohorts.matching.balance import EQUIPOISE, BalanceInputError, kish_ess, preference_score

BALANCED, WITHIN_CHANCE, IMBALANCED = "balanced", "within chance", "imbalanced"


def att_weights(scores: pl.DataFrame, *, treatment_col: str = "is_exposed", ps_col: str = "ps") -> np.ndarray:
    """ATT odds weights: 1 for the exposed, ps / (1 - ps) for comparators."""
    ps = scores[ps_col].cast(pl.Float64).to_numpy()
    exposed = scores[treatment_col].to_numpy()
    with np.errstate(divide="ignore"):
        return np.where(exposed, 1.0, ps / (1.0 - ps))


def matching_weights(matched: pl.DataFrame, *, treatment_col: str = "is_exposed") -> pl.DataFrame:
    """patient_id, is_exposed, weight: the matching weights of the matched cohort (module docstring)."""
    sizes = matched.group_by("match_set_id").agg((~pl.col(treatment_col)).sum().alias("k"))
    rows = matched.join(sizes, on="match_set_id", how="left")
    weight = (
        pl.when(pl.col(treatment_col))
        .then((pl.col("k") > 0).cast(pl.Float64))
        .otherwise(1.0 / pl.col("k").cast(pl.Float64))
    )
    return (
        rows.with_columns(weight.alias("weight"))
        .group_by("patient_id", treatment_col)
        .agg(pl.col("weight").sum())
        .sort("patient_id")
    )


def share_in_equipoise(
    scores: pl.DataFrame,
    *,
    treatment_col: str = "is_exposed",
    ps_col: str = "ps",
    bounds: tuple[float, float] = EQUIPOISE,
) -> float:
    """Share of all patients with preference score in ``bounds`` (inclusive)."""
    pref = preference_score(scores[ps_col], float(scores[treatment_col].mean()))  # type: ignore[arg-type]
    return float(pref.is_between(*bounds).mean())  # type: ignore[arg-type]


def effective_sample_sizes(
    scores: pl.DataFrame, matched: pl.DataFrame, *, treatment_col: str = "is_exposed"
) -> pl.DataFrame:
    """Per arm (exposed first): is_exposed, n_matched (patients in the matched cohort), ess_att (Kish ESS of the
    ATT weights over the eligible pool), ess_matched (Kish ESS of the matching weights)."""
    att = att_weights(scores, treatment_col=treatment_col)
    arm = scores[treatment_col].to_numpy()
    mw = matching_weights(matched, treatment_col=treatment_col)
    rows = []
    for exposed in (True, False):
        in_arm = mw.filter(pl.col(treatment_col) == exposed)
        rows.append(
            {
                treatment_col: exposed,
                "n_matched": in_arm.height,
                "ess_att": kish_ess(att[arm == exposed]),
                "ess_matched": kish_ess(in_arm["weight"].to_numpy()),
            }
        )
    return pl.DataFrame(
        rows,
        schema={treatment_col: pl.Boolean, "n_matched": pl.Int64, "ess_att": pl.Float64, "ess_matched": pl.Float64},
    )


def p_above_threshold(d: float, se: float, threshold: float) -> float:
    """P that |SMD| exceeds ``threshold``: Pr(Z > (|d| - t) / se) + Pr(Z < (-|d| - t) / se); NaN if undefined."""
    if not (math.isfinite(d) and math.isfinite(se) and se > 0):
        return math.nan
    return float(stats.norm.sf((abs(d) - threshold) / se) + stats.norm.cdf((-abs(d) - threshold) / se))


def classify_balance(balance: pl.DataFrame, threshold: float, alpha: float | None) -> pl.DataFrame:
    """``balance`` (from :func:`~rwe_cohorts.matching.balance.covariate_balance`, with ``smd_se_after``) with
    ``p_above_threshold_after`` and ``balance_after`` (balanced / within chance / imbalanced; null for an undefined
    SMD) added (formulas: module docstring)."""
    if not threshold > 0:
        raise BalanceInputError(f"threshold must be > 0, got {threshold!r}")
    if alpha is not None and not 0 < alpha < 1:
        raise BalanceInputError(f"alpha must be in (0, 1) or None, got {alpha!r}")
    d = balance["smd_after"].to_list()
    se = balance["smd_se_after"].to_list()
    p = [
        p_above_threshold(a, b, threshold) if a is not None and b is not None else math.nan
        for a, b in zip(d, se, strict=True)
    ]
    defined = sum(1 for v in d if v is not None and not math.isnan(v))
    cut = alpha / defined if alpha is not None and defined else None

    def status(di: float | None, pi: float) -> str | None:
        if di is None or math.isnan(di):
            return None
        if abs(di) <= threshold:
            return BALANCED
        return WITHIN_CHANCE if cut is not None and pi >= cut else IMBALANCED

    return balance.with_columns(
        pl.Series("p_above_threshold_after", p, dtype=pl.Float64).fill_nan(None),
        pl.Series("balance_after", [status(a, b) for a, b in zip(d, p, strict=True)], dtype=pl.String),
    )


@dataclass(frozen=True)
class BalanceExceptions:
    """The balance rows whose |SMD| after matching exceeds the threshold: ``names`` (``covariate=level``, or the
    covariate alone for a continuous one), ``details`` (one line each: the SMD, the variance ratio of a continuous
    covariate or the two shares of a level, and why: within chance or a significant imbalance), how many are
    significant imbalances, and the largest |SMD| after matching (None when no SMD is defined)."""

    threshold: float
    alpha: float | None
    names: list[str]
    details: list[str]
    n_imbalanced: int
    max_abs_smd: float | None

    @property
    def summary(self) -> str:
        if not self.names:
            return f"all |SMD| <= {self.threshold:g}"
        return f"|SMD| > {self.threshold:g}: " + "; ".join(self.details)


def _reason(row: dict[str, Any], threshold: float, alpha: float | None, k: int) -> str:
    d, se, p = row["smd_after"], row["smd_se_after"], row["p_above_threshold_after"]
    if row["kind"] == "continuous":
        vr = row["variance_ratio_after"]
        spread = f"variance ratio {vr:.2f}" if vr is not None else "variance ratio undefined"
    else:
        spread = f"{row['mean_exposed_after']:.1%} vs {row['mean_control_after']:.1%}"
    head = f"SMD {d:+.3f} ({spread}"
    if alpha is None or p is None:
        return f"{head}); above the threshold (no balance test: balance_alpha is null or the SE undefined)"
    test = f"P(|SMD| > {threshold:g}) = {p:.2g} vs {alpha:g}/{k} = {alpha / k:.2g}, SE {se:.2f}"
    if row["balance_after"] == WITHIN_CHANCE:
        return f"{head}; {test}): within the chance variation of a sample this size, not a systematic imbalance"
    return f"{head}; {test}): significantly above the threshold, a systematic imbalance"


def balance_exceptions(balance: pl.DataFrame, threshold: float, alpha: float | None) -> BalanceExceptions:
    """The rows of ``marts.covariate_balance`` above ``threshold`` after matching, classified by the balance test at
    family-wise ``alpha`` (:func:`classify_balance`), each with its reason."""
    classified = classify_balance(balance, threshold, alpha)
    worst = classified["smd_after"].abs().drop_nulls().max()
    k = classified["balance_after"].drop_nulls().len()
    names, details, n_bad = [], [], 0
    for row in classified.filter(pl.col("balance_after") != BALANCED).to_dicts():
        name = f"{row['covariate']}={row['level']}" if row["level"] else str(row["covariate"])
        names.append(name)
        details.append(f"{name}: {_reason(row, threshold, alpha, k)}")
        n_bad += row["balance_after"] == IMBALANCED
    return BalanceExceptions(
        threshold,
        alpha,
        names,
        details,
        n_bad,
        None if worst is None else float(worst),  # type: ignore[arg-type]
    )
