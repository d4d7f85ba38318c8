"""Reading and writing warehouse tables from assets, and images as Dagster metadata."""

import base64

import dagster as dg
import polars as pl

from pipelines.common import table_metadata
from pipelines.resources import StudyResource
from rwe_cohorts import warehouse
from rwe_cohorts.contracts import load_contracts


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
    return out


def image(png: bytes, alt: str) -> dg.MetadataValue:
    """A PNG shown inline in the Dagster UI (markdown with a data URI)."""
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")
