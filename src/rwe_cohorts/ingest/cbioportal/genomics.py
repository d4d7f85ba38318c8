"""The genomic raw tables of a cBioPortal study: one report per sample, its structural variants, the panels.

- ``genomic_reports``: one per delivered sample (``ORD-<n>-01`` / ``SA-<n>``), dated at its sequencing date; assay
  ``Other NGS``; ``panel_version`` ``<gene panel or study id>/sv`` when the sample was profiled for structural
  variants, ``.../no-sv`` when it was not; specimen ``Blood`` for cfDNA / plasma samples, else ``Tissue``;
  ``sample_type`` ``Primary`` / ``Metastasis`` from ``SAMPLE_TYPE`` (null when the study says neither).
- ``genomic_alterations``: one ``rearrangement`` per distinct classified event (identical duplicates, e.g. the two
  rows of a fusion in ``data_fusions.txt``, collapse). ``gene`` is the NTRK gene when one is involved, else a
  canonical driver, else the alphabetically first symbol; ``fusion_partner`` the other gene; ``is_functional`` is
  whether the event qualifies at the study's fusion strictness; ``alteration_detail`` the classification.
- ``panel_genes``: an ``/sv`` panel baits NTRK1-3 and every gene it reported for rearrangements; a ``/no-sv`` panel
  lists NTRK1-3 without rearrangement baits, so its samples are not assessable, never negative. Gene content of
  cBioPortal panels is not in the study folder, so a profiled sample counts as assessed for all three NTRK genes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rwe_cohorts.ingest.cbioportal.fusions import (
    NTRK_GENES,
    EventCall,
    FusionStrictness,
    SampleCall,
    call_samples,
    classify_event,
)
from rwe_cohorts.ingest.cbioportal.reader import CbioportalStudy, Sample
from rwe_cohorts.ingest.cbioportal.vocab import SAMPLE_TYPE, lookup, sample_type, specimen_type

ASSAY = "Other NGS"
GENE_PRIORITY: tuple[str, ...] = (*NTRK_GENES, "ALK", "ROS1", "RET", "BRAF", "EGFR", "ERBB2", "KRAS", "MET")
Row = dict[str, Any]


@dataclass(frozen=True)
class DeliveredSample:
    sample: Sample
    patient_id: str
    number: int
    report_date: dt.date
    specimen_date: dt.date | None

    @property
    def report_id(self) -> str:
        return f"ORD-{self.number:09d}-01"


@dataclass
class GenomicRows:
    reports: list[Row] = field(default_factory=list)
    alterations: list[Row] = field(default_factory=list)
    panels: list[Row] = field(default_factory=list)
    event_audit: list[Row] = field(default_factory=list)
    sample_calls: Mapping[str, SampleCall] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _panel(study: CbioportalStudy, sample_id: str, profiled: bool) -> str:
    base = study.sample_panels.get(sample_id) or study.study_id
    return f"{base}/{'sv' if profiled else 'no-sv'}"


def genomic_rows(study: CbioportalStudy, delivered: list[DeliveredSample], strictness: FusionStrictness) -> GenomicRows:
    """Reports, alterations, panels and the per-event audit for the delivered samples."""
    out = GenomicRows()
    by_sample = {d.sample.sample_id: d for d in delivered}
    calls: list[EventCall] = []
    unclassified = 0
    for event in study.sv_events:
        if event.sample_id not in by_sample:
            continue
        call = classify_event(event, GENE_PRIORITY)
        if call is None:
            unclassified += 1
            continue
        calls.append(call)
    profiled = study.sv_profiled | {c.sample_id for c in calls}
    out.sample_calls = call_samples(by_sample, calls, profiled, strictness)
    panel_genes: dict[str, set[str]] = {}
    for d in sorted(delivered, key=lambda d: d.number):
        is_profiled = d.sample.sample_id in profiled
        panel = _panel(study, d.sample.sample_id, is_profiled)
        panel_genes.setdefault(panel, set(NTRK_GENES))
        out.reports.append(
            {
                "report_id": d.report_id,
                "patient_id": d.patient_id,
                "sample_id": f"SA-{d.number:09d}",
                "specimen_collected_date": d.specimen_date,
                "report_date": d.report_date,
                "assay": ASSAY,
                "panel_version": panel,
                "specimen_type": specimen_type(lookup((d.sample.attrs,), SAMPLE_TYPE)),
                "sample_type": sample_type(lookup((d.sample.attrs,), SAMPLE_TYPE)),
            }
        )
    seen: dict[tuple[object, ...], EventCall] = {}
    for call in calls:
        key = (call.sample_id, call.gene, call.partner, call.kind, call.frame, call.is_rna_supported)
        seen.setdefault(key, call)
    unique = sorted(seen.values(), key=lambda c: (by_sample[c.sample_id].number, c.gene, c.partner or "", c.kind))
    for number, call in enumerate(unique, start=1):
        d = by_sample[call.sample_id]
        panel_genes[_panel(study, call.sample_id, True)].add(call.gene)
        out.alterations.append(
            {
                "alteration_id": f"ALT-{number:010d}",
                "report_id": d.report_id,
                "gene": call.gene,
                "alteration_type": "rearrangement",
                "alteration_detail": call.detail,
                "fusion_partner": call.partner,
                "is_functional": call.qualifies(strictness),
            }
        )
    for call in calls:
        out.event_audit.append(
            {
                "source": call.source,
                "source_sample_id": call.sample_id,
                "report_id": by_sample[call.sample_id].report_id,
                "gene": call.gene,
                "partner": call.partner,
                "kind": call.kind,
                "frame": call.frame.value,
                "is_rna_supported": call.is_rna_supported,
                **{f"qualifies_{s.value}": call.qualifies(s) for s in FusionStrictness},
            }
        )
    for panel in sorted(panel_genes):
        baited = panel.endswith("/sv")
        out.panels += [
            {"panel_version": panel, "gene": g, "is_rearrangement_baited": baited} for g in sorted(panel_genes[panel])
        ]
    ntrk = [c for c in calls if c.gene in NTRK_GENES]
    out.counts = {
        "sv_events_read": len(study.sv_events),
        "sv_events_without_gene_symbol": unclassified,
        "sv_events_duplicate": len(calls) - len(unique),
        "ntrk_events": len(ntrk),
        **{f"ntrk_events_{kind}": sum(c.kind == kind for c in ntrk) for kind in sorted({c.kind for c in ntrk})},
        **{f"ntrk_events_qualifying_{s.value}": sum(c.qualifies(s) for c in ntrk) for s in FusionStrictness},
        "samples_sv_profiled": sum(s in profiled for s in by_sample),
    }
    return out
