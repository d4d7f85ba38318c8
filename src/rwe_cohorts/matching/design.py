"""The propensity model's design matrix: how covariates become columns, which sparse levels are merged, and the
scale the penalty acts on.

Conventions:

- Categorical covariates are cast to strings; nulls become an explicit level ``"unknown"`` (an existing literal
  ``"unknown"`` value merges with it). The reference level is the most frequent level (ties: the smallest level
  name). A level with fewer than ``min_level_patients`` patients (counted over the whole model frame) is *sparse*
  and is merged into the reference level: its patients are coded as the reference, and it gets no column. The
  reference itself is never merged. Terms are named ``column[level]``, in level-name order, the reference omitted.
- Continuous covariates enter linearly, as given.
- The intercept is the first column. ``x`` holds every column in the covariates' own units; :func:`scaled` gives
  the matrix the fit works on and :func:`unscale` maps coefficients (and their covariance) back:
  with z_j = (x_j - c_j) / s_j, b_j = g_j / s_j and b_0 = g_0 - sum_j g_j c_j / s_j. ``standardize="continuous"``
  centres continuous columns on their mean and divides by their SD (ddof 0, as glmnet), ``"all"`` does the same to
  the level indicators, ``"none"`` leaves every column as it is (c = 0, s = 1).
- Separation: every coded level (incl. the reference) whose exposed count is 0 or equals its size is named; its
  unpenalised MLE diverges (quasi-complete separation), its penalised estimate is finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

UNKNOWN_LEVEL = "unknown"
Standardize = Literal["continuous", "all", "none"]

LEVELS_SCHEMA: dict[str, pl.DataType] = {
    "covariate": pl.String(),
    "level": pl.String(),
    "n": pl.Int64(),
    "n_exposed": pl.Int64(),
    "is_reference": pl.Boolean(),
    "is_merged": pl.Boolean(),
    "coded_as": pl.String(),
}


class DesignError(RuntimeError):
    """The design matrix cannot be estimated (an all-zero or constant column, or redundant columns)."""


class RedundantTermsError(DesignError):
    """Some columns are linear combinations of others: the MLE is not identified, a ridge estimate still is."""


@dataclass(frozen=True)
class Design:
    """The model matrix (intercept first, own units), its term names, the reference level per categorical
    covariate, the level table (covariate, level, n, n_exposed, is_reference, is_merged, coded_as), the indices of
    the continuous columns, the separated coded levels (``covariate[level]``, with ``(reference level)`` and
    ``(no patient exposed)`` / ``(every patient exposed)``) and the coding notes (merged levels, single levels)."""

    x: np.ndarray
    terms: list[str]
    references: list[tuple[str, str]]
    levels: pl.DataFrame
    continuous_columns: list[int]
    separated: list[str]
    notes: list[str]


def levels_of(df: pl.DataFrame, col: str) -> pl.Series:
    """A categorical covariate as strings with nulls coded ``"unknown"``."""
    return df[col].cast(pl.String).fill_null(UNKNOWN_LEVEL).alias(col)


def _level_table(levels: pl.Series, y: pl.Series, col: str, min_level_patients: int) -> pl.DataFrame:
    counts = (
        pl.DataFrame({"level": levels, "y": y})
        .group_by("level")
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("y").cast(pl.Int64).sum().alias("n_exposed"))
        .sort(["n", "level"], descending=[True, False])
    )
    reference = str(counts["level"][0])
    is_reference = pl.col("level") == reference
    merged = ~is_reference & (pl.col("n") < min_level_patients)
    return counts.select(
        pl.lit(col).alias("covariate"),
        "level",
        "n",
        "n_exposed",
        is_reference.alias("is_reference"),
        merged.alias("is_merged"),
        pl.when(merged).then(pl.lit(reference)).otherwise(pl.col("level")).alias("coded_as"),
    )


def build_design(
    df: pl.DataFrame,
    treatment_col: str,
    categorical: list[str],
    continuous: list[str],
    *,
    min_level_patients: int = 1,
) -> Design:
    """The design of a logistic PS model of ``treatment_col`` (Boolean) on the covariates (conventions: module
    docstring); ``min_level_patients = 1`` merges nothing."""
    y = df[treatment_col]
    columns: list[np.ndarray] = [np.ones(df.height)]
    terms = ["intercept"]
    references: list[tuple[str, str]] = []
    tables: list[pl.DataFrame] = []
    notes: list[str] = []
    separated: list[str] = []
    for col in categorical:
        levels = levels_of(df, col)
        table = _level_table(levels, y, col, min_level_patients)
        tables.append(table)
        reference = str(table["level"][0])
        references.append((col, reference))
        merged = table.filter("is_merged")["level"].to_list()
        coded = levels.replace(merged, [reference] * len(merged)) if merged else levels
        if merged:
            notes.append(
                f"{col}: sparse level(s) {merged} (fewer than {min_level_patients} patients each) merged into the "
                f"reference level {reference!r}"
            )
        kept = table.filter(~pl.col("is_merged"))
        if kept.height == 1:
            notes.append(f"categorical covariate {col!r} has a single level {reference!r} and contributes no term")
            continue
        coded_counts = pl.DataFrame({"level": coded, "y": y}).group_by("level").agg(pl.len(), pl.col("y").sum())
        for level, n, n_exp in coded_counts.sort("level").iter_rows():
            if n_exp == 0 or n_exp == n:
                role = " (reference level)" if level == reference else ""
                separated.append(f"{col}[{level}]{role} ({'no' if n_exp == 0 else 'every'} patient exposed)")
        for level in sorted(lv for lv in kept["level"].to_list() if lv != reference):
            columns.append((coded == level).cast(pl.Float64).to_numpy())
            terms.append(f"{col}[{level}]")
    continuous_columns = []
    for col in continuous:
        continuous_columns.append(len(columns))
        columns.append(df[col].cast(pl.Float64).to_numpy())
        terms.append(col)
    x = np.empty((df.height, len(columns)), order="F")  # column-major: statsmodels' X'WX is faster on it
    for j, column in enumerate(columns):
        x[:, j] = column
    levels_frame = pl.concat(tables) if tables else pl.DataFrame(schema=LEVELS_SCHEMA)
    return Design(x, terms, references, levels_frame, continuous_columns, separated, notes)


def check_rank(x: np.ndarray, terms: list[str]) -> None:
    """Raise naming the redundant terms if X'X (scaled to a correlation-like matrix) is rank-deficient."""
    gram = x.T @ x
    scale = np.sqrt(np.diag(gram))
    if np.any(scale == 0):
        zero = [t for t, s in zip(terms, scale, strict=True) if s == 0]
        raise DesignError(f"design has all-zero term(s) {zero}")
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
    raise RedundantTermsError(
        f"design matrix is rank-deficient: term(s) {redundant} are linear combinations of earlier terms "
        "(a constant continuous covariate, or covariates that duplicate each other)"
    )


