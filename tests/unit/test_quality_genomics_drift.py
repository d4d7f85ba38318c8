"""Data-quality library: the checks beyond the per-table contract suites — delivery row-count drift against the
previous data cut, and the genomics plausibility checks across tables (NTRK fusion prevalence, driver co-alterations,
genes on the panel, known fusion partners) — on the hand-made ``raw`` database of ``quality_raw_db.py``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import pytest
from quality_raw_db import ROOT, D, raw_database

from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.quality import GXContext, delivery_drift, genomic_checks, known_fusion_partners, row_count_drift
from rwe_cohorts.quality.genomics import coalteration_allowance


@pytest.fixture(scope="module")
def gx_context() -> GXContext:
    return GXContext.ephemeral()


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = raw_database()
    yield connection
    connection.close()


def test_row_count_drift() -> None:
    assert row_count_drift({"raw.visits": 10}, None) == []
    outcomes = row_count_drift(
        {"raw.visits": 140, "raw.ecog": 100, "raw.new": 5}, {"raw.visits": 100, "raw.ecog": 300, "raw.gone": 7}
    )
    by_relation = {o.relation: o for o in outcomes}
    assert by_relation["raw.visits"].passed and by_relation["raw.visits"].observed_value == pytest.approx(0.4)
    assert not by_relation["raw.ecog"].passed and by_relation["raw.ecog"].observed_value == pytest.approx(2 / 3)
    assert by_relation["raw.new"].passed
    assert not by_relation["raw.gone"].passed and by_relation["raw.gone"].observed_value == 1.0
    assert {o.tag for o in outcomes} == {"plausibility"} and {o.severity for o in outcomes} == {"warn"}


def test_delivery_drift_compares_with_the_previous_cut(con: duckdb.DuckDBPyConnection) -> None:
    contract = load_contracts(ROOT / "data_contracts", "qa")["qa.delivery_row_counts"]
    con.execute("create schema qa")

    def land(cut: str, day: dt.date, visits: int) -> list[tuple[str, bool, float | None]]:
        con.execute("update raw.load_log set data_cut_id = ?, data_cut_date = ?", [cut, day])
        con.execute("update raw.load_log set row_count = ? where table_name = 'visits'", [visits])
        outcomes = delivery_drift(con, contract, data_cut_id=cut, data_cut_date=day, run_id=f"run_{cut}")
        return [(o.relation, o.passed, o.observed_value) for o in outcomes]

    assert land("cut_a", D(2021, 3, 31), 100) == []  # first delivery: no baseline, no outcome
    assert land("cut_b", D(2021, 6, 30), 30) == [("raw.demographics", True, 0.0), ("raw.visits", False, 0.7)]
    assert land("cut_b", D(2021, 6, 30), 120) == [("raw.demographics", True, 0.0), ("raw.visits", True, 0.2)]
    rows = con.execute(
        "select data_cut_id, relation, row_count, run_id from qa.delivery_row_counts order by 1, 2"
    ).fetchall()
    assert rows == [
        ("cut_a", "raw.demographics", 6, "run_cut_a"),
        ("cut_a", "raw.visits", 100, "run_cut_a"),
        ("cut_b", "raw.demographics", 6, "run_cut_b"),
        ("cut_b", "raw.visits", 120, "run_cut_b"),
    ]
    columns = con.sql("select * from qa.delivery_row_counts limit 0").columns
    assert columns == list(contract.column_names)


def test_genomic_checks_pass_on_plausible_data(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    outcomes = {o.rule: o for o in genomic_checks(con, context=gx_context, prevalence_band=(0.1, 0.5))}
    assert all(o.passed for o in outcomes.values()), outcomes
    assert outcomes["ntrk_fusion_prevalence"].observed_value == pytest.approx(1 / 3)  # 1 of 3 tested patients
    assert outcomes["ntrk_driver_coalteration"].element_count == 1
    assert outcomes["alteration_gene_on_panel"].element_count == 5
    assert outcomes["fusion_partner_known"].element_count == 2  # the two rearrangements name a partner


def test_genomic_checks_catch_implausible_data(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("update raw.genomic_alterations set report_id = 'ORD-000000003-01' where gene in ('KRAS', 'TP53')")
    con.execute("update raw.genomic_alterations set gene = 'NTRK3' where alteration_id = 'ALT-0000000004'")
    # 1 NTRK+ patient of 1 with a driver is significant evidence against a 1% ceiling (P = 0.01), not against 10%
    outcomes = {o.rule: o for o in genomic_checks(con, context=gx_context, max_coalteration_share=0.01)}
    prevalence, coalteration, panel = (
        outcomes[k] for k in ("ntrk_fusion_prevalence", "ntrk_driver_coalteration", "alteration_gene_on_panel")
    )
    assert not prevalence.passed and prevalence.severity == "warn"  # 1/3 is far above the 0.05-0.5% band
    assert not coalteration.passed and coalteration.example_keys == ("F000000000003",)
    assert coalteration.unexpected_share == 1.0 and coalteration.tag == "plausibility"
    assert coalteration.max_count == 0 and coalteration.max_share == 1.0  # judged by the binomial allowance
    assert not panel.passed and panel.example_keys == ("ALT-0000000004",)  # NTRK3 is not on panel v1: not tested


def test_unknown_genes_and_partners(con: duckdb.DuckDBPyConnection, gx_context: GXContext) -> None:
    con.execute("update raw.genomic_alterations set gene = 'XYZ99' where alteration_id = 'ALT-0000000001'")
    con.execute("update raw.genomic_alterations set fusion_partner = 'NOTAGENE' where alteration_id = 'ALT-0000000005'")
    outcomes = {o.rule: o for o in genomic_checks(con, context=gx_context, prevalence_band=(0.1, 0.5))}
    assert outcomes["alteration_gene_on_panel"].passed  # an unknown symbol is gene_symbol_known's failure
    partner = outcomes["fusion_partner_known"]
    assert not partner.passed and partner.severity == "warn" and partner.example_keys == ("ALT-0000000005",)
    assert {rule for rule, o in outcomes.items() if not o.passed} == {"fusion_partner_known"}
    # a partner on some panel is known even when it is not on the reference list
    con.execute("update raw.genomic_alterations set fusion_partner = 'KRAS' where alteration_id = 'ALT-0000000005'")
    assert all(o.passed for o in genomic_checks(con, context=gx_context, prevalence_band=(0.1, 0.5)))
    assert {"ETV6", "TPM3", "EML4"} <= set(known_fusion_partners())


def test_coalteration_allowance_is_the_one_sided_exact_binomial_test() -> None:
    """The allowance is the largest count not significantly above the ceiling: checked against the binomial tail sums
    written out (a second implementation), and the published 3-in-28 case passes where a fixed 10% would warn."""
    from math import comb

    def tail(k: int, n: int, p: float) -> float:
        return sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))

    for n, p in [(28, 0.10), (28, 0.05), (77, 0.10), (1, 0.10), (1, 0.01), (300, 0.02)]:
        k = coalteration_allowance(n, p)
        assert tail(k, n, p) > 0.05 or k == 0, (n, p, k)
        assert k == n or tail(k + 1, n, p) <= 0.05, (n, p, k)
    assert coalteration_allowance(28, 0.10) == 6 and 3 / 28 > 0.10
    assert coalteration_allowance(0, 0.10) == 0
