"""The study on the default synthetic delivery lands in the neighbourhood of the published study and of the
planted truth (tolerances stated per test). Library calls only: the same functions the Dagster assets call."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from rwe_cohorts.cohort.models import COHORT_MARTS, INTERMEDIATE_MODELS, build_models
from rwe_cohorts.core import warehouse
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.ingest import delivery as ingest
from rwe_cohorts.ingest.staging import STAGING_MODELS
from rwe_cohorts.matching.study import match_cohort, matched_cohort_frame, run_matching
from rwe_cohorts.survival import ArmSpec, CoxSpec, fit_cox_exposure
from rwe_cohorts.survival.study import SurvivalOutputs, analysis_frame, robustness_over_match_orders, run_survival

PLANTED_HR = 1.6  # generator default (truth/truth.json)


@pytest.fixture(scope="module")
def inputs(default_delivery: Path, spec: StudySpec) -> dict[str, pl.DataFrame]:
    """The survival stage's inputs: cohort, time axes, matched cohort, propensity scores."""
    con: duckdb.DuckDBPyConnection = warehouse.connect(":memory:")
    delivery = ingest.read_delivery(default_delivery)
    ingest.load_delivery(con, delivery, load_contracts(warehouse.CONTRACTS_ROOT, "raw"))
    build_models(con, STAGING_MODELS + INTERMEDIATE_MODELS + COHORT_MARTS, spec, delivery.data_cut_date)
    cohort = warehouse.read_frame(con, "marts.analytic_cohort")
    matched = run_matching(cohort, spec)
    return {
        "cohort": cohort,
        "time_axes": warehouse.read_frame(con, "intermediate.cohort_time_axes"),
        "matched": matched.matched_cohort,
        "scores": matched.fit.scores,
    }


@pytest.fixture(scope="module")
def outputs(inputs: dict[str, pl.DataFrame], spec: StudySpec) -> SurvivalOutputs:
    return run_survival(spec, **inputs)


def test_robustness_loop_equals_rematching_each_order(inputs: dict[str, pl.DataFrame], spec: StudySpec) -> None:
    """The robustness loop prepares the matcher and the analysis rows once and gathers each order's matched rows;
    per order it must give exactly what a full re-match plus :func:`analysis_frame` gives (second implementation).

    With the study's PS model the exposed patients rarely compete for a comparator on the default delivery: 190 of
    the spec's 200 orders give the same matched cohort, so the orders compared are the spec's first six (seeds
    from ``survival.robustness_seed``), which include one that differs and keep the comparison from being vacuous."""
    primary = spec.analysis("primary")
    arms = ArmSpec(column="arm", exposed=spec.arms.exposed, comparator=spec.arms.comparator)
    rest = {k: inputs[k] for k in ("cohort", "time_axes", "scores")}
    fast = robustness_over_match_orders(spec, n_orders=6, seed=spec.survival.robustness_seed, **rest)
    for row in fast.to_dicts():
        result = match_cohort(inputs["cohort"], spec, scores=inputs["scores"], shuffle_seed=row["seed"])
        matched = matched_cohort_frame(inputs["cohort"], inputs["scores"], result)
        frame = analysis_frame(primary, spec, matched=matched, **rest)
        slow = fit_cox_exposure(frame, CoxSpec.unstratified(), arms)
        assert (row["n"], row["hr"], row["p_lr"]) == (frame.height, slow.hr, slow.p_lr)
    assert fast["hr"].n_unique() > 1, "different orders should give different matched cohorts"


def _summary(out: SurvivalOutputs, analysis: str) -> dict[str, dict[str, object]]:
    rows = out.survival_summary.filter(pl.col("analysis") == analysis).to_dicts()
    return {str(r["arm"]): r for r in rows}


def test_primary_medians_near_published(outputs: SurvivalOutputs) -> None:
    """Published medians: 10.2 (7.2-14.1; NTRK+, n = 28) and 10.4 (6.7-14.3; matched NTRK-, n = 280) months.

    Derived from the default delivery (issue 21: the generator gives the NTRK-enriched types ordinary advanced-disease
    survival, so the matched comparators no longer inherit long survival; 20-seed means are in the README's
    calibration table). The default seed's medians must lie inside the published 95% CIs.
    """
    s = _summary(outputs, "primary")
    for arm, (lower, upper) in {"NTRK+": (7.2, 14.1), "NTRK-": (6.7, 14.3)}.items():
        median = float(s[arm]["median"])  # type: ignore[arg-type]
        assert lower <= median <= upper, (arm, median)


def test_eligible_pool_medians_match_calibration(outputs: SurvivalOutputs) -> None:
    """IPTW analysis: the comparator arm is every eligible NTRK- patient (weighted); the unweighted calibration
    target of the generator is a median of about 10 months in both eligible arms. Tolerance: exposed 6-18 months
    (small n), weighted comparator 6-18 months."""
    s = _summary(outputs, "iptw")
    for arm in ("NTRK+", "NTRK-"):
        median = float(s[arm]["median"])  # type: ignore[arg-type]
        assert 6.0 <= median <= 18.0, (arm, median)


def test_primary_hr_covers_planted_truth_and_labels_three_tests(outputs: SurvivalOutputs) -> None:
    """The planted HR (1.6) must lie inside the primary unstratified 95% Wald CI; Wald, LR and score P reported."""
    row = outputs.hazard_ratios.filter(
        (pl.col("analysis") == "primary") & (pl.col("model") == "unstratified")
    ).to_dicts()[0]
    assert row["status"] == "estimated"
    assert row["hr_ci_lower"] <= PLANTED_HR <= row["hr_ci_upper"], row
    for p in ("p_wald", "p_lr", "p_score"):
        assert 0.0 < row[p] < 1.0
    assert "Efron" in row["conventions"]
    # Second implementation on every run: lifelines CoxPHFitter with entry_col agrees within 1%.
    assert row["hr_lifelines"] == pytest.approx(row["hr"], rel=0.01)


def test_ignoring_delayed_entry_overstates_survival(outputs: SurvivalOutputs) -> None:
    """Pitfall 1: without the entry adjustment the comparator median is longer (immortal time counted)."""
    with_entry = float(_summary(outputs, "primary")["NTRK-"]["median"])  # type: ignore[arg-type]
    without = float(_summary(outputs, "no_delayed_entry")["NTRK-"]["median"])  # type: ignore[arg-type]
    assert without > with_entry


def test_numbers_at_risk_rise_after_time_zero(outputs: SurvivalOutputs) -> None:
    """With delayed entry the risk set grows after t = 0, as in the published at-risk table."""
    risk = outputs.risk_table.filter(pl.col("analysis") == "primary")
    for arm in ("NTRK+", "NTRK-"):
        counts = risk.filter(pl.col("arm") == arm).sort("time_months")["n_at_risk"].to_list()
        assert max(counts[1:4]) > counts[0], (arm, counts)


def test_every_analysis_has_rows_and_warnings_column(outputs: SurvivalOutputs, spec: StudySpec) -> None:
    hrs = outputs.hazard_ratios
    assert set(hrs["analysis"]) == {a.id for a in spec.analyses}
    assert "warnings" in hrs.columns
    diag = outputs.diagnostics.filter(pl.col("analysis") == "primary")
    assert set(diag["diagnostic"]) == {"proportional_hazards", "entry_time_hazard", "conditional_kendall_tau"}
