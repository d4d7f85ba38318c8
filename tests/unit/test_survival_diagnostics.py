"""Diagnostics: Grambsch-Therneau PH test on delayed-entry risk sets, entry-time Cox, conditional Kendall's tau."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from rwe_cohorts.survival import (
    ArmSpec,
    conditional_kendall_tau,
    entry_time_cox,
    proportional_hazards_test,
)
from rwe_cohorts.survival.data import SurvivalArrays, to_arrays
from rwe_cohorts.survival.efron import EfronModel
from rwe_cohorts.survival.proportional_hazards import TimeTransform, time_transform


def crossing_hazards(seed: int, n: int = 400, entry_scale: float = 6.0) -> pl.DataFrame:
    """Exposed: Weibull shape 0.6 (high early hazard), comparator: shape 1.6 -> crossing curves, non-PH."""
    rng = np.random.default_rng(seed)
    exposed = rng.random(n) < 0.4
    t = np.where(exposed, 12 * rng.weibull(0.6, n), 12 * rng.weibull(1.6, n))
    entry = rng.uniform(0, entry_scale, n) * (rng.random(n) < 0.5)
    censor = rng.uniform(10, 50, n)
    exit_ = np.round(np.minimum(t, censor), 1)
    keep = exit_ > entry
    return pl.DataFrame(
        {
            "entry_months": entry[keep],
            "exit_months": exit_[keep],
            "is_event": (t <= censor)[keep],
            "arm": np.where(exposed[keep], "NTRK+", "NTRK-"),
        }
    )


def split_at_death_times(data: SurvivalArrays, g_of: dict[float, float]) -> tuple[SurvivalArrays, np.ndarray]:
    """Episode-split every subject at the death times inside (entry, exit]; z = x g(t_k) on the episode ending at
    the death time t_k (the value the time-varying covariate takes at that death time)."""
    assert data.is_exposed is not None
    times = np.unique(data.exit[data.event])
    rows: list[tuple[float, float, bool, float, float]] = []
    for e, x_end, ev, x in zip(data.entry, data.exit, data.event, data.is_exposed.astype(float), strict=True):
        cuts = times[(times > e) & (times <= x_end)]
        start = e
        for t in cuts:
            rows.append((start, t, bool(ev and t == x_end), x, x * g_of[float(t)]))
            start = t
        if start < x_end:
            rows.append((start, x_end, bool(ev), x, 0.0))
    arr = np.array(rows, dtype=float)
    split = SurvivalArrays(arr[:, 0], arr[:, 1], arr[:, 2].astype(bool), np.ones(len(arr)))
    return split, arr[:, 3:5]


@pytest.mark.parametrize("transform", ["km", "identity", "log"])
def test_exact_ph_test_equals_score_test_of_time_varying_coefficient(transform: TimeTransform) -> None:
    """The survival-3 ``cox.zph`` statistic is the score test of theta = 0 in the model with x and x g(t) at
    (beta_hat, 0). Rebuild that model by episode splitting and evaluate U and I with the generic Efron engine."""
    df = crossing_hazards(1, n=150)
    result = proportional_hazards_test(df, transform=transform)
    data = to_arrays(df, arms=ArmSpec())
    times = np.unique(data.exit[data.event])
    g_of = dict(zip(times.tolist(), time_transform(data, times, transform).tolist(), strict=True))
    split, x = split_at_death_times(data, g_of)
    terms = EfronModel(split, x).terms(np.array([result.log_hr, 0.0]))
    assert abs(terms.score[0]) < 1e-8
    i = terms.information
    expected = terms.score[1] ** 2 / (i[1, 1] - i[0, 1] ** 2 / i[0, 0])
    assert result.chisq == pytest.approx(float(expected), rel=1e-8)


@pytest.mark.parametrize("transform", ["identity", "log"])
def test_approx_ph_test_matches_lifelines_without_entry(transform: TimeTransform) -> None:
    """lifelines ``proportional_hazard_test`` implements the pre-3.0 R approximation (no entry, no ties here)."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    rng = np.random.default_rng(5)
    n = 300
    x = rng.random(n) < 0.4
    t = rng.weibull(0.7, n) * 10 * np.exp(-0.7 * x) * np.where(x, rng.uniform(0.5, 2, n), 1)
    c = rng.uniform(0, 30, n)
    pdf = pd.DataFrame({"exit": np.minimum(t, c), "event": (t <= c).astype(int), "x": x.astype(int)})
    cph = CoxPHFitter().fit(pdf, "exit", "event")
    theirs = float(proportional_hazard_test(cph, pdf, time_transform=transform).summary["test_statistic"].iloc[0])
    df = pl.DataFrame({"entry_months": 0.0, "exit_months": pdf["exit"], "is_event": t <= c, "is_exposed": x})
    ours = proportional_hazards_test(
        df,
        arms=ArmSpec.from_is_exposed(),
        transform=transform,
        method="approx",
    )
    assert ours.chisq == pytest.approx(theirs, rel=2e-3)


