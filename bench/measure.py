"""Measuring one process of the end-to-end benchmark (``rwe bench``): wall time, CPU time, resident memory over time,
and the Dagster step windows of a study run mapped to pipeline stages.

The measured process is never instrumented: the benchmark runs the real command (``python -m pipelines.cli run``)
and watches it from outside. A thread in the benchmark process reads the child's ``/proc/<pid>/status`` (``VmRSS``,
and ``VmHWM``, the kernel's high-water mark) every ``interval_s``; ``os.wait4`` gives the child's exact peak
(``ru_maxrss``) and CPU time when it exits. A stage's peak is the largest sampled RSS inside its step windows, raised
to the high-water mark when that mark rose across the window, so a spike shorter than the interval is not missed.
Linux only for memory (no ``/proc`` elsewhere: peaks then come only from ``ru_maxrss``).
"""

from __future__ import annotations

import bisect
import os
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

STAGES = ("generate", "ingest", "quality", "cohort", "matching", "survival", "report", "publish")
"""The pipeline stages, in order. ``startup`` (whole run minus the sum of its steps) and ``whole run`` follow."""

Sample = tuple[float, float, float]
"""(epoch seconds, VmRSS MB, VmHWM MB) of the measured process."""


@dataclass
class Measured:
    """One measured process: exit code, wall and CPU seconds, exact peak RSS, and the RSS samples."""

    returncode: int
    started: float  # epoch seconds, just before the process was spawned
    ended: float  # epoch seconds, when it had exited
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # ru_maxrss of the child (and any children it waited for)
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    samples: list[Sample] = field(default_factory=list)


@dataclass(frozen=True)
class StepWindow:
    """One Dagster step of a run: its key, status and [start, end] (epoch seconds, from the run's event log)."""

    step_key: str
    status: str  # success | failure | unfinished
    start: float
    end: float


def _read_status(path: str) -> tuple[float, float] | None:
    rss = hwm = None
    with open(path) as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    return (rss, hwm) if rss is not None and hwm is not None else None


def _sampler(pid: int, interval_s: float, stop: threading.Event, out: list[Sample]) -> None:
    path = f"/proc/{pid}/status"
    while not stop.is_set():
        try:
            values = _read_status(path)
        except (OSError, ValueError):
            return
        if values is not None:  # None: a zombie (exited, not yet reaped)
            out.append((time.time(), *values))
        stop.wait(interval_s)


def measure(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path, interval_s: float = 0.05) -> Measured:
    """Run ``argv`` to completion (output to ``log``), sampling its memory every ``interval_s`` seconds."""
    load_before = os.getloadavg()
    with open(log, "wb") as out:
        started, t0 = time.time(), time.perf_counter()
        proc = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        samples: list[Sample] = []
        stop = threading.Event()
        thread = threading.Thread(target=_sampler, args=(proc.pid, interval_s, stop, samples), daemon=True)
        thread.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            stop.set()
        wall, ended = time.perf_counter() - t0, time.time()
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen so it does not wait again
    return Measured(
        returncode=proc.returncode,
        started=started,
        ended=ended,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # kB on Linux
        load_before=load_before,
        load_after=os.getloadavg(),
        samples=[s for s in samples if s[0] <= ended],
    )


def window_peak(samples: Sequence[Sample], start: float, end: float, exit_hwm: float) -> float | None:
    """Peak RSS (MB) in [start, end]: the largest sample inside (else the two samples around it), raised to the
    high-water mark when the mark rose between the last sample before ``start`` and the first after ``end``."""
    if not samples:
        return None
    times = [s[0] for s in samples]
    before = bisect.bisect_right(times, start) - 1  # last sample at or before start (-1: none)
    after = bisect.bisect_left(times, end)  # first sample at or after end (len: none, use the exit mark)
    inside = samples[before + 1 : after]
    around = inside or samples[max(before, 0) : after + 1]
    peak = max((s[1] for s in around), default=0.0)
    hwm_before = samples[before][2] if before >= 0 else 0.0
    hwm_after = samples[after][2] if after < len(samples) else exit_hwm
    return max(peak, hwm_after) if hwm_after > hwm_before else peak


def windows_peak(samples: Sequence[Sample], windows: Sequence[tuple[float, float]], exit_hwm: float) -> float | None:
    peaks = [p for s, e in windows if (p := window_peak(samples, s, e, exit_hwm)) is not None]
    return max(peaks) if peaks else None


