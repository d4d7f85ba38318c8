"""cBioPortal clinical values mapped to the raw delivery's vocabulary (data_contracts/raw).

Every mapping is a small table here, case-insensitive; a value that does not map becomes the contract's "unknown"
(or null where the contract allows it), never a guess. Columns are looked up under their usual aliases, sample
attributes before patient attributes where both exist.

Cancer type (:func:`cancer_type`): the OncoTree main type (:mod:`.oncotree`, the shipped tree), from
``CANCER_TYPE`` when it is a main type of the tree, else from ``ONCOTREE_CODE`` through the hierarchy, else from
``CANCER_TYPE`` holding a code or a node name, else from the study's ``type_of_cancer`` code. Haematological types are
not solid tumours (no ``cancer_diagnosis`` row: removed at the first attrition step); a value that matches nothing in
the tree is an unknown cancer type (counted, and named in the notes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rwe_cohorts.ingest.cbioportal.oncotree import OncoTree

Row = Mapping[str, str | None]

NOT_SOLID = "not a solid tumour"

AGE_AT_SEQUENCING = ("AGE_AT_SEQ_REPORT", "AGE_AT_SEQUENCING", "AGE_AT_SEQ_REPORTED_YEARS", "AGE_AT_SAMPLE_COLLECTION")
AGE_AT_DIAGNOSIS = ("AGE_AT_DIAGNOSIS", "AGE_AT_DX", "AGE", "DIAGNOSIS_AGE", "AGE_AT_INITIAL_DIAGNOSIS")
CURRENT_AGE = ("CURRENT_AGE_DEID", "CURRENT_AGE", "AGE_CURRENT", "AGE_AT_LAST_FOLLOWUP")
SEX = ("SEX", "GENDER")
RACE = ("RACE", "RACE_CATEGORY")
ETHNICITY = ("ETHNICITY", "ETHNICITY_CATEGORY")
SMOKING = ("SMOKING_HISTORY", "SMOKING_STATUS", "SMOKING", "TOBACCO_SMOKING_HISTORY_INDICATOR")
STAGE = ("STAGE", "AJCC_PATHOLOGIC_TUMOR_STAGE", "PATH_STAGE", "CLINICAL_STAGE", "STAGE_AT_DIAGNOSIS", "TUMOR_STAGE")
SAMPLE_TYPE = ("SAMPLE_TYPE", "SAMPLE_CLASS", "SPECIMEN_TYPE")
CANCER_TYPE = ("CANCER_TYPE",)
CANCER_TYPE_DETAILED = ("CANCER_TYPE_DETAILED",)
ONCOTREE_CODE = ("ONCOTREE_CODE",)
USED_COLUMNS = frozenset(
    {"PATIENT_ID", "SAMPLE_ID", "OS_STATUS", "OS_MONTHS"}
    | {c for group in (AGE_AT_SEQUENCING, AGE_AT_DIAGNOSIS, CURRENT_AGE, SEX, RACE, ETHNICITY, SMOKING) for c in group}
    | {c for group in (STAGE, SAMPLE_TYPE, CANCER_TYPE, CANCER_TYPE_DETAILED, ONCOTREE_CODE) for c in group}
)

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


@dataclass(frozen=True)
class CancerType:
    """A sample's cancer type: the OncoTree main type (or NOT_SOLID, or None when unknown), its histology (the
    detailed type or the code's name) and the source value that did not map (for the notes)."""

    main_type: str | None
    histology: str | None
    unmapped: str | None = None


def cancer_type(
    tree: OncoTree, main: str | None, detailed: str | None, code: str | None, study_code: str | None
) -> CancerType:
    """The cancer type of a sample under the rule in the module docstring."""
    node = tree.node(code)
    histology = detailed or (node.name if node is not None else None) or main
    named = tree.main_type_named(main)
    if named is not None:
        haem_detail = (
            tree.is_haematological_code(code) if node is not None else bool(_NOT_SOLID.search((detailed or "").lower()))
        )
        solid = not tree.is_haematological_main_type(named) and not haem_detail
        return CancerType(named if solid else NOT_SOLID, histology)
    for candidate in (code, main, study_code):
        if candidate and tree.node(candidate) is not None:
            mapped = tree.main_type_of(candidate)
            solid = not tree.is_haematological_code(candidate)
            return CancerType(mapped if solid else NOT_SOLID, histology or tree.nodes[candidate.strip().upper()].name)
    by_name = tree.main_type_of_name(main) or tree.main_type_of_name(detailed)
    if by_name is not None:
        return CancerType(by_name if not tree.is_haematological_main_type(by_name) else NOT_SOLID, histology)
    text = " ".join(t for t in (main, detailed) if t).lower()
    if text and _NOT_SOLID.search(text):
        return CancerType(NOT_SOLID, histology)
    return CancerType(None, histology, main or code)


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


def sample_type(value: str | None) -> str | None:
    """``Primary`` / ``Metastasis`` from cBioPortal's ``SAMPLE_TYPE`` (``Primary Tumor``, ``Metastatic``, ``Mets``
    ...); anything else (``Local Recurrence``, ``cfDNA``, ``Unknown``) is not recorded (None)."""
    v = (value or "").strip().lower()
    if re.fullmatch(r"primary( tumou?r)?( site)?", v):
        return "Primary"
    if re.fullmatch(r"metasta(sis|ses|tic)( tumou?r)?( site)?|mets?", v):
        return "Metastasis"
    return None


def specimen_type(value: str | None) -> str:
    """``Blood`` for liquid biopsies (cfDNA, plasma, blood), else ``Tissue``."""
    return "Blood" if re.search(r"cfdna|plasma|blood|liquid", (value or "").lower()) else "Tissue"


def age_years(value: str | None) -> float | None:
    """Age in years; de-identified forms ``<18`` and ``>89`` / ``90+`` become 17 and 90 (``<=17`` 17, ``>=90`` 90).
    ValueError when not an age."""
    if value is None:
        return None
    v = value.strip().replace(" ", "")
    if match := re.fullmatch(r"<(=?)(\d+(?:\.\d+)?)", v):
        return float(match.group(2)) - (0 if match.group(1) else 1)
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
