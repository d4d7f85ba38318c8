"""cBioPortal clinical values mapped to the raw delivery's vocabulary (data_contracts/raw).

Every mapping is a small table here, case-insensitive; a value that does not map becomes the contract's "unknown"
(or null where the contract allows it), never a guess. Columns are looked up under their usual aliases, sample
attributes before patient attributes where both exist.

Cancer type: cBioPortal's ``CANCER_TYPE`` is an OncoTree main type. Types with a CGDB disease-cohort equivalent map
to it (``Non-Small Cell Lung Cancer`` -> ``NSCLC``, ...; ``Hepatobiliary Cancer`` is split into ``Hepatocellular`` and
``Cholangiocarcinoma`` by ``CANCER_TYPE_DETAILED`` / ``ONCOTREE_CODE``); other solid tumours become ``Other solid
tumour`` with the source's own type kept in ``histology``; haematological cancers are not solid tumours (no
``cancer_diagnosis`` row: removed at the first attrition step). Without ``CANCER_TYPE``, ``ONCOTREE_CODE`` and then
the study's ``type_of_cancer`` are tried with a code table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

Row = Mapping[str, str | None]

OTHER_SOLID = "Other solid tumour"
NOT_SOLID = "not a solid tumour"

AGE_AT_SEQUENCING = ("AGE_AT_SEQ_REPORT", "AGE_AT_SEQUENCING", "AGE_AT_SEQ_REPORTED_YEARS", "AGE_AT_SAMPLE_COLLECTION")
AGE_AT_DIAGNOSIS = ("AGE_AT_DIAGNOSIS", "AGE_AT_DX", "AGE", "DIAGNOSIS_AGE", "AGE_AT_INITIAL_DIAGNOSIS")
SEX = ("SEX", "GENDER")
RACE = ("RACE", "RACE_CATEGORY")
ETHNICITY = ("ETHNICITY", "ETHNICITY_CATEGORY")
SMOKING = ("SMOKING_HISTORY", "SMOKING_STATUS", "SMOKING", "TOBACCO_SMOKING_HISTORY_INDICATOR")
STAGE = ("STAGE", "AJCC_PATHOLOGIC_TUMOR_STAGE", "PATH_STAGE", "CLINICAL_STAGE", "STAGE_AT_DIAGNOSIS", "TUMOR_STAGE")
SAMPLE_TYPE = ("SAMPLE_TYPE", "SAMPLE_CLASS", "SPECIMEN_TYPE")
CANCER_TYPE = ("CANCER_TYPE",)
CANCER_TYPE_DETAILED = ("CANCER_TYPE_DETAILED", "ONCOTREE_CODE")
USED_COLUMNS = frozenset(
    {"PATIENT_ID", "SAMPLE_ID", "OS_STATUS", "OS_MONTHS", "ONCOTREE_CODE"}
    | {c for group in (AGE_AT_SEQUENCING, AGE_AT_DIAGNOSIS, SEX, RACE, ETHNICITY, SMOKING, STAGE) for c in group}
    | {c for group in (SAMPLE_TYPE, CANCER_TYPE, CANCER_TYPE_DETAILED) for c in group}
)

_MAIN_TYPES = {
    "non-small cell lung cancer": "NSCLC",
    "small cell lung cancer": "Small cell lung",
    "colorectal cancer": "Colorectal",
    "breast cancer": "Breast",
    "breast carcinoma": "Breast",
    "pancreatic cancer": "Pancreatic",
    "prostate cancer": "Prostate",
    "ovarian cancer": "Ovarian",
    "esophagogastric cancer": "Gastroesophageal",
    "bladder cancer": "Bladder",
    "bladder/urinary tract cancer": "Bladder",
    "melanoma": "Melanoma",
    "head and neck cancer": "Head and neck",
    "renal cell carcinoma": "Renal cell",
    "endometrial cancer": "Endometrial",
    "glioma": "Glioma",
    "thyroid cancer": "Thyroid",
    "salivary gland cancer": "Salivary gland",
    "soft tissue sarcoma": "Soft tissue sarcoma",
    "cancer of unknown primary": "Unknown primary",
}
_CODES = {
    "nsclc": "NSCLC", "luad": "NSCLC", "lusc": "NSCLC", "sclc": "Small cell lung",
    "coadread": "Colorectal", "coad": "Colorectal", "read": "Colorectal", "brca": "Breast", "paad": "Pancreatic",
    "prad": "Prostate", "ov": "Ovarian", "hgsoc": "Ovarian", "stad": "Gastroesophageal", "esca": "Gastroesophageal",
    "egc": "Gastroesophageal", "blca": "Bladder", "skcm": "Melanoma", "mel": "Melanoma", "hnsc": "Head and neck",
    "lihc": "Hepatocellular", "hcc": "Hepatocellular", "chol": "Cholangiocarcinoma", "ihch": "Cholangiocarcinoma",
    "ehch": "Cholangiocarcinoma", "phch": "Cholangiocarcinoma", "ccrcc": "Renal cell", "kirc": "Renal cell",
    "kirp": "Renal cell", "rcc": "Renal cell", "ucec": "Endometrial", "gbm": "Glioma", "lgg": "Glioma",
    "difg": "Glioma", "thca": "Thyroid", "thpa": "Thyroid", "sarc": "Soft tissue sarcoma", "cup": "Unknown primary",
    "acyc": "Salivary gland", "sacc": "Salivary gland", "masc": "Salivary gland",
}  # fmt: skip
_NOT_SOLID = re.compile(
    r"leuka?emia|lymphoma|myeloma|myelodysplas|myeloprolif|b-cell|t-cell|nk-cell|histiocyt|lymphoid|myeloid|"
    r"plasma cell|mastocytosis|blood cancer"
)
_RACE = {
    "white": "White", "caucasian": "White", "black": "Black or African American",
    "black or african american": "Black or African American", "african american": "Black or African American",
    "asian": "Asian", "asian-far east/indian subcont": "Asian", "other": "Other Race", "other race": "Other Race",
    "native american": "Other Race", "american indian or alaska native": "Other Race",
    "native hawaiian or other pacific islander": "Other Race", "pacific islander": "Other Race",
}  # fmt: skip
_ETHNICITY = {
    "hispanic or latino": "Hispanic or Latino", "hispanic": "Hispanic or Latino",
    "spanish nos; hispanic nos, latino nos": "Hispanic or Latino", "not hispanic or latino": "Not Hispanic or Latino",
    "non-hispanic": "Not Hispanic or Latino", "non-spanish; non-hispanic": "Not Hispanic or Latino",
}  # fmt: skip
_STAGES = frozenset(
    f"Stage {s}" for s in ("I", "IA", "IB", "II", "IIA", "IIB", "III", "IIIA", "IIIB", "IIIC", "IV", "IVA", "IVB")
)
_ARABIC = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def lookup(rows: tuple[Row, ...], aliases: tuple[str, ...]) -> str | None:
    """The first non-missing value of any alias, rows in order (e.g. sample row, then patient row)."""
    for row in rows:
        for alias in aliases:
            if (value := row.get(alias)) is not None:
                return value
    return None


def has_any(columns: tuple[str, ...], aliases: tuple[str, ...]) -> bool:
    return any(a in columns for a in aliases)


def cancer_type(main: str | None, detailed: str | None, code: str | None, study_code: str | None) -> str | None:
    """CGDB cohort, ``Other solid tumour``, ``not a solid tumour`` (NOT_SOLID) or None (unknown)."""
    text = " ".join(t for t in (main, detailed) if t).lower()
    if text and _NOT_SOLID.search(text):
        return NOT_SOLID
    if main:
        key = main.strip().lower()
        if key == "hepatobiliary cancer":
            detail = f"{detailed or ''} {code or ''}".lower()
            if "hepatocellular" in detail or re.search(r"\bhcc\b", detail):
                return "Hepatocellular"
            if "cholangio" in detail or re.search(r"\b(ihch|ehch|phch|chol)\b", detail):
                return "Cholangiocarcinoma"
            return OTHER_SOLID
        return _MAIN_TYPES.get(key, OTHER_SOLID)
    for candidate in (code, study_code):
        if candidate and candidate.strip().lower() in _CODES:
            return _CODES[candidate.strip().lower()]
    return None


def sex(value: str | None) -> str | None:
    v = (value or "").strip().lower()
    return "F" if v in {"female", "f", "woman"} else "M" if v in {"male", "m", "man"} else None


def race(value: str | None) -> str | None:
    return _RACE.get((value or "").strip().lower())


def ethnicity(value: str | None) -> str | None:
    return _ETHNICITY.get((value or "").strip().lower())


def smoking(value: str | None, column_present: bool) -> str | None:
    """``History of smoking`` / ``No history of smoking`` / ``Unknown/not documented``; None without the column."""
    if not column_present:
        return None
    v = (value or "").strip().lower()
    if re.search(r"\bnever\b|non-?smoker|lifelong non", v) or v in {"no", "none"}:
        return "No history of smoking"
    if re.search(r"former|current|ever|smoker|prev|yes|reformed", v):
        return "History of smoking"
    return "Unknown/not documented"


def group_stage(value: str | None, column_present: bool) -> str | None:
    """An AJCC group stage from the contract's list (sub-stages it lacks fall back to the main stage)."""
    if not column_present:
        return None
    v = (value or "").strip().upper().replace("STAGE", "").strip()
    match = re.fullmatch(r"(IV|III|II|I|[1-4])([ABC]?)[0-9]?", v)
    if not match:
        return "Group stage is not reported"
    roman = _ARABIC.get(match.group(1), match.group(1))
    exact = f"Stage {roman}{match.group(2)}"
    return exact if exact in _STAGES else f"Stage {roman}"


