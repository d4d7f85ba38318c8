"""A cBioPortal study as rows of the raw delivery tables (data_contracts/raw), with the crosswalk and counts.

Keys are pseudonymous and deterministic: ``patient_id`` = ``F`` + the first 12 hex digits (upper case) of
SHA-256(study id, 0x1F, cBioPortal ``PATIENT_ID``); samples, reports, alterations and visits are numbered in sorted
order of the source ids. The crosswalk back to cBioPortal ids is written beside the delivery (``source/``).

Patient attributes come from the patient file, then the first delivered sample (the earliest sequenced; ties by
sample id). A patient is one cancer type (:mod:`.attrition`, step ``one_cancer_type``): the OncoTree main type of
their earliest sequenced sample with a solid-tumour type; samples of another type are not delivered. The age becomes
a birth year by the rules of :mod:`.ages`; a patient with no age is not delivered when the spec needs an age, else
delivered with a null birth year. Dates follow :mod:`.timeaxis`; the index date under the sequencing origin is the
first delivered sample's report date.

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
from rwe_cohorts.ingest.cbioportal.ages import AGE_RULES, age_at_sequencing
from rwe_cohorts.ingest.cbioportal.errors import Issues
from rwe_cohorts.ingest.cbioportal.fusions import FusionStrictness, SampleCall, SampleStatus
from rwe_cohorts.ingest.cbioportal.genomics import DeliveredSample, genomic_rows
from rwe_cohorts.ingest.cbioportal.oncotree import OncoTree, oncotree
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


@dataclass
class RawTables:
    rows: dict[str, list[Row]]
    crosswalk: list[Row]
    event_audit: list[Row]
    counts: dict[str, int]
    time_origin: str
    placeholder_tables: list[str] = field(default_factory=list)


def _cancer_type(
    tree: OncoTree, sample: Sample, patient: Mapping[str, str | None], study: CbioportalStudy
) -> vocab.CancerType:
    rows = (sample.attrs, patient)
    study_code = study.type_of_cancer if (study.type_of_cancer or "").lower() != "mixed" else None
    return vocab.cancer_type(
        tree,
        vocab.lookup(rows, vocab.CANCER_TYPE),
        vocab.lookup(rows, vocab.CANCER_TYPE_DETAILED),
        vocab.lookup(rows, vocab.ONCOTREE_CODE),
        study_code,
    )


def _one_cancer_type(
    samples: list[Sample], types: Mapping[str, vocab.CancerType], dates: PatientDates
) -> tuple[vocab.CancerType, list[Sample]]:
    """The patient's cancer type and the samples kept (rule in the module docstring): the earliest sequenced sample
    with a solid-tumour type decides; without one, the earliest sample's type, and every sample is kept."""
    order = sorted(samples, key=lambda s: (dates.report_dates[s.sample_id], s.sample_id))
    solid = [s for s in order if types[s.sample_id].main_type not in (None, vocab.NOT_SOLID)]
    if not solid:
        return types[order[0].sample_id], order
    chosen = types[solid[0].sample_id]
    return chosen, [s for s in order if types[s.sample_id].main_type == chosen.main_type]


def _diagnosis_row(
    pid: str, first: Sample, patient: Mapping[str, str | None], study: CbioportalStudy, ctype: vocab.CancerType,
    index_date: dt.date, dates: PatientDates,
) -> Row:  # fmt: skip
    """The ``cancer_diagnosis`` row; ``advanced_diagnosis_date`` (the index date) is set once the origin is known."""
    rows = (first.attrs, patient)
    columns = study.patient_columns + study.sample_columns
    return {
        "patient_id": pid,
        "cancer_type": ctype.main_type,
        "diagnosis_date": min(dates.diagnosis_date or index_date, index_date),
        "group_stage": vocab.group_stage(vocab.lookup(rows, vocab.STAGE), vocab.has_any(columns, vocab.STAGE)),
        "advanced_diagnosis_date": None,
        "histology": ctype.histology,
        "smoking_status": vocab.smoking(vocab.lookup(rows, vocab.SMOKING), vocab.has_any(columns, vocab.SMOKING)),
    }


def _apply_origin(diagnoses: list[tuple[Row, PatientDates, dt.date]], requested: str) -> str:
    """Set every index date for the time origin (``auto``: diagnosis only when every patient has one)."""
    origin = requested
    if origin == "auto":
        every = bool(diagnoses) and all(d.diagnosis_date is not None for _, d, _ in diagnoses)
        origin = "diagnosis" if every else "sequencing"
    for row, dates, index_date in diagnoses:
        row["advanced_diagnosis_date"] = index_date if origin == "sequencing" else dates.diagnosis_date
        if origin == "diagnosis" and dates.diagnosis_date is not None:
            row["diagnosis_date"] = dates.diagnosis_date
    return origin


