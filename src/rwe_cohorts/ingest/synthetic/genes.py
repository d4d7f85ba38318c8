"""Genomic catalogue: panel versions and their gene coverage, NTRK fusion partners, drivers and passengers.

Planted facts:

* Panels change over time. ``T5a`` (FoundationOne, to mid-2013) baits NTRK1 but not NTRK2/NTRK3 introns and lacks
  some genes; ``T7`` (FoundationOne, 2013-2017) adds NTRK2 baits; ``D2`` (FoundationOne CDx, 2017 on) baits all
  three; the liquid panels ``FL1`` (70 genes) and ``FLCDx`` bait fewer rearrangements; ``H3`` (FoundationOne Heme,
  used for some sarcomas) baits all NTRK genes. A true fusion in an unbaited gene is not reported ("not tested").
* Canonical drivers (KRAS, EGFR, ALK, ROS1, BRAF, ERBB2, MET, RET) at realistic per-cancer frequencies, at most one
  per patient, and rarely together with an NTRK fusion (``NTRK_DRIVER_FACTOR``).
* Passenger alterations (TP53, CDKN2A, PIK3CA, ...) at a few per report; never a driver or NTRK gene.
"""

from __future__ import annotations

from dataclasses import dataclass


def _symbols(text: str) -> list[str]:
    """Gene symbols from a whitespace-separated block."""
    return text.split()


ALL_GENES: tuple[str, ...] = tuple(
    _symbols(
        """
    ABL1 AKT1 AKT2 AKT3 ALK APC AR ARAF ARID1A ARID1B ARID2 ATM ATR ATRX AURKA AXL BAP1 BARD1 BCL2 BCOR BCR BRAF BRCA1
    BRCA2 BRD4 BRIP1 BTK CCND1 CCND2 CCND3 CCNE1 CD274 CD74 CDH1 CDK12 CDK4 CDK6 CDKN1A CDKN1B CDKN2A CDKN2B CDKN2C
    CHEK1 CHEK2 CIC CREBBP CRKL CTCF CTNNB1 DDR2 DNMT3A EGFR EP300 EPHA3 ERBB2 ERBB3 ERBB4 ERG ESR1 ETV4 ETV5 ETV6
    EWSR1 EZH2 FBXW7 FGF19 FGF3 FGF4 FGFR1 FGFR2 FGFR3 FGFR4 FLT3 FOXL2 GATA3 GNA11 GNAQ GNAS HGF HRAS IDH1 IDH2
    IGF1R JAK1 JAK2 KDM6A KDR KEAP1 KIT KMT2A KMT2C KMT2D KRAS MAP2K1 MAP2K2 MAP3K1 MCL1 MDM2 MDM4 MET MLH1 MSH2 MSH6
    MTAP MTOR MYB MYC MYCL MYCN NF1 NF2 NFE2L2 NOTCH1 NOTCH2 NOTCH3 NRAS NTRK1 NTRK2 NTRK3 PALB2 PBRM1 PDGFRA PDGFRB
    PIK3CA PIK3R1 PMS2 POLE PTCH1 PTEN PTPN11 RAD51 RAF1 RB1 RBM10 RET RICTOR RNF43 ROS1 RUNX1 SDHA SETD2 SF3B1
    SMAD2 SMAD4 SMARCA4 SMARCB1 SMO SOX2 SPOP STAG2 STK11 TERT TET2 TMPRSS2 TP53 TSC1 TSC2 VHL WT1 ZFHX3
    """
    )
)

_LIQUID_70 = frozenset(
    _symbols(
        """
    AKT1 ALK APC AR ARAF ATM BRAF BRCA1 BRCA2 CCND1 CCND2 CCNE1 CDH1 CDK4 CDK6 CDKN2A CDKN2B CTNNB1 EGFR ERBB2 ESR1
    EZH2 FBXW7 FGFR1 FGFR2 FGFR3 GATA3 GNA11 GNAQ GNAS HRAS IDH1 IDH2 JAK2 KIT KRAS MAP2K1 MAP2K2 MET MLH1 MPL MYC
    NF1 NPM1 NRAS NTRK1 PDGFRA PIK3CA PTEN PTPN11 RAF1 RB1 RET RHEB RHOA RIT1 ROS1 SMAD4 SMO SRC STK11 TERT TP53
    TSC1 VHL
    """
    )
)
_T5A_MISSING = frozenset(_symbols("RICTOR RBM10 ZFHX3 CDK12 KDM6A STAG2 SF3B1 PBRM1 MTAP CD274 POLE EPHA3"))
_T7_MISSING = frozenset(_symbols("ZFHX3 MTAP POLE"))
_HEME_MISSING = frozenset(_symbols("ESR1 AR SPOP FOXL2 TMPRSS2 RNF43"))

