"""Data-quality library: contract suites judged by GX on DuckDB data, tolerance, results, genomics checks.

A small hand-made ``raw`` database that follows the contracts passes every check; each planted fault must be caught by
the intended check and only that one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import polars as pl
import pytest

from rwe_cohorts.core.contracts import Column, Contract, Rule, load_contracts
from rwe_cohorts.quality import (
    EXPECTATION_RESULTS_SCHEMA,
    DataDocsUnavailableError,
    GXContext,
    RelationValidation,
    build_suite,
    delivery_drift,
    genomic_checks,
    judge,
    known_fusion_partners,
    outcomes_to_frame,
    qa_summary,
    qa_summary_text,
    row_count_drift,
    validate_relation,
)
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


@pytest.fixture(scope="module")
def gx_context() -> GXContext:
    return GXContext.ephemeral()


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    for relation, data in RAW.items():
        create_table(connection, CONTRACTS[relation], data)
    yield connection
    connection.close()


def validate(con: duckdb.DuckDBPyConnection, relation: str, ctx: GXContext, **kwargs: int) -> RelationValidation:
    return validate_relation(con, CONTRACTS[relation], run_id="test", data_cut_id="cut", context=ctx, **kwargs)


def failed_rules(validation: RelationValidation) -> set[str]:
    return {o.rule for o in validation.results if not o.passed}


def test_every_raw_table_has_a_contract_and_test_data() -> None:
    assert set(RAW) == set(CONTRACTS)


def test_clean_database_passes_every_check(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    for relation in CONTRACTS:
        validation = validate(con, relation, gx_context)
        assert validation.success, (relation, validation.failures)
        assert validation.failures == []
        assert all(o.error is None and o.example_keys == () for o in validation.results)


def test_suite_is_named_after_the_relation_and_carries_meta() -> None:
    suite = build_suite(CONTRACTS["raw.lines_of_therapy"])
    assert suite.name == "raw.lines_of_therapy"
    metas = {e.meta["rule"]: e.meta for e in suite.expectations}
    assert metas["start_not_after_end"]["tag"] == "plausibility"
    assert metas["not_null__start_date"]["tag"] == "completeness"
    assert metas["range__line_number"]["tag"] == "plausibility"
    assert metas["primary_key_unique"]["tag"] == "conformance"
    fk = metas["fk_patient_id__raw_demographics"]
    assert (fk["tag"], fk["severity"], fk["max_share"], fk["max_count"]) == ("conformance", "error", 0.0, None)
    types = {e.meta["rule"]: e.expectation_type for e in suite.expectations}
    assert types["primary_key_unique"] == "expect_compound_columns_to_be_unique"
    assert types["columns_match_contract"] == "expect_table_columns_to_match_ordered_list"


FAULTS = [
    # (relation, SQL planting the fault, the only rules that must fail)
    (
        "raw.visits",
        "insert into raw.visits select * from raw.visits where visit_id = 'V00000000003'",
        {"primary_key_unique"},
    ),
    ("raw.visits", "update raw.visits set visit_id = null where visit_id = 'V00000000002'", {"not_null__visit_id"}),
    (
        "raw.visits",
        "insert into raw.visits values ('V00000000099', 'F0000000000FF', date '2020-01-01', 'Lab')",
        {"fk_patient_id__raw_demographics"},
    ),
    (
        "raw.demographics",
        "update raw.demographics set gender = 'X' where patient_id = 'F000000000002'",
        {"accepted_values__gender"},
    ),
    (
        "raw.demographics",
        "update raw.demographics set state = 'California' where patient_id = 'F000000000002'",
        {"pattern__state"},
    ),
    (
        "raw.demographics",
        "update raw.demographics set state = 'CA' || chr(10) where patient_id = 'F000000000002'",
        {"pattern__state"},
    ),
    ("raw.ecog", "update raw.ecog set ecog_value = 7 where ecog_date = date '2017-07-01'", {"range__ecog_value"}),
    (
        "raw.lines_of_therapy",
        "update raw.lines_of_therapy set end_date = date '2014-01-01' where line_number = 1",
        {"start_not_after_end"},
    ),
    (
        "raw.diagnosis_codes",
        "update raw.diagnosis_codes set diagnosis_code = 'C3490' where diagnosis_code = 'C34.90'",
        {"icd10_format"},
    ),
    (
        "raw.demographics",
        "alter table raw.demographics rename column state to us_state",
        {"columns_match_contract", "column_exists__state"},
    ),
    ("raw.mortality", "alter table raw.mortality add column cause varchar", {"columns_match_contract"}),
    (
        "raw.genomic_reports",
        "update raw.genomic_reports set panel_version = 'v9' where report_id = 'ORD-000000002-01'",
        {"fk_panel_version__raw_panel_genes"},
    ),
    (
        "raw.cancer_diagnosis",
        "update raw.demographics set birth_year = 1901 where patient_id = 'F000000000001'",  # 114 at diagnosis
        {"age_at_diagnosis_in_range"},
    ),
    (
        "raw.cancer_diagnosis",
        "update raw.cancer_diagnosis set diagnosis_date = null where patient_id = 'F000000000002'",
        {"not_null__diagnosis_date"},  # the temporal rules on diagnosis_date do not fail a second time
    ),
    (
        "raw.genomic_alterations",
        "update raw.genomic_alterations set gene = 'XYZ99' where alteration_id = 'ALT-0000000002'",
        {"gene_symbol_known"},
    ),
    (
        "raw.genomic_alterations",
        "update raw.genomic_alterations set fusion_partner = 'TPM3' where alteration_id = 'ALT-0000000001'",
        {"partner_only_on_rearrangement"},
    ),
    (
        "raw.genomic_alterations",
        "update raw.genomic_alterations set fusion_partner = 'tpm3' where alteration_id = 'ALT-0000000004'",
        {"pattern__fusion_partner"},
    ),
]


@pytest.mark.parametrize(("relation", "fault", "expected"), FAULTS, ids=[f"{r}:{sorted(e)[0]}" for r, _, e in FAULTS])
def test_each_fault_is_caught_by_its_check_only(
    con: duckdb.DuckDBPyConnection, gx_context: GXContext, relation: str, fault: str, expected: set[str]
) -> None:
    con.execute(fault)
    validation = validate(con, relation, gx_context)
    assert failed_rules(validation) == expected
    assert not validation.success
    for outcome in validation.failures:
        assert outcome.error is None


def test_failing_outcome_reports_counts_tag_and_keys(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute(
        "update raw.lines_of_therapy set end_date = date '2014-01-01' "
        "where line_number = 1 and patient_id = 'F000000000001'"
    )
    (outcome,) = validate(con, "raw.lines_of_therapy", gx_context).failures
    assert (outcome.rule, outcome.tag, outcome.severity) == ("start_not_after_end", "plausibility", "error")
    assert (outcome.element_count, outcome.unexpected_count) == (3, 1)  # line 2 has no end date: not a violation
    assert outcome.unexpected_share == pytest.approx(1 / 3)
    assert outcome.example_keys == ("F000000000001|1",)  # the compound key only, never the row


def test_example_keys_are_capped_primary_keys(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("update raw.visits set visit_type = 'Phone'")
    (outcome,) = validate(con, "raw.visits", gx_context).failures
    assert outcome.unexpected_count == 8
    assert len(outcome.example_keys) == 5
    assert set(outcome.example_keys) <= {f"V{i:011d}" for i in range(1, 9)}


def test_missing_relation_fails_schema_check(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("drop table raw.mortality")
    validation = validate(con, "raw.mortality", gx_context)
    assert not validation.success
    assert [o.rule for o in validation.results] == ["columns_match_contract"]
    assert "does not exist" in (validation.results[0].error or "")


def test_rule_on_a_missing_column_fails_with_the_duckdb_error(
    con: duckdb.DuckDBPyConnection, gx_context: GXContext
) -> None:
    con.execute("alter table raw.lines_of_therapy drop column end_date")
    validation = validate(con, "raw.lines_of_therapy", gx_context)
    assert failed_rules(validation) == {
        "columns_match_contract",
        "column_exists__end_date",
        "start_not_after_end",
        "end_not_after_cut",
    }
    (rule,) = [o for o in validation.results if o.rule == "start_not_after_end"]
    assert rule.error is not None and "end_date" in rule.error


def test_duplicate_patient_does_not_break_birth_year_rules(
    con: duckdb.DuckDBPyConnection, gx_context: GXContext
) -> None:
    con.execute(
        "insert into raw.demographics select patient_id, birth_year + 1, gender, race, ethnicity, state "
        "from raw.demographics where patient_id = 'F000000000001'"
    )
    assert failed_rules(validate(con, "raw.demographics", gx_context)) == {"primary_key_unique"}
    for relation in ("raw.cancer_diagnosis", "raw.mortality"):
        assert validate(con, relation, gx_context).success, relation


def test_rule_failing_on_the_data_fails_with_the_duckdb_error(
    con: duckdb.DuckDBPyConnection, gx_context: GXContext
) -> None:
    lookup = "(select d.birth_year from raw.demographics d where d.patient_id = t.patient_id) > 1800"
    rule = Rule("birth_lookup", lookup, "plausibility", "error", "a scalar sub-query that a duplicate key breaks")
    contract = dataclasses.replace(CONTRACTS["raw.mortality"], rules=(rule,))
    con.execute("insert into raw.demographics select * from raw.demographics where patient_id = 'F000000000001'")
    validation = validate_relation(con, contract, run_id="t", data_cut_id="c", context=gx_context)
    (failed,) = validation.failures
    assert failed.rule == "birth_lookup" and "more than one row" in (failed.error or "").lower()
    assert len(validation.results) > 1 and not validation.success


def test_warn_severity_failure_keeps_relation_successful(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("update raw.genomic_reports set specimen_collected_date = date '2030-01-01'")
    validation = validate(con, "raw.genomic_reports", gx_context)
    assert failed_rules(validation) == {"specimen_not_after_report"}
    assert validation.success


def test_batches_split_by_key_hash_give_the_same_counts(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("insert into raw.visits select * from raw.visits where visit_id in ('V00000000003', 'V00000000007')")
    con.execute("update raw.visits set visit_type = 'Phone' where visit_id = 'V00000000005'")
    whole = validate(con, "raw.visits", gx_context)
    batched = validate(con, "raw.visits", gx_context, batch_rows=3)

    def summary(v: RelationValidation) -> list[tuple[str, int, int, list[str]]]:
        return [(o.rule, o.unexpected_count, o.element_count, sorted(o.example_keys)) for o in v.results]

    assert summary(whole) == summary(batched)
    assert {o.rule: o.unexpected_count for o in batched.failures} == {
        "primary_key_unique": 4,
        "accepted_values__visit_type": 1,
    }


def test_count_cap_fails_a_share_that_rounds_to_zero(gx_context: GXContext) -> None:
    n = 1_000_000
    contract = Contract(
        relation="raw.big",
        description="a large table",
        grain="one row per id",
        primary_key=("id",),
        columns=(Column("id", "BIGINT", False, "key"), Column("flag", "BOOLEAN", False, "flag")),
        rules=(
            Rule("flag_capped", "flag", "plausibility", "error", "share and count", max_share=0.001, max_count=0),
            Rule("flag_share_only", "flag", "plausibility", "error", "share only", max_share=0.001),
        ),
    )
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(f"create table raw.big as select i as id, i not in (17, 500000, 999999) as flag from range({n}) r(i)")
    validation = validate_relation(con, contract, run_id="t", data_cut_id="c", context=gx_context)
    outcomes = {o.rule: o for o in validation.results}
    capped, share_only = outcomes["flag_capped"], outcomes["flag_share_only"]
    assert (capped.unexpected_count, capped.element_count) == (3, n)
    assert capped.unexpected_share == pytest.approx(3e-6) and capped.unexpected_share <= capped.max_share
    assert not capped.passed and capped.max_count == 0
    assert share_only.passed
    assert sorted(capped.example_keys) == ["17", "500000", "999999"]
    assert failed_rules(validation) == {"flag_capped"}


def test_judge_applies_share_and_count() -> None:
    assert judge(3, 1_000_000, max_share=0.001, max_count=0) == (3e-6, False)
    assert judge(3, 1_000_000, max_share=0.001, max_count=5)[1]
    assert not judge(2, 10, max_share=0.1, max_count=None)[1]
    assert judge(0, 0, max_share=0.0, max_count=None) == (0.0, True)


def test_data_docs_index_is_written(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ctx = GXContext.file(tmp_path)
    con.execute("update raw.demographics set gender = 'X' where patient_id = 'F000000000002'")
    validation = validate(con, "raw.demographics", ctx)
    genomic_checks(con, context=ctx, run_id="test", data_cut_id="cut")
    index = ctx.build_data_docs()
    assert index == tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.is_file()
    assert "raw.demographics" in index.read_text()
    pages = list(index.parent.rglob("*.html"))
    assert any("genomics" in str(p) for p in pages)
    assert (tmp_path / "gx" / "expectations").is_dir()
    assert any((tmp_path / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert not validation.success


def test_expectation_results_frame_schema(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("update raw.ecog set ecog_value = 9")
    validations = [validate(con, r, gx_context) for r in ("raw.ecog", "raw.demographics")]
    when = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    frame = outcomes_to_frame(validations, run_id="r1", data_cut_id="cut_2021-03-31", evaluated_at=when)
    assert frame.schema == pl.Schema(EXPECTATION_RESULTS_SCHEMA)
    assert frame.height == sum(len(v.results) for v in validations)
    bad = frame.filter(~pl.col("passed"))
    assert bad["rule"].to_list() == ["range__ecog_value"]
    assert json.loads(bad["example_keys"][0]) == [
        "F000000000001|2015-01-05",
        "F000000000001|2015-03-05",
        "F000000000003|2017-07-01",
    ]
    assert frame["evaluated_at"].unique().to_list() == [dt.datetime(2024, 5, 1, 12)]
    db = duckdb.connect()
    db.execute("create schema qa")
    db.execute("create table qa.expectation_results as select * from frame")
    types = dict(db.execute("select column_name, data_type from information_schema.columns").fetchall())
    assert types["example_keys"] == "VARCHAR" and types["evaluated_at"] == "TIMESTAMP"
    assert types["max_count"] == "BIGINT" and types["passed"] == "BOOLEAN"

    summary = qa_summary(validations)
    assert summary.columns == ["relation", "tag", "severity", "n_checks", "n_failed"]
    assert summary.filter(pl.col("n_failed") > 0).rows() == [("raw.ecog", "plausibility", "error", 2, 1)]
    text = qa_summary_text(validations)
    assert text.startswith(f"1 of {frame.height} checks failed: raw.ecog plausibility (error) 1")
    assert qa_summary_text(validations[1:]).startswith("all ")


def test_row_count_drift() -> None:
    assert row_count_drift({"raw.visits": 10}, None) == []
    outcomes = row_count_drift(
        {"raw.visits": 140, "raw.ecog": 100, "raw.new": 5}, {"raw.visits": 100, "raw.ecog": 300, "raw.gone": 7}
    )
    by_relation = {o.relation: o for o in outcomes}
    assert by_relation["raw.visits"].passed and by_relation["raw.visits"].observed_value == pytest.approx(0.4)
    assert not by_relation["raw.ecog"].passed and by_relation["raw.ecog"].observed_value == pytest.approx(2 / 3)
    assert by_relation["raw.new"].passed
    assert not by_relation["raw.gone"].passed and by_relation["raw.gone"].observed_value == 1.0
    assert {o.tag for o in outcomes} == {"plausibility"} and {o.severity for o in outcomes} == {"warn"}


def test_delivery_drift_compares_with_the_previous_cut(con: duckdb.DuckDBPyConnection) -> None:
    contract = load_contracts(ROOT / "data_contracts", "qa")["qa.delivery_row_counts"]
    con.execute("create schema qa")

    def land(cut: str, day: dt.date, visits: int) -> list[tuple[str, bool, float | None]]:
        con.execute("update raw.load_log set data_cut_id = ?, data_cut_date = ?", [cut, day])
        con.execute("update raw.load_log set row_count = ? where table_name = 'visits'", [visits])
        outcomes = delivery_drift(con, contract, data_cut_id=cut, data_cut_date=day, run_id=f"run_{cut}")
        return [(o.relation, o.passed, o.observed_value) for o in outcomes]

    assert land("cut_a", D(2021, 3, 31), 100) == []  # first delivery: no baseline, no outcome
    assert land("cut_b", D(2021, 6, 30), 30) == [("raw.demographics", True, 0.0), ("raw.visits", False, 0.7)]
    assert land("cut_b", D(2021, 6, 30), 120) == [("raw.demographics", True, 0.0), ("raw.visits", True, 0.2)]
    rows = con.execute(
        "select data_cut_id, relation, row_count, run_id from qa.delivery_row_counts order by 1, 2"
    ).fetchall()
    assert rows == [
        ("cut_a", "raw.demographics", 6, "run_cut_a"),
        ("cut_a", "raw.visits", 100, "run_cut_a"),
        ("cut_b", "raw.demographics", 6, "run_cut_b"),
        ("cut_b", "raw.visits", 120, "run_cut_b"),
    ]
    columns = con.sql("select * from qa.delivery_row_counts limit 0").columns
    assert columns == list(contract.column_names)


def test_ephemeral_context_has_no_data_docs(gx_context: GXContext) -> None:
    with pytest.raises(DataDocsUnavailableError):
        gx_context.build_data_docs()


def test_genomic_checks_pass_on_plausible_data(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    outcomes = {o.rule: o for o in genomic_checks(con, context=gx_context, prevalence_band=(0.1, 0.5))}
    assert all(o.passed for o in outcomes.values()), outcomes
    assert outcomes["ntrk_fusion_prevalence"].observed_value == pytest.approx(1 / 3)  # 1 of 3 tested patients
    assert outcomes["ntrk_driver_coalteration"].element_count == 1
    assert outcomes["alteration_gene_on_panel"].element_count == 5
    assert outcomes["fusion_partner_known"].element_count == 2  # the two rearrangements name a partner


def test_genomic_checks_catch_implausible_data(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("update raw.genomic_alterations set report_id = 'ORD-000000003-01' where gene in ('KRAS', 'TP53')")
    con.execute("update raw.genomic_alterations set gene = 'NTRK3' where alteration_id = 'ALT-0000000004'")
    outcomes = {o.rule: o for o in genomic_checks(con, context=gx_context)}
    prevalence, coalteration, panel = (
        outcomes[k] for k in ("ntrk_fusion_prevalence", "ntrk_driver_coalteration", "alteration_gene_on_panel")
    )
    assert not prevalence.passed and prevalence.severity == "warn"  # 1/3 is far above the 0.05-0.5% band
    assert not coalteration.passed and coalteration.example_keys == ("F000000000003",)
    assert coalteration.unexpected_share == 1.0 and coalteration.tag == "plausibility"
    assert not panel.passed and panel.example_keys == ("ALT-0000000004",)  # NTRK3 is not on panel v1: not tested


def test_unknown_genes_and_partners(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("update raw.genomic_alterations set gene = 'XYZ99' where alteration_id = 'ALT-0000000001'")
    con.execute("update raw.genomic_alterations set fusion_partner = 'NOTAGENE' where alteration_id = 'ALT-0000000005'")
    outcomes = {o.rule: o for o in genomic_checks(con, context=gx_context, prevalence_band=(0.1, 0.5))}
    assert outcomes["alteration_gene_on_panel"].passed  # an unknown symbol is gene_symbol_known's failure
    partner = outcomes["fusion_partner_known"]
    assert not partner.passed and partner.severity == "warn" and partner.example_keys == ("ALT-0000000005",)
    assert {rule for rule, o in outcomes.items() if not o.passed} == {"fusion_partner_known"}
    # a partner on some panel is known even when it is not on the reference list
    con.execute("update raw.genomic_alterations set fusion_partner = 'KRAS' where alteration_id = 'ALT-0000000005'")
    assert all(o.passed for o in genomic_checks(con, context=gx_context, prevalence_band=(0.1, 0.5)))
    assert {"ETV6", "TPM3", "EML4"} <= set(known_fusion_partners())
