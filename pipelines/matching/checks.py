"""Balance check: every |SMD| after matching within the threshold, or each exception named with its variance ratio
(or shares) and why. It fails (a warning, or blocking when the spec says so) only on a *significant* imbalance: an
|SMD| whose test against the threshold rejects at the spec's family-wise ``balance_alpha`` (Bonferroni;
``rwe_cohorts.matching.diagnostics``); with ``balance_alpha: null`` every |SMD| above the threshold fails."""

import dagster as dg

from pipelines.common import key
from pipelines.resources import StudyResource
from rwe_cohorts.core import warehouse
from rwe_cohorts.matching import balance_exceptions


@dg.asset_check(asset=key("marts.covariate_balance"), name="smd_within_threshold", blocking=True)
def balance_check(study: StudyResource) -> dg.AssetCheckResult:
    spec = study.spec()
    m = spec.matching
    with study.connect() as con:
        found = balance_exceptions(
            warehouse.read_frame(con, "marts.covariate_balance"), m.balance_smd_threshold, m.balance_alpha
        )
    return dg.AssetCheckResult(
        passed=found.n_imbalanced == 0,
        severity=dg.AssetCheckSeverity.ERROR if m.balance_blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "summary": found.summary,
            "max_abs_smd_after": found.max_abs_smd or 0.0,
            "n_above_threshold": len(found.names),
            "n_imbalanced": found.n_imbalanced,
        },
    )
