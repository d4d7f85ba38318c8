"""The inner loops of greedy nearest-neighbour matching (the rules are in :mod:`rwe_cohorts.matching.greedy`).

Controls are sorted per exact stratum by (score, id); runs of equal scores form blocks; the nearest unused control
is found from an exposed patient's insertion point with two path-compressed "next unused to the right / left"
pointer arrays (union-find), so each step costs O(alpha(n)) amortised and all-pairs distances are never formed.
The loops run on :mod:`array` arrays, which plain-Python indexing reads faster than numpy arrays.
"""

from __future__ import annotations

import heapq
import itertools
import math
from array import array
from typing import Literal

import numpy as np
import polars as pl

MatchOrder = Literal["largest", "smallest", "data"]

ROW_COLUMN = "__row"
STRATUM_COLUMN = "__stratum"


def stratum_codes(df: pl.DataFrame, exact: list[str]) -> np.ndarray:
    """Integer stratum code per row (hash group-by on the exact columns; code order is arbitrary)."""
    codes = np.zeros(df.height, dtype=np.int64)
    if not exact:
        return codes
    groups = (
        df.select(exact)
        .with_row_index(ROW_COLUMN)
        .group_by(exact)
        .agg(pl.col(ROW_COLUMN))
        .with_row_index(STRATUM_COLUMN)
        .select(STRATUM_COLUMN, ROW_COLUMN)
        .explode(ROW_COLUMN)
    )
    codes[groups[ROW_COLUMN].to_numpy()] = groups[STRATUM_COLUMN].to_numpy()
    return codes


def processing_order(
    treated: np.ndarray,
    score: np.ndarray,
    rank: np.ndarray,
    order: MatchOrder,
    shuffle_seed: int | None,
) -> np.ndarray:
    """Row numbers of the exposed patients in processing order (ties in score: smaller id first)."""
    rows = np.flatnonzero(treated)
    if shuffle_seed is not None:
        by_id = rows[np.argsort(rank[rows])]
        return by_id[np.random.default_rng(shuffle_seed).permutation(by_id.size)]
    if order == "largest":
        return rows[np.lexsort((rank[rows], -score[rows]))]
    if order == "smallest":
        return rows[np.lexsort((rank[rows], score[rows]))]
    return rows