def specimen_type(value: str | None) -> str:
    """``Blood`` for liquid biopsies (cfDNA, plasma, blood), else ``Tissue``."""
    return "Blood" if re.search(r"cfdna|plasma|blood|liquid", (value or "").lower()) else "Tissue"


def age_years(value: str | None) -> float | None:
    """Age in years; de-identified forms ``<18`` and ``>89`` / ``90+`` become 17 and 90. ValueError when not an age."""
    if value is None:
        return None
    v = value.strip().replace(" ", "")
    if match := re.fullmatch(r"<=?(\d+(?:\.\d+)?)", v):
        return float(match.group(1)) - 1
    if match := re.fullmatch(r"(?:>=?(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\+)", v):
        number = float(match.group(1) or match.group(2))
        return number + 1 if v.startswith(">") and "=" not in v else number
    age = float(v)
    if not 0 <= age <= 120:
        raise ValueError(f"age {value!r} out of range")
    return age


def os_status(value: str | None) -> bool | None:
    """True for death, False for alive, None when missing. ``1:DECEASED`` / ``0:LIVING`` and plain words accepted;
    ValueError for anything else."""
    if value is None:
        return None
    v = value.strip().lower()
    code = v.partition(":")[0]
    if code in {"1", "0"}:
        return code == "1"
    if v in {"deceased", "dead", "died", "1"}:
        return True
    if v in {"living", "alive", "0"}:
        return False
    raise ValueError(value)
