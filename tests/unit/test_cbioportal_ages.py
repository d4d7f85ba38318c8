"""Studies without an age at sequencing: the age derived from the current age and the time since sequencing,
de-identified ages, the refusal that says why nobody could be delivered, and a spec that needs no age at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from cbioportal_build import build_warehouse
from cbioportal_folders import DAYS_PER_MONTH, STUDY_ID, write_study

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.spec import StudySpec, parse_spec
from rwe_cohorts.ingest.cbioportal import (
    CbioportalStudyError,
    age_required,
    conversion_options,
    convert_cbioportal_study,
)
from rwe_cohorts.ingest.cbioportal.tables import pseudonym


def _ages(con) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    rows = con.execute("select patient_id, age_at_index_years from intermediate.patient_baseline").fetchall()
    return dict(rows)


@pytest.mark.parametrize("layout", ["sv_new", "sv_old"])
def test_current_age_minus_follow_up_gives_the_age_at_sequencing(
    tmp_path: Path, layout: str, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    study = write_study(tmp_path / "study", layout=layout, age="current")
    assert "AGE_AT_SEQ_REPORT" not in (study / "data_clinical_sample.txt").read_text()
    summary = convert_cbioportal_study(study, tmp_path / "delivery")
    counts = summary.counts
    # P09 (OS NA), P13 (DECEASED without months): no follow-up to subtract; P12: no age; P14: no patient row.
    assert counts["patients_without_age"] == 4 and counts["patients_age_current_age_minus_os"] == 11
    assert counts["patients_delivered"] == 11
    with_age = next(s for s in summary.attrition if s["step"] == "with_age")
    assert (with_age["patients_removed"], with_age["samples_removed"]) == (4, 4)
    assert "current age minus the follow-up" in summary.age_statement and "for 11" in summary.age_statement
    con = build_warehouse(tmp_path / "delivery", cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    ages = _ages(con)
    truth = {"P01": 45.0, "P02": 63.5, "P03": 70.0, "P10": 61.0, "P16": 55.0}
    for pid, age in truth.items():  # back to the age at sequencing, within the birth-year precision (and the
        # fixture's current ages, rounded to 0.01 year)
        assert abs(ages[pseudonym(STUDY_ID, pid)] - age) <= 0.51, pid
    # '>89' (de-identified current age) is taken as 90 at the end of follow-up (18 months after sequencing).
    assert abs(ages[pseudonym(STUDY_ID, "P06")] - (90 - 18 * DAYS_PER_MONTH / 365.25)) <= 0.51
    con.close()


def test_nobody_delivered_says_why_and_which_columns_were_looked_for(tmp_path: Path) -> None:
    study = write_study(tmp_path / "study", age="current")
    patient = study / "data_clinical_patient.txt"
    patient.write_bytes(patient.read_bytes().replace(b"CURRENT_AGE_DEID", b"AGE_NOTE"))  # no age column left
    with pytest.raises(CbioportalStudyError) as err:
        convert_cbioportal_study(study, tmp_path / "out")
    last = err.value.problems[-1]
    assert last.startswith("data_clinical_sample.txt: no patient can be delivered: of 16 patients in the study")
    assert "with_sample removed 1" in last and "with_age removed 15" in last
    assert "AGE_AT_SEQ_REPORT" in last and "CURRENT_AGE_DEID" in last and "OS_MONTHS" in last
    assert not any("no structural variant" in p for p in err.value.problems)  # a consequence, not a second fault
    assert str(err.value).rstrip().endswith(last)  # the last line the user sees


def _ageless_spec(cbio_spec: StudySpec) -> StudySpec:
    data = cbio_spec.to_dict()
    data["eligibility"]["min_age_years"] = 0
    data["matching"]["ps_covariates"] = [
        c for c in data["matching"]["ps_covariates"] if c["name"] != "age_at_index_years"
    ]
    return parse_spec(data)


def test_a_spec_without_age_needs_no_age(
    tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    ageless = _ageless_spec(cbio_spec)
    assert age_required(cbio_spec) and not age_required(ageless)
    assert conversion_options(ageless)["require_age"] is False
    study = write_study(tmp_path / "study", age="current")
    patient = study / "data_clinical_patient.txt"
    patient.write_bytes(patient.read_bytes().replace(b"CURRENT_AGE_DEID", b"AGE_NOTE"))
    summary = convert_cbioportal_study(study, tmp_path / "delivery", require_age=False)
    assert summary.counts["patients_delivered"] == 15 and summary.counts["patients_without_age"] == 15
    assert next(s for s in summary.attrition if s["step"] == "with_age")["patients_removed"] == 0
    con = build_warehouse(tmp_path / "delivery", ageless, raw_contracts, tmp_path / "w.duckdb")
    assert con.execute("select count(*) from raw.demographics where birth_year is null").fetchone() == (15,)
    adult = con.execute("select bool_and(is_adult) from intermediate.patient_eligibility").fetchone()
    assert adult == (True,)  # no minimum age: nobody is removed for want of one
    cohort = con.execute("select count(*), count(age_at_index_years) from marts.analytic_cohort").fetchone()
    assert cohort == (10, 0)  # P01-P07, P10, P16 and P12, who has no age at all
    groups = con.execute(
        "select distinct level from intermediate.cohort_covariate_values where covariate = 'age_group'"
    ).fetchall()
    assert groups == [("unknown",)]
    con.close()


@pytest.mark.parametrize(
    ("raw", "years"),
    [("<18", 17.0), ("<=17", 17.0), (">89", 90.0), (">=90", 90.0), ("90+", 90.0), (" 63.5 ", 63.5), (None, None)],
)
def test_de_identified_ages(raw: str | None, years: float | None) -> None:
    from rwe_cohorts.ingest.cbioportal.vocab import age_years

    assert age_years(raw) == years


@pytest.mark.parametrize("raw", ["seventy", "121", "-3"])
def test_not_an_age(raw: str) -> None:
    from rwe_cohorts.ingest.cbioportal.vocab import age_years

    with pytest.raises(ValueError):
        age_years(raw)


def test_rule_order_and_reference_dates() -> None:
    import datetime as dt

    from rwe_cohorts.ingest.cbioportal.ages import age_at_sequencing
    from rwe_cohorts.ingest.cbioportal.errors import Issues
    from rwe_cohorts.ingest.cbioportal.reader import Sample
    from rwe_cohorts.ingest.cbioportal.timeaxis import PatientDates

    report, dx, end = dt.date(2000, 1, 1), dt.date(1999, 1, 1), dt.date(2002, 7, 1)
    dates = PatientDates(report, "S1", {"S1": report}, {"S1": None}, dx, None, end, 0)
    no_dx = PatientDates(report, "S1", {"S1": report}, {"S1": None}, None, None, end, 0)

    def age(sample: dict[str, str | None], patient: dict[str, str | None], d: PatientDates):  # type: ignore[no-untyped-def]
        issues = Issues()
        result = age_at_sequencing(Sample("S1", "P1", sample), patient, d, report, issues)
        assert issues.problems == []
        return None if result is None else (result.years, result.at, result.rule)

    everything = {"AGE_AT_DIAGNOSIS": "50", "CURRENT_AGE_DEID": "60"}
    assert age({"AGE_AT_SEQ_REPORT": "55"}, everything, dates) == (55.0, report, "sequencing")
    assert age({}, everything, dates) == (50.0, dx, "diagnosis_at_timeline_date")
    assert age({}, everything, no_dx) == (60.0, end, "current_age_minus_os")
    assert age({}, {"AGE_AT_DIAGNOSIS": "50"}, no_dx) == (50.0, report, "diagnosis_as_sequencing")
    assert age({}, {"CURRENT_AGE_DEID": "60"}, PatientDates(report, "S1", {}, {}, None, None, None, None)) is None
