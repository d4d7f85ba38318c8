"""Small hand-made cBioPortal study folders for the adapter's tests (written into tmp_path; no downloaded data).

One cohort of 16 patients, each a case the adapter must handle, in three structural-variant layouts (the newer
``data_sv.txt`` with ``Site2_Effect_On_Frame`` / ``Annotation`` / ``RNA_Support``, the older one with ``Event_Info``
and ``Comments``, and ``data_fusions.txt``), with the quirks of real downloads: a vertical tab inside a ``Comments``
field (older layout; a form feed inside an ``Annotation`` in the newer), ragged rows and Windows line endings, and on
request a study with only a current age (``age="current"``: ``CURRENT_AGE_DEID`` in the patient file, no age at
sequencing) or with OncoTree codes in ``CANCER_TYPE`` (``cancer_type_codes=True``, no ``ONCOTREE_CODE`` column).

====  ==========================================================  ========  ==============  =========
pt    case                                                        any_sv    named_partner   confirmed
====  ==========================================================  ========  ==============  =========
P01   ETV6-NTRK3, in frame, RNA-supported; Thyroid                 +         +               +
P02   NTRK1 at site 1, TPM3 at site 2 (reversed), frame unknown    +         +               -
P03   NTRK1 intragenic (both sites NTRK1)                          +         -               -
P04   NTRK2 antisense fusion with a named partner                  +         -               -
P05   NTRK3 out-of-frame fusion with a named partner               +         -               -
P06   EML4-ALK only (profiled, no NTRK event); age ">89"           -         -               -
P07   profiled, no event                                           -         -               -
P08   not in the SV case list, no event                            ?         ?               ?
P09   survival NA (no OS)                                          -         -               -
P10   two samples: S10A not profiled, S10B LMNA-NTRK1 in frame     +         +               +
P11   leukaemia (not a solid tumour)                               -         -               -
P12   no age anywhere: cannot be delivered                         (not delivered)
P13   DECEASED without OS_MONTHS                                   -         -               -
P14   in the SV case list but missing from the patient file        -         -               -
P15   patient without samples                                      (not delivered)
P16   S16A GIST, then S16B breast with ETV6-NTRK3: S16B not         -         -               -
      delivered (another cancer type), so P16 is a negative GIST
====  ==========================================================  ========  ==============  =========
"""

from __future__ import annotations

from pathlib import Path

