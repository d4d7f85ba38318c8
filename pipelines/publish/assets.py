"""Publish the analysts' database (marts and qa, aggregates only) once the run has passed its checks."""

from pathlib import Path

import dagster as dg

from pipelines.common import explain_failures, key, retry_transient_io
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.publish.study import publish_data_cut


@dg.asset(
    key=key("published.analytics_database"),
    group_name="publish",
    description="The analysts' database (data/analytics.duckdb): every published data cut's marts and QA results, "
    "aggregates only with small counts suppressed, replaced atomically; schema latest holds the newest cut.",
    kinds={"duckdb"},
    deps=[key("reports.study_report")],
    partitions_def=data_cuts,
)
def analytics_database(context: dg.AssetExecutionContext, study: StudyResource) -> dg.MaterializeResult:
    """This data cut's ``marts`` and ``qa`` in ``<data>/analytics.duckdb`` (other cuts kept; atomic replace; table and
    column comments from the data contracts; small counts suppressed as the contracts say; patient-level marts left
    out). Downstream of the report, so it runs only after every blocking check upstream has passed. The run is
    recorded as succeeded, with a content hash per mart, in the published copy of ``marts.study_runs`` (so the
    published ledger includes this run) and then in the warehouse."""
    with explain_failures(), retry_transient_io(context):
        result, run = publish_data_cut(
            study.connect,
            Path(study.warehouse_path),
            Path(study.published_path),
            load_contracts(CONTRACTS_ROOT),
            data_cut_id=study.data_cut,
            run_id=context.run.run_id,
            min_cell=study.spec().privacy.min_cell_count,
        )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "data_cut_id": study.data_cut,
            "tables": len(result.tables),
            "rows": dg.MetadataValue.json(dict(result.rows)),
            "mart_hashes": dg.MetadataValue.json({k: v[:16] for k, v in run.mart_hashes.items()}),
        }
    )
