"""Resources: the ONLY place that reads the environment.

Defaults put everything under the project's git-ignored ``data/`` folder:

| setting | environment variable | default |
|---|---|---|
| data folder | ``RWE_DATA_DIR`` | ``<project>/data`` |
| landing area (one sub-folder per delivery) | ``RWE_LANDING_DIR`` | ``<data>/landing`` |
| warehouse (DuckDB file) | ``RWE_WAREHOUSE`` | ``<data>/warehouse.duckdb`` |
| published analysts' database | ``RWE_PUBLISHED`` | ``<data>/analytics.duckdb`` |
| study spec | ``RWE_STUDY_SPEC`` | ``pipelines/studies/ntrk_hibar2022.yaml`` |
| Great Expectations project root (the GX project is ``<root>/gx``, Data Docs under it) | ``RWE_GX_ROOT`` | ``<data>`` |
| reports | ``RWE_REPORTS_DIR`` | ``<data>/reports`` |
"""

from __future__ import annotations

import os
import subprocess
from importlib import metadata
from pathlib import Path

import dagster as dg
import duckdb

from rwe_cohorts import warehouse
from rwe_cohorts.spec import StudySpec, load_spec

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = PROJECT_ROOT / "pipelines" / "studies" / "ntrk_hibar2022.yaml"


class StudyResource(dg.ConfigurableResource):  # type: ignore[misc]
    """Where the study reads and writes, and which study spec it runs."""

    data_dir: str
    landing_dir: str
    warehouse_path: str
    published_path: str
    spec_path: str
    gx_dir: str
    reports_dir: str

    def connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return warehouse.connect(self.warehouse_path, read_only=read_only)

    def spec(self) -> StudySpec:
        return load_spec(self.spec_path)


def study_resource_from_env(environ: dict[str, str] | None = None) -> StudyResource:
    env = dict(os.environ if environ is None else environ)
    data = Path(env.get("RWE_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    return StudyResource(
        data_dir=str(data),
        landing_dir=str(Path(env.get("RWE_LANDING_DIR", data / "landing")).resolve()),
        warehouse_path=str(Path(env.get("RWE_WAREHOUSE", data / "warehouse.duckdb")).resolve()),
        published_path=str(Path(env.get("RWE_PUBLISHED", data / "analytics.duckdb")).resolve()),
        spec_path=str(Path(env.get("RWE_STUDY_SPEC", DEFAULT_SPEC)).resolve()),
        gx_dir=str(Path(env.get("RWE_GX_ROOT", data)).resolve()),
        reports_dir=str(Path(env.get("RWE_REPORTS_DIR", data / "reports")).resolve()),
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


def package_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in STACK}