STUDY_ID = "ntrk_test_2024"
PATIENT_HEADER = (
    "#Patient Identifier\tSex\tOverall Survival Status\tOverall Survival (Months)\tSmoking\tCustom\n"
    "#Patient identifier\tSex\tOS status\tOS months\tSmoking history\tA column the adapter does not know\n"
    "#STRING\tSTRING\tSTRING\tNUMBER\tSTRING\tSTRING\n"
    "#1\t1\t1\t1\t1\t1\n"
)
PATIENTS = [
    ("P01", "Female", "1:DECEASED", "12.5", "Never", "x"),
    ("P02", "Male", "0:LIVING", "30.0", "Former", "y"),
    ("P03", "Female", "1:DECEASED", "8", "NA", ""),
    ("P04", "Male", "0:LIVING", "24.2", "[Not Available]", "z"),
    ("P05", "Female", "DECEASED", "5.0", "Current", ""),
    ("P06", "Male", "0:LIVING", "18", "Unknown", ""),
    ("P07", "female", "0:LIVING", "15.1", "", ""),
    ("P08", "Male", "1:DECEASED", "3.3", "Never", ""),
    ("P09", "Female", "NA", "NA", "Never", ""),
    ("P10", "Male", "1:DECEASED", "20.0", "Former", ""),
    ("P11", "Female", "0:LIVING", "40", "Never", ""),
    ("P12", "Male", "0:LIVING", "10", "Never", ""),
    ("P13", "Female", "1:DECEASED", "", "Never", ""),
    ("P15", "Male", "0:LIVING", "12", "Never", ""),
    ("P16", "Female", "0:LIVING", "22", "Never", ""),
]
SAMPLE_HEADER = (
    "#Patient Identifier\tSample Identifier\tCancer Type\tCancer Type Detailed\tOncotree Code\tSample Type\tAge\n"
    "#Patient\tSample\tCancer type\tDetailed\tCode\tType\tAge at sequencing\n"
    "#STRING\tSTRING\tSTRING\tSTRING\tSTRING\tSTRING\tNUMBER\n"
    "#1\t1\t1\t1\t1\t1\t1\n"
)
SAMPLES = [
    ("P01", "S01", "Thyroid Cancer", "Papillary Thyroid Cancer", "THPA", "Primary", "45"),
    ("P02", "S02", "Non-Small Cell Lung Cancer", "Lung Adenocarcinoma", "LUAD", "Metastasis", "63.5"),
    ("P03", "S03", "Colorectal Cancer", "Colon Adenocarcinoma", "COAD", "Primary", "70"),
    ("P04", "S04", "Glioma", "Glioblastoma", "GBM", "Primary", "52"),
    ("P05", "S05", "Soft Tissue Sarcoma", "Infantile Fibrosarcoma", "IFS", "Primary", "38"),
    ("P06", "S06", "Non-Small Cell Lung Cancer", "Lung Adenocarcinoma", "LUAD", "Metastasis", ">89"),
    ("P07", "S07", "Breast Cancer", "Breast Invasive Ductal Carcinoma", "IDC", "cfDNA", "58"),
    ("P08", "S08", "Salivary Gland Cancer", "Mammary Analogue Secretory Carcinoma", "HNMASC", "Primary", "49"),
    ("P09", "S09", "Bone Cancer", "Osteosarcoma", "OS", "Primary", "33"),
    ("P10", "S10A", "Thyroid Cancer", "Papillary Thyroid Cancer", "THPA", "Primary", "61"),
    ("P10", "S10B", "Thyroid Cancer", "Papillary Thyroid Cancer", "THPA", "Metastasis", "62"),
    ("P11", "S11", "Leukemia", "Acute Myeloid Leukemia", "AML", "Primary", "44"),
    ("P12", "S12", "Pancreatic Cancer", "Pancreatic Adenocarcinoma", "PAAD", "Primary", "NA"),
    ("P13", "S13", "Hepatobiliary Cancer", "Intrahepatic Cholangiocarcinoma", "IHCH", "Primary", "66"),
    ("P14", "S14", "Melanoma", "Cutaneous Melanoma", "SKCM", "Metastasis", "57"),
    ("P16", "S16A", "Gastrointestinal Stromal Tumor", "Gastrointestinal Stromal Tumor", "GIST", "Primary", "55"),
    ("P16", "S16B", "Breast Cancer", "Breast Invasive Ductal Carcinoma", "IDC", "Metastasis", "55"),
]
SV_PROFILED = ["S01", "S02", "S03", "S04", "S05", "S06", "S07", "S09", "S10B", "S11", "S12", "S13", "S14"]
SV_PROFILED += ["S16A", "S16B"]

