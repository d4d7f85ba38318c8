"""Cox model pinned to published R output (AML, Rossi), to the log-rank test and to lifelines.

Published sources:
- AML: R ``summary(coxph(Surv(time, status) ~ x, data = aml))`` and ``survdiff(Surv(time, status) ~ x, data = aml)``
  (survival package documentation / Therneau's vignettes).
- Rossi recidivism: Fox J & Weisberg S, "Cox Proportional-Hazards Regression for Survival Data in R", appendix to
  An R Companion to Applied Regression (2nd/3rd ed.), model ``mod.allison``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from rwe_cohorts.survival import ArmSpec, CoxSpec, fit_cox_exposure
from rwe_cohorts.survival.data import SurvivalArrays
from rwe_cohorts.survival.efron import EfronModel

MAINTAINED = ([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161], [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
NONMAINTAINED = ([5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45], [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])
AML_ARMS = ArmSpec(column="arm", exposed="Nonmaintained", comparator="Maintained")


def aml_frame() -> pl.DataFrame:
    times = MAINTAINED[0] + NONMAINTAINED[0]
    status = MAINTAINED[1] + NONMAINTAINED[1]
    return pl.DataFrame(
        {
            "entry_months": [0.0] * 23,
            "exit_months": [float(t) for t in times],
            "is_event": [bool(s) for s in status],
            "arm": ["Maintained"] * 11 + ["Nonmaintained"] * 12,
        }
    )


def arrays(df: pl.DataFrame, exposed: np.ndarray) -> SurvivalArrays:
    return SurvivalArrays(
        entry=df["entry_months"].to_numpy().astype(float),
        exit=df["exit_months"].to_numpy().astype(float),
        event=df["is_event"].to_numpy().astype(bool),
        weight=np.ones(df.height),
        is_exposed=exposed,
    )


def logrank_by_loop(entry: np.ndarray, exit_: np.ndarray, event: np.ndarray, group: np.ndarray) -> tuple:
    """Textbook log-rank (Klein & Moeschberger 7.3) on delayed-entry risk sets, one death time at a time."""
    observed = expected = variance = 0.0
    for t in np.unique(exit_[event]):
        at_risk = (entry < t) & (t <= exit_)
        dies = event & (exit_ == t)
        n, n1 = at_risk.sum(), (at_risk & group).sum()
        d, d1 = dies.sum(), (dies & group).sum()
        observed += d1
        expected += d * n1 / n
        if n > 1:
            variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return observed, expected, (observed - expected) ** 2 / variance


def test_aml_cox_matches_r_coxph() -> None:
    """R: ``summary(coxph(Surv(time, status) ~ x, data = aml))`` (Efron ties)::

                     coef exp(coef) se(coef)     z      p
    xNonmaintained 0.9155    2.4981   0.5119 1.788 0.0737
    Likelihood ratio test= 3.38  on 1 df,   p=0.06578
    Wald test            = 3.2  on 1 df,   p=0.07371
    Score (logrank) test = 3.42  on 1 df,   p=0.06454
    """
    r = fit_cox_exposure(aml_frame(), CoxSpec.unstratified(), AML_ARMS)
    assert r.log_hr == pytest.approx(0.9155, abs=5e-5)
    assert r.hr == pytest.approx(2.4981, abs=5e-4)
    assert r.se == pytest.approx(0.5119, abs=5e-5)
    assert r.p_wald == pytest.approx(0.0737, abs=5e-5)
    assert r.chisq_lr == pytest.approx(3.38, abs=5e-3)
    assert r.chisq_wald == pytest.approx(3.2, abs=5e-2)
    assert r.chisq_score == pytest.approx(3.42, abs=5e-3)
    assert (r.n_exposed, r.events_exposed, r.n_comparator, r.events_comparator) == (12, 11, 11, 7)


def test_aml_breslow_score_test_is_survdiff_logrank() -> None:
    """R: ``survdiff(Surv(time, status) ~ x, data = aml)``::

                         N Observed Expected (O-E)^2/E (O-E)^2/V
        x=Maintained    11        7    10.69      1.27       3.4
        x=Nonmaintained 12       11     7.31      1.86       3.4
         Chisq= 3.4  on 1 degrees of freedom, p= 0.07

    The hand-loop log-rank used in the other tests reproduces these numbers; the Breslow-ties score U(0) equals
    O - E exactly (with ties its information lacks the hypergeometric factor (n - d)/(n - 1), so the statistics
    coincide only without ties - see the delayed-entry test, which has none).
    """
    df = aml_frame()
    exposed = (df["arm"] == "Nonmaintained").to_numpy()
    data = arrays(df, exposed)
    observed, expected, chisq = logrank_by_loop(data.entry, data.exit, data.event, ~exposed)
    assert observed == 7 and expected == pytest.approx(10.69, abs=5e-3)
    assert chisq == pytest.approx(3.4, abs=5e-2)
    terms = EfronModel(data, exposed.astype(float)[:, None], ties="breslow").terms(np.zeros(1))
    assert float(terms.score[0]) == pytest.approx(-(observed - expected), rel=1e-12)


def test_rossi_multivariable_efron_matches_fox_weisberg() -> None:
    """R (Fox & Weisberg appendix): ``mod.allison <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar +
    paro + prio, data = Rossi); summary(mod.allison)``::

                      coef exp(coef) se(coef)      z Pr(>|z|)
        finyes    -0.37942   0.68426  0.19138 -1.983  0.04742
        age       -0.05744   0.94418  0.02200 -2.611  0.00903
        raceother -0.31390   0.73059  0.30799 -1.019  0.30812
        wexpyes   -0.14980   0.86088  0.21222 -0.706  0.48029
        marnot married 0.43370 1.54296 0.38187 1.136  0.25606
        paroyes   -0.08487   0.91863  0.19576 -0.434  0.66461
        prio       0.09150   1.09581  0.02865  3.194  0.00140
        Likelihood ratio test= 33.27  on 7 df,   p=2.362e-05
        Wald test            = 32.11  on 7 df,   p=3.871e-05
        Score (logrank) test = 33.53  on 7 df,   p=2.11e-05

    lifelines' ``load_rossi`` codes race = 1 for black and mar = 1 for married, so those two signs flip.
    """
    from lifelines.datasets import load_rossi

    rossi = load_rossi()
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    data = SurvivalArrays(
        entry=np.zeros(len(rossi)),
        exit=rossi["week"].to_numpy(float),
        event=rossi["arrest"].to_numpy().astype(bool),
        weight=np.ones(len(rossi)),
    )
    model = EfronModel(data, rossi[covariates].to_numpy(float))
    fit = model.fit()
    expected = [-0.37942, -0.05744, 0.31390, -0.14980, -0.43370, -0.08487, 0.09150]
    np.testing.assert_allclose(fit.beta, expected, atol=5e-6)
    se = np.sqrt(np.diag(fit.variance))
    np.testing.assert_allclose(se, [0.19138, 0.02200, 0.30799, 0.21222, 0.38187, 0.19576, 0.02865], atol=5e-6)
    assert 2 * (fit.loglik - fit.loglik_null) == pytest.approx(33.27, abs=5e-3)
    assert float(fit.beta @ np.linalg.solve(fit.variance, fit.beta)) == pytest.approx(32.11, abs=5e-3)
    score = float(fit.score_null @ np.linalg.solve(fit.information_null, fit.score_null))
    assert score == pytest.approx(33.53, abs=5e-3)
    assert stats.chi2.sf(score, 7) == pytest.approx(2.11e-05, rel=5e-3)


def simulated_delayed_entry(seed: int, n: int = 300, tie_unit: float | None = 1.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    exposed = rng.random(n) < 0.3
    t = rng.exponential(14.0, n) * np.exp(-np.log(1.6) * exposed)
    entry = rng.uniform(0, 8, n) * (rng.random(n) < 0.6)
    censor = rng.uniform(5, 60, n)
    exit_ = np.minimum(t, censor)
    if tie_unit:
        exit_ = np.ceil(exit_ / tie_unit) * tie_unit
    keep = exit_ > entry
    return pl.DataFrame(
        {
            "entry_months": entry[keep],
            "exit_months": exit_[keep],
            "is_event": (t <= censor)[keep],
            "arm": np.where(exposed[keep], "NTRK+", "NTRK-"),
            "match_set_id": (np.arange(int(keep.sum())) % 28),
            "weight": rng.uniform(0.3, 3.0, int(keep.sum())),
        }
    )


def _lifelines_frame(df: pl.DataFrame) -> pd.DataFrame:
    out = df.to_pandas()
    out["x"] = (out["arm"] == "NTRK+").astype(float)
    out["is_event"] = out["is_event"].astype(int)
    return out


def test_delayed_entry_cox_matches_lifelines_entry_col_and_time_varying_fitter() -> None:
    """Independent implementations of the counting-process Efron likelihood: lifelines ``CoxPHFitter(entry_col=)``
    and ``CoxTimeVaryingFitter`` (both use risk sets start < t <= stop). Ties present (times rounded up to months).
    """
    from lifelines import CoxPHFitter, CoxTimeVaryingFitter

    df = simulated_delayed_entry(1)
    r = fit_cox_exposure(df)
    pdf = _lifelines_frame(df)
    cols = ["entry_months", "exit_months", "is_event", "x"]
    cph = CoxPHFitter().fit(pdf[cols], "exit_months", "is_event", entry_col="entry_months")
    assert r.log_hr == pytest.approx(float(cph.params_["x"]), abs=2e-5)
    assert r.se == pytest.approx(float(cph.standard_errors_["x"]), rel=1e-5)
    pdf["id"] = np.arange(len(pdf))
    ctv = CoxTimeVaryingFitter().fit(
        pdf[[*cols, "id"]], id_col="id", event_col="is_event", start_col="entry_months", stop_col="exit_months"
    )
    assert r.log_hr == pytest.approx(float(ctv.params_["x"]), abs=2e-5)
    assert r.chisq_lr == pytest.approx(float(ctv.log_likelihood_ratio_test().test_statistic), rel=1e-5)


def test_stratified_cox_matches_lifelines_strata_with_entry() -> None:
    """Conditional (matched-set-stratified) model: lifelines ``strata=`` with ``entry_col=`` gives the same beta
    and model-based SE (its likelihood-ratio test is not used: lifelines' null model ignores strata)."""
    from lifelines import CoxPHFitter

    df = simulated_delayed_entry(2)
    r = fit_cox_exposure(df, CoxSpec.stratified("match_set_id"))
    pdf = _lifelines_frame(df)[["entry_months", "exit_months", "is_event", "x", "match_set_id"]]
    cph = CoxPHFitter().fit(pdf, "exit_months", "is_event", entry_col="entry_months", strata=["match_set_id"])
    assert r.log_hr == pytest.approx(float(cph.params_["x"]), abs=2e-5)
    assert r.se == pytest.approx(float(cph.standard_errors_["x"]), rel=1e-5)
    assert r.n_strata == 28


def test_score_test_with_delayed_entry_equals_logrank_for_breslow_and_derivatives_for_efron() -> None:
    """Score test at beta = 0 with delayed entry: (a) without tied times, the score statistic (Efron = Breslow
    then) equals the hand-loop log-rank on the same delayed-entry risk sets; (b) with ties, the Efron U(0) and
    I(0) equal numerical derivatives of the Efron log partial likelihood; (c) p_score is chi2_1 of U(0)^2 / I(0).
    """
    untied = simulated_delayed_entry(3, tie_unit=None)
    exposed = (untied["arm"] == "NTRK+").to_numpy()
    data = arrays(untied, exposed)
    _, _, logrank = logrank_by_loop(data.entry, data.exit, data.event, exposed)
    assert fit_cox_exposure(untied).chisq_score == pytest.approx(logrank, rel=1e-10)
    df = simulated_delayed_entry(3)
    exposed = (df["arm"] == "NTRK+").to_numpy()
    data = arrays(df, exposed)
    x = exposed.astype(float)[:, None]
    efron = EfronModel(data, x)
    h = 1e-5
    lo, mid, hi = (efron.terms(np.array([b])) for b in (-h, 0.0, h))
    assert float(mid.score[0]) == pytest.approx((hi.loglik - lo.loglik) / (2 * h), rel=1e-6)
    assert float(mid.information[0, 0]) == pytest.approx(-(hi.score[0] - lo.score[0]) / (2 * h), rel=1e-6)
    r = fit_cox_exposure(df)
    assert r.chisq_score == pytest.approx(float(mid.score[0] ** 2 / mid.information[0, 0]), rel=1e-12)
    assert r.p_score == pytest.approx(stats.chi2.sf(r.chisq_score, 1), rel=1e-12)


def test_score_residuals_are_weight_derivatives_of_the_score() -> None:
    """Efron score residuals with delayed entry, ties and weights: L_i = w_i dU(beta; w)/dw_i (exact identity),
    checked by finite differences for every subject; they also sum to U(beta)."""
    df = simulated_delayed_entry(4, n=60)
    exposed = (df["arm"] == "NTRK+").to_numpy()
    base = arrays(df, exposed)
    weight = df["weight"].to_numpy()
    beta = np.array([0.4])
    x = exposed.astype(float)[:, None]

    def score(w: np.ndarray) -> float:
        d = SurvivalArrays(base.entry, base.exit, base.event, w)
        m = EfronModel(d, x)
        m.x = x - 0.0  # evaluate at raw x so that the derivative is not affected by re-centring
        return float(m.terms(beta).score[0])

    model = EfronModel(SurvivalArrays(base.entry, base.exit, base.event, weight), x)
    model.x = x.copy()
    resid = model.score_residuals(beta)[:, 0]
    assert resid.sum() == pytest.approx(float(model.terms(beta).score[0]), abs=1e-10)
    h = 1e-6
    for i in range(len(weight)):
        up, down = weight.copy(), weight.copy()
        up[i] += h
        down[i] -= h
        assert resid[i] == pytest.approx(weight[i] * (score(up) - score(down)) / (2 * h), abs=1e-6)


def test_robust_variants_match_lifelines_without_entry_or_ties() -> None:
    """Where lifelines' sandwich is valid (no entry times, no tied times), cluster-robust and weighted-robust SEs
    agree with ``CoxPHFitter(cluster_col=)`` / ``(weights_col=, robust=True)``."""
    from lifelines import CoxPHFitter

    df = simulated_delayed_entry(5, tie_unit=None).with_columns(pl.lit(0.0).alias("entry_months"))
    pdf = _lifelines_frame(df)
    clustered = fit_cox_exposure(df, CoxSpec.cluster_robust("match_set_id"))
    cph = CoxPHFitter().fit(
        pdf[["exit_months", "is_event", "x", "match_set_id"]], "exit_months", "is_event", cluster_col="match_set_id"
    )
    assert clustered.log_hr == pytest.approx(float(cph.params_["x"]), abs=2e-5)
    assert clustered.se == pytest.approx(float(cph.standard_errors_["x"]), rel=1e-4)
    assert clustered.n_clusters == 28 and np.isfinite(clustered.p_score_robust)
    weighted = fit_cox_exposure(df, CoxSpec.weighted("weight"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cphw = CoxPHFitter().fit(
            pdf[["exit_months", "is_event", "x", "weight"]],
            "exit_months",
            "is_event",
            weights_col="weight",
            robust=True,
        )
    assert weighted.log_hr == pytest.approx(float(cphw.params_["x"]), abs=2e-5)
    assert weighted.se == pytest.approx(float(cphw.standard_errors_["x"]), rel=1e-4)
