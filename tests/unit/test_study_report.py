"""The study report from a warehouse built in-process on the default delivery (the library calls the assets make):
small-cell suppression, the published numbers beside ours, the parts the issue lists (by element id), no external
resources, the KM drawn from the marts (no patient-level survival input), Table 1 after matching."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from rwe_cohorts.cohort.models import (
    COHORT_MARTS,
    INTERMEDIATE_MODELS,
    build_models,
    matched_baseline_characteristics,
    sql_parameters,
)
from rwe_cohorts.core import warehouse
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.ingest import delivery as ingest
from rwe_cohorts.ingest.staging import STAGING_MODELS
from rwe_cohorts.matching.study import matching_marts, run_matching
from rwe_cohorts.report.formatting import count_text, suppress
from rwe_cohorts.report.plots import forest_plot
from rwe_cohorts.report.study import build_report
from rwe_cohorts.survival import plot_survival_curves
from rwe_cohorts.survival.study import run_survival
from tests.browser.report_browser import external_references

PARTS = (
    "study-spec",
    "published-comparison",
    "attrition-flow",
    "table-one",
    "ps-overlap-plot",
    "love-plot",
    "km-plot",
    "at-risk-table",
    "survival-summary",
    "landmarks",
    "forest-plot",
    "hazard-ratio-table",
    "diagnostics-table",
    "data-quality",
    "provenance",
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (1, "<11"),
        (10, "<11"),
        (11, "11"),
        (24_903, "24903"),
        (np.int64(7), "<11"),
        (3.0, "<11"),
        (2.5, "2.5"),
        (None, "-"),
        (float("nan"), "-"),
        (True, "True"),
        ("n/a", "n/a"),
    ],
)
def test_suppress_shows_small_counts_as_below_threshold(value: object, shown: str) -> None:
    assert suppress(value, 11) == shown


def test_suppress_threshold_comes_from_the_caller() -> None:
    assert [suppress(n, 5) for n in (4, 5)] == ["<5", "5"]
    assert [count_text(n, 11) for n in (12_345, 3, 0)] == ["12,345", "<11", "0"]


@pytest.fixture(scope="module")
def study_db(default_delivery: Path, spec: StudySpec) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with every mart the report reads (no QA results, no robustness loop)."""
    con = warehouse.connect(":memory:")
    contracts = load_contracts(warehouse.CONTRACTS_ROOT)
    delivery = ingest.read_delivery(default_delivery)
    ingest.load_delivery(con, delivery, load_contracts(warehouse.CONTRACTS_ROOT, "raw"))
    build_models(con, STAGING_MODELS + INTERMEDIATE_MODELS + COHORT_MARTS, spec, delivery.data_cut_date)
    cohort = warehouse.read_frame(con, "marts.analytic_cohort")
    matched = run_matching(cohort, spec)
    survival = run_survival(
        spec,
        cohort=cohort,
        time_axes=warehouse.read_frame(con, "intermediate.cohort_time_axes"),
        matched=matched.matched_cohort,
        scores=matched.fit.scores,
    )
    frames = {
        **matching_marts(matched, spec),
        "marts.km_curves": survival.km_curves,
        "marts.risk_table": survival.risk_table,
        "marts.survival_summary": survival.survival_summary,
        "marts.survival_landmarks": survival.survival_landmarks,
        "marts.hazard_ratios": survival.hazard_ratios,
        "marts.survival_diagnostics": survival.diagnostics,
    }
    for relation, frame in frames.items():
        warehouse.replace_table(con, relation, frame, contracts[relation])
    warehouse.materialize_model(con, "marts.attrition", sql_parameters(spec, delivery.data_cut_date))
    # The report must not need the patient-level survival inputs: it draws the KM from marts.km_curves.
    con.execute("drop table intermediate.cohort_time_axes")
    return con


@pytest.fixture(scope="module")
def report_html(study_db: duckdb.DuckDBPyConnection, spec: StudySpec) -> str:
    return build_report(study_db, spec, data_cut_id="2021-03-31", provenance={"data cut": "2021-03-31"})


