"""Kaplan-Meier, medians, landmarks and RMST pinned to published R output and to hand calculations.

The AML data (Embury et al. 1977; R ``survival::aml``, Miller 1981) are typed in below:
Maintained:    9, 13, 13+, 18, 23, 28+, 31, 34, 45+, 48, 161+
Nonmaintained: 5, 5, 8, 8, 12, 16+, 23, 27, 30, 33, 43, 45
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from rwe_cohorts.survival import (
    ArmSpec,
    KaplanMeierSettings,
    kaplan_meier,
    kaplan_meier_by_arm,
    median_survival,
    restricted_mean,
    survival_at,
)

Z95 = 1.959963984540054

MAINTAINED = ([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161], [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
NONMAINTAINED = ([5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45], [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])
AML_ARMS = ArmSpec(column="arm", exposed="Nonmaintained", comparator="Maintained")


def aml_frame() -> pl.DataFrame:
    times = MAINTAINED[0] + NONMAINTAINED[0]
    status = MAINTAINED[1] + NONMAINTAINED[1]
    return pl.DataFrame(
        {
            "entry_months": [0.0] * len(times),
            "exit_months": [float(t) for t in times],
            "is_event": [bool(s) for s in status],
            "arm": ["Maintained"] * 11 + ["Nonmaintained"] * 12,
        }
    )


def test_aml_maintained_matches_r_summary_survfit() -> None:
    """R: ``summary(survfit(Surv(time, status) ~ x, data = aml))`` (survival package; conf.type = "log")::

    x=Maintained
     time n.risk n.event survival std.err lower 95% CI upper 95% CI
        9     11       1    0.909  0.0867        0.754        1.000
       13     10       1    0.818  0.1163        0.619        1.000
       18      8       1    0.716  0.1397        0.488        1.000
       23      7       1    0.614  0.1526        0.377        0.999
       31      5       1    0.491  0.1642        0.255        0.946
       34      4       1    0.368  0.1627        0.155        0.875
       48      2       1    0.184  0.1535        0.036        0.944
    """
    km = kaplan_meier(aml_frame().filter(pl.col("arm") == "Maintained"))
    events = km.curve.filter(pl.col("n_event") > 0)
    assert events["time"].to_list() == [9, 13, 18, 23, 31, 34, 48]
    assert events["n_at_risk"].to_list() == [11, 10, 8, 7, 5, 4, 2]
    np.testing.assert_allclose(events["survival"], [0.909, 0.818, 0.716, 0.614, 0.491, 0.368, 0.184], atol=6e-4)
    np.testing.assert_allclose(events["std_error"], [0.0867, 0.1163, 0.1397, 0.1526, 0.1642, 0.1627, 0.1535], atol=6e-5)
    np.testing.assert_allclose(events["ci_lower"], [0.754, 0.619, 0.488, 0.377, 0.255, 0.155, 0.036], atol=6e-4)
    np.testing.assert_allclose(events["ci_upper"], [1.0, 1.0, 1.0, 0.999, 0.946, 0.875, 0.944], atol=6e-4)


def test_aml_nonmaintained_matches_r_summary_survfit() -> None:
    """R: ``summary(survfit(Surv(time, status) ~ x, data = aml))``::

    x=Nonmaintained
     time n.risk n.event survival std.err lower 95% CI upper 95% CI
        5     12       2   0.8333  0.1076       0.6470        1.000
        8     10       2   0.6667  0.1361       0.4468        0.995
       12      8       1   0.5833  0.1423       0.3616        0.941
       23      6       1   0.4861  0.1481       0.2675        0.883
       27      5       1   0.3889  0.1470       0.1854        0.816
       30      4       1   0.2917  0.1387       0.1148        0.741
       33      3       1   0.1944  0.1219       0.0569        0.664
       43      2       1   0.0972  0.0919       0.0153        0.620
       45      1       1   0.0000     NaN           NA           NA
    """
    km = kaplan_meier(aml_frame().filter(pl.col("arm") == "Nonmaintained"))
    ev = km.curve.filter(pl.col("n_event") > 0)
    np.testing.assert_allclose(
        ev["survival"], [0.8333, 0.6667, 0.5833, 0.4861, 0.3889, 0.2917, 0.1944, 0.0972, 0.0], atol=6e-5
    )
    np.testing.assert_allclose(
        ev["std_error"][:8], [0.1076, 0.1361, 0.1423, 0.1481, 0.1470, 0.1387, 0.1219, 0.0919], atol=6e-5
    )
    np.testing.assert_allclose(
        ev["ci_lower"][:8], [0.6470, 0.4468, 0.3616, 0.2675, 0.1854, 0.1148, 0.0569, 0.0153], atol=6e-5
    )
    np.testing.assert_allclose(ev["ci_upper"][:8], [1.0, 0.995, 0.941, 0.883, 0.816, 0.741, 0.664, 0.620], atol=6e-4)
    assert math.isnan(ev["std_error"][8]) and math.isnan(ev["ci_lower"][8]) and math.isnan(ev["ci_upper"][8])


def test_aml_medians_match_r_print_survfit() -> None:
    """R: ``survfit(Surv(time, status) ~ x, data = aml)``::

                     n events median 0.95LCL 0.95UCL
    x=Maintained    11      7     31      18      NA
    x=Nonmaintained 12     11     23       8      NA
    """
    summary = kaplan_meier_by_arm(aml_frame(), AML_ARMS).summary
    rows = {r["arm"]: r for r in summary.iter_rows(named=True)}
    assert (rows["Maintained"]["n"], rows["Maintained"]["events"]) == (11, 7)
    assert (rows["Nonmaintained"]["n"], rows["Nonmaintained"]["events"]) == (12, 11)
    assert rows["Maintained"]["median"] == 31 and rows["Maintained"]["median_ci_lower"] == 18
    assert rows["Nonmaintained"]["median"] == 23 and rows["Nonmaintained"]["median_ci_lower"] == 8
    assert math.isnan(rows["Maintained"]["median_ci_upper"]) and math.isnan(rows["Nonmaintained"]["median_ci_upper"])


def delayed_entry_frame() -> pl.DataFrame:
    """Five subjects; D enters at C's death time (3) and E at A's death time (2) to pin the tie convention."""
    return pl.DataFrame(
        {
            "entry_months": [0.0, 0.0, 1.0, 3.0, 2.0],
            "exit_months": [2.0, 5.0, 3.0, 6.0, 4.0],
            "is_event": [True, False, True, True, False],
        }
    )


def test_delayed_entry_km_by_hand() -> None:
    """Hand calculation of R ``survfit(Surv(entry, exit, event) ~ 1)`` (at risk when entry < t <= exit)::

        d <- data.frame(entry = c(0, 0, 1, 3, 2), exit = c(2, 5, 3, 6, 4), event = c(1, 0, 1, 1, 0))
        summary(survfit(Surv(entry, exit, event) ~ 1, data = d), censored = TRUE)

    t=2: at risk A, B, C (E enters at 2: not at risk) n=3, d=1, S = 2/3, Greenwood sum 1/6
    t=3: at risk B, C, E (D enters at 3: not at risk) n=3, d=1, S = 4/9, Greenwood sum 1/3
    t=4: B, D, E n=3, 1 censored; t=5: B, D n=2, 1 censored; t=6: D n=1, d=1, S = 0 (CI undefined)
    log CI at t=3: (4/9) exp(-+1.96 sqrt(1/3)) = 0.14337, 1 (capped).
    """
    km = kaplan_meier(delayed_entry_frame())
    c = km.curve
    assert c["time"].to_list() == [2, 3, 4, 5, 6]
    assert c["n_at_risk"].to_list() == [3, 3, 3, 2, 1]
    assert c["n_event"].to_list() == [1, 1, 0, 0, 1]
    assert c["n_censor"].to_list() == [0, 0, 1, 1, 0]
    np.testing.assert_allclose(c["survival"], [2 / 3, 4 / 9, 4 / 9, 4 / 9, 0.0])
    np.testing.assert_allclose(c["std_error_log"][:5], np.sqrt([1 / 6, 1 / 3, 1 / 3, 1 / 3, np.inf]))
    np.testing.assert_allclose(c["std_error"][1], 4 / 9 * math.sqrt(1 / 3))
    np.testing.assert_allclose(c["ci_lower"][1], 4 / 9 * math.exp(-Z95 * math.sqrt(1 / 3)))
    assert c["ci_upper"][1] == 1.0
    assert math.isnan(c["ci_lower"][4])


def test_delayed_entry_median_rmst_and_landmarks_by_hand() -> None:
    """Same five subjects. Median = first t with S <= 0.5 = 3. Lower limit: the lower log-CI curve is
    (2/3) exp(-1.96 sqrt(1/6)) = 0.2995 <= 0.5 at t = 2, so 2; the upper curve never drops to 0.5 -> NA.

    RMST to tau = 5 (R ``print(fit, rmean = 5)``): 2 * 1 + 1 * 2/3 + 2 * 4/9 = 32/9;
    variance = [(14/9)^2 * 1/(3*2) + (8/9)^2 * 1/(3*2)] = 260/486 (areas after t = 2 and t = 3).
    """
    km = kaplan_meier(delayed_entry_frame())
    med = median_survival(km)
    assert (med.median, med.ci_lower) == (3.0, 2.0) and math.isnan(med.ci_upper)
    rmst = restricted_mean(km, 5.0)
    assert rmst.rmst == pytest.approx(32 / 9)
    assert rmst.se == pytest.approx(math.sqrt(260 / 486))
    assert not rmst.is_extrapolated
    marks = survival_at(km, [1.0, 2.0, 2.5, 6.0, 7.0])
    np.testing.assert_allclose(marks["survival"][:4], [1.0, 2 / 3, 2 / 3, 0.0])
    assert math.isnan(marks["survival"][4])


def test_median_averaging_rule_when_curve_is_flat_at_half() -> None:
    """R quantile.survfit midpoint rule: 4 subjects, deaths at 1, 2, 3, 4 -> S = 0.75, 0.5, 0.25, 0.
    S = 0.5 exactly on [2, 3) so R reports median (2 + 3) / 2 = 2.5 (``survfit(Surv(c(1,2,3,4), rep(1,4)) ~ 1)``).
    If the curve ends flat at 0.5 (deaths at 1, 2; censored at 3, 4) R reports (2 + 4) / 2 = 3.
    """
    flat = pl.DataFrame({"entry_months": [0.0] * 4, "exit_months": [1.0, 2, 3, 4], "is_event": [True] * 4})
    assert median_survival(kaplan_meier(flat)).median == 2.5
    ends_flat = flat.with_columns(pl.Series("is_event", [True, True, False, False]))
    assert median_survival(kaplan_meier(ends_flat)).median == 3.0


def test_log_log_ci_matches_lifelines_exponential_greenwood() -> None:
    """lifelines' KaplanMeierFitter CI is the exponential Greenwood (log-log) interval; on data without
    entry == death ties its point estimate with ``entry=`` is the same product-limit estimate."""
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(11)
    entry = rng.uniform(0, 5, 200) * (rng.random(200) < 0.6)
    exit_ = entry + rng.exponential(10, 200)
    event = rng.random(200) < 0.8
    df = pl.DataFrame({"entry_months": entry, "exit_months": exit_, "is_event": event})
    ours = kaplan_meier(df, conf_type="log-log").curve
    kmf = KaplanMeierFitter().fit(exit_, event, entry=entry)
    sf = kmf.survival_function_.loc[ours["time"].to_numpy()].to_numpy()[:, 0]
    ci = kmf.confidence_interval_.loc[ours["time"].to_numpy()].to_numpy()
    np.testing.assert_allclose(ours["survival"], sf, rtol=1e-10)
    ok = ours["survival"].to_numpy() > 0
    np.testing.assert_allclose(ours["ci_lower"].to_numpy()[ok], ci[ok, 0], rtol=1e-8)
    np.testing.assert_allclose(ours["ci_upper"].to_numpy()[ok], ci[ok, 1], rtol=1e-8)


def test_numbers_at_risk_rise_with_delayed_entry() -> None:
    """At t = 0 only entry == 0 counts; afterwards entry < t <= exit: {A, B}, {A, B}, {A, B, C}, {B, C, E},
    {B, D, E} at t = 0, 1, 2, 3, 4 (each arm holds the five subjects)."""
    df = delayed_entry_frame()
    both = pl.concat([df.with_columns(pl.lit(arm).alias("arm")) for arm in ("NTRK+", "NTRK-")])
    settings = KaplanMeierSettings(risk_table_months=(0.0, 1.0, 2.0, 3.0, 4.0), rmst_tau_months=5.0)
    at_risk = kaplan_meier_by_arm(both, settings=settings).at_risk
    for arm in ("NTRK+", "NTRK-"):
        assert at_risk.filter(pl.col("arm") == arm)["n_at_risk"].to_list() == [2, 2, 3, 3, 3]
