"""Simulation study of the estimator chain: independent deliveries with a planted effect, judged against the truth.

Replicate ``i`` generates the delivery of seed ``first_seed + i`` in memory and runs the study's chain on it
(:mod:`.chain`: cohort SQL on DuckDB, ridge PS model, 1:10 greedy matching within cancer type, Cox models with
delayed entry, Kaplan-Meier). The truth of each estimand is the complete-follow-up estimand of :mod:`.truth` (the
same model on every replicate's matched patients pooled, with their true death times). Reported per estimand:

* bias: mean estimate - truth (log HR for the Cox models; months for the KM medians);
* empirical SE: SD of the estimates over replicates (ddof 1); mean model SE: mean of each fit's SE (model-based
  for the unstratified and stratified models, the robust sandwich by matched set for the cluster-robust one; none
  for a median, whose CI is the Greenwood-based R ``quantile.survfit`` interval, not Wald);
* coverage: share of replicates whose 95% CI (Wald on the log scale for the Cox models) contains the truth, with
  its Monte-Carlo SE sqrt(c (1 - c) / R); a median CI with no upper limit (the curve does not reach 0.5 again)
  counts as open above.

Replicates in which a model cannot be estimated are counted and left out of that model's summary.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from rwe_cohorts.core.spec import load_spec
from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.simulation.chain import COX_MODELS, DeliveryParameters, run_chain
from rwe_cohorts.simulation.parallel import map_ordered
from rwe_cohorts.simulation.truth import pooled_truth, replicate_truth

DEFAULT_FIRST_SEED = 100_001


@dataclass(frozen=True)
class SimulationTask:
    spec_path: Path
    params: DeliveryParameters


@dataclass(frozen=True)
class ReplicateResult:
    """One replicate's estimates (``estimates[estimand] = (estimate, se, ci_lower, ci_upper)``, NaN where not
    estimable) and the complete-data rows of its matched patients (for the pooled truth)."""

    seed: int
    n_exposed: int
    n_comparator: int
    estimates: dict[str, tuple[float, float, float, float]]
    complete: pl.DataFrame
    potential: pl.DataFrame


def _num(x: object) -> float:
    return float(x) if isinstance(x, int | float) and x is not None else math.nan


def simulation_replicate(task: SimulationTask) -> ReplicateResult:
    """Run the chain on one delivery and collect every estimand's estimate, SE and 95% CI."""
    spec = load_spec(task.spec_path)
    out = run_chain(spec, task.params)
    estimates: dict[str, tuple[float, float, float, float]] = {}
    nan = (math.nan, math.nan, math.nan, math.nan)
    for name in COX_MODELS:
        r = out.cox.get(name)
        estimates[name] = (r["log_hr"], r["se"], r["ci_lower"], r["ci_upper"]) if r else nan
    for row in out.km.summary.to_dicts():
        upper = row["median_ci_upper"]
        estimates[f"median_{row['arm']}"] = (
            _num(row["median"]),
            math.nan,
            _num(row["median_ci_lower"]),
            math.inf if upper is None else float(upper),
        )
    truth = replicate_truth(out, spec, task.params.hazard_ratio)
    counts = out.frame["is_exposed"].value_counts()
    n_exp = int(counts.filter(pl.col("is_exposed"))["count"].sum())
    return ReplicateResult(
        task.params.seed, n_exp, out.frame.height - n_exp, estimates, truth.complete, truth.potential
    )


@dataclass(frozen=True)
class EstimandSummary:
    estimand: str
    truth: float
    n_estimated: int
    mean_estimate: float
    bias: float
    empirical_se: float
    mean_model_se: float
    coverage: float

    @property
    def coverage_mc_se(self) -> float:
        return math.sqrt(self.coverage * (1 - self.coverage) / max(self.n_estimated, 1))


@dataclass(frozen=True)
class SimulationStudy:
    replicates: int
    n_patients: int
    hazard_ratio: float
    first_seed: int
    death_capture: float
    summaries: tuple[EstimandSummary, ...]
    potential_outcome_log_hr: float
    mean_exposed: float
    mean_comparator: float

    def summary(self, estimand: str) -> EstimandSummary:
        return next(s for s in self.summaries if s.estimand == estimand)


def summarise(name: str, truth: float, values: np.ndarray) -> EstimandSummary:
    """Bias, empirical SE, mean model SE and coverage of rows (estimate, se, lower, upper) against ``truth``."""
    ok = values[np.isfinite(values[:, 0])]
    n = len(ok)
    est = ok[:, 0]
    covered = (ok[:, 2] <= truth) & (truth <= ok[:, 3])
    se = ok[:, 1]
    return EstimandSummary(
        estimand=name,
        truth=truth,
        n_estimated=n,
        mean_estimate=float(est.mean()) if n else math.nan,
        bias=float(est.mean() - truth) if n else math.nan,
        empirical_se=float(est.std(ddof=1)) if n > 1 else math.nan,
        mean_model_se=float(se.mean()) if n and np.isfinite(se).all() else math.nan,
        coverage=float(covered.mean()) if n else math.nan,
    )


