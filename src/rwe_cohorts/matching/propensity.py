"""Propensity score: logistic regression of exposure on baseline covariates.

Model: logit P(exposed = 1 | x) = b0 + sum_j b_j x_j, on the design of :mod:`rwe_cohorts.matching.design`
(categorical levels against the most frequent, sparse levels merged into it, continuous covariates linear).

Estimators:

- ``penalty=None``: maximum likelihood (statsmodels ``Logit``, Newton-Raphson started from the intercept-only MLE),
  Wald standard errors, z and two-sided normal P.
- ``penalty=lambda > 0``: L2-penalised (ridge) likelihood, scikit-learn ``LogisticRegression`` with the
  ``newton-cholesky`` solver (Newton steps on the exact Hessian), minimising
  -loglik(g) + (lambda / 2) * sum_{j >= 1} g_j^2 over the coefficients g of the *scaled* design (``standardize``:
  see the design module) and mapped back to the covariates' own units. ``penalize_intercept=True`` adds g_0^2 to
  the sum (the intercept of the scaled design). Equivalent to the posterior mode under independent N(0, 1 / lambda)
  priors. The penalised objective is strictly convex, so the fit converges with separated or single-patient levels;
  no standard errors are claimed (std_error, z and p_value are null).

Conventions:

- ``logit_ps`` is the fitted linear predictor x'b itself and ``ps = 1 / (1 + exp(-logit_ps))``.
- The c-statistic is the area under the ROC curve of ``logit_ps`` for exposure, computed with the rank
  (Mann-Whitney) formula with average ranks: c = (R1 - n1 (n1 + 1) / 2) / (n1 n0), R1 = sum of the exposed
  patients' ranks; a tied exposed/control pair counts one half (as CohortMethod ``computePsAuc``).
- Continuous covariates with nulls or non-finite values are an error naming the column, the count and example ids
  (no silent imputation: how to handle missing continuous data is a study-design decision).
- What is a warning (``PropensityModelWarning``, issued and kept in ``PropensityFit.warnings``): non-convergence;
  for the unpenalised MLE also separated levels (their MLE diverges) and statsmodels' separation messages; for both,
  fitted probabilities within ``SEPARATION_EPS`` of 0 or 1 and terms with |estimate| > ``DIVERGENT_ESTIMATE`` on
  the scale fitted or std_error > ``DIVERGENT_STD_ERROR``. What is a note (``PropensityFit.notes``, no warning):
  merged sparse levels, single-level covariates, separated levels and redundant terms (e.g. a stage level that
  only one cancer type has, and all of it) under a penalty, which identifies them. Unrecoverable problems (one arm
  only, a constant column, redundant terms without a penalty, non-finite estimates) raise ``PropensityModelError``.

References: Rosenbaum PR, Rubin DB (1983). The central role of the propensity score in observational studies for
causal effects. Biometrika 70:41-55. Austin PC (2011), Multivariate Behav Res 46:399-424. Le Cessie S, van
Houwelingen JC (1992). Ridge estimators in logistic regression. Appl Stat 41:191-201.

Example::

    fit = fit_propensity(cohort, categorical=["smoking_status", "stage"], continuous=["age_years"], penalty=0.1,
                         standardize="continuous", min_level_patients=10)
    fit.coefficients, fit.c_statistic, fit.scores  # patient_id, is_exposed, ps, logit_ps
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import statsmodels.api as sm
from scipy import stats
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.linear_model import LogisticRegression
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning, PerfectSeparationWarning

from rwe_cohorts.matching._examples import examples
from rwe_cohorts.matching.design import (
    UNKNOWN_LEVEL,
    DesignError,
    RedundantTermsError,
    Standardize,
    build_design,
    check_rank,
    scaled,
    unscale,
)

SEPARATION_EPS = 1e-8
DIVERGENT_ESTIMATE = 15.0
DIVERGENT_STD_ERROR = 1e3
MAX_ITER = 100
PENALISED_TOL = 1e-12


class PropensityInputError(ValueError):
    """The input frame cannot be modelled as given (missing column, nulls, wrong dtype, duplicate ids)."""


class PropensityModelError(RuntimeError):
    """The propensity model cannot be estimated (one arm only, rank-deficient design, non-finite estimates)."""


class PropensityModelWarning(UserWarning):
    """The model was estimated but is suspect (separation, non-convergence, degenerate covariates)."""


@dataclass(frozen=True)
class PropensityFit:
    """A fitted propensity model (see the module docstring for the conventions). ``levels`` is the coding of every
    categorical covariate (covariate, level, n, n_exposed, is_reference, is_merged, coded_as)."""

    coefficients: pl.DataFrame
    scores: pl.DataFrame
    c_statistic: float
    n: int
    n_exposed: int
    converged: bool
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    method: str
    reference_levels: tuple[tuple[str, str], ...]
    levels: pl.DataFrame


def c_statistic(score: np.ndarray, exposed: np.ndarray) -> float:
    """AUC by the rank formula (average ranks for ties, so a tied exposed/control pair counts 1/2)."""
    exposed = np.asarray(exposed, dtype=bool)
    n1 = int(exposed.sum())
    n0 = exposed.size - n1
    if n1 == 0 or n0 == 0:
        raise PropensityModelError(f"c-statistic needs both arms, got {n1} exposed and {n0} controls")
    ranks = stats.rankdata(score, method="average")
    return float((ranks[exposed].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _validate(df: pl.DataFrame, id_col: str, treatment_col: str, categorical: list[str], continuous: list[str]) -> None:
    needed = [id_col, treatment_col, *categorical, *continuous]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise PropensityInputError(f"propensity input lacks column(s) {missing}; available: {df.columns}")
    if len(set(needed)) != len(needed):
        raise PropensityInputError(f"a column is listed twice among id/treatment/covariates: {needed}")
    problems: list[str] = []
    if df[id_col].null_count() or df[id_col].n_unique() < df.height:
        dup = df.filter(pl.col(id_col).is_duplicated())[id_col].unique().sort()
        problems.append(
            f"id column {id_col!r} must be unique and non-null "
            f"({df[id_col].null_count()} null, {dup.len()} duplicated, e.g. {examples(dup)})"
        )
    if df.schema[treatment_col] != pl.Boolean:
        problems.append(f"treatment column {treatment_col!r} must be Boolean, got {df.schema[treatment_col]}")
    elif df[treatment_col].null_count():
        bad = df.filter(pl.col(treatment_col).is_null())[id_col]
        problems.append(f"treatment column {treatment_col!r} has {bad.len()} null(s), e.g. ids {examples(bad)}")
    for col in continuous:
        if not df.schema[col].is_numeric():
            problems.append(f"continuous covariate {col!r} must be numeric, got {df.schema[col]}")
            continue
        bad = df.filter(~pl.col(col).cast(pl.Float64).is_finite().fill_null(False))[id_col]
        if bad.len():
            problems.append(
                f"continuous covariate {col!r} has {bad.len()} null/NaN/infinite value(s), e.g. ids {examples(bad)}"
            )
    if problems:
        raise PropensityInputError("invalid propensity input: " + "; ".join(problems))


def _fit_mle(z: np.ndarray, y: np.ndarray, problems: list[str]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Unpenalised MLE: (estimates, covariance, converged); statsmodels' separation messages become problems."""
    start = np.zeros(z.shape[1])  # the intercept-only MLE: halves the Newton steps for a rare exposure
    start[0] = math.log(y.mean() / (1 - y.mean()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, z, check_rank=False).fit(
                start_params=start, method="newton", maxiter=MAX_ITER, disp=False
            )
            params = np.asarray(res.params, dtype=float)
            cov = np.asarray(res.cov_params(), dtype=float)
        except np.linalg.LinAlgError as exc:
            raise PropensityModelError(
                f"Newton-Raphson failed ({exc}); the design is (quasi-)separated: "
                f"{'; '.join(problems) or 'see terms'} - use a penalty or merge sparse levels"
            ) from exc
    for w in caught:
        if issubclass(w.category, (PerfectSeparationWarning, HessianInversionWarning)):
            problems.append(f"statsmodels: {w.message}")
    converged = bool(res.mle_retvals.get("converged", False)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught
    )
    return params, cov, converged


def _fit_penalised(
    z: np.ndarray, y: np.ndarray, penalty: float, penalize_intercept: bool, problems: list[str]
) -> tuple[np.ndarray, bool]:
    """L2-penalised fit on the scaled design: (estimates, converged); sklearn's other warnings become problems.

    scikit-learn minimises C * sum_i loss_i + ||w||^2 / 2, so C = 1 / lambda; its intercept (``fit_intercept``) is
    not penalised, so a penalised intercept is fitted as an ordinary column of ones."""
    model = LogisticRegression(
        C=1.0 / penalty,
        l1_ratio=0.0,
        solver="newton-cholesky",
        fit_intercept=not penalize_intercept,
        max_iter=MAX_ITER,
        tol=PENALISED_TOL,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(z if penalize_intercept else z[:, 1:], y)
    converged = True
    for w in caught:
        if issubclass(w.category, SklearnConvergenceWarning):
            converged = False
        elif not issubclass(w.category, (DeprecationWarning, FutureWarning)):
            problems.append(f"scikit-learn: {w.message}")
    coef = model.coef_[0]
    params = coef if penalize_intercept else np.concatenate([model.intercept_, coef])
    return np.asarray(params, dtype=float), converged


def _method(
    penalty: float | None, penalize_intercept: bool, standardize: Standardize, min_level_patients: int, refs: str
) -> str:
    if penalty is None:
        engine = "statsmodels Logit, Newton-Raphson, unpenalised MLE"
    else:
        which = "every coefficient incl. the intercept" if penalize_intercept else "every coefficient but the intercept"
        engine = (
            f"scikit-learn LogisticRegression newton-cholesky, L2 penalty lambda={penalty:g} on {which} of the "
            f"{'unscaled' if standardize == 'none' else 'standardized (' + standardize + ')'} design"
        )
    merge = f"; levels with < {min_level_patients} patients merged into the reference" if min_level_patients > 1 else ""
    return (
        f"logistic regression ({engine}); categorical one-hot with reference = most frequent level ({refs}), nulls "
        f"coded {UNKNOWN_LEVEL!r}{merge}; continuous linear; coefficients in the covariates' own units"
    )


def fit_propensity(
    df: pl.DataFrame,
    *,
    id_col: str = "patient_id",
    treatment_col: str = "is_exposed",
    categorical: Sequence[str],
    continuous: Sequence[str],
    penalty: float | None = None,
    penalize_intercept: bool = False,
    standardize: Standardize = "none",
    min_level_patients: int = 1,
) -> PropensityFit:
    """Fit the propensity model P(exposed | covariates) by logistic regression (estimators and conventions: module
    docstring). The defaults are the plain unpenalised MLE on the unscaled design with every level kept; a study's
    settings come from its spec (``matching.ps_model``)."""
    categorical, continuous = list(categorical), list(continuous)
    _validate(df, id_col, treatment_col, categorical, continuous)
    if penalty is not None and not (math.isfinite(penalty) and penalty > 0):
        raise PropensityInputError(f"penalty must be a finite number > 0 or None, got {penalty!r}")
    if penalize_intercept and penalty is None:
        raise PropensityInputError("penalize_intercept needs a penalty")
    if min_level_patients < 1:
        raise PropensityInputError(f"min_level_patients must be >= 1, got {min_level_patients}")
    if not categorical and not continuous:
        raise PropensityInputError("propensity model needs at least one covariate (categorical or continuous)")
    y = df[treatment_col].cast(pl.Float64).to_numpy()
    n_exposed = int(y.sum())
    if n_exposed == 0 or n_exposed == y.size:
        raise PropensityModelError(
            f"propensity model needs both arms: {n_exposed} exposed and {y.size - n_exposed} controls "
            f"in {treatment_col!r}"
        )
    design = build_design(df, treatment_col, categorical, continuous, min_level_patients=min_level_patients)
    notes = list(design.notes)
    try:
        check_rank(design.x, design.terms)
    except RedundantTermsError as exc:
        if penalty is None:
            raise PropensityModelError(str(exc)) from exc
        notes.append(f"{exc}; the penalty identifies their estimates (shared between the redundant terms)")
    except DesignError as exc:
        raise PropensityModelError(str(exc)) from exc
    try:
        z, centres, scales = scaled(design, standardize)
    except DesignError as exc:
        raise PropensityModelError(str(exc)) from exc
    problems: list[str] = []
    if penalty is None:
        problems += [f"quasi-complete separation: {s}" for s in design.separated]
        fitted, cov, converged = _fit_mle(z, y, problems)
        params, cov_b = unscale(fitted, cov, centres, scales)
        bse = np.sqrt(np.diag(cov_b)) if cov_b is not None else np.full(params.size, np.nan)
        scaled_se = np.sqrt(np.diag(cov))
    else:
        if design.separated:
            notes.append(
                "levels whose MLE would diverge (separation), estimated finite under the penalty: "
                + ", ".join(design.separated)
            )
        fitted, converged = _fit_penalised(z, y, penalty, penalize_intercept, problems)
        params, _ = unscale(fitted, None, centres, scales)
        bse = scaled_se = np.full(params.size, np.nan)
    if not np.all(np.isfinite(params)):
        bad = [t for t, p in zip(design.terms, params, strict=True) if not math.isfinite(p)]
        raise PropensityModelError(f"non-finite estimates for term(s) {bad}; separated: {design.separated}")
    lp = z @ fitted
    ps = 1.0 / (1.0 + np.exp(-lp))
    if not converged:
        problems.append(f"the fit did not converge within its iteration limit ({MAX_ITER} Newton steps)")
    extreme = int(np.sum((ps < SEPARATION_EPS) | (ps > 1 - SEPARATION_EPS)))
    divergent = [
        f"{t} (estimate {p:.3g}, std_error {s:.3g})"
        for t, p, s in zip(design.terms[1:], fitted[1:], scaled_se[1:], strict=True)
        if abs(p) > DIVERGENT_ESTIMATE or (math.isfinite(s) and s > DIVERGENT_STD_ERROR)
    ]
    if divergent or (extreme and penalty is None):
        problems.append(
            f"possible separation: {extreme} fitted probabilities within {SEPARATION_EPS:g} of 0 or 1; "
            f"diverging terms (scale fitted): {divergent or 'none'}"
        )
    elif extreme:
        # Under the penalty every estimate is finite and none diverges: a probability this close to 0 or 1 is a
        # patient far from every exposed patient on a continuous covariate (a linear term extrapolated), not
        # separation; it is never matched and its ATT weight is ~0.
        notes.append(
            f"{extreme} fitted probabilities within {SEPARATION_EPS:g} of 0 or 1 (patients far from every exposed "
            "patient; no term diverges under the penalty)"
        )
    for problem in problems:
        warnings.warn(problem, PropensityModelWarning, stacklevel=2)

    z_stat = params / bse
    coefficients = pl.DataFrame(
        {
            "term": design.terms,
            "estimate": params,
            "std_error": bse,
            "z": z_stat,
            "p_value": 2 * stats.norm.sf(np.abs(z_stat)),
            "odds_ratio": np.exp(params),
        }
    ).with_columns(pl.col("std_error", "z", "p_value").fill_nan(None))
    scores = df.select(id_col, treatment_col).with_columns(
        pl.Series("ps", ps, dtype=pl.Float64), pl.Series("logit_ps", lp, dtype=pl.Float64)
    )
    refs = ", ".join(f"{c}={r!r}" for c, r in design.references) or "none"
    return PropensityFit(
        coefficients=coefficients,
        scores=scores,
        c_statistic=c_statistic(lp, y.astype(bool)),
        n=df.height,
        n_exposed=n_exposed,
        converged=converged,
        warnings=tuple(problems),
        notes=tuple(notes),
        method=_method(penalty, penalize_intercept, standardize, min_level_patients, refs),
        reference_levels=tuple(design.references),
        levels=design.levels,
    )
