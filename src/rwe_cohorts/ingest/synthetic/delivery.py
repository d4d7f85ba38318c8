"""Assemble a synthetic CGDB delivery: blocks of patients -> tables -> defects -> streaming Parquet + manifest.

Determinism: patients are generated in fixed blocks of ``BLOCK_PATIENTS``; block ``b`` draws from
``SeedSequence([seed, b])`` and keys derive from the global patient index, and the writers cut row groups at fixed
row counts. The files therefore depend on (seed, n_patients, data cut, hazard ratio, informative entry, defects)
and not on ``chunk_size``, which only bounds how many patients are held in memory before a write.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from rwe_cohorts.ingest.synthetic import alterations, care, clinical, genomic
from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.ingest.synthetic.clinical import PIDX
from rwe_cohorts.ingest.synthetic.cohort import FIRST_PANEL_DAY, Patients, Settings, draw_patients
from rwe_cohorts.ingest.synthetic.defects import REGISTRY, BlockContext, DefectLedger, inject, validate
from rwe_cohorts.ingest.synthetic.encode import PatientIds, day_number
from rwe_cohorts.ingest.synthetic.manifest import (
    GENERATOR_NAME,
    GENERATOR_VERSION,
    MANIFEST_FILE,
    SCHEMA_VERSION,
    ColumnSpec,
    DeliveryManifest,
    GeneratorInfo,
    TableEntry,
    write_manifest,
)
from rwe_cohorts.ingest.synthetic.schema import TABLE_COLUMNS, TABLES, TRUTH_SCHEMA, arrow_schema
from rwe_cohorts.ingest.synthetic.truth import PATIENT_TRUTH_FILE, TRUTH_DIR, TruthTally, truth_table, write_truth_json
from rwe_cohorts.ingest.synthetic.writer import TableSink, sha256_of, write_whole

BLOCK_PATIENTS = 10_000
MAX_PATIENTS = 99_999_999
STATIC_TABLES = ("panel_genes",)
UNIQUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "visits": ("visit_id",),
    "genomic_alterations": ("alteration_id",),
    "genomic_reports": ("report_id", "sample_id"),
}
"""Key columns with one value per row: plain-encoded (dictionary encoding would only cost time)."""


class DeliveryExistsError(FileExistsError):
    """The output directory already holds a manifest (a delivery is never overwritten)."""


@dataclass(frozen=True)
class Block:
    """One generated block: the raw tables, the per-patient truth table, the latent patients (``Patients``, with
    every planted quantity, e.g. the death day also after the data cut) and their ids, and which deaths were
    captured."""

    tables: dict[str, pa.Table]
    truth: pa.Table
    patients: Patients
    patient_ids: pa.Array
    captured: np.ndarray


def _block_tables(
    block: int, n_patients: int, settings: Settings, profile: Mapping[str, float], ledger: DefectLedger
) -> tuple[dict[str, pa.Table], pa.Table, TruthTally]:
    b = _block(block, n_patients, settings, profile, ledger)
    tally = TruthTally()
    tally.add(b.patients, b.captured, settings.data_cut_day)
    return b.tables, b.truth, tally


def _block(
    block: int, n_patients: int, settings: Settings, profile: Mapping[str, float], ledger: DefectLedger
) -> Block:
    rng = np.random.default_rng(np.random.SeedSequence([settings.seed, block]))
    first = block * BLOCK_PATIENTS
    n = min(BLOCK_PATIENTS, n_patients - first)
    cut = settings.data_cut_day
    p = draw_patients(rng, first, n, settings)
    ids = PatientIds(p.index, settings.seed)
    captured = p.is_dead_by(cut) & (rng.random(n) < settings.death_capture)

    reports, owner, panel, blood = genomic.genomic_reports(rng, p, ids, cut)
    alts, genomics = alterations.genomic_alterations(rng, p, reports, owner, panel, blood)
    tables = {
        "demographics": clinical.demographics(rng, p, ids),
        "practice": clinical.practice(rng, p, ids),
        "cancer_diagnosis": clinical.cancer_diagnosis(rng, p, ids),
        "genomic_reports": reports,
        "genomic_alterations": alts,
        "lines_of_therapy": care.lines_of_therapy(rng, p, ids, genomics),
        "visits": care.visits(rng, p, ids),
        "ecog": clinical.ecog(rng, p, ids),
        "diagnosis_codes": clinical.diagnosis_codes(rng, p, ids),
        "mortality": clinical.mortality(p, ids, captured),
    }
    if profile:
        ctx = BlockContext(patients=p, seed=settings.seed, n_patients=n_patients, data_cut_day=cut)
        tables = inject(tables, profile, ctx, block, ledger)
    tables = {name: t.drop_columns([PIDX]) for name, t in tables.items()}
    return Block(tables, truth_table(p, ids, genomics, captured, cut), p, ids.all(), captured)


def generate_blocks(
    n_patients: int = 58_001,
    seed: int = 20220801,
    data_cut_date: date = date(2021, 3, 31),
    hazard_ratio: float = 1.6,
    informative_entry: float = 0.0,
    death_capture: float = cat.P_DEATH_CAPTURED,
) -> Iterator[Block]:
    """The blocks of the delivery :func:`generate_delivery` would write with these arguments and no defects, in
    memory (for simulation studies: the same tables, nothing written). Static tables: :func:`static_tables`.
    ``death_capture`` replaces the planted share of deaths that reach the mortality table (0.90), e.g. 1.0 to
    separate the bias that missed deaths cause from the estimator's own."""
    _check_arguments(n_patients, hazard_ratio, 1, data_cut_date)
    if not 0.0 <= death_capture <= 1.0:
        raise ValueError(f"death_capture must be in [0, 1], got {death_capture}")
    settings = Settings(
        seed, day_number(data_cut_date), float(hazard_ratio), float(informative_entry), float(death_capture)
    )
    for block in range(math.ceil(n_patients / BLOCK_PATIENTS)):
        yield _block(block, n_patients, settings, {}, DefectLedger())


