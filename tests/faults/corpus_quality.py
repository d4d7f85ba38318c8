"""Data-quality faults of the bad-delivery corpus: the delivery is well-formed and lands, but its rows break the
contracts' rules (duplicate or null keys, orphan rows, dates after the data cut or before birth, codes, values and
months outside their accepted sets), so the raw layer's blocking checks stop the run; or raw passes and the staging
models' normalisation exposes the fault, so the staging layer's checks stop it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from corpus_base import Fault, Fragment, Name, keys, pick, read, replace_at, rows_of, write

# --------------------------------------------------------------------------------------------------------------------
# Hand edits: each damages a copy of the clean delivery and returns the fragments it alone can know
# --------------------------------------------------------------------------------------------------------------------


def null_keys(folder: Path) -> list[Fragment]:
    """Three ECOG assessments (distinct dates) lose their patient id."""
    data = read(folder, "ecog")
    rows = pick(data, ["ecog_date", "patient_id"], 3)
    before = keys(data, rows, ["ecog_date"])
    write(folder, "ecog", replace_at(data, "patient_id", rows, pa.nulls(3, pa.string())))
    return [rows_of(3, data.num_rows), tuple(f"NULL|{d}" for d in before)]


def orphan_alteration_report(folder: Path) -> list[Fragment]:
    """Three short-variant alterations point at a report that is not in genomic_reports."""
    data = read(folder, "genomic_alterations")
    rows = pick(data, ["alteration_id"], 3, pc.equal(data.column("alteration_type"), "short variant"))
    write(folder, "genomic_alterations", replace_at(data, "report_id", rows, pa.array(["ORD-999999999-01"] * 3)))
    return [rows_of(3, data.num_rows), tuple(keys(data, rows, ["alteration_id"]))]


def unknown_practice_type(folder: Path) -> list[Fragment]:
    """Four practice rows carry a practice type outside the contract's accepted values."""
    data = read(folder, "practice")
    rows = pick(data, ["patient_id", "practice_id"], 4)
    write(folder, "practice", replace_at(data, "practice_type", rows, pa.array(["HOSPITAL"] * 4)))
    return [rows_of(4, data.num_rows), tuple(keys(data, rows, ["patient_id", "practice_id"]))]


def ecog_out_of_range(folder: Path) -> list[Fragment]:
    """Two ECOG values of 7 (the scale is 0-4)."""
    data = read(folder, "ecog")
    rows = pick(data, ["patient_id", "ecog_date"], 2)
    write(folder, "ecog", replace_at(data, "ecog_value", rows, pa.array([7, 7], type=pa.int32())))
    return [rows_of(2, data.num_rows), tuple(keys(data, rows, ["patient_id", "ecog_date"]))]


def impossible_death_month(folder: Path) -> list[Fragment]:
    """Two deaths in month 13."""
    data = read(folder, "mortality")
    rows = pick(data, ["patient_id"], 2)
    years = [m[:4] for m in data.column("death_month").take(pa.array(rows)).to_pylist()]
    write(folder, "mortality", replace_at(data, "death_month", rows, pa.array([f"{y}-13" for y in years])))
    return [rows_of(2, data.num_rows), tuple(keys(data, rows, ["patient_id"]))]


def future_visit(folder: Path) -> list[Fragment]:
    """Three visits dated after the data cut."""
    data = read(folder, "visits")
    rows = pick(data, ["visit_id"], 3)
    future = pa.array([dt.date(2021, 5, 1), dt.date(2021, 6, 15), dt.date(2022, 1, 10)], pa.date32())
    write(folder, "visits", replace_at(data, "visit_date", rows, future))
    return [rows_of(3, data.num_rows), tuple(keys(data, rows, ["visit_id"]))]


def future_ecog(folder: Path) -> list[Fragment]:
    """Two ECOG assessments dated after the data cut (one a year after it)."""
    data = read(folder, "ecog")
    rows = pick(data, ["patient_id", "ecog_date"], 2)
    dates = pa.array([dt.date(2021, 6, 30), dt.date(2022, 3, 31)], pa.date32())
    damaged = replace_at(data, "ecog_date", rows, dates)
    write(folder, "ecog", damaged)
    return [rows_of(2, data.num_rows), tuple(keys(damaged, rows, ["patient_id", "ecog_date"]))]


def diagnosis_before_birth(folder: Path) -> list[Fragment]:
    """Two patients (never advanced) with an initial diagnosis 3 years before their birth year."""
    data = read(folder, "cancer_diagnosis")
    births = read(folder, "demographics")
    ids_years = zip(births.column("patient_id").to_pylist(), births.column("birth_year").to_pylist(), strict=True)
    birth_year = dict(ids_years)
    rows = pick(data, ["patient_id"], 2, pc.is_null(data.column("advanced_diagnosis_date")))
    ids = data.column("patient_id").take(pa.array(rows)).to_pylist()
    dates = pa.array([dt.date(birth_year[p] - 3, 6, 15) for p in ids], pa.date32())
    write(folder, "cancer_diagnosis", replace_at(data, "diagnosis_date", rows, dates))
    return [rows_of(2, data.num_rows), tuple(ids)]


