"""Propensity score, greedy nearest-neighbour matching and balance diagnostics (framework-free; polars in and out)."""

from rwe_cohorts.matching.balance import (
    BalanceInputError,
    covariate_balance,
    kish_ess,
    preference_score,
    ps_overlap_summary,
    smd,
    smd_standard_error,
)
from rwe_cohorts.matching.diagnostics import (
    BalanceExceptions,
    balance_exceptions,
    classify_balance,
    effective_sample_sizes,
    share_in_equipoise,
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
    "classify_balance",
    "covariate_balance",
    "effective_sample_sizes",
    "fit_propensity",
    "kish_ess",
    "love_plot",
    "match_nearest",
    "match_nearest_reference",
    "preference_score",
    "ps_overlap_plot",
    "ps_overlap_summary",
    "share_in_equipoise",
    "smd",
    "smd_standard_error",
]
