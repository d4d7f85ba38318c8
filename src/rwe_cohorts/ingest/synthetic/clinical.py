"""Clinical tables of one block: demographics, practice, cancer_diagnosis, mortality, ecog, diagnosis_codes.

Planted: birth year from the age at initial diagnosis (a small share of children); stage IV for de novo advanced
disease, stages I-III otherwise; smoking as recorded (5% unknown); ~40% of advanced patients without an ECOG within
three weeks of the advanced diagnosis; ICD-9-CM before 2015-10-01 and ICD-10-CM after, with brain metastases
(C79.31 / 198.3) for a per-type share; mortality at month precision for deaths captured (about 90%).
Every table carries a private ``_pidx`` column (position of the patient in the block) dropped before writing.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from rwe_cohorts.ingest.synthetic import care_catalog as care
from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.ingest.synthetic.cohort import Patients
from rwe_cohorts.ingest.synthetic.encode import (
    BoolArray,
    IntArray,
    PatientIds,
    categorical,
    choice_codes,
    date_array,
    day_number,
    expand,
    month_strings,
    years_of,
)

PIDX = "_pidx"

STAGES: tuple[str | None, ...] = (
    "Stage I", "Stage IA", "Stage IB", "Stage II", "Stage IIA", "Stage IIB", "Stage III", "Stage IIIA", "Stage IIIB",
    "Stage IIIC", "Stage IV", "Stage IVA", "Stage IVB", "Group stage is not reported", None,
)  # fmt: skip
_EARLY_WEIGHTS = (0.08, 0.10, 0.08, 0.08, 0.10, 0.10, 0.12, 0.14, 0.12, 0.08)
_LATE_WEIGHTS = (0.70, 0.20, 0.10)
_NOT_REPORTED, _NULL_STAGE = 13, 14

HISTOLOGIES: dict[str, tuple[str, ...]] = {
    "NSCLC": ("Non-squamous cell carcinoma", "Squamous cell carcinoma", "NSCLC histology NOS"),
    "Small cell lung": ("Small cell carcinoma",),
    "Melanoma": ("Melanoma",),
    "Head and neck": ("Squamous cell carcinoma",),
    "Bladder": ("Urothelial carcinoma",),
    "Renal cell": ("Clear cell carcinoma", "Papillary carcinoma"),
    "Hepatocellular": ("Hepatocellular carcinoma",),
    "Glioma": ("Glioblastoma", "Astrocytoma", "Oligodendroglioma"),
    "Thyroid": ("Papillary carcinoma", "Follicular carcinoma", "Anaplastic carcinoma"),
    "Salivary gland": ("Secretory carcinoma", "Adenoid cystic carcinoma", "Mucoepidermoid carcinoma"),
    "Soft tissue sarcoma": ("Leiomyosarcoma", "Liposarcoma", "Undifferentiated pleomorphic sarcoma",
                            "Infantile fibrosarcoma"),
    "Unknown primary": ("Adenocarcinoma", "Carcinoma NOS"),
}  # fmt: skip
_DEFAULT_HISTOLOGY = ("Adenocarcinoma",)


def _with_pidx(columns: dict[str, pa.Array], pidx: IntArray) -> pa.Table:
    return pa.table({**columns, PIDX: pa.array(pidx.astype(np.int32))})


def demographics(rng: np.random.Generator, p: Patients, ids: PatientIds) -> pa.Table:
    """One row per patient: birth year, gender, race, ethnicity, state."""
    n = p.n
    gender = np.where(p.is_female, 0, 1)
    gender = np.where(rng.random(n) < 0.005, 2, gender)
    races, race_w = zip(*care.RACES, strict=True)
    eths, eth_w = zip(*care.ETHNICITIES, strict=True)
    states, state_w = zip(*care.STATES, strict=True)
    return _with_pidx(
        {
            "patient_id": ids.all(),
            "birth_year": pa.array(years_of(p.birth_day).astype(np.int32)),
            "gender": categorical(("F", "M", None), gender),
            "race": categorical(races, choice_codes(rng, race_w, n)),
            "ethnicity": categorical(eths, choice_codes(rng, eth_w, n)),
            "state": categorical(states, choice_codes(rng, state_w, n)),
        },
        np.arange(n, dtype=np.int64),
    )


def practice(rng: np.random.Generator, p: Patients, ids: PatientIds) -> pa.Table:
    """One row per patient and practice: a primary practice for everyone, a second one for a few."""
    n = p.n
    n_acad, n_all = care.N_ACADEMIC_PRACTICES, care.N_PRACTICES
    academic = rng.random(n) < care.P_ACADEMIC
    first = np.where(
        academic,
        np.floor(rng.random(n) * n_acad),
        n_acad + np.floor(rng.random(n) * (n_all - n_acad)),
    ).astype(np.int64)
    has_second = rng.random(n) < care.P_SECOND_PRACTICE
    second = (first + 1 + np.floor(rng.random(n) * (n_all - 1)).astype(np.int64)) % n_all
    owner, seq = expand(1 + has_second.astype(np.int64))
    practice_no = np.where(seq == 0, first[owner], second[owner])
    names = [f"S{k + 1:04d}" for k in range(n_all)]
    return _with_pidx(
        {
            "patient_id": ids.take(owner),
            "practice_id": categorical(names, practice_no),
            "practice_type": categorical(("ACADEMIC", "COMMUNITY"), (practice_no >= n_acad).astype(np.int64)),
        },
        owner,
    )


def _stages(rng: np.random.Generator, p: Patients) -> IntArray:
    n = p.n
    early = choice_codes(rng, _EARLY_WEIGHTS, n)
    late = 10 + choice_codes(rng, _LATE_WEIGHTS, n)
    stage = np.where(p.is_de_novo, late, early)
    u = rng.random(n)
    stage = np.where(u < 0.05, _NOT_REPORTED, np.where(u < 0.08, _NULL_STAGE, stage))
    glioma = p.cancer_type == cat.TYPE_INDEX["Glioma"]
    return np.where(glioma, _NOT_REPORTED, stage)


def _histology(rng: np.random.Generator, p: Patients) -> tuple[list[str | None], IntArray]:
    vocab: list[str | None] = []
    table = []
    for name in cat.CANCER_NAMES:
        options = HISTOLOGIES.get(name, _DEFAULT_HISTOLOGY)
        codes = []
        for option in options:
            if option not in vocab:
                vocab.append(option)
            codes.append(vocab.index(option))
        table.append(codes)
    width = max(len(t) for t in table)
    padded = np.array([t + [t[0]] * (width - len(t)) for t in table], dtype=np.int64)
    counts = np.array([len(t) for t in table], dtype=np.int64)
    pick = np.floor(rng.random(p.n) * counts[p.cancer_type]).astype(np.int64)
    codes_out = padded[p.cancer_type, pick]
    vocab.append(None)
    return vocab, np.where(rng.random(p.n) < 0.04, len(vocab) - 1, codes_out)


def cancer_diagnosis(rng: np.random.Generator, p: Patients, ids: PatientIds) -> pa.Table:
    """One row per patient: cancer type, initial and advanced diagnosis dates, stage, histology, smoking."""
    n = p.n
    smoking = np.where(p.is_smoker, 0, 1)
    u = rng.random(n)
    smoking = np.where(u < care.P_SMOKING_UNKNOWN, 2, np.where(u < care.P_SMOKING_UNKNOWN + 0.01, 3, smoking))
    hist_vocab, hist = _histology(rng, p)
    return _with_pidx(
        {
            "patient_id": ids.all(),
            "cancer_type": categorical(cat.CANCER_NAMES, p.cancer_type),
            "diagnosis_date": date_array(p.diagnosis_day),
            "group_stage": categorical(STAGES, _stages(rng, p)),
            "advanced_diagnosis_date": date_array(p.advanced_day, p.is_advanced),
            "histology": categorical(hist_vocab, hist),
            "smoking_status": categorical((*care.SMOKING_VALUES, None), smoking),
        },
        np.arange(n, dtype=np.int64),
    )


def mortality(p: Patients, ids: PatientIds, is_captured: BoolArray) -> pa.Table:
    """One row per captured death: the month of death only."""
    rows = np.flatnonzero(is_captured)
    return _with_pidx(
        {"patient_id": ids.take(rows), "death_month": month_strings(p.death_day[rows])},
        rows,
    )


def _unique_sorted(pidx: IntArray, day: IntArray, extra: IntArray | None = None) -> IntArray:
    key = pidx * (1 << 40) + (day + (1 << 20)) * (1 << 12) + (0 if extra is None else extra)
    _, first = np.unique(key, return_index=True)
    return first


def ecog(rng: np.random.Generator, p: Patients, ids: PatientIds) -> pa.Table:
    """ECOG assessments: a baseline at the advanced-diagnosis work-up (3 weeks before to 1 week after) for ~62% of
    advanced patients (published: ECOG unknown for 38% of NTRK- patients), then follow-ups."""
    n = p.n
    adv = p.is_advanced
    base = adv & (rng.random(n) < care.P_ECOG_AT_BASELINE)
    base_day = np.clip(p.advanced_day + rng.integers(-21, 8, n), p.diagnosis_day, p.last_activity_day)
    noise = np.where(rng.random(n) < 0.15, rng.choice(np.array([-1, 1]), n), 0)
    base_value = np.clip(p.ecog + noise, 0, 4)

    lo = np.where(adv, p.advanced_day + 60, p.diagnosis_day)
    span = p.last_activity_day - lo
    n_follow = np.where(span > 0, rng.poisson(np.where(adv, 1.5, 0.8)), 0)
    owner, _ = expand(n_follow)
    f_day = lo[owner] + np.floor(rng.random(len(owner)) * np.maximum(span[owner], 1)).astype(np.int64)
    f_value = np.where(adv[owner], p.ecog[owner] + (rng.random(len(owner)) < 0.3), np.minimum(p.ecog[owner], 1))

    b_rows = np.flatnonzero(base)
    pidx = np.concatenate([b_rows, owner])
    day = np.concatenate([base_day[b_rows], f_day])
    value = np.minimum(np.concatenate([base_value[b_rows], f_value]), 4)
    keep = _unique_sorted(pidx, day)
    return _with_pidx(
        {
            "patient_id": ids.take(pidx[keep]),
            "ecog_date": date_array(day[keep]),
            "ecog_value": pa.array(value[keep].astype(np.int32)),
        },
        pidx[keep],
    )


def _code_vocabulary() -> tuple[list[str], int, int]:
    vocab: list[str] = []
    for name in cat.CANCER_NAMES:
        vocab.extend(care.PRIMARY_CODES[name])
    mets_base = len(vocab) // 2
    for pair in care.METASTASIS_CODES:
        vocab.extend(pair)
    brain_base = len(vocab) // 2
    vocab.extend(care.BRAIN_METASTASIS_CODE)
    return vocab, mets_base, brain_base


def diagnosis_codes(rng: np.random.Generator, p: Patients, ids: PatientIds) -> pa.Table:
    """ICD-coded diagnoses: primary at diagnosis and follow-up, metastatic sites at the advanced diagnosis."""
    n = p.n
    vocab, mets_base, brain_base = _code_vocabulary()
    adv_rows = np.flatnonzero(p.is_advanced)
    n_mets = 1 + (rng.random(len(adv_rows)) < 0.35)
    m_owner, _ = expand(n_mets)
    m_pidx = adv_rows[m_owner]
    m_code = mets_base + choice_codes(rng, (0.35, 0.30, 0.20, 0.15), len(m_pidx))

    p_brain = cat.type_array("p_brain_mets")[p.cancer_type]
    brain_rows = np.flatnonzero(p.is_advanced & (rng.random(n) < p_brain))
    brain_span = np.maximum(p.last_activity_day[brain_rows] - p.advanced_day[brain_rows], 1)
    brain_day = p.advanced_day[brain_rows] + np.floor(rng.random(len(brain_rows)) * brain_span).astype(np.int64)

    n_rep = rng.poisson(2.0, n)
    r_owner, _ = expand(n_rep)
    r_span = np.maximum(p.last_activity_day[r_owner] - p.diagnosis_day[r_owner], 1)
    r_day = p.diagnosis_day[r_owner] + np.floor(rng.random(len(r_owner)) * r_span).astype(np.int64)

    everyone = np.arange(n, dtype=np.int64)
    pidx = np.concatenate([everyone, m_pidx, brain_rows, r_owner])
    day = np.concatenate([p.diagnosis_day, p.advanced_day[m_pidx], brain_day, r_day])
    base = np.concatenate(
        [p.cancer_type, m_code, np.full(len(brain_rows), brain_base, dtype=np.int64), p.cancer_type[r_owner]]
    )
    is_icd9 = day < day_number(care.ICD10_START)
    code = base * 2 + is_icd9
    keep = _unique_sorted(pidx, day, code)
    return _with_pidx(
        {
            "patient_id": ids.take(pidx[keep]),
            "diagnosis_date": date_array(day[keep]),
            "code_system": categorical(("ICD-10-CM", "ICD-9-CM"), is_icd9[keep].astype(np.int64)),
            "diagnosis_code": categorical(vocab, code[keep]),
        },
        pidx[keep],
    )
