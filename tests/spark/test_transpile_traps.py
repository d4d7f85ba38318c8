"""Each DuckDB construct sqlglot alone would translate into a different answer on Spark (or into SQL Spark
rejects), run on both engines: the rewritten Spark SQL gives DuckDB's answer, and for the two known traps the plain
sqlglot translation is shown to differ, so the test would catch a rewrite that stopped applying."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest
import sqlglot

from rwe_cohorts.core.transpile import TranspileError, to_spark

D = dt.date
CASES = {
    # year / month boundaries crossed (DuckDB), not whole years / months elapsed
    "year_boundary": ("select date_diff('year', date '2020-12-31', date '2021-01-01')", [(1,)]),
    "years_elapsed_short": ("select date_diff('year', date '2020-01-02', date '2021-01-01')", [(1,)]),
    "month_boundary": ("select date_diff('month', date '2021-01-31', date '2021-02-01')", [(1,)]),
    "days": ("select datediff('day', date '2021-03-01', date '2021-02-01')", [(-28,)]),
    # an ordered list aggregate keeps its order (and its nulls)
    "ordered_list": (
        "select list(x order by y) from (values ('c', 3), ('a', 1), (null, 2)) as t(x, y)",
        [(["a", None, "c"],)],
    ),
    "ordered_list_ties_second_key": (
        "select list(x order by y, z) from (values ('b', 1, 2), ('a', 1, 1), ('c', 0, 9)) as t(x, y, z)",
        [(["c", "a", "b"],)],
    ),
    # DOUBLE division by a decimal literal
    "double_division": ("select 26743 / 365.25", [(26743 / 365.25,)]),
    "len_of_list": ("select len(list_intersect(['a', 'b', 'c'], ['c', 'a', 'z']))", [(2,)]),
    "list_position": ("select list_position(['x', 'y', 'z'], 'z')", [(3,)]),
    "to_days": ("select date '2021-03-31' - to_days(31), date '2021-01-31' + to_days(1)", [(None, D(2021, 2, 1))]),
    "quantile_cont": (
        "select quantile_cont(cast(v as double), 0.25) from (values (1), (2), (4), (10)) as t(v)",
        [(1.75,)],
    ),
    "arg_min_tuple": (
        "select arg_min(x, (a, b)) from (values ('p', 1, 2), ('q', 1, 1), ('r', 2, 0)) as t(x, a, b)",
        [("q",)],
    ),
    "regexp_full_match": ("select regexp_full_match('C49.9', '[A-Z][0-9]{2}(\\.[0-9]{1,4})?')", [(True,)]),
    "regexp_partial_is_not_full": ("select regexp_full_match('xC49', '[A-Z][0-9]{2}')", [(False,)]),
    "bound_parameters": (
        "select $d + to_days($n), len($l), $f / 2, $flag",
        [(D(2021, 4, 3), 2, 0.75, True)],
    ),
}
PARAMS = {"d": D(2021, 3, 31), "n": 3, "l": ["a", "b"], "f": 1.5, "flag": True}


def _normalise(rows: list[Any]) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        values = []
        for v in row:
            if hasattr(v, "asDict"):
                v = v.asDict()
            if isinstance(v, dt.datetime):
                v = v.date()
            values.append(v)
        out.append(tuple(values))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_rewritten_spark_sql_gives_duckdbs_answer(spark_session: Any, name: str) -> None:
    sql, expected = CASES[name]
    if name == "to_days":
        expected = [(D(2021, 2, 28), D(2021, 2, 1))]
    params = PARAMS if "$" in sql else None
    got_duckdb = _normalise(duckdb.execute(sql, params).fetchall())
    got_spark = _normalise(spark_session.sql(to_spark(sql, params)).collect())
    assert got_duckdb == expected, "the case's expectation is DuckDB's answer"
    assert got_spark == expected


@pytest.mark.parametrize(("name", "plain_answer"), [("year_boundary", [(0,)]), ("ordered_list", [(["c", "a"],)])])
def test_plain_sqlglot_translation_changes_the_answer(spark_session: Any, name: str, plain_answer: Any) -> None:
    """The two documented traps: without the rewrites Spark answers differently (so the rewrites are needed)."""
    sql, expected = CASES[name]
    plain = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    got = _normalise(spark_session.sql(plain).collect())
    assert got != expected
    assert got == plain_answer or name == "ordered_list"  # collect_list's order is whatever the scan gives


def test_untranslatable_constructs_fail_loudly() -> None:
    with pytest.raises(TranspileError, match="date_diff"):
        to_spark("select date_diff('week', a, b) from t")
    with pytest.raises(TranspileError, match="DESC"):
        to_spark("select list(x order by y desc) from t")
    with pytest.raises(TranspileError, match=r"\$missing"):
        to_spark("select $missing")


def test_tables_are_located_and_keep_their_names() -> None:
    sql = to_spark("select c.x from marts.analytic_cohort as c join raw.demographics using (patient_id)", locate=str)
    assert "parquet.`marts.analytic_cohort` AS c" in sql and "parquet.`raw.demographics` AS demographics" in sql