def duplicate_code_after_normalisation(folder: Path) -> list[Fragment]:
    """Two ICD-9-CM rows repeated with a trailing blank in the code: distinct keys as delivered (and ICD-9 codes have
    no format rule), the same key once staging trims the code."""
    data = read(folder, "diagnosis_codes")
    rows = pick(data, ["patient_id", "diagnosis_date", "diagnosis_code"], 2,
                pc.equal(data.column("code_system"), "ICD-9-CM"))  # fmt: skip
    copies = data.take(pa.array(rows))
    padded = pc.binary_join_element_wise(copies.column("diagnosis_code"), pa.scalar(" "), "")
    copies = copies.set_column(copies.schema.get_field_index("diagnosis_code"), "diagnosis_code", padded)
    write(folder, "diagnosis_codes", pa.concat_tables([data, copies]))
    expected = keys(data, rows, ["patient_id", "diagnosis_date", "diagnosis_code"])
    return [rows_of(4, data.num_rows + 2), tuple(expected)]


# --------------------------------------------------------------------------------------------------------------------
# The quality faults
# --------------------------------------------------------------------------------------------------------------------

RAW_QUALITY_FAULTS: tuple[Fault, ...] = (
    # ---- raw quality: the delivery lands in raw; the raw layer's blocking checks stop the run ------------------------
    Fault("duplicate_keys", "demographics", "demographics rows repeated for some patients", "raw_quality",
          ("raw.demographics", "primary_key_unique", Name("patient_id")),
          failing=("raw/demographics:contract_suite",), defect=("duplicate_keys", 0.001)),
    Fault("null_keys", "ecog", "ecog.patient_id null in three rows", "raw_quality",
          ("raw.ecog", "not_null__patient_id"), failing=("raw/ecog:contract_suite",), edit=null_keys),
    Fault("orphan_rows", "visits", "visits of patients absent from demographics", "raw_quality",
          ("raw.visits", "fk_patient_id__raw_demographics"), failing=("raw/visits:contract_suite",),
          defect=("orphan_rows", 0.00005)),
    Fault("report_after_cut", "genomic_reports", "NGS reports dated after the data cut", "raw_quality",
          ("raw.genomic_reports", "report_not_after_cut", Name("report_date")),
          failing=("raw/genomic_reports:contract_suite",), defect=("report_after_cut", 0.001), slow=True),
    Fault("death_before_birth", "mortality", "death months before the birth year", "raw_quality",
          ("raw.mortality", "death_not_before_birth", Name("death_month")),
          failing=("raw/mortality:contract_suite",), defect=("death_before_birth", 0.002)),
    Fault("unknown_icd10_code", "diagnosis_codes", "malformed ICD-10-CM code ZZZ.9", "raw_quality",
          ("raw.diagnosis_codes", "icd10_format", Name("diagnosis_code")),
          failing=("raw/diagnosis_codes:contract_suite",), defect=("unknown_code", 0.0005)),
    Fault("future_ecog", "ecog", "ECOG assessments dated after the data cut", "raw_quality",
          ("raw.ecog", Name("ecog_date")), failing=("raw/ecog:contract_suite",), edit=future_ecog),
    Fault("orphan_alteration_report", "genomic_alterations", "alterations pointing at a report that does not exist",
          "raw_quality", ("raw.genomic_alterations", "fk_report_id__raw_genomic_reports"),
          failing=("raw/genomic_alterations:contract_suite",), edit=orphan_alteration_report, slow=True),
    Fault("unknown_practice_type", "practice", "practice_type HOSPITAL (accepted: ACADEMIC, COMMUNITY)",
          "raw_quality", ("raw.practice", "accepted_values__practice_type"), failing=("raw/practice:contract_suite",),
          edit=unknown_practice_type, slow=True),
    Fault("ecog_out_of_range", "ecog", "ECOG value 7 (the scale is 0-4)", "raw_quality",
          ("raw.ecog", "range__ecog_value"), failing=("raw/ecog:contract_suite",), edit=ecog_out_of_range, slow=True),
    Fault("impossible_death_month", "mortality", "death month 13", "raw_quality",
          ("raw.mortality", "pattern__death_month"), failing=("raw/mortality:contract_suite",),
          edit=impossible_death_month, slow=True),
    Fault("future_visit", "visits", "visits dated after the data cut", "raw_quality",
          ("raw.visits", "visit_not_after_cut", Name("visit_date")), failing=("raw/visits:contract_suite",),
          edit=future_visit, slow=True),
    Fault("diagnosis_before_birth", "cancer_diagnosis", "initial diagnosis 3 years before the birth year",
          "raw_quality", ("raw.cancer_diagnosis", "diagnosis_after_birth", Name("diagnosis_date")),
          failing=("raw/cancer_diagnosis:contract_suite",), edit=diagnosis_before_birth,
          slow=True),
)  # fmt: skip

STAGING_QUALITY_FAULTS: tuple[Fault, ...] = (
    # ---- staging quality: raw passes; the staging models' normalisation exposes the fault ---------------------------
    Fault("duplicate_code_after_normalisation", "diagnosis_codes", "ICD-9-CM codes repeated with a trailing blank: "
          "unique as delivered, duplicate keys once staging trims them", "staging_quality",
          ("staging.diagnosis_codes", "primary_key_unique", Name("diagnosis_code")),
          failing=("staging/diagnosis_codes:contract_suite",), edit=duplicate_code_after_normalisation),
)  # fmt: skip
