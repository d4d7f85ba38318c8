"""Data-quality library: what the checks leave behind — the expectation results frame and its schema, the QA summary,
GX Data Docs (written by a file context, unavailable from an ephemeral one) — on the hand-made ``raw`` database of
``quality_raw_db.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import polars as pl
import pytest
from quality_raw_db import raw_database, validate

from rwe_cohorts.quality import (
    EXPECTATION_RESULTS_SCHEMA,
    DataDocsUnavailableError,
    GXContext,
    genomic_checks,
    outcomes_to_frame,
    qa_summary,
    qa_summary_text,
)


@pytest.fixture(scope="module")
def gx_context() -> GXContext:
    return GXContext.ephemeral()


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = raw_database()
    yield connection
    connection.close()


def test_data_docs_index_is_written(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ctx = GXContext.file(tmp_path)
    con.execute("update raw.demographics set gender = 'X' where patient_id = 'F000000000002'")
    validation = validate(con, "raw.demographics", ctx)
    genomic_checks(con, context=ctx, run_id="test", data_cut_id="cut")
    index = ctx.build_data_docs()
    assert index == tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.is_file()
    assert "raw.demographics" in index.read_text()
    pages = list(index.parent.rglob("*.html"))
    assert any("genomics" in str(p) for p in pages)
    assert (tmp_path / "gx" / "expectations").is_dir()
    assert any((tmp_path / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert not validation.success


def test_expectation_results_frame_schema(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("update raw.ecog set ecog_value = 9")
    validations = [validate(con, r, gx_context) for r in ("raw.ecog", "raw.demographics")]
    when = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    frame = outcomes_to_frame(validations, run_id="r1", data_cut_id="cut_2021-03-31", evaluated_at=when)
    assert frame.schema == pl.Schema(EXPECTATION_RESULTS_SCHEMA)
    assert frame.height == sum(len(v.results) for v in validations)
    bad = frame.filter(~pl.col("passed"))
    assert bad["rule"].to_list() == ["range__ecog_value"]
    assert json.loads(bad["example_keys"][0]) == [
        "F000000000001|2015-01-05",
        "F000000000001|2015-03-05",
        "F000000000003|2017-07-01",
    ]
    assert frame["evaluated_at"].unique().to_list() == [dt.datetime(2024, 5, 1, 12)]
    db = duckdb.connect()
    db.execute("create schema qa")
    db.execute("create table qa.expectation_results as select * from frame")
    types = dict(db.execute("select column_name, data_type from information_schema.columns").fetchall())
    assert types["example_keys"] == "VARCHAR" and types["evaluated_at"] == "TIMESTAMP"
    assert types["max_count"] == "BIGINT" and types["passed"] == "BOOLEAN"

    summary = qa_summary(validations)
    assert summary.columns == ["relation", "tag", "severity", "n_checks", "n_failed"]
    assert summary.filter(pl.col("n_failed") > 0).rows() == [("raw.ecog", "plausibility", "error", 2, 1)]
    text = qa_summary_text(validations)
    assert text.startswith(f"1 of {frame.height} rules failed: raw.ecog plausibility (error) 1")
    assert qa_summary_text(validations[1:]).startswith("all ")


def test_ephemeral_context_has_no_data_docs(gx_context: GXContext) -> None:
    with pytest.raises(DataDocsUnavailableError):
        gx_context.build_data_docs()
