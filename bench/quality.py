"""Benchmark ingest plus every raw and staging check: wall time and peak resident memory per delivery size.

Each size is generated once (in a subprocess; not timed), then each run is a fresh subprocess that makes the same
library calls the Dagster ingest and quality steps make, against a DuckDB file and a file-backed GX project:

1. ``load_delivery`` (manifest checksums, row counts, columns and types verified, raw tables landed);
2. ``build_models(con, STAGING_MODELS, ...)`` (the staging SQL models);
3. raw quality: ``validate_relations`` over the raw contracts, ``genomic_checks`` with the study spec's genes,
   ``delivery_drift``, results stored in ``qa.expectation_results`` / ``qa.qa_summary``;
4. staging quality: ``validate_relations`` over the staging contracts, results stored;
5. ``build_data_docs`` once per layer, as each Dagster check does.

The one-off import of Great Expectations (several seconds) is timed separately and not counted in the wall time.
Peak RSS is the child's ``getrusage(RUSAGE_SELF).ru_maxrss`` (DuckDB and pandas memory included).

Usage::

    uv run python -m bench.quality                      # 58,001 (median of 3) and 1,000,000 (1 run)
    uv run python -m bench.quality --sizes 58001 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

_GENERATE = """
import sys
from pathlib import Path
from rwe_cohorts.ingest.synthetic import generate_delivery
generate_delivery(Path(sys.argv[2]), n_patients=int(sys.argv[1]))
"""

_RUN = """
import json, os, resource, sys, time
os.environ["GX_ANALYTICS_ENABLED"] = "false"
from pathlib import Path
delivery_dir, work = Path(sys.argv[1]), Path(sys.argv[2])
t = time.perf_counter()
import rwe_cohorts.quality
gx_import = time.perf_counter() - t
from bench.quality import run_checks
report = run_checks(delivery_dir, work)
usage = resource.getrusage(resource.RUSAGE_SELF)
report.update(gx_import_seconds=gx_import, peak_rss_mb=usage.ru_maxrss / 1024,
              cpu_seconds=usage.ru_utime + usage.ru_stime)
