"""Calibration of the synthetic generator to the published study across seeds: ``rwe bench calibration``.

For each seed (1..``--seeds``) and for the default seed, a delivery of ``--patients`` patients is generated in memory
and the study's estimator chain runs on it (``rwe_cohorts.simulation.chain``: the pipeline's cohort SQL on DuckDB,
PS model and matching, the primary Kaplan-Meier and Cox models), in ``--workers`` processes. Printed: a markdown
table of every figure (published value and interval, mean over the seeds with SD, the default seed) and the primary
log HR against the value the generator's truth implies for the matched population, plus the wall time; JSON goes
to ``--out`` (default ``bench/results/calibration_latest.json``). Example::

    uv run rwe bench calibration --seeds 20
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from bench.study_stages import SPEC, machine

RESULTS = Path(__file__).resolve().parent / "results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, default=20, help="number of seeds (1..N; default 20)")
    parser.add_argument("--patients", type=int, default=58_001)
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one per core)")
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--out", type=Path, default=RESULTS / "calibration_latest.json")


def run(args: argparse.Namespace) -> int:
    from rwe_cohorts.simulation.calibration import calibrate, markdown
    from rwe_cohorts.simulation.parallel import default_workers

    workers = args.workers or default_workers()
    start = time.perf_counter()
    cal = calibrate(args.spec, list(range(1, args.seeds + 1)), n_patients=args.patients, workers=workers)
    seconds = time.perf_counter() - start
    table = markdown(cal)
    print(table)
    print(
        f"\n{args.seeds} seeds + the default seed at {args.patients:,} patients, {workers} workers: "
        f"{seconds:.0f} s ({machine()})"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "seeds": list(cal.seeds),
        "n_patients": cal.n_patients,
        "workers": workers,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "rows": [asdict(r) for r in cal.rows],
        "log_hr_mean": cal.log_hr_mean,
        "truth_log_hr_mean": cal.truth_log_hr_mean,
        "log_hr_simulation_se": cal.log_hr_simulation_se,
        "markdown": table,
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0
