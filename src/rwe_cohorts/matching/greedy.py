"""Greedy nearest-neighbour matching on a score, in rounds, within exact strata.

Semantics (the contract; ``reference.py`` implements the same rules by brute force):

1. Exact strata: a control can only be matched to an exposed patient with identical values of every ``exact`` column
   (e.g. cancer type). Nulls in an ``exact`` column are an error, not a stratum.
2. Distance = |score(exposed) - score(control)|, computed in float64; the score is the logit of the propensity score
   (``logit_ps``) by default.
3. Ratio k (``ratio``): each exposed patient receives up to k controls.
4. Without replacement (default): a control is used at most once overall. With ``replace=True`` a control may serve
   several exposed patients, but never twice for the same one; each exposed patient then simply receives its k nearest
   distinct controls and the processing order is irrelevant.
5. Greedy nearest neighbour in ROUNDS (as current R MatchIt does): every exposed patient gets its 1st match before any
   gets its 2nd; round r assigns each still-matchable exposed patient its nearest unused control. An exposed patient
   that finds no eligible control in a round is skipped in all later rounds (the pool only shrinks).
6. Processing order within each round: ``order="largest"`` from the largest score down (the default),
   ``"smallest"`` from the smallest score up, ``"data"`` in input row order (the only option that depends on row
   order). Two exposed patients with the same score: the smaller patient id goes first. With ``shuffle_seed`` the
   order is a seeded random permutation instead: exposed patients sorted by id, then permuted by
   ``numpy.random.default_rng(shuffle_seed).permutation`` (used for robustness over many random match orders).
7. Ties in distance are broken by patient id, never by row order: of two controls at the same distance (on either
   side, or with equal scores), the one with the smaller patient id is taken. "Smaller" is the natural order of the id
   dtype (numeric for integers, lexicographic by code point for strings). "Same distance" means equal float64 values.
8. Caliper (optional): width = ``caliper_sd`` x SD of the score, where SD is the sample SD (ddof = 1) over ALL rows
   of the input (exposed and controls pooled into one sample, as MatchIt's ``std.caliper``; not Austin's
   sqrt((s1^2 + s0^2) / 2)). A control is eligible only if distance <= width (inclusive). Austin (2011) recommends
   ``caliper_sd = 0.2`` on the logit PS.
9. Exposed patients left with fewer than k matches are reported in ``MatchResult.unmatched`` (with ``n_matched``);
   those with 0 matches are absent from ``MatchResult.matched``, those with 1..k-1 are kept with their partial set.
10. Output: ``match_set_id`` is the exposed patient's id (same dtype as the id column); ``match_round`` is 0 for the
    exposed row and 1..k for its controls (the round in which the control was assigned, equal to its rank within the
    set); ``distance`` is null for the exposed row. Rows are sorted by (match_set_id, match_round), so shuffling the
    input rows gives identical output (except with ``order="data"``).

Algorithm (the loops are in :mod:`rwe_cohorts.matching.search`): per stratum, controls are sorted by (score, id);
each exposed patient's insertion point is found once by binary search; the nearest unused control is found by a
bidirectional search from that point, skipping used controls with two path-compressed "next unused to the right /
left" pointer arrays (union-find). Each step costs O(alpha(n)) amortised, so matching is O(n log n) for the sort plus
O(exposed x k) Python steps; all-pairs distances are never formed. :class:`GreedyMatcher` keeps the sorted controls,
so further processing orders (robustness over random orders) cost only the O(exposed x k) steps each.

References: Austin PC (2011). An introduction to propensity score methods for reducing the effects of confounding
in observational studies. Multivariate Behav Res 46:399-424 (caliper of 0.2 SD of the logit PS). MatchIt
documentation, ``method_nearest``: "matching takes place in rounds ... all treated units are matched once before
any are matched a second time" (Ho, Imai, King, Stuart; MatchIt >= 4.0).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from rwe_cohorts.matching._examples import examples
from rwe_cohorts.matching.search import (
    MatchOrder,
    block_bounds,
    float_array,
    int_array,
    match_with_replacement,
    match_without_replacement,
    processing_order,
    sorted_controls,
    stratum_codes,
)

_RANK = "__id_rank"


class MatchingInputError(ValueError):
    """The input frame or the matching arguments are unusable (missing column, nulls, duplicate ids, bad value)."""


@dataclass(frozen=True)
class MatchResult:
    """The matched cohort and its bookkeeping (see the module docstring for the conventions)."""

    matched: pl.DataFrame
    unmatched: pl.DataFrame
    caliper: float | None
    n_exposed: int
    n_controls: int
    n_exposed_matched: int
    n_exposed_complete: int
    n_controls_matched: int
    method: str


def validate_match_input(
    df: pl.DataFrame,
    *,
    id_col: str,
    treatment_col: str,
    exact: Sequence[str],
    score_col: str,
) -> None:
    """Raise MatchingInputError naming every problem at once (column, count, example ids)."""
    needed = [id_col, treatment_col, *exact, score_col]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise MatchingInputError(f"matching input lacks column(s) {missing}; available: {df.columns}")
    if len(set(needed)) != len(needed):
        raise MatchingInputError(f"id, treatment, exact and score columns must be distinct, got {needed}")
    problems: list[str] = []
    ids = df[id_col]
    if ids.null_count():
        problems.append(f"column {id_col!r} has {ids.null_count()} null id(s)")
    if ids.n_unique() < df.height:  # cheap test first; the examples only on failure
        dup = df.filter(pl.col(id_col).is_duplicated())[id_col].unique().sort()
        if dup.len():
            problems.append(f"column {id_col!r} has {dup.len()} duplicated id(s), e.g. {examples(dup)}")
    if df.schema[treatment_col] != pl.Boolean:
        problems.append(f"column {treatment_col!r} must be Boolean, got {df.schema[treatment_col]}")
    elif df[treatment_col].null_count():
        bad = df.filter(pl.col(treatment_col).is_null())[id_col]
        problems.append(f"column {treatment_col!r} has {bad.len()} null(s), e.g. ids {examples(bad)}")
    for col in exact:
        if df[col].null_count():
            bad = df.filter(pl.col(col).is_null())[id_col]
            problems.append(f"exact column {col!r} has {bad.len()} null(s), e.g. ids {examples(bad)}")
    if not df.schema[score_col].is_numeric():
        problems.append(f"score column {score_col!r} must be numeric, got {df.schema[score_col]}")
    else:
        bad_score = df.filter(~pl.col(score_col).cast(pl.Float64).is_finite().fill_null(False))[id_col]
        if bad_score.len():
            problems.append(
                f"score column {score_col!r} has {bad_score.len()} null/NaN/infinite value(s), "
                f"e.g. ids {examples(bad_score)}"
            )
    if problems:
        raise MatchingInputError("invalid matching input: " + "; ".join(problems))


def caliper_width(df: pl.DataFrame, score_col: str, caliper_sd: float | None) -> float | None:
    """Absolute caliper = caliper_sd x sample SD (ddof=1) of ``score_col`` over all rows, or None."""
    if caliper_sd is None:
        return None
    if not (math.isfinite(caliper_sd) and caliper_sd >= 0):
        raise MatchingInputError(f"caliper_sd must be a finite number >= 0, got {caliper_sd!r}")
    sd = df[score_col].cast(pl.Float64).std(ddof=1)
    if not isinstance(sd, float) or not math.isfinite(sd):
        raise MatchingInputError(f"cannot compute the SD of {score_col!r} for the caliper from {df.height} row(s)")
    return caliper_sd * sd


def _check_order(order: str, shuffle_seed: int | None) -> None:
    if order not in ("largest", "smallest", "data"):
        raise MatchingInputError(f"order must be 'largest', 'smallest' or 'data', got {order!r}")
    if shuffle_seed is not None and order != "largest":
        raise MatchingInputError(f"shuffle_seed replaces the processing order; do not also pass order={order!r}")


@dataclass(frozen=True)
class _Stratum:
    """One exact stratum's controls, sorted by (score, id), in the typed arrays the matching loops read."""

    lo: int  # first position in the matcher's sorted controls
    scores: np.ndarray
    cs: array[float]
    cid: array[int]
    bstart: array[int]
    bend: array[int]


