"""Great Expectations suites (built from the data contracts) as blocking Dagster asset checks, per layer.

One check op per layer validates every table of that layer, stores every result in ``qa.expectation_results`` and a
per-run summary in ``qa.qa_summary``, and rebuilds the Data Docs. A table with an error-severity failure fails its
check with ERROR severity, which blocks everything downstream; warn-severity failures are reported, not blocking.
The raw layer also compares each table's row count with the previous data cut (``row_count_drift``, warn; the counts
are kept in ``qa.delivery_row_counts``) and reports it with that table's suite.
"""

import re
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.common import key
from pipelines.resources import StudyResource
from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.quality import (
    ExpectationOutcome,
    GXContext,
    delivery_drift,
    genomic_checks,
    outcomes_to_frame,
    qa_summary,
    qa_summary_text,
    validate_relations,
)
from rwe_cohorts.quality.drift import import_baseline
from rwe_cohorts.quality.store import store_results

GENOMICS = "genomic_plausibility"


def _columns(outcome: ExpectationOutcome, contract: Contract | None) -> list[str]:
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


def _failure_line(outcome: ExpectationOutcome, contract: Contract | None) -> str:
    """One failed check: rule, columns, severity, count and up to three example keys."""
    columns = _columns(outcome, contract)
    return (
        outcome.rule
        + (f" (column {', '.join(columns)})" if columns else "")
        + f" [{outcome.tag}, {outcome.severity}]: {outcome.unexpected_count} of {outcome.element_count} rows"
        + (f"; e.g. {', '.join(outcome.example_keys[:3])}" if outcome.example_keys else "")
    )


def _result(
    relation: str, check: str, outcomes: list[ExpectationOutcome], docs: Path, contract: Contract | None = None
) -> dg.AssetCheckResult:
    failed = [o for o in outcomes if not o.passed]
    errors = [o for o in failed if o.severity == "error"]
    lines = [_failure_line(o, contract) for o in failed]
    return dg.AssetCheckResult(
        asset_key=key(relation),
        check_name=check,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={
            "summary": f"{relation}: {len(failed)} of {len(outcomes)} checks failed"
            + (": " + "; ".join(lines[:5]) if lines else ""),
            "checks": len(outcomes),
            "failed_error": len(errors),
            "failed_warn": len(failed) - len(errors),
            "failures": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none"),
            "data_docs": dg.MetadataValue.path(str(docs)),
        },
    )


def _suite_check(layer: str) -> dg.AssetChecksDefinition:
    contracts: dict[str, Contract] = load_contracts(CONTRACTS_ROOT, layer)
    specs = [
        dg.AssetCheckSpec("contract_suite", asset=key(r), blocking=True, description=f"GX suite built from {r}")
        for r in contracts
    ]
    if layer == "raw":
        specs.append(
            dg.AssetCheckSpec(
                GENOMICS,
                asset=key("raw.genomic_alterations"),
                blocking=True,
                description=(
                    "Exposure-fusion prevalence band, driver co-alteration rarity, genes on the report panel, "
                    "known fusion partners"
                ),
            )
        )

    @dg.multi_asset_check(specs=specs, name=f"{layer}_quality", can_subset=False)
    def _check(context: dg.AssetCheckExecutionContext, study: StudyResource):  # type: ignore[no-untyped-def]
        spec = study.spec()
        gx = GXContext.file(Path(study.gx_dir))
        qa = load_contracts(CONTRACTS_ROOT, "qa")
        with study.connect() as con:
            row = con.execute("select any_value(data_cut_id), max(data_cut_date) from raw.load_log").fetchone()
            cut = str(row[0]) if row and row[0] else "unknown"
            validations = validate_relations(
                con, contracts.values(), run_id=context.run.run_id, data_cut_id=cut, context=gx
            )
            extra: list[ExpectationOutcome] = []
            drift: dict[str, ExpectationOutcome] = {}
            if layer == "raw":
                extra = genomic_checks(
                    con,
                    exposure_genes=spec.exposure.genes,
                    driver_genes=spec.covariates.driver_genes,
                    context=gx,
                    run_id=context.run.run_id,
                    data_cut_id=cut,
                )
                if row and row[1] is not None:
                    import_baseline(con, qa["qa.delivery_row_counts"], Path(study.published_path), data_cut_id=cut)
                    outcomes = delivery_drift(
                        con,
                        qa["qa.delivery_row_counts"],
                        data_cut_id=cut,
                        data_cut_date=row[1],
                        run_id=context.run.run_id,
                    )
                    drift = {o.relation: o for o in outcomes}
            everything = [*validations, *extra, *drift.values()]
            results = outcomes_to_frame(everything, run_id=context.run.run_id, data_cut_id=cut)
            summary = qa_summary(everything).with_columns(
                pl.lit(context.run.run_id).alias("run_id"), pl.lit(cut).alias("data_cut_id")
            )
            store_results(
                con,
                results,
                summary,
                results_contract=qa["qa.expectation_results"],
                summary_contract=qa["qa.qa_summary"],
            )
        docs = gx.build_data_docs()
        context.log.info(f"{layer} quality: {qa_summary_text(everything)}; Data Docs: {docs}")
        for v in validations:
            own_drift = [drift[v.relation]] if v.relation in drift else []
            yield _result(v.relation, "contract_suite", [*v.results, *own_drift], docs, contracts.get(v.relation))
        if layer == "raw":
            yield _result("raw.genomic_alterations", GENOMICS, extra, docs, contracts.get("raw.genomic_alterations"))

    return _check


quality_checks = [_suite_check("raw"), _suite_check("staging")]
