"""Jobs: the whole study for one data cut, from its delivery to the published analysts' database."""

import dagster as dg

from pipelines.partitions import data_cuts

study_job = dg.define_asset_job(
    "study_job",
    selection=dg.AssetSelection.all(),
    partitions_def=data_cuts,
    description="Materialize the whole study for one data cut (a partition: the delivery's data cut id).",
)
