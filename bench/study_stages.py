"""Benchmark of the study stages on a generated delivery: cohort SQL, matching, survival, robustness loop.

Run: ``uv run python -m bench.study_stages [--patients 58001] [--repeats 3] [--orders 200]``. Each stage is timed
with the same library calls the Dagster assets make; the median of ``repeats`` runs is reported, with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parents[1] / "pipelines" / "studies" / "ntrk_hibar2022.yaml"


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run_once(delivery_dir: Path, orders: int) -> dict[str, float]:
    # The library is imported here, not at the top: ``rwe`` builds every benchmark's options at start-up.
    from rwe_cohorts.cohort.models import COHORT_MARTS, INTERMEDIATE_MODELS, build_models
    from rwe_cohorts.core import warehouse
    from rwe_cohorts.core.contracts import load_contracts
    from rwe_cohorts.core.spec import load_spec
    from rwe_cohorts.ingest import delivery as ingest
    from rwe_cohorts.ingest.staging import STAGING_MODELS
    from rwe_cohorts.matching.study import run_matching
    from rwe_cohorts.survival.study import robustness_over_match_orders, run_survival

    spec = load_spec(SPEC)
    con = warehouse.connect(":memory:")
    delivery = ingest.read_delivery(delivery_dir)
    times: dict[str, float] = {}
    times["ingest_s"], _ = _timed(
        lambda: ingest.load_delivery(con, delivery, load_contracts(warehouse.CONTRACTS_ROOT, "raw"))
    )
    times["cohort_sql_s"], _ = _timed(
        lambda: build_models(con, STAGING_MODELS + INTERMEDIATE_MODELS + COHORT_MARTS, spec, delivery.data_cut_date)
    )
    cohort = warehouse.read_frame(con, "marts.analytic_cohort")
    axes = warehouse.read_frame(con, "intermediate.cohort_time_axes")
    times["matching_s"], matched = _timed(lambda: run_matching(cohort, spec))
    times["survival_s"], _ = _timed(
        lambda: run_survival(
            spec, cohort=cohort, time_axes=axes, matched=matched.matched_cohort, scores=matched.fit.scores
        )
    )
    times[f"robustness_{orders}_orders_s"], _ = _timed(
        lambda: robustness_over_match_orders(
            spec, cohort=cohort, time_axes=axes, scores=matched.fit.scores, n_orders=orders, seed=1
        )
    )
    return times


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patients", type=int, default=58_001)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--orders", type=int, default=200)


def run(args: argparse.Namespace) -> int:
    """One JSON line: the median seconds of each stage over ``repeats`` runs, and the machine."""
    from rwe_cohorts.ingest.synthetic import generate_delivery

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cut"
        generate_delivery(folder, n_patients=args.patients)
        runs = [run_once(folder, args.orders) for _ in range(args.repeats)]
    medians = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    print(json.dumps({"patients": args.patients, "repeats": args.repeats, "machine": machine(), "median": medians}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
