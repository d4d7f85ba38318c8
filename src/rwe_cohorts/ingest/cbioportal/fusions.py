"""NTRK fusion calling from cBioPortal structural variants, at a strictness the study spec sets.

Each structural-variant row (``data_sv.txt`` in either layout, or a grouped ``data_fusions.txt`` event) is read into
an :class:`SvEvent` and classified into an :class:`EventCall`: the gene of interest, its partner, the kind of event,
the reading frame and whether RNA supports it. Partner order in cBioPortal files is not reliable (Site1/Site2 are
"left/right" by convention only, and fusion files list one row per gene), so nothing here depends on it: the gene of
interest is the exposure gene when one is involved, the frame and RNA evidence are read whichever site carries them.

Strictness levels (:class:`FusionStrictness`), each a subset of the one before:

- ``any_sv``: any structural variant with NTRK1/2/3 at either site.
- ``named_partner``: a fusion with a named partner gene other than the NTRK gene itself; intragenic, antisense,
  intergenic and out-of-frame events (and events with no partner) do not count. An unknown frame counts.
- ``confirmed``: a ``named_partner`` fusion that is in frame or supported by RNA (``RNA_Support``/``RNA_support``
  "yes", or an Archer (RNA) call named in the event text).

Sample status (:func:`call_samples`): positive when any event of the sample qualifies; negative when the sample was
profiled for structural variants (in the SV case list, or it has an SV row) and none qualifies; unknown when it was
not profiled: not tested is not negative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

NTRK_GENES: tuple[str, ...] = ("NTRK1", "NTRK2", "NTRK3")
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9-]{1,14}$")
_NOT_GENES = frozenset(
    {"INTRAGENIC", "INTERGENIC", "FUSION", "ANTISENSE", "REARRANGEMENT", "ARCHER", "IGR", "NONE", "NA", "UNKNOWN"}
)
_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9.]*(?:-[0-9]+)?)\s*(?:-|::|/)\s*([A-Za-z][A-Za-z0-9.]*)")
_TRANSCRIPT = re.compile(r"\(\s*(?:NM_|NR_|XM_|ENST)[0-9.]+\s*\)")
_YES = frozenset({"yes", "y", "true", "1"})

EventKind = Literal["fusion", "intragenic", "antisense", "intergenic", "no_partner"]


class FusionStrictness(StrEnum):
    """Which structural variants make a sample NTRK fusion-positive (see the module docstring)."""

    ANY_SV = "any_sv"
    NAMED_PARTNER = "named_partner"
    CONFIRMED = "confirmed"


class Frame(StrEnum):
    IN_FRAME = "in_frame"
    OUT_OF_FRAME = "out_of_frame"
    UNKNOWN = "unknown"


class SampleStatus(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SvEvent:
    """One structural variant as the source gives it (values already stripped; missing values are None)."""

    sample_id: str
    site1_gene: str | None
    site2_gene: str | None
    frame: str | None = None
    rna_support: str | None = None
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class EventCall:
    """A classified structural variant; ``gene`` is the gene of interest, ``partner`` the other gene (or None)."""

    sample_id: str
    gene: str
    partner: str | None
    kind: EventKind
    frame: Frame
    is_rna_supported: bool
    source: str = ""

    def qualifies(self, strictness: FusionStrictness) -> bool:
        """Whether this event counts as a fusion of ``gene`` at ``strictness``."""
        if strictness is FusionStrictness.ANY_SV:
            return True
        named = self.kind == "fusion" and self.frame is not Frame.OUT_OF_FRAME
        if strictness is FusionStrictness.NAMED_PARTNER:
            return named
        return named and (self.frame is Frame.IN_FRAME or self.is_rna_supported)

    @property
    def detail(self) -> str:
        """A short description for ``raw.genomic_alterations.alteration_detail``."""
        parts = [self.kind.replace("_", " ")]
        if self.frame is not Frame.UNKNOWN:
            parts.append(self.frame.value.replace("_", " "))
        if self.is_rna_supported:
            parts.append("RNA-supported")
        return ", ".join(parts)


def gene_symbol(value: str | None) -> str | None:
    """An upper-cased HGNC-shaped symbol, or None when the value is missing or not symbol-shaped."""
    if value is None:
        return None
    text = value.strip().upper()
    return text if _SYMBOL.match(text) and text not in _NOT_GENES else None


def parse_frame(*texts: str | None) -> Frame:
    """The reading frame from the first text that states one (the explicit frame column first, then free text)."""
    for text in texts:
        if not text:
            continue
        t = re.sub(r"[\s_-]+", " ", text.lower())
        if re.search(r"\bout of frame\b|\bframe ?shift|\bout frame\b", t):
            return Frame.OUT_OF_FRAME
        if re.search(r"\bin ?frame\b", t):
            return Frame.IN_FRAME
    return Frame.UNKNOWN


def is_yes(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _YES


def _partner_from_text(text: str, gene: str) -> str | None:
    """``X`` from ``X-GENE`` / ``GENE-X`` (also ``::``) in free text such as "ETV6-NTRK3 fusion"."""
    for left, right in _PAIR.findall(_TRANSCRIPT.sub(" ", text)):
        a, b = left.upper(), right.upper()
        if a == gene and b != gene:
            return gene_symbol(b)
        if b == gene and a != gene:
            return gene_symbol(a)
    return None


def classify_event(event: SvEvent, gene_priority: Iterable[str] = NTRK_GENES) -> EventCall | None:
    """Classify one event, whatever the site order. None when neither site names a gene symbol.

    The gene of interest is the first of ``gene_priority`` found at either site, else the alphabetically first
    symbol (so the call never depends on which site a gene was written in).
    """
    symbols = {s for s in (gene_symbol(event.site1_gene), gene_symbol(event.site2_gene)) if s}
    if not symbols:
        return None
    gene = next((g for g in gene_priority if g in symbols), min(symbols))
    others = symbols - {gene}
    same_gene = not others and gene_symbol(event.site1_gene) == gene_symbol(event.site2_gene)
    text = event.description.lower()
    partner = min(others) if others else None
    if partner is None and not same_gene:
        partner = _partner_from_text(event.description, gene)
    kind: EventKind
    if "antisense" in text:
        kind = "antisense"
    elif same_gene or "intragenic" in text or "intra-genic" in text or "within transcript" in text:
        kind = "intragenic"
    elif "intergenic" in text or re.search(r"\bigr\b", text):
        kind = "intergenic"
    elif partner is None:
        kind = "no_partner"
    else:
        kind = "fusion"
    return EventCall(
        sample_id=event.sample_id,
        gene=gene,
        partner=partner if kind != "intragenic" else None,
        kind=kind,
        frame=parse_frame(event.frame, event.description),
        is_rna_supported=is_yes(event.rna_support) or re.search(r"\barcher\b", text) is not None,
        source=event.source,
    )


@dataclass(frozen=True)
class SampleCall:
    """A sample's exposure status, with the first qualifying event's gene and partner when positive."""

    sample_id: str
    status: SampleStatus
    gene: str | None = None
    partner: str | None = None


def call_samples(
    samples: Iterable[str],
    calls: Iterable[EventCall],
    profiled: Iterable[str],
    strictness: FusionStrictness,
    genes: Iterable[str] = NTRK_GENES,
) -> Mapping[str, SampleCall]:
    """Status of every sample: positive (a qualifying event in ``genes``), negative (profiled, none qualifies) or
    unknown (not profiled). A sample with any structural-variant row counts as profiled."""
    wanted = frozenset(genes)
    by_sample: dict[str, list[EventCall]] = {}
    for call in calls:
        by_sample.setdefault(call.sample_id, []).append(call)
    profiled_set = frozenset(profiled) | frozenset(by_sample)
    out: dict[str, SampleCall] = {}
    for sample in samples:
        hits = sorted(
            (c for c in by_sample.get(sample, []) if c.gene in wanted and c.qualifies(strictness)),
            key=lambda c: (c.gene, c.partner or "", c.source),
        )
        if hits:
            out[sample] = SampleCall(sample, SampleStatus.POSITIVE, hits[0].gene, hits[0].partner)
        elif sample in profiled_set:
            out[sample] = SampleCall(sample, SampleStatus.NEGATIVE)
        else:
            out[sample] = SampleCall(sample, SampleStatus.UNKNOWN)
    return out
