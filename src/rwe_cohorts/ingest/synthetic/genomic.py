"""Genomic tables of one block: genomic_reports, genomic_alterations (and the static panel_genes).

Planted: ~15% of patients have a second (tissue or blood) report; the panel is fixed by the report date and
specimen (see :mod:`rwe_cohorts.ingest.synthetic.genes`); a true NTRK fusion is reported only when the panel baits
the NTRK gene or its partner (and, in blood, with 70% sensitivity); at most one canonical driver per patient, rare in
NTRK+ patients; a few passengers per report; no alteration in a gene off the report's panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.ingest.synthetic import genes as gn
from rwe_cohorts.ingest.synthetic.clinical import PIDX
from rwe_cohorts.ingest.synthetic.cohort import Patients
from rwe_cohorts.ingest.synthetic.encode import (
    BoolArray,
    IntArray,
    PatientIds,
    categorical,
    date_array,
    day_number,
    decimal_digits,
    expand,
    prefixed,
    row_choice,
    within_cumsum,
)

NO_DAY = np.iinfo(np.int64).max // 4
_BLOOD_START = day_number("2016-06-01")
_FLCDX_START = day_number("2020-08-01")
_T7_START = day_number("2013-07-01")
_D2_START = day_number("2017-12-01")
_HEME_START = day_number("2013-01-01")

PANEL_MEMBER = np.zeros((len(gn.PANELS), len(gn.ALL_GENES)), dtype=np.bool_)
PANEL_BAITED = np.zeros((len(gn.PANELS), len(gn.ALL_GENES) + 64), dtype=np.bool_)
_EXTRA_GENES: list[str] = []
for _i, _panel in enumerate(gn.PANELS):
    for _g in _panel.genes:
        PANEL_MEMBER[_i, gn.GENE_INDEX[_g]] = True


def gene_slot(gene: str) -> int:
    """Column of ``gene`` in the bait matrix (fusion partners off the gene list get extra columns)."""
    if gene in gn.GENE_INDEX:
        return gn.GENE_INDEX[gene]
    if gene not in _EXTRA_GENES:
        _EXTRA_GENES.append(gene)
    return len(gn.ALL_GENES) + _EXTRA_GENES.index(gene)


for _i, _panel in enumerate(gn.PANELS):
    for _g in _panel.baited:
        PANEL_BAITED[_i, gene_slot(_g)] = True


def panel_genes() -> pa.Table:
    """The static panel_genes table: one row per panel version and covered gene, sorted."""
    rows = sorted((p.version, g, g in p.baited) for p in gn.PANELS for g in p.genes)
    return pa.table(
        {
            "panel_version": pa.array([r[0] for r in rows], type=pa.string()),
            "gene": pa.array([r[1] for r in rows], type=pa.string()),
            "is_rearrangement_baited": pa.array([r[2] for r in rows], type=pa.bool_()),
        }
    )


@dataclass(frozen=True)
class GenomicTruth:
    """Per-patient genomic truth of one block, used by later tables and the truth file."""

    ntrk_gene: IntArray  # index into NTRK_GENES, -1 when NTRK-
    partner: list[str | None]
    driver: IntArray  # index into DRIVERS, -1 when none
    first_ntrk_report_day: IntArray  # NO_DAY when no report shows the fusion


def draw_ntrk_fusions(rng: np.random.Generator, p: Patients) -> tuple[IntArray, IntArray, list[str]]:
    n = p.n
    etv6_types = np.isin(p.cancer_type, [cat.TYPE_INDEX[t] for t in gn.ETV6_TYPES])
    glioma = p.cancer_type == cat.TYPE_INDEX["Glioma"]
    weights = np.where(
        etv6_types[:, None],
        gn.NTRK_GENE_WEIGHTS_ETV6_TYPES,
        np.where(glioma[:, None], gn.NTRK_GENE_WEIGHTS_GLIOMA, gn.NTRK_GENE_WEIGHTS_OTHER),
    )
    gene = np.where(p.is_ntrk, row_choice(rng, weights), -1)
    partners = [name for g in gn.NTRK_GENES for name, _ in gn.NTRK_PARTNERS[g]]
    partner_idx = np.full(n, -1, dtype=np.int64)
    offset = 0
    for k, g in enumerate(gn.NTRK_GENES):
        names, w = zip(*gn.NTRK_PARTNERS[g], strict=True)
        rows = np.flatnonzero(gene == k)
        cdf = np.cumsum(np.asarray(w) / sum(w))
        pick = np.minimum(np.searchsorted(cdf, rng.random(len(rows)), side="right"), len(names) - 1)
        partner_idx[rows] = offset + pick
        offset += len(names)
    return gene, partner_idx, partners


def draw_drivers(rng: np.random.Generator, p: Patients) -> IntArray:
    freq = np.zeros((cat.N_TYPES, len(gn.DRIVERS)))
    for t, name in enumerate(cat.CANCER_NAMES):
        for g, f in gn.DRIVER_FREQUENCIES.get(name, {}).items():
            freq[t, gn.DRIVER_GENES.index(g)] = f
    probs = freq[p.cancer_type] * np.where(p.is_ntrk, gn.NTRK_DRIVER_FACTOR, 1.0)[:, None]
    none = np.clip(1.0 - probs.sum(axis=1), 0.0, None)
    pick = row_choice(rng, np.concatenate([probs, none[:, None]], axis=1))
    return np.where(pick == len(gn.DRIVERS), -1, pick)


def _panel_of(rng: np.random.Generator, day: IntArray, is_blood: BoolArray, is_sarcoma: BoolArray) -> IntArray:
    tissue = np.where(day < _T7_START, 0, np.where(day < _D2_START, 1, 2))
    heme = is_sarcoma & (day >= _HEME_START) & (rng.random(len(day)) < 0.4)
    tissue = np.where(heme, gn.PANEL_INDEX["H3"], tissue)
    blood = np.where(day < _FLCDX_START, gn.PANEL_INDEX["FL1"], gn.PANEL_INDEX["FLCDx"])
    return np.where(is_blood, blood, tissue)


def genomic_reports(
    rng: np.random.Generator, p: Patients, ids: PatientIds, cut_day: int
) -> tuple[pa.Table, IntArray, IntArray, BoolArray]:
    """Reports per patient (first report at the planted date, repeats later); returns table, owner, panel, blood."""
    n = p.n
    n_extra = (rng.random(n) < 0.17).astype(np.int64) + (rng.random(n) < 0.04)
    owner, seq = expand(1 + n_extra)
    gaps = np.where(seq > 0, rng.integers(60, 540, len(owner)), 0)
    day = p.first_report_day[owner] + within_cumsum(gaps, 1 + n_extra)
    keep = (seq == 0) | ((day <= p.last_activity_day[owner]) & (day <= cut_day - 14))
    owner, seq, day = owner[keep], seq[keep], day[keep]
    blood_p = np.where(seq == 0, 0.08, 0.5)
    is_blood = (rng.random(len(owner)) < blood_p) & (day >= _BLOOD_START)
    sarcoma = p.cancer_type[owner] == cat.TYPE_INDEX["Soft tissue sarcoma"]
    panel = _panel_of(rng, day, is_blood, sarcoma)
    collected = day - rng.integers(5, 41, len(owner))
    gidx = p.index[owner]
    dash = np.full((len(owner), 1), ord("-"), dtype=np.uint8)
    assay_of_panel = np.array([gn.ASSAYS.index(gn.PANEL_ASSAY[v]) for v in gn.PANEL_VERSIONS], dtype=np.int64)
    table = pa.table(
        {
            "report_id": prefixed(
                b"ORD-", np.concatenate([decimal_digits(gidx + 1, 9), dash], axis=1), decimal_digits(seq + 1, 2)
            ),
            "patient_id": ids.take(owner),
            "sample_id": prefixed(b"SA-", decimal_digits(gidx * 10 + seq + 1, 9)),
            "specimen_collected_date": date_array(collected, rng.random(len(owner)) >= 0.03),
            "report_date": date_array(day),
            "assay": categorical(gn.ASSAYS, assay_of_panel[panel]),
            "panel_version": categorical(gn.PANEL_VERSIONS, panel),
            "specimen_type": categorical(("Tissue", "Blood"), is_blood.astype(np.int64)),
            # Primary vs metastatic specimen is not modelled (no random draw, so the calibration is untouched).
            "sample_type": pa.nulls(len(owner), type=pa.string()),
            PIDX: pa.array(owner.astype(np.int32)),
        }
    )
    return table, owner, panel, is_blood