def static_tables() -> dict[str, pa.Table]:
    """The tables that do not depend on the patients (``panel_genes``)."""
    return {"panel_genes": genomic.panel_genes()}


def _merge(total: TruthTally, part: TruthTally) -> None:
    total.n_patients += part.n_patients
    total.n_ntrk += part.n_ntrk
    total.n_deaths += part.n_deaths
    total.n_captured += part.n_captured
    for k, v in part.ntrk_by_type.items():
        total.ntrk_by_type[k] = total.ntrk_by_type.get(k, 0) + v


def _check_arguments(n_patients: int, hazard_ratio: float, chunk_size: int, data_cut_date: date) -> None:
    problems = []
    if day_number(data_cut_date) < FIRST_PANEL_DAY + 365:
        problems.append(f"data_cut_date must be a year after the first panel (2011-03-01), got {data_cut_date}")
    if not 1 <= n_patients <= MAX_PATIENTS:
        problems.append(f"n_patients must be in 1..{MAX_PATIENTS}, got {n_patients}")
    if not hazard_ratio > 0:
        problems.append(f"hazard_ratio must be positive, got {hazard_ratio}")
    if chunk_size < 1:
        problems.append(f"chunk_size must be positive, got {chunk_size}")
    if problems:
        raise ValueError("; ".join(problems))


