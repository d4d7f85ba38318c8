"""End to end: generate a small delivery, run the whole study through Dagster (local instance, SQLite storage),
and check the warehouse, the contracts, the report and the recorded run. Also: a corrupt delivery stops the run."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.spec import load_spec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT


def warehouse_file(root: Path, cut: str = "2021-03-31") -> Path:
    """The warehouse of data cut ``cut`` in a study run under ``root`` (one DuckDB file per data cut)."""
    return root / "data" / "warehouse" / f"{cut}.duckdb"


RweCommand = Callable[..., subprocess.CompletedProcess[str]]  # the ``rwe`` fixture (tests/pipelines/conftest.py)


@pytest.fixture(scope="module")
def study_run(ntrk_run: Path) -> Path:
    return ntrk_run


def test_every_table_has_a_contract_and_matches_it(study_run: Path) -> None:
    contracts = load_contracts(CONTRACTS_ROOT)
    con = duckdb.connect(str(warehouse_file(study_run)), read_only=True)
    tables = {
        f"{s}.{t}"
        for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'staging', 'intermediate', 'marts', 'qa')"
        ).fetchall()
    }
    assert sorted(tables - set(contracts)) == [], "tables without a data contract"
    assert sorted(set(contracts) - tables) == [], "contracts without a table"
    for relation in sorted(tables):
        schema, table = relation.split(".")
        cols = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        assert cols == [(c.name, c.type) for c in contracts[relation].columns], relation


def test_study_outputs_are_coherent(study_run: Path) -> None:
    spec = load_spec(study_run / "spec.yaml")
    con = duckdb.connect(str(warehouse_file(study_run)), read_only=True)
    n_exposed, n_sets, max_per_set = con.execute(
        "select count(*) filter (where is_exposed), count(distinct match_set_id), "
        "max(n) from (select match_set_id, count(*) filter (where not is_exposed) as n, "
        "bool_or(is_exposed) as is_exposed from marts.matched_cohort group by 1)"
    ).fetchone()
    assert n_exposed == n_sets > 0
    assert max_per_set <= spec.matching.ratio
    # no comparator used twice; same cancer type within a set
    assert con.execute("select count(*) - count(distinct patient_id) from marts.matched_cohort").fetchone()[0] == 0
    assert (
        con.execute(
            "select count(*) from (select match_set_id from marts.matched_cohort group by 1 "
            "having count(distinct cancer_type) > 1)"
        ).fetchone()[0]
        == 0
    )
    analyses = {a for (a,) in con.execute("select distinct analysis from marts.hazard_ratios").fetchall()}
    assert analyses == {a.id for a in spec.analyses}
    primary = con.execute(
        "select hr, p_wald, p_lr, p_score from marts.hazard_ratios "
        "where analysis = 'primary' and model = 'unstratified'"
    ).fetchone()
    assert primary[0] > 0 and all(0 <= p <= 1 for p in primary[1:])
    # Delayed entry: numbers at risk rise after time zero in at least one arm.
    rises = con.execute(
        "select count(*) from (select arm, max(n_at_risk) > arg_min(n_at_risk, time_months) as r "
        "from marts.risk_table where analysis = 'primary' group by arm) where r"
    ).fetchone()[0]
    assert rises >= 1
    steps = con.execute("select count(distinct step) from marts.attrition").fetchone()[0]
    assert steps == 9


def test_report_is_self_contained(study_run: Path) -> None:
    reports = list((study_run / "data" / "reports").glob("*/study_report.html"))
    assert len(reports) == 1
    html = reports[0].read_text()
    assert "<img" in html and "Hazard ratios" in html and "published" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "report must not load external resources"


def test_run_is_recorded_in_the_local_dagster_instance(study_run: Path) -> None:
    db = study_run / "dagster_home" / "history" / "runs.db"
    assert db.exists(), "SQLite run storage under DAGSTER_HOME"


def test_report_metadata_links_the_data_docs_and_summarises_qa(study_run: Path) -> None:
    """QA finds the Data Docs and the run's check summary from the report asset in the Dagster UI."""
    import os

    import dagster as dg

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(study_run / "dagster_home")
    try:
        with dg.DagsterInstance.get() as instance:
            event = instance.get_latest_materialization_event(dg.AssetKey(["reports", "study_report"]))
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous
    assert event is not None and event.asset_materialization is not None
    metadata = event.asset_materialization.metadata
    assert str(metadata["data_docs"].value).endswith("data_docs/local_site/index.html")
    assert Path(str(metadata["data_docs"].value)).exists()
    assert "data-quality checks in this run" in str(metadata["qa_summary"].value)


def test_corrupt_delivery_stops_the_run_with_a_clear_message(study_run: Path, rwe: RweCommand) -> None:
    import shutil

    landing = study_run / "data" / "landing"
    good = sorted(p for p in landing.iterdir() if p.is_dir())[-1]
    bad = landing / "cut_9999-12-31"
    shutil.copytree(good, bad)
    manifest = (bad / "manifest.json").read_text().replace(good.name.removeprefix("cut_"), "9999-12-31")
    (bad / "manifest.json").write_text(manifest)
    (bad / "visits.parquet").write_bytes((bad / "visits.parquet").read_bytes()[:1000])
    published = study_run / "data" / "analytics.duckdb"
    published_before = published.read_bytes()
    try:
        run = rwe(study_run, "run")
    finally:
        shutil.rmtree(bad)
    assert run.returncode != 0
    assert "visits.parquet" in run.stderr and "checksum" in run.stderr
    assert published.read_bytes() == published_before, "the analysts' database must be untouched by a failed run"


