"""The cohort SQL fixtures: hand-made raw databases built through the staging, intermediate and marts models.
``cohort_db``: seven patients, each covering a pitfall; ``derivations_db``: seven more, one patient-level derivation
each (ECOG window, practice, brain metastases, drivers, later positive report, data cut, reconciled death, panels)."""

from __future__ import annotations

import datetime as dt

import pytest

from rwe_cohorts.cohort.models import COHORT_MARTS, INTERMEDIATE_MODELS, build_models, sql_parameters
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import materialize_model
from rwe_cohorts.ingest.staging import STAGING_MODELS

CUT = dt.date(2021, 3, 31)
D = dt.date


def _patient(db, pid: str, *, advanced: dt.date | None = None, birth_year=1955, cancer_type="Thyroid") -> None:  # type: ignore[no-untyped-def]
    advanced = advanced or D(2015, 3, 1)
    db.add("demographics", patient_id=pid, birth_year=birth_year, gender="F", race="White", ethnicity=None, state="CA")
    db.add("practice", patient_id=pid, practice_id="S0001", practice_type="COMMUNITY")
    db.add(
        "cancer_diagnosis",
        patient_id=pid,
        cancer_type=cancer_type,
        diagnosis_date=D(2014, 6, 1),
        group_stage="Stage IIIB",
        advanced_diagnosis_date=advanced,
        histology=None,
        smoking_status="No history of smoking",
    )


def _report(db, pid: str, rid: str, date: dt.date, panel: str = "T7") -> None:  # type: ignore[no-untyped-def]
    db.add(
        "genomic_reports",
        report_id=rid,
        patient_id=pid,
        sample_id="SA-" + rid[-9:],
        specimen_collected_date=date - dt.timedelta(days=14),
        report_date=date,
        assay="FoundationOne CDx",
        panel_version=panel,
        specimen_type="Tissue",
    )


def _panels(db) -> None:  # type: ignore[no-untyped-def]
    for gene in ("NTRK1", "NTRK2", "NTRK3", "KRAS", "EGFR", "ETV6", "TP53"):
        db.add("panel_genes", panel_version="T7", gene=gene, is_rearrangement_baited=gene.startswith("NTRK"))
    # An old panel listing the NTRK genes without rearrangement baits: NTRK fusion status cannot be assessed on it.
    for gene in ("NTRK1", "NTRK2", "NTRK3", "KRAS"):
        db.add("panel_genes", panel_version="T5a", gene=gene, is_rearrangement_baited=False)


def _build(db, spec: StudySpec) -> None:  # type: ignore[no-untyped-def]
    db.con.execute("create or replace table marts.matched_cohort (patient_id varchar, arm varchar)")
    build_models(db.con, STAGING_MODELS + INTERMEDIATE_MODELS + COHORT_MARTS, spec, CUT)
    materialize_model(db.con, "marts.attrition", sql_parameters(spec, CUT))


