"""genomic_alterations of one block: NTRK fusions, canonical drivers and passengers per report.

Planted: an NTRK fusion is reported only when the report's panel baits the NTRK gene or its partner (blood: 70%
sensitivity); a patient's single driver (if any) is reported on each report whose panel covers it (blood: 70%);
passengers are Poisson per report (fewer in blood) from cancer-type weighted genes; every gene is on the panel.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.ingest.synthetic import genes as gn
from rwe_cohorts.ingest.synthetic.clinical import PIDX
from rwe_cohorts.ingest.synthetic.cohort import Patients
from rwe_cohorts.ingest.synthetic.encode import BoolArray, IntArray, categorical, decimal_digits, expand, prefixed
from rwe_cohorts.ingest.synthetic.genomic import (
    NO_DAY,
    PANEL_BAITED,
    PANEL_MEMBER,
    GenomicTruth,
    draw_drivers,
    draw_ntrk_fusions,
    gene_slot,
)

KIND_FUSION, KIND_DRIVER, KIND_PASSENGER = 0, 1, 2
ALTERATION_TYPES: tuple[str, ...] = ("short variant", "copy number alteration", "rearrangement")
MAX_PER_PATIENT = 99


def _detail_vocabulary() -> tuple[list[str], IntArray, IntArray, IntArray, IntArray]:
    """Detail strings plus (offset, count) per driver and per passenger."""
    vocab: list[str] = []
    d_off, d_cnt, p_off, p_cnt = [], [], [], []
    for _, _, details, _ in gn.DRIVERS:
        d_off.append(len(vocab))
        d_cnt.append(len(details))
        vocab.extend(details)
    for _, _, details, _ in gn.PASSENGERS:
        p_off.append(len(vocab))
        p_cnt.append(len(details))
        vocab.extend(details)
    return vocab, np.array(d_off), np.array(d_cnt), np.array(p_off), np.array(p_cnt)


def _passenger_weights() -> np.ndarray:
    base = np.array([w for *_, w in gn.PASSENGERS], dtype=np.float64)
    weights = np.tile(base, (cat.N_TYPES, 1))
    names = [g for g, *_ in gn.PASSENGERS]
    for t, cancer in enumerate(cat.CANCER_NAMES):
        for gene, boost in gn.PASSENGER_BOOSTS.get(cancer, {}).items():
            weights[t, names.index(gene)] *= boost
    return np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)


_DETAILS, _D_OFF, _D_CNT, _P_OFF, _P_CNT = _detail_vocabulary()
_PASSENGER_CDF = _passenger_weights()
_PASSENGER_GENE = np.array([gn.GENE_INDEX[g] for g, *_ in gn.PASSENGERS], dtype=np.int64)
_PASSENGER_TYPE = np.array([ALTERATION_TYPES.index(t) for _, t, *_ in gn.PASSENGERS], dtype=np.int64)
_DRIVER_GENE = np.array([gn.GENE_INDEX[g] for g in gn.DRIVER_GENES], dtype=np.int64)
_DRIVER_TYPE = np.array([ALTERATION_TYPES.index(t) for _, t, _, _ in gn.DRIVERS], dtype=np.int64)
_DRIVER_SLOT_PARTNER = [partner for *_, partner in gn.DRIVERS]


def genomic_alterations(
    rng: np.random.Generator,
    p: Patients,
    reports: pa.Table,
    report_owner: IntArray,
    report_panel: IntArray,
    report_blood: BoolArray,
) -> tuple[pa.Table, GenomicTruth]:
    """Alterations of every report of the block, and the per-patient genomic truth."""
    ntrk_gene, partner_idx, partners = draw_ntrk_fusions(rng, p)
    driver = draw_drivers(rng, p)
    n_rep = len(report_owner)
    report_day = reports.column("report_date").to_numpy().astype("datetime64[D]").astype(np.int64)

    # NTRK fusions
    ntrk_slot = np.array([gene_slot(g) for g in gn.NTRK_GENES] + [0])[ntrk_gene[report_owner]]
    partner_slot = np.array([gene_slot(name) for name in partners] + [0])[partner_idx[report_owner]]
    ntrk_on_panel = PANEL_MEMBER[report_panel, np.minimum(ntrk_slot, len(gn.ALL_GENES) - 1)]
    baited = ntrk_on_panel & (PANEL_BAITED[report_panel, ntrk_slot] | PANEL_BAITED[report_panel, partner_slot])
    sensitive = ~report_blood | (rng.random(n_rep) < gn.P_BLOOD_DETECTS)
    f_rep = np.flatnonzero(p.is_ntrk[report_owner] & baited & sensitive)
    f_gene = np.array([gn.GENE_INDEX[g] for g in gn.NTRK_GENES])[ntrk_gene[report_owner[f_rep]]]

    # Drivers
    d = driver[report_owner]
    has = d >= 0
    d_safe = np.where(has, d, 0)
    covered = PANEL_MEMBER[report_panel, _DRIVER_GENE[d_safe]]
    is_rearr = _DRIVER_TYPE[d_safe] == 2
    covered &= ~is_rearr | PANEL_BAITED[report_panel, _DRIVER_GENE[d_safe]]
    d_rep = np.flatnonzero(has & covered & (~report_blood | (rng.random(n_rep) < gn.P_BLOOD_DETECTS)))
    d_which = d[d_rep]
    d_detail = _D_OFF[d_which] + np.floor(rng.random(len(d_rep)) * _D_CNT[d_which]).astype(np.int64)

    # Passengers
    mean = np.where(report_blood, 0.6, 1.0) * gn.PASSENGER_MEAN_PER_REPORT
    p_owner, _ = expand(rng.poisson(mean))
    cdf = _PASSENGER_CDF[p.cancer_type[report_owner[p_owner]]]
    which = np.minimum((rng.random(len(p_owner))[:, None] > cdf).sum(axis=1), len(gn.PASSENGERS) - 1)
    on_panel = PANEL_MEMBER[report_panel[p_owner], _PASSENGER_GENE[which]]
    p_rep, which = p_owner[on_panel], which[on_panel]
    _, first = np.unique(p_rep * 1000 + which, return_index=True)
    p_rep, which = p_rep[first], which[first]
    p_detail = _P_OFF[which] + np.floor(rng.random(len(p_rep)) * _P_CNT[which]).astype(np.int64)
    p_functional = rng.random(len(p_rep)) < gn.P_PASSENGER_FUNCTIONAL

    partner_vocab: list[str | None] = [*partners, *sorted({x for x in _DRIVER_SLOT_PARTNER if x}), None]
    fusion_details = [f"{partners[k]}-{gn.NTRK_GENES[g]} fusion" for g in range(3) for k in range(len(partners))]
    detail_vocab = [*_DETAILS, *fusion_details]
    no_partner = len(partner_vocab) - 1
    driver_partner = np.array(
        [partner_vocab.index(x) if x else no_partner for x in _DRIVER_SLOT_PARTNER], dtype=np.int64
    )
    f_partner = partner_idx[report_owner[f_rep]]
    rep = np.concatenate([f_rep, d_rep, p_rep])
    kind = np.concatenate(
        [np.full(len(f_rep), KIND_FUSION), np.full(len(d_rep), KIND_DRIVER), np.full(len(p_rep), KIND_PASSENGER)]
    )
    gene = np.concatenate([f_gene, _DRIVER_GENE[d_which], _PASSENGER_GENE[which]])
    a_type = np.concatenate([np.full(len(f_rep), 2), _DRIVER_TYPE[d_which], _PASSENGER_TYPE[which]])
    detail = np.concatenate(
        [len(_DETAILS) + ntrk_gene[report_owner[f_rep]] * len(partners) + f_partner, d_detail, p_detail]
    )
    partner = np.concatenate([f_partner, driver_partner[d_which], np.full(len(p_rep), no_partner)])
    functional = np.concatenate([np.ones(len(f_rep) + len(d_rep), dtype=np.bool_), p_functional])

    order = np.lexsort((gene, kind, rep))
    rep, gene, a_type, detail, partner, functional = (
        x[order] for x in (rep, gene, a_type, detail, partner, functional)
    )
    owner = report_owner[rep]
    counts = np.bincount(owner, minlength=p.n)
    _, k = expand(counts)
    keep = k < MAX_PER_PATIENT
    rep, gene, a_type, detail, partner, functional, owner, k = (
        x[keep] for x in (rep, gene, a_type, detail, partner, functional, owner, k)
    )
    table = pa.table(
        {
            "alteration_id": prefixed(b"ALT-", decimal_digits(p.index[owner] * 100 + k + 1, 10)),
            "report_id": reports.column("report_id").take(pa.array(rep)),
            "gene": categorical(gn.ALL_GENES, gene),
            "alteration_type": categorical(ALTERATION_TYPES, a_type),
            "alteration_detail": categorical(detail_vocab, detail),
            "fusion_partner": categorical(partner_vocab, partner),
            "is_functional": pa.array(functional, type=pa.bool_()),
            PIDX: pa.array(owner.astype(np.int32)),
        }
    )
    first_ntrk = np.full(p.n, NO_DAY, dtype=np.int64)
    np.minimum.at(first_ntrk, report_owner[f_rep], report_day[f_rep])
    truth = GenomicTruth(
        ntrk_gene=ntrk_gene,
        partner=[partners[i] if i >= 0 else None for i in partner_idx.tolist()],
        driver=driver,
        first_ntrk_report_day=first_ntrk,
    )
    return table, truth
