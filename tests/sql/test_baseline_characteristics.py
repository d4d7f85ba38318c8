"""Table 1 (marts.baseline_characteristics) on the hand-made cohort: one NTRK+ patient (P1, thyroid) and two
eligible NTRK- patients (P2, NSCLC with a KRAS driver, sequenced before the advanced diagnosis; P7, thyroid, one line
before the report). Every other covariate is the same for all three, which exercises the zero-denominator rule."""

from __future__ import annotations

import datetime as dt
import math

import pytest

D = dt.date
MONTH = 30.4375


def _table(db) -> dict[tuple[str, str | None], dict[str, object]]:  # type: ignore[no-untyped-def]
    cur = db.con.execute("select * from marts.baseline_characteristics order by row_order")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    assert [r["row_order"] for r in rows] == list(range(1, len(rows) + 1))
    return {(str(r["covariate"]), r["level"]): r for r in rows}  # type: ignore[misc]


def test_arm_sizes_and_labels(cohort_db) -> None:  # type: ignore[no-untyped-def]
    t = _table(cohort_db)
    first = t[("patients", None)]
    assert first["row_order"] == 1 and first["kind"] == "count"
    assert (first["n_exposed"], first["n_comparator"]) == (1, 2)
    assert (first["exposed_arm"], first["comparator_arm"]) == ("NTRK+", "NTRK-")
    assert first["smd"] is None


def test_categorical_levels_have_n_percent_and_binary_smd(cohort_db) -> None:  # type: ignore[no-untyped-def]
    t = _table(cohort_db)
    thyroid, nsclc = t[("cancer_type", "Thyroid")], t[("cancer_type", "NSCLC")]
    assert (thyroid["n_exposed"], thyroid["pct_exposed"], thyroid["n_comparator"], thyroid["pct_comparator"]) == (
        1,
        100.0,
        1,
        50.0,
    )
    # p1 = 1, p0 = 0.5: (1 - 0.5) / sqrt((0 + 0.25) / 2) = sqrt(2)
    assert thyroid["smd"] == pytest.approx(math.sqrt(2))
    assert nsclc["smd"] == pytest.approx(-math.sqrt(2)) and nsclc["n_exposed"] == 0
    driver = t[("has_driver_coalteration", "yes")]
    assert (driver["n_exposed"], driver["n_comparator"], driver["pct_comparator"]) == (0, 1, 50.0)
    # Levels of a covariate partition the arm; no level is invented for an arm that lacks it.
    assert {lv for cov, lv in t if cov == "has_driver_coalteration"} == {"no", "yes"}
    assert {lv for cov, lv in t if cov == "ecog_baseline"} == {"unknown"}  # no ECOG recorded in the window


def test_identical_arms_give_smd_zero_not_undefined(cohort_db) -> None:  # type: ignore[no-untyped-def]
    t = _table(cohort_db)
    # Everyone is 59.7 years old at the index date, never smoked, stage III, community practice, female, White.
    for key in [
        ("age_group", "< 65"),
        ("smoking_status", "never"),
        ("stage_group", "III"),
        ("practice_type", "community"),
        ("sex", "female"),
        ("race", "White"),
        ("index_year", "2015"),
        ("has_brain_metastases", "no"),
    ]:
        row = t[key]
        assert (row["pct_exposed"], row["pct_comparator"], row["smd"]) == (100.0, 100.0, 0.0), key
    assert ("age_group", ">= 65") not in t


def test_continuous_median_iqr_and_undefined_smd_with_one_exposed(cohort_db) -> None:  # type: ignore[no-untyped-def]
    t = _table(cohort_db)
    delay = t[("months_index_to_report", None)]
    p1 = (D(2015, 5, 30) - D(2015, 3, 1)).days / MONTH
    p2 = (D(2014, 12, 1) - D(2015, 3, 1)).days / MONTH  # sequenced before the advanced diagnosis: negative
    p7 = (D(2015, 8, 1) - D(2015, 3, 1)).days / MONTH
    assert delay["kind"] == "continuous" and delay["pct_exposed"] is None
    assert (delay["n_exposed"], delay["n_comparator"]) == (1, 2)
    assert delay["median_exposed"] == pytest.approx(p1) and delay["q1_exposed"] == pytest.approx(p1)
    # Linear interpolation between the two comparators (R type 7, numpy's default).
    assert delay["median_comparator"] == pytest.approx((p2 + p7) / 2)
    assert delay["q1_comparator"] == pytest.approx(p2 + 0.25 * (p7 - p2))
    assert delay["q3_comparator"] == pytest.approx(p2 + 0.75 * (p7 - p2))
    assert delay["sd_comparator"] == pytest.approx(abs(p7 - p2) / math.sqrt(2))
    assert delay["sd_exposed"] is None and delay["smd"] is None  # one exposed patient: SD undefined
    age = t[("age_at_index_years", None)]
    expected_age = (D(2015, 3, 1) - D(1955, 7, 1)).days / 365.25
    assert age["median_exposed"] == pytest.approx(expected_age) and age["sd_comparator"] == 0.0
    lines = t[("n_lines_before_report", None)]
    assert (lines["median_exposed"], lines["median_comparator"], lines["mean_comparator"]) == (0.0, 0.5, 0.5)


def test_covariate_values_cover_each_eligible_patient_once_per_covariate(cohort_db) -> None:  # type: ignore[no-untyped-def]
    rows = cohort_db.con.execute(
        "select count(distinct patient_id), count(distinct covariate), count(*), "
        "count(*) filter (where (kind = 'categorical') <> (level is not null)) "
        "from intermediate.cohort_covariate_values"
    ).fetchone()
    n_patients = cohort_db.con.execute("select count(*) from marts.analytic_cohort").fetchone()[0]
    assert rows == (n_patients, 14, n_patients * 14, 0)
