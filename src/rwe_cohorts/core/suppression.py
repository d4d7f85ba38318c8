"""Small-cell suppression of aggregate tables, driven by the data contracts.

Counts of patients or events between 1 and ``min_cell - 1`` (the spec's ``privacy.min_cell_count``, default 11, the
common rule for patient data) are not published. Contract columns say what they are:

- ``small_cell: count``: a count. A suppressed value becomes NULL, and a companion VARCHAR column ``<name>_display``
  (placed right after it) shows the value, or ``<11`` when suppressed. 0 is shown: it discloses no patient.
- ``small_cell: derived`` with ``derived_from: [counts]``: a share or statistic computed from counts; NULL when any
  of those counts in the same row is suppressed.
- ``small_cell: withheld``: identifiers (example patient keys); always NULL in published tables.

Primary suppression alone can be undone by arithmetic, so the contract can name complementary rules:

- ``{kind: chain, by: [...], order: <col>, total: <remaining>, part: <removed>}``: within each ``by`` group in
  ``order``, ``total[k-1] = total[k] + part[k]`` (an attrition chain);
- ``{kind: sum, by: [...], part: <count>}``: the rows of each ``by`` group sum to a published total (the levels of a
  categorical covariate sum to the arm size).

Whenever exactly one cell of such an equation is suppressed, the smallest other non-zero cell of it (a zero if no other
is left) is suppressed too, repeated until no equation has exactly one suppressed cell. Values suppressed this way
show ``<11`` as well (the display does not tell primary from complementary suppression).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from rwe_cohorts.core.contracts import Contract

DISPLAY_SUFFIX = "_display"


def is_small(value: Any, min_cell: int) -> bool:
    """The small-cell rule: a count from 1 to ``min_cell - 1`` is not shown (0, None and NaN are not small)."""
    return value is not None and value == value and 0 < float(value) < min_cell


def _equations(frame: pl.DataFrame, rules: Sequence[Mapping[str, Any]]) -> list[list[tuple[int, str]]]:
    """Every equation as its list of cells (row index, column)."""
    out: list[list[tuple[int, str]]] = []
    indexed = frame.with_row_index("__row")
    for rule in rules:
        by = list(rule.get("by") or [])
        groups = indexed.group_by(by, maintain_order=True) if by else [((), indexed)]
        for _, group in groups:
            if rule["kind"] == "chain":
                rows = group.sort(rule["order"])["__row"].to_list()
                for prev, cur in itertools.pairwise(rows):
                    out.append([(prev, rule["total"]), (cur, rule["total"]), (cur, rule["part"])])
            elif rule["kind"] == "sum":
                cells = [(r, rule["part"]) for r in group["__row"].to_list()]
                if len(cells) > 1:
                    out.append(cells)
            else:
                raise ValueError(f"unknown complementary suppression kind {rule['kind']!r}")
    return out


def suppressed_cells(
    frame: pl.DataFrame, counts: Sequence[str], rules: Sequence[Mapping[str, Any]], min_cell: int
) -> set[tuple[int, str]]:
    """Cells (row, column) to suppress: primary (small counts) plus complementary (see the module docstring)."""
    values = {c: frame[c].to_list() for c in counts}
    hidden = {(i, c) for c in counts for i, v in enumerate(values[c]) if is_small(v, min_cell)}
    equations = _equations(frame, rules)
    changed = True
    while changed:
        changed = False
        for cells in equations:
            n_hidden = sum(cell in hidden for cell in cells)
            if n_hidden != 1:
                continue
            candidates = [cell for cell in cells if cell not in hidden and values[cell[1]][cell[0]] is not None]
            if not candidates:
                continue
            # the smallest non-zero cell; a zero only when nothing else is left (x + 0 = total still reveals x)
            hidden.add(min(candidates, key=lambda c: (values[c[1]][c[0]] == 0, values[c[1]][c[0]], c)))
            changed = True
    return hidden


def suppress_frame(frame: pl.DataFrame, contract: Contract, min_cell: int) -> pl.DataFrame:
    """The table as published: suppressed counts NULL with ``<count>_display`` beside them, derived values blanked,
    withheld columns NULL. A contract without ``small_cell`` columns returns the frame unchanged."""
    counts = [c.name for c in contract.columns if c.small_cell == "count" and c.name in frame.columns]
    derived = [c for c in contract.columns if c.small_cell == "derived" and c.name in frame.columns]
    withheld = [c.name for c in contract.columns if c.small_cell == "withheld" and c.name in frame.columns]
    if not (counts or derived or withheld):
        return frame
    hidden = suppressed_cells(frame, counts, contract.complementary, min_cell)
    out = frame
    masks: dict[str, pl.Series] = {}
    for name in counts:
        mask = pl.Series([(i, name) in hidden for i in range(frame.height)], dtype=pl.Boolean)
        masks[name] = mask
        text = [
            f"<{min_cell}" if m else (None if v is None else (f"{v:g}" if isinstance(v, float) else str(v)))
            for v, m in zip(frame[name].to_list(), mask.to_list(), strict=True)
        ]
        out = out.with_columns(
            pl.when(mask).then(None).otherwise(pl.col(name)).alias(name),
            pl.Series(name + DISPLAY_SUFFIX, text, dtype=pl.String),
        )
    for column in derived:
        sources = [masks[s] for s in column.derived_from if s in masks]
        if sources:
            any_hidden = sources[0]
            for other in sources[1:]:
                any_hidden = any_hidden | other
            out = out.with_columns(pl.when(any_hidden).then(None).otherwise(pl.col(column.name)).alias(column.name))
    for name in withheld:
        out = out.with_columns(pl.lit(None, dtype=frame[name].dtype).alias(name))
    order: list[str] = []
    for name in frame.columns:
        order.append(name)
        if name in counts:
            order.append(name + DISPLAY_SUFFIX)
    return out.select(order)


def leaked_small_counts(frame: pl.DataFrame, contract: Contract, min_cell: int) -> list[str]:
    """Count cells of a published table that show a value between 1 and ``min_cell - 1`` (should be none)."""
    out = []
    for column in contract.columns:
        if column.small_cell != "count" or column.name not in frame.columns:
            continue
        small = frame.filter(pl.col(column.name).is_not_null() & (pl.col(column.name) > 0))
        small = small.filter(pl.col(column.name) < min_cell)
        if small.height:
            out.append(f"{contract.relation}.{column.name}: {small.height} cell(s) below {min_cell}")
    return out
