"""The hardware floor beside every benchmark figure: one DuckDB scan of every file of a delivery.

Each delivered Parquet file is read in full by one query that touches every value of every column
(``select count(*), sum(hash(columns(*))) from read_parquet(...)``: ``count(*)`` alone would read only the footer),
in one in-memory DuckDB connection with its default threads (one per core), files one after another. The floor is
the median of ``repeats`` such passes over the whole delivery, measured in the same benchmark run as the study runs
it is set against, so a whole run or a stage reads as a multiple of "reading the input once".
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import duckdb


def delivered_files(delivery: Path) -> list[Path]:
    """The files the delivery's manifest lists, in manifest order."""
    manifest = json.loads((delivery / "manifest.json").read_text())
    return [delivery / str(entry["file"]) for entry in manifest["tables"]]


def scan_once(files: list[Path]) -> float:
    """Wall seconds of one full scan of every file (a fresh in-memory connection; its set-up is not timed)."""
    con = duckdb.connect()
    try:
        started = time.perf_counter()
        for path in files:
            con.execute("select count(*), sum(hash(columns(*))) from read_parquet(?)", [str(path)]).fetchall()
        return time.perf_counter() - started
    finally:
        con.close()


def scan_floor(delivery: Path, repeats: int = 3) -> dict[str, Any]:
    """The floor of one delivery: every pass's seconds, their median, and the bytes scanned."""
    files = delivered_files(delivery)
    passes = [scan_once(files) for _ in range(max(1, repeats))]
    return {
        "seconds": statistics.median(passes),
        "passes": passes,
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
    }


def multiple(seconds: float | None, floor: float | None) -> float | None:
    """``seconds`` as a multiple of the floor (None when either is missing or the floor is zero)."""
    if seconds is None or not floor:
        return None
    return seconds / floor
