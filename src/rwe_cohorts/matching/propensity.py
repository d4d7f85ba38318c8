"""Propensity score: logistic regression of exposure on baseline covariates.

Model: logit P(exposed = 1 | x) = b0 + sum_j b_j x_j, fitted by maximum likelihood (statsmodels ``Logit``,
Newton-Raphson started from the intercept-only MLE) or, with ``penalty = lambda``, by L2-penalised likelihood
(scikit-learn ``LogisticRegression``, lbfgs), minimising -loglik(b) + (lambda / 2) * sum_{j >= 1} b_j^2 (the
intercept b0 is not penalised; the penalty acts on the design as coded: 0/1 dummies and continuous covariates in
their own units, so standardise first if you want scale-free shrinkage).

Conventions:

- Categorical covariates are cast to strings and one-hot coded; nulls become an explicit level ``"unknown"`` (an
  existing literal ``"unknown"`` value merges with it). The reference level is the most frequent level (ties: the
  smallest level name) and is reported in ``PropensityFit.reference_levels`` and ``method``. Terms are named
  ``column[level]``.
- Continuous covariates enter linearly, as given. Nulls or non-finite values are an error naming the column, the
  count and example ids (no silent imputation: how to handle missing continuous data is a study-design decision).
- ``logit_ps`` is the fitted linear predictor x'b itself and ``ps = 1 / (1 + exp(-logit_ps))``.
- The c-statistic is the area under the ROC curve of ``logit_ps`` for exposure, computed with the rank
  (Mann-Whitney) formula with average ranks: c = (R1 - n1 (n1 + 1) / 2) / (n1 n0), R1 = sum of the exposed
  patients' ranks; a tied exposed/control pair counts one half.
- Separation: before the fit, every level (incl. the reference) whose exposed count is 0 or equals the level
  size is reported (quasi-complete separation: its MLE diverges). After the fit, fitted probabilities within
  ``SEPARATION_EPS`` of 0 or 1 and terms with |estimate| > ``DIVERGENT_ESTIMATE`` or
  std_error > ``DIVERGENT_STD_ERROR`` are reported, as is non-convergence. All are ``PropensityModelWarning``
  (issued and also kept in ``PropensityFit.warnings``); an L2 penalty is the usual remedy. Unrecoverable
  problems (one arm only, a rank-deficient design, non-finite estimates) raise ``PropensityModelError``.

Reference: Rosenbaum PR, Rubin DB (1983). The central role of the propensity score in observational studies for
causal effects. Biometrika 70:41-55. Austin PC (2011), Multivariate Behav Res 46:399-424.

Example::

    fit = fit_propensity(cohort, categorical=["smoking_status", "stage"], continuous=["age_years"])
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

UNKNOWN_LEVEL = "unknown"
SEPARATION_EPS = 1e-8
DIVERGENT_ESTIMATE = 15.0
DIVERGENT_STD_ERROR = 1e3
MAX_ITER = 100


class PropensityInputError(ValueError):
    """The input frame cannot be modelled as given (missing column, nulls, wrong dtype, duplicate ids)."""


class PropensityModelError(RuntimeError):
    """The propensity model cannot be estimated (one arm only, rank-deficient design, non-finite estimates)."""


class PropensityModelWarning(UserWarning):
    """The model was estimated but is suspect (separation, non-convergence, degenerate covariates)."""


@dataclass(frozen=True)
class PropensityFit:
    """A fitted propensity model (see the module docstring for the conventions)."""

    coefficients: pl.DataFrame
    scores: pl.DataFrame
    c_statistic: float
    n: int
    n_exposed: int
    converged: bool
    warnings: tuple[str, ...]
    method: str
    reference_levels: tuple[tuple[str, str], ...]


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


def _levels(df: pl.DataFrame, col: str) -> pl.Series:
    return df[col].cast(pl.String).fill_null(UNKNOWN_LEVEL).alias(col)


def _design(
    df: pl.DataFrame, treatment_col: str, categorical: list[str], continuous: list[str]
) -> tuple[np.ndarray, list[str], list[tuple[str, str]], list[str]]:
    """Design matrix (intercept first), term names, reference levels, separation / degeneracy notes."""
    y = df[treatment_col]
    columns: list[np.ndarray] = [np.ones(df.height)]
    terms = ["intercept"]
    references: list[tuple[str, str]] = []
    notes: list[str] = []
    for col in categorical:
        levels = _levels(df, col)
        counts = (
            pl.DataFrame({"level": levels, "y": y})
            .group_by("level")
            .agg(pl.len().alias("n"), pl.col("y").sum().alias("n_exposed"))
            .sort(["n", "level"], descending=[True, False])
        )
        reference = str(counts["level"][0])
        references.append((col, reference))
        if counts.height == 1:
            notes.append(f"categorical covariate {col!r} has a single level {reference!r} and contributes no term")
        for level, n, n_exp in counts.iter_rows():
            if counts.height > 1 and (n_exp == 0 or n_exp == n):
                role = " (reference level)" if level == reference else ""
                notes.append(f"quasi-complete separation: {col}[{level}]{role} has {n_exp} exposed of {n} patients")
        for level in sorted(lv for lv in counts["level"].to_list() if lv != reference):
            columns.append((levels == level).cast(pl.Float64).to_numpy())
            terms.append(f"{col}[{level}]")
    for col in continuous:
        columns.append(df[col].cast(pl.Float64).to_numpy())
        terms.append(col)
    x = np.empty((df.height, len(columns)), order="F")  # column-major: statsmodels' X'WX is faster on it
    for j, column in enumerate(columns):
        x[:, j] = column
    return x, terms, references, notes


def _check_rank(x: np.ndarray, terms: list[str]) -> None:
    """Raise naming the redundant terms if X'X (scaled to a correlation-like matrix) is rank-deficient."""
    gram = x.T @ x
    scale = np.sqrt(np.diag(gram))
    if np.any(scale == 0):
        zero = [t for t, s in zip(terms, scale, strict=True) if s == 0]
        raise PropensityModelError(f"design has all-zero term(s) {zero}")
    corr = gram / np.outer(scale, scale)
    if np.linalg.matrix_rank(corr, tol=1e-10) == len(terms):
        return
    redundant: list[str] = []
    kept: list[int] = []
    for j in range(len(terms)):
        sub = corr[np.ix_([*kept, j], [*kept, j])]
        if np.linalg.matrix_rank(sub, tol=1e-10) == len(kept) + 1:
            kept.append(j)
        else:
            redundant.append(terms[j])
    raise PropensityModelError(
        f"design matrix is rank-deficient: term(s) {redundant} are linear combinations of earlier terms "
        "(a constant continuous covariate, or covariates that duplicate each other)"
    )


