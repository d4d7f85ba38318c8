"""Balance check: warns (or blocks, when the spec says so) when any |SMD| after matching exceeds the threshold."""

import dagster as dg

from pipelines.common import key
from pipelines.resources import StudyResource
from rwe_cohorts.core import warehouse
from rwe_cohorts.matching import balance_exceptions


@dg.asset_check(asset=key("marts.covariate_balance"), name="smd_within_threshold", blocking=True)
def balance_check(study: StudyResource) -> dg.AssetCheckResult:
    spec = study.spec()
    threshold = spec.matching.balance_smd_threshold
    with study.connect() as con:
        found = balance_exceptions(warehouse.read_frame(con, "marts.covariate_balance"), threshold)
    return dg.AssetCheckResult(
        passed=not found.names,
        severity=dg.AssetCheckSeverity.ERROR if spec.matching.balance_blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "summary": f"|SMD| > {threshold}: {', '.join(found.names)}" if found.names else f"all |SMD| <= {threshold}",
            "max_abs_smd_after": found.max_abs_smd or 0.0,
            "n_imbalanced": len(found.names),
        },
    )
