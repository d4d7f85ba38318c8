"""Resources: the ONLY place that reads the environment.

Defaults put everything under the project's git-ignored ``data/`` folder:

| setting | environment variable | default |
|---|---|---|
| data folder | ``RWE_DATA_DIR`` | ``<project>/data`` |
| landing area (one sub-folder per delivery) | ``RWE_LANDING_DIR`` | ``<data>/landing`` |
| warehouse folder (``<dir>/<data cut>.duckdb`` per data cut; run lock) | ``RWE_WAREHOUSE_DIR`` | ``<data>/warehouse`` |
| published analysts' database | ``RWE_PUBLISHED`` | ``<data>/analytics.duckdb`` |
| study spec | ``RWE_STUDY_SPEC`` | ``pipelines/studies/ntrk_hibar2022.yaml`` |
| Great Expectations project root (the GX project is ``<root>/gx``, Data Docs under it) | ``RWE_GX_ROOT`` | ``<data>`` |
| reports | ``RWE_REPORTS_DIR`` | ``<data>/reports`` |
| DuckDB threads (0: one per core) | ``RWE_DUCKDB_THREADS`` | ``0`` |
| DuckDB memory limit (e.g. ``8GB``; empty: a quarter of RAM, then spill) | ``RWE_DUCKDB_MEMORY_LIMIT`` | empty |
| SQL engine: ``duckdb`` or ``spark`` (the ``spark`` extra; Java 17) | ``RWE_ENGINE`` | ``duckdb`` |
| Spark master (``local[N]``, cluster URL, ``sc://`` Connect) | ``RWE_SPARK_MASTER`` | ``local[*]`` |
| Spark driver memory (local mode: all of Spark) | ``RWE_SPARK_DRIVER_MEMORY`` | half the RAM |
| Spark shuffle partitions | ``RWE_SPARK_SHUFFLE_PARTITIONS`` | ``8`` |
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from contextlib import ExitStack, suppress
from importlib import metadata
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from rwe_cohorts.core import ledger, warehouse
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.engine import DuckDBEngine, Engine, check_engine, spark_engine
from rwe_cohorts.core.runlock import run_lock
from rwe_cohorts.core.spec import StudySpec, load_spec
from rwe_cohorts.ingest.delivery import check_cut_id

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PARTITION_TAG = "dagster/partition"
LAUNCHED_BY_TAG = "rwe/launched_by"
DEFAULT_SPEC = PROJECT_ROOT / "pipelines" / "studies" / "ntrk_hibar2022.yaml"


class StudyResource(dg.ConfigurableResource):  # type: ignore[misc]
    """Where the study reads and writes, and which study spec it runs.

    In a run, the resource serves the run's data cut (its partition): ``connect()`` opens that cut's warehouse file.
    For the whole run it holds the run lock (first come, first served; DuckDB allows one writer per file and every run
    also writes the shared published database), and it keeps the run's row in ``marts.study_runs``: ``started`` when
    the lock is granted, ``succeeded`` or ``failed`` when the run ends.
    """

    data_dir: str
    landing_dir: str
    warehouse_dir: str
    published_path: str
    spec_path: str
    gx_dir: str
    reports_dir: str
    lock_timeout_s: float = 24 * 3600.0
    duckdb_threads: int = 0
    duckdb_memory_limit: str = ""
    engine_name: str = "duckdb"
    spark_master: str = "local[*]"
    spark_driver_memory: str = ""
    spark_shuffle_partitions: int = 0

    _cut: str = PrivateAttr(default="")
    _run_id: str = PrivateAttr(default="")
    _stack: ExitStack | None = PrivateAttr(default=None)

    @property
    def data_cut(self) -> str:
        if not self._cut:
            raise RuntimeError("no data cut: study assets run as partitions of the data_cut partitions definition")
        return self._cut

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse_dir) / f"{check_cut_id(self.data_cut)}.duckdb"

    def report_path(self) -> Path:
        return Path(self.reports_dir) / self.data_cut / "study_report.html"

    def connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return warehouse.connect(
            self.warehouse_path, read_only=read_only, threads=self.duckdb_threads, memory_limit=self.duckdb_memory_limit
        )

    def spec(self) -> StudySpec:
        return load_spec(self.spec_path)

    @property
    def spark_warehouse_path(self) -> Path:
        """The data cut's Spark warehouse (Parquet per table) when ``RWE_ENGINE=spark``."""
        return Path(self.warehouse_dir) / f"{check_cut_id(self.data_cut)}.spark"

    def engine(self) -> Engine:
        """The warehouse engine of the SQL stages for this data cut (``RWE_ENGINE``); the DuckDB file stays the
        home of the ledger, the quality results and the Python stages' tables either way."""
        duck = DuckDBEngine(self.warehouse_path, threads=self.duckdb_threads, memory_limit=self.duckdb_memory_limit)
        if check_engine(self.engine_name) == "duckdb":
            return duck
        return spark_engine(
            duck,
            root=self.spark_warehouse_path,
            master=self.spark_master,
            driver_memory=self.spark_driver_memory,
            shuffle_partitions=self.spark_shuffle_partitions,
        )

    def for_cut(self, cut: str) -> StudyResource:
        """A copy serving data cut ``cut`` outside a run (tests, ``rwe status``); it holds no lock."""
        other = self.model_copy()
        other._cut = check_cut_id(cut)
        return other

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.dagster_run
        if run is None:
            return
        self._cut = check_cut_id(run.tags.get(PARTITION_TAG, "")) if run.tags.get(PARTITION_TAG) else ""
        self._run_id = run.run_id
        if not self._cut:
            return
        spec = self.spec()  # an invalid spec stops the run here, before it queues for the lock
        contract = load_contracts(warehouse.CONTRACTS_ROOT, "marts")[ledger.LEDGER]
        stack = ExitStack()
        log = context.log
        stack.enter_context(
            run_lock(
                Path(self.warehouse_dir) / ".lock",
                run.run_id,
                timeout_s=self.lock_timeout_s,
                on_wait=lambda holder: log.info(f"waiting for the run lock (queued behind {holder})") if log else None,
            )
        )
        try:
            with self.connect() as con:
                stale = ledger.start_run(
                    con,
                    contract,
                    ledger.RunStart(
                        run_id=run.run_id,
                        data_cut_id=self._cut,
                        study_id=spec.study_id,
                        spec_hash=spec.spec_hash,
                        spec_json=spec_json(spec),
                        code_version=code_version(),
                        package_versions=package_versions(),
                        launched_by=launched_by(run.tags),
                    ),
                )
        except BaseException:
            stack.close()  # Dagster does not tear down a resource whose setup raised: release the lock here
            raise
        self._stack = stack
        if stale and log:
            log.warning(f"{stale} earlier run(s) of data cut {self._cut} never finished; marked interrupted")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        stack, self._stack = self._stack, None
        if stack is None:
            return
        try:
            failures = context.instance.get_records_for_run(
                self._run_id, of_type=dg.DagsterEventType.STEP_FAILURE
            ).records
            failed = sorted({r.event_log_entry.step_key or "?" for r in failures})
            with self.connect() as con:
                status = ledger.run_status(con, self._run_id)
                if failed:
                    ledger.finish_run(con, self._run_id, "failed", failed_steps=failed, is_published=False)
                elif status == "started":
                    ledger.finish_run(con, self._run_id, "succeeded")
        finally:
            stack.close()


