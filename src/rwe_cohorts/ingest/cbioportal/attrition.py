"""The conversion's own attrition: who in the cBioPortal study is not delivered, and why, counted per reason.

Steps, in order (counts from :func:`.tables.build_tables`):

1. ``in_study``: every patient in the patient or the sample file, every sample in the sample file.
2. ``with_sample``: patients with no sample are not delivered (nothing to sequence).
3. ``one_cancer_type``: a patient is one cancer type, the OncoTree main type of their first sequenced sample with a
   solid-tumour type (ties: sample id); samples of any other type (or of none) are not delivered, so a second cancer's
   NTRK status never becomes this patient's. Patients stay.
4. ``with_age``: patients without any age (rules in :mod:`.ages`) are not delivered when the study spec needs an age
   (a minimum age, or age in the propensity score); otherwise they are delivered without a birth year.

The delivered patients are the pipeline's "All patients in the delivery" (plus one placeholder patient when a table
needed one). Some of them are removed later, at counted steps of the pipeline's own attrition, and the conversion
says how many and where (:data:`DOWNSTREAM`): not a solid tumour or unknown cancer type (``solid_tumour_with_ngs``),
no usable survival (``follow_up_after_entry``), no sample profiled for structural variants (``exposure_assessable``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rwe_cohorts.ingest.cbioportal.ages import AGE_COLUMNS_LOOKED_FOR

DOWNSTREAM: tuple[tuple[str, str, str], ...] = (
    ("patients_not_solid_tumour", "not a solid tumour (haematological OncoTree type)", "solid_tumour_with_ngs"),
    ("patients_cancer_type_unknown", "cancer type not in OncoTree", "solid_tumour_with_ngs"),
    ("patients_without_survival", "no usable OS_STATUS / OS_MONTHS", "follow_up_after_entry"),
    ("patients_ntrk_unknown", "no sample profiled for structural variants", "exposure_assessable"),
)


def conversion_attrition(counts: Mapping[str, int], *, age_required: bool) -> list[dict[str, Any]]:
    """The steps of the module docstring, each with patients and samples remaining and removed."""
    patients, samples = counts.get("patients_in_study", 0), counts.get("samples_in_study", 0)
    steps: list[dict[str, Any]] = [
        {
            "step": "in_study",
            "description": "Patients in the cBioPortal study (patient or sample file)",
            "patients": patients,
            "samples": samples,
            "patients_removed": 0,
            "samples_removed": 0,
        }
    ]
    no_age = (counts.get("patients_without_age", 0), counts.get("samples_without_age", 0)) if age_required else (0, 0)
    removals = (
        ("with_sample", "With a sample in the clinical sample file", counts.get("patients_without_samples", 0), 0),
        (
            "one_cancer_type",
            "Samples of the patient's cancer type (OncoTree main type of the first sequenced solid-tumour sample)",
            0,
            counts.get("samples_other_cancer_type", 0),
        ),
        (
            "with_age",
            "With an age at sequencing, given or derived"
            if age_required
            else "Age not needed by the study spec (patients without one delivered without a birth year)",
            *no_age,
        ),
    )
    for step, description, lost_patients, lost_samples in removals:
        patients, samples = patients - lost_patients, samples - lost_samples
        steps.append(
            {
                "step": step,
                "description": description,
                "patients": patients,
                "samples": samples,
                "patients_removed": lost_patients,
                "samples_removed": lost_samples,
            }
        )
    return steps


def downstream(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """Delivered patients the pipeline will remove, per reason, with the attrition step that removes them."""
    return [
        {"reason": reason, "patients": counts.get(key, 0), "pipeline_step": step}
        for key, reason, step in DOWNSTREAM
        if counts.get(key, 0)
    ]


def attrition_lines(steps: list[dict[str, Any]], later: list[dict[str, Any]]) -> list[str]:
    """The attrition as text lines (for the command's output and the error when nobody can be delivered)."""
    first = steps[0]
    lines = [f"{first['patients']:,} patients, {first['samples']:,} samples in the study"]
    for s in steps[1:]:
        removed = [f"{s['patients_removed']:,} patients"] * bool(s["patients_removed"])
        removed += [f"{s['samples_removed']:,} samples"] * bool(s["samples_removed"])
        lines.append(f"  {s['step']}: {s['description']}: removed {', '.join(removed) or 'none'}")
    last = steps[-1]
    lines.append(f"delivered: {last['patients']:,} patients, {last['samples']:,} samples")
    lines += [
        f"  later removed by the pipeline at {d['pipeline_step']}: {d['patients']:,} ({d['reason']})" for d in later
    ]
    return lines


def nobody_delivered(steps: list[dict[str, Any]], *, sample_file: str) -> str:
    """The message when no patient can be delivered: the counts per reason and the columns the conversion looked for."""
    reasons = "; ".join(
        f"{s['step']} removed {s['patients_removed']:,} ({s['description'].lower()})"
        for s in steps[1:]
        if s["patients_removed"]
    )
    return (
        f"no patient can be delivered: of {steps[0]['patients']:,} patients in the study, {reasons or 'none remain'}. "
        f"Columns looked for: PATIENT_ID and SAMPLE_ID in {sample_file}; for the age, {AGE_COLUMNS_LOOKED_FOR} "
        "(sample file, then patient file)"
    )
