"""Balance check: warns (or blocks, when the spec says so) when any |SMD| after matching exceeds the threshold."""

import dagster as dg

from pipelines.common import key
from pipelines.resources import StudyResource
from rwe_cohorts.core import warehouse


@dg.asset_check(asset=key("marts.covariate_balance"), name="smd_within_threshold", blocking=True)
def balance_check(study: StudyResource) -> dg.AssetCheckResult:
    spec = study.spec()
    threshold = spec.matching.balance_smd_threshold
    with study.connect() as con:
        balance = warehouse.read_frame(con, "marts.covariate_balance")
    bad = balance.filter(balance["smd_after"].abs() > threshold)
    names = [f"{r['covariate']}={r['level']}" if r["level"] else r["covariate"] for r in bad.to_dicts()]
    return dg.AssetCheckResult(
        passed=not names,
        severity=dg.AssetCheckSeverity.ERROR if spec.matching.balance_blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "summary": f"|SMD| > {threshold}: {', '.join(names)}" if names else f"all |SMD| <= {threshold}",
            "max_abs_smd_after": float(balance["smd_after"].abs().max() or 0.0),  # type: ignore[arg-type]
            "n_imbalanced": len(names),
        },
    )
