"""Data-quality library: contract suites judged by GX on DuckDB data, tolerance and severity.

A small hand-made ``raw`` database that follows the contracts (``quality_raw_db.py``) passes every check; each planted
fault must be caught by the intended check and only that one. Results, Data Docs and the QA summary are tested in
``test_quality_results.py``; the genomics checks and delivery drift in ``test_quality_genomics_drift.py``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import pytest
from quality_raw_db import CONTRACTS, RAW, failed_rules, raw_database, validate

from rwe_cohorts.core.contracts import Column, Contract, Rule
from rwe_cohorts.quality import GXContext, RelationValidation, build_suite, judge, validate_relation


@pytest.fixture(scope="module")
def gx_context() -> GXContext:
    return GXContext.ephemeral()


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = raw_database()
    yield connection
    connection.close()


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
