"""Brute-force reference implementation of the matching rules in ``greedy.py`` (the test oracle).

All-pairs and deliberately naive: for every round and every exposed patient (in processing order) it scans every
control of the same stratum, drops used ones and those beyond the caliper, and takes the minimum of
(distance, patient id). It shares only input validation and the caliper width with ``greedy.py``; the ordering,
tie-breaking and round logic are written out again here from the rules. O(k x exposed x controls): use on small
inputs only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from rwe_cohorts.matching.greedy import MatchOrder, caliper_width, validate_match_input


def match_nearest_reference(
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
) -> pl.DataFrame:
    """Matched pairs by brute force: columns match_set_id, patient_id (the control), match_round, distance.

    Sorted by (match_set_id, match_round); exposed rows are not included. Same arguments as ``match_nearest``.
    """
    exact = list(exact)
    validate_match_input(df, id_col=id_col, treatment_col=treatment_col, exact=exact, score_col=score_col)
    caliper = caliper_width(df, score_col, caliper_sd)
    limit = math.inf if caliper is None else caliper
    rows = df.rows(named=True)
    exposed = [r for r in rows if r[treatment_col]]
    controls = [r for r in rows if not r[treatment_col]]

    def stratum(r: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(r[c] for c in exact)

    def score(r: dict[str, Any]) -> float:
        return float(r[score_col])

    if shuffle_seed is not None:
        by_id = sorted(exposed, key=lambda r: r[id_col])
        perm = np.random.default_rng(shuffle_seed).permutation(len(by_id))
        queue = [by_id[i] for i in perm]
    elif order == "largest":
        queue = sorted(exposed, key=lambda r: (-score(r), r[id_col]))
    elif order == "smallest":
        queue = sorted(exposed, key=lambda r: (score(r), r[id_col]))
    else:
        queue = list(exposed)

    out: list[tuple[Any, Any, int, float]] = []
    if replace:
        for e in queue:
            cands = [
                (abs(score(e) - score(c)), c[id_col])
                for c in controls
                if stratum(c) == stratum(e) and abs(score(e) - score(c)) <= limit
            ]
            for rnd, (dist, cid) in enumerate(sorted(cands)[:ratio], start=1):
                out.append((e[id_col], cid, rnd, dist))
    else:
        used: set[Any] = set()
        active = list(queue)
        for rnd in range(1, ratio + 1):
            still = []
            for e in active:
                cands = [
                    (abs(score(e) - score(c)), c[id_col])
                    for c in controls
                    if c[id_col] not in used and stratum(c) == stratum(e)
                ]
                cands = [x for x in cands if x[0] <= limit]
                if not cands:
                    continue
                dist, cid = min(cands)
                used.add(cid)
                out.append((e[id_col], cid, rnd, dist))
                still.append(e)
            active = still

    id_dtype = df.schema[id_col]
    return pl.DataFrame(
        {
            "match_set_id": [o[0] for o in out],
            id_col: [o[1] for o in out],
            "match_round": [o[2] for o in out],
            "distance": [o[3] for o in out],
        },
        schema={"match_set_id": id_dtype, id_col: id_dtype, "match_round": pl.Int32, "distance": pl.Float64},
    ).sort(["match_set_id", "match_round"])
