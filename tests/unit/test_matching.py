"""Unit tests for rwe_cohorts.matching's greedy matching: hand-computed cases (rounds, ties, caliper, strata,
replacement, shuffle order, input errors), and invariants and determinism on random cohorts, checked against a
brute-force oracle. The propensity model, balance, preference score and plots are in ``test_matching_propensity.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from rwe_cohorts.matching import MatchingInputError, match_nearest, match_nearest_reference

SEED = 20240607
PAIR_COLS = ["match_set_id", "patient_id", "match_round", "distance"]


def cohort(
    exposed: dict[int, float], controls: dict[int, float], stratum: dict[int, str] | None = None
) -> pl.DataFrame:
    ids = [*exposed, *controls]
    return pl.DataFrame(
        {
            "patient_id": ids,
            "is_exposed": [True] * len(exposed) + [False] * len(controls),
            "cancer_type": [(stratum or {}).get(i, "nsclc") for i in ids],
            "logit_ps": [*exposed.values(), *controls.values()],
        }
    )


def pairs(df: pl.DataFrame, **kwargs: Any) -> list[tuple[Any, ...]]:
    kwargs.setdefault("exact", ["cancer_type"])
    matched = match_nearest(df, **kwargs).matched
    return matched.filter(pl.col("match_round") > 0).select(PAIR_COLS).rows()


# --- greedy matching: hand-computed cases -------------------------------------------------------------------------


def test_rounds_every_exposed_gets_a_first_match_before_any_second() -> None:
    # A(10) and B(8). Round 1: A ties c11 (9) / c12 (11) at distance 1 -> smaller id c11; B ties c12 / c13 at 3 -> c12.
    # Round 2: A takes c14 (distance 4 < 5), B takes c13. Matching A's two controls first would give A {c11, c12}.
    df = cohort({1: 10.0, 2: 8.0}, {11: 9.0, 12: 11.0, 13: 5.0, 14: 14.0})
    assert pairs(df, ratio=2) == [(1, 11, 1, 1.0), (1, 14, 2, 4.0), (2, 12, 1, 3.0), (2, 13, 2, 3.0)]


def test_exposed_with_equal_scores_smaller_id_goes_first() -> None:
    df = cohort({7: 5.0, 3: 5.0}, {100: 5.0})
    result = match_nearest(df, exact=["cancer_type"], ratio=1)
    assert result.matched.select(PAIR_COLS).rows() == [(3, 3, 0, None), (3, 100, 1, 0.0)]
    assert result.unmatched.rows() == [(7, "nsclc", 0)]
    assert (result.n_exposed_matched, result.n_exposed_complete, result.n_controls_matched) == (1, 1, 1)


def test_controls_at_equal_distance_smaller_id_wins_regardless_of_side_and_row_order() -> None:
    df = cohort({1: 0.0}, {50: 2.0, 40: -2.0, 30: 2.0, 60: -3.0})
    assert pairs(df, ratio=3) == [(1, 30, 1, 2.0), (1, 40, 2, 2.0), (1, 50, 3, 2.0)]
    assert pairs(df.reverse(), ratio=3) == pairs(df, ratio=3)


def test_equal_float_distances_from_different_scores_tie_by_id() -> None:
    # 1e16 - 0.5 and 1e16 - 0.25 both round to 1e16: equal float64 distances, so the smaller id (3) wins.
    df = cohort({1: 1e16}, {9: 0.5, 3: 0.25, 5: -1e3})
    assert (1e16 - 0.5) == (1e16 - 0.25) == 1e16
    assert pairs(df, ratio=2) == [(1, 3, 1, 1e16), (1, 9, 2, 1e16)]
    assert pairs(df, ratio=2) == match_nearest_reference(df, exact=["cancer_type"], ratio=2).rows()


def test_a_control_two_exposed_want_goes_to_the_first_in_order() -> None:
    df = cohort({1: 20.0, 2: 18.0}, {10: 19.0, 11: 14.0})
    assert pairs(df, ratio=1) == [(1, 10, 1, 1.0), (2, 11, 1, 4.0)]
    assert pairs(df, ratio=1, order="smallest") == [(1, 11, 1, 6.0), (2, 10, 1, 1.0)]
    assert pairs(df.reverse(), ratio=1, order="data") == [(1, 11, 1, 6.0), (2, 10, 1, 1.0)]


def test_caliper_is_sd_of_all_scores_and_inclusive() -> None:
    df = cohort({1: 0.0, 2: 10.0}, {10: 1.0, 11: 4.0, 12: 12.0, 13: 20.0})
    sd = float(np.std([0.0, 10.0, 1.0, 4.0, 12.0, 20.0], ddof=1))
    result = match_nearest(df, exact=["cancer_type"], ratio=2, caliper_sd=2.5 / sd)
    assert result.caliper == pytest.approx(2.5)
    assert result.matched.filter(pl.col("match_round") > 0).select(PAIR_COLS).rows() == [
        (1, 10, 1, 1.0),
        (2, 12, 1, 2.0),
    ]
    assert result.unmatched.rows() == [(1, "nsclc", 1), (2, "nsclc", 1)]
    assert "caliper" in result.method
    exact_only = cohort({1: 1.0}, {10: 1.0, 11: 2.0})  # width 0: distance 0 is still inside (inclusive)
    assert pairs(exact_only, ratio=2, caliper_sd=0.0) == [(1, 10, 1, 0.0)]


def test_strata_with_too_few_controls_share_them_by_rounds() -> None:
    strata = {1: "a", 2: "a", 3: "a", 4: "b", 10: "a", 11: "a", 12: "a", 13: "a", 20: "c"}
    df = cohort({1: 3.0, 2: 2.0, 3: 1.0, 4: 0.0}, {10: 3.0, 11: 2.0, 12: 1.0, 13: 0.0, 20: 0.0}, strata)
    result = match_nearest(df, exact=["cancer_type"], ratio=2)
    got = result.matched.filter(pl.col("match_round") > 0).select(PAIR_COLS).rows()
    assert got == [(1, 10, 1, 0.0), (1, 13, 2, 3.0), (2, 11, 1, 0.0), (3, 12, 1, 0.0)]
    assert result.unmatched.rows() == [(2, "a", 1), (3, "a", 1), (4, "b", 0)]
    assert 4 not in result.matched["patient_id"].to_list()


def test_with_replacement_each_exposed_gets_its_k_nearest_distinct_controls() -> None:
    df = cohort({1: 0.0, 2: 1.0}, {10: 0.5, 11: 3.0, 12: -2.0})
    got = pairs(df, ratio=2, replace=True)
    assert got == [(1, 10, 1, 0.5), (1, 12, 2, 2.0), (2, 10, 1, 0.5), (2, 11, 2, 2.0)]
    result = match_nearest(df, exact=["cancer_type"], ratio=2, replace=True)
    assert result.n_controls_matched == 3


def test_shuffle_seed_is_a_seeded_permutation_of_the_exposed() -> None:
    rng = np.random.default_rng(SEED)
    df = random_cohort(rng, 300, exposed_share=0.2, integer_scores=True)
    a = pairs(df, ratio=3, shuffle_seed=1)
    assert a == pairs(df.sample(fraction=1.0, shuffle=True, seed=3), ratio=3, shuffle_seed=1)
    assert a == match_nearest_reference(df, exact=["cancer_type"], ratio=3, shuffle_seed=1).rows()
    assert any(pairs(df, ratio=3, shuffle_seed=s) != a for s in range(2, 6))
    with pytest.raises(MatchingInputError, match="shuffle_seed"):
        match_nearest(df, exact=["cancer_type"], shuffle_seed=1, order="smallest")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda df: df.with_columns(pl.lit(1).alias("patient_id")), "duplicated"),
        (lambda df: df.with_columns(pl.col("is_exposed").cast(pl.Int8)), "must be Boolean"),
        (lambda df: df.with_columns(pl.lit(None, pl.String).alias("cancer_type")), "exact column 'cancer_type'"),
        (lambda df: df.with_columns(pl.lit(float("nan")).alias("logit_ps")), "null/NaN/infinite"),
        (lambda df: df.drop("logit_ps"), "lacks column"),
    ],
)
def test_invalid_input_raises_a_named_error_that_says_where(mutate: Any, message: str) -> None:
    df = cohort({1: 0.0}, {2: 1.0, 3: 2.0})
    with pytest.raises(MatchingInputError, match=message):
        match_nearest(mutate(df), exact=["cancer_type"], ratio=1)


# --- greedy matching: invariants, oracle, determinism -------------------------------------------------------------


def random_cohort(
    rng: np.random.Generator, n: int, *, exposed_share: float, integer_scores: bool, n_strata: int = 3
) -> pl.DataFrame:
    scores = rng.integers(-4, 5, n).astype(float) if integer_scores else np.round(rng.normal(size=n), 2)
    return pl.DataFrame(
        {
            "patient_id": rng.permutation(10 * n)[:n],
            "is_exposed": rng.random(n) < exposed_share,
            "cancer_type": rng.choice(["a", "b", "c", "d"][:n_strata], size=n),
            "logit_ps": scores,
        }
    )


def random_settings(rng: np.random.Generator) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "exact": ["cancer_type"] if rng.random() < 0.7 else [],
        "ratio": int(rng.integers(1, 5)),
        "caliper_sd": None if rng.random() < 0.5 else float(rng.choice([0.0, 0.1, 0.5, 1.0])),
        "replace": bool(rng.random() < 0.25),
    }
    order = str(rng.choice(["largest", "smallest", "data", "shuffle"]))
    if order == "shuffle":
        settings["shuffle_seed"] = int(rng.integers(0, 1000))
    else:
        settings["order"] = order
    return settings


def test_fast_matcher_equals_brute_force_oracle_on_random_small_cases() -> None:
    rng = np.random.default_rng(SEED)
    for case in range(2000):
        n = int(rng.integers(2, 30))
        df = random_cohort(
            rng,
            n,
            exposed_share=float(rng.uniform(0.1, 0.6)),
            integer_scores=bool(rng.random() < 0.5),
            n_strata=int(rng.integers(1, 4)),
        )
        settings = random_settings(rng)
        fast = match_nearest(df, **settings).matched.filter(pl.col("match_round") > 0).select(PAIR_COLS)
        oracle = match_nearest_reference(df, **settings)
        assert fast.equals(oracle), f"case {case}: {settings}\n{df}\nfast\n{fast}\noracle\n{oracle}"


@pytest.mark.parametrize("replace", [False, True])
def test_invariants_on_a_larger_random_cohort(replace: bool) -> None:
    rng = np.random.default_rng(SEED)
    df = random_cohort(rng, 3000, exposed_share=0.05, integer_scores=False, n_strata=4)
    result = match_nearest(df, exact=["cancer_type"], ratio=5, caliper_sd=0.05, replace=replace)
    m = result.matched
    controls = m.filter(pl.col("match_round") > 0)
    assert result.caliper is not None
    assert controls["distance"].max() <= result.caliper
    if not replace:
        assert controls["patient_id"].is_unique().all()
    assert controls.join(df, on="patient_id")["is_exposed_right"].not_().all()
    strata = m.group_by("match_set_id").agg(pl.col("cancer_type").n_unique())
    assert (strata["cancer_type"] == 1).all()
    exposed = m.filter(pl.col("match_round") == 0).select("match_set_id", pl.col("logit_ps").alias("e_score"))
    dist = controls.join(exposed, on="match_set_id").select((pl.col("logit_ps") - pl.col("e_score")).abs())
    assert np.array_equal(dist.to_series().to_numpy(), controls.join(exposed, on="match_set_id")["distance"].to_numpy())
    rounds = controls.group_by("match_set_id").agg(pl.col("match_round").sort())
    assert all(r == list(range(1, len(r) + 1)) for r in rounds["match_round"].to_list())
    sizes = controls.group_by("match_set_id").len()
    n_partial = sizes.filter(pl.col("len") < 5).height + (result.n_exposed - result.n_exposed_matched)
    assert result.unmatched.height == n_partial


def test_output_is_identical_under_row_shuffle_and_input_is_not_mutated() -> None:
    rng = np.random.default_rng(SEED)
    df = random_cohort(rng, 5000, exposed_share=0.05, integer_scores=True)
    before = df.clone()
    a = match_nearest(df, exact=["cancer_type"], ratio=4, caliper_sd=0.5)
    b = match_nearest(df.sample(fraction=1.0, shuffle=True, seed=7), exact=["cancer_type"], ratio=4, caliper_sd=0.5)
    assert a.matched.equals(b.matched) and a.unmatched.equals(b.unmatched)
    assert df.equals(before)


def test_string_ids_break_ties_lexicographically() -> None:
    df = cohort({1: 0.0}, {2: 1.0, 3: -1.0}).with_columns(pl.Series("patient_id", ["e", "b10", "b9"]))
    assert pairs(df, ratio=1) == [("e", "b10", 1, 1.0)]