class _Collector(HTMLParser):
    """Text of the elements with a given id, and of the ``class="count"`` elements inside them, by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, int] = {}
        self.counts: dict[str, list[str]] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self._stack: list[tuple[str, str | None, bool]] = []  # tag, enclosing id, is a count

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids[str(a["id"])] = self.ids.get(str(a["id"]), 0) + 1
        owner = a.get("id") or (self._stack[-1][1] if self._stack else None)
        is_count = "count" in (a.get("class") or "").split()
        if tag in ("img", "br", "meta", "link"):
            return
        if tag == "tr" and owner:
            self.rows.setdefault(owner, []).append([])
        self._stack.append((tag, owner, is_count))

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._stack:
            return
        _, owner, _ = self._stack[-1]
        if owner and any(c for _, _, c in self._stack):
            self.counts.setdefault(owner, []).append(data.strip())
        if owner and owner in self.rows and self._stack[-1][0] in ("td", "th"):
            self.rows[owner][-1].append(data.strip())


@pytest.fixture(scope="module")
def parsed(report_html: str) -> _Collector:
    collector = _Collector()
    collector.feed(report_html)
    return collector


def _small(values: list[str], min_cell: int) -> list[str]:
    return [v for v in values if v.replace(",", "").isdigit() and 0 < int(v.replace(",", "")) < min_cell]


def test_fixture_has_small_counts_to_suppress(study_db: duckdb.DuckDBPyConnection, spec: StudySpec) -> None:
    mc = spec.privacy.min_cell_count
    risk = warehouse.read_frame(study_db, "marts.risk_table").filter(pl.col("analysis") == "primary")
    attrition = warehouse.read_frame(study_db, "marts.attrition")
    assert risk.filter(pl.col("n_at_risk").is_between(1, mc - 1)).height > 0
    assert attrition.filter(pl.col("patients_removed").is_between(1, mc - 1)).height > 0


def test_at_risk_and_flow_show_no_count_below_threshold(parsed: _Collector, spec: StudySpec) -> None:
    mc = spec.privacy.min_cell_count
    flow, ours = parsed.counts["attrition-flow"], parsed.counts["at-risk-table"]
    assert f"<{mc}" in flow and f"<{mc}" in ours, "the fixture's small counts are shown suppressed"
    assert _small(flow, mc) == [] and _small(ours, mc) == []
    reproduction = [r for r in parsed.rows["at-risk-table"] if r and r[0].endswith("(reproduction)")]
    assert len(reproduction) == 2 and all(_small(r[1:], mc) == [] for r in reproduction)
    everywhere = [v for values in parsed.counts.values() for v in values]
    assert _small(everywhere, mc) == [], "no count cell anywhere in the report shows 1..min_cell-1"


def test_published_numbers_beside_ours(parsed: _Collector, spec: StudySpec) -> None:
    published = {r[0]: r[1:] for r in parsed.rows["at-risk-table"] if r and r[0].endswith("(published)")}
    pub = (spec.published.model_extra or {}) if spec.published else {}
    assert published == {
        f"{spec.arms.exposed} (published)": [str(n) for n in pub["at_risk_exposed"]],
        f"{spec.arms.comparator} (published)": [str(n) for n in pub["at_risk_comparator"]],
    }
    comparison = {r[0]: r[1:] for r in parsed.rows["published-comparison"] if r}
    assert comparison["median OS, months (95% CI), NTRK+"][1] == "10.2 (7.2-14.1)"
    assert comparison["median OS, months (95% CI), NTRK-"][1] == "10.4 (6.7-14.3)"
    hr = comparison["HR NTRK+ vs NTRK- (95% Wald CI), primary"]
    assert hr[1].startswith("1.597 (1.019-2.504); P = 0.0539")
    assert re.match(r"\d+\.\d{3} \(\d+\.\d{3}-\d+\.\d{3}\); P Wald [\d.]+, LR [\d.]+, score [\d.]+$", hr[0])
    assert comparison["eligible NTRK- (before matching)"][1] == "24,903"


def test_report_has_every_part_once_and_no_external_resources(parsed: _Collector, report_html: str) -> None:
    assert {i: parsed.ids.get(i, 0) for i in PARTS} == dict.fromkeys(PARTS, 1)
    assert external_references(report_html) == []
    assert "<script" not in report_html.lower()


def test_report_without_published_numbers(study_db: duckdb.DuckDBPyConnection, spec: StudySpec) -> None:
    html = build_report(study_db, spec.model_copy(update={"published": None}), data_cut_id="x", provenance={})
    assert "(published)" not in html and "no published numbers" in html
    assert "id='km-plot'" in html and "id='forest-plot'" in html


def test_matched_table_one_agrees_with_the_balance_mart(study_db: duckdb.DuckDBPyConnection, spec: StudySpec) -> None:
    """Table 1 after matching (the Table 1 SQL on the matched patients) gives the SMDs ``covariate_balance`` reports
    after matching for the continuous PS covariates, and its arm sizes are the matched cohort's."""
    after = matched_baseline_characteristics(study_db, spec)
    balance = warehouse.read_frame(study_db, "marts.covariate_balance").filter(pl.col("kind") == "continuous")
    smd = dict(after.filter(pl.col("kind") == "continuous").select("covariate", "smd").iter_rows())
    for covariate, expected in balance.select("covariate", "smd_after").iter_rows():
        assert smd[covariate] == pytest.approx(expected, rel=1e-9), covariate
    sizes = after.filter(pl.col("covariate") == "patients").row(0, named=True)
    matched = warehouse.read_frame(study_db, "marts.matched_cohort")
    assert (sizes["n_exposed"], sizes["n_comparator"]) == (
        matched["is_exposed"].sum(),
        matched.height - matched["is_exposed"].sum(),
    )


