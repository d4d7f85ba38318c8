"""Numbers as the report and the Dagster previews show them: counts with small-cell suppression, estimates with
their confidence limits, P values. Plain text: escaping is the templates' job (Jinja2 autoescaping).

Counts below the spec's minimum cell size are shown as ``<N`` (small-cell suppression, the common rule for patient
data); 0 is shown, since it discloses no patient.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from rwe_cohorts.core.suppression import is_small


def suppress(value: Any, min_cell: int) -> str:
    """A count as text, with 1..min_cell-1 shown as ``<min_cell`` (0 is shown: it discloses no patient).

    None (or NaN) is "-"; integral floats are treated as counts; anything else is returned as ``str``.

    >>> [suppress(n, 11) for n in (0, 1, 10, 11, 2500, None)]
    ['0', '<11', '<11', '11', '2500', '-']
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    is_count = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (is_count or (isinstance(value, float) and value.is_integer())):
        return str(value)
    n = int(value)
    return f"<{min_cell}" if is_small(n, min_cell) else str(n)


def count_text(value: Any, min_cell: int) -> str:
    """A suppressed count with thousands separators (``12,345``, ``<11``, ``0``)."""
    text = suppress(value, min_cell)
    return f"{int(text):,}" if text.isdigit() else text


def fmt(value: Any, digits: int = 3) -> str:
    """A number for display: integers thousands separated (``24,917``, as counts are everywhere in the report),
    floats to ``digits`` decimals with trailing zeros dropped, thousands separated, significant digits below 0.001,
    ``-`` for None / NaN; anything else as ``str``."""
    if value is None:
        return "-"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-" if math.isnan(value) else str(value)
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.{digits + 1}g}"
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return str(value)


def fmt_p(value: Any) -> str:
    """A P value: three decimals, ``<0.001`` below that, ``-`` when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def estimate_ci(estimate: Any, lower: Any, upper: Any, digits: int = 1) -> str:
    """``est (lo-hi)`` with ``NR`` (not reached / not estimable) for a missing limit."""

    def one(v: Any) -> str:
        return "NR" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"

    return f"{one(estimate)} ({one(lower)}-{one(upper)})"