_TALLY = (
    "without_age", "without_survival", "deceased_without_months",
    "not_solid_tumour", "cancer_type_unknown", "cancer_type_discordant", "multiple_samples", "with_solid_tumour",
    "with_diagnosis_date", "lines_merged", *(f"age_{rule}" for rule in AGE_RULES),
)  # fmt: skip


def build_tables(
    study: CbioportalStudy, strictness: FusionStrictness, options: TimeOptions, issues: Issues, *, age_required: bool
) -> RawTables:
    """Every raw table's rows; problems (malformed ages or survival) go to ``issues``. ``age_required``: a patient
    without an age is not delivered (else delivered with a null birth year)."""
    tree = oncotree()
    survival = survival_of(study, issues)
    timelines = timelines_of(study)
    by_patient: dict[str, list[Sample]] = {}
    for s in study.samples:
        by_patient.setdefault(s.patient_id, []).append(s)
    tally = dict.fromkeys(_TALLY, 0)
    sample_tally = {"other_cancer_type": 0, "without_age": 0}
    unmapped: list[str] = []
    ids: dict[str, str] = {}
    used: set[str] = set()  # pseudonyms given so far (a set: a collision check over dict values was quadratic)
    kept_samples: dict[str, list[Sample]] = {}
    rows: dict[str, list[Row]] = {t: [] for t in ("demographics", "lines_of_therapy", "visits", "mortality")}
    diagnoses: list[tuple[Row, PatientDates, dt.date]] = []
    dates_of: dict[str, PatientDates] = {}
    for source_pid in sorted(by_patient):
        samples = sorted(by_patient[source_pid], key=lambda s: s.sample_id)
        patient = study.patients.get(source_pid, {})
        surv = survival.get(source_pid)
        dates = patient_dates(samples, timelines.get(source_pid), surv, options)
        types = {s.sample_id: _cancer_type(tree, s, patient, study) for s in samples}
        unmapped += [f"{s.sample_id} ({t.unmapped!r})" for s in samples if (t := types[s.sample_id]).unmapped]
        ctype, kept = _one_cancer_type(samples, types, dates)
        first = kept[0]
        index_date = dates.report_dates[first.sample_id]
        sample_tally["other_cancer_type"] += len(samples) - len(kept)
        tally["cancer_type_discordant"] += len(kept) < len(samples)
        age = age_at_sequencing(first, patient, dates, index_date, issues)
        tally["without_age"] += age is None
        if age is None and age_required:
            sample_tally["without_age"] += len(kept)
            continue
        pid = pseudonym(study.study_id, source_pid)
        if pid in used or pid == PLACEHOLDER_ID:
            issues.problem("patient ids", "pseudonymous id collision (SHA-256 prefix)", [source_pid])
        used.add(pid)
        ids[source_pid], dates_of[source_pid], kept_samples[source_pid] = pid, dates, kept
        if age is not None:
            tally[f"age_{age.rule}"] += 1
        tally["multiple_samples"] += len(kept) > 1
        if surv is None or not surv.is_usable:
            tally["without_survival"] += 1
            tally["deceased_without_months"] += bool(surv and surv.is_dead and surv.months is None)
        rows["demographics"].append(
            {
                "patient_id": pid,
                "birth_year": age.birth_year if age is not None else None,
                "gender": vocab.sex(vocab.lookup((patient, first.attrs), vocab.SEX)),
                "race": vocab.race(vocab.lookup((patient, first.attrs), vocab.RACE)),
                "ethnicity": vocab.ethnicity(vocab.lookup((patient, first.attrs), vocab.ETHNICITY)),
                "state": None,
            }
        )
        if ctype.main_type in (vocab.NOT_SOLID, None):
            tally["not_solid_tumour" if ctype.main_type else "cancer_type_unknown"] += 1
        else:
            diagnoses.append((_diagnosis_row(pid, first, patient, study, ctype, index_date, dates), dates, index_date))
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
    if unmapped:
        issues.note(
            "data_clinical_sample.txt",
            f"columns CANCER_TYPE / ONCOTREE_CODE: values not in OncoTree {tree.version} (cancer type unknown)",
            unmapped,
        )
    origin = _apply_origin(diagnoses, options.time_origin)
    rows["cancer_diagnosis"] = [r for r, _, _ in diagnoses]
    for number, visit in enumerate(rows["visits"], start=1):  # patients come in sorted order: ids are stable
        visit["visit_id"] = f"V{number:011d}"
    delivered_samples = sorted((s for kept in kept_samples.values() for s in kept), key=lambda s: s.sample_id)
    delivered = [
        DeliveredSample(s, ids[s.patient_id], n, dates_of[s.patient_id].report_dates[s.sample_id],
                        dates_of[s.patient_id].specimen_dates[s.sample_id])
        for n, s in enumerate(delivered_samples, 1)
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
        "samples_in_study": len(study.samples),
        "patients_without_samples": len(set(study.patients) - set(by_patient)),
        **{f"patients_{k}": v for k, v in tally.items()},
        **{f"samples_{k}": v for k, v in sample_tally.items()},
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
