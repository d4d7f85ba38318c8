"""A cBioPortal study as rows of the raw delivery tables (data_contracts/raw), with the crosswalk and counts.

Keys are pseudonymous and deterministic: ``patient_id`` = ``F`` + the first 12 hex digits (upper case) of
SHA-256(study id, 0x1F, cBioPortal ``PATIENT_ID``); samples, reports, alterations and visits are numbered in sorted
order of the source ids. The crosswalk back to cBioPortal ids is written beside the delivery (``source/``).

Patient attributes come from the patient file, then the first sample (the earliest sequenced; ties by sample id):
age at sequencing (``AGE_AT_SEQ_REPORT`` and aliases; else age at diagnosis, placed at the diagnosis date when the
timeline gives one and otherwise taken as the age at sequencing, counted) becomes a birth year, the only precision
the raw model keeps (the pipeline imputes 1 July), so ages are exact to within about half a year. A patient with no
age cannot be delivered (``birth_year`` is required) and is counted. Dates follow :mod:`.timeaxis`.

Tables cBioPortal does not have (``practice``, ``ecog``, ``diagnosis_codes``, and ``lines_of_therapy`` or
``visits`` when nothing fills them) are delivered with a single row of a placeholder patient (``PLACEHOLDER_ID``: no
tumour, no report), because ingest refuses an empty table other than ``mortality``. The placeholder is removed at
the first attrition step (``solid_tumour_with_ngs``); every real patient's practice type and ECOG are unknown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rwe_cohorts.ingest.cbioportal import vocab
from rwe_cohorts.ingest.cbioportal.errors import Issues
from rwe_cohorts.ingest.cbioportal.fusions import FusionStrictness, SampleCall, SampleStatus
from rwe_cohorts.ingest.cbioportal.genomics import DeliveredSample, genomic_rows
from rwe_cohorts.ingest.cbioportal.reader import CbioportalStudy, Sample
from rwe_cohorts.ingest.cbioportal.timeaxis import (
    PatientDates,
    TimeOptions,
    lines_of_therapy,
    patient_dates,
    survival_of,
    timelines_of,
)

PLACEHOLDER_ID = "F000000000000"
_PLACEHOLDER_ROWS: dict[str, dict[str, Any]] = {
    "practice": {"practice_id": "S0000", "practice_type": "COMMUNITY"},
    "ecog": {"ecog_value": 0},
    "diagnosis_codes": {"code_system": "ICD-10-CM", "diagnosis_code": "Z00.00"},
    "lines_of_therapy": {"line_number": 1, "line_name": "placeholder", "end_date": None, "is_maintenance": False},
    "visits": {"visit_id": "V00000000000", "visit_type": "Office visit"},
}
_PLACEHOLDER_DATE_COLUMN = {
    "ecog": "ecog_date",
    "diagnosis_codes": "diagnosis_date",
    "lines_of_therapy": "start_date",
    "visits": "visit_date",
}
Row = dict[str, Any]


def pseudonym(study_id: str, patient_id: str) -> str:
    digest = hashlib.sha256(f"{study_id}\x1f{patient_id}".encode()).hexdigest()
    return "F" + digest[:12].upper()


def decimal_year(day: dt.date) -> float:
    start = dt.date(day.year, 1, 1)
    return day.year + (day - start).days / (dt.date(day.year + 1, 1, 1) - start).days


@dataclass
class RawTables:
    rows: dict[str, list[Row]]
    crosswalk: list[Row]
    event_audit: list[Row]
    counts: dict[str, int]
    time_origin: str
    placeholder_tables: list[str] = field(default_factory=list)


def _age(
    first: Sample, patient: Mapping[str, str | None], dates: PatientDates, issues: Issues
) -> tuple[float, dt.date, bool] | None:
    """(age, the date it refers to, whether age at diagnosis stood in for age at sequencing) or None."""
    rows = (first.attrs, patient)
    for aliases, at_sequencing in ((vocab.AGE_AT_SEQUENCING, True), (vocab.AGE_AT_DIAGNOSIS, False)):
        raw = vocab.lookup(rows, aliases)
        try:
            age = vocab.age_years(raw)
        except ValueError:
            issues.problem(
                "clinical files",
                f"columns {'/'.join(aliases[:2])}: not an age in years",
                [f"{first.patient_id} ({raw!r})"],
            )
            return None
        if age is not None:
            if at_sequencing:
                return age, dates.anchor_date, False
            return age, dates.diagnosis_date or dates.anchor_date, dates.diagnosis_date is None
    return None


def _cancer_type(
    sample: Sample, patient: Mapping[str, str | None], study: CbioportalStudy
) -> tuple[str | None, str | None]:
    rows = (sample.attrs, patient)
    main = vocab.lookup(rows, vocab.CANCER_TYPE)
    detailed = vocab.lookup(rows, ("CANCER_TYPE_DETAILED",))
    code = vocab.lookup(rows, ("ONCOTREE_CODE",))
    study_code = study.type_of_cancer if (study.type_of_cancer or "").lower() != "mixed" else None
    return vocab.cancer_type(main, detailed, code, study_code), detailed or main


def _diagnosis_row(
    pid: str, first: Sample, patient: Mapping[str, str | None], study: CbioportalStudy, dates: PatientDates
) -> Row:
    """The ``cancer_diagnosis`` row; ``advanced_diagnosis_date`` (the index date) is set once the origin is known."""
    rows = (first.attrs, patient)
    columns = study.patient_columns + study.sample_columns
    ctype, histology = _cancer_type(first, patient, study)
    return {
        "patient_id": pid,
        "cancer_type": ctype,
        "diagnosis_date": min(dates.diagnosis_date or dates.anchor_date, dates.anchor_date),
        "group_stage": vocab.group_stage(vocab.lookup(rows, vocab.STAGE), vocab.has_any(columns, vocab.STAGE)),
        "advanced_diagnosis_date": None,
        "histology": histology,
        "smoking_status": vocab.smoking(vocab.lookup(rows, vocab.SMOKING), vocab.has_any(columns, vocab.SMOKING)),
    }


def _apply_origin(diagnoses: list[tuple[Row, PatientDates]], requested: str) -> str:
    """Set every index date for the time origin (``auto``: diagnosis only when every patient has one)."""
    origin = requested
    if origin == "auto":
        every = bool(diagnoses) and all(d.diagnosis_date is not None for _, d in diagnoses)
        origin = "diagnosis" if every else "sequencing"
    for row, dates in diagnoses:
        row["advanced_diagnosis_date"] = dates.anchor_date if origin == "sequencing" else dates.diagnosis_date
        if origin == "diagnosis" and dates.diagnosis_date is not None:
            row["diagnosis_date"] = dates.diagnosis_date
    return origin


def build_tables(
    study: CbioportalStudy, strictness: FusionStrictness, options: TimeOptions, issues: Issues
) -> RawTables:
    """Every raw table's rows; problems (malformed ages or survival) go to ``issues``."""
    survival = survival_of(study, issues)
    timelines = timelines_of(study)
    by_patient: dict[str, list[Sample]] = {}
    for s in study.samples:
        by_patient.setdefault(s.patient_id, []).append(s)
    tally = dict.fromkeys(
        ("without_age", "age_at_diagnosis_as_sequencing", "without_survival", "deceased_without_months",
         "not_solid_tumour", "cancer_type_unknown", "cancer_type_discordant", "multiple_samples",
         "with_solid_tumour", "with_diagnosis_date", "lines_merged"), 0
    )  # fmt: skip
    ids: dict[str, str] = {}
    rows: dict[str, list[Row]] = {t: [] for t in ("demographics", "lines_of_therapy", "visits", "mortality")}
    diagnoses: list[tuple[Row, PatientDates]] = []
    dates_of: dict[str, PatientDates] = {}
    for source_pid in sorted(by_patient):
        samples = sorted(by_patient[source_pid], key=lambda s: s.sample_id)
        patient = study.patients.get(source_pid, {})
        surv = survival.get(source_pid)
        dates = patient_dates(samples, timelines.get(source_pid), surv, options)
        first = next(s for s in samples if s.sample_id == dates.first_sample_id)
        age = _age(first, patient, dates, issues)
        if age is None:
            tally["without_age"] += 1
            continue
        pid = pseudonym(study.study_id, source_pid)
        if pid in ids.values() or pid == PLACEHOLDER_ID:
            issues.problem("patient ids", "pseudonymous id collision (SHA-256 prefix)", [source_pid])
        ids[source_pid], dates_of[source_pid] = pid, dates
        tally["age_at_diagnosis_as_sequencing"] += age[2]
        tally["multiple_samples"] += len(samples) > 1
        if surv is None or not surv.is_usable:
            tally["without_survival"] += 1
            tally["deceased_without_months"] += bool(surv and surv.is_dead and surv.months is None)
        rows["demographics"].append(
            {
                "patient_id": pid,
                "birth_year": round(decimal_year(age[1]) - age[0] - 0.5),
                "gender": vocab.sex(vocab.lookup((patient, first.attrs), vocab.SEX)),
                "race": vocab.race(vocab.lookup((patient, first.attrs), vocab.RACE)),
                "ethnicity": vocab.ethnicity(vocab.lookup((patient, first.attrs), vocab.ETHNICITY)),
                "state": None,
            }
        )
        tally["cancer_type_discordant"] += len({_cancer_type(s, patient, study)[0] for s in samples}) > 1
        diagnosis = _diagnosis_row(pid, first, patient, study, dates)
        if diagnosis["cancer_type"] in (vocab.NOT_SOLID, None):
            tally["not_solid_tumour" if diagnosis["cancer_type"] else "cancer_type_unknown"] += 1
        else:
            diagnoses.append((diagnosis, dates))
            tally["with_solid_tumour"] += 1
            tally["with_diagnosis_date"] += dates.diagnosis_date is not None
        if dates.death_date is not None:
            rows["mortality"].append({"patient_id": pid, "death_month": dates.death_date.strftime("%Y-%m")})
        if dates.follow_up_date is not None:
            rows["visits"].append({"patient_id": pid, "visit_date": dates.follow_up_date, "visit_type": "Office visit"})
        lines, merged = lines_of_therapy(timelines.get(source_pid), dates)
        tally["lines_merged"] += merged
        rows["lines_of_therapy"] += [
            {"patient_id": pid, "line_number": ln.line_number, "line_name": ",".join(ln.drugs),
             "start_date": ln.start_date, "end_date": ln.end_date, "is_maintenance": False}
            for ln in lines
        ]  # fmt: skip
    origin = _apply_origin(diagnoses, options.time_origin)
    rows["cancer_diagnosis"] = [r for r, _ in diagnoses]
    for number, visit in enumerate(rows["visits"], start=1):  # patients come in sorted order: ids are stable
        visit["visit_id"] = f"V{number:011d}"
    delivered = [
        DeliveredSample(s, ids[s.patient_id], n, dates_of[s.patient_id].report_dates[s.sample_id],
                        dates_of[s.patient_id].specimen_dates[s.sample_id])
        for n, s in enumerate(sorted((s for s in study.samples if s.patient_id in ids), key=lambda s: s.sample_id), 1)
    ]  # fmt: skip
    genomic = genomic_rows(study, delivered, strictness)
    rows["genomic_reports"], rows["genomic_alterations"] = genomic.reports, genomic.alterations
    rows["panel_genes"] = genomic.panels
    crosswalk = [
        {
            "source_patient_id": d.sample.patient_id,
            "source_sample_id": d.sample.sample_id,
            "patient_id": d.patient_id,
            "sample_id": f"SA-{d.number:09d}",
            "report_id": d.report_id,
            "ntrk_status": genomic.sample_calls[d.sample.sample_id].status.value,
        }
        for d in delivered
    ]
    counts = {
        "patients_in_study": len(set(study.patients) | set(by_patient)),
        "patients_without_samples": len(set(study.patients) - set(by_patient)),
        **{f"patients_{k}": v for k, v in tally.items()},
        "patients_delivered": len(ids),
        "samples_delivered": len(delivered),
        **_status_counts(delivered, genomic.sample_calls),
        **genomic.counts,
    }
    placeholders = _placeholders(rows, options.anchor_date)
    return RawTables(rows, crosswalk, genomic.event_audit, counts, origin, placeholders)


