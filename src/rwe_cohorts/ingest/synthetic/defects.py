"""Defect profiles: named, rate-controlled data-quality faults planted in a delivery.

Each defect hits one target table and column. ``rate`` is the share of that table's (eligible) rows affected;
at least one row is affected in the whole delivery. Every injection is recorded in ``manifest.json``
(``defects_injected``: defect, table, column, rows, up to five example keys). Defect draws use their own random
stream, so the clean rows of a delivery with defects equal those of the clean delivery.

==========================  ==========================================  =============================================
defect                      target                                      what it does (the rule it breaks)
==========================  ==========================================  =============================================
duplicate_keys              demographics.patient_id                     appends a second row for the patient with a
                                                                        different birth year (primary key)
orphan_rows                 visits.patient_id                           points the visit at a patient id absent from
                                                                        demographics (foreign key)
death_before_birth          mortality.death_month                       death month in a year before the birth year
advanced_before_initial     cancer_diagnosis.advanced_diagnosis_date    advanced diagnosis 30-400 days before the
                                                                        initial one (advanced_not_before_initial)
report_after_cut            genomic_reports.report_date                 report dated 1-120 days after the data cut
unknown_gene                genomic_alterations.gene                    gene symbol on no panel (not in panel_genes)
unknown_code                diagnosis_codes.diagnosis_code              malformed ICD-10-CM code ``ZZZ.9``
                                                                        (icd10_format)
missing_required            cancer_diagnosis.diagnosis_date             null in a non-nullable column
wrong_type                  demographics.birth_year                     whole column written as VARCHAR (Parquet
                                                                        string) and the hit rows hold ``unknown``
line_end_before_start       lines_of_therapy.end_date                   end date 1-60 days before the start date
                                                                        (start_not_after_end)
==========================  ==========================================  =============================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rwe_cohorts.ingest.synthetic.clinical import PIDX
from rwe_cohorts.ingest.synthetic.cohort import Patients
from rwe_cohorts.ingest.synthetic.encode import IntArray, date_array, patient_id_bytes, strings_from_bytes, years_of
from rwe_cohorts.ingest.synthetic.manifest import DefectRecord

KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "demographics": ("patient_id",),
    "practice": ("patient_id", "practice_id"),
    "cancer_diagnosis": ("patient_id",),
    "genomic_reports": ("report_id",),
    "panel_genes": ("panel_version", "gene"),
    "genomic_alterations": ("alteration_id",),
    "lines_of_therapy": ("patient_id", "line_number"),
    "visits": ("visit_id",),
    "ecog": ("patient_id", "ecog_date"),
    "diagnosis_codes": ("patient_id", "diagnosis_date", "diagnosis_code"),
    "mortality": ("patient_id",),
}


class UnknownDefectError(ValueError):
    """A requested defect profile is not in the registry (or has an invalid rate)."""


@dataclass(frozen=True)
class BlockContext:
    """What a defect may need to know about the block it edits."""

    patients: Patients
    seed: int
    n_patients: int
    data_cut_day: int


Apply = Callable[[pa.Table, IntArray, np.random.Generator, BlockContext], pa.Table]


@dataclass(frozen=True)
class Defect:
    """One defect profile: its target and how it rewrites the selected rows."""

    name: str
    table: str
    column: str
    apply: Apply
    eligible: Callable[[pa.Table], IntArray] = field(default=lambda t: np.arange(t.num_rows, dtype=np.int64))
    type_override: str | None = None


def _set(table: pa.Table, column: str, rows: IntArray, values: pa.Array) -> pa.Table:
    """Replace ``column`` at ``rows`` by ``values`` (same order as ``rows``)."""
    col = table.column(column).combine_chunks()
    mask = np.zeros(table.num_rows, dtype=np.bool_)
    mask[rows] = True
    position = np.zeros(table.num_rows, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    spread = values.take(pa.array(position)) if len(values) else col
    new = pc.if_else(pa.array(mask), spread, col)
    return table.set_column(table.schema.get_field_index(column), column, new)


def _duplicate(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    copies = t.take(pa.array(rows))
    shifted = pc.add(copies.column("birth_year"), pa.scalar(1, type=copies.schema.field("birth_year").type))
    copies = copies.set_column(copies.schema.get_field_index("birth_year"), "birth_year", shifted)
    return pa.concat_tables([t, copies])


def _orphan(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    ghost = ctx.n_patients + ctx.patients.index[t.column(PIDX).to_numpy()[rows]]
    return _set(t, "patient_id", rows, strings_from_bytes(patient_id_bytes(ghost, ctx.seed)))


def _death_before_birth(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    birth_year = years_of(ctx.patients.birth_day[t.column(PIDX).to_numpy()[rows]])
    year = np.maximum(birth_year - rng.integers(1, 6, len(rows)), 1900)
    month = rng.integers(1, 13, len(rows))
    return _set(t, "death_month", rows, pa.array([f"{y:04d}-{m:02d}" for y, m in zip(year, month, strict=True)]))


def _days(t: pa.Table, column: str, rows: IntArray) -> IntArray:
    return t.column(column).combine_chunks().take(pa.array(rows)).cast(pa.int32()).to_numpy(zero_copy_only=False)


def _advanced_before(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    dx = _days(t, "diagnosis_date", rows).astype(np.int64)
    return _set(t, "advanced_diagnosis_date", rows, date_array(dx - rng.integers(30, 401, len(rows))))


def _after_cut(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    return _set(t, "report_date", rows, date_array(ctx.data_cut_day + rng.integers(1, 121, len(rows))))


_FAKE_GENES = ("NOTAGENE1", "XYZ99", "FAM999Z", "ORF77")


def _unknown_gene(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    pick = rng.integers(0, len(_FAKE_GENES), len(rows))
    return _set(t, "gene", rows, pa.array([_FAKE_GENES[i] for i in pick], type=pa.string()))


def _unknown_code(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    return _set(t, "diagnosis_code", rows, pa.array(["ZZZ.9"] * len(rows), type=pa.string()))


def _missing(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    return _set(t, "diagnosis_date", rows, pa.nulls(len(rows), type=pa.date32()))


def _wrong_type(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    index = t.schema.get_field_index("birth_year")
    t = t.set_column(index, "birth_year", t.column("birth_year").cast(pa.string()))
    return _set(t, "birth_year", rows, pa.array(["unknown"] * len(rows), type=pa.string()))


def _end_before_start(t: pa.Table, rows: IntArray, rng: np.random.Generator, ctx: BlockContext) -> pa.Table:
    start = _days(t, "start_date", rows).astype(np.int64)
    return _set(t, "end_date", rows, date_array(start - rng.integers(1, 61, len(rows))))


def _not_null(column: str) -> Callable[[pa.Table], IntArray]:
    return lambda t: np.flatnonzero(t.column(column).is_valid().to_numpy(zero_copy_only=False))


def _icd10_rows(t: pa.Table) -> IntArray:
    return np.flatnonzero(pc.equal(t.column("code_system"), "ICD-10-CM").to_numpy(zero_copy_only=False))


REGISTRY: dict[str, Defect] = {
    d.name: d
    for d in (
        Defect("duplicate_keys", "demographics", "patient_id", _duplicate),
        Defect("orphan_rows", "visits", "patient_id", _orphan),
        Defect("death_before_birth", "mortality", "death_month", _death_before_birth),
        Defect(
            "advanced_before_initial",
            "cancer_diagnosis",
            "advanced_diagnosis_date",
            _advanced_before,
            _not_null("advanced_diagnosis_date"),
        ),
        Defect("report_after_cut", "genomic_reports", "report_date", _after_cut),
        Defect("unknown_gene", "genomic_alterations", "gene", _unknown_gene),
        Defect("unknown_code", "diagnosis_codes", "diagnosis_code", _unknown_code, _icd10_rows),
        Defect("missing_required", "cancer_diagnosis", "diagnosis_date", _missing),
        Defect("wrong_type", "demographics", "birth_year", _wrong_type, type_override="VARCHAR"),
        Defect("line_end_before_start", "lines_of_therapy", "end_date", _end_before_start),
    )
}


def validate(defects: Mapping[str, float]) -> dict[str, float]:
    """Check names and rates (0 < rate <= 1); returns the profile in registry order."""
    unknown = sorted(set(defects) - set(REGISTRY))
    bad = sorted(name for name, rate in defects.items() if not 0.0 < float(rate) <= 1.0)
    if unknown or bad:
        raise UnknownDefectError(f"unknown defects {unknown} (known: {sorted(REGISTRY)}); rates not in (0, 1]: {bad}")
    return {name: float(defects[name]) for name in REGISTRY if name in defects}


@dataclass
class DefectLedger:
    """Running record of what was injected, for the manifest."""

    rows: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def records(self, profile: Mapping[str, float]) -> tuple[DefectRecord, ...]:
        return tuple(
            DefectRecord(
                defect=name,
                table=REGISTRY[name].table,
                column=REGISTRY[name].column,
                rows=self.rows.get(name, 0),
                example_keys=tuple(self.examples.get(name, [])),
            )
            for name in profile
        )


def _keys(table: pa.Table, name: str, rows: IntArray) -> list[str]:
    cols = KEY_COLUMNS[name]
    picked = table.take(pa.array(rows[:5]))
    values = [picked.column(c).cast(pa.string()).to_pylist() for c in cols]
    return ["|".join(str(v) for v in parts) for parts in zip(*values, strict=True)]


def inject(
    tables: dict[str, pa.Table],
    profile: Mapping[str, float],
    ctx: BlockContext,
    block: int,
    ledger: DefectLedger,
) -> dict[str, pa.Table]:
    """Apply every defect of ``profile`` to the block's tables (returns new tables; the ledger is updated)."""
    out = dict(tables)
    for position, (name, rate) in enumerate(profile.items()):
        defect = REGISTRY[name]
        rng = np.random.default_rng([ctx.seed, block, 7919, position])
        table = out[defect.table]
        eligible = defect.eligible(table)
        k = int(rng.binomial(len(eligible), rate)) if len(eligible) else 0
        if ledger.rows.get(name, 0) == 0 and len(eligible):
            k = max(k, 1)
        rows = np.sort(rng.choice(eligible, size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)
        if defect.type_override is None and k == 0:
            continue
        if k:
            ledger.examples.setdefault(name, [])
            room = 5 - len(ledger.examples[name])
            ledger.examples[name].extend(_keys(table, defect.table, rows)[:room] if room > 0 else [])
        out[defect.table] = defect.apply(table, rows, rng, ctx)
        ledger.rows[name] = ledger.rows.get(name, 0) + k
    return out
