"""The Great Expectations patch (``rwe_cohorts.quality.gx_duckdb_patch``) is pinned to the GX code it replaces: these
tests fail when an upgrade changes the installed version or the source of a patched function, so whoever upgrades
checks whether the patch is still needed (GX PR #12084, a native DuckDB engine) and re-pins or removes it. They also
show the two fixes work on a real DuckDB file: a bundled metric query and a regex expectation on GX's SQL engine.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import great_expectations

from rwe_cohorts.quality import gx_duckdb_patch
from rwe_cohorts.quality._gx import gx, gxe


def test_installed_gx_is_the_pinned_version() -> None:
    assert great_expectations.__version__ == gx_duckdb_patch.GX_VERSION


def test_patched_functions_unchanged_in_installed_gx() -> None:
    for name, digest in gx_duckdb_patch.PINNED_SOURCE_SHA256.items():
        assert gx_duckdb_patch.source_digest(name) == digest, f"{name} changed in GX: review the patch"


def test_re2_regex_rewrites_only_the_end_anchor() -> None:
    assert gx_duckdb_patch.re2_regex(r"\A(?:^F[0-9A-F]{12}$)\Z") == r"\A(?:^F[0-9A-F]{12}$)\z"
    assert gx_duckdb_patch.re2_regex(r"a\\Z") == r"a\\Z"  # an escaped backslash followed by Z is not the anchor


def test_sql_engine_counts_on_a_duckdb_file(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"), config={"memory_limit": "1GB"})
    con.execute(
        "create table t as select 'F' || lpad(range::varchar, 12, '0') as id, "
        "case when range % 100 = 5 then 'x1' else 'AB' end as s, range % 7 as v from range(10000)"
    )
    con.execute("insert into t values ('F000000000003', 'AB', 1)")
    ctx = gx.get_context(mode="ephemeral")
    with gx_duckdb_patch.bound_connection(con):
        source = ctx.data_sources.add_sql("d", connection_string=gx_duckdb_patch.BOUND_URL)
        batch = source.add_query_asset("t", query="select * from t").add_batch_definition_whole_table("all")
        suite = ctx.suites.add(
            gx.ExpectationSuite(
                name="t",
                expectations=[
                    gxe.ExpectColumnValuesToMatchRegex(column="s", regex=r"\A(?:^[A-Z]{2}$)\Z"),
                    gxe.ExpectColumnValuesToBeUnique(column="id"),
                    gxe.ExpectColumnValuesToBeBetween(column="v", min_value=0, max_value=5),
                ],
            )
        )
        definition = ctx.validation_definitions.add(gx.ValidationDefinition(name="t", data=batch, suite=suite))
        result = definition.run(
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": 2,
                "unexpected_index_column_names": ["id"],
            }
        )
    by_type = {r.expectation_config.type: r.result for r in result.results}
    regex = by_type["expect_column_values_to_match_regex"]
    assert (regex["element_count"], regex["unexpected_count"]) == (10001, 100)
    assert [e["id"] for e in regex["partial_unexpected_index_list"]] == ["F000000000005", "F000000000105"]
    assert by_type["expect_column_values_to_be_unique"]["unexpected_count"] == 2
    assert by_type["expect_column_values_to_be_between"]["unexpected_count"] == sum(i % 7 == 6 for i in range(10000))
    con.execute("select 1").fetchall()  # the bound connection is still open after GX's engine is disposed
    con.close()