def _status_counts(delivered: list[DeliveredSample], calls: Mapping[str, SampleCall]) -> dict[str, int]:
    """Patients and samples per NTRK status; a patient is positive if any sample is, negative if any sample was
    profiled, else unknown."""
    status: dict[str, SampleStatus] = {}
    for d in delivered:
        call = calls[d.sample.sample_id].status
        prior = status.get(d.patient_id, SampleStatus.UNKNOWN)
        status[d.patient_id] = call if call is SampleStatus.POSITIVE or prior is SampleStatus.UNKNOWN else prior
    return {
        **{f"patients_ntrk_{s.value}": sum(v is s for v in status.values()) for s in SampleStatus},
        **{f"samples_ntrk_{s.value}": sum(c.status is s for c in calls.values()) for s in SampleStatus},
    }


def _placeholders(rows: dict[str, list[Row]], anchor: dt.date) -> list[str]:
    """Fill every table the source left empty with one placeholder-patient row (see the module docstring)."""
    added = []
    for table, values in _PLACEHOLDER_ROWS.items():
        if rows.get(table):
            continue
        row = {"patient_id": PLACEHOLDER_ID, **values}
        if table in _PLACEHOLDER_DATE_COLUMN:
            row[_PLACEHOLDER_DATE_COLUMN[table]] = anchor
        rows[table] = [row]
        added.append(table)
    if added:
        rows["demographics"].append(
            {"patient_id": PLACEHOLDER_ID, "birth_year": anchor.year - 50, "gender": None, "race": None,
             "ethnicity": None, "state": None}
        )  # fmt: skip
    return added
