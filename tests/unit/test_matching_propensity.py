"""Unit tests for rwe_cohorts.matching's propensity model (planted coefficients, penalised fit, separation,
named errors, c-statistic) and its balance diagnostics (standardised mean differences and variance ratios, weights,
preference score, overlap summary, plots). Greedy matching is in ``test_matching.py``.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from rwe_cohorts.matching import (
    BalanceInputError,
    PropensityInputError,
    PropensityModelError,
    PropensityModelWarning,
    c_statistic,
    covariate_balance,
    fit_propensity,
    love_plot,
    preference_score,
    ps_overlap_plot,
    ps_overlap_summary,
)

SEED = 20240607  # the same seed as test_matching.py


# --- propensity model ---------------------------------------------------------------------------------------------


def planted_cohort(n: int, seed: int = SEED) -> tuple[pl.DataFrame, dict[str, float]]:
    rng = np.random.default_rng(seed)
    truth = {"intercept": -1.0, "smoking[never]": 0.8, "smoking[unknown]": -0.5, "age_centred": 0.04}
    smoking = rng.choice(["current", "never", ""], size=n, p=[0.6, 0.3, 0.1])
    age = rng.normal(0, 10, n)
    lp = (
        truth["intercept"]
        + truth["smoking[never]"] * (smoking == "never")
        + truth["smoking[unknown]"] * (smoking == "")
        + truth["age_centred"] * age
    )
    exposed = rng.random(n) < 1 / (1 + np.exp(-lp))
    df = pl.DataFrame({"patient_id": np.arange(n), "is_exposed": exposed, "smoking": smoking, "age_centred": age})
    return df.with_columns(pl.col("smoking").replace("", None)), truth


def test_fit_recovers_planted_coefficients_and_scores_are_the_linear_predictor() -> None:
    df, truth = planted_cohort(20_000)
    before = df.clone()
    fit = fit_propensity(df, categorical=["smoking"], continuous=["age_centred"])
    coef = {r["term"]: r for r in fit.coefficients.iter_rows(named=True)}
    assert set(coef) == set(truth)  # reference level 'current' (most frequent), nulls as 'unknown'
    for term, value in truth.items():
        assert abs(coef[term]["estimate"] - value) < 4 * coef[term]["std_error"], term
        assert coef[term]["odds_ratio"] == pytest.approx(math.exp(coef[term]["estimate"]))
    assert fit.converged and fit.warnings == () and fit.n == 20_000 and fit.n_exposed == int(df["is_exposed"].sum())
    assert fit.reference_levels == (("smoking", "current"),)
    lp = (
        coef["intercept"]["estimate"]
        + coef["smoking[never]"]["estimate"] * (df["smoking"] == "never").fill_null(False).to_numpy()
        + coef["smoking[unknown]"]["estimate"] * df["smoking"].is_null().to_numpy()
        + coef["age_centred"]["estimate"] * df["age_centred"].to_numpy()
    )
    np.testing.assert_allclose(fit.scores["logit_ps"].to_numpy(), lp, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fit.scores["ps"].to_numpy(), 1 / (1 + np.exp(-lp)), rtol=1e-12)
    assert fit.scores.columns == ["patient_id", "is_exposed", "ps", "logit_ps"]
    assert fit.c_statistic == pytest.approx(roc_auc_score(df["is_exposed"].to_numpy(), lp), abs=1e-12)
    assert df.equals(before)


def test_penalised_fit_satisfies_its_stationarity_condition() -> None:
    df, _ = planted_cohort(5_000)
    lam = 25.0
    fit = fit_propensity(df, categorical=["smoking"], continuous=["age_centred"], penalty=lam)
    beta = fit.coefficients["estimate"].to_numpy()
    x = np.column_stack(
        [
            np.ones(df.height),
            (df["smoking"] == "never").fill_null(False).to_numpy(),
            df["smoking"].is_null().to_numpy(),
            df["age_centred"].to_numpy(),
        ]
    )
    y = df["is_exposed"].to_numpy().astype(float)
    gradient = x.T @ (y - 1 / (1 + np.exp(-(x @ beta))))  # d loglik / d beta = lambda * beta (intercept: 0)
    np.testing.assert_allclose(gradient, lam * np.r_[0.0, beta[1:]], atol=1e-3)
    assert fit.coefficients["std_error"].null_count() == 4 and "L2 penalty" in fit.method


def test_separation_is_warned_naming_the_level() -> None:
    df, _ = planted_cohort(2_000)
    df = df.with_columns(
        pl.when(pl.col("patient_id") < 40).then(pl.lit("rare")).otherwise(pl.col("smoking")).alias("smoking"),
        (pl.col("is_exposed") & (pl.col("patient_id") >= 40)).alias("is_exposed"),
    )
    with pytest.warns(PropensityModelWarning) as record:
        fit = fit_propensity(df, categorical=["smoking"], continuous=["age_centred"])
    assert any("separation: smoking[rare] (no patient exposed)" in str(w.message) for w in record)
    assert not fit.converged
    assert any("rare" in w for w in fit.warnings)
    assert any("diverging terms" in w and "smoking[rare]" in w for w in fit.warnings)


def test_unrecoverable_models_and_bad_inputs_raise_named_errors() -> None:
    df, _ = planted_cohort(500)
    with pytest.raises(PropensityInputError, match=r"'age_centred' has 3 null"):
        fit_propensity(
            df.with_columns(
                pl.when(pl.col("patient_id") < 3).then(None).otherwise(pl.col("age_centred")).alias("age_centred")
            ),
            categorical=["smoking"],
            continuous=["age_centred"],
        )
    with pytest.raises(PropensityInputError, match="at least one covariate"):
        fit_propensity(df, categorical=[], continuous=[])
    with pytest.raises(PropensityModelError, match="both arms"):
        fit_propensity(df.with_columns(pl.lit(False).alias("is_exposed")), categorical=[], continuous=["age_centred"])
    with pytest.raises(PropensityModelError, match=r"rank-deficient.*'constant'"):
        fit_propensity(df.with_columns(pl.lit(3.0).alias("constant")), categorical=[], continuous=["constant"])


def test_c_statistic_counts_ties_one_half_like_sklearn() -> None:
    rng = np.random.default_rng(SEED)
    for _ in range(50):
        y = rng.random(200) < 0.3
        score = rng.integers(0, 5, 200).astype(float)
        assert c_statistic(score, y) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert c_statistic(np.array([1.0, 1.0]), np.array([True, False])) == 0.5


# --- balance, preference score, plots -----------------------------------------------------------------------------


def direct_smd(x1: np.ndarray, x0: np.ndarray, binary: bool) -> float:
    if binary:
        p1, p0 = x1.mean(), x0.mean()
        return float((p1 - p0) / np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2))
    return float((x1.mean() - x0.mean()) / np.sqrt((x1.var(ddof=1) + x0.var(ddof=1)) / 2))


def test_balance_numbers_match_a_direct_numpy_computation() -> None:
    df, _ = planted_cohort(3_000)
    after = df.sample(n=800, seed=SEED)
    table = covariate_balance(df, after, categorical=["smoking"], continuous=["age_centred"])
    assert table.select("covariate", "level").rows() == [
        ("age_centred", None),
        ("smoking", "current"),
        ("smoking", "never"),
        ("smoking", "unknown"),
    ]
    for suffix, frame in (("before", df), ("after", after)):
        t = frame["is_exposed"].to_numpy()
        age = frame["age_centred"].to_numpy()
        row = table.row(0, named=True)
        assert row[f"smd_{suffix}"] == pytest.approx(direct_smd(age[t], age[~t], binary=False), rel=1e-12)
        ratio = age[t].var(ddof=1) / age[~t].var(ddof=1)
        assert row[f"variance_ratio_{suffix}"] == pytest.approx(ratio, rel=1e-12)
        never = (frame["smoking"] == "never").fill_null(False).to_numpy().astype(float)
        row = table.row(2, named=True)
        assert row[f"smd_{suffix}"] == pytest.approx(direct_smd(never[t], never[~t], binary=True), rel=1e-12)
        assert row[f"mean_exposed_{suffix}"] == pytest.approx(never[t].mean())
        assert row[f"variance_ratio_{suffix}"] is None


def test_balance_weights_and_degenerate_levels() -> None:
    df = pl.DataFrame({"is_exposed": [True, True, False, False, False], "x": [1.0, 3.0, 0.0, 2.0, 4.0]})
    df = df.with_columns(pl.Series("w", [1.0, 1.0, 2.0, 0.0, 2.0]), pl.Series("g", ["a", "a", "b", "b", "b"]))
    table = covariate_balance(df, df, categorical=["g"], continuous=["x"], weights_col="w")
    x = table.row(0, named=True)
    assert x["mean_control_after"] == pytest.approx(2.0) and x["mean_control_before"] == pytest.approx(2.0)
    # reliability-weights variance of controls: sum w (x - m)^2 / (W - sum w^2 / W) = 16 / (4 - 8 / 4) = 8
    assert x["variance_ratio_after"] == pytest.approx(2.0 / 8.0)
    level_a = table.filter(pl.col("level") == "a").row(0, named=True)
    assert level_a["smd_before"] == math.inf  # p1 = 1, p0 = 0: zero pooled SD, different means
    with pytest.raises(BalanceInputError, match="both arms"):
        covariate_balance(df.filter(pl.col("is_exposed")), df, categorical=[], continuous=["x"])


def test_preference_score_and_overlap_summary() -> None:
    ps = pl.Series("ps", [0.01, 0.2, 0.5])
    expected = [1 / (1 + math.exp(-(math.log(p / (1 - p)) - math.log(0.2 / 0.8)))) for p in ps]
    np.testing.assert_allclose(preference_score(ps, 0.2).to_numpy(), expected, rtol=1e-12)
    assert preference_score(pl.Series([0.2]), 0.2).item() == pytest.approx(0.5)
    scores = pl.DataFrame(
        {"is_exposed": [True, True, False, False, False, False], "ps": [0.3, 0.6, 0.1, 0.2, 0.4, 0.9]}
    )
    summary = ps_overlap_summary(scores)
    assert summary["is_exposed"].to_list() == [True, False] and summary["n"].to_list() == [2, 4]
    assert summary["share_common_support"].to_list() == pytest.approx([1.0, 0.25])  # support [0.3, 0.6]


def test_plots_return_png_bytes() -> None:
    df, _ = planted_cohort(1_000)
    fit = fit_propensity(df, categorical=["smoking"], continuous=["age_centred"])
    table = covariate_balance(df, df.sample(n=300, seed=1), categorical=["smoking"], continuous=["age_centred"])
    for png in (love_plot(table), ps_overlap_plot(fit.scores)):
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
