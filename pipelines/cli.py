"""The ``rwe`` command: generate a synthetic delivery, run the study through Dagster.

This is the operator's entry point, so it lives beside the Dagster code location rather than in the library
(``src/rwe_cohorts`` never imports dagster).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path


def _progress_printer(label: str):  # type: ignore[no-untyped-def]
    tty = sys.stderr.isatty()
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < (0.2 if tty else 5.0):
            return
        last[0] = now
        share = done / total if total else 1.0
        if tty:
            bar = "#" * int(30 * share)
            sys.stderr.write(f"\r{label} [{bar:<30}] {done:,}/{total:,} ({share:.0%})")
            if done >= total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"{label}: {done:,}/{total:,} patients ({share:.0%})\n")
        sys.stderr.flush()

    return report


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.resources import study_resource_from_env
    from rwe_cohorts.ingest.synthetic import generate_delivery

    cut = dt.date.fromisoformat(args.data_cut)
    out = Path(args.out) if args.out else Path(study_resource_from_env().landing_dir) / f"cut_{cut.isoformat()}"
    defects = dict(d.split("=", 1) for d in args.defect) if args.defect else None
    manifest = generate_delivery(
        out,
        n_patients=args.patients,
        seed=args.seed,
        data_cut_date=cut,
        hazard_ratio=args.hazard_ratio,
        informative_entry=args.informative_entry,
        defects={k: float(v) for k, v in defects.items()} if defects else None,
        progress=_progress_printer("generate"),
    )
    print(f"wrote delivery {manifest.data_cut_id} ({args.patients:,} patients) to {out}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.landing:
        os.environ["RWE_LANDING_DIR"] = str(Path(args.landing).resolve())
    from pipelines.runner import run_study

    return run_study(data_cut=args.data_cut)


def cmd_status(args: argparse.Namespace) -> int:
    from pipelines.status import collect_status, format_status, spec_warning

    warning = spec_warning()
    if warning:
        print(warning, file=sys.stderr)
    print(format_status(collect_status()))
    return 0


def cmd_ingest_cbioportal(args: argparse.Namespace) -> int:
    from pipelines.resources import study_resource_from_env
    from rwe_cohorts.core.spec import load_spec
    from rwe_cohorts.ingest.cbioportal import CbioportalStudyError, land_cbioportal_study
    from rwe_cohorts.ingest.cbioportal.attrition import attrition_lines

    study = study_resource_from_env()
    spec = load_spec(args.spec or study.spec_path)
    if spec.source != "cbioportal":
        print(
            f"rwe ingest-cbioportal: the study spec {args.spec or study.spec_path} has source {spec.source!r}; use a "
            "cbioportal spec (e.g. pipelines/studies/ntrk_cbioportal.yaml via --spec or RWE_STUDY_SPEC)",
            file=sys.stderr,
        )
        return 2
    cut = dt.date.fromisoformat(args.data_cut) if args.data_cut else None
    try:
        summary = land_cbioportal_study(Path(args.study_dir), Path(study.landing_dir), spec, data_cut_date=cut)
    except CbioportalStudyError as exc:
        print(f"rwe ingest-cbioportal: {exc}", file=sys.stderr)
        return 1
    print(f"conversion of cBioPortal study {summary.study_id}:")
    print("\n".join(f"  {line}" for line in attrition_lines(summary.attrition, summary.removed_downstream)))
    print(f"wrote delivery {summary.data_cut_id} to {Path(study.landing_dir) / summary.delivery_folder}")
    print(f"time axis: {summary.time_axis_statement}")
    print(f"age: {summary.age_statement}")
    print(f"then: RWE_STUDY_SPEC={args.spec or study.spec_path} rwe run --data-cut {summary.data_cut_id}")
    return 0


def cmd_spec_check(args: argparse.Namespace) -> int:
    from rwe_cohorts.core.spec import StudySpecError, load_spec

    try:
        spec = load_spec(args.file)
    except StudySpecError as exc:
        print(f"rwe spec check: {exc}", file=sys.stderr)
        return 1
    print(f"{args.file}: valid study spec {spec.study_id} ({spec.title}); sha256 {spec.spec_hash}")
    return 0


def cmd_cut_remove(args: argparse.Namespace) -> int:
    from pipelines.cuts import format_plan, plan_removal, remove_cut

    try:
        plan = plan_removal(args.data_cut)
    except ValueError as exc:
        print(f"rwe cut remove: {exc}", file=sys.stderr)
        return 2
    if not args.yes or plan.empty:
        print(format_plan(plan, done=False))
        if not plan.empty:
            print("nothing was changed; add --yes to remove")
        return 0
    remove_cut(plan)
    print(format_plan(plan, done=True))
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from pipelines.resources import study_resource_from_env
    from pipelines.sql import run_sql

    database = Path(args.database) if args.database else Path(study_resource_from_env().published_path)
    return run_sql(database, command=args.command, files=[Path(f) for f in args.files])


def cmd_simulate(args: argparse.Namespace) -> int:
    """``rwe simulate``: the estimator chain on independent deliveries, against the planted truth."""
    from pipelines.resources import study_resource_from_env
    from rwe_cohorts.simulation.parallel import default_workers
    from rwe_cohorts.simulation.study import run_and_report

    spec = Path(args.spec) if args.spec else Path(study_resource_from_env().spec_path)
    workers, out = args.workers or default_workers(), Path(args.out) if args.out else None
    capture = args.death_capture
    print(
        run_and_report(spec, args.replicates, args.patients, args.hazard_ratio, args.first_seed, workers, out, capture)
    )
    return 0


def run_bench(argv: list[str]) -> int:
    """``rwe bench ARGS``: the benchmarks are their own program (``python -m bench``, under ``bench/``), run in a
    child process so the operator's command never imports them."""
    return subprocess.run([sys.executable, "-m", "bench", *argv], check=False).returncode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rwe", description="rwe-cohorts: matched-cohort survival evidence")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic CGDB-shaped delivery into the landing area")
    gen.add_argument("--patients", type=int, default=58_001)
    gen.add_argument("--seed", type=int, default=20220801)
    gen.add_argument("--out", help="delivery folder (default: <landing>/cut_<data cut>)")
    gen.add_argument("--data-cut", default="2021-03-31", help="data cut date, YYYY-MM-DD")
    gen.add_argument("--hazard-ratio", type=float, default=1.6, help="planted NTRK+ vs NTRK- hazard ratio")
    gen.add_argument("--informative-entry", type=float, default=0.0, help="log-hazard per month of sequencing delay")
    gen.add_argument("--defect", action="append", help="inject a defect profile: NAME=RATE (repeatable)")
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="materialize the whole study for one data cut (default: the latest delivered)")
    run.add_argument("--landing", help="landing area (default data/landing)")
    run.add_argument("--data-cut", help="data cut id (from the delivery manifest; default: the latest complete one)")
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", help="list data cuts, their last run and check outcomes")
    status.set_defaults(func=cmd_status)

    cbio = sub.add_parser(
        "ingest-cbioportal", help="convert a downloaded cBioPortal study folder into a delivery in the landing area"
    )
    cbio.add_argument("study_dir", help="the study folder (meta_study.txt, data_clinical_*.txt, data_sv.txt, ...)")
    cbio.add_argument("--spec", help="a study spec with source: cbioportal (default: RWE_STUDY_SPEC)")
    cbio.add_argument("--data-cut", help="data cut date YYYY-MM-DD (default: the last date in the study)")
    cbio.set_defaults(func=cmd_ingest_cbioportal)

    spec = sub.add_parser("spec", help="study spec tools").add_subparsers(dest="spec_command", required=True)
    check = spec.add_parser("check", help="validate a study spec file and list every error")
    check.add_argument("file", help="the study spec YAML (e.g. pipelines/studies/ntrk_hibar2022.yaml)")
    check.set_defaults(func=cmd_spec_check)

    cut = sub.add_parser("cut", help="data cut tools").add_subparsers(dest="cut_command", required=True)
    remove = cut.add_parser(
        "remove",
        help="retire a data cut: its partition, warehouse file, report, GX results and published rows (shows what "
        "it would remove unless --yes)",
    )
    remove.add_argument("data_cut", help="data cut id (as `rwe status` lists it)")
    remove.add_argument("--yes", action="store_true", help="really remove (default: only show what would go)")
    remove.set_defaults(func=cmd_cut_remove)

    sql = sub.add_parser("sql", help="run SQL read-only on the analysts' database (or --database FILE)")
    sql.add_argument("files", nargs="*", help="SQL files to run in turn (default: -c, else standard input)")
    sql.add_argument("-c", "--command", help="one SQL statement to run")
    sql.add_argument("--database", help="a DuckDB file (default: the analysts' database, RWE_PUBLISHED)")
    sql.set_defaults(func=cmd_sql)

    sim = sub.add_parser(
        "simulate",
        help="simulation study: the estimator chain on independent deliveries with a "
        "planted effect (bias, empirical vs model SE, 95% CI coverage)",
    )
    sim.add_argument("--replicates", type=int, default=200)
    sim.add_argument("--patients", type=int, default=58_001)
    sim.add_argument("--hazard-ratio", type=float, default=1.6, help="planted NTRK+ vs NTRK- hazard ratio")
    sim.add_argument("--first-seed", type=int, default=100_001, help="replicate i uses seed first-seed + i")
    sim.add_argument("--workers", type=int, default=0, help="worker processes (default: one per core)")
    sim.add_argument("--death-capture", type=float, default=0.9, help="share of deaths reaching the mortality table")
    sim.add_argument("--spec", help="study spec (default: RWE_STUDY_SPEC or the shipped NTRK spec)")
    sim.add_argument("--out", help="also write the results as JSON to this file")
    sim.set_defaults(func=cmd_simulate)

    # Listed for the help text only: main() hands ``rwe bench ...`` to ``python -m bench`` before parsing.
    sub.add_parser("bench", help="benchmarks: end to end (every stage of `rwe run`) or one stage (`rwe bench -h`)")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        return run_bench(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args))


def entry() -> None:
    """The ``rwe`` console script: :func:`main`, then leave without interpreter finalization once every output is
    flushed. The command's work is complete and durable by then (the Dagster instance, the warehouse and the published
    files are closed); finalization only made DuckDB's bindings print a page of "leaked instance" lines below the
    result, the last lines a user reads."""
    import logging

    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
