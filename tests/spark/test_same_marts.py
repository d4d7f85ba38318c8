"""Same answers on both engines: every SQL model (staging, intermediate, marts) built on Spark local mode from a
3,000-patient synthetic delivery equals DuckDB's, and so does everything downstream (matching on the collected
cohort, the attrition model reading the matched cohort back).

Equality is the run ledger's: the content hash of the table (rows as text, sorted; doubles to 9 significant digits)
after casting to the table's data contract, else (a double on a rounding boundary) every value equal to 1e-9
relative to the larger magnitude, with non-doubles exactly equal."""

from __future__ import annotations

import math

import duckdb
import polars as pl
import pytest
from spark_engines import SQL_MODELS, BothEngines

from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.engine import COLLECTED
from rwe_cohorts.core.ledger import LEDGER, content_hash
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, connect, list_tables, replace_table

CONTRACTS = load_contracts(CONTRACTS_ROOT)


def _frames_equal(a: pl.DataFrame, b: pl.DataFrame) -> list[str]:
    """Differences between two frames with the same rows in any order (doubles to 1e-9 relative)."""
    if a.columns != b.columns:
        return [f"columns {a.columns} != {b.columns}"]
    if a.height != b.height:
        return [f"{a.height} rows != {b.height} rows"]
    keys = [c for c in a.columns if a.schema[c] != pl.Float64 and not isinstance(a.schema[c], pl.List)]
    a, b = a.sort(keys, nulls_last=True), b.sort(keys, nulls_last=True)
    problems = []
    for c in a.columns:
        for i, (x, y) in enumerate(zip(a[c].to_list(), b[c].to_list(), strict=True)):
            if isinstance(x, float) and isinstance(y, float):
                same = math.isclose(x, y, rel_tol=1e-9, abs_tol=0.0) or (math.isnan(x) and math.isnan(y))
            else:
                same = x == y
            if not same:
                problems.append(f"{c} row {i}: {x!r} != {y!r}")
                break
    return problems


def _collected(both: BothEngines, relation: str) -> tuple[str, pl.DataFrame]:
    """A Spark table cast to its contract in a scratch DuckDB database: its content hash and its rows."""
    frame = both.spark.tables.read_frame(relation)
    scratch = connect(":memory:")
    try:
        replace_table(scratch, relation, frame, CONTRACTS[relation])
        return content_hash(scratch, relation), scratch.sql(f"select * from {relation}").pl()
    finally:
        scratch.close()


def _duckdb(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[str, pl.DataFrame]:
    return content_hash(con, relation), con.sql(f"select * from {relation}").pl()


@pytest.mark.parametrize("relation", SQL_MODELS)
def test_every_sql_model_gives_duckdbs_rows_on_spark(both_engines: BothEngines, relation: str) -> None:
    with both_engines.duckdb.connect(read_only=True) as con:
        expected_hash, expected = _duckdb(con, relation)
    got_hash, got = _collected(both_engines, relation)
    assert expected.height > 0, f"{relation} is empty on DuckDB: the comparison would prove nothing"
    if got_hash != expected_hash:
        assert _frames_equal(expected, got) == [], relation


def test_the_marts_match_the_ledgers_content_hashes(both_engines: BothEngines) -> None:
    """Every mart in the two DuckDB files (the collected SQL marts, matching and attrition) hashes the same (the
    ledger itself aside: its run ids and times differ)."""
    with both_engines.duckdb.connect(read_only=True) as a, both_engines.spark.duckdb.connect(read_only=True) as b:
        marts = [r for r in list_tables(b, ["marts", "intermediate"]) if r != LEDGER]
        assert set(COLLECTED) <= set(marts) and "marts.matched_cohort" in marts
        assert set(marts) <= set(list_tables(a, ["marts", "intermediate"]))
        differ = {}
        for relation in marts:
            ha, fa = _duckdb(a, relation)
            hb, fb = _duckdb(b, relation)
            if ha != hb and (problems := _frames_equal(fa, fb)):
                differ[relation] = problems
    assert differ == {}


def test_the_patient_level_layers_stay_on_spark(both_engines: BothEngines) -> None:
    """With Spark, raw / staging / intermediate tables live in the Spark warehouse; the DuckDB file holds only the
    collected tables, the load log and the Python stages' outputs."""
    with both_engines.spark.duckdb.connect(read_only=True) as con:
        in_duckdb = set(list_tables(con))
    assert {"raw.load_log", *COLLECTED} <= in_duckdb
    assert not {r for r in in_duckdb if r.startswith("staging.")}
    assert not {r for r in in_duckdb if r.startswith("raw.")} - {"raw.load_log"}
    on_spark = set(both_engines.spark.tables.list_tables())
    assert set(SQL_MODELS) <= on_spark and "raw.genomic_alterations" in on_spark
