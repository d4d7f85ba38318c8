"""Proportional-hazards diagnostic for the exposure Cox model on delayed-entry risk sets (Grambsch-Therneau).

lifelines cannot compute Schoenfeld residuals for a model fitted with entry times, so the test is computed here
from the per-death-time Efron terms of :mod:`rwe_cohorts.survival.efron` on the counting-process risk sets
``entry < t <= exit``.

Hypothesis: H0 beta(t) = beta (constant log hazard ratio) against beta(t) = beta + theta g(t).

Time transform g (R ``cox.zph`` ``transform=``): ``"km"`` (default, as R) g(t) = 1 - S(t-), the left-continuous
pooled Kaplan-Meier with delayed entry, unweighted; ``"identity"`` g = t; ``"log"`` g = log t; ``"rank"`` g = rank
of t among all exit times (average ties).

Methods:

- ``"exact"`` (R survival >= 3.0 ``cox.zph``): the score test for theta = 0 in the model with covariates
  (x, x g(t)) at (beta_hat, 0). With U_k and V_k the Efron score and information contributions at death time t_k
  (at beta_hat): ``U2 = sum_k g_k U_k``, ``I11 = sum V_k``, ``I12 = sum g_k V_k``, ``I22 = sum g_k^2 V_k`` and
  ``chisq = U2' (I22 - I21 I11^{-1} I12)^{-1} U2`` on 1 df per covariate.
- ``"approx"`` (R survival < 3.0 and lifelines ``proportional_hazard_test``): with Schoenfeld residuals r_i
  (one per death, ``x_i - mean_l S1_kl / S0_kl``), scaled residuals ``r*_i = beta + d V r_i`` (d deaths, V the
  model variance), ``chisq = (sum_i (g_i - gbar) r*_i)^2 / (d V sum_i (g_i - gbar)^2)``.

Scaled Schoenfeld residuals are also returned for plotting (R ``plot(cox.zph(fit))``): ``beta + r_i / (I11 / d)``.

Status: 'warn' when P < ``threshold_p`` (default 0.05), else 'pass'.

References: Grambsch & Therneau (1994) Biometrika 81:515; Therneau & Grambsch (2000) ch. 6; R survival
``cox.zph`` documentation (survival 3.x).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

from rwe_cohorts.survival.cox import CoxSpec
from rwe_cohorts.survival.data import ArmSpec, FloatArray, SurvivalArrays, require_events, to_arrays
from rwe_cohorts.survival.efron import EfronModel
from rwe_cohorts.survival.kaplan_meier import kaplan_meier_arrays

TimeTransform = Literal["km", "identity", "log", "rank"]
PhMethod = Literal["exact", "approx"]
DiagnosticStatus = Literal["pass", "warn"]


@dataclass(frozen=True)
class ProportionalHazardsTest:
    """Grambsch-Therneau test of the exposure coefficient; ``residuals``: time, g_time, scaled_residual."""

    analysis: str
    method: PhMethod
    transform: TimeTransform
    chisq: float
    df: int
    p_value: float
    threshold_p: float
    status: DiagnosticStatus
    log_hr: float
    residuals: pl.DataFrame
    description: str


def time_transform(data: SurvivalArrays, times: FloatArray, transform: TimeTransform) -> FloatArray:
    """g(t) for each death time t, following R ``cox.zph`` (see module docstring)."""
    if transform == "identity":
        return np.asarray(times, dtype=np.float64)
    if transform == "log":
        return np.asarray(np.log(times), dtype=np.float64)
    if transform == "rank":
        ranks = stats.rankdata(data.exit)
        lookup = dict(zip(data.exit.tolist(), ranks.tolist(), strict=True))
        return np.array([lookup[float(t)] for t in times], dtype=np.float64)
    if transform == "km":
        unweighted = SurvivalArrays(data.entry, data.exit, data.event, np.ones(data.n))
        curve = kaplan_meier_arrays(unweighted).curve
        km_times = curve["time"].to_numpy()
        surv = np.concatenate([[1.0], curve["survival"].to_numpy()])
        idx = np.searchsorted(km_times, times, side="left")  # number of curve times strictly before t
        return np.asarray(1.0 - surv[idx], dtype=np.float64)
    raise ValueError(f"unknown transform {transform!r}")


def _status(p_value: float, threshold_p: float) -> DiagnosticStatus:
    return "warn" if p_value < threshold_p else "pass"


def proportional_hazards_test(
    df: pl.DataFrame,
    spec: CoxSpec | None = None,
    arms: ArmSpec | None = None,
    transform: TimeTransform = "km",
    method: PhMethod = "exact",
    threshold_p: float = 0.05,
) -> ProportionalHazardsTest:
    """Grambsch-Therneau PH test for the exposure Cox model (model-based information; strata respected)."""
    spec = spec or CoxSpec.unstratified()
    arms = arms or ArmSpec()
    group_col = spec.strata_col if spec.variant == "stratified" else None
    data = to_arrays(df, arms=arms, weight_col=spec.weight_col, group_col=group_col, frame_name="PH test input")
    require_events(data, "proportional hazards test")
    assert data.is_exposed is not None
    x = data.is_exposed.astype(np.float64)[:, None]
    model = EfronModel(data, x, strata=data.groups if group_col else None)
    fit = model.fit()
    terms = model.death_time_terms(fit.beta)
    g = time_transform(data, terms.time, transform)
    beta = float(fit.beta[0])
    u_k = terms.score[:, 0]
    v_k = terms.information[:, 0, 0]
    n_deaths = int(terms.n_deaths.sum())
    resid_per_death = terms.death_x[:, 0] - np.repeat(terms.mean[:, 0], terms.n_deaths)
    g_per_death = np.repeat(g, terms.n_deaths)
    time_per_death = np.repeat(terms.time, terms.n_deaths)
    vmean = float(v_k.sum()) / n_deaths
    if method == "exact":
        i11, i12, i22 = float(v_k.sum()), float(np.sum(g * v_k)), float(np.sum(g * g * v_k))
        u2 = float(np.sum(g * u_k))
        chisq = u2**2 / (i22 - i12**2 / i11)
    elif method == "approx":
        variance = float(fit.variance[0, 0])
        centred = g_per_death - g_per_death.mean()
        scaled = n_deaths * variance * resid_per_death
        chisq = float(np.sum(centred * scaled)) ** 2 / (n_deaths * variance * float(np.sum(centred**2)))
    else:
        raise ValueError(f"unknown method {method!r}")
    p_value = float(stats.chi2.sf(chisq, 1))
    residuals = pl.DataFrame(
        {"time": time_per_death, "g_time": g_per_death, "scaled_residual": beta + resid_per_death / vmean}
    )
    return ProportionalHazardsTest(
        analysis=spec.variant,
        method=method,
        transform=transform,
        chisq=chisq,
        df=1,
        p_value=p_value,
        threshold_p=threshold_p,
        status=_status(p_value, threshold_p),
        log_hr=beta,
        residuals=residuals,
        description=(
            f"Grambsch-Therneau {method} score test of beta(t) = beta + theta g(t), g = '{transform}', on "
            f"delayed-entry risk sets with Efron ties; warn if P < {threshold_p:g}"
        ),
    )