@dataclass(frozen=True)
class MatchedRows:
    """Matched pairs as row numbers of the matcher's input frame, in processing order then round.

    ``exposed`` lists every exposed row (by stratum, in processing order) and ``n_matched`` its number of matches
    (0 included).
    """

    exposed_row: np.ndarray
    control_row: np.ndarray
    match_round: np.ndarray
    distance: np.ndarray
    exposed: np.ndarray
    n_matched: np.ndarray

    @property
    def matched_exposed(self) -> np.ndarray:
        """The exposed rows with at least one match (they head a matched set)."""
        return self.exposed[self.n_matched > 0]


class GreedyMatcher:
    """Greedy 1:k matching prepared once, run for any processing order (rules in the module docstring).

    Construction validates the input, computes the caliper, the id ranks, the strata and the sorted controls; each
    :meth:`match` (or :meth:`matched_rows`) then costs the processing-order sort plus the matching steps, so many
    random orders over the same cohort (robustness over match orders) do not repeat the O(n log n) preparation.
    """

    def __init__(
        self,
        df: pl.DataFrame,
        *,
        id_col: str = "patient_id",
        treatment_col: str = "is_exposed",
        exact: Sequence[str],
        score_col: str = "logit_ps",
        ratio: int = 10,
        caliper_sd: float | None = None,
        replace: bool = False,
    ) -> None:
        exact = list(exact)
        validate_match_input(df, id_col=id_col, treatment_col=treatment_col, exact=exact, score_col=score_col)
        if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
            raise MatchingInputError(f"ratio must be an integer >= 1, got {ratio!r}")
        self.ratio, self.replace, self.caliper_sd = ratio, replace, caliper_sd
        self.caliper = caliper_width(df, score_col, caliper_sd)
        self.id_col, self.score_col, self.exact = id_col, score_col, exact
        n = df.height
        self.treated = df[treatment_col].to_numpy()
        self.score = df[score_col].cast(pl.Float64).to_numpy()
        self.rank = np.empty(n, dtype=np.int64)  # 0-based rank of the patient id: the tie-breaker
        self.rank[df[id_col].arg_sort().to_numpy()] = np.arange(n)
        self.stratum = stratum_codes(df, exact)
        self.c_rows = sorted_controls(self.treated, self.score, self.rank, self.stratum)
        c_stratum = self.stratum[self.c_rows]
        c_score = self.score[self.c_rows]
        c_rank = self.rank[self.c_rows]
        self.strata: dict[int, _Stratum] = {}
        for st in np.unique(self.stratum[self.treated]).tolist():
            lo, hi = np.searchsorted(c_stratum, [st, st + 1])
            scores = c_score[lo:hi]
            start, end = block_bounds(scores)
            self.strata[st] = _Stratum(
                int(lo), scores, float_array(scores), int_array(c_rank[lo:hi]), int_array(start), int_array(end)
            )
        self.base = df.select(id_col, treatment_col, *exact, score_col)

    def matched_rows(self, *, order: MatchOrder = "largest", shuffle_seed: int | None = None) -> MatchedRows:
        """The matched pairs for one processing order (``order``, or a seeded random order)."""
        _check_order(order, shuffle_seed)
        e_order = processing_order(self.treated, self.score, self.rank, order, shuffle_seed)
        e_stratum = self.stratum[e_order]
        matcher = match_with_replacement if self.replace else match_without_replacement
        limit = math.inf if self.caliper is None else self.caliper
        e_out: list[int] = []
        c_out: list[int] = []
        rounds: list[int] = []
        dists: list[float] = []
        exposed: list[int] = []
        n_matched: list[int] = []
        for st, prepared in self.strata.items():
            e_rows = e_order[e_stratum == st]  # processing order preserved
            e_scores = self.score[e_rows]
            found = matcher(
                prepared.cs,
                prepared.cid,
                prepared.bstart,
                prepared.bend,
                e_scores.tolist(),
                np.searchsorted(prepared.scores, e_scores, side="left").tolist(),
                self.ratio,
                limit,
            )
            for e_row, matches in zip(e_rows.tolist(), found, strict=True):
                exposed.append(e_row)
                n_matched.append(len(matches))
                for rnd, (i, dist) in enumerate(matches, start=1):
                    e_out.append(e_row)
                    c_out.append(prepared.lo + i)
                    rounds.append(rnd)
                    dists.append(dist)
        return MatchedRows(
            exposed_row=np.array(e_out, dtype=np.int64),
            control_row=self.c_rows[np.array(c_out, dtype=np.int64)],
            match_round=np.array(rounds, dtype=np.int32),
            distance=np.array(dists, dtype=np.float64),
            exposed=np.array(exposed, dtype=np.int64),
            n_matched=np.array(n_matched, dtype=np.int64),
        )

    def match(self, *, order: MatchOrder = "largest", shuffle_seed: int | None = None) -> MatchResult:
        """The matched cohort for one processing order (see :func:`match_nearest`)."""
        rows = self.matched_rows(order=order, shuffle_seed=shuffle_seed)
        how = f"seeded random order (seed={shuffle_seed})" if shuffle_seed is not None else f"order={order!r}"
        cal = (
            "no caliper"
            if self.caliper is None
            else f"caliper {self.caliper_sd} SD (all rows, ddof=1) = {self.caliper:.6g}"
        )
        method = (
            f"greedy nearest neighbour on {self.score_col!r} in rounds, 1:{self.ratio}, "
            f"{'with' if self.replace else 'without'} replacement, exact on {self.exact}, {how}, {cal}; "
            f"ties by {self.id_col!r}"
        )
        return _assemble(self.base, rows, self.ratio, self.caliper, int(self.treated.sum()), method)


