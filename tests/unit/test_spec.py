"""The study spec: parses into typed frozen objects, round-trips, hashes canonically, lists every error at once."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from rwe_cohorts.core.spec import StudySpec, StudySpecError, dump_spec, load_spec, parse_spec
from rwe_cohorts.core.warehouse import PROJECT_ROOT

STUDIES = sorted((PROJECT_ROOT / "pipelines" / "studies").glob("*.yaml"))


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_every_shipped_spec_round_trips(path: Path) -> None:
    spec = load_spec(path)
    again = parse_spec(yaml.safe_load(dump_spec(spec)))
    assert again == spec
    assert again.spec_hash == spec.spec_hash


def test_spec_values_are_typed_and_frozen(spec: StudySpec) -> None:
    assert spec.matching.ratio == 10
    assert spec.eligibility.excluded_drugs[:2] == ("larotrectinib", "entrectinib")
    assert spec.eligibility.advanced_diagnosis_start_date.year == 2011
    assert spec.analysis("primary").delayed_entry is True
    with pytest.raises(Exception, match="frozen"):
        spec.matching.ratio = 5  # type: ignore[misc]


def test_hash_ignores_key_order_but_not_values(spec: StudySpec) -> None:
    data = spec.to_dict()
    reordered = dict(reversed(list(data.items())))
    assert parse_spec(reordered).spec_hash == spec.spec_hash
    changed = copy.deepcopy(data)
    changed["matching"]["ratio"] = 5
    assert parse_spec(changed).spec_hash != spec.spec_hash


def test_invalid_spec_lists_every_error(spec: StudySpec) -> None:
    data = copy.deepcopy(spec.to_dict())
    data["eligibility"]["excluded_drugs"] = []
    data["matching"]["ratio"] = "ten"
    data["matching"]["caliper_sd"] = -1
    data["unknown_field"] = 1
    data["analyses"][0]["index"] = "diagnosis"
    with pytest.raises(StudySpecError) as err:
        parse_spec(data, "bad.yaml")
    locations = [e.split(":")[0] for e in err.value.errors]
    assert set(locations) >= {
        "eligibility.excluded_drugs",
        "matching.ratio",
        "matching.caliper_sd",
        "unknown_field",
        "analyses.0.index",
    }
    assert "bad.yaml" in str(err.value)


def test_window_end_before_start_is_rejected(spec: StudySpec) -> None:
    data = copy.deepcopy(spec.to_dict())
    data["eligibility"]["advanced_diagnosis_end_date"] = "2010-01-01"
    with pytest.raises(StudySpecError, match="before advanced_diagnosis_start_date"):
        parse_spec(data)


def test_unreadable_spec_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("study_id: [unclosed")
    with pytest.raises(StudySpecError, match=r"bad\.yaml"):
        load_spec(bad)
