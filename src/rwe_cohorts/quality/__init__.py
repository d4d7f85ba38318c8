"""Data quality: contract-driven Great Expectations suites, DuckDB-computed rule facts, tolerance, results tables.

Design: DuckDB computes what needs SQL (row rules, foreign keys, genomic aggregates) into boolean or numeric columns;
Great Expectations judges every check (its SQL engine running inside DuckDB for the contract suites; its pandas engine
on the small genomics aggregates) and documents it (suites, stored results, Data Docs); the contract tolerance
(``max_share`` and the absolute ``max_count``) decides ``passed``. Framework-free: no Dagster here.
"""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from typing import TYPE_CHECKING

from rwe_cohorts.core.lazy import lazy_getattr

if TYPE_CHECKING:
    from rwe_cohorts.quality.context import DataDocsUnavailableError, GXContext
    from rwe_cohorts.quality.drift import delivery_drift, row_count_drift
    from rwe_cohorts.quality.genomics import CANONICAL_DRIVERS, NTRK_GENES, genomic_checks, known_fusion_partners
    from rwe_cohorts.quality.outcomes import ExpectationOutcome, RelationValidation, judge
    from rwe_cohorts.quality.results import (
        EXPECTATION_RESULTS_SCHEMA,
        outcomes_to_frame,
        qa_summary,
        qa_summary_text,
    )
    from rwe_cohorts.quality.runner import validate_relation, validate_relations
    from rwe_cohorts.quality.suites import CheckSpec, SuiteError, build_suite, contract_checks

_EXPORTS: dict[str, str] = {
    "CANONICAL_DRIVERS": "rwe_cohorts.quality.genomics",
    "CheckSpec": "rwe_cohorts.quality.suites",
    "DataDocsUnavailableError": "rwe_cohorts.quality.context",
    "EXPECTATION_RESULTS_SCHEMA": "rwe_cohorts.quality.results",
    "ExpectationOutcome": "rwe_cohorts.quality.outcomes",
    "GXContext": "rwe_cohorts.quality.context",
    "NTRK_GENES": "rwe_cohorts.quality.genomics",
    "RelationValidation": "rwe_cohorts.quality.outcomes",
    "SuiteError": "rwe_cohorts.quality.suites",
    "build_suite": "rwe_cohorts.quality.suites",
    "contract_checks": "rwe_cohorts.quality.suites",
    "delivery_drift": "rwe_cohorts.quality.drift",
    "genomic_checks": "rwe_cohorts.quality.genomics",
    "judge": "rwe_cohorts.quality.outcomes",
    "known_fusion_partners": "rwe_cohorts.quality.genomics",
    "outcomes_to_frame": "rwe_cohorts.quality.results",
    "qa_summary": "rwe_cohorts.quality.results",
    "qa_summary_text": "rwe_cohorts.quality.results",
    "row_count_drift": "rwe_cohorts.quality.drift",
    "validate_relation": "rwe_cohorts.quality.runner",
    "validate_relations": "rwe_cohorts.quality.runner",
}
"""Public name -> the module defining it, imported on first use (``rwe_cohorts.core.lazy``)."""


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "CANONICAL_DRIVERS",
    "EXPECTATION_RESULTS_SCHEMA",
    "NTRK_GENES",
    "CheckSpec",
    "DataDocsUnavailableError",
    "ExpectationOutcome",
    "GXContext",
    "RelationValidation",
    "SuiteError",
    "build_suite",
    "contract_checks",
    "delivery_drift",
    "genomic_checks",
    "judge",
    "known_fusion_partners",
    "outcomes_to_frame",
    "qa_summary",
    "qa_summary_text",
    "row_count_drift",
    "validate_relation",
    "validate_relations",
]
