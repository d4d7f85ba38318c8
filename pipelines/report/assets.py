"""The study report: one self-contained HTML file per data cut."""

import os
from pathlib import Path

import dagster as dg

from pipelines.common import key
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource, code_version, package_versions
from pipelines.survival.assets import SURVIVAL_MARTS
from rwe_cohorts.ingest import delivery as ingest
from rwe_cohorts.ingest.cbioportal import read_source_summary
from rwe_cohorts.report.study import build_report

REPORT_INPUTS = (
    *SURVIVAL_MARTS,
    "marts.attrition",
    "marts.baseline_characteristics",
    "intermediate.cohort_covariate_values",
    "marts.covariate_balance",
    "marts.hazard_ratio_robustness",
)


def _source_provenance(study: StudyResource) -> dict[str, str]:
    """For a delivery converted from another source (cBioPortal): the source and which time axis applied."""
    source = read_source_summary(ingest.delivery_for_cut(Path(study.landing_dir), study.data_cut).folder)
    if not source:
        return {}
    strictness = source.get("fusion_strictness")
    return {
        "source": f"cBioPortal study {source.get('study_id', '?')}, fusion strictness {strictness}",
        "time axis": str(source.get("time_axis_statement", "")),
    }


@dg.asset(
    key=key("reports.study_report"),
    group_name="report",
    deps=[key(r) for r in REPORT_INPUTS],
    partitions_def=data_cuts,
)
def study_report(context: dg.AssetExecutionContext, study: StudyResource) -> dg.MaterializeResult:
    """Render ``<reports>/<data cut>/study_report.html`` (written to a temporary file, then renamed atomically)."""
    spec = study.spec()
    docs = Path(study.gx_dir) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    with study.connect() as con:
        cut = study.data_cut
        checksums = con.execute("select table_name, file_sha256 from raw.load_log order by 1").fetchall()
        out = study.report_path()
        html = build_report(
            con,
            spec,
            data_cut_id=cut,
            provenance={
                "data cut": cut,
                "spec": f"{spec.study_id} (sha256 {spec.spec_hash})",
                "input checksums (sha256, first 12)": ", ".join(f"{t}:{s[:12]}" for t, s in checksums),
                "code version": code_version(),
                "packages": ", ".join(f"{k} {v}" for k, v in package_versions().items()),
                **_source_provenance(study),
            },
            data_docs_href=os.path.relpath(docs, out.parent) if docs.exists() else None,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(html)
    tmp.replace(out)
    with study.connect(read_only=True) as con:
        qa = con.execute(
            "select coalesce(sum(n_checks), 0), coalesce(sum(n_failed) filter (where severity = 'error'), 0), "
            "coalesce(sum(n_failed) filter (where severity = 'warn'), 0) from qa.qa_summary where run_id = ?",
            [context.run.run_id],
        ).fetchone()
    checks, failed_error, failed_warn = qa if qa else (0, 0, 0)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(out)),
            "bytes": len(html),
            "data_docs": dg.MetadataValue.path(str(docs)),
            "qa_summary": dg.MetadataValue.md(
                f"{checks} data-quality checks in this run: {failed_error} failed at error severity, "
                f"{failed_warn} at warn severity (`qa.qa_summary`, `qa.expectation_results`; Data Docs linked above)"
            ),
        }
    )
