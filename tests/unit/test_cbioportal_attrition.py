"""The conversion's attrition (counted per reason, in the manifest's source block, as text for the command), OncoTree
codes in CANCER_TYPE, and the sample type carried from the study to the analytic cohort."""

from __future__ import annotations

from pathlib import Path

import pytest
from cbioportal_build import build_warehouse
from cbioportal_folders import STUDY_ID, write_study

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.ingest.cbioportal import convert_cbioportal_study, read_source_summary
from rwe_cohorts.ingest.cbioportal.attrition import attrition_lines
from rwe_cohorts.ingest.cbioportal.tables import pseudonym


def test_attrition_per_reason_in_the_manifest_and_as_text(tmp_path: Path) -> None:
    summary = convert_cbioportal_study(write_study(tmp_path / "study"), tmp_path / "delivery")
    steps = {s["step"]: s for s in summary.attrition}
    assert [s["step"] for s in summary.attrition] == ["in_study", "with_sample", "one_cancer_type", "with_age"]
    assert (steps["in_study"]["patients"], steps["in_study"]["samples"]) == (16, 17)
    assert steps["with_sample"]["patients_removed"] == 1  # P15
    assert (steps["one_cancer_type"]["patients_removed"], steps["one_cancer_type"]["samples_removed"]) == (0, 1)
    assert (steps["with_age"]["patients_removed"], steps["with_age"]["samples_removed"]) == (1, 1)  # P12
    assert (steps["with_age"]["patients"], steps["with_age"]["samples"]) == (14, 15)
    assert steps["with_age"]["patients"] == summary.counts["patients_delivered"]
    later = {d["pipeline_step"]: d["patients"] for d in summary.removed_downstream}
    assert later == {"solid_tumour_with_ngs": 1, "follow_up_after_entry": 3, "exposure_assessable": 1}
    source = read_source_summary(tmp_path / "delivery")
    assert source is not None and source["attrition"] == summary.attrition
    assert source["removed_downstream"] == summary.removed_downstream and source["oncotree_version"]
    lines = attrition_lines(summary.attrition, summary.removed_downstream)
    assert lines[0] == "16 patients, 17 samples in the study"
    assert "  with_age: With an age at sequencing, given or derived: removed 1 patients, 1 samples" in lines
    assert "delivered: 14 patients, 15 samples" in lines
    assert any("exposure_assessable: 1 (no sample profiled for structural variants)" in line for line in lines)


@pytest.mark.parametrize("layout", ["sv_old", "sv_new"])
def test_codes_in_cancer_type(
    tmp_path: Path, layout: str, raw_contracts: dict[str, Contract], cbio_spec: StudySpec
) -> None:
    study = write_study(tmp_path / "study", layout=layout, cancer_type_codes=True)
    assert "ONCOTREE_CODE" not in (study / "data_clinical_sample.txt").read_text()
    summary = convert_cbioportal_study(study, tmp_path / "delivery")
    assert summary.counts["patients_cancer_type_unknown"] == 1  # P04: 'GBM' was retired from OncoTree
    assert any("not in OncoTree oncotree_2026_05_21" in n and "S04 ('GBM')" in n for n in summary.notes)
    con = build_warehouse(tmp_path / "delivery", cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    types = dict(con.execute("select patient_id, cancer_type from raw.cancer_diagnosis").fetchall())
    expected = {
        "P01": "Thyroid Cancer", "P02": "Non-Small Cell Lung Cancer", "P05": "Infantile Fibrosarcoma",
        "P08": "Salivary Gland Cancer", "P13": "Hepatobiliary Cancer", "P16": "Gastrointestinal Stromal Tumor",
    }  # fmt: skip
    assert {p: types.get(pseudonym(STUDY_ID, p)) for p in expected} == expected
    assert pseudonym(STUDY_ID, "P04") not in types and pseudonym(STUDY_ID, "P11") not in types  # unknown; AML
    con.close()


def test_sample_type_reaches_the_analytic_cohort(
    tmp_path: Path, raw_contracts: dict[str, Contract], cbio_spec: StudySpec
) -> None:
    convert_cbioportal_study(write_study(tmp_path / "study"), tmp_path / "delivery")
    con = build_warehouse(tmp_path / "delivery", cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    raw = dict(con.execute("select sample_type, count(*) from raw.genomic_reports group by all").fetchall())
    assert raw == {"Primary": 10, "Metastasis": 4, None: 1}  # S07 is 'cfDNA'; S12 (P12, no age) not delivered
    genomics = dict(con.execute("select patient_id, sample_type from intermediate.patient_genomics").fetchall())
    cohort = dict(con.execute("select patient_id, sample_type from marts.analytic_cohort").fetchall())
    pid = {p: pseudonym(STUDY_ID, p) for p in ("P02", "P03", "P07", "P10", "P16")}
    assert genomics[pid["P07"]] == "unknown"  # SAMPLE_TYPE 'cfDNA' says neither primary nor metastasis
    assert genomics[pid["P10"]] == "primary"  # the first report (S10A); S10B is a metastasis
    assert genomics[pid["P16"]] == "primary"  # S16A; the breast metastasis S16B is another cancer type
    assert (cohort[pid["P02"]], cohort[pid["P03"]]) == ("metastasis", "primary")
    assert "sample_type" in {c.name for c in cbio_spec.matching.ps_covariates}
    con.close()