def study_resource_from_env(environ: dict[str, str] | None = None) -> StudyResource:
    env = dict(os.environ if environ is None else environ)
    data = Path(env.get("RWE_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    return StudyResource(
        data_dir=str(data),
        landing_dir=str(Path(env.get("RWE_LANDING_DIR", data / "landing")).resolve()),
        warehouse_dir=str(Path(env.get("RWE_WAREHOUSE_DIR", data / "warehouse")).resolve()),
        published_path=str(Path(env.get("RWE_PUBLISHED", data / "analytics.duckdb")).resolve()),
        spec_path=str(Path(env.get("RWE_STUDY_SPEC", DEFAULT_SPEC)).resolve()),
        gx_dir=str(Path(env.get("RWE_GX_ROOT", data)).resolve()),
        reports_dir=str(Path(env.get("RWE_REPORTS_DIR", data / "reports")).resolve()),
        duckdb_threads=int(env.get("RWE_DUCKDB_THREADS", "0")),
        duckdb_memory_limit=env.get("RWE_DUCKDB_MEMORY_LIMIT", ""),
        engine_name=check_engine(env.get("RWE_ENGINE", "duckdb")),
        spark_master=env.get("RWE_SPARK_MASTER", "") or "local[*]",
        spark_driver_memory=env.get("RWE_SPARK_DRIVER_MEMORY", ""),
        spark_shuffle_partitions=int(env.get("RWE_SPARK_SHUFFLE_PARTITIONS", "0") or 0),
    )


def resources() -> dict[str, object]:
    return {"study": study_resource_from_env()}


def dagster_home() -> Path:
    """The local Dagster instance folder (``DAGSTER_HOME``; default ``<project>/.dagster_home``, SQLite storage)."""
    return Path(os.environ.get("DAGSTER_HOME", PROJECT_ROOT / ".dagster_home")).resolve()


def code_version() -> str:
    """The git commit of the project (``-dirty`` when the work tree has changes), else the package version."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return f"rwe-cohorts {metadata.version('rwe-cohorts')}"


STACK = ("duckdb", "polars", "dagster", "great-expectations", "lifelines", "statsmodels", "numpy", "pandas")


OPTIONAL_STACK = ("pyspark", "sqlglot")


def package_versions() -> dict[str, str]:
    versions = {name: metadata.version(name) for name in STACK}
    for name in OPTIONAL_STACK:  # the spark extra, when installed
        with suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


def launched_by(tags: Mapping[str, str]) -> str:
    if tags.get(LAUNCHED_BY_TAG):
        return tags[LAUNCHED_BY_TAG]
    if tags.get("dagster/sensor_name"):
        return f"sensor:{tags['dagster/sensor_name']}"
    if tags.get("dagster/schedule_name"):
        return f"schedule:{tags['dagster/schedule_name']}"
    return "dagster"


def spec_json(spec: StudySpec) -> str:
    return json.dumps(spec.to_dict(), sort_keys=True)
