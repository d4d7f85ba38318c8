"""Every table has a contract and every contract a table; contracts are well formed; tables match their contracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from rwe_cohorts.core.contracts import ContractError, load_contract, load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, SQL_ROOT
from rwe_cohorts.ingest.staging import RAW_TABLES


def test_every_sql_model_has_a_contract_and_same_stem() -> None:
    models = {f"{p.parent.name}.{p.stem}" for p in SQL_ROOT.glob("*/*.sql")}
    contracts = load_contracts(CONTRACTS_ROOT)
    missing = sorted(models - set(contracts))
    assert not missing, f"SQL models without a data contract: {missing}"


def test_raw_contracts_are_exactly_the_delivered_tables() -> None:
    raw = {c.table for c in load_contracts(CONTRACTS_ROOT, "raw").values()}
    assert raw == {*RAW_TABLES, "load_log"}


def test_staging_is_one_to_one_with_sources() -> None:
    staging = {c.table for c in load_contracts(CONTRACTS_ROOT, "staging").values()}
    assert staging == set(RAW_TABLES)
    assert {p.stem for p in (SQL_ROOT / "staging").glob("*.sql")} == set(RAW_TABLES)


def test_contract_errors_are_all_listed(tmp_path: Path) -> None:
    bad = tmp_path / "raw" / "thing.yaml"
    bad.parent.mkdir()
    bad.write_text(
        "relation: raw.other\ndescription: x\ngrain: x\nprimary_key: [nope]\n"
        "columns:\n  - {name: a, type: TEXTISH, nullable: false, description: x}\n"
        "rules:\n  - {name: r, tag: vibes, severity: fatal, expect: 'a > 0'}\n"
    )
    with pytest.raises(ContractError) as err:
        load_contract(bad)
    text = str(err.value)
    for fragment in ("TEXTISH", "primary key column 'nope'", "tag must be", "severity must be", "file stem"):
        assert fragment in text