def test_km_figure_draws_every_count_through_the_formatter(study_db: duckdb.DuckDBPyConnection) -> None:
    """The report's KM figure (from the marts) renders the legend n and each number at risk with ``count_text``, so
    suppression reaches the picture too."""
    seen: list[int] = []

    def record(n: int) -> str:
        seen.append(n)
        return "<11"

    primary = pl.col("analysis") == "primary"
    summary = warehouse.read_frame(study_db, "marts.survival_summary").filter(primary)
    risk = warehouse.read_frame(study_db, "marts.risk_table").filter(primary)
    png = plot_survival_curves(
        warehouse.read_frame(study_db, "marts.km_curves").filter(primary), summary, risk, title="t", count_text=record
    )
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(seen) == sorted(summary["n"].to_list() + risk["n_at_risk"].to_list())


def test_a_converted_study_is_the_first_box_of_the_flow(study_db: duckdb.DuckDBPyConnection, spec: StudySpec) -> None:
    from rwe_cohorts.ingest.cbioportal.attrition import conversion_attrition, downstream

    counts = {"patients_in_study": 25_518, "samples_in_study": 26_002, "patients_without_samples": 4,
              "samples_other_cancer_type": 31, "patients_without_age": 3, "samples_without_age": 3,
              "patients_not_solid_tumour": 120, "patients_ntrk_unknown": 7}  # fmt: skip
    source = {"study_id": "msk_test", "attrition": conversion_attrition(counts, age_required=True),
              "removed_downstream": downstream(counts)}  # fmt: skip
    html = build_report(study_db, spec, data_cut_id="x", provenance={}, source=source)
    collector = _Collector()
    collector.feed(html)
    mc = spec.privacy.min_cell_count
    flow = html[html.index("id='attrition-flow'") :]
    assert flow.index("id='conversion-step'") < flow.index("All patients in the delivery")
    box = collector.counts["conversion-step"]
    assert box[:2] == ["25,518", "26,002"] and "25,511" in box and "25,968" in box  # delivered
    assert "31" in box and "120" in box and f"<{mc}" in box  # 4, 3 and 7 are suppressed
    assert _small(box, mc) == []
    assert "cBioPortal study msk_test" in html and "exposure_assessable" in html


def test_forest_plot_writes_out_a_degenerate_fit_instead_of_drawing_it(study_db: duckdb.DuckDBPyConnection) -> None:
    """A fit of two exposed against two comparators can give an HR near 0 with CI (0, inf): the plot lists it as
    text; an axis limit of 0 or inf on the log scale would raise."""
    hrs = warehouse.read_frame(study_db, "marts.hazard_ratios")
    degenerate = hrs.head(1).with_columns(
        pl.lit("caliper_0_2").alias("analysis"),
        pl.lit(1.1e-14).alias("hr"),
        pl.lit(0.0).alias("hr_ci_lower"),
        pl.lit(float("inf")).alias("hr_ci_upper"),
    )
    png = forest_plot(pl.concat([hrs, degenerate]))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
