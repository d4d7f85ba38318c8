"""Care tables of one block: lines_of_therapy and visits.

Planted: 85% of advanced patients start line 1 a few weeks after the advanced diagnosis; each later line follows
the previous one (60% continue); no line starts after the last activity; a line still running at the data cut has
no end date, one interrupted by death or leaving ends at the last activity. Regimens come from per-type first-line
and later-line lists; EGFR/ALK/ROS1/RET-driven NSCLC often gets the matching targeted drug first; an NTRK+ patient
with a fusion-positive report gets larotrectinib or entrectinib (70%) on the first line starting after that report
and after mid-2017. Visits are about monthly for advanced patients (quarterly otherwise) from shortly before the
advanced diagnosis or first report, the last one on the last-activity date.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from rwe_cohorts.ingest.synthetic import care_catalog as care
from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.ingest.synthetic import genes as gn
from rwe_cohorts.ingest.synthetic.clinical import PIDX
from rwe_cohorts.ingest.synthetic.cohort import END_CUT, Patients
from rwe_cohorts.ingest.synthetic.encode import (
    IntArray,
    PatientIds,
    categorical,
    date_array,
    day_number,
    decimal_digits,
    expand,
    prefixed,
)
from rwe_cohorts.ingest.synthetic.genomic import GenomicTruth

MAX_LINES = 8
P_ANY_LINE = 0.85
P_NEXT_LINE = 0.60
MAX_VISITS = 999
_TELEMEDICINE_START = day_number("2020-03-15")


def _regimen_tables() -> tuple[list[str], IntArray, IntArray, IntArray, IntArray]:
    vocab: list[str] = []

    def codes(options: tuple[str, ...]) -> list[int]:
        out = []
        for o in options:
            if o not in vocab:
                vocab.append(o)
            out.append(vocab.index(o))
        return out

    first = [codes(care.FIRST_LINE[t]) for t in cat.CANCER_NAMES]
    later = [codes(care.LATER_LINE[t]) for t in cat.CANCER_NAMES]
    for drug in (*care.TARGETED_FIRST_LINE.values(), *care.TRK_INHIBITORS):
        codes((drug,))

    def pad(rows: list[list[int]]) -> tuple[IntArray, IntArray]:
        width = max(len(r) for r in rows)
        return np.array([r + [r[0]] * (width - len(r)) for r in rows]), np.array([len(r) for r in rows])

    f_tab, f_cnt = pad(first)
    l_tab, l_cnt = pad(later)
    return vocab, f_tab, f_cnt, l_tab, l_cnt


_REGIMENS, _FIRST, _FIRST_N, _LATER, _LATER_N = _regimen_tables()
_TARGETED = np.full(len(gn.DRIVERS) + 1, -1, dtype=np.int64)
for _gene, _drug in care.TARGETED_FIRST_LINE.items():
    _TARGETED[gn.DRIVER_GENES.index(_gene)] = _REGIMENS.index(_drug)
_TRK = np.array([_REGIMENS.index(d) for d in care.TRK_INHIBITORS], dtype=np.int64)


def lines_of_therapy(rng: np.random.Generator, p: Patients, ids: PatientIds, genomics: GenomicTruth) -> pa.Table:
    """Lines of therapy of the block's advanced patients (one row per patient and line)."""
    adv = np.flatnonzero(p.is_advanced)
    m = len(adv)
    has = np.zeros((m, MAX_LINES), dtype=np.bool_)
    has[:, 0] = rng.random(m) < P_ANY_LINE
    more = rng.random((m, MAX_LINES)) < P_NEXT_LINE
    for k in range(1, MAX_LINES):
        has[:, k] = has[:, k - 1] & more[:, k]
    duration = np.maximum(np.round(rng.lognormal(np.log(110.0), 0.8, (m, MAX_LINES))), 14).astype(np.int64)
    gap = rng.integers(7, 46, (m, MAX_LINES))
    first_start = p.advanced_day[adv] + np.round(rng.gamma(2.0, 12.0, m)).astype(np.int64)
    step = duration + gap
    start = first_start[:, None] + np.concatenate([np.zeros((m, 1), dtype=np.int64), np.cumsum(step, 1)[:, :-1]], 1)
    last = p.last_activity_day[adv][:, None]
    keep = has & (start <= last)
    row, line = np.nonzero(keep)
    pidx = adv[row]
    s = start[row, line]
    planned_end = s + duration[row, line]
    ongoing = (planned_end > last[row, 0]) & (p.end_reason[pidx] == END_CUT)
    end = np.minimum(planned_end, last[row, 0])

    ctype = p.cancer_type[pidx]
    u = rng.random(len(row))
    regimen = np.where(
        line == 0,
        _FIRST[ctype, np.floor(u * _FIRST_N[ctype]).astype(np.int64)],
        _LATER[ctype, np.floor(u * _LATER_N[ctype]).astype(np.int64)],
    )
    targeted = _TARGETED[genomics.driver[pidx]]
    nsclc = ctype == cat.TYPE_INDEX["NSCLC"]
    use_targeted = (line == 0) & nsclc & (targeted >= 0) & (rng.random(len(row)) < care.P_TARGETED_FIRST_LINE)
    regimen = np.where(use_targeted, targeted, regimen)

    trk_from = np.maximum(genomics.first_ntrk_report_day[pidx], day_number(care.TRK_ERA_START))
    candidate = s >= trk_from
    base, counts = _group_base(candidate, pidx)
    rank = np.cumsum(candidate) - np.repeat(base, counts)
    first_candidate = candidate & (rank == 1)
    wants_trk = rng.random(p.n) < care.P_TRK_INHIBITOR
    gets_trk = first_candidate & wants_trk[pidx]
    regimen = np.where(gets_trk, _TRK[rng.integers(0, len(_TRK), len(row))], regimen)

    return pa.table(
        {
            "patient_id": ids.take(pidx),
            "line_number": pa.array((line + 1).astype(np.int32)),
            "line_name": categorical(_REGIMENS, regimen),
            "start_date": date_array(s),
            "end_date": date_array(end, ~ongoing),
            "is_maintenance": pa.array(rng.random(len(row)) < 0.05, type=pa.bool_()),
            PIDX: pa.array(pidx.astype(np.int32)),
        }
    )


