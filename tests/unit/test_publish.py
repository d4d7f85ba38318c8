"""Publishing: the analysts' database is replaced whole, carries contract descriptions, leaves restricted marts out,
and a reader holding the old file keeps a consistent old state."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from rwe_cohorts.contracts import load_contracts
from rwe_cohorts.publish import publish
from rwe_cohorts.warehouse import CONTRACTS_ROOT, connect


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
    result = publish(wh, target, contracts)
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
    publish(wh, target, contracts)
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
    publish(wh, target, contracts)
    before = target.read_bytes()
    with pytest.raises(duckdb.Error):
        publish(tmp_path / "missing" / "nope.duckdb", target, contracts)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".analytics.duckdb.*"))
