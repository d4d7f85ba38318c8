"""The study spec's cBioPortal source options: optional, defaulted, and invisible to the existing specs."""

from __future__ import annotations

import copy

import pytest

from rwe_cohorts.core.spec import StudySpec, StudySpecError, load_spec, parse_spec
from rwe_cohorts.core.warehouse import PROJECT_ROOT

STUDIES = PROJECT_ROOT / "pipelines" / "studies"


@pytest.mark.parametrize("name", ["ntrk_hibar2022", "alk_nsclc"])
def test_synthetic_specs_resolve_without_source_options(name: str) -> None:
    spec = load_spec(STUDIES / f"{name}.yaml")
    assert spec.source == "synthetic_cgdb" and spec.cbioportal is None
    assert "cbioportal" not in spec.to_dict()  # so their resolved form and hash are what they were


def test_cbioportal_spec_ships_and_defaults_fill_in(spec: StudySpec) -> None:
    shipped = load_spec(STUDIES / "ntrk_cbioportal.yaml")
    assert shipped.source == "cbioportal" and shipped.cbioportal is not None
    assert shipped.cbioportal.fusion_strictness == "named_partner"
    assert shipped.matching.exact == ("cancer_type",)
    data = copy.deepcopy(spec.to_dict()) | {"source": "cbioportal"}
    defaulted = parse_spec(data)
    assert defaulted.cbioportal is not None and defaulted.cbioportal.time_origin == "auto"
    assert defaulted.to_dict()["cbioportal"]["anchor_date"] == "2000-01-01"


def test_source_options_are_validated(spec: StudySpec) -> None:
    data = copy.deepcopy(spec.to_dict())
    with pytest.raises(StudySpecError, match="only valid with source: cbioportal"):
        parse_spec(data | {"cbioportal": {"fusion_strictness": "confirmed"}})
    with pytest.raises(StudySpecError, match=r"cbioportal\.fusion_strictness"):
        parse_spec(data | {"source": "cbioportal", "cbioportal": {"fusion_strictness": "strict"}})
