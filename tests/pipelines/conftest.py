"""Helpers for end-to-end runs: the ``rwe`` command in a subprocess with its own data folder, Dagster instance and
study spec (RWE_DATA_DIR, DAGSTER_HOME, RWE_STUDY_SPEC), and a study run on a freshly generated delivery."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from rwe_cohorts.warehouse import PROJECT_ROOT

RweCommand = Callable[..., subprocess.CompletedProcess[str]]
StudyRunner = Callable[..., Path]


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RWE_DATA_DIR=str(root / "data"),
        DAGSTER_HOME=str(root / "dagster_home"),
        RWE_STUDY_SPEC=str(root / "spec.yaml"),
        GX_ANALYTICS_ENABLED="false",
    )
    return env


def run_rwe(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``rwe <args>`` with everything (data, warehouse, Dagster instance, spec) under ``root``."""
    cmd = [sys.executable, "-m", "pipelines.cli", *args]
    return subprocess.run(cmd, cwd=PROJECT_ROOT, env=_env(root), capture_output=True, text=True, timeout=900)


def run_study(root: Path, spec_file: str, *, patients: int, seed: int, robustness_match_orders: int = 10) -> Path:
    """Generate a delivery and run the whole study under ``root`` with a copy of ``pipelines/studies/<spec_file>``.

    The copy sets ``survival.robustness_match_orders`` low to keep CI fast (the shipped specs use 200). Asserts that
    both commands succeed; returns ``root``.
    """
    spec = yaml.safe_load((PROJECT_ROOT / "pipelines" / "studies" / spec_file).read_text())
    spec["survival"]["robustness_match_orders"] = robustness_match_orders
    (root / "spec.yaml").write_text(yaml.safe_dump(spec))
    (root / "dagster_home").mkdir()
    (root / "dagster_home" / "dagster.yaml").write_text((PROJECT_ROOT / ".dagster_home/dagster.yaml").read_text())
    gen = run_rwe(root, "generate", "--patients", str(patients), "--seed", str(seed))
    assert gen.returncode == 0, gen.stderr
    run = run_rwe(root, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return root


@pytest.fixture(scope="session")
def rwe() -> RweCommand:
    return run_rwe


@pytest.fixture(scope="session")
def rwe_env() -> Callable[[Path], dict[str, str]]:
    """The environment of an ``rwe`` subprocess rooted at a folder (for commands run in the background)."""
    return _env


@pytest.fixture(scope="session")
def study_runner() -> StudyRunner:
    return run_study


@pytest.fixture(scope="session")
def ntrk_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The NTRK study run end to end on a 20,000-patient delivery (seed 7), shared by every test that only reads it
    or restores what it changes (its own data folder, Dagster instance and spec under a temporary root)."""
    return run_study(tmp_path_factory.mktemp("e2e"), "ntrk_hibar2022.yaml", patients=20_000, seed=7)