def test_ph_test_flags_crossing_curves_and_passes_proportional_data() -> None:
    crossing = proportional_hazards_test(crossing_hazards(2, n=1500))
    assert crossing.status == "warn" and crossing.p_value < 0.001 and crossing.threshold_p == 0.05
    rng = np.random.default_rng(3)
    n = 1500
    exposed = rng.random(n) < 0.4
    t = rng.exponential(12, n) / np.where(exposed, 1.6, 1.0)
    entry = rng.uniform(0, 6, n) * (rng.random(n) < 0.5)
    keep = t > entry
    ph = pl.DataFrame(
        {
            "entry_months": entry[keep],
            "exit_months": t[keep],
            "is_event": np.ones(int(keep.sum()), dtype=bool),
            "arm": np.where(exposed[keep], "NTRK+", "NTRK-"),
        }
    )
    result = proportional_hazards_test(ph)
    assert result.status == "pass"
    assert result.residuals.height == int(keep.sum())
    assert set(result.residuals.columns) == {"time", "g_time", "scaled_residual"}


def informative_entry(seed: int, n: int, per_month_log_hr: float) -> pl.DataFrame:
    """Entry delay L ~ U(0, 12); hazard exp(per_month_log_hr * L); observed only if T > L."""
    rng = np.random.default_rng(seed)
    delay = rng.uniform(0, 12, n)
    exposed = rng.random(n) < 0.3
    t = rng.exponential(15, n) / np.exp(per_month_log_hr * delay + 0.4 * exposed)
    keep = t > delay
    return pl.DataFrame(
        {
            "entry_months": delay[keep],
            "exit_months": t[keep],
            "is_event": np.ones(int(keep.sum()), dtype=bool),
            "arm": np.where(exposed[keep], "NTRK+", "NTRK-"),
        }
    )


def test_entry_time_cox_recovers_planted_delay_effect() -> None:
    """Planted: 5% higher hazard per month of delay; independent entry gives HR ~ 1 and 'pass'."""
    dependent = entry_time_cox(informative_entry(7, 8000, np.log(1.05)))
    assert dependent.hr_per_month == pytest.approx(1.05, abs=0.01)
    assert dependent.ci_lower < 1.05 < dependent.ci_upper and dependent.status == "warn"
    independent = entry_time_cox(informative_entry(8, 3000, 0.0))
    assert independent.ci_lower < 1.0 < independent.ci_upper and independent.status == "pass"


def test_conditional_kendall_tau_hand_example_and_planted_dependence() -> None:
    """Hand example (entry, exit, event): A (0, 5, 1), B (1, 3, 1), C (2, 8, 0), D (4, 6, 1).
    Comparable pairs need max(L) < min(X) and the earlier exit a death:
    A-B: max L 1 < 3, earlier exit B died, sign (0-1)(5-3) = -1;  A-C: 2 < 5, A died, sign (0-2)(5-8) = +1;
    A-D: 4 < 5, A died, sign (0-4)(5-6) = +1;  B-C: 2 < 3, B died, sign (1-2)(3-8) = +1;
    B-D: max L 4 > 3 -> not comparable;  C-D: 4 < 6, D died, sign (2-4)(8-6) = -1.  tau = (−1+1+1+1−1)/5 = 0.2.
    """
    hand = pl.DataFrame(
        {"entry_months": [0.0, 1, 2, 4], "exit_months": [5.0, 3, 8, 6], "is_event": [True, True, False, True]}
    )
    result = conditional_kendall_tau(hand)
    assert result.n_comparable_pairs == 5 and result.tau == pytest.approx(0.2)
    independent = conditional_kendall_tau(informative_entry(9, 1500, 0.0))
    assert abs(independent.z) < 3
    dependent = conditional_kendall_tau(informative_entry(10, 1500, np.log(1.15)))
    assert dependent.tau < 0 and dependent.status == "warn"


def _pair_sums_by_all_pairs(entry: np.ndarray, exit_: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The definition, O(n^2): a_i = sum_j sign((L_i - L_j)(X_i - X_j)) c_ij, b_i = sum_j c_ij."""
    later_entry = np.maximum(entry[:, None], entry[None, :])
    earlier_exit = np.minimum(exit_[:, None], exit_[None, :])
    earlier_is_death = np.where(exit_[:, None] < exit_[None, :], event[:, None], event[None, :])
    comparable = (later_entry < earlier_exit) & (exit_[:, None] != exit_[None, :]) & earlier_is_death
    sign = np.sign((entry[:, None] - entry[None, :]) * (exit_[:, None] - exit_[None, :]))
    return np.sum(sign * comparable, axis=1), np.sum(comparable, axis=1)


@pytest.mark.parametrize("seed", range(6))
def test_kendall_pair_sums_equal_the_all_pairs_definition(seed: int) -> None:
    """The O(n log n) row sums equal the O(n^2) definition exactly, on coarse grids full of ties in entry and exit,
    with censored rows and (odd seeds; the frame validation refuses them, the arithmetic must not depend on that)
    rows entering at their exit, comparable with no one."""
    from rwe_cohorts.survival.entry_diagnostics import _pair_sums

    rng = np.random.default_rng(seed)
    n = 300 + 100 * seed
    entry = rng.integers(0, 8, n).astype(float)
    exit_ = entry + rng.integers(0 if seed % 2 else 1, 12, n)
    event = rng.random(n) < 0.6
    data = SurvivalArrays(entry=entry, exit=exit_, event=event, weight=np.ones(n))
    a, b = _pair_sums(data)
    a_ref, b_ref = _pair_sums_by_all_pairs(data.entry, data.exit, data.event)
    np.testing.assert_array_equal(b, b_ref)
    np.testing.assert_array_equal(a, a_ref)
    assert b.sum() > 0
