"""Diagnostics of the PS model and the matched sample, against hand computations: Kish effective sample sizes of
the ATT and matching weights, the share in preference-score equipoise, the SMD's standard error and the test that an
|SMD| after matching exceeds the threshold (Hripcsak et al. 2025, as CohortMethod), with its Bonferroni statuses and
the exception texts the report and the balance check show."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from rwe_cohorts.matching import (
    balance_exceptions,
    classify_balance,
    covariate_balance,
    effective_sample_sizes,
    kish_ess,
    share_in_equipoise,
    smd_standard_error,
)
from rwe_cohorts.matching.diagnostics import p_above_threshold

SEED = 20240612


def test_effective_sample_sizes_by_hand() -> None:
    """Kish ESS (sum w)^2 / sum w^2 of the ATT odds weights and of the matching weights, computed by hand for a
    cohort with an incomplete set and a comparator used by two sets."""
    scores = pl.DataFrame(
        {
            "patient_id": ["e1", "e2", "c1", "c2", "c3", "c4"],
            "is_exposed": [True, True, False, False, False, False],
            "ps": [0.5, 0.2, 0.5, 0.2, 0.1, 0.8],
        }
    )
    matched = pl.DataFrame(
        {
            "patient_id": ["e1", "c1", "c2", "e2", "c2"],
            "is_exposed": [True, False, False, True, False],
            "match_set_id": ["e1", "e1", "e1", "e2", "e2"],
        }
    )
    out = effective_sample_sizes(scores, matched).to_dicts()
    odds = np.array([1.0, 0.25, 1 / 9, 4.0])
    assert out[0] == {"is_exposed": True, "n_matched": 2, "ess_att": pytest.approx(2.0), "ess_matched": 2.0}
    assert out[1]["ess_att"] == pytest.approx(odds.sum() ** 2 / (odds**2).sum())
    # c1: 1/2 (set e1); c2: 1/2 (set e1) + 1 (set e2, its only comparator)
    assert out[1]["n_matched"] == 2 and out[1]["ess_matched"] == pytest.approx(2.0**2 / (0.5**2 + 1.5**2))
    assert kish_ess(np.ones(7)) == pytest.approx(7.0) and kish_ess(np.zeros(3)) == 0.0


def test_share_in_equipoise_is_the_preference_score_rule() -> None:
    ps = np.array([0.01, 0.05, 0.1, 0.2, 0.3, 0.5])
    scores = pl.DataFrame({"is_exposed": [True, False, False, True, False, False], "ps": ps})
    share = 2 / 6
    f = 1 / (1 + np.exp(-(np.log(ps / (1 - ps)) - np.log(share / (1 - share)))))
    assert share_in_equipoise(scores) == pytest.approx(float(np.mean((f >= 0.3) & (f <= 0.7))))


def test_balance_test_reproduces_the_formula_and_bonferroni() -> None:
    """SE sqrt((n1 + n0) / (n1 n0) + d^2 / (2 (n1 + n0 - 2))), P = Phi((t - |d|) / se) + Phi((-|d| - t) / se)
    (normal tails by math.erfc), statuses against alpha / K."""
    se = smd_standard_error(0.177, 23, 230)
    assert se == pytest.approx(math.sqrt(253 / 5290 + 0.177**2 / (2 * 251)))

    def phi(z: float) -> float:
        return 0.5 * math.erfc(-z / math.sqrt(2))

    p = p_above_threshold(0.177, se, 0.1)
    assert p == pytest.approx(phi((0.1 - 0.177) / se) + phi((-0.177 - 0.1) / se), rel=1e-12)
    balance = pl.DataFrame(
        {
            "covariate": ["age", "smoking", "smoking"],
            "level": [None, "never", "ever"],
            "kind": ["continuous", "binary", "binary"],
            "mean_exposed_after": [60.0, 0.6, 0.4],
            "mean_control_after": [58.0, 0.3, 0.7],
            "smd_after": [0.05, 0.177, -0.9],
            "variance_ratio_after": [1.3, None, None],
            "smd_se_after": [se, se, se],
        }
    )
    out = classify_balance(balance, 0.1, 0.05)
    assert out["balance_after"].to_list() == ["balanced", "within chance", "imbalanced"]
    assert out["p_above_threshold_after"][2] < 0.05 / 3 <= out["p_above_threshold_after"][1]
    assert classify_balance(balance, 0.1, None)["balance_after"].to_list() == ["balanced", "imbalanced", "imbalanced"]
    found = balance_exceptions(balance, 0.1, 0.05)
    assert found.names == ["smoking=never", "smoking=ever"] and found.n_imbalanced == 1
    assert "60.0% vs 30.0%" in found.details[0] and "within the chance variation" in found.details[0]
    assert "significantly above the threshold" in found.details[1] and found.max_abs_smd == pytest.approx(0.9)
    continuous = balance_exceptions(balance.with_columns(pl.lit(0.5).alias("smd_after")), 0.1, 0.05)
    assert "variance ratio 1.30" in continuous.details[0]


def test_covariate_balance_reports_the_smd_standard_error_at_the_matched_size() -> None:
    rng = np.random.default_rng(SEED)
    df = pl.DataFrame(
        {
            "is_exposed": rng.random(1_000) < 0.2,
            "smoking": rng.choice(["current", "never", "former"], 1_000),
            "age": rng.normal(63, 11, 1_000),
        }
    )
    after = df.sample(n=300, seed=SEED)
    table = covariate_balance(df, after, categorical=["smoking"], continuous=["age"])
    n1 = int(after["is_exposed"].sum())
    for row in table.to_dicts():
        assert row["smd_se_after"] == pytest.approx(smd_standard_error(row["smd_after"], n1, 300 - n1))
