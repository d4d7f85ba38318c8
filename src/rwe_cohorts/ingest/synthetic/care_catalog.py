"""Care catalogue: regimens per cancer type and line, targeted therapies, ICD codes, demographic vocabularies.

Regimens are lower-case generic drug names, comma separated (the Flatiron ``LineName`` convention). TRK inhibitors
(larotrectinib, entrectinib) are only given to NTRK+ patients after a fusion-positive report and from mid-2017.
ICD-10-CM codes are used from 2015-10-01, ICD-9-CM before.
"""

from __future__ import annotations

FIRST_LINE: dict[str, tuple[str, ...]] = {
    "NSCLC": (
        "carboplatin,pemetrexed,pembrolizumab",
        "pembrolizumab",
        "carboplatin,paclitaxel",
        "carboplatin,pemetrexed",
        "carboplatin,paclitaxel,bevacizumab",
        "cisplatin,pemetrexed",
    ),
    "Colorectal": (
        "fluorouracil,leucovorin,oxaliplatin,bevacizumab",
        "fluorouracil,leucovorin,irinotecan",
        "capecitabine,oxaliplatin",
        "fluorouracil,leucovorin,oxaliplatin,cetuximab",
    ),
    "Breast": ("letrozole,palbociclib", "anastrozole", "paclitaxel", "capecitabine", "fulvestrant,palbociclib"),
    "Pancreatic": ("fluorouracil,irinotecan,leucovorin,oxaliplatin", "gemcitabine,nab-paclitaxel", "gemcitabine"),
    "Prostate": ("leuprolide", "abiraterone,leuprolide", "enzalutamide,leuprolide", "docetaxel,leuprolide"),
    "Ovarian": ("carboplatin,paclitaxel", "carboplatin,paclitaxel,bevacizumab", "carboplatin,gemcitabine"),
    "Gastroesophageal": ("fluorouracil,leucovorin,oxaliplatin", "capecitabine,oxaliplatin", "carboplatin,paclitaxel"),
    "Bladder": ("cisplatin,gemcitabine", "carboplatin,gemcitabine", "pembrolizumab", "atezolizumab"),
    "Melanoma": ("nivolumab", "pembrolizumab", "ipilimumab,nivolumab"),
    "Head and neck": ("carboplatin,fluorouracil,pembrolizumab", "pembrolizumab", "carboplatin,cetuximab,fluorouracil"),
    "Hepatocellular": ("sorafenib", "lenvatinib", "atezolizumab,bevacizumab"),
    "Renal cell": ("sunitinib", "pazopanib", "ipilimumab,nivolumab", "axitinib,pembrolizumab"),
    "Endometrial": ("carboplatin,paclitaxel", "lenvatinib,pembrolizumab"),
    "Cholangiocarcinoma": ("cisplatin,gemcitabine", "gemcitabine", "capecitabine"),
    "Glioma": ("temozolomide", "bevacizumab", "lomustine"),
    "Thyroid": ("lenvatinib", "sorafenib", "radioactive iodine"),
    "Salivary gland": ("carboplatin,paclitaxel", "cisplatin,doxorubicin,cyclophosphamide", "pembrolizumab"),
    "Soft tissue sarcoma": ("doxorubicin", "doxorubicin,ifosfamide", "docetaxel,gemcitabine", "doxorubicin,olaratumab"),
    "Small cell lung": ("carboplatin,etoposide", "carboplatin,etoposide,atezolizumab", "cisplatin,etoposide"),
    "Unknown primary": ("carboplatin,paclitaxel", "cisplatin,gemcitabine", "carboplatin,etoposide"),
}

LATER_LINE: dict[str, tuple[str, ...]] = {
    "NSCLC": ("docetaxel", "docetaxel,ramucirumab", "nivolumab", "gemcitabine", "pemetrexed", "atezolizumab"),
    "Colorectal": (
        "regorafenib",
        "trifluridine,tipiracil",
        "fluorouracil,irinotecan,leucovorin,panitumumab",
        "capecitabine",
    ),
    "Breast": ("eribulin", "capecitabine", "everolimus,exemestane", "gemcitabine", "paclitaxel"),
    "Pancreatic": ("gemcitabine,nab-paclitaxel", "fluorouracil,leucovorin,liposomal irinotecan", "capecitabine"),
    "Prostate": ("enzalutamide", "abiraterone", "cabazitaxel", "docetaxel", "radium-223"),
    "Ovarian": ("olaparib", "niraparib", "liposomal doxorubicin", "gemcitabine", "topotecan"),
    "Gastroesophageal": ("paclitaxel,ramucirumab", "irinotecan", "nivolumab", "trifluridine,tipiracil"),
    "Bladder": ("pembrolizumab", "enfortumab vedotin", "docetaxel", "paclitaxel"),
    "Melanoma": ("ipilimumab", "carboplatin,paclitaxel", "dacarbazine"),
    "Head and neck": ("nivolumab", "cetuximab", "docetaxel", "methotrexate"),
    "Hepatocellular": ("regorafenib", "cabozantinib", "nivolumab"),
    "Renal cell": ("cabozantinib", "nivolumab", "everolimus", "axitinib"),
    "Endometrial": ("doxorubicin", "paclitaxel", "pembrolizumab", "megestrol"),
    "Cholangiocarcinoma": ("fluorouracil,leucovorin,oxaliplatin", "capecitabine", "pemigatinib", "ivosidenib"),
    "Glioma": ("lomustine", "bevacizumab", "carboplatin", "irinotecan,bevacizumab"),
    "Thyroid": ("sorafenib", "cabozantinib", "pembrolizumab"),
    "Salivary gland": ("docetaxel", "trastuzumab", "cyclophosphamide,doxorubicin"),
    "Soft tissue sarcoma": ("trabectedin", "eribulin", "pazopanib", "dacarbazine,gemcitabine"),
    "Small cell lung": ("topotecan", "nivolumab", "lurbinectedin", "irinotecan"),
    "Unknown primary": ("docetaxel", "gemcitabine", "nivolumab", "capecitabine"),
}