def gaps(start: float, end: float, windows: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of [start, end] covered by no window (startup, Dagster's bookkeeping between steps, teardown)."""
    out, cursor = [], start
    for s, e in sorted(windows):
        if s > cursor:
            out.append((cursor, s))
        cursor = max(cursor, e)
    if end > cursor:
        out.append((cursor, end))
    return out


@contextmanager
def _dagster_home(home: Path) -> Iterator[None]:
    """``DAGSTER_HOME`` set to ``home`` for the duration (the instance's dagster.yaml reads it for its storage)."""
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        yield
    finally:
        if old is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = old


def read_steps(home: Path) -> tuple[str, list[StepWindow]]:
    """The latest run in the Dagster instance at ``home``: its run id and step windows, in start order."""
    import dagster as dg

    kinds = {
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
    }
    with _dagster_home(home), dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return "", []
        run_id = runs[0].run_id
        logs = instance.all_logs(run_id, of_type=kinds)
    starts: dict[str, float] = {}
    ends: dict[str, tuple[float, str]] = {}
    for entry in logs:
        step, kind = entry.step_key or "?", entry.dagster_event_type
        if kind == dg.DagsterEventType.STEP_START:
            starts.setdefault(step, entry.timestamp)
        else:
            ends[step] = (entry.timestamp, "success" if kind == dg.DagsterEventType.STEP_SUCCESS else "failure")
    windows = []
    for step, start in starts.items():
        end, status = ends.get(step, (start, "unfinished"))
        windows.append(StepWindow(step, status, start, end))
    return run_id, sorted(windows, key=lambda w: w.start)


def step_stages() -> dict[str, str]:
    """Step key -> stage, from the code location's asset groups (imports the definitions, Great Expectations too).

    An asset step takes its assets' group (the groups are named like the stages); a check-only step takes the group
    of the assets it checks, except that checks of the ``ingest`` group (the raw and staging suites) are the
    ``quality`` stage. A step not found here is ``other``.
    """
    import dagster as dg

    from pipelines.definitions import build_defs
    from pipelines.resources import study_resource_from_env

    defs = build_defs(study_resource_from_env({}))
    groups = {spec.key: spec.group_name for spec in defs.resolve_all_asset_specs()}

    def stage(asset: dg.AssetKey) -> str:
        return groups.get(asset) or "other"

    out: dict[str, str] = {}
    for node in [*(defs.assets or []), *(defs.asset_checks or [])]:
        if not isinstance(node, dg.AssetsDefinition):
            continue
        if node.keys:
            stages = {stage(k) for k in node.keys}
        else:
            stages = {"quality" if (s := stage(c.asset_key)) == "ingest" else s for c in node.check_keys}
        out[node.node_def.name] = "+".join(sorted(stages))
    return out


def stage_summary(measured: Measured, steps: Sequence[StepWindow], stage_of: Mapping[str, str]) -> dict[str, object]:
    """Per stage of one run: summed step seconds and peak RSS; ``startup`` = whole minus the sum of the steps."""
    by_stage: dict[str, list[StepWindow]] = {}
    for w in steps:
        by_stage.setdefault(stage_of.get(w.step_key, "other"), []).append(w)
    stages: dict[str, dict[str, float | None]] = {}
    for name, ws in by_stage.items():
        spans = [(w.start, w.end) for w in ws]
        stages[name] = {
            "seconds": sum(e - s for s, e in spans),
            "peak_rss_mb": windows_peak(measured.samples, spans, measured.peak_rss_mb),
        }
    all_spans = [(w.start, w.end) for w in steps]
    outside = gaps(measured.started, measured.ended, all_spans)
    stages["startup"] = {
        "seconds": measured.wall_s - sum(e - s for s, e in all_spans),
        "peak_rss_mb": windows_peak(measured.samples, outside, measured.peak_rss_mb),
    }
    return {
        "stages": stages,
        "before_first_step_s": (min(s for s, _ in all_spans) - measured.started) if steps else None,
        "steps": [
            {
                "step": w.step_key,
                "stage": stage_of.get(w.step_key, "other"),
                "status": w.status,
                "seconds": w.end - w.start,
            }
            for w in steps
        ],
    }
