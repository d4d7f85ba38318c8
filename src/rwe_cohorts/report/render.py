"""What the report templates render, and the rendering itself.

Python prepares every number as display text (``formatting``) in small view objects: a :class:`Table` of
:class:`Cell` rows, a :class:`Figure` (a PNG shown inline as a data URI), a :class:`Section` naming its template.
The HTML lives in Jinja2 templates under ``templates/`` (a base layout, shared macros, one template per section),
rendered with autoescaping on and undefined names an error, so no value reaches the page unescaped or silently empty.
"""

from __future__ import annotations

import base64
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import polars as pl

from rwe_cohorts.report.formatting import count_text, fmt

TEMPLATES = Path(__file__).with_name("templates")

CellKind = Literal["text", "num", "count", "status"]


@dataclass(frozen=True)
class Cell:
    """One table cell: display text and how it is shown (``num`` right-aligned, ``count`` a suppressed count with
    ``class="count"``, ``status`` a PASS / WARN / FAIL badge)."""

    text: str
    kind: CellKind = "text"


@dataclass(frozen=True)
class Row:
    cells: Sequence[Cell]
    css_class: str | None = None


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Sequence[Row]
    table_id: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class Figure:
    """A PNG shown inline (``src`` is a data URI), with an element id and a caption."""

    png: bytes
    alt: str
    element_id: str
    caption: str

    @property
    def src(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


@dataclass(frozen=True)
class Section:
    """A report section: its heading, anchor, template (under ``templates/sections/``) and that template's data."""

    title: str
    anchor: str
    template: str
    data: Mapping[str, Any] = field(default_factory=dict)


def frame_table(
    frame: pl.DataFrame,
    *,
    count_columns: Sequence[str] = (),
    min_cell: int = 11,
    status_columns: Sequence[str] = (),
    table_id: str | None = None,
    row_class_column: str | None = None,
) -> Table:
    """A :class:`Table` of ``frame``: ``count_columns`` suppressed below ``min_cell``, ``status_columns`` shown as
    badges, other numbers right-aligned; ``row_class_column`` names a column whose value becomes the row's class
    (not shown)."""
    shown = [c for c in frame.columns if c != row_class_column]

    def cell(column: str, value: Any) -> Cell:
        if column in count_columns:
            return Cell(count_text(value, min_cell), "count")
        if column in status_columns:
            return Cell(str(value), "status")
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return Cell(fmt(value), "num")
        return Cell(fmt(value))

    rows = [
        Row([cell(c, r[c]) for c in shown], str(r[row_class_column]) if row_class_column else None)
        for r in frame.iter_rows(named=True)
    ]
    return Table(shown, rows, table_id)


@cache
def environment() -> jinja2.Environment:
    """The report's Jinja2 environment: templates from ``templates/``, autoescaping on, undefined names an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> str:
    """Render ``template`` (a path under ``templates/``) with ``context``."""
    return environment().get_template(template).render(**context)
