"""The ready queries (``docs/queries/*.sql``) run as written against a real published database.

The database is the one a whole pipeline run publishes (``ntrk_run``: 20,000 generated patients, seed 7), opened
read-only as analysts open it. Each query must return rows with exactly the columns listed here. A query that selects
a small-cell ``<count>_display`` column is marked xfail (not strict) only while the published tables lack that column
(before small-cell suppression at publish lands); once the columns exist it must pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.docs.generate_analyst_docs import QUERIES, published_columns, published_contracts

EXPECTED_COLUMNS: dict[str, list[str]] = {
    "median_os_by_arm": [
        "data_cut_id",
        "arm",
        "n_display",
        "events_display",
        "median",
        "median_ci_lower",
        "median_ci_upper",
        "median_os_months_95ci",
    ],
    "hazard_ratios": [
        "data_cut_id",
        "analysis",
        "model",
        "status",
        "exposed_label",
        "comparator_label",
        "n_exposed_display",
        "events_exposed_display",
        "n_comparator_display",
        "events_comparator_display",
        "hr",
        "hr_ci_lower",
        "hr_ci_upper",
        "p_wald",
        "p_lr",
        "p_score",
        "p_score_robust",
        "warnings",
        "reason",
    ],
    "attrition": [
        "data_cut_id",
        "arm",
        "step_order",
        "step",
        "description",
        "patients_remaining_display",
        "patients_removed_display",
    ],
    "covariate_balance": [
        "data_cut_id",
        "covariate",
        "level",
        "kind",
        "mean_exposed_before",
        "mean_control_before",
        "smd_before",
        "mean_exposed_after",
        "mean_control_after",
        "smd_after",
        "variance_ratio_after",
        "smd_se_after",
        "p_above_threshold_after",
        "balance_after",
        "smd_threshold",
        "imbalanced_before",
        "imbalanced_after",
    ],
    "compare_data_cuts": [
        "data_cut_id",
        "data_cut_date",
        "arm",
        "n_display",
        "events_display",
        "median",
        "median_ci_lower",
        "median_ci_upper",
        "median_change_from_previous_cut",
    ],
    "qa_summary": [
        "data_cut_id",
        "run_id",
        "relation",
        "rules",
        "rules_failed_error",
        "rules_failed_warn",
        "failed_rules",
    ],
    "row_count_drift": [
        "data_cut_id",
        "data_cut_date",
        "relation",
        "row_count",
        "previous_data_cut_id",
        "previous_row_count",
        "relative_change",
        "drift_warning",
    ],
    "run_ledger": [
        "data_cut_id",
        "data_cut_date",
        "run_id",
        "status",
        "is_published",
        "launched_by",
        "started_at",
        "finished_at",
        "duration_s",
        "failed_steps",
        "study_id",
        "spec_hash_12",
        "code_version",
    ],
}

QUERY_FILES = sorted(QUERIES.glob("*.sql"))
RELATION = re.compile(r"\b(latest|marts|qa)\.([a-z_][a-z0-9_]*)\b")
DISPLAY = re.compile(r"\b([a-z_][a-z0-9_]*_display)\b")


@pytest.fixture(scope="module")
def published(ntrk_run: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = ntrk_run / "data" / "analytics.duckdb"
    assert path.exists(), f"the pipeline run published no database at {path}"
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


# --- static checks (no pipeline run) ---------------------------------------------------------------------------


def test_every_query_is_registered() -> None:
    assert QUERY_FILES, f"no ready queries in {QUERIES}"
    assert sorted(p.stem for p in QUERY_FILES) == sorted(EXPECTED_COLUMNS)


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_query_is_one_select_with_a_header(path: Path) -> None:
    sql = path.read_text()
    lines = sql.splitlines()
    assert lines and lines[0].startswith("-- "), f"{path.name}: start with a '-- ' comment saying what it answers"
    assert any(line.startswith("-- Run: ") for line in lines), f"{path.name}: say how to run it ('-- Run: ...')"
    statements = duckdb.extract_statements(sql)
    assert len(statements) == 1, f"{path.name}: {len(statements)} statements, expected one"
    assert statements[0].type == duckdb.StatementType.SELECT, f"{path.name}: not a SELECT"


# --- against the published database ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_ready_query_runs_as_written(
    path: Path, published: duckdb.DuckDBPyConnection, request: pytest.FixtureRequest
) -> None:
    sql = path.read_text()
    available = {c for schema, table in RELATION.findall(sql) for c in _columns(published, schema, table)}
    missing = sorted(set(DISPLAY.findall(sql)) - available)
    if missing:
        request.applymarker(
            pytest.mark.xfail(
                strict=False,
                reason=f"published tables lack small-cell display columns {missing}: suppression at publish "
                "(small_cell in the contracts) has not landed yet",
            )
        )
    cursor = published.execute(sql)
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert columns == EXPECTED_COLUMNS[path.stem]
    assert rows, f"{path.name} returned no rows"
    if path.stem == "median_os_by_arm":
        arms = [r[columns.index("arm")] for r in rows]
        assert len(rows) == 2 and len(set(arms)) == 2, f"expected two arms, got {arms}"
        assert all(r[columns.index("n_display")] for r in rows), "every arm shows its patients (a count or <11)"
        assert len({r[0] for r in rows}) == 1, "one data cut"
    if path.stem == "hazard_ratios":
        assert ("primary", "unstratified") in {(r[1], r[2]) for r in rows}
    if path.stem == "attrition":
        per_arm: dict[str, list[int]] = {}
        for r in rows:
            per_arm.setdefault(r[1], []).append(r[2])
        assert len(per_arm) == 2 and all(steps == sorted(steps) for steps in per_arm.values())


def test_docs_cover_every_published_table(published: duckdb.DuckDBPyConnection) -> None:
    """docs/analysts.md documents exactly the published tables, and each one's columns as published."""
    tables = published.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('marts', 'qa') and table_type = 'BASE TABLE' order by 1"
    ).fetchall()
    documented = published_contracts()
    assert sorted(t for (t,) in tables) == sorted(documented)
    names = published.execute("select column_name from information_schema.columns").fetchall()
    has_display = any(c.endswith("_display") for (c,) in names)
    for relation, raw in documented.items():
        schema, table = relation.split(".", 1)
        actual = _columns(published, schema, table)
        expected = [c.name for c in published_columns(raw)]
        if not has_display:  # before small-cell suppression at publish lands
            expected = [c for c in expected if not c.endswith("_display")]
        assert actual == expected, f"{relation}: published columns differ from docs/analysts.md"
        assert _columns(published, "latest", table) == actual, f"latest.{table} does not mirror {relation}"