def scaled(design: Design, standardize: Standardize) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, centres, scales): the matrix the fit works on, z_j = (x_j - c_j) / s_j (the intercept and unscaled
    columns have c = 0, s = 1). Run :func:`check_rank` first: a constant column has SD 0."""
    p = design.x.shape[1]
    chosen = {"continuous": design.continuous_columns, "all": list(range(1, p)), "none": []}[standardize]
    centres, scales = np.zeros(p), np.ones(p)
    if chosen:
        block = design.x[:, chosen]
        centres[chosen] = block.mean(axis=0)
        scales[chosen] = block.std(axis=0)
    if np.any(scales == 0):
        constant = [design.terms[j] for j in np.flatnonzero(scales == 0)]
        raise DesignError(f"cannot standardize constant term(s) {constant}")
    return np.asfortranarray((design.x - centres) / scales), centres, scales


def unscale(
    params: np.ndarray, cov: np.ndarray | None, centres: np.ndarray, scales: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Coefficients on the scaled design mapped to the covariates' own units, b = T g, with
    T[j, j] = 1 / s_j and T[0, j] = -c_j / s_j (j >= 1), T[0, 0] = 1; the covariance maps as T cov T'."""
    t = np.diag(1.0 / scales)
    t[0, 0] = 1.0
    t[0, 1:] = -centres[1:] / scales[1:]
    return t @ params, None if cov is None else t @ cov @ t.T
