"""Propensity score, greedy nearest-neighbour matching and balance diagnostics (framework-free; polars in and out)."""

from rwe_cohorts.matching.balance import (
    BalanceExceptions,
    BalanceInputError,
    balance_exceptions,
    covariate_balance,
    preference_score,
    ps_overlap_summary,
    smd,
)
from rwe_cohorts.matching.greedy import (
    GreedyMatcher,
    MatchingInputError,
    MatchOrder,
    MatchResult,
    caliper_width,
    match_nearest,
)
from rwe_cohorts.matching.plots import love_plot, ps_overlap_plot
from rwe_cohorts.matching.propensity import (
    PropensityFit,
    PropensityInputError,
    PropensityModelError,
    PropensityModelWarning,
    c_statistic,
    fit_propensity,
)
from rwe_cohorts.matching.reference import match_nearest_reference

__all__ = [
    "BalanceExceptions",
    "BalanceInputError",
    "GreedyMatcher",
    "MatchOrder",
    "MatchResult",
    "MatchingInputError",
    "PropensityFit",
    "PropensityInputError",
    "PropensityModelError",
    "PropensityModelWarning",
    "balance_exceptions",
    "c_statistic",
    "caliper_width",
    "covariate_balance",
    "fit_propensity",
    "love_plot",
    "match_nearest",
    "match_nearest_reference",
    "preference_score",
    "ps_overlap_plot",
    "ps_overlap_summary",
    "smd",
]
