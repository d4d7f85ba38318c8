"""Age at sequencing from what a cBioPortal study has, as a birth year (the only precision the raw model keeps).

The rules, tried in this order for the patient's first delivered sample (sample attributes before patient
attributes):

1. ``sequencing``: an age at sequencing (``AGE_AT_SEQ_REPORT`` and aliases) refers to that sample's report date.
2. ``diagnosis_at_timeline_date``: an age at diagnosis (``AGE_AT_DIAGNOSIS`` and aliases) refers to the timeline's
   diagnosis date, when the timeline gives one.
3. ``current_age_minus_os``: a current age (``CURRENT_AGE_DEID`` and aliases, as in MSK-IMPACT studies that publish
   no age at sequencing) refers to the end of overall-survival follow-up, i.e. first sequencing + ``OS_MONTHS``
   (last contact, or death), because OS counts from the first sequencing. So the age at sequencing is
   ``current age - OS_MONTHS x days_per_month / 365.25`` years. Needs usable ``OS_MONTHS``.
4. ``diagnosis_as_sequencing``: an age at diagnosis without a timeline diagnosis date is taken as the age at
   sequencing (an approximation that understates the age by the time from diagnosis to sequencing; counted).

De-identified ages: ``<18`` is taken as 17 and ``>89`` / ``90+`` as 90 (:func:`.vocab.age_years`); a current age of
``>89`` therefore gives an age at sequencing of 90 minus the follow-up, a lower bound. Birth year =
``round(decimal year of the reference date - age - 0.5)`` (the pipeline imputes 1 July), so ages come back to within
about half a year. A value that is not an age at all is a problem (file, column, example patient).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from rwe_cohorts.ingest.cbioportal import vocab
from rwe_cohorts.ingest.cbioportal.errors import Issues
from rwe_cohorts.ingest.cbioportal.reader import Sample
from rwe_cohorts.ingest.cbioportal.timeaxis import PatientDates

AGE_RULES: tuple[str, ...] = (
    "sequencing",
    "diagnosis_at_timeline_date",
    "current_age_minus_os",
    "diagnosis_as_sequencing",
)
AGE_COLUMNS_LOOKED_FOR = (
    f"age at sequencing ({'/'.join(vocab.AGE_AT_SEQUENCING)}), age at diagnosis ({'/'.join(vocab.AGE_AT_DIAGNOSIS)}) "
    f"or current age ({'/'.join(vocab.CURRENT_AGE)}) with OS_MONTHS"
)


@dataclass(frozen=True)
class Age:
    """An age in years at a reference date, and the rule that gave it."""

    years: float
    at: dt.date
    rule: str

    @property
    def birth_year(self) -> int:
        return round(decimal_year(self.at) - self.years - 0.5)


def decimal_year(day: dt.date) -> float:
    start = dt.date(day.year, 1, 1)
    return day.year + (day - start).days / (dt.date(day.year + 1, 1, 1) - start).days


def _value(
    rows: tuple[Mapping[str, str | None], ...], aliases: tuple[str, ...], pid: str, issues: Issues
) -> tuple[float | None, bool]:
    """(age, malformed): the first alias with a value, in years."""
    raw = vocab.lookup(rows, aliases)
    try:
        return vocab.age_years(raw), False
    except ValueError:
        issues.problem("clinical files", f"columns {'/'.join(aliases[:2])}: not an age in years", [f"{pid} ({raw!r})"])
        return None, True


def age_at_sequencing(
    first: Sample, patient: Mapping[str, str | None], dates: PatientDates, report_date: dt.date, issues: Issues
) -> Age | None:
    """The age under the first rule that applies (module docstring), or None (no age, or a malformed one)."""
    sample_first = (first.attrs, patient)
    at_seq, bad_seq = _value(sample_first, vocab.AGE_AT_SEQUENCING, first.patient_id, issues)
    at_dx, bad_dx = _value(sample_first, vocab.AGE_AT_DIAGNOSIS, first.patient_id, issues)
    current, bad_now = _value((patient, first.attrs), vocab.CURRENT_AGE, first.patient_id, issues)
    if bad_seq or bad_dx or bad_now:
        return None
    end = dates.death_date or dates.follow_up_date
    if at_seq is not None:
        return Age(at_seq, report_date, "sequencing")
    if at_dx is not None and dates.diagnosis_date is not None:
        return Age(at_dx, dates.diagnosis_date, "diagnosis_at_timeline_date")
    if current is not None and end is not None:
        return Age(current, end, "current_age_minus_os")
    if at_dx is not None:
        return Age(at_dx, report_date, "diagnosis_as_sequencing")
    return None


def age_statement(counts: Mapping[str, int], *, days_per_month: float) -> str:
    """One sentence for the report: which age rule applied to how many delivered patients."""
    parts = {
        "sequencing": "the age at sequencing",
        "diagnosis_at_timeline_date": "the age at diagnosis at the timeline diagnosis date",
        "current_age_minus_os": (
            f"the current age minus the follow-up (OS_MONTHS x {days_per_month:g} / 365.25 years: OS counts from "
            "the first sequencing)"
        ),
        "diagnosis_as_sequencing": "the age at diagnosis taken as the age at sequencing (no timeline date)",
    }
    used = [f"{parts[r]} for {n:,}" for r in AGE_RULES if (n := counts.get(f"patients_age_{r}", 0))]
    without = counts.get("patients_without_age", 0)
    head = "Age at sequencing: " + ("; ".join(used) if used else "no patient has an age")
    tail = f"; {without:,} patients without any age" if without else ""
    return (
        f"{head}{tail}. De-identified ages '<18' are taken as 17 and '>89' as 90; ages are kept as a birth year "
        "(1 July imputed), exact to about half a year."
    )
