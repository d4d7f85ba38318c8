"""Shared fixtures: project paths, the study spec, and a tiny raw-database builder for SQL given/expect tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from rwe_cohorts.contracts import Contract, load_contracts
from rwe_cohorts.spec import StudySpec, load_spec
from rwe_cohorts.warehouse import CONTRACTS_ROOT, PROJECT_ROOT, connect

SPEC_PATH = PROJECT_ROOT / "pipelines" / "studies" / "ntrk_hibar2022.yaml"


@pytest.fixture(scope="session")
def spec() -> StudySpec:
    return load_spec(SPEC_PATH)


@pytest.fixture(scope="session")
def default_delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default synthetic delivery (58,001 patients, default seed and data cut), generated once per session.

    Read-only for tests: load it into a fresh warehouse (``rwe_cohorts.ingest.load_delivery``), never write into it.
    """
    from rwe_cohorts.synth import generate_delivery

    folder = tmp_path_factory.mktemp("default_delivery") / "cut_2021-03-31"
    generate_delivery(folder)
    return folder


@pytest.fixture(scope="session")
def raw_contracts() -> dict[str, Contract]:
    return load_contracts(CONTRACTS_ROOT, "raw")


class RawBuilder:
    """Creates every raw table (typed from its contract, empty) and inserts given rows by column name."""

    def __init__(self, con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract]) -> None:
        self.con = con
        self.contracts = contracts
        for c in contracts.values():
            cols = ", ".join(f"{col.name} {col.type}" for col in c.columns)
            con.execute(f"create or replace table {c.relation} ({cols})")

    def add(self, table: str, **values: object) -> None:
        contract = self.contracts[f"raw.{table}"]
        unknown = set(values) - set(contract.column_names)
        assert not unknown, f"raw.{table} has no columns {unknown}"
        names = list(values)
        marks = ", ".join("?" for _ in names)
        self.con.execute(f"insert into raw.{table} ({', '.join(names)}) values ({marks})", list(values.values()))


@pytest.fixture
def raw_db(raw_contracts: dict[str, Contract]) -> Iterator[RawBuilder]:
    con = connect(":memory:")
    yield RawBuilder(con, raw_contracts)
    con.close()


@pytest.fixture
def tmp_project(tmp_path: Path) -> Path:
    return tmp_path