# (sample, site1, site2, frame, rna, annotation / event text, class)
EVENTS_NEW = [
    ("S01", "ETV6", "NTRK3", "In_frame", "Yes", "ETV6 (NM_001987) - NTRK3 (NM_001012338) fusion", "TRANSLOCATION"),
    ("S02", "NTRK1", "TPM3", "NA", "No", "NTRK1-TPM3 rearrangement", "TRANSLOCATION"),
    ("S03", "NTRK1", "NTRK1", "NA", "No", "NTRK1 (NM_002529) exon 10-12 deletion", "DELETION"),
    ("S04", "SQSTM1", "NTRK2", "NA", "No", "SQSTM1-NTRK2 antisense fusion", "INVERSION"),
    ("S05", "NTRK3", "BTBD1", "Frameshift", "No", "BTBD1 (NM_025238) - NTRK3 (NM_001012338) fusion", "TRANSLOCATION"),
    ("S06", "EML4", "ALK", "In_frame", "Yes", "EML4 (NM_019063) - ALK (NM_004304) fusion", "INVERSION"),
    ("S10B", "LMNA", "NTRK1", "In_frame", "No", "LMNA (NM_170707) - NTRK1 (NM_002529) fusion", "DELETION"),
    ("S16B", "ETV6", "NTRK3", "In_frame", "Yes", "ETV6-NTRK3 fusion\x0cnote", "TRANSLOCATION"),
]
# (sample, site1, site2, event info, class, comments); S02's comment holds a vertical tab, as in a real download.
EVENTS_OLD = [
    ("S01", "ETV6", "NTRK3", "Protein fusion: in frame (ETV6-NTRK3)", "TRANSLOCATION", ""),
    (
        "S02",
        "NTRK1",
        "TPM3",
        "NTRK1-TPM3 fusion",
        "TRANSLOCATION",
        "Note:\x0bIts functional significance is undetermined.",
    ),
    ("S03", "NTRK1", "", "NTRK1-intragenic", "DELETION", ""),
    ("S04", "SQSTM1", "NTRK2", "Antisense fusion", "INVERSION", ""),
    ("S05", "NTRK3", "BTBD1", "Protein fusion: out of frame (BTBD1-NTRK3)", "TRANSLOCATION", ""),
    ("S06", "EML4", "ALK", "Protein fusion: in frame (EML4-ALK)", "INVERSION", ""),
    ("S10B", "LMNA", "NTRK1", "Protein fusion: in frame (LMNA-NTRK1)", "DELETION", ""),
    ("S16B", "ETV6", "NTRK3", "Protein fusion: in frame (ETV6-NTRK3)", "TRANSLOCATION", ""),
]
# data_fusions.txt: one row per gene; (gene, sample, Fusion text, RNA_support, Frame)
FUSION_ROWS = [
    ("ETV6", "S01", "ETV6-NTRK3 fusion", "yes", "in frame"),
    ("NTRK3", "S01", "ETV6-NTRK3 fusion", "yes", "in frame"),
    ("NTRK1", "S02", "TPM3-NTRK1 fusion", "no", "unknown"),
    ("TPM3", "S02", "TPM3-NTRK1 fusion", "no", "unknown"),
    ("NTRK1", "S03", "NTRK1-intragenic", "no", ""),
    ("SQSTM1", "S04", "SQSTM1-NTRK2 antisense fusion", "no", ""),
    ("NTRK2", "S04", "SQSTM1-NTRK2 antisense fusion", "no", ""),
    ("NTRK3", "S05", "BTBD1-NTRK3 fusion", "no", "frameshift"),
    ("BTBD1", "S05", "BTBD1-NTRK3 fusion", "no", "frameshift"),
    ("EML4", "S06", "EML4-ALK fusion - Archer", "unknown", "in frame"),
    ("ALK", "S06", "EML4-ALK fusion - Archer", "unknown", "in frame"),
    ("LMNA", "S10B", "LMNA-NTRK1 fusion", "no", "in frame"),
    ("NTRK1", "S10B", "LMNA-NTRK1 fusion", "no", "in frame"),
    ("ETV6", "S16B", "ETV6-NTRK3 fusion", "yes", "in frame"),
    ("NTRK3", "S16B", "ETV6-NTRK3 fusion", "yes", "in frame"),
]
EXPECTED_PATIENTS = {
    "any_sv": {"positive": 6, "negative": 7, "unknown": 1},
    "named_partner": {"positive": 3, "negative": 10, "unknown": 1},
    "confirmed": {"positive": 2, "negative": 11, "unknown": 1},
}
DAYS_PER_MONTH = 30.4375


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _tsv(rows: list[tuple[str, ...]]) -> str:
    return "".join("\t".join(r) + "\n" for r in rows)


def current_age(age_at_sequencing: str, os_months: str) -> str:
    """The current age (at first sequencing + OS) a study without an age at sequencing would publish."""
    if age_at_sequencing.startswith((">", "<")) or age_at_sequencing == "NA" or os_months in ("", "NA"):
        return age_at_sequencing if os_months not in ("", "NA") else "NA"
    return f"{float(age_at_sequencing) + float(os_months) * DAYS_PER_MONTH / 365.25:.2f}"


