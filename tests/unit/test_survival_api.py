"""Boundary validation, output shapes, variants, immutability, plot and speed of the survival library."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rwe_cohorts.survival import (
    ArmSpec,
    CoxResult,
    CoxSpec,
    KaplanMeierSettings,
    SurvivalInputError,
    SurvivalModelError,
    fit_cox_exposure,
    kaplan_meier_by_arm,
    plot_kaplan_meier,
)


def cohort(seed: int = 0, n_exposed: int = 28, n_comparator: int = 280) -> pl.DataFrame:
    """Study-shaped cohort: 28 exposed, 280 matched comparators in 28 sets, delayed entry, month-ish ties."""
    rng = np.random.default_rng(seed)
    n = n_exposed + n_comparator
    exposed = np.r_[np.ones(n_exposed, bool), np.zeros(n_comparator, bool)]
    t = rng.exponential(14.0, n) / np.where(exposed, 1.6, 1.0)
    entry = rng.gamma(1.0, 4.0, n) * (rng.random(n) < 0.8)
    censor = rng.uniform(6, 60, n)
    exit_ = np.maximum(np.round(np.minimum(t, censor), 1), entry + 0.1)
    return pl.DataFrame(
        {
            "entry_months": entry,
            "exit_months": exit_,
            "is_event": t <= censor,
            "arm": np.where(exposed, "NTRK+", "NTRK-"),
            "match_set_id": np.r_[np.arange(n_exposed), np.repeat(np.arange(n_exposed), n_comparator // n_exposed)],
            "weight": rng.uniform(0.5, 2.0, n),
        }
    )


def test_validation_names_column_count_and_example_row() -> None:
    df = cohort().with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(-1.0).otherwise(pl.col("entry_months")).alias("entry_months"),
        pl.when(pl.int_range(pl.len()).is_in([5, 9])).then(0.0).otherwise(pl.col("exit_months")).alias("exit_months"),
    )
    with pytest.raises(SurvivalInputError) as err:
        fit_cox_exposure(df)
    problems = {(p.column, p.count, p.example_row_index) for p in err.value.problems}
    assert ("entry_months", 1, 3) in problems
    assert ("exit_months", 2, 5) in problems
    nulls = cohort().with_columns(pl.lit(None, dtype=pl.Boolean).alias("is_event"))
    with pytest.raises(SurvivalInputError, match=r"is_event.*null"):
        kaplan_meier_by_arm(nulls)
    with pytest.raises(SurvivalInputError, match="required column is missing"):
        fit_cox_exposure(cohort().drop("match_set_id"), CoxSpec.stratified())
    with pytest.raises(SurvivalInputError, match="value not in"):
        fit_cox_exposure(
            cohort().with_columns(
                pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("other")).otherwise("arm").alias("arm")
            )
        )


def test_no_events_in_an_arm_raises_model_error() -> None:
    df = cohort().with_columns((pl.col("is_event") & (pl.col("arm") == "NTRK-")).alias("is_event"))
    with pytest.raises(SurvivalModelError, match="no events"):
        fit_cox_exposure(df)


def test_inputs_are_not_mutated_and_results_are_deterministic() -> None:
    df = cohort()
    before = df.clone()
    first = fit_cox_exposure(df, CoxSpec.cluster_robust())
    km = kaplan_meier_by_arm(df)
    assert df.equals(before)
    assert fit_cox_exposure(df, CoxSpec.cluster_robust()) == first
    assert km.summary.equals(kaplan_meier_by_arm(df).summary)


def test_cox_variants_share_one_schema_and_label_their_conventions() -> None:
    df = cohort()
    frames = []
    for spec in (
        CoxSpec.unstratified(),
        CoxSpec.stratified("match_set_id"),
        CoxSpec.cluster_robust("match_set_id"),
        CoxSpec.weighted("weight"),
    ):
        result = fit_cox_exposure(df, spec)
        assert isinstance(result, CoxResult) and result.converged
        assert result.hr_ci_lower < result.hr < result.hr_ci_upper
        assert result.hr == pytest.approx(np.exp(result.log_hr))
        assert (result.n_exposed, result.n_comparator) == (28, 280)
        assert "Efron ties" in result.conventions and "delayed entry" in result.conventions
        assert np.isfinite([result.p_wald, result.p_lr, result.p_score]).all()
        assert np.isfinite(result.p_score_robust) == spec.is_robust
        frames.append(result.to_frame())
    table = pl.concat(frames)
    assert table["analysis"].to_list() == ["unstratified", "stratified", "cluster_robust", "weighted"]
    assert table.row(0, named=True)["log_hr"] == table.row(2, named=True)["log_hr"]
    assert "robust sandwich" in table["conventions"][2] and "model-based variance" in table["conventions"][0]
    with pytest.raises(ValueError, match="strata_col"):
        CoxSpec("stratified")


def test_is_exposed_column_is_an_alternative_arm_spec() -> None:
    df = cohort()
    by_bool = df.with_columns((pl.col("arm") == "NTRK+").alias("is_exposed")).drop("arm")
    a = fit_cox_exposure(df)
    b = fit_cox_exposure(by_bool, arms=ArmSpec.from_is_exposed())
    assert a.log_hr == b.log_hr and b.exposed_label == "exposed"


def test_kaplan_meier_analysis_frames() -> None:
    analysis = kaplan_meier_by_arm(cohort())
    assert analysis.summary["arm"].to_list() == ["NTRK+", "NTRK-"]
    assert {"n", "events", "median", "median_ci_lower", "median_ci_upper", "rmst", "rmst_se"} <= set(
        analysis.summary.columns
    )
    assert analysis.curves.columns[:6] == ["arm", "time", "n_at_risk", "n_event", "n_censor", "survival"]
    assert analysis.landmarks["time_months"].unique().sort().to_list() == [6, 12, 18, 24, 36]
    assert analysis.at_risk.height == 2 * 13
    comparator = analysis.at_risk.filter(pl.col("arm") == "NTRK-")["n_at_risk"].to_list()
    assert comparator[1] > comparator[0], "delayed entry: numbers at risk rise after 0"
    diff = analysis.rmst_difference
    rows = {r["arm"]: r for r in analysis.summary.iter_rows(named=True)}
    assert diff.difference == pytest.approx(rows["NTRK+"]["rmst"] - rows["NTRK-"]["rmst"])
    assert diff.se == pytest.approx(np.hypot(rows["NTRK+"]["rmst_se"], rows["NTRK-"]["rmst_se"]))
    with pytest.raises(ValueError, match="conf_type"):
        KaplanMeierSettings(conf_type="logit")  # type: ignore[arg-type]


def test_plot_returns_png() -> None:
    png = plot_kaplan_meier(kaplan_meier_by_arm(cohort()), title="OS")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_a_hazard_ratio_table_without_any_estimate_still_matches_its_contract(tmp_path: Path) -> None:
    """A cohort too small for any Cox model gives rows that say why (not_estimable, reason) and null estimates."""
    from rwe_cohorts.core.contracts import load_contracts
    from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, connect, replace_table
    from rwe_cohorts.survival.study import _with_contract_columns

    rows = pl.DataFrame(
        [{"analysis": "primary", "model": "unstratified", "description": "d", "status": "not_estimable",
          "reason": "no events in the exposed arm", "warnings": ""}]
    )  # fmt: skip
    contract = load_contracts(CONTRACTS_ROOT, "marts")["marts.hazard_ratios"]
    frame = _with_contract_columns(rows, contract)
    info = replace_table(connect(tmp_path / "w.duckdb"), "marts.hazard_ratios", frame, contract)
    assert info.rows == 1 and [c for c, _ in info.columns] == list(contract.column_names)
