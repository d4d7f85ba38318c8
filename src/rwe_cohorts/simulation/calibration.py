"""Calibration of the synthetic generator to the published study, judged across seeds (never on one seed).

For each seed a delivery is generated in memory and the study's chain runs on it (:mod:`.chain`); the figures of
:mod:`.figures` are summarised as mean and SD over the seeds, beside the published value and interval and the
default seed's value. The primary log HR is also compared with the value the generator's truth implies for the
matched population (:mod:`.truth`, the complete-follow-up estimand): the mean over seeds should lie within two
simulation standard errors (SD / sqrt(seeds)) of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rwe_cohorts.core.spec import load_spec
from rwe_cohorts.simulation.chain import DeliveryParameters, run_chain
from rwe_cohorts.simulation.figures import figures_spec, replicate_figures
from rwe_cohorts.simulation.parallel import map_ordered
from rwe_cohorts.simulation.truth import replicate_truth

DEFAULT_SEED = 20220801


@dataclass(frozen=True)
class CalibrationTask:
    spec_path: Path
    params: DeliveryParameters


def calibration_replicate(task: CalibrationTask) -> dict[str, float]:
    """The figures of one seed, plus the truth-implied log HR of its matched population (``truth_log_hr``)."""
    spec = load_spec(task.spec_path)
    out = run_chain(spec, task.params)
    figures = replicate_figures(out, spec)
    truth = replicate_truth(out, spec)
    figures["truth_log_hr"] = truth.log_hr["unstratified"]
    return figures


@dataclass(frozen=True)
class CalibrationRow:
    name: str
    label: str
    published: float | None
    lower: float | None
    upper: float | None
    mean: float
    sd: float
    default: float

    @property
    def inside(self) -> bool | None:
        """Whether the mean over seeds lies inside the published interval (None without one)."""
        if self.lower is None and self.upper is None:
            return None
        lo = -math.inf if self.lower is None else self.lower
        hi = math.inf if self.upper is None else self.upper
        return lo <= self.mean <= hi


@dataclass(frozen=True)
class Calibration:
    rows: tuple[CalibrationRow, ...]
    seeds: tuple[int, ...]
    n_patients: int
    truth_log_hr_mean: float
    log_hr_mean: float
    log_hr_simulation_se: float

    @property
    def log_hr_z(self) -> float:
        """(mean log HR - truth) / simulation SE: within +-2 when the chain recovers the implied truth."""
        return (self.log_hr_mean - self.truth_log_hr_mean) / self.log_hr_simulation_se


def calibrate(
    spec_path: Path, seeds: list[int], *, n_patients: int = 58_001, default_seed: int = DEFAULT_SEED, workers: int = 1
) -> Calibration:
    """Run the chain on every seed and on the default seed; summarise every figure."""
    base = DeliveryParameters(seed=default_seed, n_patients=n_patients)
    tasks = [CalibrationTask(spec_path, replace(base, seed=s)) for s in [default_seed, *seeds]]
    results = list(map_ordered(calibration_replicate, tasks, workers))
    default, per_seed = results[0], results[1:]
    rows = []
    for f in figures_spec(load_spec(spec_path)):
        values = np.array([r[f.name] for r in per_seed], dtype=float)
        rows.append(
            CalibrationRow(
                f.name,
                f.label,
                f.published,
                f.lower,
                f.upper,
                float(np.nanmean(values)),
                float(np.nanstd(values, ddof=1)) if len(values) > 1 else math.nan,
                float(default[f.name]),
            )
        )
    log_hr = np.array([r["log_hr"] for r in per_seed], dtype=float)
    truth = np.array([r["truth_log_hr"] for r in per_seed], dtype=float)
    return Calibration(
        rows=tuple(rows),
        seeds=tuple(seeds),
        n_patients=n_patients,
        truth_log_hr_mean=float(np.nanmean(truth)),
        log_hr_mean=float(np.nanmean(log_hr)),
        log_hr_simulation_se=float(np.nanstd(log_hr, ddof=1) / math.sqrt(max(np.isfinite(log_hr).sum(), 1))),
    )


def markdown(cal: Calibration) -> str:
    """The calibration table: figure, published (interval), mean over seeds (SD), default seed, inside."""

    def fmt(x: float | None) -> str:
        if x is None or not math.isfinite(x):
            return ""
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}" if abs(x) < 1 else f"{x:.1f}"

    lines = [
        f"| figure | published | mean over {len(cal.seeds)} seeds (SD) | default seed | mean inside |",
        "|---|---|---|---|---|",
    ]
    for r in cal.rows:
        interval = f" ({fmt(r.lower)}-{fmt(r.upper)})" if r.lower is not None or r.upper is not None else ""
        published = f"{fmt(r.published)}{interval}" if r.published is not None else f"<= {fmt(r.upper)}"
        inside = {True: "yes", False: "NO", None: ""}[r.inside]
        lines.append(f"| {r.label} | {published} | {fmt(r.mean)} ({fmt(r.sd)}) | {fmt(r.default)} | {inside} |")
    lines.append(
        f"| primary log HR - truth-implied log HR (matched population) | 0 (within 2 simulation SE) | "
        f"{cal.log_hr_mean - cal.truth_log_hr_mean:+.3f} (z = {cal.log_hr_z:+.2f}; truth {cal.truth_log_hr_mean:.3f}, "
        f"simulation SE {cal.log_hr_simulation_se:.3f}) | | {'yes' if abs(cal.log_hr_z) <= 2 else 'NO'} |"
    )
    return "\n".join(lines)