def _fit_mle(x: np.ndarray, y: np.ndarray, notes: list[str]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Unpenalised MLE: (estimates, Wald standard errors, converged); statsmodels' warnings become notes."""
    start = np.zeros(x.shape[1])  # the intercept-only MLE: halves the Newton steps for a rare exposure
    start[0] = math.log(y.mean() / (1 - y.mean()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, x, check_rank=False).fit(
                start_params=start, method="newton", maxiter=MAX_ITER, disp=False
            )
            params = np.asarray(res.params, dtype=float)
            bse = np.asarray(res.bse, dtype=float)
        except np.linalg.LinAlgError as exc:
            raise PropensityModelError(
                f"Newton-Raphson failed ({exc}); the design is (quasi-)separated: {'; '.join(notes) or 'see terms'}"
                " - use a penalty or collapse sparse levels"
            ) from exc
    for w in caught:
        if issubclass(w.category, (PerfectSeparationWarning, HessianInversionWarning)):
            notes.append(f"statsmodels: {w.message}")
    converged = bool(res.mle_retvals.get("converged", False)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught
    )
    return params, bse, converged


def _fit_penalised(x: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray, bool]:
    model = LogisticRegression(C=1.0 / penalty, l1_ratio=0.0, solver="lbfgs", max_iter=10 * MAX_ITER, tol=1e-10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x[:, 1:], y)
    converged = not any(issubclass(w.category, SklearnConvergenceWarning) for w in caught)
    params = np.concatenate([model.intercept_, model.coef_[0]])
    return params, np.full(params.size, np.nan), converged


def fit_propensity(
    df: pl.DataFrame,
    *,
    id_col: str = "patient_id",
    treatment_col: str = "is_exposed",
    categorical: Sequence[str],
    continuous: Sequence[str],
    penalty: float | None = None,
) -> PropensityFit:
    """Fit the propensity model P(exposed | covariates) by logistic regression (conventions: module docstring).

    ``penalty=None``: unpenalised MLE with Wald standard errors, z and two-sided normal P. ``penalty=lambda > 0``:
    L2-penalised fit; std_error, z and p_value are null (no valid sampling distribution is claimed).
    """
    categorical, continuous = list(categorical), list(continuous)
    _validate(df, id_col, treatment_col, categorical, continuous)
    if penalty is not None and not (math.isfinite(penalty) and penalty > 0):
        raise PropensityInputError(f"penalty must be a finite number > 0 or None, got {penalty!r}")
    if not categorical and not continuous:
        raise PropensityInputError("propensity model needs at least one covariate (categorical or continuous)")
    y = df[treatment_col].cast(pl.Float64).to_numpy()
    n_exposed = int(y.sum())
    if n_exposed == 0 or n_exposed == y.size:
        raise PropensityModelError(
            f"propensity model needs both arms: {n_exposed} exposed and {y.size - n_exposed} controls "
            f"in {treatment_col!r}"
        )
    x, terms, references, notes = _design(df, treatment_col, categorical, continuous)
    _check_rank(x, terms)
    if penalty is None:
        params, bse, converged = _fit_mle(x, y, notes)
    else:
        params, bse, converged = _fit_penalised(x, y, penalty)
    if not np.all(np.isfinite(params)):
        bad = [t for t, p in zip(terms, params, strict=True) if not math.isfinite(p)]
        raise PropensityModelError(f"non-finite estimates for term(s) {bad}; {'; '.join(notes)}")
    lp = x @ params
    ps = 1.0 / (1.0 + np.exp(-lp))
    if not converged:
        notes.append(f"the fit did not converge within its iteration limit ({MAX_ITER} Newton / lbfgs steps)")
    extreme = int(np.sum((ps < SEPARATION_EPS) | (ps > 1 - SEPARATION_EPS)))
    divergent = [
        f"{t} (estimate {p:.3g}, std_error {s:.3g})"
        for t, p, s in zip(terms, params, bse, strict=True)
        if abs(p) > DIVERGENT_ESTIMATE or (math.isfinite(s) and s > DIVERGENT_STD_ERROR)
    ]
    if extreme or divergent:
        notes.append(
            f"possible separation: {extreme} fitted probabilities within {SEPARATION_EPS:g} of 0 or 1; "
            f"diverging terms: {divergent or 'none'}"
        )
    for note in notes:
        warnings.warn(note, PropensityModelWarning, stacklevel=2)

    z = params / bse
    coefficients = pl.DataFrame(
        {
            "term": terms,
            "estimate": params,
            "std_error": bse,
            "z": z,
            "p_value": 2 * stats.norm.sf(np.abs(z)),
            "odds_ratio": np.exp(params),
        }
    ).with_columns(pl.col("std_error", "z", "p_value").fill_nan(None))
    scores = df.select(id_col, treatment_col).with_columns(
        pl.Series("ps", ps, dtype=pl.Float64), pl.Series("logit_ps", lp, dtype=pl.Float64)
    )
    refs = ", ".join(f"{c}={r!r}" for c, r in references) or "none"
    engine = (
        "statsmodels Logit, Newton-Raphson, unpenalised MLE"
        if penalty is None
        else f"scikit-learn LogisticRegression lbfgs, L2 penalty lambda={penalty:g} on non-intercept terms"
    )
    method = (
        f"logistic regression ({engine}); categorical one-hot with reference = most frequent level ({refs}), "
        f"nulls coded {UNKNOWN_LEVEL!r}; continuous linear as given: {continuous}"
    )
    return PropensityFit(
        coefficients=coefficients,
        scores=scores,
        c_statistic=c_statistic(lp, y.astype(bool)),
        n=df.height,
        n_exposed=n_exposed,
        converged=converged,
        warnings=tuple(notes),
        method=method,
        reference_levels=tuple(references),
    )