def match_nearest(
    df: pl.DataFrame,
    *,
    id_col: str = "patient_id",
    treatment_col: str = "is_exposed",
    exact: Sequence[str],
    score_col: str = "logit_ps",
    ratio: int = 10,
    caliper_sd: float | None = None,
    replace: bool = False,
    order: MatchOrder = "largest",
    shuffle_seed: int | None = None,
) -> MatchResult:
    """Greedy 1:k nearest-neighbour matching in rounds within exact strata (rules in the module docstring).

    Estimand: the matched sample targets the ATT (effect in the exposed). Returns a MatchResult whose ``matched``
    frame has columns ``id_col, treatment_col, match_set_id, *exact, score_col, match_round, distance``. For many
    processing orders over one cohort, build a :class:`GreedyMatcher` once and call its ``match``.

    Example::

        result = match_nearest(scores, exact=["cancer_type"], ratio=10, caliper_sd=0.2)
        result.matched.filter(pl.col("match_round") > 0)  # the matched controls
    """
    _check_order(order, shuffle_seed)
    matcher = GreedyMatcher(
        df,
        id_col=id_col,
        treatment_col=treatment_col,
        exact=exact,
        score_col=score_col,
        ratio=ratio,
        caliper_sd=caliper_sd,
        replace=replace,
    )
    return matcher.match(order=order, shuffle_seed=shuffle_seed)


