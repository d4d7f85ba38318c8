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
    from pipelines.status import collect_status, format_status

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


if __name__ == "__main__":
    raise SystemExit(main())
