"""Dates from cBioPortal's relative times: the time-axis convention of the cBioPortal source.

cBioPortal publishes no calendar dates: overall survival is ``OS_MONTHS`` (for most sequencing studies, e.g.
MSK-IMPACT, counted from the sequencing date) with ``OS_STATUS``, and timeline files give days relative to a
per-patient zero. The raw model needs dates, so they are synthesised deterministically:

- Each patient's first sequencing date (their first report) is the *anchor*. It is ``anchor_date`` (default
  2000-01-01) for patients alive at last follow-up; for a patient who died it is the first day on or after
  ``anchor_date`` that puts the death on day ``death_day_of_month`` of a month (the day the pipeline imputes from a
  month-precision death), so ``OS_MONTHS`` comes back exactly (to the day) although deaths travel as ``YYYY-MM``.
  Calendar years therefore carry no information in this source (all anchors fall within one month).
- Months convert to days with the study's ``days_per_month`` (30.4375), rounded to whole days.
- Alive: a follow-up contact (one ``raw.visits`` row) at anchor + OS. Dead: death at anchor + OS. Survival missing
  or incomplete: no follow-up beyond the report, so exit = entry and the patient is counted at the attrition step
  ``follow_up_after_entry``.
- Later samples: at the anchor plus their timeline offset (``SEQUENCING`` event, else ``SPECIMEN`` / ``SAMPLE
  ACQUISITION``) from the first sample; at the anchor when the timeline does not place them.
- Diagnosis: from a timeline ``DIAGNOSIS`` event (or a ``STATUS`` event naming a diagnosis), placed relative to the
  sequencing event on the same timeline. Index date (the raw ``advanced_diagnosis_date``): ``sequencing`` = the
  report date of the first delivered sample (the anchor, unless that sample was of another cancer type), entry 0;
  ``diagnosis`` = the diagnosis date, entry = sequencing - diagnosis (left truncation), patients without one have no
  index date (counted at ``advanced_in_window``); ``auto`` = diagnosis when every delivered patient has one, else
  sequencing.
- Treatments (timeline ``TREATMENT`` events with ``AGENT``) become lines of therapy: one line per start day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from rwe_cohorts.ingest.cbioportal.errors import Issues
from rwe_cohorts.ingest.cbioportal.reader import CbioportalStudy, Sample
from rwe_cohorts.ingest.cbioportal.vocab import os_status

TimeOrigin = Literal["auto", "sequencing", "diagnosis"]
_SEQUENCING = frozenset({"SEQUENCING"})
_SPECIMEN = frozenset({"SPECIMEN", "SAMPLE ACQUISITION", "SAMPLE_ACQUISITION"})
MAX_LINES = 30


@dataclass(frozen=True)
class TimeOptions:
    time_origin: TimeOrigin = "auto"
    anchor_date: dt.date = dt.date(2000, 1, 1)
    days_per_month: float = 30.4375
    death_day_of_month: int = 15


@dataclass(frozen=True)
class Survival:
    is_dead: bool | None
    months: float | None

    @property
    def is_usable(self) -> bool:
        return self.is_dead is not None and self.months is not None


@dataclass(frozen=True)
class Treatment:
    start_day: int
    stop_day: int | None
    agent: str


@dataclass(frozen=True)
class PatientTimeline:
    """A patient's timeline days (relative to the timeline's own zero)."""

    sequencing_days: Mapping[str, int]
    specimen_days: Mapping[str, int]
    diagnosis_day: int | None
    treatments: tuple[Treatment, ...]


@dataclass(frozen=True)
class PatientDates:
    anchor_date: dt.date
    first_sample_id: str
    report_dates: Mapping[str, dt.date]
    specimen_dates: Mapping[str, dt.date | None]
    diagnosis_date: dt.date | None
    death_date: dt.date | None
    follow_up_date: dt.date | None
    day_zero: int | None

    def at_day(self, day: int) -> dt.date | None:
        """The date of a timeline day (None when the timeline does not place the first sample)."""
        return None if self.day_zero is None else self.anchor_date + dt.timedelta(days=day - self.day_zero)


def survival_of(study: CbioportalStudy, issues: Issues) -> dict[str, Survival]:
    """``OS_STATUS`` / ``OS_MONTHS`` per patient; malformed values are problems (file, column, examples)."""
    out: dict[str, Survival] = {}
    bad_status, bad_months = [], []
    for pid, row in study.patients.items():
        try:
            dead = os_status(row.get("OS_STATUS"))
        except ValueError:
            bad_status.append(f"{pid} ({row.get('OS_STATUS')!r})")
            dead = None
        months = row.get("OS_MONTHS")
        value: float | None = None
        if months is not None:
            try:
                value = float(months)
                if not value >= 0:
                    raise ValueError(months)
            except ValueError:
                bad_months.append(f"{pid} ({months!r})")
                value = None
        out[pid] = Survival(dead, value)
    if bad_status:
        issues.problem(
            "data_clinical_patient.txt", "column 'OS_STATUS': not 1:DECEASED / 0:LIVING (or words)", bad_status
        )
    if bad_months:
        issues.problem("data_clinical_patient.txt", "column 'OS_MONTHS': not a number of months >= 0", bad_months)
    return out


def _is_diagnosis(event_type: str, attrs: Mapping[str, str | None]) -> bool:
    if event_type == "DIAGNOSIS":
        return True
    if event_type != "STATUS":
        return False
    text = " ".join(v for c in ("STATUS", "SUBTYPE") if (v := attrs.get(c))).lower()
    return re.search(r"diagnos", text) is not None


def timelines_of(study: CbioportalStudy) -> dict[str, PatientTimeline]:
    sequencing: dict[str, dict[str, int]] = {}
    specimen: dict[str, dict[str, int]] = {}
    diagnosis: dict[str, int] = {}
    treatments: dict[str, list[Treatment]] = {}
    for e in study.timeline:
        sample = e.attrs.get("SAMPLE_ID")
        if e.event_type in _SEQUENCING and sample:
            days = sequencing.setdefault(e.patient_id, {})
            days[sample] = min(days.get(sample, e.start_day), e.start_day)
        elif e.event_type in _SPECIMEN and sample:
            days = specimen.setdefault(e.patient_id, {})
            days[sample] = min(days.get(sample, e.start_day), e.start_day)
        elif _is_diagnosis(e.event_type, e.attrs):
            diagnosis[e.patient_id] = min(diagnosis.get(e.patient_id, e.start_day), e.start_day)
        elif e.event_type == "TREATMENT" and (agent := e.attrs.get("AGENT")):
            treatments.setdefault(e.patient_id, []).append(Treatment(e.start_day, e.stop_day, agent))
    patients = set(sequencing) | set(specimen) | set(diagnosis) | set(treatments)
    return {
        p: PatientTimeline(
            sequencing_days=sequencing.get(p, {}),
            specimen_days=specimen.get(p, {}),
            diagnosis_day=diagnosis.get(p),
            treatments=tuple(sorted(treatments.get(p, []), key=lambda t: (t.start_day, t.agent))),
        )
        for p in sorted(patients)
    }


def _death_anchor(base: dt.date, os_days: int, day_of_month: int) -> dt.date:
    """The first anchor >= base whose death date (anchor + os_days) falls on ``day_of_month``."""
    earliest = base + dt.timedelta(days=os_days)
    death = earliest.replace(day=day_of_month)
    if death < earliest:
        year, month = (earliest.year + 1, 1) if earliest.month == 12 else (earliest.year, earliest.month + 1)
        death = dt.date(year, month, day_of_month)
    return death - dt.timedelta(days=os_days)


def patient_dates(
    samples: list[Sample], timeline: PatientTimeline | None, survival: Survival | None, options: TimeOptions
) -> PatientDates:
    """Dates of one patient (``samples`` non-empty) under the convention in the module docstring."""
    tl = timeline or PatientTimeline({}, {}, None, ())
    report_day = {s.sample_id: tl.sequencing_days.get(s.sample_id, tl.specimen_days.get(s.sample_id)) for s in samples}
    known = [d for d in report_day.values() if d is not None]
    day_zero = min(known) if known else None
    placed = {sid: day if day is not None else (day_zero or 0) for sid, day in report_day.items()}
    first = min(samples, key=lambda s: (placed[s.sample_id], s.sample_id))
    os_days = round(survival.months * options.days_per_month) if survival and survival.months is not None else None
    anchor = options.anchor_date
    if survival is not None and survival.is_dead and os_days is not None:
        anchor = _death_anchor(options.anchor_date, os_days, options.death_day_of_month)

    def at(day: int | None) -> dt.date | None:
        return None if day is None or day_zero is None else anchor + dt.timedelta(days=day - day_zero)

    reports = {sid: at(day) or anchor for sid, day in report_day.items()}
    specimens = {s.sample_id: at(tl.specimen_days.get(s.sample_id)) for s in samples}
    usable = survival is not None and survival.is_usable and os_days is not None
    end = anchor + dt.timedelta(days=os_days) if usable and os_days is not None else None
    return PatientDates(
        anchor_date=anchor,
        first_sample_id=first.sample_id,
        report_dates=reports,
        specimen_dates=specimens,
        diagnosis_date=at(tl.diagnosis_day),
        death_date=end if usable and survival is not None and survival.is_dead else None,
        follow_up_date=end if usable and survival is not None and not survival.is_dead else None,
        day_zero=day_zero,
    )


@dataclass(frozen=True)
class Line:
    line_number: int
    drugs: tuple[str, ...]
    start_date: dt.date
    end_date: dt.date | None


def lines_of_therapy(timeline: PatientTimeline | None, dates: PatientDates) -> tuple[list[Line], bool]:
    """One line per treatment start day (drugs lower-cased, sorted); lines past the 30th are merged into the 30th.
    Returns the lines and whether any were merged. Treatments cannot be placed without a sequencing day zero."""
    if timeline is None or not timeline.treatments or dates.day_zero is None:
        return [], False
    by_start: dict[int, list[Treatment]] = {}
    for t in timeline.treatments:
        by_start.setdefault(t.start_day, []).append(t)
    starts = sorted(by_start)
    merged = len(starts) > MAX_LINES
    groups = [by_start[s] for s in starts[: MAX_LINES - 1]]
    if starts[MAX_LINES - 1 :]:
        groups.append([t for s in starts[MAX_LINES - 1 :] for t in by_start[s]])
    lines = []
    for number, group in enumerate(groups, start=1):
        start = min(t.start_day for t in group)
        stops = [t.stop_day for t in group]
        stop = max(s for s in stops if s is not None) if all(s is not None for s in stops) else None
        drugs = tuple(sorted({d.strip().lower() for t in group for d in t.agent.split(",") if d.strip()}))
        start_date = dates.at_day(start)
        assert start_date is not None
        end_date = dates.at_day(stop) if stop is not None and stop >= start else None
        lines.append(Line(number, drugs, start_date, end_date))
    return lines, merged
