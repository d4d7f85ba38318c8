"""Balance check: fails (warns, or blocks when the spec says so) when a covariate level is significantly out of
balance after matching: |SMD| above the spec's threshold beyond chance (``matching.balance_alpha``); its summary
names every level above the threshold with its variance ratio or shares and why."""

import dagster as dg

from pipelines.common import display, key
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.core import warehouse


def balance_check(*, blocking: bool) -> dg.AssetChecksDefinition:
    """The balance check; ``blocking`` is the spec's ``matching.balance_blocking`` (the definitions read it), so the
    UI labels the check as the spec treats it, and its severity follows the same setting."""

    @dg.asset_check(
        asset=key("marts.covariate_balance"),
        name="smd_within_threshold",
        blocking=blocking,
        partitions_def=data_cuts,
        description="No covariate level significantly beyond the spec's |SMD| threshold after matching "
        + ("(blocking: the study stops when it fails)" if blocking else "(a warning: the study goes on)"),
    )
    def _check(study: StudyResource) -> dg.AssetCheckResult:
        from rwe_cohorts.matching import balance_exceptions  # imported on use: scipy

        m = study.spec().matching
        with study.connect() as con:
            found = balance_exceptions(
                warehouse.read_frame(con, "marts.covariate_balance"), m.balance_smd_threshold, m.balance_alpha
            )
        return dg.AssetCheckResult(
            passed=found.n_imbalanced == 0,
            severity=dg.AssetCheckSeverity.ERROR if m.balance_blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                "summary": found.summary,
                "max_abs_smd_after": display(found.max_abs_smd or 0.0),
                "n_above_threshold": len(found.names),
                "n_imbalanced": found.n_imbalanced,
            },
        )

    return _check
