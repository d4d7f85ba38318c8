"""The shipped OncoTree release and the cancer-type rule of the cBioPortal source: main type through the hierarchy,
haematological types told apart, codes and names in CANCER_TYPE, and the raw contract's vocabulary kept equal to the
tree's solid-tumour main types."""

from __future__ import annotations

import pytest

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.ingest.cbioportal.oncotree import TREE_FILE, VERSION, oncotree, parse_tree
from rwe_cohorts.ingest.cbioportal.vocab import NOT_SOLID, cancer_type

CGDB_COHORTS = {
    "NSCLC", "Colorectal", "Breast", "Pancreatic", "Prostate", "Ovarian", "Gastroesophageal", "Bladder", "Melanoma",
    "Head and neck", "Hepatocellular", "Renal cell", "Endometrial", "Cholangiocarcinoma", "Glioma", "Thyroid",
    "Salivary gland", "Soft tissue sarcoma", "Small cell lung", "Unknown primary",
}  # fmt: skip


def test_the_shipped_release_is_whole() -> None:
    tree = oncotree()
    assert tree.version == VERSION and TREE_FILE.name == f"{VERSION}.txt"
    assert (TREE_FILE.parent / "README.md").read_text().count("CC BY 4.0") == 1
    assert len(tree.nodes) == 1168
    parents = {n.parent for n in tree.nodes.values() if n.parent}
    assert parents <= set(tree.nodes)  # every parent is a node ("PMF" too, published as " PMF")
    assert tree.nodes["PMFPES"].parent == "PMF"


@pytest.mark.parametrize(
    ("code", "main_type"),
    [
        ("LUAD", "Non-Small Cell Lung Cancer"),
        ("MLUAD", "Non-Small Cell Lung Cancer"),
        ("GIST", "Gastrointestinal Stromal Tumor"),
        ("IHCH", "Hepatobiliary Cancer"),
        ("HNMASC", "Salivary Gland Cancer"),
        ("luad", "Non-Small Cell Lung Cancer"),
        ("LUNG", "Lung Cancer"),
        ("GBM", None),  # a retired code: not in this release
    ],
)
def test_main_type_of_a_code(code: str, main_type: str | None) -> None:
    assert oncotree().main_type_of(code) == main_type


def test_a_node_without_main_type_takes_its_ancestors() -> None:
    tree = parse_tree(
        "Code\tName\tMainType\tTissue\tParent\nTISSUE\tTissue\t\t\t\nLUNG\tLung\tLung Cancer\tTissue\tTISSUE\n"
        "XX\tUnassigned child\t\tLung\t LUNG\n",
        "test",
    )
    assert tree.main_type_of("XX") == "Lung Cancer" and tree.main_type_of("TISSUE") is None


@pytest.mark.parametrize("code", ["AML", "CLLSLL", "TLYM", "MLYM", "IDCS", "PCM"])
def test_haematological_codes(code: str) -> None:
    assert oncotree().is_haematological_code(code)


def test_solid_main_types_exclude_blood_cancers() -> None:
    solid = oncotree().solid_main_types()
    assert {"Soft Tissue Sarcoma", "Gastrointestinal Stromal Tumor", "Non-Small Cell Lung Cancer"} <= solid
    assert not {"Leukemia", "Mature B-Cell Neoplasms", "Hematopoietic Origin", "Non-Hodgkin Lymphoma"} & solid


@pytest.mark.parametrize(
    ("main", "detailed", "code", "expected"),
    [
        ("Gastrointestinal Stromal Tumor", None, "GIST", "Gastrointestinal Stromal Tumor"),  # its own stratum
        ("non-small cell lung cancer", None, None, "Non-Small Cell Lung Cancer"),  # any case
        ("Soft Tissue Sarcoma", "Infantile Fibrosarcoma", "IFS", "Soft Tissue Sarcoma"),  # CANCER_TYPE first
        (None, None, "IFS", "Infantile Fibrosarcoma"),  # the code's own main type in this release
        ("THPA", None, None, "Thyroid Cancer"),  # a code in CANCER_TYPE
        ("Breast Invasive Ductal Carcinoma", None, None, "Breast Cancer"),  # a node name in CANCER_TYPE
        ("Leukemia", "Acute Myeloid Leukemia", "AML", NOT_SOLID),
        ("Miscellaneous Brain Tumor", "Malignant Lymphoma", "MLYM", NOT_SOLID),
        ("GBM", None, None, None),  # retired code: unknown, and named in the notes
        ("Cancer of the Elbow", None, None, None),
    ],
)
def test_cancer_type_rule(main: str | None, detailed: str | None, code: str | None, expected: str | None) -> None:
    result = cancer_type(oncotree(), main, detailed, code, None)
    assert result.main_type == expected
    assert (result.unmapped is not None) == (expected is None)


def test_raw_contract_accepts_exactly_the_cgdb_cohorts_and_the_solid_main_types(
    raw_contracts: dict[str, Contract],
) -> None:
    accepted = raw_contracts["raw.cancer_diagnosis"].column("cancer_type").accepted_values
    assert accepted is not None and len(accepted) == len(set(accepted))
    assert set(accepted) == CGDB_COHORTS | oncotree().solid_main_types()
