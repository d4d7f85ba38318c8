"""Clinical catalogue of the synthetic CGDB: cancer types and their planted per-type parameters.

Every number here is a generating parameter (recorded in ``truth/truth.json``). Shares follow the rough make-up of
the Flatiron-Foundation Medicine clinico-genomic database (NSCLC about a quarter, then colorectal, breast, ...).
NTRK fusion prevalences follow the FoundationCORE pan-tumour survey (Westphalen et al., npj Precis Oncol 2021):
a few per cent in salivary gland and thyroid carcinomas, about 1% in soft-tissue sarcoma, 0.1-0.3% elsewhere;
they are multiplied by ``NTRK_PREVALENCE_SCALE`` so that the study's eligible pool holds about 28 NTRK+ patients.
``log_hazard`` is the cancer-type term of the planted proportional-hazards model for death after the advanced
diagnosis (reference NSCLC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class CancerType:
    """Planted parameters of one cancer type (probabilities are per patient)."""

    name: str
    share: float
    ntrk_percent: float
    log_hazard: float
    p_female: float
    age_mean: float
    p_young: float
    p_smoker: float
    p_de_novo: float
    p_brain_mets: float


CANCER_TYPES: tuple[CancerType, ...] = (
    CancerType("NSCLC", 0.270, 0.12, 0.00, 0.48, 67.0, 0.0005, 0.85, 0.55, 0.25),
    CancerType("Colorectal", 0.120, 0.20, -0.35, 0.45, 61.0, 0.001, 0.45, 0.25, 0.04),
    CancerType("Breast", 0.100, 0.10, -0.55, 0.99, 57.0, 0.0005, 0.35, 0.10, 0.12),
    CancerType("Pancreatic", 0.060, 0.15, 0.55, 0.47, 66.0, 0.0005, 0.50, 0.55, 0.02),
    CancerType("Prostate", 0.050, 0.05, -0.60, 0.00, 68.0, 0.0, 0.45, 0.30, 0.02),
    CancerType("Ovarian", 0.050, 0.10, -0.35, 1.00, 62.0, 0.001, 0.30, 0.40, 0.02),
    CancerType("Gastroesophageal", 0.040, 0.10, 0.25, 0.25, 63.0, 0.0005, 0.55, 0.45, 0.03),
    CancerType("Bladder", 0.035, 0.10, 0.10, 0.25, 69.0, 0.0, 0.65, 0.30, 0.03),
    CancerType("Melanoma", 0.025, 0.30, -0.35, 0.35, 63.0, 0.002, 0.40, 0.20, 0.25),
    CancerType("Head and neck", 0.025, 0.20, 0.00, 0.25, 62.0, 0.002, 0.70, 0.25, 0.02),
    CancerType("Hepatocellular", 0.015, 0.10, 0.30, 0.25, 64.0, 0.002, 0.60, 0.40, 0.01),
    CancerType("Renal cell", 0.020, 0.10, -0.45, 0.30, 63.0, 0.002, 0.50, 0.35, 0.08),
    CancerType("Endometrial", 0.030, 0.20, -0.15, 1.00, 64.0, 0.0, 0.30, 0.20, 0.02),
    CancerType("Cholangiocarcinoma", 0.030, 0.20, 0.25, 0.50, 63.0, 0.001, 0.40, 0.45, 0.01),
    CancerType("Glioma", 0.020, 0.50, 0.15, 0.42, 55.0, 0.03, 0.35, 0.00, 0.00),
    CancerType("Thyroid", 0.008, 4.00, -0.45, 0.55, 55.0, 0.01, 0.30, 0.25, 0.05),
    CancerType("Salivary gland", 0.004, 4.00, -0.35, 0.45, 58.0, 0.01, 0.30, 0.20, 0.05),
    CancerType("Soft tissue sarcoma", 0.030, 0.80, -0.15, 0.50, 55.0, 0.06, 0.30, 0.25, 0.03),
    CancerType("Small cell lung", 0.015, 0.05, 0.45, 0.50, 66.0, 0.0, 0.95, 0.65, 0.35),
    CancerType("Unknown primary", 0.053, 0.25, 0.35, 0.50, 65.0, 0.001, 0.55, 0.95, 0.05),
)

CANCER_NAMES: tuple[str, ...] = tuple(c.name for c in CANCER_TYPES)
N_TYPES = len(CANCER_TYPES)
TYPE_INDEX: dict[str, int] = {name: i for i, name in enumerate(CANCER_NAMES)}

NTRK_PREVALENCE_SCALE = 1.07
"""Multiplier on the published per-type NTRK prevalences (calibrated: about 28 eligible NTRK+ at 58,001 patients)."""

# Planted proportional-hazards model (time in months from the advanced diagnosis; Weibull baseline).
WEIBULL_SHAPE = 1.4
WEIBULL_SCALE_MONTHS = 16.9
LOG_HAZARD_AGE_PER_YEAR = 0.015  # per year above 65 at the advanced diagnosis
LOG_HAZARD_ECOG: tuple[float, ...] = (0.0, 0.35, 0.85, 1.40, 1.90)
LOG_HAZARD_SMOKER = 0.15
LOG_HAZARD_DE_NOVO = 0.10  # stage IV at initial diagnosis versus recurrent disease
ECOG_SHARES: tuple[float, ...] = (0.35, 0.45, 0.14, 0.05, 0.01)
ECOG_SHARES_NTRK: tuple[float, ...] = (0.45, 0.43, 0.09, 0.03, 0.0)
NTRK_AGE_SHIFT = -2.5
"""NTRK+ patients are younger and fitter (published: age >= 65 39% vs 50%, ECOG 2-4 7% vs 12%)."""
AGE_SD = 11.0
AGE_REFERENCE = 65.0

# Patients never reaching an advanced diagnosis: exponential survival from the initial diagnosis.
P_NEVER_ADVANCED = 0.47
NON_ADVANCED_MEDIAN_YEARS = 15.0

# Sequencing delay: report before the advanced diagnosis for a share of recurrent patients, else a log-normal delay.
P_REPORT_BEFORE_ADVANCED = 0.06
P_REPORT_BEFORE_ADVANCED_NTRK = 0.45
PRE_REPORT_WINDOW_DAYS = 120
"""A report before the advanced diagnosis is on the biopsy of the recurrence: at most this many days before."""
"""An NTRK fusion is often found by diagnostic sequencing at the initial diagnosis (the fusion defines secretory
carcinoma, infantile fibrosarcoma and other histologies), other patients are mostly sequenced once advanced
(published: 13 of 28 NTRK+ but 19 of 280 matched NTRK- at risk at t = 0); the same within a cancer type, so exact
matching on the type does not carry the NTRK+ pattern over to the comparators."""
DELAY_MEDIAN_DAYS = 50.0
DELAY_MEDIAN_DAYS_NTRK = 270.0
"""NTRK+ patients not sequenced at the recurrence biopsy are sequenced later in the advanced course (comprehensive
profiling ordered once standard therapy fails, for tumour types without a standard target): the published NTRK+
numbers at risk keep rising through month 6 (13, 14, 16) while the comparators' jump from 19 to 110 by month 3. The
propensity model's linear term in the time from advanced diagnosis to report then balances its mean, not its
shape: about half of NTRK+ enter at t = 0, few of the comparators, as published."""
DELAY_LOG_SD = 0.8

# Follow-up and death capture.
P_LEAVES_NETWORK = 0.12
P_DEATH_CAPTURED = 0.90

# Advanced-diagnosis calendar: relative weight per year (the window 2011-2019 holds most of the mass).
ADVANCED_YEAR_WEIGHTS: dict[int, float] = {
    2009: 0.025,
    2010: 0.035,
    2011: 0.05,
    2012: 0.06,
    2013: 0.07,
    2014: 0.085,
    2015: 0.095,
    2016: 0.105,
    2017: 0.115,
    2018: 0.12,
    2019: 0.12,
    2020: 0.10,
    2021: 0.10,
}


def type_array(attribute: str) -> npt.NDArray[np.float64]:
    """One planted attribute of every cancer type, in ``CANCER_NAMES`` order."""
    return np.array([float(getattr(c, attribute)) for c in CANCER_TYPES], dtype=np.float64)


def report_before_advanced_probabilities(is_ntrk: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Probability that a recurrent patient's first report precedes the advanced diagnosis, per patient."""
    return np.where(is_ntrk, P_REPORT_BEFORE_ADVANCED_NTRK, P_REPORT_BEFORE_ADVANCED)


def delay_median_days(is_ntrk: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Median delay (days) from the advanced diagnosis to the first report of a patient sequenced after it."""
    return np.where(is_ntrk, DELAY_MEDIAN_DAYS_NTRK, DELAY_MEDIAN_DAYS)


def type_shares() -> npt.NDArray[np.float64]:
    """Cancer-type shares normalised to sum to one."""
    shares = type_array("share")
    return shares / shares.sum()


def ntrk_probabilities() -> npt.NDArray[np.float64]:
    """Planted probability of a true NTRK fusion per cancer type."""
    return type_array("ntrk_percent") / 100.0 * NTRK_PREVALENCE_SCALE