def write_study(
    folder: Path,
    *,
    layout: str = "sv_new",
    header_lines: bool = True,
    timeline: bool = False,
    case_lists: bool = True,
    age: str = "sequencing",
    cancer_type_codes: bool = False,
) -> Path:
    """Write the study into ``folder`` (``layout``: ``sv_new``, ``sv_old`` or ``fusions``; ``age``: ``sequencing``
    or ``current``) and return it."""
    _write(
        folder / "meta_study.txt",
        f"type_of_cancer: mixed\ncancer_study_identifier: {STUDY_ID}\nname: NTRK test study\n"
        "description: Hand-made for tests\nadd_global_case_list: true\n",
    )
    header = ("PATIENT_ID", "SEX", "OS_STATUS", "OS_MONTHS", "SMOKING_HISTORY", "MY_CUSTOM_FIELD")
    ages: dict[str, str] = {}
    for pid, *_rest, value in SAMPLES:
        ages.setdefault(pid, value)  # the first sample's age (the first sequenced: no timeline, ties by sample id)
    if age == "current":
        patient_rows = [(*header, "CURRENT_AGE_DEID")]
        patient_rows += [(*p, current_age(ages.get(p[0], "NA"), p[3])) for p in PATIENTS]
        patient_header = "".join(line + "\tCurrent age\n" for line in PATIENT_HEADER.splitlines())
    else:
        patient_rows, patient_header = [header, *PATIENTS], PATIENT_HEADER
    text = _tsv(patient_rows)
    # A ragged row (trailing empty fields dropped by an editor) and Windows line endings: both must be read.
    text = text.replace("P06\tMale\t0:LIVING\t18\tUnknown\t\n", "P06\tMale\t0:LIVING\t18\tUnknown\n")
    _write(folder / "data_clinical_patient.txt", (patient_header if header_lines else "") + text.replace("\n", "\r\n"))
    columns = ["PATIENT_ID", "SAMPLE_ID", "CANCER_TYPE", "CANCER_TYPE_DETAILED", "ONCOTREE_CODE", "SAMPLE_TYPE"]
    columns.append("AGE_AT_SEQ_REPORT")
    rows = [list(r) for r in SAMPLES]
    meta = [line.split("\t") for line in SAMPLE_HEADER.splitlines()]
    drop = ({"ONCOTREE_CODE"} if cancer_type_codes else set()) | ({"AGE_AT_SEQ_REPORT"} if age == "current" else set())
    if cancer_type_codes:
        for r in rows:
            r[2] = r[4]  # the code where the main type should be
    keep = [i for i, c in enumerate(columns) if c not in drop]
    sample_text = _tsv([tuple(columns[i] for i in keep), *(tuple(r[i] for i in keep) for r in rows)])
    sample_header = "".join("\t".join(m[i] for i in keep) + "\n" for m in meta)
    _write(folder / "data_clinical_sample.txt", (sample_header if header_lines else "") + sample_text)
    if layout == "sv_new":
        header = ("Sample_Id", "SV_Status", "Site1_Hugo_Symbol", "Site2_Hugo_Symbol", "Site2_Effect_On_Frame")
        header += ("RNA_Support", "Annotation", "Class")
        rows = [(s, "SOMATIC", a, b, f, r, t, c) for s, a, b, f, r, t, c in EVENTS_NEW]
        _write(folder / "data_sv.txt", _tsv([header, *rows]))
        _write(
            folder / "meta_sv.txt",
            "genetic_alteration_type: STRUCTURAL_VARIANT\ndatatype: SV\ndata_filename: data_sv.txt\n",
        )
    elif layout == "sv_old":
        header = ("Sample_Id", "SV_Status", "Site1_Hugo_Symbol", "Site2_Hugo_Symbol", "Event_Info", "Class")
        header += ("Comments",)
        rows = [(s, "SOMATIC", a, b, e, c, m) for s, a, b, e, c, m in EVENTS_OLD]
        _write(folder / "data_sv.txt", _tsv([header, *rows]))
    else:
        header = ("Hugo_Symbol", "Entrez_Gene_Id", "Center", "Tumor_Sample_Barcode", "Fusion", "DNA_support")
        header += ("RNA_support", "Method", "Frame")
        rows = [(g, "0", "TEST", s, f, "yes", r, "NA", fr) for g, s, f, r, fr in FUSION_ROWS]
        _write(folder / "data_fusions.txt", _tsv([header, *rows]))
    if case_lists:
        suffix, ids = ("_sequenced", SV_PROFILED) if layout == "fusions" else ("_sv", SV_PROFILED)
        _write(
            folder / "case_lists" / f"cases{suffix}.txt",
            f"cancer_study_identifier: {STUDY_ID}\nstable_id: {STUDY_ID}{suffix}\ncase_list_name: Profiled\n"
            f"case_list_description: profiled samples\ncase_list_ids: {chr(9).join(ids)}\n",
        )
        _write(
            folder / "case_lists" / "cases_all.txt",
            f"cancer_study_identifier: {STUDY_ID}\nstable_id: {STUDY_ID}_all\ncase_list_name: All\n"
            f"case_list_description: all\ncase_list_ids: {chr(9).join(s[1] for s in SAMPLES)}\n",
        )
    if timeline:
        write_timeline(folder)
    return folder


