"""Benchmark the generator: wall time and peak resident memory per delivery size.

Each size runs in a fresh subprocess (so imports and memory of one run do not leak into the next); the child times
``generate_delivery`` itself and reports its own peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``, all threads).

Usage::

    uv run python -m bench.generator 58001 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from rwe_cohorts.ingest.synthetic import generate_delivery
n, out, chunk = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
start = time.perf_counter()
manifest = generate_delivery(out, n_patients=n, chunk_size=chunk)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
rows = sum(t.rows for t in manifest.tables)
print(json.dumps({"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "cpu_seconds": usage.ru_utime
                  + usage.ru_stime, "bytes_written": size, "rows_written": rows}))
"""


@dataclass(frozen=True)
class BenchResult:
    """One timed generation."""

    n_patients: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    bytes_written: int
    rows_written: int


def bench_one(n_patients: int, chunk_size: int = 250_000, work_dir: Path | None = None) -> BenchResult:
    """Generate ``n_patients`` in a subprocess into a temporary directory and measure it."""
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        out = Path(tmp) / "delivery"
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(n_patients), str(out), str(chunk_size)],
            check=True,
            capture_output=True,
            text=True,
        )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return BenchResult(n_patients=n_patients, **report)


def benchmark(sizes: Sequence[int], chunk_size: int = 250_000, work_dir: Path | None = None) -> list[BenchResult]:
    """Time generation at each size (one subprocess per size)."""
    return [bench_one(n, chunk_size, work_dir) for n in sizes]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sizes", type=int, nargs="*", default=[58_001], help="patients per delivery (default 58001)")


def run(args: argparse.Namespace) -> int:
    """One JSON line per size on stdout."""
    for result in benchmark(args.sizes):
        print(json.dumps(asdict(result)), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