def _assemble(
    base: pl.DataFrame,
    rows: MatchedRows,
    ratio: int,
    caliper: float | None,
    n_exposed: int,
    method: str,
) -> MatchResult:
    """Output frames from the matched rows; ``base`` = id, treatment, *exact, score."""
    id_col = base.columns[0]
    exact = base.columns[2:-1]
    e_rows, counts = rows.exposed, rows.n_matched
    pair_e, pair_c = rows.exposed_row, rows.control_row
    ctrl = base[pl.Series(pair_c)].with_columns(
        base[id_col].gather(pl.Series(pair_e)).alias("match_set_id"),
        pl.Series("match_round", rows.match_round, dtype=pl.Int32),
        pl.Series("distance", rows.distance, dtype=pl.Float64),
    )
    expo = base[pl.Series(rows.matched_exposed)].with_columns(
        pl.col(id_col).alias("match_set_id"),
        pl.lit(0, dtype=pl.Int32).alias("match_round"),
        pl.lit(None, dtype=pl.Float64).alias("distance"),
    )
    cols = [*base.columns[:2], "match_set_id", *base.columns[2:], "match_round", "distance"]
    matched = pl.concat([expo.select(cols), ctrl.select(cols)]).sort(["match_set_id", "match_round"])
    short = counts < ratio
    unmatched = (
        base[pl.Series(e_rows[short])]
        .select(id_col, *exact)
        .with_columns(pl.Series("n_matched", counts[short], dtype=pl.Int32))
        .sort(id_col)
    )
    return MatchResult(
        matched=matched,
        unmatched=unmatched,
        caliper=caliper,
        n_exposed=n_exposed,
        n_controls=base.height - n_exposed,
        n_exposed_matched=int((counts > 0).sum()),
        n_exposed_complete=int((counts == ratio).sum()),
        n_controls_matched=int(np.unique(pair_c).size),
        method=method,
    )