(work / "report.json").write_text(json.dumps(report))
"""

TARGET_SECONDS = {58_001: 30.0, 1_000_000: 300.0}
"""Targets on the reference machine (2 cores): ingest plus all checks."""


@dataclass(frozen=True)
class RunResult:
    """One timed run of ingest plus every raw and staging check."""

    n_patients: int
    seconds: float
    steps: dict[str, float]
    gx_import_seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    raw_rows: int
    checks: int
    failed_error: int
    failed_warn: int


def run_checks(delivery_dir: Path, work: Path) -> dict[str, object]:
    """Ingest ``delivery_dir`` into ``work/warehouse.duckdb`` and run every raw and staging check; time each step."""
    import time

    from rwe_cohorts.cohort.models import build_models
    from rwe_cohorts.core.contracts import load_contracts
    from rwe_cohorts.core.spec import load_spec
    from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, PROJECT_ROOT, connect
    from rwe_cohorts.ingest.delivery import load_delivery, read_delivery
    from rwe_cohorts.ingest.staging import STAGING_MODELS
    from rwe_cohorts.quality import (
        ExpectationOutcome,
        GXContext,
        RelationValidation,
        delivery_drift,
        genomic_checks,
        outcomes_to_frame,
        qa_summary,
        validate_relations,
    )
    from rwe_cohorts.quality.results import flatten
    from rwe_cohorts.quality.store import store_results

    steps: dict[str, float] = {}
    start = last = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        steps[name] = steps.get(name, 0.0) + now - last
        last = now

    spec = load_spec(PROJECT_ROOT / "pipelines" / "studies" / "ntrk_hibar2022.yaml")
    raw, staging, qa = (load_contracts(CONTRACTS_ROOT, layer) for layer in ("raw", "staging", "qa"))
    con = connect(work / "warehouse.duckdb")
    delivery = read_delivery(delivery_dir)
    counts = load_delivery(con, delivery, raw)
    lap("ingest")
    build_models(con, STAGING_MODELS, spec, delivery.data_cut_date)
    lap("staging models")

    def store(items: list[ExpectationOutcome | RelationValidation], run_id: str) -> None:
        import polars as pl

        summary = qa_summary(items).with_columns(pl.lit(run_id).alias("run_id"), pl.lit(cut).alias("data_cut_id"))
        store_results(
            con,
            outcomes_to_frame(items, run_id=run_id, data_cut_id=cut),
            summary,
            results_contract=qa["qa.expectation_results"],
            summary_contract=qa["qa.qa_summary"],
        )

    cut = delivery.data_cut_id
    gx = GXContext.file(work)
    lap("GX context")
    raw_items: list[ExpectationOutcome | RelationValidation] = list(
        validate_relations(con, raw.values(), run_id="bench_raw", data_cut_id=cut, context=gx)
    )
    lap("raw suites")
    raw_items += genomic_checks(
        con,
        exposure_genes=spec.exposure.genes,
        driver_genes=spec.covariates.driver_genes,
        context=gx,
        run_id="bench_raw",
        data_cut_id=cut,
    )
    lap("genomics checks")
    raw_items += delivery_drift(
        con, qa["qa.delivery_row_counts"], data_cut_id=cut, data_cut_date=delivery.data_cut_date, run_id="bench_raw"
    )
    store(raw_items, "bench_raw")
    lap("row-count drift + store results")
    gx.build_data_docs()
    lap("Data Docs")
    staging_items: list[ExpectationOutcome | RelationValidation] = list(
        validate_relations(con, staging.values(), run_id="bench_staging", data_cut_id=cut, context=gx)
    )
    lap("staging suites")
    store(staging_items, "bench_staging")
    lap("store results")
    gx.build_data_docs()
    lap("Data Docs")
    con.close()
    outcomes = flatten([*raw_items, *staging_items])
    return {
        "seconds": time.perf_counter() - start,
        "steps": steps,
        "raw_rows": sum(counts.values()),
        "checks": len(outcomes),
        "failed_error": sum(o.severity == "error" and not o.passed for o in outcomes),
        "failed_warn": sum(o.severity == "warn" and not o.passed for o in outcomes),
    }


def _python(code: str, *args: str) -> None:
    """Run ``code`` in a fresh interpreter (its output is discarded: GX prints progress to stdout)."""
    env = dict(os.environ, GX_ANALYTICS_ENABLED="false")
    subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=env)


def bench_size(n_patients: int, runs: int, work_dir: Path | None = None) -> list[RunResult]:
    """Generate one delivery of ``n_patients`` and time ``runs`` fresh-process runs of ingest plus all checks."""
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        delivery = Path(tmp) / "delivery"
        _python(_GENERATE, str(n_patients), str(delivery))
        results = []
        for i in range(runs):
            work = Path(tmp) / f"run{i}"
            work.mkdir()
            _python(_RUN, str(delivery), str(work))
            report = json.loads((work / "report.json").read_text())
            results.append(RunResult(n_patients=n_patients, **report))
    return results


def summarise(results: Sequence[RunResult]) -> dict[str, object]:
    """Median wall time (and its run's steps) over runs of one size, with the target."""
    median = statistics.median(r.seconds for r in results)
    closest = min(results, key=lambda r: abs(r.seconds - median))
    n = results[0].n_patients
    return {
        "n_patients": n,
        "runs": len(results),
        "median_seconds": round(median, 2),
        "all_seconds": [round(r.seconds, 2) for r in results],
        "target_seconds": TARGET_SECONDS.get(n),
        "peak_rss_mb": round(max(r.peak_rss_mb for r in results), 1),
        "gx_import_seconds": round(statistics.median(r.gx_import_seconds for r in results), 2),
        "steps_of_median_run": {k: round(v, 2) for k, v in closest.steps.items()},
        "raw_rows": closest.raw_rows,
        "checks": closest.checks,
        "failed_error": closest.failed_error,
        "failed_warn": closest.failed_warn,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=int, nargs="+", default=[58_001, 1_000_000])
    parser.add_argument("--runs", type=int, nargs="+", default=[3, 1], help="runs per size (last value repeats)")
    parser.add_argument("--work-dir", type=Path, default=None, help="parent folder for temporary files")


def run(args: argparse.Namespace) -> int:
    """One JSON line per run, then one summary line per size."""
    for i, size in enumerate(args.sizes):
        runs = args.runs[min(i, len(args.runs) - 1)]
        results = bench_size(size, runs, args.work_dir)
        for r in results:
            print(json.dumps({"run": asdict(r)}), flush=True)
        print(json.dumps({"summary": summarise(results)}), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
