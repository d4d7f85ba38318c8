"""Outcome records of data-quality checks and the tolerance rule that judges them.

Framework-free and GX-free: these frozen records are what the rest of the pipeline sees. Great Expectations computes
the counts; :func:`judge` applies the contract tolerance on top of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rwe_cohorts.core.contracts import Severity, Tag

MAX_EXAMPLE_KEYS = 5
"""At most this many example keys are kept per check; never whole rows."""


@dataclass(frozen=True)
class ExpectationOutcome:
    """The judged result of one expectation (one contract rule) on one relation.

    ``unexpected_share`` is ``unexpected_count`` over the rows the expectation evaluated (GX skips nulls for value
    checks such as set, pattern and range, so those shares are over non-null values); table-level and aggregate
    expectations count as one element. ``example_keys`` holds up to five primary keys of failing rows (compound keys
    joined with ``|``, missing values as ``NULL``). ``observed_value`` carries the aggregate of aggregate checks (a
    prevalence, a relative change) and ``error`` the message when the check could not be evaluated at all (it then
    fails).
    """

    relation: str
    rule: str
    expectation_type: str
    column: str | None
    tag: Tag
    severity: Severity
    passed: bool
    element_count: int
    unexpected_count: int
    unexpected_share: float
    max_share: float
    max_count: int | None
    example_keys: tuple[str, ...] = ()
    observed_value: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class RelationValidation:
    """All judged checks of one relation; ``success`` is false when any ``error``-severity check failed."""

    relation: str
    success: bool
    results: list[ExpectationOutcome]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        """The checks that did not pass (any severity)."""
        return [o for o in self.results if not o.passed]


def judge(unexpected_count: int, evaluated: int, *, max_share: float, max_count: int | None) -> tuple[float, bool]:
    """Return ``(unexpected_share, passed)`` under the contract tolerance.

    A check passes when ``unexpected_count / evaluated <= max_share`` and, if ``max_count`` is set,
    ``unexpected_count <= max_count``. The absolute cap matters for large tables: 3 bad keys in a million rows is a
    share of 3e-6, which rounds to zero under any share tolerance but still breaks ``max_count: 0``.

    >>> judge(3, 1_000_000, max_share=0.001, max_count=0)
    (3e-06, False)
    >>> judge(0, 0, max_share=0.0, max_count=None)
    (0.0, True)
    """
    share = unexpected_count / evaluated if evaluated > 0 else (1.0 if unexpected_count else 0.0)
    passed = share <= max_share and (max_count is None or unexpected_count <= max_count)
    return share, passed


def format_key_value(value: Any) -> str:
    """Render one key value for ``example_keys``: dates as ISO dates, missing values as ``NULL``."""
    if value is None:
        return "NULL"
    if isinstance(value, float) and math.isnan(value):
        return "NULL"
    if isinstance(value, datetime):
        if value != value:  # NaT compares unequal to itself
            return "NULL"
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "NULL" if text in {"NaT", "<NA>", "nan"} else text


def format_key(row: Mapping[Any, Any], key_columns: tuple[str, ...]) -> str:
    """Render the primary key of one row (a mapping of column to value): values joined with ``|``."""
    return "|".join(format_key_value(row.get(col)) for col in key_columns)
