"""Covariate balance before and after matching, preference score and propensity-score overlap.

Standardised mean difference (Austin 2009, 2011), exposed (1) minus control (0):

- continuous: SMD = (m1 - m0) / sqrt((s1^2 + s0^2) / 2), s^2 the sample variance (ddof = 1; with weights the
  unbiased "reliability weights" variance sum w (x - m)^2 / (W - sum w^2 / W), W = sum w, which equals ddof = 1 for
  unit weights);
- binary (each level of a categorical covariate, incl. ``"unknown"`` for nulls): SMD = (p1 - p0) /
  sqrt((p1 (1 - p1) + p0 (1 - p0)) / 2).

Convention: the pooled SD is computed separately in each sample: the before-matching SMD uses the before-matching
SDs and the after-matching SMD the after-matching SDs (cobalt and MatchIt instead hold one denominator fixed at its
before-matching value; ours makes "after" a property of the matched sample alone). A zero denominator gives SMD 0
when the means are equal and +/-inf otherwise. Variance ratio (continuous only) = s1^2 / s0^2 (the same
variances, ddof = 1 or reliability-weighted), null when s0^2 = 0 or undefined; Rubin (2001) and Austin (2009)
read 0.5-2 as acceptable. Diagnostic threshold used in the study: |SMD| <= 0.1.

Standard error of an SMD d between n1 exposed and n0 controls (Kish effective sizes (sum w)^2 / sum w^2 per arm
for weighted samples): se = sqrt((n1 + n0) / (n1 n0) + d^2 / (2 (n1 + n0 - 2))) (Hedges & Olkin 1985; the
variance CohortMethod's balance test uses for unweighted samples). It is the SMD's chance variation: with 23
exposed and 230 matched controls se is about 0.22, so an |SMD| of 0.1-0.2 alone says little
(:mod:`rwe_cohorts.matching.diagnostics` tests it against the threshold).

Preference score (Walker et al. 2013): ln(F / (1 - F)) = ln(PS / (1 - PS)) - ln(P / (1 - P)), P = share exposed;
patients with 0.3 <= F <= 0.7 are "in empirical equipoise".

References: Austin PC (2009). Balance diagnostics for comparing the distribution of baseline covariates between
treatment groups in propensity-score matched samples. Stat Med 28:3083-3107. Austin PC (2011), Multivariate Behav
Res 46:399-424. Walker AM et al. (2013). A tool for assessing the feasibility of comparative effectiveness research.
Comp Eff Res 3:11-20.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from rwe_cohorts.matching.design import UNKNOWN_LEVEL, levels_of

EQUIPOISE = (0.3, 0.7)


class BalanceInputError(ValueError):
    """A balance or overlap input is unusable (missing column, nulls, an empty arm, bad weights)."""


def _check_sample(
    df: pl.DataFrame, name: str, treatment_col: str, columns: Sequence[str], continuous: Sequence[str]
) -> None:
    missing = [c for c in [treatment_col, *columns] if c not in df.columns]
    if missing:
        raise BalanceInputError(f"{name} lacks column(s) {missing}; available: {df.columns}")
    if df.schema[treatment_col] != pl.Boolean or df[treatment_col].null_count():
        raise BalanceInputError(f"{name}: {treatment_col!r} must be Boolean without nulls")
    n1 = int(df[treatment_col].sum())
    if n1 == 0 or n1 == df.height:
        raise BalanceInputError(f"{name} needs both arms, has {n1} exposed and {df.height - n1} controls")
    for col in continuous:
        if not df.schema[col].is_numeric():
            raise BalanceInputError(f"{name}: continuous covariate {col!r} must be numeric, got {df.schema[col]}")
        bad = df.height - int(df[col].cast(pl.Float64).is_finite().sum())
        if bad:
            raise BalanceInputError(f"{name}: continuous covariate {col!r} has {bad} null/NaN/infinite value(s)")


def _weights(df: pl.DataFrame, weights_col: str | None) -> np.ndarray:
    if weights_col is None:
        return np.ones(df.height)
    if weights_col not in df.columns:
        raise BalanceInputError(f"df_after lacks the weights column {weights_col!r}")
    w = df[weights_col].cast(pl.Float64).to_numpy()
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise BalanceInputError(f"weights column {weights_col!r} must be finite and >= 0 (found nulls/negatives)")
    return w


def _mean_var(x: np.ndarray, w: np.ndarray, binary: bool) -> tuple[float, float]:
    sw = w.sum()
    if sw <= 0:
        raise BalanceInputError("an arm has zero total weight")
    m = float((w * x).sum() / sw)
    if binary:
        return m, m * (1 - m)
    denom = sw - (w**2).sum() / sw
    var = float((w * (x - m) ** 2).sum() / denom) if denom > 0 else math.nan
    return m, var


def smd(m1: float, m0: float, v1: float, v0: float) -> float:
    """(m1 - m0) / sqrt((v1 + v0) / 2); 0 when both differences vanish, +/-inf for a zero denominator."""
    diff = m1 - m0
    denom = math.sqrt((v1 + v0) / 2) if math.isfinite(v1 + v0) else math.nan
    if denom == 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / denom


def kish_ess(weights: np.ndarray) -> float:
    """(sum w)^2 / sum w^2; 0 for no positive weight."""
    w = np.asarray(weights, dtype=float)
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise BalanceInputError("weights must be finite and >= 0")
    sq = float((w**2).sum())
    return float(w.sum()) ** 2 / sq if sq > 0 else 0.0


def smd_standard_error(d: float, n1: float, n0: float) -> float:
    """sqrt((n1 + n0) / (n1 n0) + d^2 / (2 (n1 + n0 - 2))); NaN when undefined (an arm below 1, n1 + n0 <= 2)."""
    if not (n1 > 0 and n0 > 0 and n1 + n0 > 2 and math.isfinite(d)):
        return math.nan
    return math.sqrt((n1 + n0) / (n1 * n0) + d * d / (2 * (n1 + n0 - 2)))


def _sample_stats(
    x: np.ndarray, treated: np.ndarray, w: np.ndarray, binary: bool
) -> tuple[float, float, float, float | None]:
    m1, v1 = _mean_var(x[treated], w[treated], binary)
    m0, v0 = _mean_var(x[~treated], w[~treated], binary)
    ratio = None if binary or not (v0 > 0 and math.isfinite(v1)) else v1 / v0
    return m1, m0, smd(m1, m0, v1, v0), ratio


def covariate_balance(
    df_before: pl.DataFrame,
    df_after: pl.DataFrame,
    *,
    treatment_col: str = "is_exposed",
    categorical: Sequence[str],
    continuous: Sequence[str],
    weights_col: str | None = None,
) -> pl.DataFrame:
    """Balance table: one row per continuous covariate and per level of each categorical covariate.

    Columns: covariate, level (null for continuous), kind ("continuous" / "binary"), mean_exposed_before,
    mean_control_before, smd_before, variance_ratio_before, the same four ``_after``, and smd_se_after (the SMD's
    standard error in the after sample, with its per-arm effective sizes). Means of binary rows are
    proportions. ``weights_col`` (optional) names non-negative weights in ``df_after`` (e.g. matching weights);
    ``df_before`` is always unweighted. Categorical levels are the union over both samples, sorted, with
    ``"unknown"`` (nulls) last. Formulas and the SD convention: module docstring.
    """
    categorical, continuous = list(categorical), list(continuous)
    for name, frame in (("df_before", df_before), ("df_after", df_after)):
        _check_sample(frame, name, treatment_col, [*categorical, *continuous], continuous)
    samples = [
        (df_before, df_before[treatment_col].to_numpy(), np.ones(df_before.height)),
        (df_after, df_after[treatment_col].to_numpy(), _weights(df_after, weights_col)),
    ]
    _, treated_after, w_after = samples[1]
    n1_after, n0_after = kish_ess(w_after[treated_after]), kish_ess(w_after[~treated_after])
    rows: list[dict[str, object]] = []

    def add(covariate: str, level: str | None, values: list[np.ndarray], binary: bool) -> None:
        row: dict[str, object] = {"covariate": covariate, "level": level, "kind": "binary" if binary else "continuous"}
        for suffix, x, (_, treated, w) in zip(("before", "after"), values, samples, strict=True):
            m1, m0, d, vr = _sample_stats(x, treated, w, binary)
            row |= {
                f"mean_exposed_{suffix}": m1,
                f"mean_control_{suffix}": m0,
                f"smd_{suffix}": d,
                f"variance_ratio_{suffix}": vr,
            }
        d_after = row["smd_after"]
        row["smd_se_after"] = smd_standard_error(d_after, n1_after, n0_after) if isinstance(d_after, float) else None
        rows.append(row)

    for col in continuous:
        add(col, None, [frame[col].cast(pl.Float64).to_numpy() for frame, _, _ in samples], binary=False)
    for col in categorical:
        per_sample = [levels_of(frame, col) for frame, _, _ in samples]
        levels = set(per_sample[0].unique().to_list()) | set(per_sample[1].unique().to_list())
        for level in sorted(levels, key=lambda lv: (lv == UNKNOWN_LEVEL, lv)):
            add(col, level, [(s == level).cast(pl.Float64).to_numpy() for s in per_sample], binary=True)
    schema = {"covariate": pl.String, "level": pl.String, "kind": pl.String} | {
        f"{stat}_{suffix}": pl.Float64
        for suffix in ("before", "after")
        for stat in ("mean_exposed", "mean_control", "smd", "variance_ratio")
    }
    return pl.DataFrame(rows, schema=schema | {"smd_se_after": pl.Float64}).with_columns(
        pl.col("smd_se_after").fill_nan(None)
    )


def preference_score(ps: pl.Series, exposed_share: float) -> pl.Series:
    """Walker et al. (2013) preference score F: logit(F) = logit(ps) - logit(exposed_share).

    ``ps`` must lie in [0, 1] without nulls; ``exposed_share`` (the share exposed in the population the PS was
    fitted on) in (0, 1). Returns a Float64 series named ``preference_score``.
    """
    if not 0 < exposed_share < 1:
        raise BalanceInputError(f"exposed_share must be in (0, 1), got {exposed_share!r}")
    p = ps.cast(pl.Float64).to_numpy()
    if ps.null_count() or np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise BalanceInputError(f"ps series {ps.name!r} must lie in [0, 1] without nulls")
    shift = math.log(exposed_share / (1 - exposed_share))
    with np.errstate(divide="ignore"):
        logit = np.log(p) - np.log1p(-p) - shift
    return pl.Series("preference_score", 1.0 / (1.0 + np.exp(-logit)), dtype=pl.Float64)


def ps_overlap_summary(
    scores: pl.DataFrame,
    *,
    treatment_col: str = "is_exposed",
    ps_col: str = "ps",
    equipoise: tuple[float, float] = EQUIPOISE,
) -> pl.DataFrame:
    """PS distribution per arm and the shares in common support and in empirical equipoise.

    One row per arm (exposed first): is_exposed, n, ps_min, ps_p05, ps_p25, ps_median, ps_p75, ps_p95, ps_max
    (quantiles: linear interpolation), share_common_support (ps within [max of the arm minima, min of the arm
    maxima]), share_equipoise (preference score within ``equipoise``, inclusive, with P = share exposed in
    ``scores``).
    """
    _check_sample(scores, "scores", treatment_col, [ps_col], [ps_col])
    lo_eq, hi_eq = equipoise
    treated = scores[treatment_col]
    pref = preference_score(scores[ps_col], float(treated.mean()))  # type: ignore[arg-type]
    frame = scores.select(treatment_col, ps_col).with_columns(pref)
    by_arm = frame.group_by(treatment_col).agg(pl.col(ps_col).min().alias("lo"), pl.col(ps_col).max().alias("hi"))
    support_lo, support_hi = float(by_arm["lo"].max()), float(by_arm["hi"].min())  # type: ignore[arg-type]
    ps = pl.col(ps_col)
    quantiles = {
        f"ps_p{round(q * 100):02d}": ps.quantile(q, interpolation="linear").alias(f"ps_p{round(q * 100):02d}")
        for q in (0.05, 0.25, 0.75, 0.95)
    }
    return (
        frame.group_by(treatment_col)
        .agg(
            pl.len().alias("n"),
            ps.min().alias("ps_min"),
            quantiles["ps_p05"],
            quantiles["ps_p25"],
            ps.median().alias("ps_median"),
            quantiles["ps_p75"],
            quantiles["ps_p95"],
            ps.max().alias("ps_max"),
            ps.is_between(support_lo, support_hi).mean().alias("share_common_support"),
            pl.col("preference_score").is_between(lo_eq, hi_eq).mean().alias("share_equipoise"),
        )
        .sort(treatment_col, descending=True)
    )
