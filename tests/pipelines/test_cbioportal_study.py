"""The second source end to end: a (hand-made, random) cBioPortal study folder goes through `rwe ingest-cbioportal`
into the landing area and `rwe run` runs the cBioPortal study spec on it through Dagster, unchanged downstream."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import duckdb
import yaml

from rwe_cohorts.core.warehouse import PROJECT_ROOT
from tests.unit.cbioportal_folders import write_random_study


def test_cbioportal_study_runs_end_to_end(tmp_path: Path, rwe: Callable[..., CompletedProcess[str]]) -> None:
    spec = yaml.safe_load((PROJECT_ROOT / "pipelines" / "studies" / "ntrk_cbioportal.yaml").read_text())
    spec["survival"]["robustness_match_orders"] = 10
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / ".dagster_home" / "dagster.yaml", tmp_path / "dagster_home")
    study = write_random_study(tmp_path / "msk_study", n_patients=600, seed=7, unknown_sex=1)

    landed = rwe(tmp_path, "ingest-cbioportal", str(study))
    assert landed.returncode == 0, landed.stderr
    assert "time axis:" in landed.stdout and "age: Age at sequencing: the age at sequencing for 600" in landed.stdout
    assert "  600 patients, 600 samples in the study" in landed.stdout  # the conversion's attrition, printed
    assert "  delivered: 600 patients, 600 samples" in landed.stdout
    cut = landed.stdout.split("wrote delivery ", 1)[1].split()[0]

    run = rwe(tmp_path, "run", "--data-cut", cut)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    con = duckdb.connect(str(tmp_path / "data" / "analytics.duckdb"), read_only=True)
    arms = con.execute("select arm, n_display from latest.survival_summary where analysis = 'primary'").fetchall()
    levels = con.execute("select distinct covariate, level from latest.covariate_balance").fetchall()
    con.close()
    assert len(arms) == 2
    assert {("sex", "unknown"), ("sample_type", "metastasis")} <= set(levels)  # one unknown-sex patient, in the PS
    report = (tmp_path / "data" / "reports" / cut / "study_report.html").read_text()
    assert "time axis" in report and "sequencing" in report  # the report says which time axis applied
    assert "id='conversion-step'" in report and "cBioPortal study random_2024" in report  # first box of the flow
    assert "Age at sequencing: the age at sequencing for 600" in report
