"""Reading and writing warehouse tables from assets, and images as Dagster metadata."""

import base64

import dagster as dg
import polars as pl

from pipelines.common import table_metadata
from pipelines.resources import StudyResource
from rwe_cohorts.core import warehouse
from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.report.formatting import count_text


def read(study: StudyResource, relation: str) -> pl.DataFrame:
    with study.connect() as con:
        return warehouse.read_frame(con, relation)


def write(study: StudyResource, frames: dict[str, pl.DataFrame], **extra: object) -> dict[str, dict[str, object]]:
    """Replace each table whole; return Dagster metadata (row count, column schema) per relation."""
    out: dict[str, dict[str, object]] = {}
    contracts = load_contracts(warehouse.CONTRACTS_ROOT)
    with study.connect() as con:
        for relation, frame in frames.items():
            info = warehouse.replace_table(con, relation, frame, contracts[relation])
            out[relation] = table_metadata(info, **extra)
    engine = study.engine()
    for relation, frame in frames.items():
        engine.written(relation, frame, contracts[relation])  # Spark: copies the tables SQL models read back
    return out


def image(png: bytes, alt: str) -> dg.MetadataValue:
    """A PNG shown inline in the Dagster UI (markdown with a data URI)."""
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")


def preview(
    frame: pl.DataFrame, *, counts: tuple[str, ...] = (), min_cell: int, max_rows: int = 30
) -> dg.MetadataValue:
    """A markdown table of an aggregate mart for the Dagster UI; counts below ``min_cell`` shown as ``<min_cell``."""
    shown = frame.head(max_rows)

    def cell(column: str, value: object) -> str:
        if column in counts:
            return count_text(value, min_cell)
        if isinstance(value, float):
            return f"{value:.3g}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(cell(c, r[c]) for c in shown.columns) + " |" for r in shown.iter_rows(named=True)]
    if frame.height > max_rows:
        lines.append(f"\n{frame.height - max_rows} more rows")
    return dg.MetadataValue.md("\n".join(lines))
