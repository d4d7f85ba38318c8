"""What a conversion did: :class:`ConversionSummary`, stored as the delivery manifest's ``source`` block and in
``source/conversion.json``, and read back with :func:`read_source_summary` (the report's provenance, time axis, age
rule and the conversion's attrition come from it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rwe_cohorts.ingest.cbioportal.ages import age_statement
from rwe_cohorts.ingest.cbioportal.attrition import conversion_attrition, downstream
from rwe_cohorts.ingest.delivery import MANIFEST

SOURCE_NAME = "cbioportal"


@dataclass(frozen=True)
class ConversionSummary:
    """What a conversion did; stored as the manifest's ``source`` block and in ``source/conversion.json``."""

    study_id: str
    study_name: str
    delivery_folder: str
    data_cut_id: str
    data_cut_date: str
    fusion_strictness: str
    time_origin_requested: str
    time_origin_applied: str
    anchor_date: str
    days_per_month: float
    age_required: bool
    oncotree_version: str
    sv_file: str
    sv_layout: str
    sv_profiled_source: str
    timeline_files: tuple[str, ...]
    placeholder_patient_id: str | None
    placeholder_tables: tuple[str, ...]
    counts: Mapping[str, int]
    notes: tuple[str, ...]

    @property
    def time_axis_statement(self) -> str:
        """One sentence for the report: which time zero applied and why (see :mod:`.timeaxis`)."""
        with_dx = self.counts.get("patients_with_diagnosis_date", 0)
        delivered = self.counts.get("patients_with_solid_tumour", 0)
        if self.time_origin_applied == "diagnosis":
            head = (
                "Time zero is the diagnosis date from the cBioPortal timeline files; entry (left truncation) is the "
                "time from diagnosis to sequencing, because cBioPortal's OS_MONTHS counts from sequencing"
            )
            if with_dx < delivered:
                head += (
                    f"; {delivered - with_dx} of {delivered} patients with a solid tumour have no timeline diagnosis "
                    "date, hence no index date, and are removed at the attrition step advanced_in_window"
                )
        else:
            why = (
                "the spec asks for it"
                if self.time_origin_requested == "sequencing"
                else "the study has no timeline files"
                if not self.timeline_files
                else f"the timeline gives a diagnosis date for {with_dx} of {delivered} patients with a solid tumour"
            )
            head = (
                "Time zero is the sequencing date (cBioPortal's OS_MONTHS counts from sequencing), so entry is 0 "
                f"for every patient: {why}"
            )
        return (
            f"{head}. Dates are synthesised from relative times (anchor {self.anchor_date}; deaths placed on the "
            "imputed day of the month), so calendar years carry no information."
        )

    @property
    def age_statement(self) -> str:
        """One sentence for the report: which age rule applied to how many patients (see :mod:`.ages`)."""
        return age_statement(self.counts, days_per_month=self.days_per_month)

    @property
    def attrition(self) -> list[dict[str, Any]]:
        """The conversion's attrition steps (:func:`.attrition.conversion_attrition`)."""
        return conversion_attrition(self.counts, age_required=self.age_required)

    @property
    def removed_downstream(self) -> list[dict[str, Any]]:
        """Delivered patients the pipeline removes later, per reason and attrition step."""
        return downstream(self.counts)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["timeline_files"] = list(self.timeline_files)
        data["placeholder_tables"] = list(self.placeholder_tables)
        data["counts"] = dict(self.counts)
        data["notes"] = list(self.notes)
        return {
            "name": SOURCE_NAME,
            **data,
            "time_axis_statement": self.time_axis_statement,
            "age_statement": self.age_statement,
            "attrition": self.attrition,
            "removed_downstream": self.removed_downstream,
        }


def read_source_summary(delivery_folder: Path) -> dict[str, Any] | None:
    """The ``source`` block of a converted delivery's manifest (None for a delivery from another source)."""
    path = Path(delivery_folder) / MANIFEST
    if not path.is_file():
        return None
    source = json.loads(path.read_text()).get("source")
    return source if isinstance(source, dict) and source.get("name") == SOURCE_NAME else None
