"""``rwe bench``: the end-to-end benchmark. For each size, generate a delivery and run the whole study through the
same code path as ``rwe run``; record per stage (generate, ingest, quality, cohort, matching, survival, report,
publish) the wall time and peak memory, plus startup and the whole run; fit how each stage grows with the number of
patients.

Per size, under a fresh temporary root:

1. ``python -m pipelines.cli generate --patients N --seed S --out <root>/landing/cut_<date>``, in its own process
   (``--repeats-generate`` times; the first delivery is kept);
2. the floor: one DuckDB scan of every delivered file, median of 3 passes (``bench/floor.py``);
3. ``--repeats`` times: ``python -m pipelines.cli run`` in a fresh process with its own data folder and Dagster
   instance (``RWE_DATA_DIR``, ``DAGSTER_HOME`` with a copy of ``.dagster_home/dagster.yaml``), the landing area
   above (``RWE_LANDING_DIR``) and the study spec (``RWE_STUDY_SPEC``; default the shipped NTRK spec). The process is
   watched from outside (``pipelines/bench_measure.py``); afterwards its Dagster run's STEP_START / STEP_SUCCESS /
   STEP_FAILURE events give each step's window, and the steps are mapped to stages by their asset groups.

Results: ``<out>/bench_<UTC time>.json`` (every measurement, the machine, versions, commit) and ``.md`` (the tables,
printed too), copied to ``latest.json`` / ``latest.md``. The benchmark is slow at scale; CI runs a small smoke version
(``tests/pipelines/test_bench_smoke.py``). Example::

    uv run rwe bench --sizes 58001,1000000,10000000 --repeats 3,3,1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.floor import scan_floor
from bench.measure import measure, read_steps, stage_summary, step_stages
from bench.tables import growth, markdown, summarise_size

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = PROJECT_ROOT / "pipelines" / "studies" / "ntrk_hibar2022.yaml"
DEFAULT_OUT = PROJECT_ROOT / "bench" / "results"
DATA_CUT = "2021-03-31"


def _ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes", type=_ints, default=[58_001, 1_000_000, 10_000_000], help="patients, comma-separated"
    )
    parser.add_argument(
        "--repeats", type=_ints, default=[3, 3, 1], help="study runs per size, comma-separated (the last value repeats)"
    )
    parser.add_argument("--repeats-generate", type=int, default=1, help="generator runs per size (default 1)")
    parser.add_argument("--seed", type=int, default=20220801)
    parser.add_argument(
        "--engine", choices=("duckdb", "spark"), default="duckdb", help="warehouse engine of the SQL steps (RWE_ENGINE)"
    )
    parser.add_argument("--spark-master", default="", help="RWE_SPARK_MASTER (default local[*])")
    parser.add_argument("--spark-driver-memory", default="", help="RWE_SPARK_DRIVER_MEMORY (default half the RAM)")
    parser.add_argument("--spark-shuffle-partitions", type=int, default=0, help="RWE_SPARK_SHUFFLE_PARTITIONS")
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="study spec (default the NTRK study)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default bench/results)")
    parser.add_argument("--work-dir", type=Path, help="parent of the temporary roots (default the system temp dir)")
    parser.add_argument("--sample-ms", type=float, default=50.0, help="memory sampling interval")
    parser.add_argument("--keep", action="store_true", help="keep the temporary roots (deliveries, warehouses, logs)")


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS, Python, package versions and the code version (git commit)."""
    from pipelines.resources import code_version, package_versions

    cpu = platform.processor() or platform.machine()
    ram_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_kb / 1024**2,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "commit": code_version(),
    }


