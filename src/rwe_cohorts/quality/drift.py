"""Row-count drift between two data cuts (plausibility): a relation that shrinks or grows too much is suspicious."""

from __future__ import annotations

from collections.abc import Mapping

from rwe_cohorts.contracts import Severity
from rwe_cohorts.quality.outcomes import ExpectationOutcome

RULE = "row_count_drift"


def row_count_drift(
    current: Mapping[str, int],
    previous: Mapping[str, int] | None,
    max_rel_change: float = 0.5,
    *,
    severity: Severity = "warn",
) -> list[ExpectationOutcome]:
    """Compare row counts per relation with the previous cut; one outcome per relation, sorted by relation.

    Relative change = ``|current - previous| / previous`` (a relation new in this cut passes; one that vanished counts
    as 0 rows, a change of 100%). A check passes when the change is at most ``max_rel_change``; the change is reported
    as ``observed_value``. Without a previous cut there is no baseline and the result is empty.

    >>> [o.passed for o in row_count_drift({"raw.visits": 100}, {"raw.visits": 40})]
    [False]
    """
    if previous is None:
        return []
    out: list[ExpectationOutcome] = []
    for relation in sorted(set(current) | set(previous)):
        now = int(current.get(relation, 0))
        before = previous.get(relation)
        change = 0.0 if before is None else (abs(now - before) / before if before else (0.0 if now == 0 else 1.0))
        passed = change <= max_rel_change
        out.append(
            ExpectationOutcome(
                relation=relation,
                rule=RULE,
                expectation_type="row_count_relative_change",
                column=None,
                tag="plausibility",
                severity=severity,
                passed=passed,
                element_count=1,
                unexpected_count=0 if passed else 1,
                unexpected_share=0.0 if passed else 1.0,
                max_share=0.0,
                max_count=None,
                observed_value=change,
            )
        )
    return out
