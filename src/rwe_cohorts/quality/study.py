"""The quality stage's study-level step: check one layer (``raw`` or ``staging``) of a data cut's warehouse.

Every table of the layer is validated against its contract's suite; the raw layer also gets the genomics
plausibility checks (with the study spec's exposure and driver genes) and the row-count drift against the previous
data cut (the baseline imported from the analysts' database). Every outcome is stored in ``qa.expectation_results``
with a per-run summary in ``qa.qa_summary``, and the Data Docs are rebuilt. The Dagster checks turn the returned
:class:`LayerChecks` into one check result per table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import polars as pl

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.quality.context import GXContext
from rwe_cohorts.quality.drift import delivery_drift, import_baseline
from rwe_cohorts.quality.genomics import genomic_checks
from rwe_cohorts.quality.outcomes import ExpectationOutcome, RelationValidation
from rwe_cohorts.quality.results import outcomes_to_frame, qa_summary, qa_summary_text
from rwe_cohorts.quality.runner import Engine, validate_relations
from rwe_cohorts.quality.store import store_results


@dataclass(frozen=True)
class LayerChecks:
    """The outcomes of one layer's checks: per table (its suite plus, for raw, its row-count drift), the genomics
    checks (raw only), where the Data Docs are, and a one-line summary."""

    layer: str
    data_cut_id: str
    validations: list[RelationValidation]
    drift: dict[str, ExpectationOutcome]
    genomics: list[ExpectationOutcome]
    data_docs: Path
    summary: str

    def table_outcomes(self, validation: RelationValidation) -> list[ExpectationOutcome]:
        """A table's suite outcomes and its row-count drift outcome (when the layer has one for it)."""
        own_drift = [self.drift[validation.relation]] if validation.relation in self.drift else []
        return [*validation.results, *own_drift]


def check_layer(
    con: duckdb.DuckDBPyConnection,
    layer: str,
    *,
    spec: StudySpec,
    gx: GXContext,
    run_id: str,
    published_path: Path,
    contracts: dict[str, Contract] | None = None,
    data: Any = None,
) -> LayerChecks:
    """Validate every table of ``layer`` in ``con``, store the results and rebuild the Data Docs.

    ``data`` is where the layer's tables are when not in ``con`` (the Spark engine's DuckDB-shaped connection,
    :class:`rwe_cohorts.core.spark.SparkSql`): the suites' and genomics checks' SQL runs there (judged by GX's pandas
    engine, since GX's SQL engine is bound to a DuckDB connection), the results, load log and drift baseline stay in
    ``con``."""
    tables = cast(duckdb.DuckDBPyConnection, data if data is not None else con)
    contracts = contracts if contracts is not None else load_contracts(CONTRACTS_ROOT, layer)
    qa = load_contracts(CONTRACTS_ROOT, "qa")
    row = con.execute("select any_value(data_cut_id), max(data_cut_date) from raw.load_log").fetchone()
    cut = str(row[0]) if row and row[0] else "unknown"
    # GX's SQL engine runs on a DuckDB connection (quality.gx_duckdb_patch); on Spark the rule columns are computed by
    # Spark and judged by GX's pandas engine in batches (the parity tests compare both with the DuckDB run).
    engine: Engine = "sql" if isinstance(tables, duckdb.DuckDBPyConnection) else "pandas"
    validations = validate_relations(
        tables, contracts.values(), run_id=run_id, data_cut_id=cut, context=gx, engine=engine
    )
    genomics: list[ExpectationOutcome] = []
    drift: dict[str, ExpectationOutcome] = {}
    if layer == "raw":
        genomics = genomic_checks(
            tables,
            exposure_genes=spec.exposure.genes,
            driver_genes=spec.covariates.driver_genes,
            context=gx,
            run_id=run_id,
            data_cut_id=cut,
        )
        if row and row[1] is not None:
            import_baseline(con, qa["qa.delivery_row_counts"], published_path, data_cut_id=cut)
            outcomes = delivery_drift(
                con, qa["qa.delivery_row_counts"], data_cut_id=cut, data_cut_date=row[1], run_id=run_id
            )
            drift = {o.relation: o for o in outcomes}
    everything: list[ExpectationOutcome | RelationValidation] = [*validations, *genomics, *drift.values()]
    results = outcomes_to_frame(everything, run_id=run_id, data_cut_id=cut)
    summary = qa_summary(everything).with_columns(pl.lit(run_id).alias("run_id"), pl.lit(cut).alias("data_cut_id"))
    store_results(
        con, results, summary, results_contract=qa["qa.expectation_results"], summary_contract=qa["qa.qa_summary"]
    )
    docs = gx.build_data_docs()
    return LayerChecks(layer, cut, validations, drift, genomics, docs, qa_summary_text(everything))


def failure_columns(outcome: ExpectationOutcome, contract: Contract | None) -> list[str]:
    """The columns a failed check is about: its own column, the key, the foreign key, or those a row rule reads."""
    if contract is None:
        return [outcome.column] if outcome.column else []
    if outcome.column in contract.column_names:
        return [outcome.column]
    if outcome.rule == "primary_key_unique":
        return list(contract.primary_key)
    for fk in contract.foreign_keys:
        if fk.name == outcome.rule:
            return list(fk.columns)
    for rule in contract.rules:
        if rule.name == outcome.rule:
            return [c for c in contract.column_names if re.search(rf"\b{c}\b", rule.expect)]
    return []


def failure_line(outcome: ExpectationOutcome, contract: Contract | None) -> str:
    """One failed check: rule, columns, severity, count and up to three example keys."""
    columns = failure_columns(outcome, contract)
    return (
        outcome.rule
        + (f" (column {', '.join(columns)})" if columns else "")
        + f" [{outcome.tag}, {outcome.severity}]: {outcome.unexpected_count} of {outcome.element_count} rows"
        + (f"; e.g. {', '.join(outcome.example_keys[:3])}" if outcome.example_keys else "")
    )
