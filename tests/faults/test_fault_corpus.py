"""Every fault of the bad-delivery corpus (``corpus.py``) stops the study run at the right place, with an error that
names the file or table, the column, the count and example keys, and leaves the analysts' database untouched.

One module-scoped set-up: a temporary root with a landing area holding one small clean delivery (2,000 patients,
seed 11) and one folder per fault, a copy of the analysts' database published by the NTRK end-to-end run
(``ntrk_run``), and ``build_defs(study)`` with a study resource rooted there. Each fault's run is ``study_job`` executed
in-process for the fault's data cut (registered as a dynamic partition first) in one ephemeral Dagster instance, once;
two tests read it:

* ``test_run_stops_where_it_must``: the run failed; it stopped at the fault's stage (the failed step, or the run's
  resource set-up for a bad spec) and only the expected blocking checks failed with ERROR severity; nothing downstream
  of the stop point materialized; the published database is byte-for-byte unchanged; no report folder exists for the
  cut; the run ledger records the run as failed;
* ``test_error_names_the_fault``: the error (step failure, failed checks' ``summary`` metadata, or run failure)
  contains every expected fragment;
* ``test_failed_run_releases_the_run_lock``: no run lock ticket is left when the run returns.

A fault with a known product gap is marked ``xfail(strict=True)`` on the test that shows it, with the gap as reason.

Timing (2 cores, other work on the machine; ``pytest --durations=10``): building the corpus takes about 3 s; an
ingest or spec fault's run 1-2 s; a raw-quality fault 7-10 s (Great Expectations: validation, re-saving every suite,
Data Docs); the staging fault about 15-19 s; ``future_ecog``, which is not caught and runs on to the survival step,
about 21-26 s. The 28 default faults take about 2 min 10 s, plus ``ntrk_run`` (about 70 s, shared with
``tests/pipelines`` only if it moves to ``tests/conftest.py``, see ``conftest.py``). The 6 slow faults
(``-m slow``) add about 55 s.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import dagster as dg
import duckdb
import pytest
import yaml
from corpus import FAULTS, Built, Fault, Fragment, Name, build, make_clean

from pipelines.definitions import build_defs
from pipelines.resources import DEFAULT_SPEC, StudyResource, study_resource_from_env
from rwe_cohorts.core import ledger

LOCK_TIMEOUT_S = 120.0
"""A run lock left held by a failed run makes the next run wait; fail after this long instead of a day."""

ALLOWED: dict[str, tuple[str, ...]] = {
    # stage -> the asset key prefixes that may (and, past ingest, must) materialize before the run stops
    "run_start": (),
    "raw_tables": (),
    "raw_quality": ("raw",),
    "staging_quality": ("raw", "staging"),
}
FAILED_STEP = {"raw_tables": "raw_tables", "raw_quality": "raw_quality", "staging_quality": "staging_quality"}


@dataclass
class Corpus:
    root: Path
    published: Path
    study: StudyResource
    defs: dg.Definitions
    instance: dg.DagsterInstance
    built: dict[str, Built]
    raw_assets: set[str]
    staging_assets: set[str]
    outcomes: dict[str, Outcome] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What one fault's run did, collected once and read by every test of the fault."""

    built: Built
    study: StudyResource
    result: dg.ExecuteInProcessResult
    published_unchanged: bool
    seconds: float
    lock_tickets_left: list[str]


