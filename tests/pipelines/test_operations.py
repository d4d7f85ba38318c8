"""Operating the pipeline in Dagster: the landing sensor, the monthly schedule, two runs launched at once, a reader
of the analysts' database during runs, ``rwe status``, and the asset graph pinned by a readable snapshot."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.definitions import defs
from pipelines.ingest.schedules import monthly_latest_cut
from pipelines.ingest.sensors import landing_sensor
from pipelines.partitions import DATA_CUTS
from pipelines.resources import StudyResource, study_resource_from_env
from rwe_cohorts.core.warehouse import PROJECT_ROOT
from rwe_cohorts.ingest.delivery import sha256_file
from rwe_cohorts.ingest.synthetic import generate_delivery

SNAPSHOT = Path(__file__).with_name("asset_graph.txt")
MARCH, JUNE = dt.date(2021, 3, 31), dt.date(2021, 6, 30)


# --- landing sensor and schedule ---------------------------------------------------------------------------------


@pytest.fixture()
def landing(tmp_path: Path) -> tuple[Path, StudyResource]:
    """Two deliveries: March complete, June half-copied (one file not there yet)."""
    generate_delivery(tmp_path / "landing" / "cut_2021-03-31", n_patients=1_500, seed=3, data_cut_date=MARCH)
    generate_delivery(tmp_path / "staging_area", n_patients=1_500, seed=4, data_cut_date=JUNE)
    june = tmp_path / "landing" / "cut_2021-06-30"
    shutil.copytree(tmp_path / "staging_area", june)
    (june / "visits.parquet").unlink()
    return tmp_path, study_resource_from_env({"RWE_DATA_DIR": str(tmp_path)})


def _evaluate(instance: dg.DagsterInstance, study: StudyResource, cursor: str | None = None):  # type: ignore[no-untyped-def]
    """One sensor evaluation; returns its result and the cursor it leaves."""
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"study": study}) as context:
        result = landing_sensor(context)
        return result, (result.cursor if isinstance(result, dg.SensorResult) else context.cursor)


def test_sensor_registers_a_complete_delivery_and_waits_for_a_half_copied_one(
    landing: tuple[Path, StudyResource],
) -> None:
    root, study = landing
    with dg.instance_for_test() as instance:
        result, cursor = _evaluate(instance, study)
        assert isinstance(result, dg.SensorResult)
        assert [r.partition_key for r in result.run_requests or []] == ["2021-03-31"]
        (request,) = result.dynamic_partitions_requests or []
        assert request.partitions_def_name == DATA_CUTS and list(request.partition_keys) == ["2021-03-31"]

        instance.add_dynamic_partitions(DATA_CUTS, ["2021-03-31"])  # what the daemon does with the request
        again, cursor = _evaluate(instance, study, cursor)
        assert isinstance(again, dg.SkipReason)
        assert "cut_2021-06-30: visits.parquet: file missing" in (again.skip_message or "")

        # the copy finishes: now June is picked up, once
        shutil.copy(root / "staging_area" / "visits.parquet", root / "landing" / "cut_2021-06-30")
        done, _ = _evaluate(instance, study, cursor)
        assert isinstance(done, dg.SensorResult)
        assert [r.partition_key for r in done.run_requests or []] == ["2021-06-30"]


def test_sensor_refuses_two_folders_claiming_one_data_cut(landing: tuple[Path, StudyResource]) -> None:
    root, study = landing
    shutil.copytree(root / "landing" / "cut_2021-03-31", root / "landing" / "cut_2021-03-31_resent")
    with dg.instance_for_test() as instance:
        result, _ = _evaluate(instance, study)
        assert isinstance(result, dg.SkipReason)
        assert "claimed by 2 folders" in (result.skip_message or "")


def test_monthly_schedule_requests_the_latest_complete_data_cut(landing: tuple[Path, StudyResource]) -> None:
    root, study = landing
    shutil.copy(root / "staging_area" / "visits.parquet", root / "landing" / "cut_2021-06-30")
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(
            instance=instance, resources={"study": study}, scheduled_execution_time=dt.datetime(2021, 8, 2, 6)
        ) as context:
            request = monthly_latest_cut(context)
        assert isinstance(request, dg.RunRequest) and request.partition_key == "2021-06-30"
        assert instance.has_dynamic_partition(DATA_CUTS, "2021-06-30")


def test_sensor_and_schedule_are_defined_with_their_documented_default_status() -> None:
    assert defs.resolve_sensor_def("landing_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    schedule = defs.resolve_schedule_def("monthly_latest_cut")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 6 2 * *"
    assert defs.resolve_job_def("study_job").partitions_def is not None


# --- two runs at once, a reader of the published database, rwe status ----------------------------------------------


def _rwe(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "pipelines.cli", *args]
    return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _shuffled_copy(source: Path, target: Path, cut_id: str) -> None:
    """The same delivery with every table's rows in another order, under another data cut id (manifest re-sealed)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("truth"))
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["data_cut_id"] = cut_id
    for entry in manifest["tables"]:
        path = target / entry["file"]
        frame = pl.read_parquet(path)
        frame.sample(fraction=1.0, shuffle=True, seed=99).write_parquet(path)
        entry["sha256"] = sha256_file(path)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1))


