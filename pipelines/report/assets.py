"""The study report: one self-contained HTML file per data cut."""

from pathlib import Path

import dagster as dg

from pipelines.common import explain_failures, key
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource, code_version, package_versions
from pipelines.survival.assets import SURVIVAL_MARTS
from rwe_cohorts.ingest import delivery as ingest
from rwe_cohorts.ingest.cbioportal import read_source_summary

REPORT_INPUTS = (
    *SURVIVAL_MARTS,
    "marts.attrition",
    "marts.baseline_characteristics",
    "intermediate.cohort_covariate_values",
    "marts.covariate_balance",
    "marts.hazard_ratio_robustness",
)


@dg.asset(
    key=key("reports.study_report"),
    group_name="report",
    description="The study report of the data cut: one self-contained HTML file (aggregates only, small counts "
    "suppressed): design, reproduction vs published, attrition, Table 1, balance, survival, hazard ratios, "
    "diagnostics, data quality, provenance.",
    kinds={"html", "python"},
    deps=[key(r) for r in REPORT_INPUTS],
    partitions_def=data_cuts,
)
def study_report(context: dg.AssetExecutionContext, study: StudyResource) -> dg.MaterializeResult:
    """Render ``<reports>/<data cut>/study_report.html`` (written to a temporary file, then renamed atomically)."""
    # imported on use, not with the code location (the library pulls in matplotlib, scipy)
    from rwe_cohorts.quality.store import run_totals
    from rwe_cohorts.report.study import report_provenance, write_report

    spec = study.spec()
    docs = Path(study.gx_dir) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    out = study.report_path()
    delivery = ingest.delivery_for_cut(Path(study.landing_dir), study.data_cut)
    with explain_failures(), study.connect() as con:
        provenance = report_provenance(
            con,
            spec,
            data_cut_id=study.data_cut,
            code_version=code_version(),
            packages=package_versions(),
            delivery_folder=delivery.folder,
        )
        size = write_report(
            con,
            spec,
            out,
            data_cut_id=study.data_cut,
            provenance=provenance,
            data_docs=docs,
            source=read_source_summary(delivery.folder),
        )
    with study.connect(read_only=True) as con:
        checks, failed_error, failed_warn = run_totals(con, context.run.run_id)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(out)),
            "bytes": size,
            "data_docs": dg.MetadataValue.path(str(docs)),
            "qa_summary": dg.MetadataValue.md(
                f"{checks} data-quality checks in this run: {failed_error} failed at error severity, "
                f"{failed_warn} at warn severity (`qa.qa_summary`, `qa.expectation_results`; Data Docs linked above)"
            ),
        }
    )