@pytest.fixture
def cohort_db(raw_db, spec: StudySpec):  # type: ignore[no-untyped-def]
    db = raw_db
    _panels(db)
    # P1: NTRK3 fusion (ETV6-NTRK3), report 90 days after advanced diagnosis, death month before last visit.
    _patient(db, "F000000000001")
    _report(db, "F000000000001", "ORD-000000001-01", D(2015, 5, 30))
    db.add(
        "genomic_alterations",
        alteration_id="ALT-0000000001",
        report_id="ORD-000000001-01",
        gene="NTRK3",
        alteration_type="rearrangement",
        alteration_detail="fusion",
        fusion_partner="ETV6",
        is_functional=True,
    )
    db.add(
        "visits",
        visit_id="V00000000001",
        patient_id="F000000000001",
        visit_date=D(2016, 2, 20),
        visit_type="Office visit",
    )
    db.add("mortality", patient_id="F000000000001", death_month="2016-02")
    # P2: negative, report BEFORE advanced diagnosis (entry 0), two reports, KRAS driver, censored at last visit.
    _patient(db, "F000000000002", cancer_type="NSCLC")
    _report(db, "F000000000002", "ORD-000000002-01", D(2014, 12, 1))
    _report(db, "F000000000002", "ORD-000000002-02", D(2016, 1, 10))
    db.add(
        "genomic_alterations",
        alteration_id="ALT-0000000002",
        report_id="ORD-000000002-02",
        gene="KRAS",
        alteration_type="short variant",
        alteration_detail="G12C",
        fusion_partner=None,
        is_functional=True,
    )
    db.add(
        "visits",
        visit_id="V00000000002",
        patient_id="F000000000002",
        visit_date=D(2017, 7, 1),
        visit_type="Office visit",
    )
    # P3: NTRK1 fusion reported with NTRK1 as the partner (partner order reversed), treated with larotrectinib.
    _patient(db, "F000000000003", advanced=D(2018, 1, 10))
    _report(db, "F000000000003", "ORD-000000003-01", D(2018, 3, 1))
    db.add(
        "genomic_alterations",
        alteration_id="ALT-0000000003",
        report_id="ORD-000000003-01",
        gene="TPM3",
        alteration_type="rearrangement",
        alteration_detail="fusion",
        fusion_partner="NTRK1",
        is_functional=True,
    )
    db.add(
        "lines_of_therapy",
        patient_id="F000000000003",
        line_number=1,
        line_name="Larotrectinib",
        start_date=D(2018, 4, 1),
        end_date=D(2019, 1, 1),
        is_maintenance=False,
    )
    # P4: only sequenced on the old panel (no NTRK3 rearrangement baits): not assessable, not negative.
    _patient(db, "F000000000004")
    _report(db, "F000000000004", "ORD-000000004-01", D(2015, 6, 1), panel="T5a")
    # P5: advanced diagnosis outside the window; P6: a minor.
    _patient(db, "F000000000005", advanced=D(2010, 5, 1))
    _report(db, "F000000000005", "ORD-000000005-01", D(2010, 9, 1))
    _patient(db, "F000000000006", birth_year=2000)
    _report(db, "F000000000006", "ORD-000000006-01", D(2015, 6, 1))
    # P7: death month after the data cut is not an observed death at this cut; line before the report.
    _patient(db, "F000000000007")
    _report(db, "F000000000007", "ORD-000000007-01", D(2015, 8, 1))
    db.add(
        "lines_of_therapy",
        patient_id="F000000000007",
        line_number=1,
        line_name="Carboplatin,Paclitaxel",
        start_date=D(2015, 3, 20),
        end_date=D(2015, 7, 1),
        is_maintenance=False,
    )
    db.add(
        "lines_of_therapy",
        patient_id="F000000000007",
        line_number=2,
        line_name="Docetaxel",
        start_date=D(2015, 9, 1),
        end_date=None,
        is_maintenance=False,
    )
    db.add(
        "visits", visit_id="V00000000007", patient_id="F000000000007", visit_date=D(2021, 2, 1), visit_type="Infusion"
    )
    db.add("mortality", patient_id="F000000000007", death_month="2021-05")
    _build(db, spec)
    return db


def _alteration(db, aid: int, rid: str, gene: str, kind: str, *, partner=None, functional=True) -> None:  # type: ignore[no-untyped-def]
    db.add(
        "genomic_alterations",
        alteration_id=f"ALT-{aid:010d}",
        report_id=rid,
        gene=gene,
        alteration_type=kind,
        alteration_detail="fusion" if kind == "rearrangement" else "variant",
        fusion_partner=partner,
        is_functional=functional,
    )


