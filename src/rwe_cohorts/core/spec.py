"""The study design as data: a YAML study spec parsed into typed, frozen, validated objects.

Every error in a spec is reported at once (``StudySpecError.errors``), each with its location in the file. The resolved
spec (defaults filled in) and its SHA-256 hash are stored with every result so a number can always be traced back to
the exact design that produced it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class StudySpecError(ValueError):
    """A study spec is invalid; ``errors`` lists every problem as ``location: message``."""

    def __init__(self, source: str, errors: list[str]) -> None:
        self.source = source
        self.errors = errors
        super().__init__(f"invalid study spec {source}: {len(errors)} error(s)\n  " + "\n  ".join(errors))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Arms(_Frozen):
    exposed: str = Field(min_length=1)
    comparator: str = Field(min_length=1)


class Eligibility(_Frozen):
    min_age_years: int = Field(ge=0, le=120)
    advanced_diagnosis_start_date: dt.date
    advanced_diagnosis_end_date: dt.date
    cancer_types: tuple[str, ...] = ()
    excluded_drugs: tuple[str, ...] = Field(min_length=1)

    @field_validator("excluded_drugs")
    @classmethod
    def _drugs_lower(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not d.strip() for d in v):
            raise ValueError("drug names must be non-empty")
        return tuple(d.strip().lower() for d in v)

    @model_validator(mode="after")
    def _window(self) -> Eligibility:
        if self.advanced_diagnosis_end_date < self.advanced_diagnosis_start_date:
            raise ValueError(
                f"advanced_diagnosis_end_date {self.advanced_diagnosis_end_date} is before "
                f"advanced_diagnosis_start_date {self.advanced_diagnosis_start_date}"
            )
        return self


class Exposure(_Frozen):
    genes: tuple[str, ...] = Field(min_length=1)
    alteration_types: tuple[Literal["rearrangement", "short variant", "copy number alteration"], ...] = Field(
        min_length=1
    )
    require_functional: bool = True
    # Negative status needs a report whose panel covers (rearrangement-baited when rearrangements define exposure)
    # any one of the exposure genes, or all of them; otherwise the patient is "not assessable", never "negative".
    negative_requires: Literal["any_gene_assessed", "all_genes_assessed"] = "all_genes_assessed"


class Covariates(_Frozen):
    driver_genes: tuple[str, ...]
    ecog_window_days_before: int = Field(ge=0)
    ecog_window_days_after: int = Field(ge=0)
    brain_metastasis_codes: tuple[str, ...] = Field(min_length=1)
    # Table 1 (marts.baseline_characteristics) reports the share of patients aged >= this at the index date.
    older_age_years: int = Field(default=65, ge=1, le=120)


class TimeAxis(_Frozen):
    primary_index: Literal["advanced_diagnosis"] = "advanced_diagnosis"
    death_day_of_month: int = Field(ge=1, le=28)
    days_per_month: float = Field(gt=0)


class PsCovariate(_Frozen):
    name: str
    kind: Literal["continuous", "categorical"]


class PsModel(_Frozen):
    """How the propensity model is estimated (``rwe_cohorts.matching.propensity``; every field required, so the
    spec states the whole estimator).

    ``penalty: l2`` minimises -loglik(b) + (penalty_lambda / 2) * sum of the squared penalised coefficients (a
    normal prior with SD 1 / sqrt(penalty_lambda) on each), on the scale ``standardize`` sets: ``continuous``
    (continuous covariates centred and divided by their SD, ddof 0; 0/1 level indicators as they are), ``all``
    (indicators too) or ``none``. ``penalize_intercept: false`` leaves the intercept out of the penalty.
    ``penalty: none`` is the unpenalised MLE (``penalty_lambda`` must then be null). ``include_exact`` adds the
    exact-matching variables as categorical terms, so the other coefficients are within-stratum associations.
    A categorical level with fewer than ``min_level_patients`` patients is merged into its covariate's reference
    level (the most frequent) and reported."""

    penalty: Literal["l2", "none"]
    penalty_lambda: float | None = Field(gt=0)
    penalize_intercept: bool
    standardize: Literal["continuous", "all", "none"]
    include_exact: bool
    min_level_patients: int = Field(ge=1)

    @model_validator(mode="after")
    def _lambda(self) -> PsModel:
        if self.penalty == "l2" and self.penalty_lambda is None:
            raise ValueError("penalty l2 needs penalty_lambda > 0")
        if self.penalty == "none" and self.penalty_lambda is not None:
            raise ValueError(f"penalty none takes no penalty_lambda (got {self.penalty_lambda})")
        return self


class Matching(_Frozen):
    exact: tuple[str, ...]
    ps_covariates: tuple[PsCovariate, ...] = Field(min_length=1)
    ps_model: PsModel
    ratio: int = Field(ge=1, le=100)
    caliper_sd: float | None = Field(default=None, gt=0)
    replace: bool = False
    order: Literal["largest", "smallest"] = "largest"
    balance_smd_threshold: float = Field(gt=0)
    # Family-wise alpha of the test that an |SMD| after matching exceeds the threshold (Bonferroni over the balance
    # rows; Hripcsak et al. 2025, CohortMethod computeCovariateBalance); null: every |SMD| above it is an imbalance.
    balance_alpha: float | None = Field(gt=0, lt=1)
    balance_blocking: bool = False


class Survival(_Frozen):
    conf_type: Literal["log", "log-log", "plain"] = "log"
    landmarks_months: tuple[float, ...]
    risk_table_months: tuple[float, ...]
    rmst_tau_months: float = Field(gt=0)
    robustness_match_orders: int = Field(ge=0)
    robustness_seed: int


class Analysis(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    index: Literal["advanced_diagnosis", "last_line_before_report"]
    delayed_entry: bool
    population: Literal["matched", "matched_caliper", "eligible_iptw"]
    caliper_sd: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _caliper(self) -> Analysis:
        if self.population == "matched_caliper" and self.caliper_sd is None:
            raise ValueError(f"analysis {self.id!r}: population matched_caliper needs caliper_sd")
        return self


class Privacy(_Frozen):
    min_cell_count: int = Field(ge=1)


class Published(_Frozen):
    """Numbers from the published study, shown beside the reproduction (never used in computation)."""

    model_config = ConfigDict(frozen=True, extra="allow")


class CbioportalSource(_Frozen):
    """How a public cBioPortal study is converted into a delivery (``rwe_cohorts.ingest.cbioportal``): which structural
    variants make a sample NTRK fusion-positive, which date is time zero, and the date the synthesised calendar
    starts from (cBioPortal gives months and days, not dates)."""

    fusion_strictness: Literal["any_sv", "named_partner", "confirmed"] = "named_partner"
    time_origin: Literal["auto", "sequencing", "diagnosis"] = "auto"
    anchor_date: dt.date = dt.date(2000, 1, 1)


class StudySpec(_Frozen):
    study_id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    reference: str
    source: Literal["synthetic_cgdb", "cbioportal"]
    # Options of the cBioPortal source (defaults filled in when source is cbioportal; absent otherwise, so the
    # resolved form and hash of a synthetic-CGDB spec do not change).
    cbioportal: CbioportalSource | None = None
    arms: Arms
    eligibility: Eligibility
    exposure: Exposure
    covariates: Covariates
    time_axis: TimeAxis
    matching: Matching
    survival: Survival
    analyses: tuple[Analysis, ...] = Field(min_length=1)
    privacy: Privacy
    published: Published | None = None

    @model_validator(mode="before")
    @classmethod
    def _source_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("source") == "cbioportal" and data.get("cbioportal") is None:
            return {**data, "cbioportal": {}}
        return data

    @model_validator(mode="after")
    def _source_options(self) -> StudySpec:
        if self.source != "cbioportal" and self.cbioportal is not None:
            raise ValueError(f"cbioportal options are only valid with source: cbioportal (source is {self.source!r})")
        return self

    @model_validator(mode="after")
    def _analyses(self) -> StudySpec:
        ids = [a.id for a in self.analyses]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate analysis ids: {dupes}")
        if "primary" not in ids:
            raise ValueError("an analysis with id 'primary' is required")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec (defaults filled in) as plain JSON-compatible data."""
        data = self.model_dump(mode="json")
        if data.get("cbioportal") is None:
            data.pop("cbioportal", None)
        return data

    @property
    def spec_hash(self) -> str:
        """SHA-256 of the canonical JSON of the resolved spec (key order and formatting do not matter)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def analysis(self, analysis_id: str) -> Analysis:
        for a in self.analyses:
            if a.id == analysis_id:
                return a
        raise KeyError(f"study {self.study_id} has no analysis {analysis_id!r}")


def _format_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{loc}: {msg}")
    return out


def parse_spec(data: Any, source: str = "<data>") -> StudySpec:
    """Validate already-loaded spec data; raise ``StudySpecError`` listing every error."""
    if not isinstance(data, dict):
        raise StudySpecError(source, ["<root>: expected a mapping"])
    try:
        return StudySpec.model_validate(data)
    except ValidationError as exc:
        raise StudySpecError(source, _format_errors(exc)) from None


def load_spec(path: Path | str) -> StudySpec:
    """Load and validate a study spec YAML file."""
    path = Path(path)
    if not path.is_file():
        raise StudySpecError(str(path), ["<file>: no such file"])
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise StudySpecError(str(path), [f"<file>: {exc}"]) from exc
    return parse_spec(data, str(path))


def dump_spec(spec: StudySpec) -> str:
    """The resolved spec as YAML; ``load`` of this text gives an equal spec (round trip)."""
    return yaml.safe_dump(spec.to_dict(), sort_keys=False, allow_unicode=True)
