"""Every defect profile of the synthetic generator is caught by its intended check, and only that one.

Each test generates a small delivery (3,000 patients, fixed seed) with exactly one defect, ingests it with
``rwe_cohorts.ingest.delivery`` into an in-memory DuckDB and runs the raw-layer validation (the contract suites plus the
genomics checks with the study spec's genes), as the ``raw_quality`` Dagster check does. The intended check must fail
naming the table, the rule, the count the manifest records and example keys; every other error-severity check must
pass. ``wrong_type`` never reaches the checks: ingest rejects it naming the file and column. The clean default
delivery (58,001 patients, default seed) passes every error-severity check of the raw and staging layers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import pytest

from rwe_cohorts.cohort.models import build_models
from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, connect
from rwe_cohorts.ingest.delivery import DeliveryError, load_delivery, read_delivery
from rwe_cohorts.ingest.staging import STAGING_MODELS
from rwe_cohorts.ingest.synthetic import DEFECTS, generate_delivery, read_manifest
from rwe_cohorts.quality import ExpectationOutcome, GXContext, genomic_checks, validate_relations

N_PATIENTS = 3_000
SEED = 11
RATE = 0.005

INTENDED: dict[str, tuple[str, str]] = {
    # defect -> (relation, rule) of the one check that must fail
    "duplicate_keys": ("raw.demographics", "primary_key_unique"),
    "orphan_rows": ("raw.visits", "fk_patient_id__raw_demographics"),
    "death_before_birth": ("raw.mortality", "death_not_before_birth"),
    "advanced_before_initial": ("raw.cancer_diagnosis", "advanced_not_before_initial"),
    "report_after_cut": ("raw.genomic_reports", "report_not_after_cut"),
    "unknown_gene": ("raw.genomic_alterations", "gene_symbol_known"),
    "unknown_code": ("raw.diagnosis_codes", "icd10_format"),
    "missing_required": ("raw.cancer_diagnosis", "not_null__diagnosis_date"),
    "line_end_before_start": ("raw.lines_of_therapy", "start_not_after_end"),
}
REJECTED_AT_INGEST: dict[str, tuple[str, str]] = {"wrong_type": ("demographics.parquet", "birth_year")}
ROWS_PER_DEFECT_ROW = {"duplicate_keys": 2}
"""Failing rows per injected row: a duplicated key fails on the original and on the copy."""


@pytest.fixture(scope="module")
def raw() -> dict[str, Contract]:
    return load_contracts(CONTRACTS_ROOT, "raw")


@pytest.fixture(scope="module")
def gx() -> GXContext:
    return GXContext.ephemeral()


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Generate a delivery once per module and arguments (``defect=None`` is a clean one)."""
    cache: dict[tuple[str | None, int, int | None], Path] = {}

    def make(defect: str | None, n_patients: int = N_PATIENTS, seed: int | None = SEED) -> Path:
        key = (defect, n_patients, seed)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"delivery_{defect or 'clean'}_{n_patients}") / "delivery"
            seeded = {} if seed is None else {"seed": seed}
            generate_delivery(out, n_patients=n_patients, defects={defect: RATE} if defect else None, **seeded)
            cache[key] = out
        return cache[key]

    return make


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(":memory:")
    yield connection
    connection.close()


def raw_outcomes(
    con: duckdb.DuckDBPyConnection, raw: dict[str, Contract], spec: StudySpec, gx: GXContext
) -> list[ExpectationOutcome]:
    """Every judged raw-layer check: the contract suites, then the genomics checks (as the raw_quality check runs)."""
    validations = validate_relations(con, raw.values(), run_id="defects", data_cut_id="cut", context=gx)
    genomics = genomic_checks(
        con, exposure_genes=spec.exposure.genes, driver_genes=spec.covariates.driver_genes, context=gx
    )
    return [*(o for v in validations for o in v.results), *genomics]


def failed_errors(outcomes: list[ExpectationOutcome]) -> list[tuple[str, str]]:
    return sorted((o.relation, o.rule) for o in outcomes if o.severity == "error" and not o.passed)


def test_every_defect_profile_has_an_intended_check() -> None:
    assert set(INTENDED) | set(REJECTED_AT_INGEST) == set(DEFECTS)
    assert not set(INTENDED) & set(REJECTED_AT_INGEST)


@pytest.mark.parametrize("defect", sorted(INTENDED))
def test_defect_is_caught_by_its_check_only(
    defect: str,
    delivery: Callable[..., Path],
    con: duckdb.DuckDBPyConnection,
    raw: dict[str, Contract],
    spec: StudySpec,
    gx: GXContext,
) -> None:
    folder = delivery(defect)
    (injected,) = read_manifest(folder).defects_injected
    assert injected.defect == defect and injected.rows > 0
    load_delivery(con, read_delivery(folder), raw)

    outcomes = raw_outcomes(con, raw, spec, gx)
    assert failed_errors(outcomes) == [INTENDED[defect]]
    relation, rule = INTENDED[defect]
    (caught,) = [o for o in outcomes if (o.relation, o.rule) == (relation, rule)]
    assert relation == f"raw.{injected.table}"
    assert caught.error is None
    assert caught.unexpected_count == injected.rows * ROWS_PER_DEFECT_ROW.get(defect, 1)
    assert 0 < len(caught.example_keys) <= 5
    if defect == "unknown_code":  # the manifest records the key before the code was overwritten
        expected = {"|".join([*k.split("|")[:2], "ZZZ.9"]) for k in injected.example_keys}
    else:
        expected = set(injected.example_keys)
    assert set(caught.example_keys) & expected, (caught.example_keys, injected.example_keys)


def test_wrong_type_is_rejected_at_ingest_naming_file_and_column(
    delivery: Callable[..., Path], con: duckdb.DuckDBPyConnection, raw: dict[str, Contract]
) -> None:
    file, column = REJECTED_AT_INGEST["wrong_type"]
    with pytest.raises(DeliveryError) as caught:
        load_delivery(con, read_delivery(delivery("wrong_type")), raw)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{file}: column '{column}'") and "contract says INTEGER" in problem
    landed = con.execute("select count(*) from information_schema.tables where table_schema = 'raw'").fetchone()
    assert landed == (0,), "a rejected delivery must not land any raw table"


def test_clean_default_delivery_passes_every_error_check(
    delivery: Callable[..., Path],
    con: duckdb.DuckDBPyConnection,
    raw: dict[str, Contract],
    spec: StudySpec,
    gx: GXContext,
) -> None:
    folder = delivery(None, n_patients=58_001, seed=None)
    manifest = read_manifest(folder)
    assert manifest.defects_injected == ()
    loaded = read_delivery(folder)
    load_delivery(con, loaded, raw)
    outcomes = raw_outcomes(con, raw, spec, gx)
    build_models(con, STAGING_MODELS, spec, loaded.data_cut_date)
    staging = validate_relations(
        con, load_contracts(CONTRACTS_ROOT, "staging").values(), run_id="clean", data_cut_id="cut", context=gx
    )
    outcomes += [o for v in staging for o in v.results]
    assert failed_errors(outcomes) == []
    assert {o.relation.split(".")[0] for o in outcomes} == {"raw", "staging"}
    assert all(o.error is None for o in outcomes)
