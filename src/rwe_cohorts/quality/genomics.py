"""Genomics-aware checks over ``raw.*``: facts computed in DuckDB, judged and documented by Great Expectations.

Four checks (STUDY.md pitfalls 6 and 7), each a small GX suite named ``genomics.<rule>`` so it shows in Data Docs:

- ``ntrk_fusion_prevalence`` (plausibility): share of tested patients (at least one report) with a rearrangement in an
  exposure gene must lie in ``prevalence_band`` (published: about 0.1-0.3%). A one-row frame judged by
  ``expect_column_values_to_be_between``; it counts as one element and carries the prevalence as ``observed_value``.
- ``ntrk_driver_coalteration`` (plausibility): NTRK fusions are nearly mutually exclusive with other drivers, so the
  share of NTRK+ patients with a functional alteration in a canonical driver gene must not be significantly above
  ``max_coalteration_share``: a one-sided exact binomial test at 5% (:func:`coalteration_allowance`). With the few
  dozen NTRK+ patients of a delivery a fixed cut-off would flag chance: at a true share of 7% (2 of 28 published),
  3 of 28 (10.7%) happens in about a third of deliveries. One row per NTRK+ patient judged by
  ``expect_column_values_to_be_in_set([False])`` with ``mostly`` = 1 - allowance / n; example keys are patient ids.
- ``alteration_gene_on_panel`` (conformance): every alteration's gene is on its report's panel (a gene not on the panel
  was not tested). One row per alteration; example keys are alteration ids. A gene on no panel at all is an unknown
  symbol, owned by the contract rule ``gene_symbol_known``, and is not judged here.
- ``fusion_partner_known`` (conformance, warn by default): every named fusion partner is a known gene symbol, on the
  reference list shipped in ``reference/fusion_partners.txt`` (:func:`known_fusion_partners`) or on some panel.
  One row per alteration with a partner; example keys are alteration ids.

The SQL lives beside this module in ``sql/``; gene lists are bound as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from rwe_cohorts.core.contracts import Severity, Tag
from rwe_cohorts.quality._gx import gx, gxe
from rwe_cohorts.quality.context import GXContext
from rwe_cohorts.quality.genomics_rules import GENOMICS_CHECK, GENOMICS_RULES, RELATION, SQL_DIR
from rwe_cohorts.quality.outcomes import MAX_EXAMPLE_KEYS, ExpectationOutcome
from rwe_cohorts.quality.runner import Tally
from rwe_cohorts.quality.suites import CheckSpec

FUSION_PARTNERS_FILE = Path(__file__).parent / "reference" / "fusion_partners.txt"
NTRK_GENES: tuple[str, ...] = ("NTRK1", "NTRK2", "NTRK3")
CANONICAL_DRIVERS: tuple[str, ...] = ("ALK", "BRAF", "EGFR", "ERBB2", "KRAS", "ROS1", "MET", "RET")
__all__ = [
    "CANONICAL_DRIVERS",
    "GENOMICS_CHECK",
    "GENOMICS_RULES",
    "NTRK_GENES",
    "RELATION",
    "SQL_DIR",
    "genomic_checks",
]


@dataclass(frozen=True)
class _Check:
    spec: CheckSpec
    expectation: Any
    frame: pd.DataFrame
    key_columns: tuple[str, ...]
    observed: float | None


def known_fusion_partners(path: Path = FUSION_PARTNERS_FILE) -> tuple[str, ...]:
    """The reference list of known fusion partner genes (one symbol a line, ``#`` comments), sorted and unique."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return tuple(sorted({line for line in lines if line}))


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run ``sql/<name>.sql`` with bound parameters; the rows come to pandas through Arrow (fast for strings)."""
    return con.sql((SQL_DIR / f"{name}.sql").read_text(), params=params or None).to_arrow_table().to_pandas()


def _spec(
    rule: str, expectation_type: str, column: str, tag: Tag, severity: Severity, max_share: float, description: str
) -> CheckSpec:
    return CheckSpec(rule, expectation_type, column, tag, severity, max_share, None, description)


def _judge(check: _Check, context: GXContext, *, run_id: str) -> ExpectationOutcome:
    name = f"genomics.{check.spec.rule}"
    context.ensure_suite(
        name,
        (check.spec, str(check.expectation.configuration)),
        lambda: gx.ExpectationSuite(name=name, expectations=[check.expectation], meta={"relation": RELATION}),
    )
    result = context.run(name, check.frame, run_id=run_id)
    tally = Tally()
    for item in result.results:
        tally.add(
            item, table_level=False, frame=check.frame, key_columns=check.key_columns, max_examples=MAX_EXAMPLE_KEYS
        )
    if not result.results:
        tally.error = "expectation missing from the GX result"
    return tally.outcome(RELATION, check.spec, observed=check.observed)


def coalteration_allowance(n_positive: int, max_share: float, alpha: float = 0.05) -> int:
    """The largest number of NTRK+ patients with a driver co-alteration, of ``n_positive``, that is not significantly
    above ``max_share``: the largest k with P(X >= k) > ``alpha`` for X ~ Binomial(n_positive, max_share) (one-sided
    exact test). For example 6 of 28 at 10% (P(X >= 7) = 0.018, P(X >= 6) = 0.055), 0 of 0.

    >>> coalteration_allowance(28, 0.10), coalteration_allowance(1, 0.01), coalteration_allowance(10_000, 0.10)
    (6, 0, 1050)
    """
    from scipy.stats import binom

    if n_positive <= 0:
        return 0
    return min(n_positive, int(binom.isf(alpha, n_positive, max_share)))


def genomic_checks(
    con: duckdb.DuckDBPyConnection,
    *,
    exposure_genes: tuple[str, ...] = NTRK_GENES,
    driver_genes: tuple[str, ...] = CANONICAL_DRIVERS,
    prevalence_band: tuple[float, float] = (0.0005, 0.005),
    max_coalteration_share: float = 0.10,
    known_partners: tuple[str, ...] | None = None,
    aggregate_severity: Severity = "warn",
    panel_severity: Severity = "error",
    partner_severity: Severity = "warn",
    context: GXContext | None = None,
    run_id: str = "adhoc",
    data_cut_id: str = "adhoc",
) -> list[ExpectationOutcome]:
    """Run the four genomics checks and return their judged outcomes (relation ``raw.genomic_alterations``).

    ``known_partners`` defaults to :func:`known_fusion_partners`. ``context`` defaults to an ephemeral GX context (no
    Data Docs); pass the run's file context to document them.
    """
    context = context or GXContext.ephemeral()
    params_exposure = {"exposure_genes": list(exposure_genes)}
    low, high = prevalence_band

    prevalence = _frame(con, "ntrk_fusion_prevalence", params_exposure)
    observed_prevalence = float(prevalence["prevalence"].iloc[0])
    spec = _spec(
        "ntrk_fusion_prevalence",
        "expect_column_values_to_be_between",
        "prevalence",
        "plausibility",
        aggregate_severity,
        0.0,
        f"share of tested patients with a {'/'.join(exposure_genes)} rearrangement in [{low}, {high}]",
    )
    checks = [
        _Check(
            spec,
            gxe.ExpectColumnValuesToBeBetween(
                column="prevalence", min_value=low, max_value=high, meta=spec.meta(RELATION)
            ),
            prevalence,
            (),
            observed_prevalence,
        )
    ]

    coalteration = _frame(con, "ntrk_driver_coalteration", params_exposure | {"driver_genes": list(driver_genes)})
    n_positive = len(coalteration)
    share = float(coalteration["has_driver_coalteration"].sum()) / n_positive if n_positive else 0.0
    allowed = coalteration_allowance(n_positive, max_coalteration_share)
    # judged by count (max_share 1, max_count = the allowance); GX's own verdict agrees through ``mostly``
    spec = CheckSpec(
        "ntrk_driver_coalteration",
        "expect_column_values_to_be_in_set",
        "has_driver_coalteration",
        "plausibility",
        aggregate_severity,
        1.0,
        allowed,
        f"NTRK+ patients with a functional {', '.join(driver_genes)} alteration: not significantly above "
        f"{max_coalteration_share:.0%} (one-sided exact binomial test at 5%: at most {allowed} of {n_positive})",
    )
    checks.append(
        _Check(
            spec,
            gxe.ExpectColumnValuesToBeInSet(
                column="has_driver_coalteration",
                value_set=[False],
                mostly=(n_positive - allowed) / n_positive if n_positive else 1.0,  # GX's own success ratio
                meta=spec.meta(RELATION),
            ),
            coalteration,
            ("patient_id",),
            share,
        )
    )

    on_panel = _frame(con, "alteration_gene_on_panel")
    spec = _spec(
        "alteration_gene_on_panel",
        "expect_column_values_to_be_in_set",
        "is_gene_on_panel",
        "conformance",
        panel_severity,
        0.0,
        "every alteration's gene is on its report's panel (else it was not tested)",
    )
    checks.append(
        _Check(
            spec,
            gxe.ExpectColumnValuesToBeInSet(column="is_gene_on_panel", value_set=[True], meta=spec.meta(RELATION)),
            on_panel,
            ("alteration_id",),
            None,
        )
    )

    partners = list(known_fusion_partners() if known_partners is None else known_partners)
    partner_known = _frame(con, "fusion_partner_known", {"known_partners": partners})
    spec = _spec(
        "fusion_partner_known",
        "expect_column_values_to_be_in_set",
        "is_partner_known",
        "conformance",
        partner_severity,
        0.0,
        f"every fusion partner is a known gene symbol ({len(partners)} reference partners or a panel gene)",
    )
    checks.append(
        _Check(
            spec,
            gxe.ExpectColumnValuesToBeInSet(column="is_partner_known", value_set=[True], meta=spec.meta(RELATION)),
            partner_known,
            ("alteration_id",),
            None,
        )
    )

    return [_judge(c, context, run_id=f"{data_cut_id}__{run_id}") for c in checks]