def write_timeline(folder: Path, *, diagnosis_for_all: bool = False) -> None:
    """P01: diagnosis day 0, sequenced day 50, carboplatin days 10-40, larotrectinib from day 60. P10: diagnosis day
    0, S10A sequenced day 100, S10B day 300. With ``diagnosis_for_all``, every patient gets a diagnosis (day -90)
    and a sequencing event (day 0) too."""
    rows = [
        ("PATIENT_ID", "START_DATE", "STOP_DATE", "EVENT_TYPE", "SAMPLE_ID", "AGENT", "SUBTYPE"),
        ("P01", "0", "", "DIAGNOSIS", "", "", "Primary"),
        ("P01", "50", "", "SEQUENCING", "S01", "", ""),
        ("P01", "10", "40", "TREATMENT", "", "CARBOPLATIN", "Chemo"),
        ("P01", "10", "40", "TREATMENT", "", "PEMETREXED", "Chemo"),
        ("P01", "60", "", "TREATMENT", "", "LAROTRECTINIB", "Targeted"),
        ("P10", "0", "", "STATUS", "", "", "Diagnosis of primary"),
        ("P10", "100", "", "SEQUENCING", "S10A", "", ""),
        ("P10", "300", "", "SEQUENCING", "S10B", "", ""),
        ("P10", "280", "", "SPECIMEN", "S10B", "", ""),
    ]
    if diagnosis_for_all:
        for pid, sid, *_ in SAMPLES:
            if pid not in {"P01", "P10"}:
                rows += [(pid, "-90", "", "DIAGNOSIS", "", "", ""), (pid, "0", "", "SEQUENCING", sid, "", "")]
    _write(folder / "data_timeline.txt", _tsv(rows))
    _write(
        folder / "meta_timeline.txt",
        f"cancer_study_identifier: {STUDY_ID}\ngenetic_alteration_type: CLINICAL\ndatatype: TIMELINE\n"
        "data_filename: data_timeline.txt\n",
    )


RANDOM_TYPES = (
    ("Thyroid Cancer", 0.04),
    ("Soft Tissue Sarcoma", 0.03),
    ("Salivary Gland Cancer", 0.04),
    ("Non-Small Cell Lung Cancer", 0.005),
    ("Colorectal Cancer", 0.005),
)


def write_random_study(folder: Path, *, n_patients: int = 600, seed: int = 7, unknown_sex: int = 0) -> Path:
    """A larger seeded study (newer SV layout, no '#' lines) for running matching and survival end to end; the first
    ``unknown_sex`` patients have sex ``Unknown`` (a rare covariate level, as in MSK-IMPACT studies)."""
    import random

    rng = random.Random(seed)
    patients = [("PATIENT_ID", "SEX", "OS_STATUS", "OS_MONTHS")]
    samples = [("PATIENT_ID", "SAMPLE_ID", "CANCER_TYPE", "SAMPLE_TYPE", "AGE_AT_SEQ_REPORT")]
    events = [("Sample_Id", "Site1_Hugo_Symbol", "Site2_Hugo_Symbol", "Site2_Effect_On_Frame", "RNA_Support")]
    profiled = []
    for i in range(1, n_patients + 1):
        pid, sid = f"R{i:04d}", f"R{i:04d}-T01"
        cancer, rate = RANDOM_TYPES[i % len(RANDOM_TYPES)]
        months = min(120.0, rng.expovariate(1 / 24))
        status = "1:DECEASED" if rng.random() < 0.6 else "0:LIVING"
        sex = rng.choice(["Female", "Male"])
        patients.append((pid, "Unknown" if i <= unknown_sex else sex, status, f"{months:.2f}"))
        samples.append((pid, sid, cancer, rng.choice(["Primary", "Metastasis"]), str(rng.randint(20, 85))))
        if rng.random() < 0.9:
            profiled.append(sid)
            if rng.random() < rate:
                partner = rng.choice(["ETV6", "TPM3", "LMNA", "TPR"])
                ntrk = "NTRK3" if partner == "ETV6" else "NTRK1"
                pair = (partner, ntrk) if rng.random() < 0.5 else (ntrk, partner)
                events.append((sid, *pair, "In_frame", "Yes"))
            elif rng.random() < 0.05:
                events.append((sid, "EML4", "ALK", "In_frame", "No"))
    _write(folder / "meta_study.txt", "type_of_cancer: mixed\ncancer_study_identifier: random_2024\nname: Random\n")
    _write(folder / "data_clinical_patient.txt", _tsv(patients))
    _write(folder / "data_clinical_sample.txt", _tsv(samples))
    _write(folder / "data_sv.txt", _tsv(events))
    _write(
        folder / "case_lists" / "cases_sv.txt",
        f"cancer_study_identifier: random_2024\nstable_id: random_2024_sv\ncase_list_ids: {chr(9).join(profiled)}\n",
    )
    return folder
