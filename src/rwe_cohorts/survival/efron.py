"""Cox partial likelihood with Efron ties on counting-process (delayed-entry) risk sets, in numpy.

Estimand: the log hazard ratio(s) beta of the Cox model ``h(t | x) = h0_s(t) exp(x' beta)`` (baseline h0_s per
stratum s). Risk set at a death time t: ``R(t) = {i in stratum: entry_i < t <= exit_i}`` (R ``Surv(start, stop,
event)``). For a death time t_k with d_k tied deaths D_k (weights w, ``r_i = exp(x_i' beta)``), Efron's
approximation uses, for l = 0..d_k-1 and f_l = l / d_k,

    S0_kl = sum_{R} w r - f_l sum_{D} w r,      S1_kl = sum_{R} w r x - f_l sum_{D} w r x   (same for S2 with x x')
    log L  = sum_k [ sum_{D_k} w x' beta - wbar_k sum_l log S0_kl ]
    U      = sum_k [ sum_{D_k} w x - wbar_k sum_l S1_kl / S0_kl ]
    I      = sum_k wbar_k sum_l [ S2_kl / S0_kl - (S1_kl / S0_kl)(S1_kl / S0_kl)' ]

with ``wbar_k`` the mean weight of the tied deaths (as R ``coxph`` and lifelines do). Risk-set sums are computed
with sorted cumulative sums (sum over exit >= t minus sum over entry >= t), so one evaluation is O(n log n).

Score residuals (R ``residuals.coxph(type="score")``, Efron form, counting process): for subject i,

    L_i = sum_k [ 1{i in D_k} w_i (x_i - mbar_k) - w_i r_i sum_l c_ikl (wbar_k / S0_kl) (x_i - S1_kl / S0_kl) ]

summed over death times with entry_i < t_k <= exit_i, where mbar_k is the mean over l of S1_kl / S0_kl and
``c_ikl = 1 - f_l`` when i is one of the tied deaths (its share of the Efron-discounted risk), else 1. They sum to U.
The robust (sandwich) variance is ``V D'D V`` with D the per-cluster sums of L (Lin & Wei 1989; R ``coxph``
``robust=TRUE`` / ``cluster()``, whose dfbeta residuals are L V).

References: Therneau & Grambsch (2000) Modeling Survival Data, ch. 3 and 7; Klein & Moeschberger (2003) sec. 8.4;
Efron (1977) JASA 72:557.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from rwe_cohorts.survival.data import FloatArray, IntArray, SurvivalArrays
from rwe_cohorts.survival.errors import SurvivalModelError

Ties = Literal["efron", "breslow"]


@dataclass(frozen=True)
class EfronTerms:
    """Log partial likelihood, score vector and information matrix at one beta."""

    loglik: float
    score: FloatArray
    information: FloatArray


@dataclass(frozen=True)
class DeathTimeTerms:
    """Per-death-time pieces at one beta (all strata stacked; one row per (stratum, death time)).

    ``score`` row k = sum_{D_k} w x - wbar_k sum_l S1_kl/S0_kl (the Schoenfeld residual sum at t_k);
    ``information`` [k] = wbar_k sum_l Var_kl(x); ``n_deaths`` = d_k (unweighted); ``time`` = t_k;
    ``mean`` = mbar_k, the mean over l of the Efron risk-set means S1_kl / S0_kl; ``death_x`` = covariates of
    every death, in (stratum, time) order (``n_deaths`` rows per death time), so the Schoenfeld residual of a
    death at t_k is ``death_x - mean[k]``.
    """

    time: FloatArray
    stratum: IntArray
    n_deaths: IntArray
    score: FloatArray
    information: FloatArray
    mean: FloatArray
    death_x: FloatArray


@dataclass(frozen=True)
class CoxFit:
    """Maximum partial-likelihood fit (Newton-Raphson with step halving, started at beta = 0)."""

    beta: FloatArray
    variance: FloatArray
    loglik: float
    loglik_null: float
    score_null: FloatArray
    information_null: FloatArray
    iterations: int
    converged: bool


def _stratum_indices(data: SurvivalArrays, strata: IntArray | None) -> list[IntArray]:
    if strata is None:
        return [np.arange(data.n, dtype=np.int64)]
    order = np.argsort(strata, kind="stable")
    boundaries = np.flatnonzero(np.diff(strata[order])) + 1
    return [np.asarray(chunk, dtype=np.int64) for chunk in np.split(order, boundaries)]


class _StratumEngine:
    """Pre-sorted index arrays for one stratum, reused at every beta."""

    def __init__(self, entry: FloatArray, exit_: FloatArray, event: np.ndarray, weight: FloatArray, ties: Ties) -> None:
        self.entry, self.exit, self.event, self.weight = entry, exit_, event, weight
        self.exit_order = np.argsort(exit_, kind="stable")
        self.entry_order = np.argsort(entry, kind="stable")
        self.exit_sorted = exit_[self.exit_order]
        self.entry_sorted = entry[self.entry_order]
        death_idx = np.flatnonzero(event)
        self.times, death_time_index = np.unique(exit_[death_idx], return_inverse=True)
        order = np.argsort(death_time_index, kind="stable")
        self.death_idx = death_idx[order]
        self.death_k = death_time_index[order]
        self.d = np.bincount(self.death_k, minlength=self.times.size).astype(np.int64)
        self.wsum = np.bincount(self.death_k, weights=weight[self.death_idx], minlength=self.times.size)
        self.wbar = self.wsum / self.d
        # Efron expansion: one row per (death time k, l = 0..d_k-1)
        self.l_k = np.repeat(np.arange(self.times.size), self.d)
        starts = np.repeat(np.cumsum(self.d) - self.d, self.d)
        self.l_frac = (np.arange(self.l_k.size) - starts) / self.d[self.l_k]
        if ties == "breslow":
            self.l_frac = np.zeros_like(self.l_frac)
        # positions for "sum over exit >= t" and "sum over entry >= t"
        self.pos_exit = np.searchsorted(self.exit_sorted, self.times, side="left")
        self.pos_entry = np.searchsorted(self.entry_sorted, self.times, side="left")

    def _risk_sums(self, values: FloatArray) -> FloatArray:
        """sum_{entry < t_k <= exit} values, for every death time t_k; ``values`` has shape (n, ...)."""
        zero = np.zeros((1, *values.shape[1:]))
        by_exit = np.concatenate([np.cumsum(values[self.exit_order][::-1], axis=0)[::-1], zero])
        by_entry = np.concatenate([np.cumsum(values[self.entry_order][::-1], axis=0)[::-1], zero])
        return np.asarray(by_exit[self.pos_exit] - by_entry[self.pos_entry], dtype=np.float64)

    def _death_sums(self, values: FloatArray) -> FloatArray:
        out = np.zeros((self.times.size, *values.shape[1:]))
        np.add.at(out, self.death_k, values[self.death_idx])
        return out

    def pieces(self, x: FloatArray, beta: FloatArray) -> dict[str, FloatArray]:
        eta = x @ beta
        wr = self.weight * np.exp(eta)
        wrx = wr[:, None] * x
        wrxx = wrx[:, :, None] * x[:, None, :]
        f = self.l_frac
        k = self.l_k
        s0 = self._risk_sums(wr)[k] - f * self._death_sums(wr)[k]
        s1 = self._risk_sums(wrx)[k] - f[:, None] * self._death_sums(wrx)[k]
        s2 = self._risk_sums(wrxx)[k] - f[:, None, None] * self._death_sums(wrxx)[k]
        if np.any(s0 <= 0):
            raise SurvivalModelError("empty Efron risk set; check entry/exit times")
        mean = s1 / s0[:, None]
        var = s2 / s0[:, None, None] - mean[:, :, None] * mean[:, None, :]
        wx_death = self._death_sums(self.weight[:, None] * x)
        wbar_l = self.wbar[k]
        n_t = self.times.size
        p = x.shape[1]
        score_k = wx_death.copy()
        info_k = np.zeros((n_t, p, p))
        for j in range(p):
            score_k[:, j] -= np.bincount(k, weights=wbar_l * mean[:, j], minlength=n_t)
            for m in range(p):
                info_k[:, j, m] = np.bincount(k, weights=wbar_l * var[:, j, m], minlength=n_t)
        loglik = float(np.sum(self.weight[self.death_idx] * eta[self.death_idx]) - np.sum(wbar_l * np.log(s0)))
        mbar_sum = np.stack([np.bincount(k, weights=mean[:, j], minlength=n_t) for j in range(p)], axis=1)
        mbar = np.asarray(mbar_sum / self.d[:, None], dtype=np.float64)
        return {
            "loglik": np.array(loglik),
            "score_k": score_k,
            "info_k": info_k,
            "s0": s0,
            "mean": mean,
            "mbar": mbar,
            "wr": wr,
        }

    def score_residuals(self, x: FloatArray, beta: FloatArray) -> FloatArray:
        pc = self.pieces(x, beta)
        s0, mean, wr, mbar = pc["s0"], pc["mean"], pc["wr"], pc["mbar"]
        k, f = self.l_k, self.l_frac
        n_t, p = self.times.size, x.shape[1]
        h = self.wbar[k] / s0
        big_h = np.bincount(k, weights=h, minlength=n_t)
        big_g = np.stack([np.bincount(k, weights=h * mean[:, j], minlength=n_t) for j in range(p)], axis=1)
        h_tie = np.bincount(k, weights=f * h, minlength=n_t)
        g_tie = np.stack([np.bincount(k, weights=f * h * mean[:, j], minlength=n_t) for j in range(p)], axis=1)
        cum_h = np.concatenate([[0.0], np.cumsum(big_h)])
        cum_g = np.concatenate([np.zeros((1, p)), np.cumsum(big_g, axis=0)])
        hi = np.searchsorted(self.times, self.exit, side="right")
        lo = np.searchsorted(self.times, self.entry, side="right")
        hazard_h = cum_h[hi] - cum_h[lo]
        hazard_g = cum_g[hi] - cum_g[lo]
        resid = -wr[:, None] * (x * hazard_h[:, None] - hazard_g)
        dk = self.death_k
        di = self.death_idx
        resid[di] += self.weight[di, None] * (x[di] - mbar[dk])
        resid[di] += wr[di, None] * (x[di] * h_tie[dk, None] - g_tie[dk])
        return resid


class EfronModel:
    """Efron partial likelihood for covariates ``x`` (n x p) on counting-process data, optionally stratified.

    ``ties="breslow"`` (all f_l = 0) is available for verification: its score test at beta = 0 is the log-rank test.
    """

    def __init__(
        self, data: SurvivalArrays, x: FloatArray, strata: IntArray | None = None, ties: Ties = "efron"
    ) -> None:
        if x.ndim != 2 or x.shape[0] != data.n:
            raise ValueError(f"x must have shape (n={data.n}, p), got {x.shape}")
        self.data = data
        self.x_raw = np.asarray(x, dtype=np.float64)
        # centring leaves beta, U and I unchanged and keeps exp(x'beta) well scaled
        self.x_centre = np.average(self.x_raw, axis=0, weights=data.weight)
        self.x = self.x_raw - self.x_centre
        self.p = x.shape[1]
        self.strata_rows = _stratum_indices(data, strata)
        self.engines = [
            _StratumEngine(data.entry[r], data.exit[r], data.event[r], data.weight[r], ties) for r in self.strata_rows
        ]

    def terms(self, beta: FloatArray) -> EfronTerms:
        loglik, score, info = 0.0, np.zeros(self.p), np.zeros((self.p, self.p))
        for rows, engine in zip(self.strata_rows, self.engines, strict=True):
            if engine.times.size == 0:
                continue
            pc = engine.pieces(self.x[rows], beta)
            loglik += float(pc["loglik"])
            score += pc["score_k"].sum(axis=0)
            info += pc["info_k"].sum(axis=0)
        return EfronTerms(loglik, score, info)

    def death_time_terms(self, beta: FloatArray) -> DeathTimeTerms:
        times, strata, n_deaths, scores, infos, means, death_x = [], [], [], [], [], [], []
        for s, (rows, engine) in enumerate(zip(self.strata_rows, self.engines, strict=True)):
            if engine.times.size == 0:
                continue
            pc = engine.pieces(self.x[rows], beta)
            times.append(engine.times)
            strata.append(np.full(engine.times.size, s, dtype=np.int64))
            n_deaths.append(engine.d)
            scores.append(pc["score_k"])
            infos.append(pc["info_k"])
            means.append(pc["mbar"])
            death_x.append(self.x_raw[rows][engine.death_idx])
        return DeathTimeTerms(
            time=np.concatenate(times),
            stratum=np.concatenate(strata),
            n_deaths=np.concatenate(n_deaths),
            score=np.concatenate(scores),
            information=np.concatenate(infos),
            mean=np.concatenate(means) + self.x_centre,
            death_x=np.concatenate(death_x),
        )

    def score_residuals(self, beta: FloatArray) -> FloatArray:
        """Efron score residuals L_i (n x p), in input row order; columns sum to U(beta)."""
        out = np.zeros((self.data.n, self.p))
        for rows, engine in zip(self.strata_rows, self.engines, strict=True):
            if engine.times.size:
                out[rows] = engine.score_residuals(self.x[rows], beta)
        return out

    def fit(self, max_iter: int = 50, tol: float = 1e-10) -> CoxFit:
        """Newton-Raphson from beta = 0 with step halving; converged when |step| < tol (max norm)."""
        beta = np.zeros(self.p)
        null = self.terms(beta)
        current = null
        converged = False
        iterations = 0
        for _ in range(max_iter):
            iterations += 1
            try:
                step = np.linalg.solve(current.information, current.score)
            except np.linalg.LinAlgError as exc:
                raise SurvivalModelError("singular information matrix (no variation or no events?)") from exc
            candidate = beta + step
            trial = self.terms(candidate)
            halvings = 0
            while not np.isfinite(trial.loglik) or trial.loglik < current.loglik - 1e-12:
                step = step / 2
                candidate = beta + step
                trial = self.terms(candidate)
                halvings += 1
                if halvings > 30:
                    break
            beta, current = candidate, trial
            if float(np.max(np.abs(step))) < tol:
                converged = True
                break
        variance = np.asarray(np.linalg.inv(current.information), dtype=np.float64)
        converged = converged and bool(np.all(np.isfinite(beta))) and float(np.max(np.abs(beta))) < 20
        return CoxFit(
            beta=beta,
            variance=variance,
            loglik=current.loglik,
            loglik_null=null.loglik,
            score_null=null.score,
            information_null=null.information,
            iterations=iterations,
            converged=converged,
        )