def _derivations(db, spec: StudySpec):  # type: ignore[no-untyped-def]
    """Patients D11-D17 (advanced diagnosis 2015-03-01 unless noted), one derivation of issue 5 each."""
    _panels(db)
    # A panel baiting NTRK1/NTRK2 rearrangements but not NTRK3: enough for "any gene assessed", not for "all".
    for gene in ("NTRK1", "NTRK2", "NTRK3"):
        db.add("panel_genes", panel_version="T6", gene=gene, is_rearrangement_baited=gene != "NTRK3")
    # D11: ECOG 40 days before (outside the 30-day window), 10 days before, 10 days after (outside the 7 days after);
    # a community and an academic practice; a brain-metastasis code before the index date.
    _patient(db, "F000000000011")
    _report(db, "F000000000011", "ORD-000000011-01", D(2015, 4, 1))
    for day, value in ((D(2015, 1, 20), 3), (D(2015, 2, 19), 2), (D(2015, 3, 11), 0)):
        db.add("ecog", patient_id="F000000000011", ecog_date=day, ecog_value=value)
    db.add("practice", patient_id="F000000000011", practice_id="S0002", practice_type="ACADEMIC")
    db.add(
        "diagnosis_codes",
        patient_id="F000000000011",
        diagnosis_date=D(2015, 2, 1),
        code_system="ICD-10-CM",
        diagnosis_code="C79.31",
    )
    # D12 (NSCLC): ECOG tie 5 days either side (the earlier wins); brain metastasis coded only after the index date,
    # another metastasis code before it; a non-functional KRAS variant (not a driver co-alteration); followed up.
    _patient(db, "F000000000012", cancer_type="NSCLC")
    _report(db, "F000000000012", "ORD-000000012-01", D(2015, 4, 1))
    for day, value in ((D(2015, 2, 24), 1), (D(2015, 3, 6), 0)):
        db.add("ecog", patient_id="F000000000012", ecog_date=day, ecog_value=value)
    for day, code in ((D(2015, 6, 1), "C79.31"), (D(2015, 1, 1), "C78.00")):
        db.add(
            "diagnosis_codes",
            patient_id="F000000000012",
            diagnosis_date=day,
            code_system="ICD-10-CM",
            diagnosis_code=code,
        )
    _alteration(db, 120, "ORD-000000012-01", "KRAS", "short variant", functional=False)
    db.add("visits", visit_id="V00000000121", patient_id="F000000000012", visit_date=D(2016, 5, 1), visit_type="Lab")
    # D13: NTRK3 fusion only on the second report, with a functional EGFR driver on it; first report negative.
    _patient(db, "F000000000013")
    _report(db, "F000000000013", "ORD-000000013-01", D(2015, 4, 1))
    _report(db, "F000000000013", "ORD-000000013-02", D(2016, 1, 10))
    _alteration(db, 130, "ORD-000000013-02", "NTRK3", "rearrangement", partner="ETV6")
    _alteration(db, 131, "ORD-000000013-02", "EGFR", "short variant")
    # D14: a non-functional NTRK1 rearrangement does not make a patient positive.
    _patient(db, "F000000000014")
    _report(db, "F000000000014", "ORD-000000014-01", D(2015, 4, 1))
    _alteration(db, 140, "ORD-000000014-01", "NTRK1", "rearrangement", partner="TPM3", functional=False)
    # D15: activity after the data cut is ignored; a line before the initial diagnosis (2014-06-01) is not counted,
    # a line starting on the report date is (inclusive) and is the sensitivity index date.
    _patient(db, "F000000000015")
    _report(db, "F000000000015", "ORD-000000015-01", D(2015, 4, 1))
    for vid, day in (("V00000000151", D(2020, 12, 1)), ("V00000000152", D(2021, 6, 1))):
        db.add("visits", visit_id=vid, patient_id="F000000000015", visit_date=day, visit_type="Office visit")
    for n, start in ((1, D(2014, 1, 1)), (2, D(2015, 4, 1))):
        db.add(
            "lines_of_therapy",
            patient_id="F000000000015",
            line_number=n,
            line_name="Carboplatin,Pemetrexed",
            start_date=start,
            end_date=None,
            is_maintenance=False,
        )
    # D16: a death month wholly before the last visit: reconciled to the visit and flagged both ways.
    _patient(db, "F000000000016")
    _report(db, "F000000000016", "ORD-000000016-01", D(2015, 4, 1))
    db.add("visits", visit_id="V00000000161", patient_id="F000000000016", visit_date=D(2016, 3, 10), visit_type="Lab")
    db.add("mortality", patient_id="F000000000016", death_month="2016-01")
    # D17: sequenced only on the T6 panel (NTRK3 rearrangements not baited).
    _patient(db, "F000000000017")
    _report(db, "F000000000017", "ORD-000000017-01", D(2015, 4, 1), panel="T6")
    _build(db, spec)
    return db


@pytest.fixture
def derivations_db(raw_db, spec: StudySpec):  # type: ignore[no-untyped-def]
    return _derivations(raw_db, spec)


@pytest.fixture
def build_derivations(raw_db):  # type: ignore[no-untyped-def]
    """Build the D11-D17 database once, with any spec (e.g. a variant of the study's): ``build_derivations(spec)``."""
    return lambda spec: _derivations(raw_db, spec)
