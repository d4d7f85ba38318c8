"""The small hand-made ``raw`` database the data-quality tests (``test_quality*.py``) validate: one table per raw
contract, six patients, following every contract, so it passes every check and a planted fault fails only the check
meant for it; and the helpers that build it and validate one of its relations.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import polars as pl

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.quality import GXContext, RelationValidation, validate_relation
from rwe_cohorts.quality.derived import quote_ident

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = load_contracts(ROOT / "data_contracts", "raw")
P = [f"F{i:012X}" for i in range(1, 7)]  # six patients
D = dt.date

RAW: dict[str, dict[str, list[object]]] = {
    "raw.demographics": {
        "patient_id": P,
        "birth_year": [1950, 1961, 1972, 1948, 1980, 1955],
        "gender": ["F", "M", "F", None, "M", "F"],
        "race": ["White", "Asian", None, "Other Race", "White", "Black or African American"],
        "ethnicity": ["Not Hispanic or Latino"] * 5 + [None],
        "state": ["CA", "NY", None, "TX", "MA", "WA"],
    },
    "raw.cancer_diagnosis": {
        "patient_id": P,
        "cancer_type": ["NSCLC", "Colorectal", "Thyroid", "Breast", "Salivary gland", "NSCLC"],
        "diagnosis_date": [D(2015, 1, 5), D(2016, 3, 1), D(2017, 6, 9), D(2014, 2, 2), D(2018, 8, 8), D(2019, 1, 1)],
        "group_stage": ["Stage IV", "Stage IIIB", None, "Stage IIA", "Group stage is not reported", "Stage IVA"],
        "advanced_diagnosis_date": [D(2015, 1, 5), D(2016, 9, 1), None, D(2015, 2, 2), D(2018, 9, 8), D(2019, 1, 1)],
        "histology": ["Adenocarcinoma", None, "Papillary", None, None, "Squamous"],
        "smoking_status": ["History of smoking", "No history of smoking", None, "Unknown/not documented"] + [None] * 2,
    },
    "raw.diagnosis_codes": {
        "patient_id": [P[0], P[0], P[1]],
        "diagnosis_date": [D(2015, 1, 5), D(2015, 2, 5), D(2010, 3, 1)],
        "code_system": ["ICD-10-CM", "ICD-10-CM", "ICD-9-CM"],
        "diagnosis_code": ["C34.90", "C79.31", "153.9"],
    },
    "raw.ecog": {
        "patient_id": [P[0], P[0], P[2]],
        "ecog_date": [D(2015, 1, 5), D(2015, 3, 5), D(2017, 7, 1)],
        "ecog_value": [1, 2, 0],
    },
    "raw.genomic_reports": {
        "report_id": ["ORD-000000001-01", "ORD-000000002-01", "ORD-000000003-01", "ORD-000000003-02"],
        "patient_id": [P[0], P[1], P[2], P[2]],
        "sample_id": ["SA-000000001", "SA-000000002", "SA-000000003", "SA-000000004"],
        "specimen_collected_date": [D(2015, 1, 20), None, D(2017, 6, 1), D(2018, 1, 1)],
        "report_date": [D(2015, 2, 1), D(2016, 4, 1), D(2017, 6, 20), D(2018, 1, 20)],
        "assay": ["FoundationOne", "FoundationOne CDx", "FoundationOne", "FoundationOne Liquid"],
        "panel_version": ["v1", "v2", "v1", "v2"],
        "specimen_type": ["Tissue", "Tissue", "Tissue", "Blood"],
        "sample_type": ["Primary", "Metastasis", None, None],
    },
    "raw.genomic_alterations": {
        "alteration_id": [f"ALT-{i:010d}" for i in range(1, 6)],
        "report_id": [
            "ORD-000000001-01",
            "ORD-000000001-01",
            "ORD-000000002-01",
            "ORD-000000003-01",
            "ORD-000000003-02",
        ],
        "gene": ["KRAS", "TP53", "EGFR", "NTRK1", "NTRK1"],
        "alteration_type": [
            "short variant",
            "short variant",
            "copy number alteration",
            "rearrangement",
            "rearrangement",
        ],
        "alteration_detail": ["G12C", "R273H", "amplification", "fusion", "fusion"],
        "fusion_partner": [None, None, None, "TPM3", "TPM3"],
        "is_functional": [True, True, True, True, True],
    },
    "raw.lines_of_therapy": {
        "patient_id": [P[0], P[0], P[1]],
        "line_number": [1, 2, 1],
        "line_name": ["carboplatin, pemetrexed", "pembrolizumab", "folfox"],
        "start_date": [D(2015, 2, 1), D(2015, 8, 1), D(2016, 9, 15)],
        "end_date": [D(2015, 7, 1), None, D(2017, 1, 1)],
        "is_maintenance": [False, False, False],
    },
    "raw.mortality": {"patient_id": [P[0], P[3]], "death_month": ["2016-04", "2017-12"]},
    "raw.panel_genes": {
        "panel_version": ["v1"] * 5 + ["v2"] * 6,
        "gene": ["KRAS", "TP53", "EGFR", "NTRK1", "ALK", "KRAS", "TP53", "EGFR", "NTRK1", "NTRK3", "ALK"],
        "is_rearrangement_baited": [False, False, False, True, True, False, False, False, True, True, True],
    },
    "raw.practice": {
        "patient_id": [P[0], P[1], P[1], P[2], P[3], P[4], P[5]],
        "practice_id": ["S0001", "S0001", "S0002", "S0003", "S0001", "S0002", "S0003"],
        "practice_type": ["COMMUNITY", "COMMUNITY", "ACADEMIC", "COMMUNITY", "COMMUNITY", "ACADEMIC", "COMMUNITY"],
    },
    "raw.visits": {
        "visit_id": [f"V{i:011d}" for i in range(1, 9)],
        "patient_id": [P[0], P[0], P[1], P[2], P[3], P[4], P[5], P[5]],
        "visit_date": [D(y, m, 1) for y, m in [(2015, 1), (2015, 2), (2016, 3), (2017, 6), (2014, 2), (2018, 8)]]
        + [D(2019, 1, 1), D(2019, 2, 1)],
        "visit_type": ["Office visit", "Infusion", "Office visit", "Lab", "Telemedicine", "Office visit", "Lab", "Lab"],
    },
    "raw.load_log": {
        "data_cut_id": ["cut_2021-03-31"] * 2,
        "data_cut_date": [D(2021, 3, 31)] * 2,
        "table_name": ["demographics", "visits"],
        "file_name": ["demographics.csv", "visits.csv"],
        "file_sha256": ["0" * 64, "ab" * 32],
        "row_count": [6, 8],
        "loaded_at": [dt.datetime(2021, 4, 2, 10, 0), dt.datetime(2021, 4, 2, 10, 1)],
    },
}


def create_table(con: duckdb.DuckDBPyConnection, contract: Contract, data: dict[str, list[object]]) -> None:
    """Create ``contract.relation`` with the contract's columns and types and fill it from a polars frame."""
    schema, _ = contract.relation.split(".")
    con.execute(f"create schema if not exists {schema}")
    cols = ", ".join(f"{quote_ident(c.name)} {c.type}" for c in contract.columns)
    con.execute(f"create table {contract.relation} ({cols})")
    frame = pl.DataFrame(data, strict=False)
    con.register("_frame", frame.to_arrow())
    con.execute(f"insert into {contract.relation} select * from _frame")
    con.unregister("_frame")


def raw_database() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database holding :data:`RAW` (the caller closes it)."""
    connection = duckdb.connect()
    for relation, data in RAW.items():
        create_table(connection, CONTRACTS[relation], data)
    return connection


def validate(con: duckdb.DuckDBPyConnection, relation: str, ctx: GXContext, **kwargs: int) -> RelationValidation:
    return validate_relation(con, CONTRACTS[relation], run_id="test", data_cut_id="cut", context=ctx, **kwargs)


def failed_rules(validation: RelationValidation) -> set[str]:
    return {o.rule for o in validation.results if not o.passed}