@pytest.fixture(scope="module")
def corpus(ntrk_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    started = time.monotonic()
    root = tmp_path_factory.mktemp("faults")
    landing = root / "data" / "landing"
    landing.mkdir(parents=True)
    (root / "specs").mkdir()
    published = root / "analytics.duckdb"
    shutil.copy2(ntrk_run / "data" / "analytics.duckdb", published)
    spec = yaml.safe_load(DEFAULT_SPEC.read_text())
    spec["survival"]["robustness_match_orders"] = 10  # only matters if a fault slips through to the survival stage
    spec_path = root / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    clean = make_clean(landing)
    built = {f.name: build(f, landing, clean, spec, root / "specs") for f in FAULTS}
    study = _resource(root, published, spec_path)
    defs = build_defs(study)
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    with dg.DagsterInstance.ephemeral() as instance:
        print(f"\nfault corpus: {len(FAULTS)} faults built in {time.monotonic() - started:.1f} s under {root}")
        yield Corpus(
            root=root,
            published=published,
            study=study,
            defs=defs,
            instance=instance,
            built=built,
            raw_assets={k for k in keys if k.startswith("raw/")},
            staging_assets={k for k in keys if k.startswith("staging/")},
        )


def _resource(root: Path, published: Path, spec_path: Path) -> StudyResource:
    env = {"RWE_DATA_DIR": str(root / "data"), "RWE_PUBLISHED": str(published), "RWE_STUDY_SPEC": str(spec_path)}
    return StudyResource(**{**study_resource_from_env(env).model_dump(), "lock_timeout_s": LOCK_TIMEOUT_S})


def run_fault(corpus: Corpus, fault: Fault) -> Outcome:
    """Run ``study_job`` for the fault's data cut (once per module)."""
    if fault.name in corpus.outcomes:
        return corpus.outcomes[fault.name]
    built = corpus.built[fault.name]
    study, defs = corpus.study, corpus.defs
    if built.spec_path is not None:
        study = _resource(corpus.root, corpus.published, built.spec_path)
        defs = build_defs(study)
    if not corpus.instance.has_dynamic_partition("data_cut", fault.cut):
        corpus.instance.add_dynamic_partitions("data_cut", [fault.cut])
    before = corpus.published.read_bytes()
    started = time.monotonic()
    result = defs.resolve_job_def("study_job").execute_in_process(
        instance=corpus.instance, partition_key=fault.cut, raise_on_error=False
    )
    seconds = time.monotonic() - started
    queue = Path(study.warehouse_dir) / ".lock" / "queue"
    tickets = sorted(p.name for p in queue.iterdir()) if queue.is_dir() else []
    outcome = Outcome(built, study, result, corpus.published.read_bytes() == before, seconds, tickets)
    corpus.outcomes[fault.name] = outcome
    return outcome


# --------------------------------------------------------------------------------------------------------------------
# Reading a run's events
# --------------------------------------------------------------------------------------------------------------------


def _events(result: dg.ExecuteInProcessResult, kind: str) -> list[Any]:
    return [ev for ev in result.all_events if ev.event_type_value == kind]


def _error_chain(error: Any) -> str:
    """An error's message and those of its causes and contexts."""
    parts = []
    while error is not None:
        parts.append(f"{error.cls_name}: {error.message}")
        error = error.cause or error.context
    return "\n".join(parts)


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        ev.event_specific_data.materialization.asset_key.to_user_string()
        for ev in _events(result, "ASSET_MATERIALIZATION")
    }


def failed_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {ev.step_key for ev in _events(result, "STEP_FAILURE")}


def failed_error_checks(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """``asset:check`` -> summary of every check evaluation that failed with ERROR severity."""
    out = {}
    for ev in _events(result, "ASSET_CHECK_EVALUATION"):
        evaluation = ev.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            summary = evaluation.metadata.get("summary")
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            out[name] = str(summary.value) if summary is not None else ""
    return out


def error_text(outcome: Outcome) -> str:
    """The error a user sees for this fault: the failed checks' summaries, the step failures, the run failure."""
    result = outcome.result
    parts = list(failed_error_checks(result).values())
    for kind in ("STEP_FAILURE", "RESOURCE_INIT_FAILURE", "PIPELINE_FAILURE"):
        for ev in _events(result, kind):
            error = getattr(ev.event_specific_data, "error", None)
            if error is not None:
                parts.append(_error_chain(error))
    return "\n".join(parts)


def contains(text: str, fragment: str) -> bool:
    if isinstance(fragment, Name):  # on its own, or the tail of a rule name such as not_null__<column>
        return re.search(rf"(?:(?<![A-Za-z0-9_])|(?<=__)){re.escape(fragment)}(?![A-Za-z0-9_])", text) is not None
    return fragment in text


def missing_fragments(text: str, fragments: tuple[Fragment, ...]) -> list[Fragment]:
    return [
        f for f in fragments if not (any(contains(text, a) for a in f) if isinstance(f, tuple) else contains(text, f))
    ]


# --------------------------------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------------------------------


def _param(fault: Fault, gap: str | None) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=f"product gap: {gap}")] if gap else []
    if fault.slow:
        marks.append(pytest.mark.slow)
    return pytest.param(fault, id=fault.name, marks=marks)


