"""Data quality: contract-driven Great Expectations suites, DuckDB-computed rule facts, tolerance, results tables.

Design: DuckDB computes what needs SQL (row rules, foreign keys, genomic aggregates) into boolean or numeric columns;
Great Expectations (pandas engine) judges every check and documents it (suites, stored results, Data Docs); the
contract tolerance (``max_share`` and the absolute ``max_count``) decides ``passed``. Framework-free: no Dagster here.
"""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

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
