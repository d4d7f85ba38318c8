"""The operator's commands around a run, through the real ``rwe`` command on a real (small) study: a mistyped data
cut or a broken spec costs nothing (no run, partition, warehouse file or ledger row; one paragraph, no traceback);
``rwe spec check``; ``rwe sql`` on the analysts' database; ``rwe cut remove`` shows what it would remove, then
retires the cut from every place the pipeline keeps it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.partitions import DATA_CUTS

RweCommand = Callable[..., object]
CUT = "2021-03-31"


@pytest.fixture(scope="module")
def small_study(tmp_path_factory: pytest.TempPathFactory, study_runner: Callable[..., Path]) -> Path:
    """One data cut of 3,000 generated patients run end to end (its own data folder, instance and spec)."""
    return study_runner(tmp_path_factory.mktemp("commands"), "ntrk_hibar2022.yaml", patients=3_000, seed=5)


def _instance_state(root: Path) -> tuple[list[str], int]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        with dg.DagsterInstance.get() as instance:
            return sorted(instance.get_dynamic_partitions(DATA_CUTS)), len(instance.get_run_ids())


def _ledger_rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(con.execute("select count(*) from marts.study_runs").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_a_mistake_in_the_command_costs_nothing(small_study: Path, rwe: Callable[..., object]) -> None:
    warehouses = sorted((small_study / "data" / "warehouse").glob("*.duckdb"))
    before = (_instance_state(small_study), _ledger_rows(warehouses[0]))
    start = time.perf_counter()
    typo = rwe(small_study, "run", "--data-cut", "1999-01-01")
    elapsed = time.perf_counter() - start
    assert typo.returncode == 2, typo.stderr  # type: ignore[attr-defined]
    assert "nothing was run" in typo.stderr and "1999-01-01" in typo.stderr  # type: ignore[attr-defined]
    assert f"data cuts delivered there: {CUT}" in typo.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in typo.stderr and elapsed < 20  # type: ignore[attr-defined]

    spec = small_study / "spec.yaml"
    good = spec.read_text()
    broken = yaml.safe_load(good)
    broken["matching"]["ratio"] = "ten"
    spec.write_text(yaml.safe_dump(broken))
    try:
        bad_spec = rwe(small_study, "run")
        check = rwe(small_study, "spec", "check", str(spec))
        status = rwe(small_study, "status")
    finally:
        spec.write_text(good)
    assert bad_spec.returncode == 2 and "matching.ratio" in bad_spec.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in bad_spec.stderr  # type: ignore[attr-defined]
    assert check.returncode == 1 and "matching.ratio" in check.stderr  # type: ignore[attr-defined]
    assert "configured study spec is invalid" in status.stderr  # type: ignore[attr-defined]
    assert rwe(small_study, "spec", "check", str(spec)).returncode == 0  # type: ignore[attr-defined]

    assert sorted((small_study / "data" / "warehouse").glob("*.duckdb")) == warehouses
    assert (_instance_state(small_study), _ledger_rows(warehouses[0])) == before, "no run, partition or ledger row"


def test_rwe_sql_queries_the_analysts_database(small_study: Path, rwe: Callable[..., object]) -> None:
    out = rwe(small_study, "sql", "-c", "select count(distinct analysis) as analyses from latest.hazard_ratios")
    assert out.returncode == 0 and "analyses" in out.stdout  # type: ignore[attr-defined]
    ready = Path(__file__).resolve().parents[2] / "docs" / "queries" / "attrition.sql"
    assert rwe(small_study, "sql", str(ready)).returncode == 0  # type: ignore[attr-defined]


def test_cut_remove_shows_then_retires_the_cut_everywhere(small_study: Path, rwe: Callable[..., object]) -> None:
    data = small_study / "data"
    published = data / "analytics.duckdb"
    before = published.read_bytes()
    dry = rwe(small_study, "cut", "remove", CUT)
    assert dry.returncode == 0 and "would remove" in dry.stdout and "--yes" in dry.stdout  # type: ignore[attr-defined]
    assert published.read_bytes() == before and (data / "warehouse" / f"{CUT}.duckdb").exists()

    done = rwe(small_study, "cut", "remove", CUT, "--yes")
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    assert not (data / "warehouse" / f"{CUT}.duckdb").exists()
    assert not (data / "reports" / CUT).exists()
    assert not list((data / "gx" / "uncommitted" / "validations").rglob(f"{CUT}__*"))
    assert not list((data / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations").rglob(f"{CUT}__*"))
    assert [p.name for p in (data / "landing" / ".retired").iterdir()] == [f"cut_{CUT}"]
    assert CUT not in _instance_state(small_study)[0]
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select count(*) from marts.hazard_ratios where data_cut_id = ?", [CUT]).fetchone() == (0,)
        assert con.execute("select count(*) from latest.hazard_ratios").fetchone() == (0,)
        statuses = con.execute("select status from marts.study_runs where data_cut_id = ? order by 1", [CUT]).fetchall()
    finally:
        con.close()
    assert ("removed",) in statuses and ("succeeded",) in statuses, "the history stays, with the removal recorded"
    status = rwe(small_study, "status")
    assert CUT not in status.stdout  # type: ignore[attr-defined]
