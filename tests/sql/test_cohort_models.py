"""Given/expect tests of the cohort SQL models on small hand-made rows (each case names the pitfall it covers)."""

from __future__ import annotations

import datetime as dt

import pytest

from rwe_cohorts.cohort.checks import attrition_never_rises

CUT = dt.date(2021, 3, 31)
D = dt.date


def _row(db, relation: str, pid: str, extra_where: str = "") -> dict[str, object]:  # type: ignore[no-untyped-def]
    cur = db.con.execute(f"select * from {relation} where patient_id = ? {extra_where}", [pid])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, f"{relation}: expected one row for {pid}, got {len(rows)}"
    return dict(zip(names, rows[0], strict=True))


def test_month_precision_death_is_day_15_and_reconciled_to_last_activity(cohort_db) -> None:  # type: ignore[no-untyped-def]
    out = _row(cohort_db, "intermediate.patient_outcomes", "F000000000001")
    assert out["last_activity_date"] == D(2016, 2, 20)
    # Imputed 2016-02-15 falls before the last visit (2016-02-20): reconciled to the visit, flagged, still a death.
    assert out["death_date"] == D(2016, 2, 20)
    assert out["is_death_date_reconciled"] is True
    assert out["is_death_month_before_activity"] is False
    axis = _row(cohort_db, "marts.analytic_cohort", "F000000000001")
    assert axis["is_event"] is True
    assert axis["entry_days"] == (D(2015, 5, 30) - D(2015, 3, 1)).days
    assert axis["exit_days"] == (D(2016, 2, 20) - D(2015, 3, 1)).days
    assert axis["entry_months"] == pytest.approx(axis["entry_days"] / 30.4375)
    assert axis["exposure_gene"] == "NTRK3" and axis["exposure_partner"] == "ETV6"


def test_report_before_advanced_diagnosis_enters_at_zero_and_first_report_counts(cohort_db) -> None:  # type: ignore[no-untyped-def]
    g = _row(cohort_db, "intermediate.patient_genomics", "F000000000002")
    assert g["first_report_date"] == D(2014, 12, 1) and g["n_reports"] == 2
    assert g["exposure_status"] == "negative" and g["has_driver_coalteration"] is True
    row = _row(cohort_db, "marts.analytic_cohort", "F000000000002")
    assert row["entry_days"] == 0 and row["is_event"] is False
    assert row["exit_days"] == (D(2017, 7, 1) - D(2015, 3, 1)).days
    assert row["months_index_to_report"] < 0


def test_reversed_partner_order_is_positive_and_trk_inhibitor_excludes(cohort_db) -> None:  # type: ignore[no-untyped-def]
    g = _row(cohort_db, "intermediate.patient_genomics", "F000000000003")
    assert (g["exposure_status"], g["exposure_gene"], g["exposure_partner"]) == ("positive", "NTRK1", "TPM3")
    e = _row(cohort_db, "intermediate.patient_eligibility", "F000000000003")
    assert e["is_excluded_drug_naive"] is False
    n = cohort_db.con.execute("select count(*) from marts.analytic_cohort where patient_id = 'F000000000003'")
    assert n.fetchone()[0] == 0


def test_gene_not_on_panel_is_not_assessable_not_negative(cohort_db) -> None:  # type: ignore[no-untyped-def]
    g = _row(cohort_db, "intermediate.patient_genomics", "F000000000004")
    assert g["exposure_status"] == "not_assessable"
    e = _row(cohort_db, "intermediate.patient_eligibility", "F000000000004")
    assert e["arm"] == "not assessable" and e["is_exposure_assessable"] is False


def test_window_and_age_criteria(cohort_db) -> None:  # type: ignore[no-untyped-def]
    assert _row(cohort_db, "intermediate.patient_eligibility", "F000000000005")["is_advanced_in_window"] is False
    assert _row(cohort_db, "intermediate.patient_eligibility", "F000000000006")["is_adult"] is False


def test_death_after_cut_is_censored_and_last_line_index(cohort_db) -> None:  # type: ignore[no-untyped-def]
    out = _row(cohort_db, "intermediate.patient_outcomes", "F000000000007")
    assert out["has_death"] is False and out["death_date"] is None and out["is_death_after_cut"] is True
    therapy = _row(cohort_db, "intermediate.patient_therapy", "F000000000007")
    assert therapy["n_lines_before_report"] == 1
    assert therapy["last_line_before_report_date"] == D(2015, 3, 20)
    axis = _row(
        cohort_db, "intermediate.cohort_time_axes", "F000000000007", "and index_rule = 'last_line_before_report'"
    )
    assert axis["index_date"] == D(2015, 3, 20)
    assert axis["entry_days"] == (D(2015, 8, 1) - D(2015, 3, 20)).days


def test_attrition_order_and_counts_never_rise(cohort_db) -> None:  # type: ignore[no-untyped-def]
    rows = cohort_db.con.execute(
        "select step, arm, patients_remaining from marts.attrition order by step_order, arm"
    ).fetchall()
    table = {(s, a): n for s, a, n in rows}
    assert table[("all_patients", "NTRK+")] == 2  # P1 and P3
    assert table[("excluded_drug_naive", "NTRK+")] == 1  # P3 removed (larotrectinib)
    assert table[("exposure_assessable", "not assessable")] == 0
    assert table[("follow_up_after_entry", "NTRK-")] == 2  # P2 and P7
    assert attrition_never_rises(cohort_db.con) == []
