"""Balance check: warns (or blocks, when the spec says so) when any |SMD| after matching exceeds the threshold."""

import dagster as dg

from pipelines.common import key
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.core import warehouse
from rwe_cohorts.matching import balance_exceptions


def balance_check(*, blocking: bool) -> dg.AssetChecksDefinition:
    """The balance check; ``blocking`` is the spec's ``matching.balance_blocking`` (the definitions read it), so the
    UI labels the check as the spec treats it, and its severity follows the same setting."""

    @dg.asset_check(
        asset=key("marts.covariate_balance"),
        name="smd_within_threshold",
        blocking=blocking,
        partitions_def=data_cuts,
        description="Every |SMD| after matching within the spec's balance threshold "
        + ("(blocking: the study stops when it fails)" if blocking else "(a warning: the study goes on)"),
    )
    def _check(study: StudyResource) -> dg.AssetCheckResult:
        spec = study.spec()
        threshold = spec.matching.balance_smd_threshold
        with study.connect() as con:
            found = balance_exceptions(warehouse.read_frame(con, "marts.covariate_balance"), threshold)
        return dg.AssetCheckResult(
            passed=not found.names,
            severity=dg.AssetCheckSeverity.ERROR if spec.matching.balance_blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                "summary": f"|SMD| > {threshold}: {', '.join(found.names)}"
                if found.names
                else f"all |SMD| <= {threshold}",
                "max_abs_smd_after": round(found.max_abs_smd or 0.0, 4),
                "n_imbalanced": len(found.names),
            },
        )

    return _check
