"""Survival analysis with delayed entry (left truncation) for the cohort studies; framework-free.

Input: a polars frame with ``entry_months``, ``exit_months``, ``is_event`` and an arm column (see
:mod:`rwe_cohorts.survival.data`). Risk sets follow R ``Surv(entry, exit, event)``: at risk when entry < t <= exit.

- :func:`kaplan_meier_by_arm` - KM curves, medians (R rule), landmarks, numbers at risk, RMST and its difference.
- :func:`fit_cox_exposure` - Cox model exposed vs comparator (Efron ties; Wald, LR and score tests) with
  unstratified, stratified (matched set), cluster-robust and weighted (IPTW) variants.
- :func:`proportional_hazards_test`, :func:`entry_time_cox`, :func:`conditional_kendall_tau` - diagnostics.
- :func:`plot_kaplan_meier` - figure with CI bands and a risk table (PNG bytes); :func:`plot_survival_curves` draws
  the same figure from stored frames (``marts.km_curves``), with a formatter for the counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rwe_cohorts.core.lazy import lazy_getattr

if TYPE_CHECKING:
    from rwe_cohorts.survival.cox import CoxResult, CoxSpec, CoxVariant, fit_cox_exposure
    from rwe_cohorts.survival.curve_summaries import MedianSurvival, median_survival, numbers_at_risk, survival_at
    from rwe_cohorts.survival.data import ArmSpec, SurvivalArrays, to_arrays, validate_survival_frame
    from rwe_cohorts.survival.entry_diagnostics import (
        ConditionalKendallTauResult,
        EntryTimeCoxResult,
        conditional_kendall_tau,
        entry_time_cox,
    )
    from rwe_cohorts.survival.errors import InputProblem, SurvivalInputError, SurvivalModelError
    from rwe_cohorts.survival.kaplan_meier import ConfType, KaplanMeierCurve, kaplan_meier
    from rwe_cohorts.survival.km_analysis import KaplanMeierAnalysis, KaplanMeierSettings, kaplan_meier_by_arm
    from rwe_cohorts.survival.plots import plot_kaplan_meier, plot_survival_curves
    from rwe_cohorts.survival.proportional_hazards import ProportionalHazardsTest, proportional_hazards_test
    from rwe_cohorts.survival.rmst import RmstDifference, RmstEstimate, restricted_mean, rmst_difference

# ``kaplan_meier`` names both a submodule and its function: importing the submodule would set the package attribute to
# the module, so the function is bound here, eagerly (the package itself is imported only where survival runs)
from rwe_cohorts.survival.kaplan_meier import kaplan_meier

_EXPORTS: dict[str, str] = {
    "ArmSpec": "rwe_cohorts.survival.data",
    "ConditionalKendallTauResult": "rwe_cohorts.survival.entry_diagnostics",
    "ConfType": "rwe_cohorts.survival.kaplan_meier",
    "CoxResult": "rwe_cohorts.survival.cox",
    "CoxSpec": "rwe_cohorts.survival.cox",
    "CoxVariant": "rwe_cohorts.survival.cox",
    "EntryTimeCoxResult": "rwe_cohorts.survival.entry_diagnostics",
    "InputProblem": "rwe_cohorts.survival.errors",
    "KaplanMeierAnalysis": "rwe_cohorts.survival.km_analysis",
    "KaplanMeierCurve": "rwe_cohorts.survival.kaplan_meier",
    "KaplanMeierSettings": "rwe_cohorts.survival.km_analysis",
    "MedianSurvival": "rwe_cohorts.survival.curve_summaries",
    "ProportionalHazardsTest": "rwe_cohorts.survival.proportional_hazards",
    "RmstDifference": "rwe_cohorts.survival.rmst",
    "RmstEstimate": "rwe_cohorts.survival.rmst",
    "SurvivalArrays": "rwe_cohorts.survival.data",
    "SurvivalInputError": "rwe_cohorts.survival.errors",
    "SurvivalModelError": "rwe_cohorts.survival.errors",
    "conditional_kendall_tau": "rwe_cohorts.survival.entry_diagnostics",
    "entry_time_cox": "rwe_cohorts.survival.entry_diagnostics",
    "fit_cox_exposure": "rwe_cohorts.survival.cox",
    "kaplan_meier_by_arm": "rwe_cohorts.survival.km_analysis",
    "median_survival": "rwe_cohorts.survival.curve_summaries",
    "numbers_at_risk": "rwe_cohorts.survival.curve_summaries",
    "plot_kaplan_meier": "rwe_cohorts.survival.plots",
    "plot_survival_curves": "rwe_cohorts.survival.plots",
    "proportional_hazards_test": "rwe_cohorts.survival.proportional_hazards",
    "restricted_mean": "rwe_cohorts.survival.rmst",
    "rmst_difference": "rwe_cohorts.survival.rmst",
    "survival_at": "rwe_cohorts.survival.curve_summaries",
    "to_arrays": "rwe_cohorts.survival.data",
    "validate_survival_frame": "rwe_cohorts.survival.data",
}
"""Public name -> the module defining it, imported on first use (``rwe_cohorts.core.lazy``)."""


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "ArmSpec",
    "ConditionalKendallTauResult",
    "ConfType",
    "CoxResult",
    "CoxSpec",
    "CoxVariant",
    "EntryTimeCoxResult",
    "InputProblem",
    "KaplanMeierAnalysis",
    "KaplanMeierCurve",
    "KaplanMeierSettings",
    "MedianSurvival",
    "ProportionalHazardsTest",
    "RmstDifference",
    "RmstEstimate",
    "SurvivalArrays",
    "SurvivalInputError",
    "SurvivalModelError",
    "conditional_kendall_tau",
    "entry_time_cox",
    "fit_cox_exposure",
    "kaplan_meier",
    "kaplan_meier_by_arm",
    "median_survival",
    "numbers_at_risk",
    "plot_kaplan_meier",
    "plot_survival_curves",
    "proportional_hazards_test",
    "restricted_mean",
    "rmst_difference",
    "survival_at",
    "to_arrays",
    "validate_survival_frame",
]
