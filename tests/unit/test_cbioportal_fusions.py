"""NTRK fusion calling from cBioPortal structural variants: pinned calls per strictness, whatever the partner order;
not profiled is unknown, never negative."""

from __future__ import annotations

import dataclasses

import pytest

from rwe_cohorts.ingest.cbioportal import (
    EventCall,
    Frame,
    FusionStrictness,
    SampleStatus,
    SvEvent,
    call_samples,
    classify_event,
)
from rwe_cohorts.ingest.cbioportal.fusions import parse_frame

ANY, NAMED, CONFIRMED = FusionStrictness.ANY_SV, FusionStrictness.NAMED_PARTNER, FusionStrictness.CONFIRMED


def _event(site1: str | None, site2: str | None, *, frame=None, rna=None, text="", sample="S1") -> SvEvent:  # type: ignore[no-untyped-def]
    return SvEvent(sample, site1, site2, frame=frame, rna_support=rna, description=text, source="t:1")


# id: (event, "gene/partner kind frame" + qualifies at any_sv, named_partner, confirmed as 0/1; "-" = no partner)
CASES = {
    "in_frame_rna": (_event("ETV6", "NTRK3", frame="In_frame", rna="Yes"), "NTRK3/ETV6 fusion in_frame 111"),
    "reversed_unknown_frame": (_event("NTRK1", "TPM3"), "NTRK1/TPM3 fusion unknown 110"),
    "rna_only": (_event("TPR", "NTRK1", frame="NA", rna="yes"), "NTRK1/TPR fusion unknown 111"),
    "archer_text": (_event("LMNA", "NTRK1", text="LMNA-NTRK1 fusion - Archer"), "NTRK1/LMNA fusion unknown 111"),
    "in_frame_in_text": (
        _event("NTRK3", "ETV6", text="Protein fusion: in frame (ETV6-NTRK3)"),
        "NTRK3/ETV6 fusion in_frame 111",
    ),
    "intragenic_same_gene": (_event("NTRK1", "NTRK1", frame="In_frame"), "NTRK1/- intragenic in_frame 100"),
    "intragenic_text": (_event("NTRK1", None, text="NTRK1-intragenic"), "NTRK1/- intragenic unknown 100"),
    "antisense": (_event("SQSTM1", "NTRK2", rna="Yes", text="Antisense fusion"), "NTRK2/SQSTM1 antisense unknown 100"),
    "out_of_frame": (_event("BTBD1", "NTRK3", frame="Frameshift", rna="Yes"), "NTRK3/BTBD1 fusion out_of_frame 100"),
    "out_of_frame_text": (
        _event("NTRK3", "BTBD1", text="Protein fusion: out of frame (BTBD1-NTRK3)"),
        "NTRK3/BTBD1 fusion out_of_frame 100",
    ),
    "intergenic": (_event("NTRK3", None, text="NTRK3 intergenic rearrangement"), "NTRK3/- intergenic unknown 100"),
    "no_partner": (_event(None, "NTRK2", text="NTRK2 rearrangement"), "NTRK2/- no_partner unknown 100"),
    "partner_from_text": (_event("NTRK3", None, text="ETV6-NTRK3 fusion"), "NTRK3/ETV6 fusion unknown 110"),
    "partner_from_annotation": (
        _event(None, "ntrk3", frame="in frame", text="ETV6 (NM_001987) - NTRK3 (NM_001012338) fusion"),
        "NTRK3/ETV6 fusion in_frame 111",
    ),
    "lower_case_symbols": (_event("etv6", " ntrk3 ", frame="in-frame"), "NTRK3/ETV6 fusion in_frame 111"),
}


def _described(call: EventCall | None) -> str:
    assert call is not None
    bits = "".join(str(int(call.qualifies(s))) for s in (ANY, NAMED, CONFIRMED))
    return f"{call.gene}/{call.partner or '-'} {call.kind} {call.frame.value} {bits}"


@pytest.mark.parametrize(("event", "expected"), CASES.values(), ids=CASES.keys())
def test_pinned_calls_per_strictness(event: SvEvent, expected: str) -> None:
    assert _described(classify_event(event)) == expected


