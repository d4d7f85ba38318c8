"""Patient-level latent truth: who the patients are, when they are diagnosed and sequenced, when they die.

Planted model (all parameters in :mod:`rwe_cohorts.ingest.synthetic.catalog`):

* cancer type from the CGDB-like shares; true NTRK fusion with a per-type probability;
* a share of patients never reach an advanced diagnosis; the others have an advanced diagnosis drawn from the
  calendar weights (2009 to the data cut, most within 2011-2019), de novo (stage IV at diagnosis) or recurrent;
* the first NGS report precedes the advanced diagnosis for a share of recurrent patients, else follows it after a
  right-skewed (log-normal) delay; no report before the first panel went live;
* death after the advanced diagnosis follows a Weibull proportional-hazards model with log-hazard
  ``type + 0.015 (age - 65) + ecog + 0.15 smoker + 0.10 de_novo + log(HR) ntrk + informative_entry * delay_months``;
* **selection**: the database only holds patients alive at their first report and sequenced before the data cut,
  so candidates are drawn and rejected (left truncation, the reason delayed entry is needed);
* follow-up ends at death, at leaving the network (a share of patients) or at the data cut; the last recorded
  activity is on or shortly before that end.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.ingest.synthetic.encode import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    BoolArray,
    FloatArray,
    IntArray,
    day_number,
)

FIRST_PANEL_DAY = day_number("2011-03-01")
"""No NGS report in the database before this day (first FoundationOne panel)."""

END_DEATH, END_LEFT, END_CUT = 0, 1, 2
MAX_RECURRENCE_GAP_DAYS = 15 * 365
LATE_REPORT_SPREAD_DAYS = 2 * 365
"""A patient diagnosed before the first panel is sequenced at a uniform time over the following two years."""


@dataclass(frozen=True)
class Settings:
    """Run-level generating settings shared by every block."""

    seed: int
    data_cut_day: int
    hazard_ratio: float
    informative_entry: float
    death_capture: float = cat.P_DEATH_CAPTURED
    """Probability that a death reaches the mortality table (simulation studies may set 1.0)."""


@dataclass(frozen=True)
class Patients:
    """Latent per-patient truth of one block (day numbers are days since 1970-01-01)."""

    index: IntArray
    cancer_type: IntArray
    is_ntrk: BoolArray
    age_at_diagnosis: FloatArray
    birth_day: IntArray
    is_female: BoolArray
    is_advanced: BoolArray
    is_de_novo: BoolArray
    diagnosis_day: IntArray
    advanced_day: IntArray
    is_smoker: BoolArray
    ecog: IntArray
    first_report_day: IntArray
    delay_months: FloatArray
    linear_predictor: FloatArray
    death_day: IntArray
    is_leaving: BoolArray
    end_reason: IntArray
    last_activity_day: IntArray

    @property
    def n(self) -> int:
        return len(self.index)

    def take(self, rows: IntArray) -> Patients:
        """The patients at ``rows`` (positions in this block)."""
        return Patients(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @property
    def age_at_advanced(self) -> FloatArray:
        return (self.advanced_day - self.birth_day) / DAYS_PER_YEAR

    def is_dead_by(self, cut_day: int) -> BoolArray:
        """True death on or before ``cut_day`` (whether or not the patient left the network first)."""
        return self.death_day <= cut_day


def _advanced_days(rng: np.random.Generator, n: int, cut_day: int) -> IntArray:
    cut_year = date.fromordinal(date(1970, 1, 1).toordinal() + cut_day).year
    years = np.array(sorted(cat.ADVANCED_YEAR_WEIGHTS), dtype=np.int64)
    last = years[-1]
    years = np.arange(years[0], max(cut_year, last) + 1, dtype=np.int64)
    starts = np.array([day_number(date(int(y), 1, 1)) for y in years], dtype=np.int64)
    ends = np.minimum(np.array([day_number(date(int(y) + 1, 1, 1)) for y in years], dtype=np.int64), cut_day + 1)
    weights = np.array([cat.ADVANCED_YEAR_WEIGHTS.get(int(y), cat.ADVANCED_YEAR_WEIGHTS[int(last)]) for y in years])
    weights = weights * np.clip((ends - starts) / 365.0, 0.0, None)
    cdf = np.cumsum(weights / weights.sum())
    k = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(years) - 1)
    span = np.maximum(ends[k] - starts[k], 1)
    return starts[k] + np.floor(rng.random(n) * span).astype(np.int64)


def _candidates(rng: np.random.Generator, n: int, settings: Settings) -> Patients:
    cut = settings.data_cut_day
    shares = cat.type_shares()
    cdf = np.cumsum(shares)
    cdf[-1] = 1.0
    ctype = np.searchsorted(cdf, rng.random(n), side="right").astype(np.int64)
    is_ntrk = rng.random(n) < cat.ntrk_probabilities()[ctype]
    is_advanced = rng.random(n) >= cat.P_NEVER_ADVANCED

    young = rng.random(n) < cat.type_array("p_young")[ctype]
    age = np.where(
        young,
        rng.uniform(2.0, 18.0, n),
        np.clip(rng.normal(cat.type_array("age_mean")[ctype] + cat.NTRK_AGE_SHIFT * is_ntrk, cat.AGE_SD), 19.0, 92.0),
    )
    is_female = rng.random(n) < cat.type_array("p_female")[ctype]
    is_smoker = rng.random(n) < cat.type_array("p_smoker")[ctype]
    ecog_cdf = np.cumsum(np.where(is_ntrk[:, None], cat.ECOG_SHARES_NTRK, cat.ECOG_SHARES), axis=1)
    ecog = np.minimum((rng.random(n)[:, None] * ecog_cdf[:, -1:] > ecog_cdf).sum(axis=1), 4).astype(np.int64)

    adv = _advanced_days(rng, n, cut)
    de_novo = is_advanced & (rng.random(n) < cat.type_array("p_de_novo")[ctype])
    gap = np.clip(np.round(rng.lognormal(np.log(700.0), 0.8, n)), 30, MAX_RECURRENCE_GAP_DAYS).astype(np.int64)
    dx_advanced = np.where(de_novo, adv, adv - gap)
    dx_never = np.minimum(_advanced_days(rng, n, cut), cut - 60)
    dx = np.where(is_advanced, dx_advanced, dx_never)

    pre = is_advanced & ~de_novo & (rng.random(n) < cat.report_before_advanced_probabilities(is_ntrk))
    delay = np.round(rng.lognormal(np.log(cat.delay_median_days(is_ntrk)), cat.DELAY_LOG_SD, n)).astype(np.int64)
    pre_span = np.clip(adv - dx - 14, 1, cat.PRE_REPORT_WINDOW_DAYS)
    pre_day = adv - 1 - np.floor(rng.random(n) * pre_span).astype(np.int64)
    report = np.where(pre, pre_day, np.where(is_advanced, adv, dx) + 7 + delay)
    late = report < FIRST_PANEL_DAY
    spread = np.floor(rng.random(n) * LATE_REPORT_SPREAD_DAYS).astype(np.int64)
    report = np.where(late, FIRST_PANEL_DAY + spread, report)
    delay_months = np.where(is_advanced, np.maximum(report - adv, 0) / DAYS_PER_MONTH, 0.0)

    birth = dx - np.round(age * DAYS_PER_YEAR).astype(np.int64)
    age_adv = (adv - birth) / DAYS_PER_YEAR
    lp = (
        cat.type_array("log_hazard")[ctype]
        + cat.LOG_HAZARD_AGE_PER_YEAR * (age_adv - cat.AGE_REFERENCE)
        + np.asarray(cat.LOG_HAZARD_ECOG)[ecog]
        + cat.LOG_HAZARD_SMOKER * is_smoker
        + cat.LOG_HAZARD_DE_NOVO * de_novo
        + np.log(settings.hazard_ratio) * is_ntrk
        + settings.informative_entry * delay_months
    )
    e = rng.exponential(1.0, n)
    t_months = cat.WEIBULL_SCALE_MONTHS * (e / np.exp(lp)) ** (1.0 / cat.WEIBULL_SHAPE)
    t_never_days = rng.exponential(cat.NON_ADVANCED_MEDIAN_YEARS * DAYS_PER_YEAR / np.log(2.0), n)
    death = np.where(
        is_advanced,
        adv + 1 + np.floor(t_months * DAYS_PER_MONTH).astype(np.int64),
        dx + 1 + np.minimum(t_never_days, 1e6).astype(np.int64),
    )

    leaving = rng.random(n) < cat.P_LEAVES_NETWORK
    horizon = np.minimum(death, cut)
    entered = np.maximum(report, np.where(is_advanced, adv, dx))
    leave_day = entered + np.floor(rng.random(n) * np.maximum(horizon - entered, 0)).astype(np.int64)
    leave_day = np.where(leaving, leave_day, np.iinfo(np.int64).max // 4)
    end_reason = np.where(
        (death <= cut) & (death <= leave_day), END_DEATH, np.where(leave_day < cut, END_LEFT, END_CUT)
    )
    before_death = death - np.floor(rng.random(n) * 21).astype(np.int64) - 1
    before_cut = cut - np.floor(rng.random(n) * 28).astype(np.int64)
    last = np.select([end_reason == END_DEATH, end_reason == END_LEFT], [before_death, leave_day], before_cut)
    last = np.maximum(last, entered)
    return Patients(
        index=np.zeros(n, dtype=np.int64),
        cancer_type=ctype,
        is_ntrk=is_ntrk,
        age_at_diagnosis=age,
        birth_day=birth,
        is_female=is_female,
        is_advanced=is_advanced,
        is_de_novo=de_novo,
        diagnosis_day=dx,
        advanced_day=adv,
        is_smoker=is_smoker,
        ecog=ecog,
        first_report_day=report,
        delay_months=delay_months,
        linear_predictor=lp,
        death_day=death,
        is_leaving=end_reason == END_LEFT,
        end_reason=end_reason,
        last_activity_day=last,
    )


def _accepted(p: Patients, cut: int) -> BoolArray:
    """Selection into the database: sequenced before the data cut and alive at the first report."""
    return (p.first_report_day <= cut - 14) & (p.death_day > p.first_report_day)


def draw_patients(rng: np.random.Generator, first_index: int, n: int, settings: Settings) -> Patients:
    """``n`` accepted patients with global indices ``first_index ..`` (candidates drawn in rounds and rejected)."""
    kept: list[Patients] = []
    have = 0
    while have < n:
        batch = _candidates(rng, int((n - have) * 1.4) + 64, settings)
        rows = np.flatnonzero(_accepted(batch, settings.data_cut_day))[: n - have]
        kept.append(batch.take(rows))
        have += len(rows)
    merged = Patients(**{f.name: np.concatenate([getattr(k, f.name) for k in kept]) for f in fields(Patients)})
    return Patients(
        **{f.name: getattr(merged, f.name) for f in fields(Patients) if f.name != "index"},
        index=np.arange(first_index, first_index + n, dtype=np.int64),
    )
