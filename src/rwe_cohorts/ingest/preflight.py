"""Pre-flight: everything a run needs that can be checked in a second or two, before a run is launched.

The study spec must be valid; the data cut id must be well formed and name exactly one delivery in the landing area
(or, with no id, the latest delivery must be completely copied); that delivery's manifest must be readable and every
file present, readable as Parquet, with the rows the manifest states and the columns and types of the raw contracts
(checksums are left to ingest, which reads every byte anyway). Every problem found is reported at once in one
paragraph, so a mistyped command costs nothing: no run, no partition, no warehouse file, no ledger row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.spec import StudySpec, StudySpecError, load_spec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.ingest.delivery import (
    Delivery,
    DeliveryError,
    check_cut_id,
    delivery_for_cut,
    missing_or_changed_files,
    read_manifests,
    verify_delivery,
)


class PreflightError(ValueError):
    """A run cannot start; ``problems`` lists each reason (spec, data cut, delivery)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("nothing was run:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Preflight:
    spec: StudySpec
    delivery: Delivery
    skipped: Mapping[str, list[str]]  # landing-area folders passed over (unreadable manifest), with reasons

    @property
    def data_cut_id(self) -> str:
        return self.delivery.data_cut_id


def _latest_delivery(landing: Path) -> tuple[Delivery, dict[str, list[str]]]:
    deliveries, unreadable = read_manifests(landing)
    if not deliveries:
        raise DeliveryError(landing, [f"no delivery (a folder with a valid manifest.json) under {landing}"])
    latest = max(deliveries, key=lambda d: (d.data_cut_date, d.data_cut_id))
    problems = missing_or_changed_files(latest)  # the newest delivery may still be being copied
    if problems:
        raise DeliveryError(
            latest.folder,
            [
                f"the latest delivery {latest.folder.name} (data cut {latest.data_cut_id}) is not complete: "
                + "; ".join(problems[:10])
                + " (wait until it is completely copied, or name an earlier cut with --data-cut)"
            ],
        )
    return latest, unreadable


def _delivery_named(landing: Path, data_cut: str) -> Delivery:
    """The delivery of ``data_cut``; when there is none, the error lists the data cuts the landing area holds."""
    try:
        return delivery_for_cut(landing, data_cut)
    except DeliveryError as exc:
        known = sorted({d.data_cut_id for d in read_manifests(landing)[0]})
        if any(p.startswith("no delivery folder") for p in exc.problems):
            exc.problems.append(f"data cuts delivered there: {', '.join(known) if known else 'none'}")
        raise


def preflight(
    spec_path: Path,
    landing: Path,
    data_cut: str | None,
    *,
    raw_contracts: Mapping[str, Contract] | None = None,
) -> Preflight:
    """Check the spec, the data cut and its delivery; raise :class:`PreflightError` listing every problem."""
    problems: list[str] = []
    spec: StudySpec | None = None
    try:
        spec = load_spec(spec_path)
    except StudySpecError as exc:
        problems.append(f"study spec {exc.source} is invalid ({len(exc.errors)} error(s)): " + "; ".join(exc.errors))
    delivery: Delivery | None = None
    skipped: dict[str, list[str]] = {}
    try:
        if data_cut:
            delivery = _delivery_named(landing, check_cut_id(data_cut))
        else:
            delivery, skipped = _latest_delivery(landing)
        contracts = raw_contracts if raw_contracts is not None else load_contracts(CONTRACTS_ROOT, "raw")
        verify_delivery(delivery, contracts, checksums=False)
    except DeliveryError as exc:
        where = f"delivery {exc.folder.name}: " if delivery is not None else ""
        problems += [f"{where}{p}" for p in exc.problems[:20]]
        if len(exc.problems) > 20:
            problems.append(f"... and {len(exc.problems) - 20} more problem(s)")
    except ValueError as exc:  # a malformed data cut id
        problems.append(str(exc))
    if problems or spec is None or delivery is None:
        raise PreflightError(problems)
    return Preflight(spec, delivery, skipped)
