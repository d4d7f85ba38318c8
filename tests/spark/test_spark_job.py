"""The same Dagster job on both engines: ``rwe run`` with ``RWE_ENGINE=spark`` (local mode) on a small delivery passes
every check, publishes, writes the report, and its ledger row carries the same content hash for every mart as a
DuckDB run of the same delivery. Slow (two whole runs, about 8 min on 2 busy cores): ``pytest -m slow``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from rwe_cohorts.core.warehouse import PROJECT_ROOT


def _run(rwe: Any, root: Path, landing: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    spec = yaml.safe_load((PROJECT_ROOT / "pipelines" / "studies" / "ntrk_hibar2022.yaml").read_text())
    spec["survival"]["robustness_match_orders"] = 5
    root.mkdir()
    (root / "spec.yaml").write_text(yaml.safe_dump(spec))
    (root / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / ".dagster_home" / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
    monkeypatch.setenv("RWE_LANDING_DIR", str(landing))
    monkeypatch.setenv("RWE_ENGINE", engine)
    monkeypatch.setenv("RWE_SPARK_MASTER", "local[2]")
    monkeypatch.setenv("RWE_SPARK_SHUFFLE_PARTITIONS", "2")
    monkeypatch.setenv("RWE_SPARK_DRIVER_MEMORY", "2g")
    run = rwe(root, "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (root / "data" / "reports").is_dir()
    with duckdb.connect(str(root / "data" / "analytics.duckdb"), read_only=True) as con:
        (hashes,) = con.execute("select mart_hashes from marts.study_runs where status = 'succeeded'").fetchone()
    return dict(json.loads(hashes) if isinstance(hashes, str) else hashes)


@pytest.mark.slow
def test_the_study_job_on_spark_publishes_duckdbs_marts(
    rwe: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    gen = rwe(tmp_path, "generate", "--patients", "3000", "--out", str(landing / "cut_2021-03-31"))
    assert gen.returncode == 0, gen.stderr
    duck = _run(rwe, tmp_path / "duckdb", landing, "duckdb", monkeypatch)
    spark = _run(rwe, tmp_path / "spark", landing, "spark", monkeypatch)
    assert len(duck) >= 15
    assert spark == duck
    assert (tmp_path / "spark" / "data" / "warehouse" / "2021-03-31.spark" / "staging").is_dir()
