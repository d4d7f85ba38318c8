"""Publish the analysts' database (marts and qa, aggregates only) once the run has passed its checks."""

from pathlib import Path

import dagster as dg

from pipelines.common import key
from pipelines.resources import StudyResource
from rwe_cohorts.contracts import load_contracts
from rwe_cohorts.publish import publish
from rwe_cohorts.warehouse import CONTRACTS_ROOT


@dg.asset(key=key("published.analytics_database"), group_name="reporting", deps=[key("reports.study_report")])
def analytics_database(study: StudyResource) -> dg.MaterializeResult:
    """``marts`` and ``qa`` copied to ``<data>/analytics.duckdb`` (atomic replace; table and column comments from the
    data contracts; patient-level marts left out). Downstream of the report, so it runs only after every blocking
    check upstream has passed."""
    result = publish(Path(study.warehouse_path), Path(study.published_path), load_contracts(CONTRACTS_ROOT))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "tables": len(result.tables),
            "rows": dg.MetadataValue.json(dict(result.rows)),
        }
    )