def sorted_controls(treated: np.ndarray, score: np.ndarray, rank: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """Row numbers of the controls sorted by (stratum, score, id rank).

    A full three-key sort of 10M rows is slow, so: sort by score, re-sort only the runs of tied scores by id,
    then a stable (radix for small integer codes) sort by stratum, which keeps the (score, id) order inside strata.
    """
    rows = np.flatnonzero(~treated)
    rows = rows[np.argsort(score[rows])]
    sorted_score = score[rows]
    tied = np.zeros(rows.size, dtype=bool)
    same = sorted_score[1:] == sorted_score[:-1]
    tied[1:] |= same
    tied[:-1] |= same
    if tied.any():
        sub = rows[tied]
        rows[tied] = sub[np.lexsort((rank[sub], score[sub]))]
    code_dtype = np.int16 if stratum.size == 0 or stratum.max() < 2**15 else np.int64
    return rows[np.argsort(stratum[rows].astype(code_dtype), kind="stable")]


def find_root(nxt: array[int], i: int) -> int:
    """Root of i in a "next unused" pointer array (the nearest unused slot in the array's direction).

    Path-compressing; amortised near O(1). Used for both the rightward and the (shifted) leftward array.
    """
    root = i
    while nxt[root] != root:
        root = nxt[root]
    while nxt[i] != root:
        nxt[i], i = root, nxt[i]
    return root


def int_array(values: np.ndarray) -> array[int]:
    out = array("q")
    out.frombytes(np.ascontiguousarray(values, dtype=np.int64).tobytes())
    return out


def float_array(values: np.ndarray) -> array[float]:
    out = array("d")
    out.frombytes(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return out


def match_without_replacement(
    cs: array[float],
    cid: array[int],
    bstart: array[int],
    bend: array[int],
    e_scores: list[float],
    e_pos: list[int],
    ratio: int,
    caliper: float,
) -> list[list[tuple[int, float]]]:
    """Rounds of greedy matching; returns, per exposed (in processing order), [(control index, distance), ...]."""
    n = len(cs)
    nxt = int_array(np.arange(n + 1))  # nxt[i]: next unused >= i; n is the sentinel
    prv = int_array(np.arange(n + 1))  # prv[i + 1]: prev unused <= i, shifted by one; 0 is the sentinel
    found: list[list[tuple[int, float]]] = [[] for _ in e_scores]
    active = list(range(len(e_scores)))
    for _ in range(ratio):
        still: list[int] = []
        for e in active:
            s = e_scores[e]
            p = e_pos[e]
            best, best_d, best_id = -1, math.inf, 0
            j = find_root(prv, p) - 1  # nearest unused on the left (score < s), -1 if none
            if j >= 0:
                d = abs(s - cs[j])
                while True:  # walk blocks of equal distance (equal scores, or float-rounding ties)
                    b = bstart[j]
                    u = find_root(nxt, b)  # smallest id unused in this equal-score block
                    if d < best_d or (d == best_d and cid[u] < best_id):
                        best, best_d, best_id = u, d, cid[u]
                    j = find_root(prv, b) - 1
                    if j < 0 or abs(s - cs[j]) != d:
                        break
            j = find_root(nxt, p)  # nearest unused on the right (score >= s); smallest id of its block
            if j < n:
                d = abs(s - cs[j])
                while True:
                    if d < best_d or (d == best_d and cid[j] < best_id):
                        best, best_d, best_id = j, d, cid[j]
                    j = find_root(nxt, bend[j] + 1)
                    if j >= n or abs(s - cs[j]) != d:
                        break
            if best < 0 or best_d > caliper:
                continue
            found[e].append((best, best_d))
            nxt[best] = best + 1
            prv[best + 1] = best
            still.append(e)
        active = still
    return found


def match_with_replacement(
    cs: array[float],
    cid: array[int],
    bstart: array[int],
    bend: array[int],
    e_scores: list[float],
    e_pos: list[int],
    ratio: int,
    caliper: float,
) -> list[list[tuple[int, float]]]:
    """Each exposed gets its k nearest distinct controls, ordered by (distance, id)."""
    n = len(cs)
    found: list[list[tuple[int, float]]] = []
    for s, p in zip(e_scores, e_pos, strict=True):
        chosen: list[tuple[int, float]] = []
        left, right = p - 1, p
        while len(chosen) < ratio:
            d_left = abs(s - cs[left]) if left >= 0 else math.inf
            d_right = abs(s - cs[right]) if right < n else math.inf
            d = min(d_left, d_right)
            if d == math.inf or d > caliper:
                break
            blocks: list[range] = []
            while left >= 0 and abs(s - cs[left]) == d:
                blocks.append(range(bstart[left], left + 1))
                left = bstart[left] - 1
            while right < n and abs(s - cs[right]) == d:
                blocks.append(range(right, bend[right] + 1))
                right = bend[right] + 1
            merged = heapq.merge(*blocks, key=lambda i: cid[i])
            chosen.extend((i, d) for i in itertools.islice(merged, ratio - len(chosen)))
        found.append(chosen)
    return found


def block_bounds(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sorted position: first and last index of its run of equal scores."""
    n = scores.size
    idx = np.arange(n)
    new = np.ones(n, dtype=bool)
    new[1:] = scores[1:] != scores[:-1]
    start = np.maximum.accumulate(np.where(new, idx, 0))
    last = np.ones(n, dtype=bool)
    last[:-1] = new[1:]
    end = np.minimum.accumulate(np.where(last, idx, n)[::-1])[::-1]
    return start, end
