"""The study report: one self-contained HTML file per data cut (inline CSS, images as data URIs, no scripts).

Counts below the spec's minimum cell size are shown as ``<N`` (small-cell suppression, the common rule for patient
data); only aggregate tables are rendered, never patient rows. Published numbers are shown beside ours, labelled.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1b1b}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem;
margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}th,td{border:1px solid #ddd;
padding:.25rem .5rem;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.muted{color:#666;font-size:.85rem}.pass{color:#1a7f37;font-weight:600}.warn{color:#b35900;font-weight:600}
.fail{color:#c62828;font-weight:600}img{max-width:100%}footer{margin-top:3rem;font-size:.8rem;color:#555}
.flow{display:flex;flex-direction:column;align-items:flex-start}.step{display:flex;align-items:center;margin:.2rem 0}
.box{border:1px solid #1f4e79;border-radius:4px;padding:.3rem .6rem;min-width:28rem;background:#f5f9fd;font-size:.85rem}
.removed{margin-left:1rem;font-size:.8rem;color:#7a2e00}
"""


def suppress(value: Any, min_cell: int) -> str:
    """Render a count, replacing 1..min_cell-1 by ``<min_cell`` (0 is shown: it discloses no patient)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) and 0 < value < min_cell:
        return f"<{min_cell}"
    return str(value)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:.4g}" if abs(value) < 1e-3 and value != 0 else f"{value:,.3f}".rstrip("0").rstrip(".")
    return html.escape(str(value))


def frame_to_html(frame: pl.DataFrame, *, count_columns: Sequence[str] = (), min_cell: int = 11) -> str:
    """An HTML table; ``count_columns`` get small-cell suppression."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = []
    for row in frame.iter_rows(named=True):
        cells = []
        for c in frame.columns:
            v = row[c]
            text = suppress(v, min_cell) if c in count_columns else _fmt(v)
            cells.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def png_img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'


@dataclass(frozen=True)
class ReportSection:
    title: str
    body_html: str


@dataclass(frozen=True)
class ReportInputs:
    title: str
    data_cut_id: str
    spec_summary: Mapping[str, str]
    sections: Sequence[ReportSection]
    provenance: Mapping[str, str] = field(default_factory=dict)


def render_report(inputs: ReportInputs) -> str:
    """The whole report as one HTML document with no external resources."""
    spec_rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in inputs.spec_summary.items()
    )
    sections = "".join(f"<h2>{html.escape(s.title)}</h2>{s.body_html}" for s in inputs.sections)
    prov = "".join(f"<div>{html.escape(k)}: {html.escape(v)}</div>" for k, v in inputs.provenance.items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'/>"
        f"<title>{html.escape(inputs.title)} - {html.escape(inputs.data_cut_id)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(inputs.title)}</h1><div class='muted'>Data cut {html.escape(inputs.data_cut_id)}</div>"
        f"<h2>Study design</h2><table>{spec_rows}</table>{sections}"
        f"<footer><h2>Provenance</h2>{prov}</footer></body></html>"
    )
