"""Propensity score, greedy nearest-neighbour matching and balance diagnostics (framework-free; polars in and out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rwe_cohorts.core.lazy import lazy_getattr

if TYPE_CHECKING:
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

_EXPORTS: dict[str, str] = {
    "BalanceExceptions": "rwe_cohorts.matching.diagnostics",
    "BalanceInputError": "rwe_cohorts.matching.balance",
    "GreedyMatcher": "rwe_cohorts.matching.greedy",
    "MatchOrder": "rwe_cohorts.matching.greedy",
    "MatchResult": "rwe_cohorts.matching.greedy",
    "MatchingInputError": "rwe_cohorts.matching.greedy",
    "PropensityFit": "rwe_cohorts.matching.propensity",
    "PropensityInputError": "rwe_cohorts.matching.propensity",
    "PropensityModelError": "rwe_cohorts.matching.propensity",
    "PropensityModelWarning": "rwe_cohorts.matching.propensity",
    "balance_exceptions": "rwe_cohorts.matching.diagnostics",
    "c_statistic": "rwe_cohorts.matching.propensity",
    "caliper_width": "rwe_cohorts.matching.greedy",
    "classify_balance": "rwe_cohorts.matching.diagnostics",
    "covariate_balance": "rwe_cohorts.matching.balance",
    "effective_sample_sizes": "rwe_cohorts.matching.diagnostics",
    "fit_propensity": "rwe_cohorts.matching.propensity",
    "kish_ess": "rwe_cohorts.matching.balance",
    "love_plot": "rwe_cohorts.matching.plots",
    "match_nearest": "rwe_cohorts.matching.greedy",
    "match_nearest_reference": "rwe_cohorts.matching.reference",
    "preference_score": "rwe_cohorts.matching.balance",
    "ps_overlap_plot": "rwe_cohorts.matching.plots",
    "ps_overlap_summary": "rwe_cohorts.matching.balance",
    "share_in_equipoise": "rwe_cohorts.matching.diagnostics",
    "smd": "rwe_cohorts.matching.balance",
    "smd_standard_error": "rwe_cohorts.matching.balance",
}
"""Public name -> the module defining it, imported on first use (``rwe_cohorts.core.lazy``)."""


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


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
