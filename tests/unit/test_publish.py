"""Publishing: the analysts' database is replaced whole, carries contract descriptions, leaves restricted marts out,
keeps every data cut side by side (re-publishing a cut replaces only its rows), and a reader holding the old file
keeps a consistent old state."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.ledger import LEDGER, ensure_ledger, published_run
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, connect
from rwe_cohorts.publish.database import publish, published_cuts
from rwe_cohorts.publish.study import publish_data_cut


def _warehouse(path: Path, hr: float) -> None:
    con = connect(path)
    con.execute(
        "create or replace table marts.hazard_ratio_robustness as select 0::bigint as match_order, "
        "1::bigint as seed, ?::double as hr, 0.5::double as p_lr, 10::bigint as n",
        [hr],
    )
    con.execute("create or replace table marts.matched_cohort as select 'F000000000001' as patient_id")
    con.close()


def test_publish_replaces_whole_with_comments_and_without_restricted(tmp_path: Path) -> None:
    wh, target = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    contracts = load_contracts(CONTRACTS_ROOT)
    _warehouse(wh, 1.5)
    result = publish(wh, target, contracts, data_cut_id="2021-03-31")
    assert "marts.hazard_ratio_robustness" in result.tables
    assert "marts.matched_cohort" not in result.tables  # patient-level: not published
    reader = duckdb.connect(str(target), read_only=True)
    assert reader.execute("select hr from marts.hazard_ratio_robustness").fetchone() == (1.5,)
    comment = reader.execute(
        "select comment from duckdb_tables() where schema_name = 'marts' and table_name = 'hazard_ratio_robustness'"
    ).fetchone()
    assert comment is not None and "match order" in comment[0]
    col = reader.execute(
        "select comment from duckdb_columns() where table_name = 'hazard_ratio_robustness' and column_name = 'hr'"
    ).fetchone()
    assert col is not None and "Hazard ratio" in col[0]

    # A new publication while the reader holds the old file: the reader keeps the old, consistent state.
    _warehouse(wh, 2.5)
    publish(wh, target, contracts, data_cut_id="2021-03-31")
    assert reader.execute("select hr from marts.hazard_ratio_robustness").fetchone() == (1.5,)
    reader.close()
    fresh = duckdb.connect(str(target), read_only=True)
    assert fresh.execute("select hr from marts.hazard_ratio_robustness").fetchone() == (2.5,)
    fresh.close()
    assert not list(tmp_path.glob(".analytics.duckdb.*"))  # no temporary files left behind


def test_failed_publication_leaves_the_published_file_untouched(tmp_path: Path) -> None:
    wh, target = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    contracts = load_contracts(CONTRACTS_ROOT)
    _warehouse(wh, 1.5)
    publish(wh, target, contracts, data_cut_id="2021-03-31")
    before = target.read_bytes()
    with pytest.raises(duckdb.Error):
        publish(tmp_path / "missing" / "nope.duckdb", target, contracts, data_cut_id="2021-03-31")
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".analytics.duckdb.*"))


def _ledger(path: Path, cut: str, date: str, run_id: str) -> None:
    contracts = load_contracts(CONTRACTS_ROOT)
    con = connect(path)
    ensure_ledger(con, contracts[LEDGER])
    con.execute(
        f"insert into {LEDGER} (run_id, data_cut_id, data_cut_date, study_id, spec_hash, spec_json, code_version, "
        "package_versions, launched_by, started_at, status, is_published) "
        "values (?, ?, ?, 's', 'h', '{}', 'c', '{}', 'test', now(), 'succeeded', true)",
        [run_id, cut, date],
    )
    con.close()


def test_data_cuts_are_kept_side_by_side_and_latest_views_follow_the_newest(tmp_path: Path) -> None:
    contracts = load_contracts(CONTRACTS_ROOT)
    target = tmp_path / "analytics.duckdb"
    for cut, date, hr in (("2021-06-30", "2021-06-30", 2.0), ("2021-03-31", "2021-03-31", 1.0)):
        wh = tmp_path / f"{cut}.duckdb"
        _warehouse(wh, hr)
        _ledger(wh, cut, date, f"run-{cut}")
        publish(wh, target, contracts, data_cut_id=cut)
    con = duckdb.connect(str(target), read_only=True)
    rows = con.execute("select data_cut_id, hr from marts.hazard_ratio_robustness order by 1").fetchall()
    assert rows == [("2021-03-31", 1.0), ("2021-06-30", 2.0)]
    # latest = newest data cut date, not the last one published
    assert con.execute("select data_cut_id, hr from latest.hazard_ratio_robustness").fetchall() == [("2021-06-30", 2.0)]
    assert con.execute("select count(*) from marts.study_runs").fetchone() == (2,)
    con.close()

    # Re-publishing one cut replaces its rows only.
    wh = tmp_path / "2021-03-31.duckdb"
    _warehouse(wh, 1.25)
    _ledger(wh, "2021-03-31", "2021-03-31", "run-again")
    publish(wh, target, contracts, data_cut_id="2021-03-31")
    con = duckdb.connect(str(target), read_only=True)
    rows = con.execute("select data_cut_id, hr from marts.hazard_ratio_robustness order by 1").fetchall()
    assert rows == [("2021-03-31", 1.25), ("2021-06-30", 2.0)]
    runs_of_first = con.execute("select run_id from marts.study_runs where data_cut_id = '2021-03-31' order by 1")
    assert runs_of_first.fetchall() == [("run-2021-03-31",), ("run-again",)]
    assert published_cuts(target) == [("2021-03-31", "2021-03-31"), ("2021-06-30", "2021-06-30")]
    con.close()


def test_a_publishing_run_is_recorded_published_only_with_the_published_copy(tmp_path: Path) -> None:
    """The run that publishes is succeeded and published in the published ledger as part of the atomic replace,
    while the warehouse's ledger is left for the caller (``publish_data_cut``) to update afterwards; a publication
    that fails leaves both as they were."""
    contracts = load_contracts(CONTRACTS_ROOT)
    wh, target = tmp_path / "2021-03-31.duckdb", tmp_path / "analytics.duckdb"
    _warehouse(wh, 1.5)
    _ledger(wh, "2021-03-31", "2021-03-31", "run-1")
    con = connect(wh)
    con.execute(f"update {LEDGER} set status = 'started', is_published = false")
    run = published_run(con, "run-1", ["marts.hazard_ratio_robustness"])
    con.close()

    with pytest.raises(duckdb.Error):
        publish(tmp_path / "missing.duckdb", target, contracts, data_cut_id="2021-03-31", run=run)
    assert not target.exists()

    publish(wh, target, contracts, data_cut_id="2021-03-31", run=run)
    published = duckdb.connect(str(target), read_only=True)
    row = published.execute(f"select status, is_published, mart_hashes from {LEDGER}").fetchall()
    published.close()
    assert row == [("succeeded", True, json.dumps(dict(run.mart_hashes), sort_keys=True))]
    source = duckdb.connect(str(wh), read_only=True)
    assert source.execute(f"select status, is_published from {LEDGER}").fetchall() == [("started", False)]
    source.close()

    result, recorded = publish_data_cut(
        lambda: connect(wh), wh, target, contracts, data_cut_id="2021-03-31", run_id="run-1", min_cell=11
    )
    assert "marts.study_runs" in result.tables
    assert set(recorded.mart_hashes) == {"marts.hazard_ratio_robustness", "marts.matched_cohort"}
    assert recorded.mart_hashes["marts.hazard_ratio_robustness"] == run.mart_hashes["marts.hazard_ratio_robustness"]
    source = duckdb.connect(str(wh), read_only=True)
    assert source.execute(f"select status, is_published from {LEDGER}").fetchall() == [("succeeded", True)]
    source.close()
