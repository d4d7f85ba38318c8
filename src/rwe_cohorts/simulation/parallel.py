"""Run independent replicates in worker processes (spawned: polars and DuckDB are not fork-safe), in order."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """One worker per core (2 on the project's machine)."""
    return max(1, os.cpu_count() or 1)


def map_ordered(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``fn`` over ``items`` in ``workers`` processes (in this process when 1), results in the items' order: each
    result depends only on its item, so the output does not depend on ``workers``."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=ctx) as pool:
        yield from pool.map(fn, items)