@pytest.mark.parametrize("fault", [_param(f, f.stop_gap) for f in FAULTS])
def test_run_stops_where_it_must(corpus: Corpus, fault: Fault) -> None:
    outcome = run_fault(corpus, fault)
    result = outcome.result
    print(f"{fault.name}: {outcome.seconds:.1f} s")
    assert not result.success, f"{fault.name}: the run succeeded"

    # The stop point: the failed step (or the run's set-up), and exactly the expected blocking checks.
    if fault.stage == "run_start":
        assert _events(result, "RESOURCE_INIT_FAILURE"), "the study resource's set-up must refuse the run"
        assert not _events(result, "STEP_START"), "no step may start"
    else:
        assert failed_steps(result) == {FAILED_STEP[fault.stage]}, error_text(outcome)
    assert set(failed_error_checks(result)) == set(fault.failing), error_text(outcome)

    # Nothing downstream of the stop point materialized; everything upstream of it did.
    done = materialized(result)
    allowed = {a for a in done if a.split("/")[0] in ALLOWED[fault.stage]}
    assert done == allowed, f"materialized past {fault.stage}: {sorted(done - allowed)}"
    expected_upstream = (corpus.raw_assets if "raw" in ALLOWED[fault.stage] else set()) | (
        corpus.staging_assets if "staging" in ALLOWED[fault.stage] else set()
    )
    assert done == expected_upstream

    # The analysts' database and the reports.
    assert outcome.published_unchanged, "the published analysts' database changed"
    assert not (Path(outcome.study.reports_dir) / fault.cut).exists(), "a report folder exists for the failed cut"

    # The run ledger of the cut's warehouse records the failure (a run refused at set-up never opens it).
    warehouse = outcome.study.for_cut(fault.cut).warehouse_path
    if fault.stage == "run_start":
        return
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert ledger.run_status(con, result.run_id) == "failed"
        if fault.stage == "raw_tables":
            landed = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone()
            assert landed == (0,), "a rejected delivery must not land any raw table"
    finally:
        con.close()


@pytest.mark.parametrize("fault", [_param(f, f.message_gap) for f in FAULTS])
def test_error_names_the_fault(corpus: Corpus, fault: Fault) -> None:
    outcome = run_fault(corpus, fault)
    text = error_text(outcome)
    assert text, f"{fault.name}: no error at all"
    missing = missing_fragments(text, outcome.built.fragments)
    assert not missing, f"{fault.name}: the error lacks {missing}:\n{text}"


@pytest.mark.parametrize("fault", [_param(f, f.lock_gap) for f in FAULTS])
def test_failed_run_releases_the_run_lock(corpus: Corpus, fault: Fault) -> None:
    """When the failed run returns, no run lock ticket is left: the next run must not queue behind it."""
    outcome = run_fault(corpus, fault)
    assert outcome.lock_tickets_left == [], f"run lock tickets left behind: {outcome.lock_tickets_left}"


def test_corpus_covers_the_issue() -> None:
    """At least 25 faults in the default run, every stage, most tables, each with its own data cut id but one."""
    default = [f for f in FAULTS if not f.slow]
    assert len(default) >= 25
    assert {f.stage for f in default} == set(ALLOWED)
    cuts = [f.cut for f in FAULTS]
    assert len(set(cuts)) == len(cuts)
    assert any(f.defect for f in default) and any(f.edit for f in default) and any(f.spec_edit for f in default)
    tables = {f.table for f in default}
    assert len(tables - {"study spec", "manifest", "clinical_notes"}) >= 10, tables