_BAITS_BASE = frozenset(_symbols("ALK BRAF EGFR ETV6 EWSR1 FGFR1 FGFR2 FGFR3 MYC RET ROS1 TMPRSS2"))


@dataclass(frozen=True)
class Panel:
    """One bait set: the assays using it, the genes covered and the introns baited for rearrangements."""

    version: str
    genes: frozenset[str]
    baited: frozenset[str]


PANELS: tuple[Panel, ...] = (
    Panel("T5a", frozenset(ALL_GENES) - _T5A_MISSING, _BAITS_BASE | {"NTRK1"}),
    Panel("T7", frozenset(ALL_GENES) - _T7_MISSING, _BAITS_BASE | {"NTRK1", "NTRK2", "BCR", "KMT2A", "PDGFRA"}),
    Panel(
        "D2",
        frozenset(ALL_GENES),
        _BAITS_BASE | {"NTRK1", "NTRK2", "NTRK3", "BCR", "BCL2", "KMT2A", "PDGFRA", "RAF1", "CD74", "MYB", "TERT"},
    ),
    Panel("FL1", _LIQUID_70 & frozenset(ALL_GENES), frozenset(_symbols("ALK EGFR FGFR2 FGFR3 NTRK1 PDGFRA RET ROS1"))),
    Panel(
        "FLCDx",
        frozenset(ALL_GENES),
        frozenset(_symbols("ALK BRCA1 BRCA2 EGFR ETV6 FGFR2 FGFR3 MET NTRK1 NTRK3 PDGFRA RET ROS1")),
    ),
    Panel(
        "H3",
        frozenset(ALL_GENES) - _HEME_MISSING,
        _BAITS_BASE | {"NTRK1", "NTRK2", "NTRK3", "BCR", "BCL2", "KMT2A", "PDGFRA", "RAF1", "CD74", "MYB"},
    ),
)
PANEL_VERSIONS: tuple[str, ...] = tuple(p.version for p in PANELS)
PANEL_INDEX: dict[str, int] = {v: i for i, v in enumerate(PANEL_VERSIONS)}
GENE_INDEX: dict[str, int] = {g: i for i, g in enumerate(ALL_GENES)}

ASSAYS: tuple[str, ...] = (
    "FoundationOne",
    "FoundationOne CDx",
    "FoundationOne Heme",
    "FoundationOne Liquid",
    "FoundationOne Liquid CDx",
)
PANEL_ASSAY: dict[str, str] = {
    "T5a": "FoundationOne",
    "T7": "FoundationOne",
    "D2": "FoundationOne CDx",
    "FL1": "FoundationOne Liquid",
    "FLCDx": "FoundationOne Liquid CDx",
    "H3": "FoundationOne Heme",
}

# NTRK fusions: gene mix per cancer group and partner mix per gene (weights).
NTRK_GENES: tuple[str, ...] = ("NTRK1", "NTRK2", "NTRK3")
NTRK_GENE_WEIGHTS_ETV6_TYPES = (0.25, 0.05, 0.70)  # thyroid, salivary, sarcoma, breast
NTRK_GENE_WEIGHTS_GLIOMA = (0.20, 0.60, 0.20)
NTRK_GENE_WEIGHTS_OTHER = (0.60, 0.10, 0.30)
ETV6_TYPES: tuple[str, ...] = ("Thyroid", "Salivary gland", "Soft tissue sarcoma", "Breast")
NTRK_PARTNERS: dict[str, tuple[tuple[str, float], ...]] = {
    "NTRK1": (
        ("TPM3", 0.30),
        ("LMNA", 0.20),
        ("TPR", 0.12),
        ("IRF2BP2", 0.10),
        ("SQSTM1", 0.10),
        ("CD74", 0.08),
        ("PLEKHA6", 0.05),
        ("PRDX1", 0.05),
    ),
    "NTRK2": (("QKI", 0.30), ("AGBL4", 0.20), ("TRIM24", 0.20), ("NACC2", 0.15), ("KANK1", 0.15)),
    "NTRK3": (("ETV6", 0.80), ("EML4", 0.10), ("RBPMS", 0.05), ("VIM", 0.05)),
}
P_BLOOD_DETECTS = 0.70
"""Sensitivity of a liquid biopsy for a fusion or driver present in the tumour."""

