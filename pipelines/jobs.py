"""Jobs: the whole study, from the landed delivery to the report."""

from __future__ import annotations

import dagster as dg

study_job = dg.define_asset_job(
    "study_job",
    selection=dg.AssetSelection.all(),
    description="Materialize the whole study from the latest delivery in the landing area.",
)
