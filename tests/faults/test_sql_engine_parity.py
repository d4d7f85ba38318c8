"""The contract suites give the same outcomes on GX's SQL engine in DuckDB (the pipeline's path) as on its pandas engine
(the path they replaced): the same pass/fail, element and unexpected counts, example keys and errors, for every table
of the default delivery's raw and staging layers and, for every fault of the bad-delivery corpus that lands (its
stage is a quality layer), for the tables the fault touches (the delivered files whose checksum
differs from the clean delivery's, raw and staging).

Each delivery is loaded into its own DuckDB warehouse file (``load_delivery``, then the staging models); both engines
validate the same connection, each in its own ephemeral GX context. Timing (2 cores, shared): the default delivery
about 40 s (most of it the pandas path), a fault 2-5 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import pytest
from corpus import FAULTS, Fault, build, make_clean
from corpus_base import read_manifest_json

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, SqlModelError, connect, materialize_model
from rwe_cohorts.ingest.delivery import load_delivery, read_delivery
from rwe_cohorts.quality import GXContext, RelationValidation, validate_relation

RAW = load_contracts(CONTRACTS_ROOT, "raw")
STAGING = load_contracts(CONTRACTS_ROOT, "staging")
LANDING_FAULTS = [f for f in FAULTS if f.stage in {"raw_quality", "staging_quality"}]


def _warehouse(folder: Path, path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(path)
    load_delivery(con, read_delivery(folder), RAW)
    for relation in STAGING:
        try:
            materialize_model(con, relation)
        except SqlModelError:  # the run stops at the raw layer's checks (a month 13); the table stays absent
            continue
    return con


def _comparable(validation: RelationValidation) -> list[tuple[Any, ...]]:
    return [
        (o.rule, o.expectation_type, o.passed, o.element_count, o.unexpected_count, o.example_keys, o.error)
        for o in validation.results
    ]


def _compare(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract], cut: str) -> int:
    """Validate each contract with both engines and assert equal outcomes; returns the number of failed checks."""
    sql, pandas = GXContext.ephemeral(), GXContext.ephemeral()
    failed = 0
    for contract in contracts:
        on_sql = validate_relation(con, contract, run_id="parity", data_cut_id=cut, context=sql, engine="sql")
        on_pandas = validate_relation(con, contract, run_id="parity", data_cut_id=cut, context=pandas, engine="pandas")
        assert on_sql.success == on_pandas.success, contract.relation
        assert _comparable(on_sql) == _comparable(on_pandas), contract.relation
        failed += sum(not o.passed for o in on_sql.results)
    return failed


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("parity")
    return root, make_clean(root / "landing")


def test_default_delivery_same_outcomes(default_delivery: Path, tmp_path: Path) -> None:
    con = _warehouse(default_delivery, tmp_path / "warehouse.duckdb")
    try:
        _compare(con, [*RAW.values(), *STAGING.values()], "2021-03-31")
    finally:
        con.close()


def _touched(clean: Path, folder: Path) -> list[Contract]:
    before = {e["table"]: e["sha256"] for e in read_manifest_json(clean)["tables"]}
    changed = [e["table"] for e in read_manifest_json(folder)["tables"] if before.get(e["table"]) != e["sha256"]]
    layers = (("raw", RAW), ("staging", STAGING))
    return [c[f"{layer}.{t}"] for t in changed for layer, c in layers if f"{layer}.{t}" in c]


@pytest.mark.parametrize(
    "fault", [pytest.param(f, id=f.name, marks=[pytest.mark.slow] if f.slow else []) for f in LANDING_FAULTS]
)
def test_fault_same_outcomes(fault: Fault, landing: tuple[Path, Path], tmp_path: Path) -> None:
    root, clean = landing
    built = build(fault, root / "landing", clean, {}, tmp_path)
    touched = _touched(clean, built.folder)
    assert touched, f"{fault.name}: no delivered file differs from the clean delivery"
    con = _warehouse(built.folder, tmp_path / "warehouse.duckdb")
    try:
        failed = _compare(con, touched, fault.cut)
    finally:
        con.close()
    assert failed > 0, f"{fault.name}: no check failed on the tables it touches"
