"""The cohort stage's invariants, checked after its SQL models ran: attrition counts never rise along the chain; the
analytic cohort has one row per patient, entry >= 0, exit > entry and both arms; death dates reconciled to the last
activity are counted per arm. The queries are ``sql/*.sql`` beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).with_name("sql")


def _rows(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[Any, ...]]:
    return con.execute((SQL_DIR / f"{name}.sql").read_text()).fetchall()


def attrition_never_rises(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Arms whose patient count rises between consecutive attrition steps (should be none)."""
    return [f"{arm}: {step} has {n} > {prev}" for arm, step, n, prev in _rows(con, "attrition_rises")]


def reconciled_deaths(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Per arm of the analytic cohort: deaths, deaths whose imputed date was moved to the last activity
    (``reconciled``), and those whose whole death month lies before the last activity (``month_before_activity``,
    a subset: a data-quality signal worth watching rather than a correction)."""
    return {
        arm: {"deaths": deaths, "reconciled": reconciled, "month_before_activity": before}
        for arm, deaths, reconciled, before in _rows(con, "reconciled_deaths")
    }


@dataclass(frozen=True)
class CohortInvariants:
    duplicates: int
    negative_entry: int
    exit_not_after_entry: int
    patients_per_arm: dict[str, int]
    expected_arms: tuple[str, str]  # (exposed, comparator) labels from the spec
    reconciled: dict[str, dict[str, int]]

    @property
    def arms(self) -> int:
        return len(self.patients_per_arm)

    @property
    def problems(self) -> list[str]:
        """Each violated invariant as a phrase (empty when the cohort is sound); an empty arm is named by its label."""
        counted = (
            (self.duplicates, "duplicate patients"),
            (self.negative_entry, "negative entries"),
            (self.exit_not_after_entry, "exit <= entry"),
        )
        problems = [f"{n} {what}" for n, what in counted if n]
        total = sum(self.patients_per_arm.values())
        for arm, role in zip(self.expected_arms, ("exposed", "comparator"), strict=True):
            if not self.patients_per_arm.get(arm):
                problems.append(
                    f"no {arm} patient ({role} arm) is among the {total:,} eligible patients: the study compares two "
                    "arms, so it cannot go on with this delivery"
                )
        return problems


def analytic_cohort_invariants(con: duckdb.DuckDBPyConnection, *, exposed: str, comparator: str) -> CohortInvariants:
    """The invariants of ``marts.analytic_cohort`` (and the reconciled deaths per arm); ``exposed`` and
    ``comparator`` are the spec's arm labels."""
    rows = _rows(con, "analytic_cohort_invariants")
    duplicates, negative_entry, exit_not_after_entry, arms = rows[0] if rows else (0, 0, 0, [])
    per_arm = {str(a["arm"]): int(a["patients"]) for a in arms or []}
    return CohortInvariants(
        int(duplicates or 0),
        int(negative_entry or 0),
        int(exit_not_after_entry or 0),
        per_arm,
        (exposed, comparator),
        reconciled_deaths(con),
    )