# Canonical drivers: (gene, alteration_type, details, fusion partner or "").
DRIVERS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("KRAS", "short variant", ("G12C", "G12D", "G12V", "G13D", "Q61H"), ""),
    ("EGFR", "short variant", ("L858R", "exon 19 deletion", "T790M"), ""),
    ("ALK", "rearrangement", ("EML4-ALK fusion",), "EML4"),
    ("ROS1", "rearrangement", ("CD74-ROS1 fusion",), "CD74"),
    ("BRAF", "short variant", ("V600E", "V600K", "G469A"), ""),
    ("ERBB2", "copy number alteration", ("amplification",), ""),
    ("MET", "short variant", ("exon 14 splice site", "amplification"), ""),
    ("RET", "rearrangement", ("KIF5B-RET fusion",), "KIF5B"),
)
DRIVER_GENES: tuple[str, ...] = tuple(d[0] for d in DRIVERS)
NTRK_DRIVER_FACTOR = 0.20
"""Driver probabilities are multiplied by this for NTRK+ patients (near mutual exclusivity, ~2 of 28)."""

# Per-cancer driver probabilities (absent type/gene: 0).
DRIVER_FREQUENCIES: dict[str, dict[str, float]] = {
    "NSCLC": {
        "KRAS": 0.28,
        "EGFR": 0.13,
        "ALK": 0.04,
        "ROS1": 0.015,
        "BRAF": 0.04,
        "ERBB2": 0.03,
        "MET": 0.035,
        "RET": 0.015,
    },
    "Colorectal": {"KRAS": 0.45, "BRAF": 0.09, "ERBB2": 0.03},
    "Breast": {"ERBB2": 0.15, "KRAS": 0.01},
    "Pancreatic": {"KRAS": 0.88, "BRAF": 0.02},
    "Gastroesophageal": {"ERBB2": 0.15, "KRAS": 0.05, "MET": 0.03},
    "Bladder": {"ERBB2": 0.08, "KRAS": 0.04},
    "Melanoma": {"BRAF": 0.45, "KRAS": 0.02},
    "Cholangiocarcinoma": {"KRAS": 0.15, "BRAF": 0.05, "ERBB2": 0.04},
    "Thyroid": {"BRAF": 0.45, "RET": 0.08, "KRAS": 0.03},
    "Endometrial": {"KRAS": 0.15, "ERBB2": 0.03},
    "Ovarian": {"KRAS": 0.08, "BRAF": 0.03},
    "Unknown primary": {"KRAS": 0.15, "BRAF": 0.03, "ERBB2": 0.03},
    "Glioma": {"BRAF": 0.03, "MET": 0.02},
    "Head and neck": {"KRAS": 0.02},
    "Small cell lung": {"KRAS": 0.02},
    "Soft tissue sarcoma": {"KRAS": 0.01},
    "Hepatocellular": {"MET": 0.02},
    "Salivary gland": {"ERBB2": 0.05},
}

