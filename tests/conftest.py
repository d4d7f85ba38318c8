"""Shared fixtures: project paths, the study spec, and a tiny raw-database builder for SQL given/expect tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.spec import StudySpec, load_spec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, PROJECT_ROOT, connect

SPEC_PATH = PROJECT_ROOT / "pipelines" / "studies" / "ntrk_hibar2022.yaml"


@pytest.fixture(scope="session")
def spec() -> StudySpec:
    return load_spec(SPEC_PATH)


@pytest.fixture(scope="session")
def cbio_spec() -> StudySpec:
    """The shipped study spec of the cBioPortal source."""
    return load_spec(PROJECT_ROOT / "pipelines" / "studies" / "ntrk_cbioportal.yaml")


@pytest.fixture(scope="session")
def default_delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default synthetic delivery (58,001 patients, default seed and data cut), generated once per session.

    Read-only for tests: load it into a fresh warehouse (``rwe_cohorts.ingest.delivery.load_delivery``), never write
    into it.
    """
    from rwe_cohorts.ingest.synthetic import generate_delivery

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


# --- end-to-end runs: the `rwe` command in a subprocess rooted at a temporary folder ---------------------------------

RweCommand = Callable[..., subprocess.CompletedProcess[str]]
StudyRunner = Callable[..., Path]


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RWE_DATA_DIR=str(root / "data"),
        DAGSTER_HOME=str(root / "dagster_home"),
        RWE_STUDY_SPEC=str(root / "spec.yaml"),
        GX_ANALYTICS_ENABLED="false",
    )
    return env


def run_rwe(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``rwe <args>`` with everything (data, warehouse, Dagster instance, spec) under ``root``."""
    cmd = [sys.executable, "-m", "pipelines.cli", *args]
    return subprocess.run(cmd, cwd=PROJECT_ROOT, env=_env(root), capture_output=True, text=True, timeout=900)


def run_study(root: Path, spec_file: str, *, patients: int, seed: int, robustness_match_orders: int = 10) -> Path:
    """Generate a delivery and run the whole study under ``root`` with a copy of ``pipelines/studies/<spec_file>``.

    The copy sets ``survival.robustness_match_orders`` low to keep CI fast (the shipped specs use 200). Asserts that
    both commands succeed; returns ``root``.
    """
    spec = yaml.safe_load((PROJECT_ROOT / "pipelines" / "studies" / spec_file).read_text())
    spec["survival"]["robustness_match_orders"] = robustness_match_orders
    (root / "spec.yaml").write_text(yaml.safe_dump(spec))
    (root / "dagster_home").mkdir()
    (root / "dagster_home" / "dagster.yaml").write_text((PROJECT_ROOT / ".dagster_home/dagster.yaml").read_text())
    gen = run_rwe(root, "generate", "--patients", str(patients), "--seed", str(seed))
    assert gen.returncode == 0, gen.stderr
    run = run_rwe(root, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return root


@pytest.fixture(scope="session")
def rwe() -> RweCommand:
    return run_rwe


@pytest.fixture(scope="session")
def rwe_env() -> Callable[[Path], dict[str, str]]:
    """The environment of an ``rwe`` subprocess rooted at a folder (for commands run in the background)."""
    return _env


@pytest.fixture(scope="session")
def study_runner() -> StudyRunner:
    return run_study


@pytest.fixture(scope="session")
def ntrk_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The NTRK study run end to end on a 20,000-patient delivery (seed 7), shared by every test that only reads it
    or restores what it changes (its own data folder, Dagster instance and spec under a temporary root)."""
    return run_study(tmp_path_factory.mktemp("e2e"), "ntrk_hibar2022.yaml", patients=20_000, seed=7)