@pytest.mark.parametrize("event", [e for e, _ in CASES.values()], ids=CASES.keys())
def test_partner_order_never_matters(event: SvEvent) -> None:
    swapped = dataclasses.replace(event, site1_gene=event.site2_gene, site2_gene=event.site1_gene)
    assert classify_event(swapped) == classify_event(event)


def test_strictness_levels_are_nested() -> None:
    for event, _ in CASES.values():
        call = classify_event(event)
        assert call is not None
        assert call.qualifies(ANY) >= call.qualifies(NAMED) >= call.qualifies(CONFIRMED)


def test_event_without_any_gene_symbol_is_not_classified() -> None:
    assert classify_event(_event(None, "", text="something")) is None
    assert classify_event(_event("NA", "RP11-1.2")) is None  # not symbol-shaped: cannot be placed on a panel


def test_non_ntrk_event_gets_a_driver_or_alphabetical_gene() -> None:
    call = classify_event(_event("EML4", "ALK", frame="In_frame"), ("NTRK1", "NTRK2", "NTRK3", "ALK"))
    assert call is not None and (call.gene, call.partner) == ("ALK", "EML4")
    assert classify_event(_event("ZFP1", "ABC2")) == classify_event(_event("ABC2", "ZFP1"))


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("In_frame", Frame.IN_FRAME),
        ("in-frame", Frame.IN_FRAME),
        ("Inframe", Frame.IN_FRAME),
        ("Out-of-frame", Frame.OUT_OF_FRAME),
        ("Frameshift", Frame.OUT_OF_FRAME),
        ("frame_shift", Frame.OUT_OF_FRAME),
        ("NA", Frame.UNKNOWN),
        (None, Frame.UNKNOWN),
    ],
)
def test_frame_spellings(text, frame) -> None:  # type: ignore[no-untyped-def]
    assert parse_frame(text) is frame


def test_explicit_frame_column_wins_over_text() -> None:
    assert parse_frame("In_frame", "Protein fusion: out of frame") is Frame.IN_FRAME
    assert parse_frame(None, "Protein fusion: out of frame") is Frame.OUT_OF_FRAME


def _calls(*events: SvEvent) -> list[EventCall]:
    return [c for e in events if (c := classify_event(e)) is not None]


def test_sample_status_positive_negative_unknown() -> None:
    calls = _calls(
        _event("ETV6", "NTRK3", frame="In_frame", sample="POS"),
        _event("NTRK1", "NTRK1", sample="INTRA"),
        _event("NTRK1", "NTRK1", sample="INTRA_UNPROFILED"),
        _event("EML4", "ALK", sample="ALK"),
    )
    samples = ["POS", "INTRA", "INTRA_UNPROFILED", "ALK", "PROFILED_NO_EVENT", "NOT_PROFILED"]
    profiled = ["POS", "INTRA", "ALK", "PROFILED_NO_EVENT"]
    named = call_samples(samples, calls, profiled, NAMED)
    assert {s: c.status for s, c in named.items()} == {
        "POS": SampleStatus.POSITIVE,
        "INTRA": SampleStatus.NEGATIVE,
        "INTRA_UNPROFILED": SampleStatus.NEGATIVE,  # it has an SV row, so it was profiled
        "ALK": SampleStatus.NEGATIVE,
        "PROFILED_NO_EVENT": SampleStatus.NEGATIVE,
        "NOT_PROFILED": SampleStatus.UNKNOWN,  # not tested is not negative
    }
    assert (named["POS"].gene, named["POS"].partner) == ("NTRK3", "ETV6")
    any_sv = call_samples(samples, calls, profiled, ANY)
    assert any_sv["INTRA"].status is SampleStatus.POSITIVE and any_sv["ALK"].status is SampleStatus.NEGATIVE
    assert any_sv["NOT_PROFILED"].status is SampleStatus.UNKNOWN


def test_strictness_accepts_its_spec_spelling() -> None:
    assert [FusionStrictness(v) for v in ("any_sv", "named_partner", "confirmed")] == [ANY, NAMED, CONFIRMED]
    with pytest.raises(ValueError):
        FusionStrictness("strict")