TARGETED_FIRST_LINE: dict[str, str] = {
    "EGFR": "osimertinib",
    "ALK": "alectinib",
    "ROS1": "crizotinib",
    "RET": "selpercatinib",
}
P_TARGETED_FIRST_LINE = 0.65
TRK_INHIBITORS: tuple[str, ...] = ("larotrectinib", "entrectinib")
P_TRK_INHIBITOR = 0.70
"""P(an NTRK+ patient with a fusion-positive report and a later line from mid-2017 gets a TRK inhibitor)."""
TRK_ERA_START = "2017-06-01"

ICD10_START = "2015-10-01"
PRIMARY_CODES: dict[str, tuple[str, str]] = {
    "NSCLC": ("C34.90", "162.9"),
    "Colorectal": ("C18.9", "153.9"),
    "Breast": ("C50.919", "174.9"),
    "Pancreatic": ("C25.9", "157.9"),
    "Prostate": ("C61", "185"),
    "Ovarian": ("C56.9", "183.0"),
    "Gastroesophageal": ("C16.9", "151.9"),
    "Bladder": ("C67.9", "188.9"),
    "Melanoma": ("C43.9", "172.9"),
    "Head and neck": ("C76.0", "195.0"),
    "Hepatocellular": ("C22.0", "155.0"),
    "Renal cell": ("C64.9", "189.0"),
    "Endometrial": ("C54.1", "182.0"),
    "Cholangiocarcinoma": ("C22.1", "155.1"),
    "Glioma": ("C71.9", "191.9"),
    "Thyroid": ("C73", "193"),
    "Salivary gland": ("C08.9", "142.9"),
    "Soft tissue sarcoma": ("C49.9", "171.9"),
    "Small cell lung": ("C34.90", "162.9"),
    "Unknown primary": ("C80.1", "199.1"),
}
METASTASIS_CODES: tuple[tuple[str, str], ...] = (
    ("C78.7", "197.7"),  # liver
    ("C79.51", "198.5"),  # bone
    ("C78.00", "197.0"),  # lung
    ("C77.9", "196.9"),  # lymph nodes
)
BRAIN_METASTASIS_CODE: tuple[str, str] = ("C79.31", "198.3")

RACES: tuple[tuple[str | None, float], ...] = (
    ("White", 0.62),
    ("Black or African American", 0.09),
    ("Asian", 0.03),
    ("Other Race", 0.13),
    ("Hispanic or Latino", 0.01),
    (None, 0.12),
)
ETHNICITIES: tuple[tuple[str | None, float], ...] = (
    ("Hispanic or Latino", 0.06),
    ("Not Hispanic or Latino", 0.56),
    (None, 0.38),
)
STATES: tuple[tuple[str | None, float], ...] = (
    ("CA", 0.09),
    ("TX", 0.09),
    ("FL", 0.08),
    ("NY", 0.07),
    ("PA", 0.05),
    ("IL", 0.04),
    ("OH", 0.04),
    ("GA", 0.04),
    ("NC", 0.04),
    ("MI", 0.03),
    ("NJ", 0.04),
    ("VA", 0.03),
    ("WA", 0.03),
    ("AZ", 0.03),
    ("TN", 0.03),
    ("MA", 0.02),
    ("IN", 0.02),
    ("MO", 0.02),
    ("MD", 0.03),
    ("CO", 0.02),
    ("OR", 0.02),
    ("SC", 0.02),
    ("AL", 0.02),
    ("KY", 0.02),
    ("OK", 0.02),
    ("KS", 0.01),
    ("NV", 0.01),
    ("NM", 0.01),
    ("UT", 0.01),
    (None, 0.08),
)
N_PRACTICES = 280
N_ACADEMIC_PRACTICES = 30
P_ACADEMIC = 0.20
P_SECOND_PRACTICE = 0.10
VISIT_TYPES: tuple[str, ...] = ("Office visit", "Infusion", "Telemedicine", "Lab")
SMOKING_VALUES: tuple[str, ...] = ("History of smoking", "No history of smoking", "Unknown/not documented")
P_SMOKING_UNKNOWN = 0.05
P_ECOG_AT_BASELINE = 0.62
