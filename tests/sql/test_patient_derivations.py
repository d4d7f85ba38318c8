"""Given/expect tests of the patient-level derivations issue 5 names, one hand-made patient each (D11-D17 in
tests/sql/conftest.py): baseline ECOG window and ties, practice type, brain metastases by the index date, driver
co-alterations, a fusion found on a later report, the data cut, a death month before the last activity, partial
panels under both negative rules, and a cancer-type restriction."""

from __future__ import annotations

import datetime as dt

from rwe_cohorts.cohort.checks import reconciled_deaths
from rwe_cohorts.core.spec import StudySpec

D = dt.date


def _row(db, relation: str, pid: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    cur = db.con.execute(f"select * from {relation} where patient_id = ?", [pid])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, f"{relation}: expected one row for {pid}, got {len(rows)}"
    return dict(zip(names, rows[0], strict=True))


def test_baseline_ecog_is_the_closest_in_window_and_ties_take_the_earlier(derivations_db) -> None:  # type: ignore[no-untyped-def]
    # Window 30 days before to 7 days after: -40 (value 3) and +10 (value 0) are outside; -10 (value 2) is kept.
    assert _row(derivations_db, "intermediate.patient_baseline", "F000000000011")["ecog_baseline"] == "2"
    # -5 (value 1) and +5 (value 0) are equally close: the earlier assessment wins.
    assert _row(derivations_db, "intermediate.patient_baseline", "F000000000012")["ecog_baseline"] == "1"
    assert _row(derivations_db, "intermediate.patient_baseline", "F000000000013")["ecog_baseline"] == "unknown"


def test_practice_is_academic_if_any_and_brain_metastases_by_index_date(derivations_db) -> None:  # type: ignore[no-untyped-def]
    d11 = _row(derivations_db, "intermediate.patient_baseline", "F000000000011")
    assert d11["practice_type"] == "academic" and d11["has_brain_metastases"] is True
    d12 = _row(derivations_db, "intermediate.patient_baseline", "F000000000012")
    assert d12["practice_type"] == "community" and d12["has_brain_metastases"] is False  # coded after the index


def test_driver_coalteration_needs_a_functional_driver_on_any_report(derivations_db) -> None:  # type: ignore[no-untyped-def]
    d12 = _row(derivations_db, "intermediate.patient_genomics", "F000000000012")
    assert d12["has_driver_coalteration"] is False and d12["driver_genes_altered"] == []
    d13 = _row(derivations_db, "intermediate.patient_genomics", "F000000000013")
    assert d13["has_driver_coalteration"] is True and d13["driver_genes_altered"] == ["EGFR"]


def test_fusion_on_a_later_report_is_positive_with_entry_at_the_first_report(derivations_db) -> None:  # type: ignore[no-untyped-def]
    g = _row(derivations_db, "intermediate.patient_genomics", "F000000000013")
    assert (g["exposure_status"], g["exposure_gene"], g["exposure_partner"]) == ("positive", "NTRK3", "ETV6")
    assert (g["first_report_date"], g["first_positive_report_date"], g["n_reports"]) == (
        D(2015, 4, 1),
        D(2016, 1, 10),
        2,
    )
    row = _row(derivations_db, "marts.analytic_cohort", "F000000000013")
    assert row["arm"] == "NTRK+" and row["entry_days"] == (D(2015, 4, 1) - D(2015, 3, 1)).days


def test_non_functional_rearrangement_is_not_exposure(derivations_db) -> None:  # type: ignore[no-untyped-def]
    assert _row(derivations_db, "intermediate.patient_genomics", "F000000000014")["exposure_status"] == "negative"


def test_activity_after_the_cut_is_ignored_and_lines_counted_from_initial_diagnosis(derivations_db) -> None:  # type: ignore[no-untyped-def]
    out = _row(derivations_db, "intermediate.patient_outcomes", "F000000000015")
    assert out["last_activity_date"] == D(2020, 12, 1) and out["censor_date"] == D(2020, 12, 1)
    assert out["data_cut_date"] == D(2021, 3, 31)
    therapy = _row(derivations_db, "intermediate.patient_therapy", "F000000000015")
    assert therapy["n_lines_before_report"] == 1  # the 2014-01-01 line precedes the initial diagnosis
    assert therapy["last_line_before_report_date"] == D(2015, 4, 1)  # started on the report date: inclusive
    assert therapy["n_lines"] == 2


def test_death_month_wholly_before_last_activity_is_reconciled_and_flagged(derivations_db) -> None:  # type: ignore[no-untyped-def]
    out = _row(derivations_db, "intermediate.patient_outcomes", "F000000000016")
    assert out["death_date"] == D(2016, 3, 10) and out["has_death"] is True
    assert out["is_death_date_reconciled"] is True and out["is_death_month_before_activity"] is True
    row = _row(derivations_db, "marts.analytic_cohort", "F000000000016")
    assert row["is_event"] is True and row["is_death_date_reconciled"] is True


def test_partial_panel_is_negative_only_when_one_gene_suffices(derivations_db, build_derivations, spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.exposure.negative_requires == "any_gene_assessed"
    assert _row(derivations_db, "intermediate.patient_genomics", "F000000000017")["exposure_status"] == "negative"
    strict = spec.model_copy(
        update={"exposure": spec.exposure.model_copy(update={"negative_requires": "all_genes_assessed"})}
    )
    db = build_derivations(strict)
    assert _row(db, "intermediate.patient_genomics", "F000000000017")["exposure_status"] == "not_assessable"
    assert _row(db, "intermediate.patient_genomics", "F000000000011")["exposure_status"] == "negative"  # T7 panel


def test_cancer_type_restriction_is_a_counted_step(build_derivations, spec: StudySpec) -> None:  # type: ignore[no-untyped-def]
    nsclc_only = spec.model_copy(
        update={"eligibility": spec.eligibility.model_copy(update={"cancer_types": ("NSCLC",)})}
    )
    db = build_derivations(nsclc_only)
    assert _row(db, "intermediate.patient_eligibility", "F000000000012")["is_cancer_type_included"] is True
    assert _row(db, "intermediate.patient_eligibility", "F000000000011")["is_cancer_type_included"] is False
    cohort = db.con.execute("select distinct cancer_type from marts.analytic_cohort").fetchall()
    assert cohort == [("NSCLC",)]
    removed = db.con.execute("select sum(patients_removed) from marts.attrition where step = 'cancer_type'").fetchone()
    assert removed == (6,)  # the six thyroid patients D11, D13-D17


def test_reconciled_death_dates_are_counted_per_arm(cohort_db) -> None:  # type: ignore[no-untyped-def]
    # P1's imputed 2016-02-15 moved to the 2016-02-20 visit (same month): reconciled, month not before activity.
    assert reconciled_deaths(cohort_db.con) == {
        "NTRK+": {"deaths": 1, "reconciled": 1, "month_before_activity": 0},
        "NTRK-": {"deaths": 0, "reconciled": 0, "month_before_activity": 0},
    }


def test_death_month_before_activity_is_counted(derivations_db) -> None:  # type: ignore[no-untyped-def]
    # D16's whole death month (2016-01) precedes the 2016-03-10 visit; D13 is the only NTRK+ patient, alive.
    assert reconciled_deaths(derivations_db.con) == {
        "NTRK+": {"deaths": 0, "reconciled": 0, "month_before_activity": 0},
        "NTRK-": {"deaths": 1, "reconciled": 1, "month_before_activity": 1},
    }


def test_attrition_names_the_studys_excluded_drugs(derivations_db, spec: StudySpec) -> None:  # type: ignore[no-untyped-def]
    (description,) = derivations_db.con.execute(
        "select distinct description from marts.attrition where step = 'excluded_drug_naive'"
    ).fetchone()
    assert description == "Never treated with an excluded drug: " + ", ".join(spec.eligibility.excluded_drugs)
