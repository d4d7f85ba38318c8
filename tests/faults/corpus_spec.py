"""Study spec faults of the bad-delivery corpus: the delivery is a faithful copy of the clean one, but the study spec
is invalid (an unknown field, a wrong type, an empty list, a window that ends before it starts), so the study
resource refuses it when the run starts and no step runs.
"""

from __future__ import annotations

from typing import Any

from corpus_base import Fault

# --------------------------------------------------------------------------------------------------------------------
# Study spec edits (on the test's spec, a dict)
# --------------------------------------------------------------------------------------------------------------------


def spec_unknown_field(spec: dict[str, Any]) -> None:
    spec["matching"]["caliper_width"] = 0.2  # the field is caliper_sd


def spec_wrong_type(spec: dict[str, Any]) -> None:
    spec["matching"]["ratio"] = "ten"


def spec_empty_drug_list(spec: dict[str, Any]) -> None:
    spec["eligibility"]["excluded_drugs"] = []


def spec_window_end_before_start(spec: dict[str, Any]) -> None:
    spec["eligibility"]["advanced_diagnosis_start_date"] = "2019-12-31"
    spec["eligibility"]["advanced_diagnosis_end_date"] = "2011-01-01"


# --------------------------------------------------------------------------------------------------------------------
# The spec faults
# --------------------------------------------------------------------------------------------------------------------

SPEC_FAULTS: tuple[Fault, ...] = (
    # ---- the study spec: refused when the run starts (the study resource loads it) ----------------------------------
    Fault("spec_unknown_field", "study spec", "matching.caliper_width (a typo of caliper_sd)", "run_start",
          ("matching.caliper_width", "Extra inputs are not permitted"), spec_edit=spec_unknown_field),
    Fault("spec_wrong_type", "study spec", "matching.ratio: 'ten'", "run_start",
          ("matching.ratio", "valid integer"), spec_edit=spec_wrong_type),
    Fault("spec_empty_drug_list", "study spec", "eligibility.excluded_drugs: []", "run_start",
          ("eligibility.excluded_drugs", "at least 1 item"), spec_edit=spec_empty_drug_list),
    Fault("spec_window_end_before_start", "study spec", "the advanced-diagnosis window ends before it starts",
          "run_start", ("eligibility", "advanced_diagnosis_end_date 2011-01-01 is before advanced_diagnosis_start_date "
          "2019-12-31"), spec_edit=spec_window_end_before_start),
)  # fmt: skip