def simulate(
    spec_path: Path,
    replicates: int,
    *,
    n_patients: int = 58_001,
    hazard_ratio: float = 1.6,
    first_seed: int = DEFAULT_FIRST_SEED,
    workers: int = 1,
    death_capture: float = cat.P_DEATH_CAPTURED,
) -> SimulationStudy:
    """Run ``replicates`` independent deliveries through the chain and summarise every estimand."""
    spec = load_spec(spec_path)
    base = DeliveryParameters(
        seed=first_seed, n_patients=n_patients, hazard_ratio=hazard_ratio, death_capture=death_capture
    )
    tasks = [SimulationTask(spec_path, replace(base, seed=first_seed + i)) for i in range(replicates)]
    results = list(map_ordered(simulation_replicate, tasks, workers))
    log_hr, medians, po = pooled_truth([r.complete for r in results], [r.potential for r in results], spec)
    truths = dict(log_hr) | {f"median_{arm}": m for arm, m in medians.items()}
    names = [*COX_MODELS, f"median_{spec.arms.exposed}", f"median_{spec.arms.comparator}"]
    nan = (math.nan,) * 4
    summaries = tuple(
        summarise(name, truths[name], np.array([r.estimates.get(name, nan) for r in results], dtype=float))
        for name in names
    )
    return SimulationStudy(
        replicates=replicates,
        n_patients=n_patients,
        hazard_ratio=hazard_ratio,
        first_seed=first_seed,
        death_capture=death_capture,
        summaries=summaries,
        potential_outcome_log_hr=po,
        mean_exposed=float(np.mean([r.n_exposed for r in results])),
        mean_comparator=float(np.mean([r.n_comparator for r in results])),
    )


LABELS = {
    "unstratified": "log HR, unstratified Cox (primary)",
    "stratified_matched_set": "log HR, Cox stratified on matched set",
    "cluster_robust_matched_set": "log HR, Cox with cluster-robust SE (matched set)",
}


def markdown(study: SimulationStudy) -> str:
    """The simulation table: estimand, truth, mean estimate, bias, empirical SE, mean model SE, coverage."""

    def f(x: float) -> str:
        return "" if not math.isfinite(x) else f"{x:.3f}"

    lines = [
        "| estimand | truth | mean estimate | bias | empirical SE | mean model SE | 95% CI coverage (MC SE) "
        "| replicates estimated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in study.summaries:
        label = LABELS.get(s.estimand, s.estimand.replace("median_", "KM median (months), "))
        lines.append(
            f"| {label} | {f(s.truth)} | {f(s.mean_estimate)} | {s.bias:+.3f} | {f(s.empirical_se)} | "
            f"{f(s.mean_model_se)} | {s.coverage:.1%} ({s.coverage_mc_se:.1%}) | {s.n_estimated} of "
            f"{study.replicates} |"
        )
    primary = study.summary("unstratified")
    lines.append("")
    lines.append(
        f"Planted conditional log HR {math.log(study.hazard_ratio):.3f} (HR {study.hazard_ratio:g}); "
        f"potential-outcome marginal log HR in the matched population {study.potential_outcome_log_hr:.3f}; "
        f"complete-follow-up truth of the primary model {primary.truth:.3f}. Mean per replicate: "
        f"{study.mean_exposed:.1f} NTRK+ and {study.mean_comparator:.1f} matched NTRK- in the primary analysis."
    )
    return "\n".join(lines)


def run_and_report(
    spec_path: Path,
    replicates: int,
    n_patients: int,
    hazard_ratio: float,
    first_seed: int,
    workers: int,
    out: Path | None = None,
    death_capture: float = cat.P_DEATH_CAPTURED,
) -> str:
    """``rwe simulate``: run the study, return the table with the run's size and wall time; JSON to ``out``."""
    start = time.perf_counter()
    study = simulate(
        spec_path,
        replicates,
        n_patients=n_patients,
        hazard_ratio=hazard_ratio,
        first_seed=first_seed,
        workers=workers,
        death_capture=death_capture,
    )
    seconds = time.perf_counter() - start
    table = markdown(study)
    footer = (
        f"{replicates} replicates of {n_patients:,} patients (seeds {first_seed}-{first_seed + replicates - 1}; "
        f"{death_capture:.0%} of deaths captured), "
        f"{workers} workers: {seconds:.0f} s"
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "replicates": replicates,
            "n_patients": n_patients,
            "hazard_ratio": hazard_ratio,
            "death_capture": death_capture,
            "first_seed": first_seed,
            "workers": workers,
            "seconds": round(seconds, 1),
            "summaries": [asdict(s) | {"coverage_mc_se": s.coverage_mc_se} for s in study.summaries],
            "potential_outcome_log_hr": study.potential_outcome_log_hr,
            "markdown": table,
        }
        out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return f"{table}\n\n{footer}"