def generate_delivery(
    out_dir: Path,
    n_patients: int = 58_001,
    seed: int = 20220801,
    data_cut_date: date = date(2021, 3, 31),
    hazard_ratio: float = 1.6,
    informative_entry: float = 0.0,
    defects: Mapping[str, float] | None = None,
    chunk_size: int = 250_000,
    progress: Callable[[int, int], None] | None = None,
) -> DeliveryManifest:
    """Write a synthetic CGDB delivery (one Parquet file per raw table, ``manifest.json``, ``truth/``).

    Planted: the hazard model, selection, NTRK and defects described in the package docstring. Same arguments
    give byte-identical files. ``progress(done, total)`` is called after each chunk of patients.
    """
    _check_arguments(n_patients, hazard_ratio, chunk_size, data_cut_date)
    profile = validate(defects or {})
    out_dir = Path(out_dir)
    if (out_dir / MANIFEST_FILE).exists():
        raise DeliveryExistsError(f"{out_dir} already holds a delivery manifest")
    (out_dir / TRUTH_DIR).mkdir(parents=True, exist_ok=True)
    settings = Settings(
        seed=seed,
        data_cut_day=day_number(data_cut_date),
        hazard_ratio=float(hazard_ratio),
        informative_entry=float(informative_entry),
    )
    overrides: dict[str, dict[str, str]] = {}
    for name in profile:
        d = REGISTRY[name]
        if d.type_override:
            overrides.setdefault(d.table, {})[d.column] = d.type_override
    schemas = {t: arrow_schema(t, overrides.get(t)) for t in TABLES}
    rows = {t: write_whole(out_dir / f"{t}.parquet", genomic.panel_genes(), schemas[t]) for t in STATIC_TABLES}
    sinks = {
        t: TableSink(out_dir / f"{t}.parquet", schemas[t], UNIQUE_COLUMNS.get(t, ()))
        for t in TABLES
        if t not in STATIC_TABLES
    }
    truth_sink = TableSink(out_dir / TRUTH_DIR / PATIENT_TRUTH_FILE, TRUTH_SCHEMA)
    ledger = DefectLedger()
    tally = TruthTally()
    n_blocks = math.ceil(n_patients / BLOCK_PATIENTS)
    per_chunk = max(1, math.ceil(chunk_size / BLOCK_PATIENTS))

    def write_chunk(pending: dict[str, list[pa.Table]], truths: list[pa.Table]) -> None:
        for name, parts in pending.items():
            sinks[name].write(pa.concat_tables(parts))
        truth_sink.write(pa.concat_tables(truths))

    writing: Future[None] | None = None
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            for chunk_first in range(0, n_blocks, per_chunk):
                pending: dict[str, list[pa.Table]] = {t: [] for t in sinks}
                truths = []
                for block in range(chunk_first, min(chunk_first + per_chunk, n_blocks)):
                    tables, truth, part = _block_tables(block, n_patients, settings, profile, ledger)
                    for name, table in tables.items():
                        pending[name].append(table)
                    truths.append(truth)
                    _merge(tally, part)
                if writing is not None:
                    writing.result()
                writing = pool.submit(write_chunk, pending, truths)
                if progress is not None:
                    progress(min((chunk_first + per_chunk) * BLOCK_PATIENTS, n_patients), n_patients)
            if writing is not None:
                writing.result()
    finally:
        for sink in (*sinks.values(), truth_sink):
            sink.close()
    rows.update({t: s.rows for t, s in sinks.items()})

    entries = tuple(
        TableEntry(
            table=t,
            file=f"{t}.parquet",
            rows=rows[t],
            sha256=sha256_of(out_dir / f"{t}.parquet"),
            columns=tuple(ColumnSpec(c, overrides.get(t, {}).get(c, kind)) for c, kind in TABLE_COLUMNS[t]),
        )
        for t in TABLES
    )
    generator = GeneratorInfo(
        name=GENERATOR_NAME,
        version=GENERATOR_VERSION,
        seed=seed,
        n_patients=n_patients,
        hazard_ratio=float(hazard_ratio),
        informative_entry=float(informative_entry),
        defects=tuple(profile.items()),
    )
    cut_iso = data_cut_date.isoformat()
    manifest = DeliveryManifest(
        schema_version=SCHEMA_VERSION,
        data_cut_id=cut_iso,
        data_cut_date=cut_iso,
        generator=generator,
        tables=entries,
        defects_injected=ledger.records(profile),
    )
    write_truth_json(out_dir, manifest.to_json()["generator"], tally, float(hazard_ratio), float(informative_entry))
    write_manifest(manifest, out_dir)
    return manifest