def _group_base(flags: np.ndarray, group: IntArray) -> tuple[IntArray, IntArray]:
    """Per-group offsets to turn a running count of ``flags`` into a within-group count (rows grouped)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    boundaries = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    counts = np.diff(np.append(boundaries, len(group)))
    running = np.cumsum(flags)
    base = running[boundaries] - flags[boundaries]
    return base, counts


def visits(rng: np.random.Generator, p: Patients, ids: PatientIds) -> pa.Table:
    """Encounters from the start of oncology follow-up to the last activity (the last visit is on that day)."""
    adv = p.is_advanced
    anchor = np.where(adv, np.minimum(p.advanced_day, p.first_report_day) - 90, p.diagnosis_day)
    start = np.maximum(anchor, p.diagnosis_day)
    start = np.minimum(start, p.last_activity_day)
    interval = np.where(adv, 30, 91)
    count = np.minimum((p.last_activity_day - start) // interval + 1, MAX_VISITS)
    owner, seq = expand(count)
    day = start[owner] + seq * interval[owner] + rng.integers(-4, 5, len(owner))
    day = np.clip(day, start[owner], p.last_activity_day[owner])
    is_last = seq == count[owner] - 1
    day = np.where(is_last, p.last_activity_day[owner], day)
    telemed_share = np.where(day >= _TELEMEDICINE_START, 0.20, 0.02)
    u = rng.random(len(owner))
    vtype = np.where(u < telemed_share, 2, np.where(u < 0.30 + telemed_share, 1, np.where(u < 0.45, 3, 0)))
    vtype = np.where(adv[owner], vtype, np.where(vtype == 1, 0, vtype))
    return pa.table(
        {
            "visit_id": prefixed(b"V", decimal_digits(p.index[owner] * 1000 + seq + 1, 11)),
            "patient_id": ids.take(owner),
            "visit_date": date_array(day),
            "visit_type": categorical(care.VISIT_TYPES, vtype),
            PIDX: pa.array(owner.astype(np.int32)),
        }
    )
