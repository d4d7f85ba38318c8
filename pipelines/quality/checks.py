"""Great Expectations suites (built from the data contracts) as blocking Dagster asset checks, per layer.

One check op per layer runs the quality stage's step (``rwe_cohorts.quality.study.check_layer``: every table of the
layer validated, results in ``qa.expectation_results`` and ``qa.qa_summary``, Data Docs rebuilt) and reports one
check result per table. A table with an error-severity failure fails its check with ERROR severity, which blocks
everything downstream; warn-severity failures are reported, not blocking. The raw layer's row-count drift against
the previous data cut (warn) is reported with each table's suite, and the genomics checks on
``raw.genomic_alterations``.
"""

from pathlib import Path

import dagster as dg

from pipelines.common import explain_failures, key
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.quality.data_docs import validation_pages
from rwe_cohorts.quality.genomics_rules import GENOMICS_CHECK as GENOMICS
from rwe_cohorts.quality.genomics_rules import GENOMICS_RULES
from rwe_cohorts.quality.outcomes import ExpectationOutcome


def _result(
    relation: str,
    check: str,
    outcomes: list[ExpectationOutcome],
    docs: Path,
    pages: list[Path],
    contract: Contract | None = None,
) -> dg.AssetCheckResult:
    """One Dagster check result; ``pages`` are the check's own validation pages in the Data Docs (``data_docs``
    links the first, so the link opens this check's validation, not the index)."""
    from rwe_cohorts.quality.study import failure_line

    failed = [o for o in outcomes if not o.passed]
    errors = [o for o in failed if o.severity == "error"]
    lines = [failure_line(o, contract) for o in failed]
    return dg.AssetCheckResult(
        asset_key=key(relation),
        check_name=check,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={
            "summary": f"{relation}: {len(failed)} of {len(outcomes)} rules failed"
            + (": " + "; ".join(lines[:5]) if lines else ""),
            "rules": len(outcomes),
            "rules_failed_error": len(errors),
            "rules_failed_warn": len(failed) - len(errors),
            "failures": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none"),
            "data_docs": dg.MetadataValue.path(str(pages[0] if pages else docs)),
            "data_docs_index": dg.MetadataValue.path(str(docs)),
            "data_docs_restricted": "the Data Docs show example patient keys of failing rows: QA staff only",
        },
    )


def _suite_check(layer: str) -> dg.AssetChecksDefinition:
    contracts: dict[str, Contract] = load_contracts(CONTRACTS_ROOT, layer)
    specs = [
        dg.AssetCheckSpec(
            "contract_suite",
            asset=key(r),
            blocking=True,
            description=f"The Great Expectations suite built from the data contract of {r}: every rule of the "
            "contract (columns, key, foreign keys, row rules) judged with its severity and tolerance",
            partitions_def=data_cuts,
        )
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
                partitions_def=data_cuts,
            )
        )

    @dg.multi_asset_check(specs=specs, name=f"{layer}_quality", can_subset=False)
    def _check(context: dg.AssetCheckExecutionContext, study: StudyResource):  # type: ignore[no-untyped-def]
        # imported on use, not with the code location (Great Expectations takes seconds to import)
        from rwe_cohorts.quality import GXContext
        from rwe_cohorts.quality.study import check_layer

        with explain_failures(), study.connect() as con, study.engine().data_sql() as data:
            checks = check_layer(
                con,
                layer,
                data=data,
                spec=study.spec(),
                gx=GXContext.file(Path(study.gx_dir)),
                run_id=context.run.run_id,
                published_path=Path(study.published_path),
                contracts=contracts,
            )
        context.log.info(f"{layer} quality: {checks.summary}; Data Docs: {checks.data_docs}")
        site, run_id, cut = checks.data_docs.parent, context.run.run_id, checks.data_cut_id
        for v in checks.validations:
            outcomes = checks.table_outcomes(v)
            pages = validation_pages(site, v.relation, cut, run_id)
            yield _result(v.relation, "contract_suite", outcomes, checks.data_docs, pages, contracts.get(v.relation))
        if layer == "raw":
            contract = contracts.get("raw.genomic_alterations")
            pages = [p for rule in GENOMICS_RULES for p in validation_pages(site, f"genomics.{rule}", cut, run_id)]
            yield _result("raw.genomic_alterations", GENOMICS, checks.genomics, checks.data_docs, pages, contract)

    return _check


quality_checks = [_suite_check("raw"), _suite_check("staging")]
