"""The study report: one self-contained HTML file per data cut (inline CSS, images as data URIs, no scripts).

Counts below the spec's minimum cell size are shown as ``<N`` (small-cell suppression, the common rule for patient
data); only aggregate tables are rendered, never patient rows. Published numbers are shown beside ours, labelled.
Every count cell carries ``class="count"`` and every figure and section a stable ``id``, so tests (and readers'
tools) can find them.
"""

from __future__ import annotations

import base64
import html
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from rwe_cohorts.core.suppression import is_small

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1b1b;
padding:0 1rem}h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;
padding-bottom:.2rem;margin-top:2.2rem}h3{font-size:1rem;margin-top:1.4rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num,td.count{text-align:right;white-space:nowrap;
font-variant-numeric:tabular-nums}table.kv th{white-space:nowrap}caption{text-align:left}
tr.published td{background:#fff7ec;color:#7a3d00}tr.published td:first-child{font-style:italic}
.muted{color:#666;font-size:.85rem}.status{font-weight:600;padding:0 .3rem;border-radius:3px}
.pass{color:#1a7f37}.warn{color:#b35900}.fail,.not_estimable{color:#c62828}
figure{margin:.8rem 0}figure img{max-width:100%;display:block}figcaption{font-size:.8rem;color:#555}
nav ol{columns:2;font-size:.85rem}footer{margin-top:3rem;font-size:.8rem;color:#555}footer td{text-align:left}
.flow{display:flex;flex-direction:column;align-items:flex-start}.step{display:flex;align-items:center}
.box{border:1px solid #1f4e79;border-radius:4px;padding:.3rem .6rem;width:30rem;background:#f5f9fd;font-size:.85rem}
.arrow{width:30rem;text-align:center;color:#1f4e79;line-height:1.1}
.removed{margin-left:1rem;font-size:.8rem;color:#7a2e00;border:1px dashed #c9a27e;padding:.2rem .4rem}
.arm{display:inline-block;min-width:7rem}
"""


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


def count_html(value: Any, min_cell: int) -> str:
    """A suppressed count, HTML-escaped, thousands separated, in a ``<span class="count">``."""
    return f"<span class='count'>{html.escape(count_text(value, min_cell))}</span>"


def fmt(value: Any, digits: int = 3) -> str:
    """A number for display (``-`` for None / NaN), HTML-escaped."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-" if math.isnan(value) else html.escape(str(value))
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.{digits + 1}g}"
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return html.escape(str(value))


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


def status_html(status: Any) -> str:
    """A diagnostic status as a coloured badge (PASS / WARN / FAIL / NOT_ESTIMABLE)."""
    s = str(status).lower()
    return f"<span class='status {html.escape(s)}'>{html.escape(s.upper())}</span>"


def frame_to_html(
    frame: pl.DataFrame,
    *,
    count_columns: Sequence[str] = (),
    min_cell: int = 11,
    html_columns: Sequence[str] = (),
    table_id: str | None = None,
    row_class_column: str | None = None,
) -> str:
    """An HTML table. ``count_columns`` get small-cell suppression (cells with ``class="count"``); ``html_columns``
    hold ready-made HTML; ``row_class_column`` names a column whose value becomes the row's class (not shown)."""
    shown = [c for c in frame.columns if c != row_class_column]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown)
    rows = []
    for row in frame.iter_rows(named=True):
        cells = []
        for c in shown:
            v = row[c]
            if c in count_columns:
                cells.append(f"<td class='count'>{html.escape(suppress(v, min_cell))}</td>")
            elif c in html_columns:
                cells.append(f"<td>{v}</td>")
            elif isinstance(v, numbers.Real) and not isinstance(v, bool):
                cells.append(f"<td class='num'>{fmt(v)}</td>")
            else:
                cells.append(f"<td>{fmt(v)}</td>")
        cls = f" class='{html.escape(str(row[row_class_column]))}'" if row_class_column else ""
        rows.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    ident = f" id='{html.escape(table_id)}'" if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def png_img(png: bytes, alt: str, *, element_id: str | None = None, caption: str | None = None) -> str:
    """A PNG inlined as a data URI inside a ``<figure>`` (with ``id`` and caption when given)."""
    ident = f" id='{html.escape(element_id)}'" if element_id else ""
    img = f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"<figure{ident}>{img}{cap}</figure>"


def key_value_table(rows: Mapping[str, str], *, table_id: str | None = None) -> str:
    ident = f" id='{html.escape(table_id)}'" if table_id else ""
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows.items())
    return f"<table class='kv'{ident}>{body}</table>"


@dataclass(frozen=True)
class ReportSection:
    title: str
    body_html: str
    anchor: str = ""


@dataclass(frozen=True)
class ReportInputs:
    title: str
    data_cut_id: str
    spec_summary: Mapping[str, str]
    sections: Sequence[ReportSection]
    provenance: Mapping[str, str] = field(default_factory=dict)


def _section(section: ReportSection) -> str:
    ident = f" id='{html.escape(section.anchor)}'" if section.anchor else ""
    return f"<section{ident}><h2>{html.escape(section.title)}</h2>{section.body_html}</section>"


def render_report(inputs: ReportInputs) -> str:
    """The whole report as one HTML document with no external resources (and no scripts)."""
    sections = [ReportSection("Study specification", key_value_table(inputs.spec_summary), "study-spec")]
    sections += list(inputs.sections)
    toc = "".join(
        f"<li><a href='#{html.escape(s.anchor)}'>{html.escape(s.title)}</a></li>" if s.anchor else "" for s in sections
    )
    body = "".join(_section(s) for s in sections)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'/>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'/><link rel='icon' href='data:,'/>"
        f"<title>{html.escape(inputs.title)} - {html.escape(inputs.data_cut_id)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(inputs.title)}</h1>"
        f"<div class='muted'>Study report, data cut {html.escape(inputs.data_cut_id)}</div></header>"
        f"<nav aria-label='Contents'><ol>{toc}</ol></nav><main>{body}</main>"
        f"<footer id='provenance'><h2>Provenance</h2>{key_value_table(inputs.provenance)}</footer></body></html>"
    )