def _ledger(root: Path, cut: str) -> list[tuple[str, str, str, dt.datetime, dt.datetime, str]]:
    con = duckdb.connect(str(root / "data" / "warehouse" / f"{cut}.duckdb"), read_only=True)
    try:
        return con.execute(
            "select run_id, launched_by, status, started_at, finished_at, mart_hashes from marts.study_runs "
            "order by started_at"
        ).fetchall()
    finally:
        con.close()


def test_two_runs_launched_together_finish_in_order_reproducibly_and_leave_other_cuts_alone(
    ntrk_run: Path, rwe_env: Callable[[Path], dict[str, str]]
) -> None:
    """Two data cuts launched together: the same delivery shuffled (row order) and run on one DuckDB thread, and the
    original cut re-run. Both finish, one after the other, without a lock error; a reader holding the published file
    keeps its old state; the shuffled cut's marts are identical to the original's; the re-run leaves the other cut's
    warehouse and published rows untouched and reproduces its own marts."""
    shuffled = "2021-03-31-shuffled"
    landing = ntrk_run / "data" / "landing"
    _shuffled_copy(landing / "cut_2021-03-31", landing / f"cut_{shuffled}", shuffled)
    reference = json.loads(_ledger(ntrk_run, "2021-03-31")[-1][5])
    published = ntrk_run / "data" / "analytics.duckdb"
    reader = duckdb.connect(str(published), read_only=True)
    before = reader.execute("select count(*) from marts.study_runs").fetchone()

    env = rwe_env(ntrk_run)
    queue = ntrk_run / "data" / "warehouse" / ".lock" / "queue"
    first = _rwe({**env, "RWE_DUCKDB_THREADS": "1"}, "run", "--data-cut", shuffled)
    deadline = time.monotonic() + 300
    while (
        not (queue.exists() and any(queue.iterdir())) and time.monotonic() < deadline
    ):  # the first run has queued for the lock
        time.sleep(0.1)
    second = _rwe(env, "run", "--data-cut", "2021-03-31")
    outs = [p.communicate(timeout=900) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], "\n".join(err[-2000:] for _, err in outs)
    for _, err in outs:  # neither DuckDB's nor SQLite's lock error, even transiently
        assert "Could not set lock" not in err and "database is locked" not in err
    assert reader.execute("select count(*) from marts.study_runs").fetchone() == before
    reader.close()

    (shuffled_run,) = _ledger(ntrk_run, shuffled)
    rerun = _ledger(ntrk_run, "2021-03-31")[-1]
    assert shuffled_run[2] == rerun[2] == "succeeded" and shuffled_run[1] == rerun[1] == "rwe run"
    assert shuffled_run[4] <= rerun[3], "the run that queued second starts after the first has finished"
    assert json.loads(shuffled_run[5]) == reference, "row order and thread count changed a mart"
    assert json.loads(rerun[5]) == reference, "re-running the cut changed its marts"
    shuffled_file = ntrk_run / "data" / "warehouse" / f"{shuffled}.duckdb"
    assert dt.datetime.fromtimestamp(shuffled_file.stat().st_mtime, dt.UTC).replace(tzinfo=None) < rerun[3]

    con = duckdb.connect(str(published), read_only=True)
    cuts = dict(con.execute("select data_cut_id, count(*) from marts.hazard_ratios group by 1").fetchall())
    con.close()
    assert cuts["2021-03-31"] == cuts[shuffled] > 0, "both cuts published side by side"

    status = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "status"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    lines = {x.split()[0]: x for x in status.stdout.splitlines()[1:] if x.strip()}
    for cut, run in (("2021-03-31", rerun), (shuffled, shuffled_run)):
        assert run[0][:8] in lines[cut] and "SUCCESS" in lines[cut] and lines[cut].rstrip().endswith("yes")


# --- the asset graph ------------------------------------------------------------------------------------------------


def asset_graph_text() -> str:
    """Keys, groups, dependencies and checks, one line each, sorted: a snapshot a reviewer can read in a diff."""
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        parents = ", ".join(sorted(p.to_user_string() for p in node.parent_keys)) or "-"
        partitioned = "data_cut" if node.partitions_def is not None else "unpartitioned"
        lines.append(f"asset {key.to_user_string()} [{node.group_name}; {partitioned}] <- {parents}")
    for check in sorted(graph.asset_check_keys, key=lambda c: (c.asset_key.to_user_string(), c.name)):
        spec = graph.get_check_spec(check)
        partitioned = "data_cut" if spec.partitions_def is not None else "unpartitioned"
        blocking = " (blocking)" if spec.blocking else ""
        lines.append(f"check {check.asset_key.to_user_string()}:{check.name} [{partitioned}]{blocking}")
    for job in defs.resolve_all_job_defs():
        if not job.name.startswith("__"):
            lines.append(f"job {job.name}")
    lines.append("sensor landing_sensor (default RUNNING)")
    lines.append("schedule monthly_latest_cut 0 6 2 * * UTC (default STOPPED)")
    return "\n".join(lines) + "\n"


def test_asset_graph_matches_its_snapshot() -> None:
    text = asset_graph_text()
    if os.environ.get("RWE_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), "run with RWE_UPDATE_SNAPSHOT=1 to write tests/pipelines/asset_graph.txt"
    assert text == SNAPSHOT.read_text(), (
        "the asset graph changed: review the difference, then RWE_UPDATE_SNAPSHOT=1 pytest "
        "tests/pipelines/test_operations.py -k snapshot"
    )