def test_analysts_database_is_published_without_patient_rows(study_run: Path) -> None:
    con = duckdb.connect(str(study_run / "data" / "analytics.duckdb"), read_only=True)
    tables = {f"{s}.{t}" for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()}
    assert {
        "marts.hazard_ratios",
        "marts.attrition",
        "marts.baseline_characteristics",
        "qa.expectation_results",
    } <= tables
    assert not tables & {"marts.analytic_cohort", "marts.matched_cohort", "marts.propensity_scores"}
    described = con.execute("select count(*) from duckdb_tables() where comment is null or comment = ''").fetchone()[0]
    assert described == 0, "every published table carries its contract description"


def test_failed_blocking_check_stops_the_run_and_names_table_rule_and_keys(study_run: Path, rwe: RweCommand) -> None:
    """A later data cut with duplicated patient keys: ingest accepts the files, the raw GX suite fails with ERROR
    severity, nothing downstream materializes, `rwe run` exits non-zero naming the table, the rule and example keys,
    and the analysts' database is byte-for-byte unchanged."""
    import shutil

    published = study_run / "data" / "analytics.duckdb"
    published_before = published.read_bytes()
    report_dir = study_run / "data" / "reports"
    reports_before = sorted(p.name for p in report_dir.iterdir())
    bad = study_run / "data" / "landing" / "cut_2021-06-30"
    gen = rwe(
        study_run,
        "generate",
        "--patients",
        "3000",
        "--seed",
        "11",
        "--data-cut",
        "2021-06-30",
        "--out",
        str(bad),
        "--defect",
        "duplicate_keys=0.001",
    )
    assert gen.returncode == 0, gen.stderr
    try:
        run = rwe(study_run, "run")
    finally:
        shutil.rmtree(bad)
    assert run.returncode != 0
    assert "raw/demographics:contract_suite (ERROR)" in run.stderr, run.stderr[-3000:]
    assert "primary_key_unique" in run.stderr
    assert re.search(r"e\.g\. F[0-9A-F]{12}", run.stderr), "example keys are named"
    assert published.read_bytes() == published_before
    assert sorted(p.name for p in report_dir.iterdir()) == reports_before, "no report for the rejected cut"
    _assert_checks_and_materializations_are_per_cut(study_run, good="2021-03-31", bad="2021-06-30")


def _assert_checks_and_materializations_are_per_cut(study_run: Path, *, good: str, bad: str) -> None:
    """After a good cut and a later failing one, each cut keeps its own check outcomes and materializations in the
    Dagster instance (what the UI shows per partition): the good cut's checks still pass, the bad cut's fail, and
    the good cut's assets are not headlined by the bad cut's failure."""
    import dagster as dg

    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(study_run / "dagster_home"))
        _assert_per_cut(dg.DagsterInstance.get(), good=good, bad=bad)


def _assert_per_cut(instance: object, *, good: str, bad: str) -> None:
    import dagster as dg
    from dagster._core.event_api import PartitionKeyFilter  # the instance API the UI reads per partition

    assert isinstance(instance, dg.DagsterInstance)
    with instance:
        storage = instance.event_log_storage
        suite = dg.AssetCheckKey(dg.AssetKey(["raw", "demographics"]), "contract_suite")
        outcome, pages = {}, {}
        for cut in (good, bad):
            records = storage.get_asset_check_execution_history(
                suite, limit=1, partition_filter=PartitionKeyFilter(key=cut)
            )
            outcome[cut] = records[0].status.value if records else None
            event = records[0].event.dagster_event if records and records[0].event else None
            metadata = event.event_specific_data.metadata if event else {}
            pages[cut] = Path(str(metadata["data_docs"].value)) if "data_docs" in metadata else None
        assert outcome == {good: "SUCCEEDED", bad: "FAILED"}
        for cut, page in pages.items():  # each check links its own validation page, not the Data Docs index
            assert page is not None and page.is_file(), (cut, page)
            assert f"validations/raw/demographics/{cut}__" in str(page), page
        staging = dg.AssetKey(["staging", "demographics"])
        assert instance.get_materialized_partitions(staging) >= {good}
        assert bad not in instance.get_materialized_partitions(staging), "the failing cut stopped before staging"
        latest_good = instance.get_latest_materialization_event(staging)
        assert latest_good is not None and latest_good.dagster_event.partition == good


def test_no_published_aggregate_shows_a_small_count(study_run: Path) -> None:
    """Every count column of every published table is 0, at least the spec's minimum cell count, or suppressed; the
    example keys of QA results are withheld; the report's own suppression is tested in tests/unit."""
    import polars as pl

    from rwe_cohorts.core.suppression import leaked_small_counts

    spec = load_spec(study_run / "spec.yaml")
    contracts = load_contracts(CONTRACTS_ROOT)
    con = duckdb.connect(str(study_run / "data" / "analytics.duckdb"), read_only=True)
    leaks: list[str] = []
    suppressed = 0
    for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall():
        contract = contracts.get(f"{schema}.{table}")
        if contract is None:
            continue
        frame = pl.from_arrow(con.sql(f"select * from {schema}.{table}").to_arrow_table())
        assert isinstance(frame, pl.DataFrame)
        leaks += leaked_small_counts(frame, contract, spec.privacy.min_cell_count)
        suppressed += sum(frame[c].str.starts_with("<").sum() for c in frame.columns if c.endswith("_display"))
    keys = con.execute("select count(*) from qa.expectation_results where example_keys is not null").fetchone()
    con.close()
    assert leaks == []
    assert suppressed > 0, "the default study has small cells (NTRK+ attrition, Table 1 levels): some are suppressed"
    assert keys == (0,)