def _env(**settings: Path) -> dict[str, str]:
    """The parent environment without any ``RWE_*`` / ``DAGSTER_HOME`` setting, then ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RWE_") and k != "DAGSTER_HOME"}
    env.update({k: str(v) for k, v in settings.items()}, GX_ANALYTICS_ENABLED="false")
    return env


def _engine_env(args: argparse.Namespace) -> dict[str, str]:
    """``RWE_ENGINE`` and the Spark settings the benchmark was given (empty ones left to their defaults)."""
    settings = {
        "RWE_ENGINE": getattr(args, "engine", "duckdb"),
        "RWE_SPARK_MASTER": getattr(args, "spark_master", ""),
        "RWE_SPARK_DRIVER_MEMORY": getattr(args, "spark_driver_memory", ""),
        "RWE_SPARK_SHUFFLE_PARTITIONS": str(getattr(args, "spark_shuffle_partitions", 0) or ""),
    }
    return {k: v for k, v in settings.items() if v}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def _log_tail(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _rows_written(delivery: Path) -> int | None:
    try:
        manifest = json.loads((delivery / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return sum(int(t.get("rows", 0)) for t in manifest.get("tables", []))


def bench_size(n: int, repeats: int, args: argparse.Namespace, root: Path, stage_of: dict[str, str]) -> dict[str, Any]:
    """Generate ``n`` patients, then ``repeats`` measured study runs; every measurement of this size."""
    interval = args.sample_ms / 1000
    landing = root / "landing"
    delivery = landing / f"cut_{DATA_CUT}"
    generate = []
    for i in range(max(1, args.repeats_generate)):
        out = delivery if i == 0 else root / f"generate_{i}"
        argv = _cli("generate", "--patients", str(n), "--seed", str(args.seed), "--data-cut", DATA_CUT)
        argv += ["--out", str(out)]
        log = root / f"generate_{i}.log"
        m = measure(argv, env=_env(), cwd=PROJECT_ROOT, log=log, interval_s=interval)
        if m.returncode != 0:
            raise RuntimeError(f"generate {n:,} failed (exit {m.returncode}):\n{_log_tail(log)}")
        generate.append(_process_fields(m))
        _progress(f"{n:,} patients: generate {m.wall_s:.1f} s, {m.peak_rss_mb:.0f} MB")
        if i > 0:
            shutil.rmtree(out)
    floor = scan_floor(delivery)
    _progress(f"{n:,} patients: floor (one DuckDB scan of every delivered file) {floor['seconds']:.2f} s")
    runs = []
    for r in range(repeats):
        rep = root / f"run_{r}"
        home = rep / "dagster_home"
        home.mkdir(parents=True)
        shutil.copy(PROJECT_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
        env = _env(RWE_DATA_DIR=rep / "data", RWE_LANDING_DIR=landing, DAGSTER_HOME=home, RWE_STUDY_SPEC=args.spec)
        env.update(_engine_env(args))
        log = rep / "run.log"
        m = measure(_cli("run"), env=env, cwd=PROJECT_ROOT, log=log, interval_s=interval)
        run_id, steps = read_steps(home)
        run = {**_process_fields(m), "run_id": run_id, **stage_summary(m, steps, stage_of)}
        if m.returncode != 0:
            run["log_tail"] = _log_tail(log)
        runs.append(run)
        _progress(
            f"{n:,} patients: run {r + 1}/{repeats}: {m.wall_s:.1f} s, {m.peak_rss_mb:.0f} MB, exit {m.returncode}"
        )
        if m.returncode != 0:
            _progress(run["log_tail"])
        if not args.keep:
            shutil.rmtree(rep / "data", ignore_errors=True)
    size: dict[str, Any] = {
        "patients": n,
        "rows_written": _rows_written(delivery),
        "floor": floor,
        "generate": generate,
        "runs": runs,
    }
    size["summary"] = summarise_size(size)
    return size


def _process_fields(m: Any) -> dict[str, Any]:
    return {
        "returncode": m.returncode,
        "wall_s": m.wall_s,
        "cpu_s": m.cpu_s,
        "peak_rss_mb": m.peak_rss_mb,
        "load_before": list(m.load_before),
        "load_after": list(m.load_after),
        "rss_samples": len(m.samples),
    }


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _command(args: argparse.Namespace) -> str:
    reps = ",".join(str(r) for r in args.repeats)
    spec = "" if Path(args.spec).resolve() == DEFAULT_SPEC else f" --spec {args.spec}"
    engine = "" if getattr(args, "engine", "duckdb") == "duckdb" else f" --engine {args.engine}"
    return f"rwe bench --sizes {','.join(str(n) for n in args.sizes)} --repeats {reps}{spec}{engine}"


def run(args: argparse.Namespace) -> int:
    """Measure every size, write the JSON and markdown to ``args.out``, print the markdown; 1 if any run failed."""
    args.spec = Path(args.spec).resolve()
    started = dt.datetime.now(dt.UTC)
    load = os.getloadavg()
    stage_of = step_stages()  # imports the code location once, before anything is measured
    result: dict[str, Any] = {
        "command": _command(args),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_average": " / ".join(f"{x:.1f}" for x in load),
        "spec": str(args.spec),
        "seed": args.seed,
        "repeats_generate": max(1, args.repeats_generate),
        "sample_interval_ms": args.sample_ms,
        "step_stages": stage_of,
        "sizes": [],
    }
    if args.work_dir:
        Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    for i, n in enumerate(args.sizes):
        repeats = args.repeats[min(i, len(args.repeats) - 1)] if args.repeats else 1
        root = Path(tempfile.mkdtemp(prefix=f"rwe-bench-{n}-", dir=args.work_dir))
        try:
            result["sizes"].append(bench_size(n, max(1, repeats), args, root, stage_of))
        finally:
            if args.keep:
                _progress(f"kept {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
    result["growth"] = growth(args.sizes, [s["summary"] for s in result["sizes"]])
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    table = markdown(result)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "bench_" + started.strftime("%Y%m%dT%H%M%SZ")
    (out / f"{stem}.json").write_text(json.dumps(result, indent=2))
    (out / f"{stem}.md").write_text(table)
    shutil.copy(out / f"{stem}.json", out / "latest.json")
    shutil.copy(out / f"{stem}.md", out / "latest.md")
    print(table)
    _progress(f"wrote {out / stem}.json and .md")
    return 0 if all(r["returncode"] == 0 for s in result["sizes"] for r in s["runs"]) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rwe bench", description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
