"""The study report: one self-contained HTML file per data cut."""

import os
from pathlib import Path

import dagster as dg

from pipelines.common import key
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource, code_version, package_versions
from pipelines.survival.assets import SURVIVAL_MARTS
from rwe_cohorts.study_report import build_report

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
    group_name="reporting",
    deps=[key(r) for r in REPORT_INPUTS],
    partitions_def=data_cuts,
)
def study_report(study: StudyResource) -> dg.MaterializeResult:
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
            },
            data_docs_href=os.path.relpath(docs, out.parent) if docs.exists() else None,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(html)
    tmp.replace(out)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(out)), "bytes": len(html)})