# Passenger genes: (gene, alteration_type, details, weight). Type-specific boosts multiply the weight.
PASSENGERS: tuple[tuple[str, str, tuple[str, ...], float], ...] = (
    ("TP53", "short variant", ("R175H", "R248Q", "R273H", "Y220C", "splice site"), 10.0),
    ("CDKN2A", "copy number alteration", ("loss",), 4.0),
    ("CDKN2B", "copy number alteration", ("loss",), 2.5),
    ("MTAP", "copy number alteration", ("loss",), 1.5),
    ("PIK3CA", "short variant", ("E545K", "H1047R", "E542K"), 3.0),
    ("APC", "short variant", ("R1450*", "E1309fs*4", "truncation"), 1.0),
    ("SMAD4", "short variant", ("R361H", "loss"), 1.2),
    ("ARID1A", "short variant", ("Q586*", "truncation"), 1.5),
    ("PTEN", "short variant", ("R130*", "loss"), 1.2),
    ("RB1", "short variant", ("truncation", "loss"), 1.0),
    ("KMT2D", "short variant", ("truncation",), 1.5),
    ("KMT2C", "short variant", ("truncation",), 1.2),
    ("ATM", "short variant", ("truncation",), 1.0),
    ("BRCA2", "short variant", ("truncation",), 0.7),
    ("BRCA1", "short variant", ("truncation",), 0.5),
    ("NF1", "short variant", ("truncation",), 0.8),
    ("STK11", "short variant", ("truncation", "loss"), 0.8),
    ("KEAP1", "short variant", ("G333C", "truncation"), 0.6),
    ("MYC", "copy number alteration", ("amplification",), 1.2),
    ("CCND1", "copy number alteration", ("amplification",), 0.8),
    ("MDM2", "copy number alteration", ("amplification",), 0.6),
    ("CDK4", "copy number alteration", ("amplification",), 0.5),
    ("FGFR1", "copy number alteration", ("amplification",), 0.6),
    ("TERT", "short variant", ("promoter -124C>T", "promoter -146C>T"), 1.5),
    ("CTNNB1", "short variant", ("S45F", "T41A"), 0.5),
    ("ATRX", "short variant", ("truncation",), 0.6),
    ("SETD2", "short variant", ("truncation",), 0.6),
    ("NOTCH1", "short variant", ("truncation",), 0.5),
    ("SMARCA4", "short variant", ("truncation",), 0.6),
    ("FBXW7", "short variant", ("R465C", "R505G"), 0.5),
    ("GNAS", "short variant", ("R201H",), 0.3),
    ("IDH1", "short variant", ("R132H", "R132C"), 0.4),
    ("RNF43", "short variant", ("G659fs*41",), 0.4),
    ("AR", "copy number alteration", ("amplification",), 0.3),
    ("SPOP", "short variant", ("F133V",), 0.2),
    ("VHL", "short variant", ("truncation",), 0.3),
    ("PBRM1", "short variant", ("truncation",), 0.3),
    ("ESR1", "short variant", ("D538G", "Y537S"), 0.2),
    ("GATA3", "short variant", ("truncation",), 0.3),
    ("NRAS", "short variant", ("Q61R", "Q61K"), 0.4),
)
PASSENGER_BOOSTS: dict[str, dict[str, float]] = {
    "Colorectal": {"APC": 12.0, "SMAD4": 3.0, "FBXW7": 3.0, "RNF43": 3.0},
    "Breast": {"PIK3CA": 3.0, "GATA3": 8.0, "ESR1": 10.0, "CCND1": 3.0},
    "Prostate": {"AR": 15.0, "SPOP": 15.0, "PTEN": 3.0},
    "Renal cell": {"VHL": 25.0, "PBRM1": 20.0, "SETD2": 5.0},
    "Glioma": {"IDH1": 15.0, "ATRX": 6.0, "TERT": 3.0},
    "Melanoma": {"NRAS": 12.0, "TERT": 4.0, "NF1": 3.0},
    "NSCLC": {"STK11": 4.0, "KEAP1": 4.0},
    "Endometrial": {"PTEN": 6.0, "PIK3CA": 2.0, "CTNNB1": 4.0, "ARID1A": 3.0},
    "Cholangiocarcinoma": {"IDH1": 8.0},
    "Soft tissue sarcoma": {"MDM2": 10.0, "CDK4": 10.0, "RB1": 2.0},
    "Thyroid": {"TERT": 3.0, "TP53": 0.3},
}
PASSENGER_MEAN_PER_REPORT = 4.2
P_PASSENGER_FUNCTIONAL = 0.75
