"""The data-quality checks on Spark: every raw and staging table validated against its contract's suite (the SQL
computing the rule and foreign-key columns runs on Spark, translated; GX judges the same frames), and the genomics
checks on the raw alterations, give DuckDB's outcomes on the same delivery.

Identical means: the same rules, pass / fail, element and unexpected counts, observed values and errors; example
keys are compared as sets when every failing row is listed (at most the example limit), since which failing rows
come first depends on the engine's row order."""

from __future__ import annotations

from typing import Any

import pytest
from spark_engines import BothEngines

from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.quality import GXContext
from rwe_cohorts.quality.genomics import genomic_checks
from rwe_cohorts.quality.outcomes import MAX_EXAMPLE_KEYS, ExpectationOutcome
from rwe_cohorts.quality.runner import validate_relations


def _comparable(o: ExpectationOutcome) -> dict[str, Any]:
    fields = {k: v for k, v in vars(o).items() if k != "example_keys"}
    if o.unexpected_count <= MAX_EXAMPLE_KEYS:
        fields["example_keys"] = sorted(o.example_keys)
    return fields


@pytest.mark.parametrize("layer", ["raw", "staging"])
def test_contract_suites_judge_spark_tables_as_duckdb_ones(both_engines: BothEngines, layer: str) -> None:
    contracts = [c for r, c in load_contracts(CONTRACTS_ROOT, layer).items() if r != "raw.load_log"]
    gx = GXContext.ephemeral()
    with both_engines.duckdb.connect(read_only=True) as con:
        expected = validate_relations(con, contracts, run_id="duckdb", data_cut_id="cut", context=gx)
    with both_engines.spark.data_sql() as data:
        got = validate_relations(data, contracts, run_id="spark", data_cut_id="cut", context=gx)
    assert [v.relation for v in got] == [v.relation for v in expected]
    for e, g in zip(expected, got, strict=True):
        assert [_comparable(o) for o in g.results] == [_comparable(o) for o in e.results], e.relation
    assert sum(o.element_count for v in got for o in v.results) > 0
    assert all(o.error is None for v in got for o in v.results), [o for v in got for o in v.results if o.error]


def test_genomics_checks_give_duckdbs_outcomes_on_spark(both_engines: BothEngines, spec: StudySpec) -> None:
    kwargs = {"exposure_genes": spec.exposure.genes, "driver_genes": spec.covariates.driver_genes}
    with both_engines.duckdb.connect(read_only=True) as con:
        expected = genomic_checks(con, context=GXContext.ephemeral(), **kwargs)
    with both_engines.spark.data_sql() as data:
        got = genomic_checks(data, context=GXContext.ephemeral(), **kwargs)
    assert [_comparable(o) for o in got] == [_comparable(o) for o in expected]
    assert all(o.error is None for o in got)


def test_batched_validation_streams_spark_batches_with_duckdbs_counts(both_engines: BothEngines) -> None:
    """A relation over ``batch_rows`` is validated in key-hash batches; on Spark they are collected one at a time.
    The batches differ between engines (different hash functions) but the summed counts do not."""
    contract = load_contracts(CONTRACTS_ROOT, "raw")["raw.genomic_reports"]
    gx = GXContext.ephemeral()
    with both_engines.duckdb.connect(read_only=True) as con:
        expected = validate_relations(con, [contract], run_id="d", data_cut_id="c", context=gx, batch_rows=1500)
    with both_engines.spark.data_sql() as data:
        got = validate_relations(data, [contract], run_id="s", data_cut_id="c", context=gx, batch_rows=1500)
    assert [_comparable(o) for o in got[0].results] == [_comparable(o) for o in expected[0].results]
    assert max(o.element_count for o in got[0].results) > 1500  # a row-level check saw every batch
